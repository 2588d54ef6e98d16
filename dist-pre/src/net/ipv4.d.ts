/**
 * Parses a dotted-quad IPv4 address strictly (no leading zeros, like Go's net.ParseIP).
 * A character loop, no split or regex: kube-proxy's rules parse every endpoint address
 * (~360,000 at the thresholds).
 */
export declare function parseIPv4(s: string): number | undefined;
/**
 * A dotted quad of podnet's own (validated) data as an integer; NaN when it is not one. A
 * character loop, no split or regex: the packet interpreter converts addresses on every
 * trace. Loose on octet digits (leading zeros pass); `parseIPv4` is the strict reader.
 */
export declare function ipToInt(ip: string): number;
/** Dotted quad of a uint32 (or its int32 form). */
export declare function intToIp(n: number): string;
/** True for a dotted quad Kubernetes accepts (strict, like `parseIPv4`). */
export declare function isIPv4(s: string): boolean;
export declare function maskOf(prefix: number): number;
export interface Cidr {
    base: number;
    prefix: number;
    first: number;
    last: number;
}
/** The CIDR of `addr/prefix`, host bits cleared. */
export declare function cidrOf(addr: number, prefix: number): Cidr;
/** Parses "10.244.0.0/16" (a bare address is a /32). Host bits must be zero unless `loose`. */
export declare function parseCidr(s: string, loose?: boolean): Cidr;
/**
 * Splits "addr/prefix" as Go's net.ParseCIDR reads it ("/" required, no leading zeros in
 * the prefix); the address is left to the caller (IPv4 or IPv6).
 */
export declare function splitCidr(s: string): {
    addr: string;
    prefix: number;
} | undefined;
/** Parses an IPv4 CIDR as Kubernetes accepts it, or undefined; host bits are allowed (and cleared). */
export declare function parseCidr4(s: string): Cidr | undefined;
export declare function cidrContains(c: Cidr, ip: number): boolean;
/** Number of addresses in the CIDR. */
export declare function cidrSize(c: Cidr): number;
export declare function cidrOverlaps(a: Cidr, b: Cidr): boolean;
/** True when `inner` lies inside `outer` (equal counts as inside). */
export declare function cidrWithin(inner: Cidr, outer: Cidr): boolean;
export declare function formatCidr(c: Cidr): string;
/** Smallest set of CIDRs covering [first, last]. */
export declare function rangeToCidrs(first: number, last: number): string[];
/** A CIDR as the packet interpreter matches it: network address, prefix length and mask. */
export interface Prefix {
    net: number;
    len: number;
    mask: number;
}
/** "10.244.1.0/24", "10.96.0.1" (= /32), "default" (= /0); host bits are cleared. Throws when invalid. */
export declare function parsePrefix(s: string): Prefix;
export declare function inPrefix(ip: number, c: Prefix): boolean;
/** Does the CIDR text (a bare address is a /32) contain the address text? False when either is not IPv4. */
export declare function cidrTextContains(cidr: string, ip: string): boolean;
/** The address part of "10.244.1.1/24". */
export declare function addrOf(cidr: string): string;
