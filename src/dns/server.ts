// The DNS socket server (I/O edge): UDP and TCP on one port, answering from a Zone.
//
// Robustness: every packet is handled inside try/catch; requests are parsed by wire.ts
// (bounded, never throws); responses are never sent to packets that are themselves
// responses. TCP: at most `maxTcpConnections` at once (extra ones are closed at once),
// an idle timeout, several length-prefixed queries per connection, frames up to 64 KiB,
// and a cap on unread output (a client that never reads is dropped).
// Speed: encoded responses are cached per (lower-case question, flags, size limit);
// a hit copies the cached bytes and patches the ID and the question (for its case).
import dgram from "node:dgram";
import net from "node:net";
import dnsPacket from "dns-packet";
import type { ClusterState } from "../control/state.js";
import { createZone, type Zone, type ZoneOptions, type RR, RCODE, type ZoneAnswer } from "./zone.js";
import { encodeError, encodeQuery, encodeResponse, parseQuery, type ParsedQuery } from "./wire.js";

export interface DnsLimits {
  /** Concurrent TCP connections (CoreDNS/Go has none; a bound keeps memory flat under a flood). */
  maxTcpConnections?: number;
  /** Close TCP connections idle this long (ms). RFC 7766 suggests seconds; CoreDNS uses 10 s read timeouts. */
  tcpIdleMs?: number;
  /** The UDP payload size this server offers and honours with EDNS0 (DNS Flag Day 2020: 1232). */
  udpPayload?: number;
  /** Cached encoded responses (cleared on every zone change). */
  cacheEntries?: number;
  /** Per-upstream timeout when forwarding (ms). */
  forwardTimeoutMs?: number;
  /** Unread TCP output allowed per connection before it is dropped (bytes). */
  maxTcpBacklog?: number;
  /** Forwarded queries in flight (kubeadm's Corefile: forward … { max_concurrent 1000 }); beyond: REFUSED. */
  maxConcurrentForwards?: number;
}

export interface DnsServerOptions {
  zone?: Zone;
  /** Called per query: lets a caller swap zones without telling the server. */
  getZone?: () => Zone;
  /** Zone options used by setState(). */
  zoneOptions?: ZoneOptions;
  /** "127.0.0.1:5353" (port 0: any free port, UDP and TCP share it). */
  listen?: string;
  /** "IP:PORT" resolvers for names outside the zones (CoreDNS's `forward`). */
  upstreams?: string[];
  limits?: DnsLimits;
  onError?: (e: unknown) => void;
}

export interface DnsServer {
  address: { host: string; port: number };
  close(): Promise<void>;
  /** Swap in the zone of a new state atomically (the real network feeds changes here). */
  setState(state: ClusterState): Zone;
  setZone(zone: Zone): void;
  readonly zone: Zone;
  stats: { udp: number; tcp: number; errors: number; dropped: number; tcpRejected: number; cacheHits: number };
}

const DEFAULTS: Required<DnsLimits> = {
  maxTcpConnections: 256,
  tcpIdleMs: 10_000,
  udpPayload: 1232,
  cacheEntries: 20_000,
  forwardTimeoutMs: 2000,
  maxTcpBacklog: 1 << 20,
  maxConcurrentForwards: 1000,
};

