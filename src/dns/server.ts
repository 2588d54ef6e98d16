// The DNS socket server (I/O edge): UDP and TCP on one port, answering from a Zone.
//
// Robustness: every packet is handled inside try/catch; requests are parsed by wire.ts
// (bounded, never throws); responses are never sent to packets that are themselves
// responses. TCP as CoreDNS serves it through miekg/dns: a read deadline per query that
// incoming bytes do not extend (a client dripping bytes loses its slot), several
// length-prefixed queries per connection, frames up to 64 KiB, a cap on unread output (a
// client that never reads is dropped); and, as CoreDNS has no bound of its own, a pool of
// `maxTcpConnections` with a cap per client address, where the idlest connection (of that
// client when it is at its cap) is closed to make room for a new one: a flood of slow
// clients cannot lock others out.
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
  /** Concurrent TCP connections from one client address; a new one beyond it replaces that client's idlest. */
  maxTcpPerClient?: number;
  /**
   * Deadline for a connection's first query, whole, from accept (ms); bytes do not extend it.
   * CoreDNS: readTimeout 3 s (coredns/coredns core/dnsserver/server.go); miekg/dns's own
   * default is 2 s (server.go ReadTimeout, dnsTimeout in client.go).
   */
  tcpReadMs?: number;
  /**
   * Deadline for each later query on the connection, from the previous one (ms). CoreDNS:
   * idleTimeout 10 s (core/dnsserver/server.go); miekg/dns: tcpIdleTimeout 8 s (RFC 7766 §6.2.3).
   */
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
  /**
   * How long a forwarded query may take in all before SERVFAIL (ms): CoreDNS's forward
   * plugin tries its upstreams until defaultTimeout, 5 s (coredns/coredns
   * plugin/forward/forward.go), then answers SERVFAIL.
   */
  forwardDeadlineMs?: number;
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
  /**
   * The upstream does not answer (fault dns-upstream-down): a name outside the zones gets
   * SERVFAIL after forwardDeadlineMs, as CoreDNS's forward plugin gives with every upstream
   * silent; the zones still answer. setState() takes it from the state's faults.
   */
  upstreamDown?: boolean;
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
  stats: {
    udp: number;
    tcp: number;
    errors: number;
    dropped: number;
    /** New TCP connections closed at once (no idle connection to make room). */
    tcpRejected: number;
    /** Idle TCP connections closed to make room for a new one. */
    tcpEvicted: number;
    /** TCP connections closed by the read/idle deadline. */
    tcpTimedOut: number;
    cacheHits: number;
  };
}

const DEFAULTS: Required<DnsLimits> = {
  maxTcpConnections: 256,
  maxTcpPerClient: 64,
  tcpReadMs: 3_000,
  tcpIdleMs: 10_000,
  udpPayload: 1232,
  cacheEntries: 20_000,
  forwardTimeoutMs: 2000,
  maxTcpBacklog: 1 << 20,
  maxConcurrentForwards: 1000,
  forwardDeadlineMs: 5000,
};

/** The state's faults stop the upstream CoreDNS forwards to (dns-upstream-down). */
export const upstreamDownIn = (state: ClusterState): boolean =>
  (state.config.faults ?? []).some((f) => f.kind === "dns-upstream-down");

function parseHostPort(s: string, defPort: number): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (m) return { host: m[1], port: Number(m[2]) };
  return { host: s, port: defPort };
}

