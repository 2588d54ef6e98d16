import type { ClusterState } from "../../control/state.js";
import type { ProxyOutput } from "../mode.js";
import { type NftCtx } from "./port.js";
export declare const ctxOf: WeakMap<ProxyOutput, NftCtx>;
export declare function buildShared(state: ClusterState): {
    out: ProxyOutput;
    ctx: NftCtx;
};
