// Robustness: ≥100,000 random and mutated packets over UDP plus hostile TCP traffic.
// The server must never crash (an uncaught exception would end this process) or hang,
// must answer only with well-formed messages, and must still answer a correct query after.
// A seeded PRNG keeps every run the same.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import net from "node:net";
import dnsPacket from "dns-packet";
import { startDnsServer, type DnsServer } from "./server.js";
import { createZone } from "./zone.js";
import { demoFixture } from "./testing.js";
import { parseQuery, encodeResponse } from "./wire.js";
import { dnsFuzzer } from "../testing/dns-fuzz.js";

const { hostile, randBytes } = dnsFuzzer();

let srv: DnsServer;
let port: number;
before(async () => {
  srv = await startDnsServer({
    zone: createZone(demoFixture(), { ttl: 30, pods: "insecure" }),
    listen: "127.0.0.1:0",
    limits: { tcpReadMs: 500, tcpIdleMs: 500, maxTcpConnections: 64 },
  });
  port = srv.address.port;
});
after(async () => {
  await srv.close();
});

async function correctQueryWorks(): Promise<void> {
  const s = dgram.createSocket("udp4");
  const q = dnsPacket.encode({
    type: "query",
    id: 4242,
    questions: [{ type: "A", name: "auth-service.default.svc.cluster.local" }],
  });
  const r = await new Promise<Buffer>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no answer after fuzzing")), 3000);
    s.on("message", (m) => {
      clearTimeout(t);
      resolve(m);
    });
    s.send(q, port, "127.0.0.1");
  });
  s.close();
  const d = dnsPacket.decode(r);
  assert.equal(d.id, 4242);
  assert.equal((d.answers![0] as any).data, "10.96.12.34");
}

test("200,000 hostile packets through the parser and encoder: never a throw", () => {
  const zone = createZone(demoFixture());
  for (let i = 0; i < 200_000; i++) {
    const p = hostile();
    const r = parseQuery(p);
    if (r.kind === "query") {
      const a = zone.answer({ name: r.q.name, type: r.q.qtype, class: r.q.qclass });
      const out = encodeResponse(
        r.q,
        { rcode: 0, aa: a.aa, ra: a.ra, answers: a.answers, authority: a.authority, additional: a.additional },
        512,
        1232,
      );
      assert.ok(out.length <= 512 || a.answers.length === 0);
    }
  }
});

test("100,000 hostile UDP packets: the server survives, replies are well-formed, then answers", async () => {
  const client = dgram.createSocket("udp4");
  let replies = 0;
  let malformed = 0;
  client.on("message", (m) => {
    replies++;
    if (replies % 50 === 0) {
      try {
        dnsPacket.decode(m);
      } catch {
        malformed++;
      }
    }
    if (m.length < 12 || (m[2] & 0x80) === 0) malformed++;
  });
  await new Promise<void>((r) => client.bind(0, "127.0.0.1", () => r()));
  const N = 100_000;
  // Sender and server share this event loop: pace the sender so the socket buffer never
  // overflows and the server really parses every packet.
  const WINDOW = 32;
  for (let i = 0; i < N; i += WINDOW) {
    await Promise.all(
      Array.from({ length: Math.min(WINDOW, N - i) }, () => {
        const p = hostile();
        return new Promise<void>((res) => client.send(p, port, "127.0.0.1", () => res()));
      }),
    );
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 200));
  client.close();
  assert.ok(srv.stats.udp > 90_000, `server saw ${srv.stats.udp} packets`);
  assert.ok(replies > 1000, `replies ${replies}`);
  assert.equal(malformed, 0);
  await correctQueryWorks();
});

function connect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
    s.on("error", () => {});
    s.once("error", reject);
  });
}

test("TCP: 64 KiB frames, split frames, zero-length frames, half-open and too many connections", async () => {
  // 64 KiB garbage frames, and a frame delivered byte by byte.
  for (let i = 0; i < 20; i++) {
    const s = await connect();
    const body = randBytes(65535);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(65535);
    s.write(Buffer.concat([len, body]));
    s.write(Buffer.concat([len, body.subarray(0, 1000)])); // incomplete second frame
    s.end();
  }
  {
    const s = await connect();
    const q = dnsPacket.streamEncode({
      type: "query",
      id: 77,
      questions: [{ type: "A", name: "auth-service.default.svc.cluster.local" }],
    });
    const got = new Promise<Buffer>((resolve) => s.once("data", (d) => resolve(d)));
    for (const b of q) s.write(Buffer.from([b]));
    const d = await got;
    assert.equal(d.readUInt16BE(2), 77);
    s.destroy();
  }
  {
    const s = await connect();
    const closed = new Promise<void>((r) => s.on("close", () => r()));
    s.write(Buffer.from([0, 0])); // zero-length frame
    await closed;
  }
  // Half-open: connections that send half a length prefix and wait; plus a flood beyond the limit.
  const idle: net.Socket[] = [];
  for (let i = 0; i < 150; i++) {
    try {
      const s = await connect();
      s.write(Buffer.from([0x01]));
      idle.push(s);
    } catch {
      /* refused is fine */
    }
  }
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(srv.stats.tcpRejected + srv.stats.tcpEvicted > 0, "connections beyond the limit are closed");
  // The idle timeout frees the slots.
  await new Promise((r) => setTimeout(r, 900));
  const alive = idle.filter((s) => !s.destroyed && s.readyState === "open").length;
  for (const s of idle) s.destroy();
  assert.ok(alive < 150);
  // TCP still answers, and so does UDP.
  const s = await connect();
  const q = dnsPacket.streamEncode({
    type: "query",
    id: 78,
    questions: [{ type: "A", name: "user-service.default.svc.cluster.local" }],
  });
  const reply = await new Promise<Buffer>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no TCP answer")), 3000);
    let buf = Buffer.alloc(0);
    s.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(t);
        resolve(buf.subarray(2));
      }
    });
    s.write(q);
  });
  s.destroy();
  assert.equal((dnsPacket.decode(reply).answers![0] as any).data, "10.96.20.1");
  await correctQueryWorks();
});
