// IPv6 parsing and family-neutral IP / CIDR checks for validation (pure; no node:net in the
// core). IPv6 values are bigints; IPv4 lives in src/net/ipv4.ts.
import { cidrOf, parseIPv4, splitCidr, type Cidr } from "../net/ipv4.js";

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

/**
 * The IPv4 cluster IP of a Service spec. A dual-stack Service lists one cluster IP per family
 * in `clusterIPs`, the primary first and equal to `clusterIP`
 * (https://kubernetes.io/docs/concepts/services-networking/dual-stack/); podnet models the
 * IPv4 family, so an IPv6-primary Service is taken by its IPv4 entry. `None` (headless) and ""
 * pass through; undefined when the spec names only IPv6 addresses.
 */
export function serviceIPv4(spec: { clusterIP?: unknown; clusterIPs?: unknown } | undefined): string | undefined {
  const first = spec?.clusterIP || (Array.isArray(spec?.clusterIPs) ? spec.clusterIPs[0] : undefined);
  if (typeof first !== "string") return undefined;
  if (first === "None" || parseIPv4(first) !== undefined) return first;
  if (Array.isArray(spec?.clusterIPs))
    for (const ip of spec.clusterIPs) if (typeof ip === "string" && parseIPv4(ip) !== undefined) return ip;
  return undefined;
}

/** Whether s is an IPv6 address (not IPv4). */
export const isIPv6Address = (s: unknown): boolean => typeof s === "string" && parseIPv6(s) !== undefined;

export function isIP(s: string): boolean {
  return parseIPv4(s) !== undefined || parseIPv6(s) !== undefined;
}

export type CidrParse =
  | { ok: true; family: 4; cidr: Cidr; prefix: number; hostBitsSet: boolean }
  | { ok: true; family: 6; base6: bigint; prefix: number; hostBitsSet: boolean }
  | { ok: false };

/** Parses an IPv4 or IPv6 CIDR as Go's net.ParseCIDR does; host bits are reported, not rejected. */
export function parseCidrAny(s: string): CidrParse {
  const sp = splitCidr(s);
  if (!sp) return { ok: false };
  const { addr, prefix } = sp;
  const v4 = parseIPv4(addr);
  if (v4 !== undefined) {
    if (prefix > 32) return { ok: false };
    const cidr = cidrOf(v4, prefix);
    return { ok: true, family: 4, cidr, prefix, hostBitsSet: cidr.base !== v4 };
  }
  const v6 = parseIPv6(addr);
  if (v6 !== undefined) {
    if (prefix > 128) return { ok: false };
    const hostMask = (1n << BigInt(128 - prefix)) - 1n;
    return { ok: true, family: 6, base6: v6, prefix, hostBitsSet: (v6 & hostMask) !== 0n };
  }
  return { ok: false };
}
