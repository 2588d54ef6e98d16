// DNS over TCP under slow clients (issue 19): a read deadline that dripped bytes do not
// extend, a cap per client address, and the idlest connection closed to make room, so
// that a pool held by drippers still answers a new client. The deadlines are CoreDNS's
// (coredns/coredns core/dnsserver/server.go: read 3 s, idle 10 s), run on loopback.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import dnsPacket from "dns-packet";
import { startDnsServer, type DnsServer } from "./server.js";
import { createZone } from "./zone.js";
import { demoFixture } from "./testing.js";

let srv: DnsServer;
let port: number;
before(async () => {
  srv = await startDnsServer({ zone: createZone(demoFixture()), listen: "127.0.0.1:0" });
  port = srv.address.port;
});
after(async () => {
  await srv.close();
});

function connect(from: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1", localAddress: from }, () => resolve(s));
    s.on("error", () => {});
    s.once("error", reject);
  });
}

const closed = (s: net.Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once("close", () => r())));

/** One query over a new TCP connection from `from`: the answer's A record and how long it took. */
async function askTcp(from: string, id: number): Promise<{ ms: number; data: string }> {
  const t0 = performance.now();
  const s = await connect(from);
  try {
    s.write(
      dnsPacket.streamEncode({
        type: "query",
        id,
        questions: [{ type: "A", name: "user-service.default.svc.cluster.local" }],
      }),
    );
    const buf = await new Promise<Buffer>((resolve, reject) => {
      let b = Buffer.alloc(0);
      s.on("data", (d) => {
        b = Buffer.concat([b, d]);
        if (b.length >= 2 && b.length >= 2 + b.readUInt16BE(0)) resolve(b.subarray(2, 2 + b.readUInt16BE(0)));
      });
      s.once("close", () => reject(new Error(`TCP client ${from} closed without an answer`)));
    });
    const d = dnsPacket.decode(buf);
    assert.equal(d.id, id);
    return { ms: performance.now() - t0, data: String((d.answers?.[0] as { data?: unknown })?.data) };
  } finally {
    s.destroy();
  }
}

test("a dripped byte does not extend the read deadline", async () => {
  const s = await connect("127.0.0.9");
  const t0 = performance.now();
  const drip = setInterval(() => s.writable && s.write(Buffer.from([0x7f])), 200);
  await closed(s);
  clearInterval(drip);
  const ms = performance.now() - t0;
  // Read deadline 3 s from accept, whatever arrives meanwhile (the old idle timer never fired).
  assert.ok(ms >= 2900 && ms < 4500, `closed after ${Math.round(ms)} ms`);
  assert.ok(srv.stats.tcpTimedOut >= 1);
});

test("one client address holds at most 64 connections: a 65th replaces its idlest", async () => {
  const mine: net.Socket[] = [];
  for (let i = 0; i < 64; i++) {
    mine.push(await connect("127.0.0.10"));
    await new Promise((r) => setTimeout(r, 2));
  }
  const evicted = srv.stats.tcpEvicted;
  assert.equal((await askTcp("127.0.0.10", 6)).data, "10.96.20.1");
  await closed(mine[0]);
  assert.equal(srv.stats.tcpEvicted, evicted + 1);
  assert.ok(
    mine.slice(1).every((s) => !s.destroyed),
    "only the oldest one went",
  );
  // Another address is not affected.
  assert.equal((await askTcp("127.0.0.11", 7)).data, "10.96.20.1");
  for (const s of mine) s.destroy();
});

test("256 slots dripping a byte every second: a new TCP client is answered within a second", async () => {
  // The attack: every slot of the pool (256, from 4 addresses at the per-client cap of
  // 64), each connection sending one byte a second and reconnecting when it is closed.
  const attackers = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"];
  let stop = false;
  const open = new Set<net.Socket>();
  const slot = async (from: string): Promise<void> => {
    while (!stop) {
      let s: net.Socket;
      try {
        s = await connect(from);
      } catch {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      open.add(s);
      const drip = setInterval(() => s.writable && s.write(Buffer.from([0x01])), 1000);
      await closed(s);
      clearInterval(drip);
      open.delete(s);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const slots = attackers.flatMap((a) => Array.from({ length: 64 }, () => slot(a)));
  try {
    // Wait until the pool is full of drippers.
    for (let i = 0; i < 100 && open.size < 256; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(open.size, 256, "the pool is full of dripping clients");
    const times: number[] = [];
    // Before, at and after the drippers' read deadline (3 s): churn does not matter.
    for (let k = 0; k < 6; k++) {
      const r = await askTcp("127.0.0.1", 1000 + k);
      assert.equal(r.data, "10.96.20.1");
      times.push(r.ms);
      await new Promise((r) => setTimeout(r, 700));
    }
    assert.ok(Math.max(...times) < 1000, `answer times ${times.map((t) => Math.round(t)).join(", ")} ms`);
    assert.ok(srv.stats.tcpEvicted >= 6, "an idle dripper made room each time");
  } finally {
    stop = true;
    for (const s of open) s.destroy();
    await Promise.all(slots);
  }
});
