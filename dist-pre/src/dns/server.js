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
import { createZone, RCODE } from "./zone.js";
import { encodeError, encodeQuery, encodeResponse, parseQuery } from "./wire.js";
const DEFAULTS = {
    maxTcpConnections: 256,
    tcpIdleMs: 10_000,
    udpPayload: 1232,
    cacheEntries: 20_000,
    forwardTimeoutMs: 2000,
    maxTcpBacklog: 1 << 20,
    maxConcurrentForwards: 1000,
};
function parseHostPort(s, defPort) {
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
    if (m)
        return { host: m[1], port: Number(m[2]) };
    return { host: s, port: defPort };
}
export async function startDnsServer(opts) {
    const listen = parseHostPort(opts.listen ?? "127.0.0.1:5353", 53);
    const core = {
        limits: { ...DEFAULTS, ...(opts.limits ?? {}) },
        upstreams: (opts.upstreams ?? []).map((u) => parseHostPort(u, 53)),
        onError: opts.onError ?? (() => { }),
        getZone: opts.getZone,
        current: opts.zone,
        cache: new Map(),
        cachedFor: undefined,
        stats: { udp: 0, tcp: 0, errors: 0, dropped: 0, tcpRejected: 0, cacheHits: 0 },
        inFlight: 0,
    };
    if (!core.current && !opts.getZone)
        throw new Error("startDnsServer: give zone or getZone");
    const udp = await bindUdp(core, listen);
    const port = udp.address().port;
    const conns = new Set();
    const tcp = net.createServer({ noDelay: true }, (sock) => tcpConnection(core, conns, sock));
    tcp.on("error", (e) => {
        core.stats.errors++;
        core.onError(e);
    });
    try {
        await listenTcp(tcp, port, listen.host);
    }
    catch (e) {
        udp.close();
        throw e;
    }
    return {
        address: { host: listen.host, port },
        stats: core.stats,
        get zone() {
            return zoneNow(core);
        },
        setZone(z) {
            core.current = z;
        },
        setState(state) {
            const prev = core.current;
            const computed = (state.clock >>> 0) + 1;
            // The serial only grows, so secondaries and caches see every change as newer.
            const serial = opts.zoneOptions?.serial ?? (prev && computed <= prev.serial ? prev.serial + 1 : computed);
            const z = createZone(state, { ...(opts.zoneOptions ?? {}), serial });
            core.current = z;
            return z;
        },
        close: async () => {
            for (const c of conns)
                c.destroy();
            await Promise.all([
                new Promise((r) => udp.close(() => r())),
                new Promise((r) => tcp.close(() => r())),
            ]);
        },
    };
}
/** The zone to answer from; a new zone empties the response cache. */
function zoneNow(core) {
    const z = core.getZone ? core.getZone() : core.current;
    if (z !== core.cachedFor) {
        core.cache.clear();
        core.cachedFor = z;
    }
    return z;
}
/** Handles one request; `reply` may be called later (forwarding) or never (dropped). */
function handle(core, msg, tcp, reply) {
    const { stats, limits } = core;
    let pq;
    try {
        pq = parseQuery(msg);
    }
    catch (e) {
        stats.errors++;
        core.onError(e);
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
        const zone = zoneNow(core);
        const key = cacheKey(q, limit);
        if (key !== undefined && replyFromCache(core, key, msg, q, reply))
            return;
        const a = zone.answer({ name: q.odd ? `\\odd.${q.name}` : q.name, type: q.qtype, class: q.qclass }, { forward: core.upstreams.length > 0 });
        if (a.forward)
            return forwardAndReply(core, msg, q, tcp, reply);
        if (a.chase && core.inFlight < limits.maxConcurrentForwards)
            return chaseAndReply(core, q, a, a.chase, limit, reply);
        const out = encode(core, q, a, limit);
        if (key !== undefined && !a.chase) {
            if (core.cache.size >= limits.cacheEntries)
                core.cache.clear();
            core.cache.set(key, out);
        }
        reply(out);
    }
    catch (e) {
        stats.errors++;
        core.onError(e);
        reply(encodeError(q.id, 0, q.rd, RCODE.SERVFAIL, q));
    }
}
/** Cache key: lower-case question, flags, EDNS and the size limit; none for odd or compressed questions. */
function cacheKey(q, limit) {
    return q.qCompressed || q.odd
        ? undefined
        : `${q.lname}|${q.qtype}|${q.qclass}|${q.rd ? 1 : 0}${q.cd ? 1 : 0}|${q.edns ? (q.edns.do ? "D" : "E") : "-"}|${limit}`;
}
/** A cache hit: the cached bytes with this query's ID and question case. */
function replyFromCache(core, key, msg, q, reply) {
    const hit = core.cache.get(key);
    if (!hit)
        return false;
    core.stats.cacheHits++;
    const out = Buffer.allocUnsafe(hit.length);
    hit.copy(out);
    out.writeUInt16BE(q.id, 0);
    // The question with the client's case (same length: same labels).
    msg.copy(out, 12, 12, q.qEnd - 4);
    reply(out);
    return true;
}
/** A name outside the zones: the upstreams' answer as is, SERVFAIL when none answers. */
function forwardAndReply(core, msg, q, tcp, reply) {
    if (core.inFlight >= core.limits.maxConcurrentForwards) {
        reply(encodeError(q.id, 0, q.rd, RCODE.REFUSED, q));
        return;
    }
    core.inFlight++;
    forward(core, msg, tcp)
        .finally(() => core.inFlight--)
        .then((b) => reply(b ?? encodeError(q.id, 0, q.rd, RCODE.SERVFAIL, q)), (e) => {
        core.stats.errors++;
        core.onError(e);
        reply(encodeError(q.id, 0, q.rd, RCODE.SERVFAIL, q));
    });
}
/** An ExternalName pointing outside: the zone's answer plus the upstream's records for the target. */
function chaseAndReply(core, q, a, chase, limit, reply) {
    core.inFlight++;
    lookupUpstream(core, chase.name, chase.type)
        .finally(() => core.inFlight--)
        .then((extra) => reply(encode(core, q, { ...a, answers: [...a.answers, ...extra] }, limit)), () => reply(encode(core, q, a, limit)));
}
function encode(core, q, a, limit) {
    return encodeResponse(q, {
        rcode: RCODE[a.rcode],
        aa: a.aa,
        ra: a.ra,
        answers: a.answers,
        authority: a.authority,
        additional: a.additional,
    }, limit, core.limits.udpPayload);
}
// --- forwarding (CoreDNS `forward . <upstreams>`) -------------------------------------
function udpExchange(query, up, timeoutMs) {
    return new Promise((resolve) => {
        const s = dgram.createSocket(net.isIPv6(up.host) ? "udp6" : "udp4");
        const id = query.readUInt16BE(0);
        const done = (b) => {
            clearTimeout(t);
            try {
                s.close();
            }
            catch {
                /* already closed */
            }
            resolve(b);
        };
        const t = setTimeout(() => done(null), timeoutMs);
        s.on("error", () => done(null));
        s.on("message", (m) => {
            if (m.length >= 12 && m.readUInt16BE(0) === id && (m[2] & 0x80) !== 0)
                done(m);
        });
        s.send(query, up.port, up.host, (err) => {
            if (err)
                done(null);
        });
    });
}
function tcpExchange(query, up, timeoutMs) {
    return new Promise((resolve) => {
        const s = net.connect(up.port, up.host);
        let buf = Buffer.alloc(0);
        const done = (b) => {
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
            if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0))
                done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        });
    });
}
/** The first upstream that answers; over TCP too when a TCP client got a truncated UDP answer. */
async function forward(core, msg, tcp) {
    const timeoutMs = core.limits.forwardTimeoutMs;
    for (const up of core.upstreams) {
        let r = await udpExchange(msg, up, timeoutMs);
        if (r && tcp && (r[2] & 0x02) !== 0)
            r = (await tcpExchange(msg, up, timeoutMs)) ?? r;
        if (r)
            return r;
    }
    return null;
}
/** An ExternalName's outside target, resolved upstream (CoreDNS's Upstream.Lookup). */
async function lookupUpstream(core, name, qtype) {
    const id = (Math.random() * 0xffff) | 0;
    for (const up of core.upstreams) {
        const r = await udpExchange(encodeQuery(id, name, qtype, { edns: 1232 }), up, core.limits.forwardTimeoutMs);
        if (!r)
            continue;
        const d = dnsPacket.decode(r);
        const out = [];
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
const literal = (address, family, cb) => cb(null, address, address.includes(":") ? 6 : 4);
async function bindUdp(core, listen) {
    const udp = dgram.createSocket({
        type: net.isIPv6(listen.host) ? "udp6" : "udp4",
        reuseAddr: false,
        lookup: literal,
    });
    udp.on("error", (e) => {
        core.stats.errors++;
        core.onError(e);
    });
    udp.on("message", (m, rinfo) => {
        core.stats.udp++;
        // No per-send callback: send errors surface as 'error' events (counted above).
        handle(core, m, false, (b) => udp.send(b, rinfo.port, rinfo.address));
    });
    await new Promise((resolve, reject) => {
        udp.once("error", reject);
        udp.bind(listen.port, listen.host, () => {
            udp.off("error", reject);
            resolve();
        });
    });
    return udp;
}
// --- TCP ------------------------------------------------------------------------------
function listenTcp(tcp, port, host) {
    return new Promise((resolve, reject) => {
        tcp.once("error", reject);
        tcp.listen(port, host, () => {
            tcp.off("error", reject);
            resolve();
        });
    });
}
/** One TCP client: bounded count, idle timeout, length-prefixed queries, bounded unread output. */
function tcpConnection(core, conns, sock) {
    const limits = core.limits;
    if (conns.size >= limits.maxTcpConnections) {
        core.stats.tcpRejected++;
        sock.destroy();
        return;
    }
    conns.add(sock);
    sock.setTimeout(limits.tcpIdleMs, () => sock.destroy());
    sock.on("error", () => { });
    sock.on("close", () => conns.delete(sock));
    const reply = (b) => {
        if (sock.destroyed)
            return;
        if (sock.writableLength > limits.maxTcpBacklog) {
            sock.destroy();
            return;
        }
        const out = Buffer.allocUnsafe(b.length + 2);
        out.writeUInt16BE(b.length, 0);
        b.copy(out, 2);
        sock.write(out);
    };
    let pending = Buffer.alloc(0);
    sock.on("data", (chunk) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        while (pending.length >= 2) {
            const len = pending.readUInt16BE(0);
            if (len === 0) {
                // Nothing valid is 0 bytes long: a broken client, drop it.
                sock.destroy();
                return;
            }
            if (pending.length < 2 + len)
                break;
            const frame = pending.subarray(2, 2 + len);
            pending = pending.subarray(2 + len);
            core.stats.tcp++;
            handle(core, frame, true, reply);
        }
        // Copy a small remainder so a huge chunk is not kept alive by a subarray.
        if (pending.length > 0 && pending.buffer.byteLength > 4 * pending.length + 4096)
            pending = Buffer.from(pending);
    });
}
//# sourceMappingURL=server.js.map