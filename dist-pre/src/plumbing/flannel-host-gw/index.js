// flannel with the host-gw backend (backend/hostgw): no tunnel; each remote node's
// subnet is routed via that node's underlay address (needs L2 adjacency). Pod MTU is
// the underlay's.
import { route, shared } from "../kernel.js";
import { addCniBridge, wireBridgePod } from "../cni-bridge.js";
import { flannelIptables, flannelNftables } from "../flannel-common.js";
export const flannelHostGw = {
    id: "flannel/host-gw",
    podMtu: (underlay) => underlay,
    buildNode(ctx, node, ns) {
        addCniBridge(ctx, node, ns, ctx.underlayMtu);
        for (const other of ctx.state.nodes) {
            if (other.name === node.name || !other.podCIDR)
                continue;
            ns.routes.push(shared(ctx.state, `host-gw/${other.name}`, () => route({ dst: other.podCIDR, via: other.address, dev: "eth0" })));
        }
    },
    buildPod(ctx, node, pod, nodeNs) {
        return wireBridgePod(ctx, node, pod, nodeNs, ctx.underlayMtu);
    },
    netfilter(ctx, node, mode) {
        const cluster = ctx.state.config.networking.podSubnet;
        return mode === "iptables"
            ? { iptables: flannelIptables(cluster, node) }
            : { nftables: flannelNftables(cluster, node) };
    },
};
//# sourceMappingURL=index.js.map