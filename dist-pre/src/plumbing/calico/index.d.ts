import type { NodeState } from "../../control/state.js";
import type { CniFlavor, FlavorContext } from "../flavor.js";
export declare const CALICO_HOST_MAC = "ee:ee:ee:ee:ee:ee";
export declare const CALICO_GW = "169.254.1.1";
export declare const CALICO_ASN = 64512;
export declare function caliName(pod: {
    namespace: string;
    name: string;
}): string;
export declare function nodeBlocks(node: NodeState): string[];
/** The tunnel address Calico IPAM gives tunl0 / vxlan.calico: the first free address of the node's first block. */
export declare function tunnelAddress(ctx: FlavorContext, node: NodeState): string | null;
export declare const CALICO_VXLAN_DEV = "vxlan.calico";
export declare const calicoBgp: CniFlavor;
export declare const calicoIpip: CniFlavor;
export declare const calicoVxlan: CniFlavor;
