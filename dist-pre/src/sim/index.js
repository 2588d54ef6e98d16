// The packet interpreter's public API.
export { traceFlow, TraceInputError } from "./flow.js";
export { renderTrace } from "./render.js";
/**
 * The IR with one node's netfilter replaced (e.g. by a real node's parsed iptables-save):
 * a new IR object sharing everything else.
 */
export function withNodeRules(ir, nodeName, layer, mode = "iptables") {
    const i = ir.nodes.findIndex((n) => n.name === nodeName);
    if (i < 0)
        throw new Error(`unknown node "${nodeName}" (nodes: ${ir.nodes.map((n) => n.name).join(", ")})`);
    const n = ir.nodes[i];
    const netfilter = mode === "iptables"
        ? { mode, iptables: [layer], nftables: [] }
        : { mode, iptables: [], nftables: [layer] };
    const ns = { ...n.ns, netfilter };
    const nodes = ir.nodes.slice();
    nodes[i] = { ...n, ns };
    return { ...ir, nodes };
}
//# sourceMappingURL=index.js.map