// IPv4 helpers on unsigned 32-bit integers.

export function ipToInt(ip: string): number {
  let n = 0;
  let part = 0;
  let dots = 0;
  let digits = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 255) return NaN;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      digits++;
    } else return NaN;
  }
  if (dots !== 3 || digits === 0 || part > 255) return NaN;
  return n * 256 + part;
}

// Formatted addresses are memoised: every step's packet view formats two or four of them,
// and a trace revisits the same few addresses. A small direct-mapped cache (48 KB, stays in
// the CPU cache) rather than a Map of every address ever formatted: at 5,000 nodes that Map
// held ~1M entries and each lookup was a cache miss; a path's new addresses (its endpoint,
// its remote node) are formatted once and then hit for the rest of the path.
const IP_SLOTS = 4096;
const ipKeys = new Int32Array(IP_SLOTS);
const ipStrs: (string | undefined)[] = new Array(IP_SLOTS).fill(undefined);

export function intToIp(n: number): string {
  // The int32 form: a small integer for V8 (addresses ≥ 128.0.0.0 as uint32 are heap numbers).
  const k = n | 0;
  const h = Math.imul(k, 0x9e3779b1) >>> 20;
  const hit = ipStrs[h];
  if (hit !== undefined && ipKeys[h] === k) return hit;
  const s = `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  ipKeys[h] = k;
  ipStrs[h] = s;
  return s;
}

export function isIPv4(s: string): boolean {
  return !Number.isNaN(ipToInt(s));
}

export interface Cidr {
  net: number;
  len: number;
  mask: number;
}

export function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** "10.244.1.0/24", "10.96.0.1" (= /32), "default" (= /0). */
export function parseCidr(s: string): Cidr {
  if (s === "default" || s === "0/0") return { net: 0, len: 0, mask: 0 };
  const slash = s.indexOf("/");
  const ip = ipToInt(slash < 0 ? s : s.slice(0, slash));
  const len = slash < 0 ? 32 : Number(s.slice(slash + 1));
  if (Number.isNaN(ip) || !(len >= 0 && len <= 32)) throw new Error(`invalid IPv4 prefix "${s}"`);
  const mask = maskOf(len);
  return { net: (ip & mask) >>> 0, len, mask };
}

export function inCidr(ip: number, c: Cidr): boolean {
  return (ip & c.mask) >>> 0 === c.net;
}

/** The address part of "10.244.1.1/24". */
export function addrOf(cidr: string): string {
  const i = cidr.indexOf("/");
  return i < 0 ? cidr : cidr.slice(0, i);
}
