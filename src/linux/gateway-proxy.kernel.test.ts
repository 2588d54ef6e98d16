// podnet's Gateway pods run real nginx (root): the Gateway API table of src/ingress/testing.ts
// (requests → backend or status, written from the Gateway API specification) sent from
// outside the cluster through the Gateway Service's LoadBalancer IP; URLRewrite seen by the
// backend (the pod server's /hostname and /echo); `podnet route --name` asking the running
// proxy for a Gateway; `podnet verify --flows http` covering every HTTPRoute match; a reload
// by `apply --name` under a request loop; and `down` leaving no nginx behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { buildIR } from "../dataplane/build.js";
import { GATEWAY_SPEC_MANIFESTS, GATEWAY_SPEC_TABLE } from "../ingress/testing.js";
import { gatewayEntry, type ProxyEntry } from "./ingress-probe.js";
import { nginxBinary } from "./ingress-proxy.js";
import { liveState } from "./live-state.js";
import { kernelSkip } from "./testing.js";
import { assertServedDuring, type ConnectTo, curlFrom, podnet, withProxyCluster } from "./testing-proxy.js";

const skip = kernelSkip(["ip", "python3", "curl", "openssl", "nginx"]);
const NAME = `dg${randomBytes(2).toString("hex")}`;

const NEW_ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: more}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  hostnames: [new.example.org]
  rules:
  - backendRefs: [{name: v2, port: 80}]
`;

/** The Gateway Service's address for a request port, from outside. */
const via =
  (entry: ProxyEntry): ConnectTo =>
  (port) =>
    entry.byPort?.[port] ?? entry.http;

/** One request from the outside client to the Gateway Service. */
function get(entry: ProxyEntry, method: string, url: string, headers: string[] = []) {
  // "Name:" would make curl drop the header; "Name;" sends it empty (curl(1) -H).
  const hs = headers.map((h) => (/^[^:]+:\s*$/.test(h) ? `${h.slice(0, h.indexOf(":"))};` : h));
  return curlFrom(entry.netns, url, via(entry), ["-X", method, ...hs.flatMap((h) => ["-H", h])]);
}

/** The Service that served a 200 (X-Podnet-Services), "STATUS LOCATION" for redirects, else the status. */
function outcome(r: ReturnType<typeof get>): string {
  if (r.status === 200) return r.headers.get("x-podnet-services") ?? "?";
  if (r.status >= 300 && r.status < 400) return `${r.status} ${r.headers.get("location")}`;
  return String(r.status);
}

test("Gateway pods' nginx: the spec table, filters, route --name, verify, reload, down", {
  skip,
  timeout: 240_000,
}, async (t) => {
  assert.ok(nginxBinary(), "nginx is installed");
  const files = { "m.yaml": GATEWAY_SPEC_MANIFESTS, "more.yaml": NEW_ROUTE };
  await withProxyCluster(NAME, files, async (dir) => {
    const state = await liveState(NAME);
    const entry = gatewayEntry(NAME, state, buildIR(state));
    assert.equal(typeof entry, "object", String(entry));
    const e = entry as ProxyEntry;

    await t.test("requests → backend or status (the Gateway API table)", () => {
      const wrong: string[] = [];
      for (const row of GATEWAY_SPEC_TABLE) {
        const got = outcome(get(e, row.method, row.url, row.headers));
        if (!row.want.split("|").includes(got))
          wrong.push(`${row.method} ${row.url} ${row.headers.join(";")}: ${got}, want ${row.want} (${row.why})`);
      }
      assert.deepEqual(wrong, []);
      // A 3:1 split: both backends answer over a few dozen requests.
      const seen = new Set<string>();
      for (let i = 0; i < 40 && seen.size < 2; i++) seen.add(outcome(get(e, "GET", "http://split.example.com/")));
      assert.deepEqual([...seen].sort(), ["default/v1", "default/v2"]);
    });

    await t.test("URLRewrite reaches the backend: ReplaceFullPath and ReplacePrefixMatch", () => {
      const name = get(e, "GET", "http://rw.example.com/name/x");
      assert.equal(name.status, 200);
      assert.match(name.body.trim(), /^web-/); // the pod server's /hostname
      assert.equal(get(e, "GET", "http://rw.example.com/say?msg=hi").body.trim(), "hi"); // /say → /echo
    });

    await t.test("route --name asks the Gateway's nginx; verify's HTTP flows cover every match and agree", () => {
      const r = podnet("route", "http://shop.example.com/api/x", "-H", "version: 2", "--name", NAME);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /HTTPRoute default\/shop/);
      assert.match(r.stdout, /the running proxy agrees with the model/);
      const v = podnet("verify", "--name", NAME, "--flows", "http", "-o", "json");
      const rep = JSON.parse(v.stdout) as {
        byKind: Record<string, { flows: number; agree: number }>;
        results: { kind: string; agree: boolean; to: string; note?: string }[];
      };
      const bad = rep.results.filter((f) => f.kind === "http" && !f.agree).map((f) => `${f.to}: ${f.note}`);
      assert.deepEqual(bad, []);
      assert.equal(v.status, 0, v.stdout.slice(-2000));
      // One request per match: 24 matches (RegularExpression ones asked with a generated
      // string), shop-later's rule 0 the same request as shop's rule 3 (asked once).
      assert.equal(rep.byKind.http.flows, 23);
    });

    await t.test("apply --name reloads the Gateway's nginx with no failed request", async () => {
      await assertServedDuring(e.netns, dir, via(e), () => {
        assert.equal(outcome(get(e, "GET", "http://new.example.org/")), "404");
        const a = podnet("apply", "-f", join(dir, "more.yaml"), "--name", NAME);
        assert.equal(a.status, 0, a.stderr);
        assert.match(a.stdout, /nginx reloaded: podnet-gateway\//);
        assert.equal(outcome(get(e, "GET", "http://new.example.org/")), "default/v2");
      });
    });
  });
});
