import type { PacketView, Protocol } from "./trace.js";
export interface Pkt {
    src: number;
    dst: number;
    proto: Protocol | "ipip";
    sport: number;
    dport: number;
    ttl: number;
    size: number;
    df: boolean;
    mark: number;
    /** Encapsulated packet (VXLAN: proto udp + vni; IPIP: proto ipip). */
    inner?: Pkt;
    vni?: number;
    /** An encapsulated frame's destination MAC (VXLAN carries the inner Ethernet header). */
    l2dst?: string;
    /** The last view made of this packet and the header values it shows (see viewOf). */
    cache?: ViewCache;
}
interface ViewCache {
    v: PacketView;
    src: number;
    dst: number;
    sport: number;
    dport: number;
    ttl: number;
    size: number;
    mark: number;
    inner: Pkt | undefined;
}
/**
 * Every packet object is made here, with all fields in one order: packets of one shape keep
 * the interpreter's property loads monomorphic (spread copies and added fields made them
 * megamorphic, which cost more than the walk's real work).
 */
export declare function makePkt(p: Pkt): Pkt;
/** Copy every header field of `from` into `to` (field by field: Object.assign is a generic, slow copy); `inner` is the caller's. */
export declare function assignPkt(to: Pkt, from: Pkt): void;
export declare function clonePkt(p: Pkt): Pkt;
/**
 * The packet's headers as a trace shows them. Steps between two header changes share one
 * view object (read-only): a path has ~35 steps and its packet changes a handful of times.
 */
export declare function viewOf(p: Pkt): PacketView;
export declare const PROTO_NUM: Record<string, number>;
export declare const PROTO_NAME: Record<number, string>;
/** Normalise "tcp", "TCP", "6" → "tcp". */
export declare function protoName(s: string | number): string;
export {};
