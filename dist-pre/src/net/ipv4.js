// IPv4 arithmetic on unsigned 32-bit integers: the one IPv4/CIDR library of podnet, used by
// every layer (spec validation, control-plane allocators, policy, plumbing, IR, proxy, the
// packet interpreter). Small and hot (policy classes, FIB lookups, every traced step), so
// written by hand rather than pulling a general IP library.
// Two syntaxes: the `parse…` functions read what Kubernetes accepts (Go's net.ParseIP /
// ParseCIDR: no leading zeros) and return undefined; `ipToInt`, `parseCidr` and
// `parsePrefix` read podnet's own (already validated) values.
// Two CIDR forms: `Cidr` (a range: first..last, for allocators and set arithmetic) and
// `Prefix` (network + mask, for the interpreter's per-packet matching).
/**
 * Parses a dotted-quad IPv4 address strictly (no leading zeros, like Go's net.ParseIP).
 * A character loop, no split or regex: kube-proxy's rules parse every endpoint address
 * (~360,000 at the thresholds).
 */
export function parseIPv4(s) {
    if (typeof s !== "string")
        return undefined;
    let v = 0;
    let parts = 0;
    let i = 0;
    while (i <= s.length) {
        let x = 0;
        const from = i;
        for (; i < s.length; i++) {
            const c = s.charCodeAt(i);
            if (c === 46)
                break;
            if (c < 48 || c > 57)
                return undefined;
            x = x * 10 + (c - 48);
        }
        const len = i - from;
        if (len === 0 || len > 3 || x > 255 || (len > 1 && s.charCodeAt(from) === 48))
            return undefined;
        v = v * 256 + x;
        parts++;
        i++;
        if (i === s.length + 1)
            break;
    }
    return parts === 4 ? v : undefined;
}
/**
 * A dotted quad of podnet's own (validated) data as an integer; NaN when it is not one. A
 * character loop, no split or regex: the packet interpreter converts addresses on every
 * trace. Loose on octet digits (leading zeros pass); `parseIPv4` is the strict reader.
 */
