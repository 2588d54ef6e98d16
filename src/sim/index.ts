// The packet interpreter's public API.
export { HOST_PORT, headlessPort, traceFlow, TraceInputError } from "./flow.js";
export type { FlowSpec, TraceOptions, Resolver } from "./flow.js";
export { hubbleCompact, renderTrace } from "./render.js";
export { DROP_REASONS, DROP_REASON_UNKNOWN, PATH_REASONS, dropReasonCode } from "./drop-reasons.js";
export type { DropReasonInfo } from "./drop-reasons.js";
export { pathHubble, pathJson, pathVerdict, traceJson, type PathHubble } from "./json.js";
export type { PathVerdict, TracePathJson } from "./json.js";
export type * from "./trace.js";

import type { DataplaneIR, IptLayer, NftLayer } from "../ir/types.js";

/**
 * The IR with one node's netfilter replaced (e.g. by a real node's parsed iptables-save):
 * a new IR object sharing everything else.
 */
export function withNodeRules(
  ir: DataplaneIR,
  nodeName: string,
  layer: IptLayer | NftLayer,
  mode: "iptables" | "nftables" = "iptables",
): DataplaneIR {
  const i = ir.nodes.findIndex((n) => n.name === nodeName);
  if (i < 0) throw new Error(`unknown node "${nodeName}" (nodes: ${ir.nodes.map((n) => n.name).join(", ")})`);
  const n = ir.nodes[i];
  const netfilter =
    mode === "iptables"
      ? { mode, iptables: [layer as IptLayer], nftables: [] }
      : { mode, iptables: [], nftables: [layer as NftLayer] };
  const ns = { ...n.ns, netfilter };
  const nodes = ir.nodes.slice();
  nodes[i] = { ...n, ns };
  return { ...ir, nodes };
}
