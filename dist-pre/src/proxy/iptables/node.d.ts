import type { ClusterState, NodeState } from "../../control/state.js";
import type { ProxyOutput } from "../mode.js";
import { type IptCtx } from "./port.js";
export declare function buildNode(_state: ClusterState, node: NodeState, ctx: IptCtx): ProxyOutput;