/** What the query path shares: settings, the zone in use, the response cache, counters. */
interface ServerCore {
  limits: Required<DnsLimits>;
  upstreams: { host: string; port: number }[];
  onError: (e: unknown) => void;
  getZone?: () => Zone;
  /** The zone set by setZone/setState (when no getZone). */
  current: Zone | undefined;
  cache: Map<string, Buffer>;
  /** The zone the cache was filled from. */
  cachedFor: Zone | undefined;
  stats: DnsServer["stats"];
  /** Forwarded and chased queries in flight. */
  inFlight: number;
  /** The upstream is silent (dns-upstream-down): outside names wait, then SERVFAIL. */
  upstreamDown: boolean;
  /** Those waits, cleared by close(). */
  silent: Set<ReturnType<typeof setTimeout>>;
}

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const listen = parseHostPort(opts.listen ?? "127.0.0.1:5353", 53);
  const core: ServerCore = {
    limits: { ...DEFAULTS, ...(opts.limits ?? {}) },
    upstreams: (opts.upstreams ?? []).map((u) => parseHostPort(u, 53)),
    onError: opts.onError ?? (() => {}),
    getZone: opts.getZone,
    current: opts.zone,
    cache: new Map(),
    cachedFor: undefined,
    stats: { udp: 0, tcp: 0, errors: 0, dropped: 0, tcpRejected: 0, tcpEvicted: 0, tcpTimedOut: 0, cacheHits: 0 },
    inFlight: 0,
    upstreamDown: opts.upstreamDown ?? false,
    silent: new Set(),
  };
  if (!core.current && !opts.getZone) throw new Error("startDnsServer: give zone or getZone");

  const conns: TcpPool = { all: new Map(), perClient: new Map() };
  const tcp = net.createServer({ noDelay: true }, (sock) => tcpConnection(core, conns, sock));
  const { udp, port } = await bindBoth(core, tcp, listen);
  // Counted from here: a port tried and given up while binding is no error of the server's.
  tcp.on("error", (e) => {
    core.stats.errors++;
    core.onError(e);
  });

  return {
    address: { host: listen.host, port },
    stats: core.stats,
    get zone() {
      return zoneNow(core);
    },
    setZone(z: Zone) {
      core.current = z;
    },
    setState(state: ClusterState): Zone {
      const prev = core.current;
      const computed = (state.clock >>> 0) + 1;
      // The serial only grows, so secondaries and caches see every change as newer.
      const serial = opts.zoneOptions?.serial ?? (prev && computed <= prev.serial ? prev.serial + 1 : computed);
      const z = createZone(state, { ...(opts.zoneOptions ?? {}), serial });
      // Zone and upstream together: no query sees one without the other.
      core.upstreamDown = upstreamDownIn(state);
      core.current = z;
      return z;
    },
    close: async () => {
      for (const t of core.silent) clearTimeout(t);
      core.silent.clear();
      for (const c of conns.all.keys()) c.destroy();
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        new Promise<void>((r) => tcp.close(() => r())),
      ]);
    },
  };
}

/** The zone to answer from; a new zone empties the response cache. */
function zoneNow(core: ServerCore): Zone {
  const z = core.getZone ? core.getZone() : core.current!;
  if (z !== core.cachedFor) {
    core.cache.clear();
    core.cachedFor = z;
  }
  return z;
}

/**
 * Handles one request; `reply` may be called later (forwarding) or never (dropped).
 * Returns true when the reply comes later (TCP keeps such a connection from eviction).
 */
function handle(core: ServerCore, msg: Buffer, tcp: boolean, reply: (b: Buffer) => void): boolean {
  const { stats, limits } = core;
  let pq: ReturnType<typeof parseQuery>;
  try {
    pq = parseQuery(msg);
  } catch (e) {
    stats.errors++;
    core.onError(e);
    return false;
  }
  if (pq.kind === "drop") {
    stats.dropped++;
    return false;
  }
  if (pq.kind === "error") {
    reply(encodeError(pq.id, pq.opcode, pq.rd, pq.rcode, pq.q));
    return false;
  }
  const q = pq.q;
  try {
    const limit = tcp ? 65535 : q.edns ? Math.max(512, Math.min(q.edns.udpSize, limits.udpPayload)) : 512;
    const zone = zoneNow(core);
    if (core.upstreamDown && !zone.inZone(q.name)) {
      silentUpstream(core, q, reply);
      return true;
    }
    const key = cacheKey(q, limit);
    if (key !== undefined && replyFromCache(core, key, msg, q, reply)) return false;
    const a = zone.answer(
      { name: q.odd ? `\\odd.${q.name}` : q.name, type: q.qtype, class: q.qclass },
      { forward: core.upstreams.length > 0 },
    );
    if (a.forward) {
      forwardAndReply(core, msg, q, tcp, reply);
      return true;
    }
    if (a.chase && core.inFlight < limits.maxConcurrentForwards) {
      chaseAndReply(core, q, a, a.chase, limit, reply);
      return true;
    }
    const out = encode(core, q, a, limit);
    if (key !== undefined && !a.chase) {
      if (core.cache.size >= limits.cacheEntries) core.cache.clear();
      core.cache.set(key, out);
    }
    reply(out);
  } catch (e) {
    stats.errors++;
    core.onError(e);
    reply(encodeError(q.id, 0, q.rd, RCODE.SERVFAIL, q));
  }
  return false;
}

