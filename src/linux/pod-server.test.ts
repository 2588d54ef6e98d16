// The pod server's answers to an HTTP fuzz corpus (issue 19), on loopback: every
// malformed request gets a 4xx or its connection closed, a smuggled request is never
// answered, held connections are closed by the head deadline, and another listener of
// the same process answers throughout. Expected statuses follow RFC 9112 (framing, Host)
// and Go's net/http as agnhost runs it (431 for a head too large).
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import type { Listener } from "../ir/types.js";
import { httpFuzzCorpus, sendFuzzCase, type FuzzResult } from "../testing/http-fuzz.js";
import { httpAnswer, serveStream } from "./pod-server.js";
import type { SupervisorPod } from "./supervisor.js";

const listener: Listener = { container: "web", port: 80, protocol: "TCP", address: "0.0.0.0" } as Listener;
const pod = (name: string): SupervisorPod => ({
  namespace: "default",
  name,
  ip: "127.0.0.1",
  node: "worker-1",
  netns: "none",
  listeners: [listener],
});

async function serve(name: string, logs: string[]): Promise<{ srv: net.Server; port: number }> {
  const srv = net.createServer((s) => serveStream(pod(name), listener, s, true, (l) => logs.push(l), 1500));
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  return { srv, port: (srv.address() as net.AddressInfo).port };
}

async function get(port: number, path: string): Promise<FuzzResult> {
  return sendFuzzCase("127.0.0.1", port, {
    name: path,
    cls: "path",
    parts: [Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`)],
  });
}

test("the HTTP fuzz corpus: 4xx or a closed connection, never a crash; the other pod answers throughout", async () => {
  const logs: string[] = [];
  const victim = await serve("victim", logs);
  const other = await serve("bystander", logs);
  try {
    const corpus = httpFuzzCorpus();
    assert.ok(corpus.length >= 100, `${corpus.length} cases`);
    const results = new Map<string, FuzzResult>();
    // Eight at a time; the held ones wait for the server's head deadline (1.5 s here).
    for (let i = 0; i < corpus.length; i += 8) {
      const batch = corpus.slice(i, i + 8);
      const rs = await Promise.all(batch.map((c) => sendFuzzCase("127.0.0.1", victim.port, c, 5000)));
      batch.forEach((c, k) => results.set(c.name, rs[k]));
      const by = await get(other.port, "/hostname");
      assert.equal(by.status, 200, "the other listener answers during the attack");
    }
    for (const c of corpus) {
      const r = results.get(c.name)!;
      assert.notEqual(r.end, "timeout", `${c.name}: the server closed the connection (${JSON.stringify(r)})`);
      if (c.expect !== undefined && !c.reset) assert.equal(r.status, c.expect, `${c.name}: ${r.head}`);
      if (r.status !== undefined && !c.name.startsWith("garbage"))
        assert.ok(r.responses <= 1, `${c.name}: one answer per connection, a smuggled request gets none`);
    }
    // Held heads: answered 408 at the deadline (or closed).
    assert.equal(results.get("partial head held")!.status, 408);
    assert.ok(results.get("partial head held")!.ms >= 1400);
    // The pod server still answers, and named nothing it did not expect.
    assert.equal((await get(victim.port, "/hostname")).status, 200);
    assert.deepEqual(logs, []);
  } finally {
    victim.srv.close();
    other.srv.close();
  }
});

test("the request that crashed the node's pod server (issue 19) gets a 400", async () => {
  const { srv, port } = await serve("web-0", []);
  try {
    const r = await sendFuzzCase("127.0.0.1", port, {
      name: "//[",
      cls: "path",
      parts: [Buffer.from("GET //[ HTTP/1.1\r\nHost: 10.244.1.2\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n")],
    });
    assert.equal(r.head, "HTTP/1.1 400 Bad Request");
    const ok = await get(port, "/hostname");
    assert.equal(ok.status, 200);
  } finally {
    srv.close();
  }
});

test("a plain stream is echoed; HEAD gets no body", async () => {
  const { srv, port } = await serve("web-0", []);
  try {
    const echoed = await new Promise<string>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => s.end("hello\n"));
      let out = "";
      s.on("data", (d) => (out += d));
      s.on("close", () => resolve(out));
    });
    assert.equal(echoed, "hello\n");
    const head = await sendFuzzCase("127.0.0.1", port, {
      name: "HEAD",
      cls: "path",
      parts: [Buffer.from("HEAD /hostname HTTP/1.0\r\n\r\n")],
    });
    assert.equal(head.status, 200);
    assert.match(head.head!, /^HTTP\/1\.1 200 OK/);
  } finally {
    srv.close();
  }
});

test("a 200 names the pod and the Services it backs (header and body); an error names nothing", () => {
  const p = { ...pod("web-0"), services: ["default/web", "default/web-alt"] };
  const a = httpAnswer(p, listener, { address: "10.0.0.9", port: 4242 }, "GET", "/", "1.1", ["Host: x"]);
  assert.equal(a.status, 200);
  assert.deepEqual(a.headers, [
    ["X-Podnet-Pod", "default/web-0"],
    ["X-Podnet-Services", "default/web, default/web-alt"],
  ]);
  const body = JSON.parse(a.body) as { pod: string; services: string[] };
  assert.equal(body.pod, "web-0");
  assert.deepEqual(body.services, ["default/web", "default/web-alt"]);
  const bad = httpAnswer(p, listener, {}, "GET", "/", "1.1", []);
  assert.equal(bad.status, 400);
  assert.equal(bad.headers, undefined);
});
