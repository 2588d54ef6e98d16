// IPv4/IPv6 address and CIDR parsing for validation (pure; no node:net in the core).
// IPv4 values are unsigned 32-bit numbers; IPv6 values are bigints.

export interface Cidr4 {
  base: number; // network address as given (may have host bits set)
  prefix: number;
}

/** Parses a dotted-quad IPv4 address strictly (no leading zeros, like Go's net.ParseIP). */
export function parseIPv4(s: string): number | undefined {
  if (typeof s !== "string") return undefined;
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Parses an IPv6 address (with :: compression and an optional trailing IPv4 part). */
export function parseIPv6(s: string): bigint | undefined {
  if (typeof s !== "string" || !s.includes(":") || s.includes("%")) return undefined;
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === "") return [];
    const out: number[] = [];
    const parts = h.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIPv4(p);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  let all: number[];
  if (halves.length === 2) {
    if (head.length + tail.length > 7) return undefined;
    all = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    if (head.length !== 8) return undefined;
    all = head;
  }
  let v = 0n;
  for (const g of all) v = (v << 16n) | BigInt(g);
  return v;
}

export function isIP(s: string): boolean {
  return parseIPv4(s) !== undefined || parseIPv6(s) !== undefined;
}

export type CidrParse =
  | { ok: true; family: 4; base: number; prefix: number; hostBitsSet: boolean }
  | { ok: true; family: 6; base6: bigint; prefix: number; hostBitsSet: boolean }
  | { ok: false };

export function parseCidr(s: string): CidrParse {
  if (typeof s !== "string") return { ok: false };
  const slash = s.indexOf("/");
  if (slash < 0) return { ok: false };
  const addr = s.slice(0, slash);
  const ps = s.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(ps)) return { ok: false };
  const prefix = Number(ps);
  const v4 = parseIPv4(addr);
  if (v4 !== undefined) {
    if (prefix > 32) return { ok: false };
    return { ok: true, family: 4, base: v4, prefix, hostBitsSet: (v4 & ~mask4(prefix)) >>> 0 !== 0 };
  }
  const v6 = parseIPv6(addr);
  if (v6 !== undefined) {
    if (prefix > 128) return { ok: false };
    const hostMask = (1n << BigInt(128 - prefix)) - 1n;
    return { ok: true, family: 6, base6: v6, prefix, hostBitsSet: (v6 & hostMask) !== 0n };
  }
  return { ok: false };
}

export function mask4(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** An IPv4 CIDR's first address and size. */
export function range4(c: Cidr4): { first: number; size: number } {
  const first = (c.base & mask4(c.prefix)) >>> 0;
  return { first, size: 2 ** (32 - c.prefix) };
}

export function cidr4Contains(c: Cidr4, ip: number): boolean {
  return ((ip & mask4(c.prefix)) >>> 0) === ((c.base & mask4(c.prefix)) >>> 0);
}

export function cidr4Overlaps(a: Cidr4, b: Cidr4): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask4(p)) >>> 0) === ((b.base & mask4(p)) >>> 0);
}

/** True when `inner` lies inside `outer` (equal counts as inside). */
export function cidr4Within(inner: Cidr4, outer: Cidr4): boolean {
  return inner.prefix >= outer.prefix && cidr4Contains(outer, inner.base);
}

/** Parses an IPv4 CIDR or returns undefined (host bits allowed). */
export function parseCidr4(s: string): Cidr4 | undefined {
  const c = parseCidr(s);
  return c.ok && c.family === 4 ? { base: c.base, prefix: c.prefix } : undefined;
}
