import type { IptRule } from "../../ir/types.js";
import type { LayerBuilder } from "./rules.js";
import { type IptCtx, type PortCtx } from "./port.js";
/** A service port's KUBE-SVC chain: its record (self), its masquerade rule, its endpoints' chains first..first+n-1. */
export interface SvcRec {
    pc: PortCtx;
    self: number;
    masq?: IptRule;
    first: number;
    n: number;
}
/** What buildShared leaves for the compact nat chains: records, service ports, creation order. */
interface CompactNatParts {
    /** Each compact chain's record (see REC). */
    recs: Int32Array;
    svcs: SvcRec[];
    /** The number of compact chains. */
    count: number;
    /** The plain nat chains in creation order; before natOrder[k] come the compact chains below natAt[k]. */
    natOrder: string[];
    natAt: number[];
}
/**
 * Declares the shared layer's nat table compact (defineCompactTable): the KUBE-SVC and
 * KUBE-SEP chains are read from their records, their rules built or their text written on
 * demand.
 */
export declare function compactNat(lb: LayerBuilder, ctx: IptCtx, parts: CompactNatParts): void;
export declare const REC = 9;
export declare const R_SLOW: number;
export declare const R_SVC: number;
export declare const R_SVC_GROUP: number;
/** Record c's fields but its hash characters (words 1-4, written by the caller). */
export declare function record(recs: Int32Array, c: number, key: number, ip: number, flags: number, svc: number): void;
export {};