export function ipToInt(ip) {
    let n = 0;
    let part = 0;
    let dots = 0;
    let digits = 0;
    for (let i = 0; i < ip.length; i++) {
        const c = ip.charCodeAt(i);
        if (c === 46) {
            if (digits === 0 || part > 255)
                return NaN;
            n = n * 256 + part;
            part = 0;
            digits = 0;
            dots++;
        }
        else if (c >= 48 && c <= 57) {
            part = part * 10 + (c - 48);
            digits++;
        }
        else
            return NaN;
    }
    if (dots !== 3 || digits === 0 || part > 255)
        return NaN;
    return n * 256 + part;
}
// Formatted addresses are memoised: every step of a trace formats two or four of them, and
// a trace revisits the same few addresses. A small direct-mapped cache (48 KB, stays in the
// CPU cache) rather than a Map of every address ever formatted: at 5,000 nodes that Map
// held ~1M entries and each lookup was a cache miss; a path's new addresses (its endpoint,
// its remote node) are formatted once and then hit for the rest of the path.
const IP_SLOTS = 4096;
const ipKeys = new Int32Array(IP_SLOTS);
const ipStrs = new Array(IP_SLOTS).fill(undefined);
/** Dotted quad of a uint32 (or its int32 form). */
export function intToIp(n) {
    // The int32 form: a small integer for V8 (addresses ≥ 128.0.0.0 as uint32 are heap numbers).
    const k = n | 0;
    const h = Math.imul(k, 0x9e3779b1) >>> 20;
    const hit = ipStrs[h];
    if (hit !== undefined && ipKeys[h] === k)
        return hit;
    // A template string, no intermediate arrays.
    const s = `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    ipKeys[h] = k;
    ipStrs[h] = s;
    return s;
}
/** True for a dotted quad Kubernetes accepts (strict, like `parseIPv4`). */
export function isIPv4(s) {
    return parseIPv4(s) !== undefined;
}
export function maskOf(prefix) {
    return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}
/** The CIDR of `addr/prefix`, host bits cleared. */
export function cidrOf(addr, prefix) {
    const mask = maskOf(prefix);
    const base = (addr & mask) >>> 0;
    return { base, prefix, first: base, last: (base | (~mask >>> 0)) >>> 0 };
}
/** Parses "10.244.0.0/16" (a bare address is a /32). Host bits must be zero unless `loose`. */
export function parseCidr(s, loose = false) {
    const [ip, len] = s.includes("/") ? s.split("/") : [s, "32"];
    if (!/^\d{1,2}$/.test(len) || Number(len) > 32)
        throw new Error(`not a CIDR: "${s}"`);
    const addr = ipToInt(ip);
    if (Number.isNaN(addr))
        throw new Error(`not an IPv4 address: "${ip}"`);
    const c = cidrOf(addr, Number(len));
    if (!loose && c.base !== addr)
        throw new Error(`CIDR has host bits set: "${s}"`);
    return c;
}
/**
 * Splits "addr/prefix" as Go's net.ParseCIDR reads it ("/" required, no leading zeros in
 * the prefix); the address is left to the caller (IPv4 or IPv6).
 */
export function splitCidr(s) {
    if (typeof s !== "string")
        return undefined;
    const slash = s.indexOf("/");
    if (slash < 0)
        return undefined;
    const ps = s.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(ps))
        return undefined;
    return { addr: s.slice(0, slash), prefix: Number(ps) };
}
/** Parses an IPv4 CIDR as Kubernetes accepts it, or undefined; host bits are allowed (and cleared). */
export function parseCidr4(s) {
    const sp = splitCidr(s);
    const a = sp && parseIPv4(sp.addr);
    return a === undefined || sp.prefix > 32 ? undefined : cidrOf(a, sp.prefix);
}
export function cidrContains(c, ip) {
    return ip >= c.first && ip <= c.last;
}
/** Number of addresses in the CIDR. */
export function cidrSize(c) {
    return c.last - c.first + 1;
}
export function cidrOverlaps(a, b) {
    return a.first <= b.last && b.first <= a.last;
}
/** True when `inner` lies inside `outer` (equal counts as inside). */
export function cidrWithin(inner, outer) {
    return inner.first >= outer.first && inner.last <= outer.last;
}
export function formatCidr(c) {
    return `${intToIp(c.base)}/${c.prefix}`;
}
/** Smallest set of CIDRs covering [first, last]. */
export function rangeToCidrs(first, last) {
    const out = [];
    let cur = first;
    while (cur <= last) {
        let size = 32;
        while (size > 0) {
            const p = size - 1;
            const block = 2 ** (32 - p);
            if (cur % block !== 0 || cur + block - 1 > last)
                break;
            size = p;
        }
        out.push(`${intToIp(cur)}/${size}`);
        cur += 2 ** (32 - size);
    }
    return out;
}
/** "10.244.1.0/24", "10.96.0.1" (= /32), "default" (= /0); host bits are cleared. Throws when invalid. */
export function parsePrefix(s) {
    if (s === "default" || s === "0/0")
        return { net: 0, len: 0, mask: 0 };
    const slash = s.indexOf("/");
    const ip = ipToInt(slash < 0 ? s : s.slice(0, slash));
    const len = slash < 0 ? 32 : Number(s.slice(slash + 1));
    if (Number.isNaN(ip) || !(len >= 0 && len <= 32))
        throw new Error(`invalid IPv4 prefix "${s}"`);
    const mask = maskOf(len);
    return { net: (ip & mask) >>> 0, len, mask };
}
export function inPrefix(ip, c) {
    return (ip & c.mask) >>> 0 === c.net;
}
/** Does the CIDR text (a bare address is a /32) contain the address text? False when either is not IPv4. */
export function cidrTextContains(cidr, ip) {
    const slash = cidr.indexOf("/");
    const net = ipToInt(slash < 0 ? cidr : cidr.slice(0, slash));
    const len = slash < 0 ? 32 : Number(cidr.slice(slash + 1));
    const a = ipToInt(ip);
    if (Number.isNaN(net) || Number.isNaN(a) || !(len >= 0 && len <= 32))
        return false;
    const mask = maskOf(len);
    return (net & mask) >>> 0 === (a & mask) >>> 0;
}
/** The address part of "10.244.1.1/24". */
export function addrOf(cidr) {
    const i = cidr.indexOf("/");
    return i < 0 ? cidr : cidr.slice(0, i);
}
//# sourceMappingURL=ipv4.js.map