import type { ClusterState } from "../../control/state.js";
import type { ProxyOutput } from "../mode.js";
import { type IptCtx } from "./port.js";
export declare const ctxOf: WeakMap<ProxyOutput, IptCtx>;
export declare function buildShared(state: ClusterState): {
    out: ProxyOutput;
    ctx: IptCtx;
};
