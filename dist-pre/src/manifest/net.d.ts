import { type Cidr } from "../net/ipv4.js";
/** Parses an IPv6 address (with :: compression and an optional trailing IPv4 part). */
export declare function parseIPv6(s: string): bigint | undefined;
export declare function isIP(s: string): boolean;
export type CidrParse = {
    ok: true;
    family: 4;
    cidr: Cidr;
    prefix: number;
    hostBitsSet: boolean;
} | {
    ok: true;
    family: 6;
    base6: bigint;
    prefix: number;
    hostBitsSet: boolean;
} | {
    ok: false;
};
/** Parses an IPv4 or IPv6 CIDR as Go's net.ParseCIDR does; host bits are reported, not rejected. */
export declare function parseCidrAny(s: string): CidrParse;
