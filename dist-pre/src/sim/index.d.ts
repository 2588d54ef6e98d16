export { traceFlow, TraceInputError } from "./flow.js";
export type { FlowSpec, TraceOptions, Resolver } from "./flow.js";
export { renderTrace } from "./render.js";
export type * from "./trace.js";
import type { DataplaneIR, IptLayer, NftLayer } from "../ir/types.js";
/**
 * The IR with one node's netfilter replaced (e.g. by a real node's parsed iptables-save):
 * a new IR object sharing everything else.
 */
export declare function withNodeRules(ir: DataplaneIR, nodeName: string, layer: IptLayer | NftLayer, mode?: "iptables" | "nftables"): DataplaneIR;
