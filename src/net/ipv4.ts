// IPv4 arithmetic on unsigned 32-bit integers. Small and hot (policy classes, FIB
// lookups), so written by hand rather than pulling a general IP library.

export function ipToInt(ip: string): number {
  const p = ip.split(".");
  if (p.length !== 4) throw new Error(`not an IPv4 address: "${ip}"`);
  let n = 0;
  for (const s of p) {
    if (!/^\d{1,3}$/.test(s)) throw new Error(`not an IPv4 address: "${ip}"`);
    const v = Number(s);
    if (v > 255) throw new Error(`not an IPv4 address: "${ip}"`);
    n = n * 256 + v;
  }
  return n >>> 0;
}

export function intToIp(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function isIPv4(s: string): boolean {
  try {
    ipToInt(s);
    return true;
  } catch {
    return false;
  }
}

export interface Cidr {
  base: number; // network address
  prefix: number;
  first: number; // == base
  last: number; // broadcast
}

/** Parses "10.244.0.0/16" (a bare address is a /32). Host bits must be zero unless `loose`. */
export function parseCidr(s: string, loose = false): Cidr {
  const [ip, len] = s.includes("/") ? s.split("/") : [s, "32"];
  if (!/^\d{1,2}$/.test(len) || Number(len) > 32) throw new Error(`not a CIDR: "${s}"`);
  const prefix = Number(len);
  const addr = ipToInt(ip);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const base = (addr & mask) >>> 0;
  if (!loose && base !== addr) throw new Error(`CIDR has host bits set: "${s}"`);
  const last = (base | (~mask >>> 0)) >>> 0;
  return { base, prefix, first: base, last };
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return ip >= c.first && ip <= c.last;
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