/** Cache key: lower-case question, flags, EDNS and the size limit; none for odd or compressed questions. */
function cacheKey(q: ParsedQuery, limit: number): string | undefined {
  return q.qCompressed || q.odd
    ? undefined
    : `${q.lname}|${q.qtype}|${q.qclass}|${q.rd ? 1 : 0}${q.cd ? 1 : 0}|${q.edns ? (q.edns.do ? "D" : "E") : "-"}|${limit}`;
}

/** A cache hit: the cached bytes with this query's ID and question case. */
function replyFromCache(
  core: ServerCore,
  key: string,
  msg: Buffer,
  q: ParsedQuery,
  reply: (b: Buffer) => void,
): boolean {
  const hit = core.cache.get(key);
  if (!hit) return false;
  core.stats.cacheHits++;
  const out = Buffer.allocUnsafe(hit.length);
  hit.copy(out);
  out.writeUInt16BE(q.id, 0);
  // The question with the client's case (same length: same labels).
  msg.copy(out, 12, 12, q.qEnd - 4);
  reply(out);
  return true;
}

/** A name outside the zones while the upstream is silent: SERVFAIL once the forward plugin gives up. */
function silentUpstream(core: ServerCore, q: ParsedQuery, reply: (b: Buffer) => void) {
  if (core.inFlight >= core.limits.maxConcurrentForwards) {
    reply(encodeError(q.id, 0, q.rd, RCODE.REFUSED, q));
    return;
  }
  core.inFlight++;
  const t = setTimeout(() => {
    core.silent.delete(t);
    core.inFlight--;
    reply(encodeError(q.id, 0, q.rd, RCODE.SERVFAIL, q));
  }, core.limits.forwardDeadlineMs);
  core.silent.add(t);
}

/** A name outside the zones: the upstreams' answer as is, SERVFAIL when none answers. */
function forwardAndReply(core: ServerCore, msg: Buffer, q: ParsedQuery, tcp: boolean, reply: (b: Buffer) => void) {
  if (core.inFlight >= core.limits.maxConcurrentForwards) {
    reply(encodeError(q.id, 0, q.rd, RCODE.REFUSED, q));
    return;
  }
  core.inFlight++;
  forward(core, msg, tcp)
    .finally(() => core.inFlight--)
    .then(
      (b) => reply(b ?? encodeError(q.id, 0, q.rd, RCODE.SERVFAIL, q)),
      (e) => {
        core.stats.errors++;
        core.onError(e);
        reply(encodeError(q.id, 0, q.rd, RCODE.SERVFAIL, q));
      },
    );
}

/** An ExternalName pointing outside: the zone's answer plus the upstream's records for the target. */
function chaseAndReply(
  core: ServerCore,
  q: ParsedQuery,
  a: ZoneAnswer,
  chase: NonNullable<ZoneAnswer["chase"]>,
  limit: number,
  reply: (b: Buffer) => void,
) {
  core.inFlight++;
  lookupUpstream(core, chase.name, chase.type)
    .finally(() => core.inFlight--)
    .then(
      (extra) => reply(encode(core, q, { ...a, answers: [...a.answers, ...extra] }, limit)),
      () => reply(encode(core, q, a, limit)),
    );
}

