// The attacker of the chaos tests and `npm run bench:chaos`, run inside a pod's network
// namespace (`ip netns exec POD-NS node chaos-client.js JSON`); prints one JSON line.
// Modes (bounded in count and time, and only toward the cluster's own addresses):
//   http     the HTTP fuzz corpus (http-fuzz.ts) round-robin over TCP targets, random
//            datagrams to UDP targets: {targets, cases, concurrency, heldMs}
//   slowdns  `clients` TCP connections to host:port each dripping a byte a second and
//            reconnecting when closed, for `seconds`: {host, port, clients, seconds}
//   dnsprobe an A query every `intervalMs`, UDP and TCP alternately, with latencies:
//            {host, port, name, seconds, intervalMs}
//   dnsfuzz  `packets` hostile DNS messages (dns-fuzz.ts) over UDP, paced `window` at a time,
//            then `tcp` connections each carrying a few hostile frames:
//            {host, port, packets, window, tcp, seed}
import dgram from "node:dgram";
import net from "node:net";
import dnsPacket from "dns-packet";
import { dnsFuzzer } from "./dns-fuzz.js";
import { httpFuzzCorpus, sendFuzzCase } from "./http-fuzz.js";
import { mulberry32 } from "./random.js";

interface Target {
  host: string;
  port: number;
  proto: "tcp" | "udp";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Set when the starter closes our stdin ({"untilStdinEnds": true}): timed modes stop early. */
let stopped = false;
const running = (until: number) => !stopped && Date.now() < until;

async function http(o: { targets: Target[]; cases: number; concurrency?: number; heldMs?: number }) {
  const corpus = httpFuzzCorpus();
  const r = mulberry32(7);
  const out = {
    sent: 0,
    answered: 0,
    closed: 0,
    timeout: 0,
    error: 0,
    statuses: {} as Record<string, number>,
    /** The first cases that were not closed in time or failed, with their target. */
    notClosed: [] as string[],
  };
  const jobs: (() => Promise<void>)[] = [];
  for (let i = 0; i < o.cases; i++) {
    const t = o.targets[i % o.targets.length];
    const c = corpus[i % corpus.length];
    jobs.push(async () => {
      out.sent++;
      if (t.proto === "udp") {
        const s = dgram.createSocket("udp4");
        const n = 1 + Math.floor(r() * 1200);
        const buf = Buffer.alloc(n);
        for (let k = 0; k < n; k++) buf[k] = Math.floor(r() * 256);
        await new Promise<void>((res) =>
          s.send(i % 2 ? buf : Buffer.concat(c.parts).subarray(0, 1400), t.port, t.host, () => res()),
        );
        await sleep(5);
        s.close();
        out.closed++;
        return;
      }
      const res = await sendFuzzCase(t.host, t.port, c, c.hold ? (o.heldMs ?? 12_000) : 4000);
      out[res.end]++;
      if (res.end !== "closed" && out.notClosed.length < 10)
        out.notClosed.push(
          `${c.name} → ${t.host}:${t.port} (${res.end} after ${Math.round(res.ms)} ms, ${res.bytes} bytes back)`,
        );
      if (res.status !== undefined) {
        out.answered++;
        out.statuses[res.status] = (out.statuses[res.status] ?? 0) + 1;
      }
    });
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: o.concurrency ?? 16 }, async () => {
      while (next < jobs.length) await jobs[next++]();
    }),
  );
  return out;
}

/** A reply is well-formed when it decodes and has QR set (a query echoed back would not). */
function wellFormed(m: Buffer): boolean {
  if (m.length < 12 || (m[2] & 0x80) === 0) return false;
  try {
    dnsPacket.decode(m);
    return true;
  } catch {
    return false;
  }
}

async function dnsfuzz(o: {
  host: string;
  port: number;
  packets: number;
  window?: number;
  tcp?: number;
  seed?: number;
}) {
  const fz = dnsFuzzer(o.seed);
  const out = { sent: 0, replies: 0, malformed: 0, tcpConnections: 0, tcpReplies: 0, tcpMalformed: 0, tcpRefused: 0 };
  const s = dgram.createSocket("udp4");
  s.on("message", (m) => {
    out.replies++;
    if (!wellFormed(m)) out.malformed++;
  });
  await new Promise<void>((r) => s.bind(0, () => r()));
  const win = o.window ?? 32;
  for (let i = 0; i < o.packets && !stopped; i += win) {
    const n = Math.min(win, o.packets - i);
    await Promise.all(
      Array.from({ length: n }, () => new Promise<void>((res) => s.send(fz.hostile(), o.port, o.host, () => res()))),
    );
    out.sent += n;
    // Leave the server room: a flood the socket buffer drops tests nothing.
    await sleep(1);
  }
  await sleep(500);
  s.close();
  for (let c = 0; c < (o.tcp ?? 0); c++) {
    const sock = net.connect({ host: o.host, port: o.port });
    const ok = await new Promise<boolean>((res) => {
      sock.once("connect", () => res(true));
      sock.once("error", () => res(false));
    });
    if (!ok) {
      out.tcpRefused++;
      continue;
    }
    out.tcpConnections++;
    let buf = Buffer.alloc(0);
    sock.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const m = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + m.length);
        out.tcpReplies++;
        if (!wellFormed(m)) out.tcpMalformed++;
      }
    });
    sock.on("error", () => {});
    for (let k = 0; k < 4; k++) {
      const m = fz.hostile();
      const len = Buffer.alloc(2);
      len.writeUInt16BE(m.length);
      sock.write(Buffer.concat([len, m]));
    }
    await new Promise<void>((res) => {
      const t = setTimeout(res, 300);
      sock.once("close", () => {
        clearTimeout(t);
        res();
      });
    });
    sock.destroy();
  }
  return out;
}

