// podnet's Gateway pods run real nginx (root): the Gateway API table of src/ingress/testing.ts
// (requests → backend or status, written from the Gateway API specification) sent from
// outside the cluster through the Gateway Service's LoadBalancer IP; URLRewrite seen by the
// backend (the pod server's /hostname and /echo); `podnet route --name` asking the running
// proxy for a Gateway; `podnet verify --flows http` covering every HTTPRoute match; a reload
// by `apply --name` under a request loop; and `down` leaving no nginx behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildIR } from "../dataplane/build.js";
import { GATEWAY_SPEC_MANIFESTS, GATEWAY_SPEC_TABLE } from "../ingress/testing.js";
import { gatewayEntry, type ProxyEntry } from "./ingress-probe.js";
import { nginxBinary } from "./ingress-proxy.js";
import { liveState } from "./live-state.js";
import { kernelSkip, rootSnapshot } from "./testing.js";

const skip = kernelSkip(["ip", "python3", "curl", "openssl", "nginx"]);
const bin = fileURLToPath(new URL("../../../bin/podnet.js", import.meta.url));
const NAME = `dg${randomBytes(2).toString("hex")}`;

const CONFIG = `apiVersion: podnet.dev/v1alpha1
kind: Cluster
name: ${NAME}
nodes: [{name: worker-1}, {name: worker-2}]
networking: {cni: flannel, loadBalancerSubnet: 192.168.1.240/28}
`;

const NEW_ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: more}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  hostnames: [new.example.org]
  rules:
  - backendRefs: [{name: v2, port: 80}]
`;

const podnet = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

/** One request from the outside client to the Gateway Service. */
function get(entry: ProxyEntry, method: string, url: string, headers: string[] = []) {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
  const to = entry.byPort?.[port] ?? entry.http;
  const r = spawnSync(
    "ip",
    [
      ...["netns", "exec", entry.netns, "curl", "-s", "-i", "-k", "--max-time", "5", "-X", method],
      ...["--connect-to", `${u.hostname}:${port}:${to.ip}:${to.port}`],
      // "Name:" would make curl drop the header; "Name;" sends it empty (curl(1) -H).
      ...headers.flatMap((h) => ["-H", /^[^:]+:\s*$/.test(h) ? `${h.slice(0, h.indexOf(":"))};` : h]),
      url,
    ],
    { encoding: "utf8" },
  );
  const [head, ...rest] = r.stdout.split(/\r\n\r\n/);
  const lines = head.split(/\r\n/);
  const hs = new Map(
    lines.slice(1).map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]),
  );
  return { status: Number(/^HTTP\/\S+ (\d+)/.exec(lines[0])?.[1] ?? 0), headers: hs, body: rest.join("\r\n\r\n") };
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
  const before = rootSnapshot();
  const dir = mkdtempSync(join(tmpdir(), "podnet-gw-"));
  writeFileSync(join(dir, "m.yaml"), GATEWAY_SPEC_MANIFESTS);
  writeFileSync(join(dir, "cluster.yaml"), CONFIG);
  writeFileSync(join(dir, "more.yaml"), NEW_ROUTE);
  try {
    const u = podnet("up", "--name", NAME, "-f", join(dir, "m.yaml"), "--config", join(dir, "cluster.yaml"));
    assert.equal(u.status, 0, u.stderr);
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
      const stop = join(dir, "stop");
      const to = e.byPort?.[80] ?? e.http;
      const loop = spawn(
        "ip",
        [
          ...["netns", "exec", e.netns, "sh", "-c"],
          `while [ ! -e ${stop} ]; do curl -s -o /dev/null -w '%{http_code}\\n' --max-time 5 --connect-to shop.example.com:80:${to.ip}:${to.port} http://shop.example.com/api; done`,
        ],
        { stdio: ["ignore", "pipe", "ignore"] },
      );
      let out = "";
      loop.stdout.on("data", (d) => (out += d));
      const done = new Promise((r) => loop.on("exit", r));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(outcome(get(e, "GET", "http://new.example.org/")), "404");
      const a = podnet("apply", "-f", join(dir, "more.yaml"), "--name", NAME);
      assert.equal(a.status, 0, a.stderr);
      assert.match(a.stdout, /nginx reloaded: podnet-gateway\//);
      assert.equal(outcome(get(e, "GET", "http://new.example.org/")), "default/v2");
      await new Promise((r) => setTimeout(r, 500));
      writeFileSync(stop, "");
      await done;
      const codes = out.trim().split("\n");
      assert.ok(codes.length > 10, `${codes.length} requests`);
      assert.deepEqual(
        codes.filter((c) => c !== "200"),
        [],
      );
    });
  } finally {
    const d = podnet("down", "--name", NAME);
    rmSync(dir, { recursive: true, force: true });
    assert.equal(d.status, 0, d.stderr);
    const ours = readdirSync("/proc")
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(`/run/podnet/${NAME}/`);
        } catch {
          return false;
        }
      });
    assert.deepEqual(ours, []);
    assert.ok(!existsSync(`/run/podnet/${NAME}`));
    assert.deepEqual(rootSnapshot(), before);
  }
});
