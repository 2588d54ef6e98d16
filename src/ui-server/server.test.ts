// The web view's HTTP API without a browser: loopback only, JSON over the library
// functions, bad input as 400 with the interpreter's message, no command endpoint
// unless an exec function is given, no files outside the app directory.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCluster } from "../index.js";
import { modelSession } from "../questions/trace.js";
import type { ClusterState } from "../control/state.js";
import { startUiServer, HOST, type UiServer } from "./server.js";

let srv: UiServer;
let state: ClusterState;
let dir: string;

function get(
  path: string,
  opts: { method?: string; host?: string; body?: string; type?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: opts.host ?? `${HOST}:${srv.port}` };
    if (opts.type) headers["content-type"] = opts.type;
    const r = request({ host: HOST, port: srv.port, path, method: opts.method ?? "GET", headers }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    r.on("error", reject);
    r.end(opts.body);
  });
}

before(async () => {
  ({ state } = await loadCluster({}));
  dir = mkdtempSync(join(tmpdir(), "podnet-ui-"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>t</title>");
  srv = await startUiServer({ session: modelSession(state), port: 0, staticDir: dir });
});
after(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

test("listens on 127.0.0.1 only and prints an http URL", () => {
  const a = srv.server.address();
  assert.ok(a && typeof a === "object");
  assert.equal(a.address, "127.0.0.1");
  assert.equal(srv.url, `http://127.0.0.1:${srv.port}/`);
});

test("serves the app with a script-src 'self' CSP; no path escapes the app directory", async () => {
  const r = await get("/");
  assert.equal(r.status, 200);
  assert.match(String(r.headers["content-security-policy"]), /script-src 'self'/);
  assert.equal(r.headers["x-content-type-options"], "nosniff");
  const esc = await get("/..%2f..%2fetc%2fpasswd");
  assert.ok(esc.status === 403 || esc.status === 404, String(esc.status));
  assert.doesNotMatch(esc.body, /root:/);
});

test("requests naming another host are refused (DNS rebinding)", async () => {
  const r = await get("/api/state", { host: "evil.example:80" });
  assert.equal(r.status, 421);
});

test("/api/state lists every pod with its IP and node, every node and Service", async () => {
  const r = await get("/api/state");
  assert.equal(r.status, 200);
  const m = JSON.parse(r.body);
  assert.equal(m.pods.length, state.pods.length);
  for (const p of state.pods)
    assert.ok(
      m.pods.some(
        (q: { name: string; ip: string; node: string }) =>
          q.name === p.name && q.ip === p.podIP && q.node === p.nodeName,
      ),
    );
  assert.deepEqual(
    m.nodes.map((n: { name: string }) => n.name),
    state.nodes.map((n) => n.name),
  );
  // flannel VXLAN: each node has cni0 and flannel.1 (the device names flannel uses).
  for (const n of m.nodes) {
    assert.equal(n.bridge.name, "cni0");
    assert.equal(n.tunnel.name, "flannel.1");
    assert.equal(n.tunnel.kind, "vxlan");
  }
  const dns = m.services.find((s: { dns: boolean }) => s.dns);
  assert.equal(dns.name, "kube-dns");
  assert.equal(m.dnsServiceIP, dns.clusterIP);
  assert.equal(m.live.allowExec, false);
});

test("/api/ir/node/NAME: ip and iptables-save text; unknown node is 404", async () => {
  const r = await get("/api/ir/node/worker-1");
  const n = JSON.parse(r.body);
  assert.match(n.routes, /dev flannel\.1 onlink/);
  assert.match(n.rules, /^\*nat$/m);
  assert.match(n.rules, /-A PREROUTING .*-j KUBE-SERVICES/);
  const t = await get("/api/ir/node/worker-1/routes");
  assert.match(String(t.headers["content-type"]), /^text\/plain/);
  assert.equal(t.body, n.routes);
  assert.equal((await get("/api/ir/node/nope")).status, 404);
});

test("/api/trace: GET and POST give the trace JSON; bad input is a 400 with the reason", async () => {
  const a = state.pods.find((p) => p.name.startsWith("order-app"))!;
  const g = JSON.parse((await get(`/api/trace?from=default/${a.name}&to=svc/default/user-service`)).body);
  assert.ok(g.paths.length >= 1);
  const p = await get("/api/trace", {
    method: "POST",
    type: "application/json",
    body: JSON.stringify({ from: `default/${a.name}`, to: "svc/default/user-service" }),
  });
  assert.deepEqual(JSON.parse(p.body), g);
  const bad = await get("/api/trace?from=default/nope&to=10.96.0.1");
  assert.equal(bad.status, 400);
  assert.match(JSON.parse(bad.body).error, /nope/);
  assert.equal((await get(`/api/trace?from=default/${a.name}&to=10.96.0.1&port=70000`)).status, 400);
  // POST bodies must be JSON (a cross-site form cannot send that without a preflight).
  assert.equal((await get("/api/trace", { method: "POST", type: "text/plain", body: "{}" })).status, 400);
});

test("/api/reach: every workload pair with its explanation", async () => {
  const m = JSON.parse((await get("/api/reach?namespace=default")).body);
  assert.ok(m.workloads.some((w: { name: string }) => w.name === "default/order-app[Deployment]"));
  const c = m.cells.find(
    (x: { src: string; dst: string }) =>
      x.src === "default/order-app[Deployment]" && x.dst === "default/user-app[Deployment]",
  );
  assert.equal(c.text, "All Connections"); // no policies in the plain example
});

test("no endpoint runs commands without --allow-exec", async () => {
  const r = await get("/api/exec", {
    method: "POST",
    type: "application/json",
    body: JSON.stringify({ from: "default/x", to: "http://user-service" }),
  });
  assert.equal(r.status, 403);
});

test("malformed requests are 400s, not 500s: a bad %-escape, a field that is no string", async () => {
  const a = await get("/api/ir/node/%ff");
  assert.equal(a.status, 400);
  assert.match(JSON.parse(a.body).error, /bad node name/);
  for (const body of [
    { to: { toString: 1 } },
    { from: ["x"], to: "a" },
    { from: "a", to: "b", port: { valueOf: 1 } },
  ]) {
    const r = await get("/api/trace", { method: "POST", type: "application/json", body: JSON.stringify(body) });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(JSON.parse(r.body).error, /must be a string|required/);
  }
});

test("/api/exec: a few commands at once, the rest get 429; bad fields are 400s", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let started = 0;
  const s2 = await startUiServer({
    session: modelSession(state),
    port: 0,
    staticDir: dir,
    exec: async () => {
      started++;
      await gate;
      return { command: ["true"], exitCode: 0, stdout: "", stderr: "" };
    },
  });
  const post = (body: unknown) =>
    new Promise<number>((resolve, reject) => {
      const r = request(
        {
          host: HOST,
          port: s2.port,
          path: "/api/exec",
          method: "POST",
          headers: { host: `${HOST}:${s2.port}`, "content-type": "application/json" },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      r.on("error", reject);
      r.end(JSON.stringify(body));
    });
  try {
    assert.equal(await post({ from: "a", to: { toString: 1 } }), 400);
    assert.equal(await post({ from: "a", to: "b", port: "99999" }), 400);
    assert.equal(await post({ from: "a", to: "b", protocol: "-V" }), 400);
    const first = Array.from({ length: 4 }, () => post({ from: "a", to: "10.0.0.1" }));
    while (started < 4) await new Promise((r) => setTimeout(r, 5));
    assert.equal(await post({ from: "a", to: "10.0.0.1" }), 429);
    release();
    assert.deepEqual(await Promise.all(first), [200, 200, 200, 200]);
  } finally {
    release();
    await s2.close();
  }
});

test("/api/flows: 409 without a running cluster; the flows function's reply; a bad `last` is a 400", async () => {
  const none = await get("/api/flows");
  assert.equal(none.status, 409);
  assert.match(JSON.parse(none.body).error, /podnet ui --name/);
  let asked = 0;
  const s2 = await startUiServer({
    session: modelSession(state),
    port: 0,
    staticDir: dir,
    flows: async (last) => {
      asked = last;
      return { flows: [{ line: "x -> y to-endpoint FORWARDED", verdict: "FORWARDED" }], lost: [], status: "1 events" };
    },
  });
  const at = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const r = request({ host: HOST, port: s2.port, path, headers: { host: `${HOST}:${s2.port}` } }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      r.on("error", reject);
      r.end();
    });
  try {
    const ok = await at("/api/flows?last=7");
    assert.equal(ok.status, 200);
    assert.equal(asked, 7);
    assert.equal(JSON.parse(ok.body).flows[0].verdict, "FORWARDED");
    assert.equal((await at("/api/flows?last=-1")).status, 400);
    assert.equal((await at("/api/flows?last=abc")).status, 400);
  } finally {
    await s2.close();
  }
});
