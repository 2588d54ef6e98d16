import type { NftStmt } from "../../ir/types.js";
import { type CompactNftChains } from "../../ir/render-nft.js";
import { type NftCtx, type PortCtx, type TableBuilder } from "./port.js";
/** A service port's compact chains: its endpoints' (first..first+n-1), then its service chain (self). */
interface SvcRec {
    pc: PortCtx;
    self: number;
    first: number;
    n: number;
    masq?: NftStmt[];
    prefix: string;
    bases?: string[];
}
/**
 * The compact chains. Compact chain c: its record in recs (see NREC); svcs[recs[NREC * c + 1]],
 * its service port (a service chain's own, or its endpoint chain's, whose endpoint is epOf(c)).
 */
export interface CompactNft {
    recs: Int32Array;
    svcs: SvcRec[];
    /** Compact chains so far. */
    count: number;
}
/** Records a port's endpoint chains and its service chain (in kube-proxy's creation order). */
export declare function recordPort(tb: TableBuilder, ctx: NftCtx, cn: CompactNft, pc: PortCtx): SvcRec;
/** nftEndpointBase of endpoint chain c, from its record. */
export declare function baseOf(cn: CompactNft, c: number): string;
/** The table's compact chains, for defineCompactNftTable. */
export declare function compactChains(tb: TableBuilder, cn: CompactNft): CompactNftChains;
export declare const NREC = 6;
export {};
