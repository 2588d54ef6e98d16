// `podnet compare` and `podnet trace … URL` through the Ingress controller, run as a user
// runs them: the legs in -o json, the table, and usage errors (exit 1, no stack trace).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { app, ingress } from "../ingress/testing.js";
import { QUOTE_MAX } from "../manifest/diag.js";
import { clusterYaml, LB_NETWORKING } from "../testing/manifests.js";

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const BIN = join(ROOT, "bin", "podnet.js");

const CONFIG = clusterYaml("gcmp", { networking: LB_NETWORKING });
const MANIFESTS = `${app("api", 1, "default", { port: 8080 })}
apiVersion: v1
kind: Pod
metadata: {name: client}
spec: {containers: [{name: c, image: example/c:1}]}
---
${ingress("shop", "shop.example.com", [{ path: "/api", type: "Prefix", service: "api", port: 8080 }])}`;

async function withDir(f: (podnet: (...a: string[]) => Promise<{ stdout: string }>) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), "podnet-compare-"));
  try {
    writeFileSync(join(dir, "m.yaml"), MANIFESTS);
    writeFileSync(join(dir, "c.yaml"), CONFIG);
    const flags = ["-f", join(dir, "m.yaml"), "--config", join(dir, "c.yaml")];
    await f((cmd, ...args) => run(process.execPath, [BIN, cmd, ...args, ...flags]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("trace external http://HOST/PATH: -o json has the plain fields and the three legs; text shows the routing step", () =>
  withDir(async (podnet) => {
    const j = JSON.parse((await podnet("trace", "external", "http://shop.example.com/api", "-o", "json")).stdout);
    assert.ok("flow" in j && "paths" in j);
    assert.equal(j.flow.to, "http://shop.example.com/api");
    assert.deepEqual(
      j.legs.map((l: { kind: string }) => l.kind),
      ["connection", "routing", "connection"],
    );
    assert.equal(j.legs[1].decision.via.name, "default/shop");
    assert.equal(j.legs[2].trace.paths[0].verdict, "DELIVERED");
    const txt = (await podnet("trace", "external", "http://shop.example.com/none")).stdout;
    assert.match(txt, /ROUTING +GET http:\/\/shop\.example\.com\/none → 404/);
    assert.match(txt, /=> 404 Not Found: the controller answers the client itself/);
    assert.doesNotMatch(txt, /connection 2/);
  }));

test("compare: the table and -o json for the Ingress way and the Service way", () =>
  withDir(async (podnet) => {
    // No externalDNS record: a pod's resolver cannot find shop.example.com, the lookup fails.
    const j = JSON.parse(
      (
        await podnet(
          "compare",
          "client",
          "http://api.default.svc.cluster.local:8080/",
          "http://api.default:8080/",
          "-o",
          "json",
        )
      ).stdout,
    );
    assert.equal(j.from, "default/client");
    assert.equal(j.ways.length, 2);
    assert.equal(j.ways[0].proxies, 0);
    // api.default.svc.cluster.local has 4 dots (< ndots 5): the 3 search domains, then as is.
    assert.equal(j.ways[0].dnsQueries, 4);
    // api.default: the second search domain answers (default.svc.cluster.local, then svc.cluster.local).
    assert.equal(j.ways[1].dnsQueries, 2);
    assert.ok(j.sameBackend);
    const txt = (await podnet("compare", "client", "http://api.default:8080/", "http://nope.example.org/")).stdout;
    assert.match(txt, /^ {2}verdict +DELIVERED +DNS NXDOMAIN$/m);
    for (const row of ["hops", "nodes crossed", "NAT steps", "proxy traversals", "DNS queries"])
      assert.match(txt, new RegExp(`^  ${row} +\\d+ +\\d+$`, "m"));
  }));

test("compare and trace: bad arguments are usage errors (exit 1) naming the value", () =>
  withDir(async (podnet) => {
    const cases: [string[], RegExp][] = [
      [["compare", "client", "shop.example.com", "http://x/"], /URL1 must be .*"shop\.example\.com"/],
      [["compare", "client", "http://x/", "ftp://x/"], /URL2 must be .*"ftp:\/\/x\/"/],
      [["compare", "client", "http://x/", "http://y/", "-o", "yaml"], /-o must be text or json: "yaml"/],
      [["compare", "nobody", "http://x/", "http://y/"], /pod "nobody" not found/],
      // Cut as every message that echoes input (QUOTE_MAX).
      [["compare", "client", "x".repeat(300), "http://y/"], new RegExp(`URL1 must be .*"x{${QUOTE_MAX}}…"`)],
      [["trace", "external", "http://nowhere.example.org/"], /"nowhere\.example\.org" does not resolve outside/],
    ];
    for (const [args, re] of cases)
      await assert.rejects(podnet(args[0], ...args.slice(1)), (e: { code: number; stderr: string }) => {
        assert.equal(e.code, 1, args.join(" "));
        assert.match(e.stderr, re);
        assert.doesNotMatch(e.stderr, /\n\s+at /);
        return true;
      });
  }));
