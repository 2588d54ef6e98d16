import type { ClusterState, NodeState, PodState } from "../control/state.js";
import type { IptLayer, NftLayer, NetNs, NodeNet } from "../ir/types.js";
export interface FlavorContext {
    state: ClusterState;
    /** Index helpers prepared once per build (pods per node, node by name). */
    podsByNode: Map<string, PodState[]>;
    nodeByName: Map<string, NodeState>;
    /** MTU of the underlay (eth0). */
    underlayMtu: number;
}
export interface CniFlavor {
    /** "flannel/vxlan", "flannel/host-gw", "calico/bgp", "calico/ipip", … */
    readonly id: string;
    /** MTU given to pod interfaces (1450 for VXLAN on a 1500 underlay). */
    podMtu(underlayMtu: number): number;
    /** Add the node's CNI objects (bridge, tunnels, routes to other nodes, FDB, sysctls) to `ns`. */
    buildNode(ctx: FlavorContext, node: NodeState, ns: NetNs): void;
    /** Build a (non-hostNetwork) pod's namespace and add the host side of its interface to the node's `nodeNs`. */
    buildPod(ctx: FlavorContext, node: NodeState, pod: PodState, nodeNs: NetNs): {
        podNs: NetNs;
        hostIf: string;
    };
    /** The flavor's own netfilter rules on a node (flannel masquerade, CNI-… chains), as a node layer. */
    netfilter(ctx: FlavorContext, node: NodeState, mode: "iptables" | "nftables"): {
        iptables?: IptLayer;
        nftables?: NftLayer;
    };
    /** Calico: BGP speaker config. */
    bgp?(ctx: FlavorContext, node: NodeState): NodeNet["bgp"];
}
