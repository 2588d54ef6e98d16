import type { NodeState, PodState } from "../control/state.js";
import type { NetNs } from "../ir/types.js";
import type { FlavorContext } from "./flavor.js";
export declare const BRIDGE = "cni0";
export declare function nodeHasPods(ctx: FlavorContext, node: NodeState): boolean;
/** cni0 is created by the first CNI ADD on the node (none on a node without pods). */
export declare function addCniBridge(ctx: FlavorContext, node: NodeState, ns: NetNs, mtu: number): void;
/** The plugin's random veth name, made deterministic from the sandbox ID. */
export declare function bridgeVethName(pod: PodState): string;
export declare function podMac(pod: PodState): string;
export declare function wireBridgePod(ctx: FlavorContext, node: NodeState, pod: PodState, nodeNs: NetNs, mtu: number): {
    podNs: NetNs;
    hostIf: string;
};