function encode(core: ServerCore, q: ParsedQuery, a: ZoneAnswer, limit: number): Buffer {
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
    core.limits.udpPayload,
  );
}

// --- forwarding (CoreDNS `forward . <upstreams>`) -------------------------------------
function udpExchange(query: Buffer, up: { host: string; port: number }, timeoutMs: number): Promise<Buffer | null> {
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
    const t = setTimeout(() => done(null), timeoutMs);
    s.on("error", () => done(null));
    s.on("message", (m) => {
      if (m.length >= 12 && m.readUInt16BE(0) === id && (m[2] & 0x80) !== 0) done(m);
    });
    s.send(query, up.port, up.host, (err) => {
      if (err) done(null);
    });
  });
}

function tcpExchange(query: Buffer, up: { host: string; port: number }, timeoutMs: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const s = net.connect(up.port, up.host);
    let buf = Buffer.alloc(0);
    const done = (b: Buffer | null) => {
      clearTimeout(t);
      s.destroy();
      resolve(b);
    };
    const t = setTimeout(() => done(null), timeoutMs);
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

/** The first upstream that answers; over TCP too when a TCP client got a truncated UDP answer. */
async function forward(core: ServerCore, msg: Buffer, tcp: boolean): Promise<Buffer | null> {
  const timeoutMs = core.limits.forwardTimeoutMs;
  for (const up of core.upstreams) {
    let r = await udpExchange(msg, up, timeoutMs);
    if (r && tcp && (r[2] & 0x02) !== 0) r = (await tcpExchange(msg, up, timeoutMs)) ?? r;
    if (r) return r;
  }
  return null;
}

/** An ExternalName's outside target, resolved upstream (CoreDNS's Upstream.Lookup). */
async function lookupUpstream(core: ServerCore, name: string, qtype: number): Promise<RR[]> {
  const id = (Math.random() * 0xffff) | 0;
  for (const up of core.upstreams) {
    const r = await udpExchange(encodeQuery(id, name, qtype, { edns: 1232 }), up, core.limits.forwardTimeoutMs);
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
const literal = (address: string, family: unknown, cb: (err: Error | null, address: string, family: number) => void) =>
  cb(null, address, address.includes(":") ? 6 : 4);

async function bindUdp(core: ServerCore, listen: { host: string; port: number }): Promise<dgram.Socket> {
  const udp = dgram.createSocket({
    type: net.isIPv6(listen.host) ? "udp6" : "udp4",
    reuseAddr: false,
    lookup: literal as unknown as dgram.SocketOptions["lookup"],
  });
  udp.on("message", (m, rinfo) => {
    core.stats.udp++;
    // No per-send callback: send errors surface as 'error' events (counted once bound, below).
    handle(core, m, false, (b) => udp.send(b, rinfo.port, rinfo.address));
  });
  await new Promise<void>((resolve, reject) => {
    udp.once("error", reject);
    udp.bind(listen.port, listen.host, () => {
      udp.off("error", reject);
      resolve();
    });
  });
  udp.on("error", (e) => {
    core.stats.errors++;
    core.onError(e);
  });
  return udp;
}

/** Port 0 lets the kernel pick a free UDP port, but the same TCP port may be taken (an
 *  outgoing connection's ephemeral port, say): then another UDP port is tried. */
const PORT_TRIES = 20;
async function bindBoth(
  core: ServerCore,
  tcp: net.Server,
  listen: { host: string; port: number },
): Promise<{ udp: dgram.Socket; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const udp = await bindUdp(core, listen);
    const port = udp.address().port;
    try {
      await listenTcp(tcp, port, listen.host);
      return { udp, port };
    } catch (e) {
      udp.close();
      const inUse = (e as NodeJS.ErrnoException).code === "EADDRINUSE";
      if (listen.port !== 0 || !inUse || attempt >= PORT_TRIES) throw e;
    }
  }
}

// --- TCP ------------------------------------------------------------------------------
function listenTcp(tcp: net.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(port, host, () => {
      tcp.off("error", reject);
      resolve();
    });
  });
}