function parseHostPort(s: string, defPort: number): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (m) return { host: m[1], port: Number(m[2]) };
  return { host: s, port: defPort };
}

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const limits = { ...DEFAULTS, ...(opts.limits ?? {}) };
  const listen = parseHostPort(opts.listen ?? "127.0.0.1:5353", 53);
  const upstreams = (opts.upstreams ?? []).map((u) => parseHostPort(u, 53));
  const onError = opts.onError ?? (() => {});
  let current: Zone | undefined = opts.zone;
  if (!current && !opts.getZone) throw new Error("startDnsServer: give zone or getZone");
  const cache = new Map<string, Buffer>();
  let cachedFor: Zone | undefined;
  const stats = { udp: 0, tcp: 0, errors: 0, dropped: 0, tcpRejected: 0, cacheHits: 0 };
  let inFlight = 0;

  const zoneNow = (): Zone => {
    const z = opts.getZone ? opts.getZone() : current!;
    if (z !== cachedFor) {
      cache.clear();
      cachedFor = z;
    }
    return z;
  };

  /** Handles one request; `reply` may be called later (forwarding) or never (dropped). */
  function handle(msg: Buffer, tcp: boolean, reply: (b: Buffer) => void): void {
    let pq: ReturnType<typeof parseQuery>;
    try {
      pq = parseQuery(msg);
    } catch (e) {
      stats.errors++;
      onError(e);
      return;
    }
    if (pq.kind === "drop") {
      stats.dropped++;
      return;
    }
    if (pq.kind === "error") {
      reply(encodeError(pq.id, pq.opcode, pq.rd, pq.rcode, pq.q));
      return;
    }
    const q = pq.q;
    try {
      const limit = tcp ? 65535 : q.edns ? Math.max(512, Math.min(q.edns.udpSize, limits.udpPayload)) : 512;
      const zone = zoneNow();
      const key =
        q.qCompressed || q.odd
          ? undefined
          : `${q.lname}|${q.qtype}|${q.qclass}|${q.rd ? 1 : 0}${q.cd ? 1 : 0}|${q.edns ? (q.edns.do ? "D" : "E") : "-"}|${limit}`;
      if (key !== undefined) {
        const hit = cache.get(key);
        if (hit) {
          stats.cacheHits++;
          const out = Buffer.allocUnsafe(hit.length);
          hit.copy(out);
          out.writeUInt16BE(q.id, 0);
          // The question with the client's case (same length: same labels).
          msg.copy(out, 12, 12, q.qEnd - 4);
          reply(out);
          return;
        }
      }
      const a = zone.answer(
        { name: q.odd ? `\\odd.${q.name}` : q.name, type: q.qtype, class: q.qclass },
        { forward: upstreams.length > 0 },
      );
      if (a.forward) {
        if (inFlight >= limits.maxConcurrentForwards) {
          reply(encodeError(q.id, 0, q.rd, RCODE.REFUSED, q));
          return;
        }
        inFlight++;
        forward(msg, q, tcp)
          .finally(() => inFlight--)
          .then(
            (b) => reply(b ?? encodeError(q.id, 0, q.rd, RCODE.SERVFAIL, q)),
            (e) => {
              stats.errors++;
              onError(e);
              reply(encodeError(q.id, 0, q.rd, RCODE.SERVFAIL, q));
            },
          );
        return;
      }
      if (a.chase && inFlight < limits.maxConcurrentForwards) {
        const chase = a.chase;
        inFlight++;
        lookupUpstream(chase.name, chase.type)
          .finally(() => inFlight--)
          .then(
            (extra) => reply(encode(q, { ...a, answers: [...a.answers, ...extra] }, limit)),
            () => reply(encode(q, a, limit)),
          );
        return;
      }
      const out = encode(q, a, limit);
      if (key !== undefined && !a.chase) {
        if (cache.size >= limits.cacheEntries) cache.clear();
        cache.set(key, out);
      }
      reply(out);
    } catch (e) {
      stats.errors++;
      onError(e);
      reply(encodeError(q.id, 0, q.rd, RCODE.SERVFAIL, q));
    }
  }

  function encode(q: ParsedQuery, a: ZoneAnswer, limit: number): Buffer {
    return encodeResponse(
      q,
      {
        rcode: RCODE[a.rcode],
        aa: a.aa,
        ra: a.ra,
        answers: a.answers,
        authority: a.authority,
        additional: a.additional,
      },
      limit,
      limits.udpPayload,
    );
  }

  // --- forwarding (CoreDNS `forward . <upstreams>`) -------------------------------------
  function udpExchange(query: Buffer, up: { host: string; port: number }): Promise<Buffer | null> {
    return new Promise((resolve) => {
      const s = dgram.createSocket(net.isIPv6(up.host) ? "udp6" : "udp4");
      const id = query.readUInt16BE(0);
      const done = (b: Buffer | null) => {
        clearTimeout(t);
        try {
          s.close();
        } catch {
          /* already closed */
        }
        resolve(b);
      };
      const t = setTimeout(() => done(null), limits.forwardTimeoutMs);
      s.on("error", () => done(null));
      s.on("message", (m) => {
        if (m.length >= 12 && m.readUInt16BE(0) === id && (m[2] & 0x80) !== 0) done(m);
      });
      s.send(query, up.port, up.host, (err) => {
        if (err) done(null);
      });
    });
  }
  function tcpExchange(query: Buffer, up: { host: string; port: number }): Promise<Buffer | null> {
    return new Promise((resolve) => {
      const s = net.connect(up.port, up.host);
      let buf = Buffer.alloc(0);
      const done = (b: Buffer | null) => {
        clearTimeout(t);
        s.destroy();
        resolve(b);
      };
      const t = setTimeout(() => done(null), limits.forwardTimeoutMs);
      s.on("error", () => done(null));
      s.on("connect", () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length);
        s.write(Buffer.concat([len, query]));
      });
      s.on("data", (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      });
    });
  }
  async function forward(msg: Buffer, q: ParsedQuery, tcp: boolean): Promise<Buffer | null> {
    for (const up of upstreams) {
      let r = await udpExchange(msg, up);
      if (r && tcp && (r[2] & 0x02) !== 0) r = (await tcpExchange(msg, up)) ?? r;
      if (r) return r;
    }
    void q;
    return null;
  }
  /** An ExternalName's outside target, resolved upstream (CoreDNS's Upstream.Lookup). */
  async function lookupUpstream(name: string, qtype: number): Promise<RR[]> {
    const id = (Math.random() * 0xffff) | 0;
    for (const up of upstreams) {
      const r = await udpExchange(encodeQuery(id, name, qtype, { edns: 1232 }), up);
      if (!r) continue;
      const d = dnsPacket.decode(r);
      const out: RR[] = [];
      for (const a of d.answers ?? []) {
        if (a.type === "A" || a.type === "AAAA" || a.type === "CNAME")
          out.push({ name: a.name, type: a.type, ttl: a.ttl ?? 0, data: String(a.data) });
      }
      return out;
    }
    return [];
  }

  // --- UDP ------------------------------------------------------------------------------
  // Replies go to rinfo.address, always an IP literal: skip dgram's per-send dns.lookup
  // (a regexp and a nextTick per packet, a measurable share of the per-query cost).
  const literal = (
    address: string,
    _family: unknown,
    cb: (err: Error | null, address: string, family: number) => void,
  ) => cb(null, address, address.includes(":") ? 6 : 4);
  const udp = dgram.createSocket({
    type: net.isIPv6(listen.host) ? "udp6" : "udp4",
    reuseAddr: false,
    lookup: literal as unknown as dgram.SocketOptions["lookup"],
  });
  udp.on("error", (e) => {
    stats.errors++;
    onError(e);
  });
  udp.on("message", (m, rinfo) => {
    stats.udp++;
    // No per-send callback: send errors surface as 'error' events (counted above).
    handle(m, false, (b) => udp.send(b, rinfo.port, rinfo.address));
  });
  await new Promise<void>((resolve, reject) => {
    udp.once("error", reject);
    udp.bind(listen.port, listen.host, () => {
      udp.off("error", reject);
      resolve();
    });
  });
  const port = udp.address().port;

  // --- TCP ------------------------------------------------------------------------------
  const conns = new Set<net.Socket>();
  const tcp = net.createServer({ noDelay: true }, (sock) => {
    if (conns.size >= limits.maxTcpConnections) {
      stats.tcpRejected++;
      sock.destroy();
      return;
    }
    conns.add(sock);
    sock.setTimeout(limits.tcpIdleMs, () => sock.destroy());
    sock.on("error", () => {});
    sock.on("close", () => conns.delete(sock));
    let pending: Buffer = Buffer.alloc(0);
    sock.on("data", (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (len === 0) {
          // Nothing valid is 0 bytes long: a broken client, drop it.
          sock.destroy();
          return;
        }
        if (pending.length < 2 + len) break;
        const frame = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        stats.tcp++;
        handle(frame, true, (b) => {
          if (sock.destroyed) return;
          if (sock.writableLength > limits.maxTcpBacklog) {
            sock.destroy();
            return;
          }
          const out = Buffer.allocUnsafe(b.length + 2);
          out.writeUInt16BE(b.length, 0);
          b.copy(out, 2);
          sock.write(out);
        });
      }
      // Copy a small remainder so a huge chunk is not kept alive by a subarray.
      if (pending.length > 0 && pending.buffer.byteLength > 4 * pending.length + 4096) pending = Buffer.from(pending);
    });
  });
  tcp.on("error", (e) => {
    stats.errors++;
    onError(e);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once("error", reject);
      tcp.listen(port, listen.host, () => {
        tcp.off("error", reject);
        resolve();
      });
    });
  } catch (e) {
    udp.close();
    throw e;
  }

  return {
    address: { host: listen.host, port },
    stats,
    get zone() {
      return zoneNow();
    },
    setZone(z: Zone) {
      current = z;
    },
    setState(state: ClusterState): Zone {
      const prev = current;
      const computed = (state.clock >>> 0) + 1;
      // The serial only grows, so secondaries and caches see every change as newer.
      const serial = opts.zoneOptions?.serial ?? (prev && computed <= prev.serial ? prev.serial + 1 : computed);
      const z = createZone(state, { ...(opts.zoneOptions ?? {}), serial });
      current = z;
      return z;
    },
    close: async () => {
      for (const c of conns) c.destroy();
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        new Promise<void>((r) => tcp.close(() => r())),
      ]);
    },
  };
}
