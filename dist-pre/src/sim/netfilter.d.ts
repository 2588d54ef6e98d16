import type { IptLayer, IptTableName, NetNs, NftChain } from "../ir/types.js";
import { type Segment } from "./iptables.js";
import type { NfEnv, NfVerdict } from "./nfenv.js";
import { type NftView } from "./nftables.js";
import type { Step } from "./trace.js";
export type Hook = "PREROUTING" | "INPUT" | "FORWARD" | "OUTPUT" | "POSTROUTING";
type BaseRef = {
    kind: "ipt";
    table: IptTableName;
    prio: number;
    nat: boolean;
    segs: Segment[] | null | undefined;
    dropPolicy: boolean;
} | {
    kind: "nft";
    table: NftView;
    chain: NftChain;
    prio: number;
    nat: boolean;
};
export interface NsNetfilter {
    hooks: Record<Hook, BaseRef[]>;
    /** The same without the NAT chains (they see only a connection's first packet). */
    hooksNoNat: Record<Hook, BaseRef[]>;
    iptChain(table: IptTableName, name: string): Segment[] | undefined;
    hasIptables: boolean;
    /** Resolved jumps by slot (see jump slots); null: the target chain does not exist here. */
    jumps: (Segment[] | null | undefined)[];
    /**
     * Per table (tableIndex): the layer whose compact chains are this namespace's chains of
     * those names (see soleCompact); null: none, or not alone.
     */
    sole: (IptLayer | null)[];
}
declare const nsCache: WeakMap<NetNs, NsNetfilter>;
export declare function netfilterOf(ns: NetNs): NsNetfilter;
/** Evaluate one hook. `natAllowed`: the connection is NEW (nat chains run). Returns the verdict and the steps. */
export declare function runHook(ns: NetNs, hook: Hook, env: NfEnv, natAllowed: boolean, from?: number, to?: number, out?: Step[], holder?: {
    nf: NsNetfilter | undefined;
}): NfVerdict;
export { nsCache as _nsCache };
export type { NftView };