async function slowdns(o: { host: string; port: number; clients: number; seconds: number }) {
  const until = Date.now() + o.seconds * 1000;
  const out = { connections: 0, closedByServer: 0, refused: 0 };
  const slot = async () => {
    while (running(until)) {
      const s = net.connect({ host: o.host, port: o.port });
      s.on("error", () => {});
      const ok = await new Promise<boolean>((res) => {
        s.once("connect", () => res(true));
        s.once("error", () => res(false));
      });
      if (!ok) {
        out.refused++;
        await sleep(200);
        continue;
      }
      out.connections++;
      // The first length byte at once, then one byte a second: never a whole query.
      s.write(Buffer.from([0x01]));
      const drip = setInterval(() => s.writable && s.write(Buffer.from([0x41])), 1000);
      const byServer = await new Promise<boolean>((res) => {
        const t = setInterval(() => !running(until) && res(false), 100);
        s.once("close", () => {
          clearInterval(t);
          res(true);
        });
      });
      clearInterval(drip);
      s.destroy();
      if (byServer) out.closedByServer++;
      await sleep(50);
    }
  };
  await Promise.all(Array.from({ length: o.clients }, slot));
  return out;
}

function query(name: string, id: number) {
  return dnsPacket.encode({ type: "query", id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: "A", name }] });
}

function udpAsk(host: string, port: number, name: string, id: number, timeoutMs: number): Promise<number | null> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s = dgram.createSocket("udp4");
    const t = setTimeout(() => {
      s.close();
      resolve(null);
    }, timeoutMs);
    s.on("message", (m) => {
      if (m.readUInt16BE(0) !== id) return;
      clearTimeout(t);
      s.close();
      resolve(performance.now() - t0);
    });
    s.send(query(name, id), port, host);
  });
}

function tcpAsk(host: string, port: number, name: string, id: number, timeoutMs: number): Promise<number | null> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    const done = (v: number | null) => {
      clearTimeout(t);
      s.destroy();
      resolve(v);
    };
    const t = setTimeout(() => done(null), timeoutMs);
    s.on("error", () => done(null));
    s.on("close", () => done(null));
    s.on("connect", () => {
      const q = query(name, id);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(q.length);
      s.write(Buffer.concat([len, q]));
    });
    s.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(performance.now() - t0);
    });
  });
}

function stats(xs: (number | null)[]) {
  const ok = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
  const q = (p: number) =>
    ok.length ? Number(ok[Math.min(ok.length - 1, Math.floor(p * ok.length))].toFixed(2)) : null;
  return {
    n: xs.length,
    failed: xs.length - ok.length,
    p50: q(0.5),
    p99: q(0.99),
    max: ok.length ? Number(ok[ok.length - 1].toFixed(2)) : null,
  };
}

async function dnsprobe(o: { host: string; port: number; name: string; seconds: number; intervalMs?: number }) {
  const until = Date.now() + o.seconds * 1000;
  const udp: (number | null)[] = [];
  const tcp: (number | null)[] = [];
  let id = 1;
  while (running(until)) {
    id = (id + 1) & 0xffff;
    if (id % 2) udp.push(await udpAsk(o.host, o.port, o.name, id, 2000));
    else tcp.push(await tcpAsk(o.host, o.port, o.name, id, 2000));
    await sleep(o.intervalMs ?? 20);
  }
  return { udp: stats(udp), tcp: stats(tcp) };
}

const arg = JSON.parse(process.argv[2] ?? "{}");
const modes: Record<string, (o: never) => Promise<unknown>> = { http, slowdns, dnsprobe, dnsfuzz };
const run = modes[arg.mode];
if (!run) {
  process.stderr.write(`chaos-client: unknown mode ${arg.mode}\n`);
  process.exit(2);
}
if (arg.untilStdinEnds) {
  process.stdin.on("data", () => {});
  process.stdin.on("end", () => (stopped = true));
  process.stdin.on("close", () => (stopped = true));
}
// A hard stop: whatever happens, this process ends.
setTimeout(() => process.exit(3), (arg.maxSeconds ?? 300) * 1000).unref();
run(arg as never).then(
  (r) => {
    process.stdout.write(JSON.stringify(r) + "\n");
    process.exit(0);
  },
  (e) => {
    process.stderr.write(`chaos-client: ${e?.stack ?? e}\n`);
    process.exit(1);
  },
);
