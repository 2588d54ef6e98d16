import type { NodeState } from "../control/state.js";
import type { IptLayer, NftLayer } from "../ir/types.js";
export declare function flannelIptables(cluster: string, node: NodeState): IptLayer;
export declare function flannelNftables(cluster: string, node: NodeState): NftLayer;
