import type { ClusterState } from "../src/control/state.js";
export interface RulesBenchResult {
    mode: string;
    services: number;
    endpoints: number;
    nodes: number;
    /** shared(state): once per state, not per node. */
    sharedMs: number;
    /** perNode(state, node, shared) for one node. */
    perNodeMs: number;
    /** Text of the node's kube-proxy layers (iptables-save / nft list ruleset form). */
    renderMs: number;
    /** shared + perNode + render: the ≤ 2 s target. */
    totalMs: number;
    /** CPU time (user+sys) of shared + perNode + render: closer to an idle machine's wall time when others load it. */
    totalCpuMs: number;
    /** Median perNode over `samples` nodes. */
    perNodeMedianMs: number;
    lines: number;
    megabytes: number;
    /** With opts.bytes: shared + perNode + the text as UTF-8 bytes (what `podnet rules` writes; no string), CPU. */
    bytesCpuMs?: number;
    bytesMs?: number;
}
export declare function benchRules(state: ClusterState, opts?: {
    mode?: "iptables" | "nftables";
    node?: string;
    samples?: number;
    bytes?: boolean;
}): RulesBenchResult;
export declare function formatRulesBench(r: RulesBenchResult): string;
/** The threshold cluster (bench/control.ts) built once; shared + one node + render, `runs` times per mode. */
export declare function benchRulesThreshold(modes: ("iptables" | "nftables")[], runs: number): Promise<void>;
