// IPv4 arithmetic on unsigned 32-bit integers, shared by every layer (spec validation,
// control-plane allocators, policy, plumbing, IR). Small and hot (policy classes, FIB
// lookups), so written by hand rather than pulling a general IP library.
// Two syntaxes: the `parse…` functions read what Kubernetes accepts (Go's net.ParseIP /
// ParseCIDR: no leading zeros) and return undefined; `ipToInt` / `parseCidr` read
// podnet's own (already validated) values and throw.

const LOOSE_OCTET = /^\d{1,3}$/;

function dotted(s: string, octet: RegExp): number | undefined {
  if (typeof s !== "string") return undefined;
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!octet.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/**
 * Parses a dotted-quad IPv4 address strictly (no leading zeros, like Go's net.ParseIP).
 * A character loop, no split or regex: kube-proxy's rules parse every endpoint address
 * (~360,000 at the thresholds).
 */
export function parseIPv4(s: string): number | undefined {
  if (typeof s !== "string") return undefined;
  let v = 0;
  let parts = 0;
  let i = 0;
  while (i <= s.length) {
    let x = 0;
    const from = i;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 46) break;
      if (c < 48 || c > 57) return undefined;
      x = x * 10 + (c - 48);
    }
    const len = i - from;
    if (len === 0 || len > 3 || x > 255 || (len > 1 && s.charCodeAt(from) === 48)) return undefined;
    v = v * 256 + x;
    parts++;
    i++;
    if (i === s.length + 1) break;
  }
  return parts === 4 ? v : undefined;
}

export function ipToInt(ip: string): number {
  const n = dotted(ip, LOOSE_OCTET);
  if (n === undefined) throw new Error(`not an IPv4 address: "${ip}"`);
  return n;
}

/** Dotted quad (a template string, no intermediate arrays: called 150,000 times in a large build). */
export function intToIp(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function isIPv4(s: string): boolean {
  return parseIPv4(s) !== undefined;
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export interface Cidr {
  base: number; // network address
  prefix: number;
  first: number; // == base
  last: number; // broadcast
}

/** The CIDR of `addr/prefix`, host bits cleared. */
export function cidrOf(addr: number, prefix: number): Cidr {
  const mask = maskOf(prefix);
  const base = (addr & mask) >>> 0;
  return { base, prefix, first: base, last: (base | (~mask >>> 0)) >>> 0 };
}

/** Parses "10.244.0.0/16" (a bare address is a /32). Host bits must be zero unless `loose`. */
export function parseCidr(s: string, loose = false): Cidr {
  const [ip, len] = s.includes("/") ? s.split("/") : [s, "32"];
  if (!/^\d{1,2}$/.test(len) || Number(len) > 32) throw new Error(`not a CIDR: "${s}"`);
  const addr = ipToInt(ip);
  const c = cidrOf(addr, Number(len));
  if (!loose && c.base !== addr) throw new Error(`CIDR has host bits set: "${s}"`);
  return c;
}

/**
 * Splits "addr/prefix" as Go's net.ParseCIDR reads it ("/" required, no leading zeros in
 * the prefix); the address is left to the caller (IPv4 or IPv6).
 */
export function splitCidr(s: string): { addr: string; prefix: number } | undefined {
  if (typeof s !== "string") return undefined;
  const slash = s.indexOf("/");
  if (slash < 0) return undefined;
  const ps = s.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(ps)) return undefined;
  return { addr: s.slice(0, slash), prefix: Number(ps) };
}

/** Parses an IPv4 CIDR as Kubernetes accepts it, or undefined; host bits are allowed (and cleared). */
export function parseCidr4(s: string): Cidr | undefined {
  const sp = splitCidr(s);
  const a = sp && parseIPv4(sp.addr);
  return a === undefined || sp!.prefix > 32 ? undefined : cidrOf(a, sp!.prefix);
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return ip >= c.first && ip <= c.last;
}

/** Number of addresses in the CIDR. */
export function cidrSize(c: Cidr): number {
  return c.last - c.first + 1;
}

export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** True when `inner` lies inside `outer` (equal counts as inside). */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  return inner.first >= outer.first && inner.last <= outer.last;
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.prefix}`;
}

/** Smallest set of CIDRs covering [first, last]. */
export function rangeToCidrs(first: number, last: number): string[] {
  const out: string[] = [];
  let cur = first;
  while (cur <= last) {
    let size = 32;
    while (size > 0) {
      const p = size - 1;
      const block = 2 ** (32 - p);
      if (cur % block !== 0 || cur + block - 1 > last) break;
      size = p;
    }
    out.push(`${intToIp(cur)}/${size}`);
    cur += 2 ** (32 - size);
  }
  return out;
}