/** The open TCP connections: what each is doing, and how many each client address holds. */
interface TcpPool {
  all: Map<net.Socket, TcpConn>;
  perClient: Map<string, number>;
}

interface TcpConn {
  /** When the connection last completed a query (or was accepted): the idlest goes first. */
  since: number;
  /** Replies not yet sent (a forwarded query): such a connection is not idle. */
  waiting: number;
}

/**
 * Makes room for one more connection: closes the idlest one (of `addr` only, when given)
 * that waits for no reply. False when every candidate is busy.
 */
function evictIdlest(core: ServerCore, pool: TcpPool, addr?: string): boolean {
  let victim: net.Socket | undefined;
  let oldest = Number.POSITIVE_INFINITY;
  for (const [s, c] of pool.all)
    if (c.waiting === 0 && c.since < oldest && (addr === undefined || s.remoteAddress === addr)) {
      oldest = c.since;
      victim = s;
    }
  if (!victim) return false;
  core.stats.tcpEvicted++;
  forget(pool, victim);
  victim.destroy();
  return true;
}

function forget(pool: TcpPool, sock: net.Socket): void {
  if (!pool.all.delete(sock)) return;
  const addr = sock.remoteAddress ?? "";
  const n = (pool.perClient.get(addr) ?? 1) - 1;
  if (n > 0) pool.perClient.set(addr, n);
  else pool.perClient.delete(addr);
}

/**
 * One TCP client: a slot in the pool, read deadlines bytes do not extend (miekg/dns sets
 * the connection's read deadline once per message: server.go readTCP), length-prefixed
 * queries, bounded unread output.
 */
function tcpConnection(core: ServerCore, pool: TcpPool, sock: net.Socket): void {
  const limits = core.limits;
  const addr = sock.remoteAddress ?? "";
  sock.on("error", () => {});
  // A client at its cap makes room among its own connections, a full pool among all.
  if (
    ((pool.perClient.get(addr) ?? 0) >= limits.maxTcpPerClient && !evictIdlest(core, pool, addr)) ||
    (pool.all.size >= limits.maxTcpConnections && !evictIdlest(core, pool))
  ) {
    core.stats.tcpRejected++;
    sock.destroy();
    return;
  }
  const conn: TcpConn = { since: Date.now(), waiting: 0 };
  pool.all.set(sock, conn);
  pool.perClient.set(addr, (pool.perClient.get(addr) ?? 0) + 1);
  const expire = () => {
    core.stats.tcpTimedOut++;
    sock.destroy();
  };
  let deadline = setTimeout(expire, limits.tcpReadMs);
  let first = true;
  sock.on("close", () => {
    clearTimeout(deadline);
    forget(pool, sock);
  });
  const reply = (b: Buffer) => {
    if (sock.destroyed) return;
    if (sock.writableLength > limits.maxTcpBacklog) {
      sock.destroy();
      return;
    }
    const out = Buffer.allocUnsafe(b.length + 2);
    out.writeUInt16BE(b.length, 0);
    b.copy(out, 2);
    sock.write(out);
  };
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
      core.stats.tcp++;
      // A whole query: the next one has the idle deadline, from now (miekg/dns serveTCPConn).
      conn.since = Date.now();
      if (first) {
        first = false;
        clearTimeout(deadline);
        deadline = setTimeout(expire, limits.tcpIdleMs);
      } else deadline.refresh();
      // A reply that comes later (forwarding) keeps the connection busy until it is sent.
      let later = false;
      let answered = false;
      const answer = (b: Buffer) => {
        if (!answered && later) conn.waiting--;
        answered = true;
        reply(b);
      };
      later = handle(core, frame, true, answer) && !answered;
      if (later) conn.waiting++;
    }
    // Copy a small remainder so a huge chunk is not kept alive by a subarray.
    if (pending.length > 0 && pending.buffer.byteLength > 4 * pending.length + 4096) pending = Buffer.from(pending);
  });
}
