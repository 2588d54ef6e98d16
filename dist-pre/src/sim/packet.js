// The packet as the interpreter carries it (addresses as unsigned 32-bit integers).
import { intToIp } from "../net/ipv4.js";
/**
 * Every packet object is made here, with all fields in one order: packets of one shape keep
 * the interpreter's property loads monomorphic (spread copies and added fields made them
 * megamorphic, which cost more than the walk's real work).
 */
export function makePkt(p) {
    return {
        src: p.src,
        dst: p.dst,
        proto: p.proto,
        sport: p.sport,
        dport: p.dport,
        ttl: p.ttl,
        size: p.size,
        df: p.df,
        mark: p.mark,
        inner: p.inner,
        vni: p.vni,
        l2dst: p.l2dst,
        cache: undefined,
    };
}
/** Copy every header field of `from` into `to` (field by field: Object.assign is a generic, slow copy); `inner` is the caller's. */
export function assignPkt(to, from) {
    to.src = from.src;
    to.dst = from.dst;
    to.proto = from.proto;
    to.sport = from.sport;
    to.dport = from.dport;
    to.ttl = from.ttl;
    to.size = from.size;
    to.df = from.df;
    to.mark = from.mark;
    to.vni = from.vni;
    to.l2dst = from.l2dst;
    to.cache = from.cache;
}
export function clonePkt(p) {
    return {
        src: p.src,
        dst: p.dst,
        proto: p.proto,
        sport: p.sport,
        dport: p.dport,
        ttl: p.ttl,
        size: p.size,
        df: p.df,
        mark: p.mark,
        inner: p.inner ? clonePkt(p.inner) : undefined,
        vni: p.vni,
        l2dst: p.l2dst,
        cache: undefined,
    };
}
/**
 * The packet's headers as a trace shows them. Steps between two header changes share one
 * view object (read-only): a path has ~35 steps and its packet changes a handful of times.
 */
export function viewOf(p) {
    const c = p.cache;
    if (c &&
        c.src === p.src &&
        c.dst === p.dst &&
        c.sport === p.sport &&
        c.dport === p.dport &&
        c.ttl === p.ttl &&
        c.size === p.size &&
        c.mark === p.mark &&
        c.inner === p.inner)
        return c.v;
    const v = makeView(p);
    p.cache = {
        v,
        src: p.src,
        dst: p.dst,
        sport: p.sport,
        dport: p.dport,
        ttl: p.ttl,
        size: p.size,
        mark: p.mark,
        inner: p.inner,
    };
    return v;
}
function makeView(p) {
    if (p.inner) {
        const v = makeView(p.inner);
        v.outer = {
            src: intToIp(p.src),
            dst: intToIp(p.dst),
            protocol: p.proto === "ipip" ? "ipip" : "udp",
            ttl: p.ttl,
            size: p.size,
        };
        if (p.proto !== "ipip") {
            v.outer.sport = p.sport;
            v.outer.dport = p.dport;
            if (p.vni !== undefined)
                v.outer.vni = p.vni;
        }
        if (p.mark)
            v.mark = "0x" + p.mark.toString(16);
        return v;
    }
    // Whole literals, keys in the documented order: properties added after creation live outside
    // the object (one more allocation per view).
    const src = intToIp(p.src);
    const dst = intToIp(p.dst);
    const protocol = p.proto;
    if (protocol === "tcp" || protocol === "udp" || protocol === "sctp") {
        return p.mark
            ? {
                src,
                dst,
                protocol,
                ttl: p.ttl,
                size: p.size,
                sport: p.sport,
                dport: p.dport,
                mark: "0x" + p.mark.toString(16),
            }
            : { src, dst, protocol, ttl: p.ttl, size: p.size, sport: p.sport, dport: p.dport };
    }
    return p.mark
        ? { src, dst, protocol, ttl: p.ttl, size: p.size, mark: "0x" + p.mark.toString(16) }
        : { src, dst, protocol, ttl: p.ttl, size: p.size };
}
export const PROTO_NUM = { icmp: 1, ipip: 4, tcp: 6, udp: 17, sctp: 132 };
export const PROTO_NAME = { 1: "icmp", 4: "ipip", 6: "tcp", 17: "udp", 132: "sctp" };
/** Normalise "tcp", "TCP", "6" → "tcp". */
export function protoName(s) {
    if (typeof s === "number")
        return PROTO_NAME[s] ?? String(s);
    const l = s.toLowerCase();
    if (/^\d+$/.test(l))
        return PROTO_NAME[Number(l)] ?? l;
    return l;
}
//# sourceMappingURL=packet.js.map