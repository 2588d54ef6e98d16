import type { Command } from "commander";
import type { ClusterState } from "../control/state.js";
import type { BuildContext } from "../dataplane/build.js";
import type { NetNs } from "../ir/types.js";
export interface ResolvedNs {
    ns: NetNs;
    /** What the target is ("node/worker-1", "pod/default/x", "underlay"). */
    label: string;
    note?: string;
    peerIndex: (ns: string, name: string) => number | undefined;
}
/** Builds only what the target needs: its node (with that node's pods), or the underlay. */
export declare function resolveNs(state: ClusterState, target: string, ctx: BuildContext): ResolvedNs;
export declare function register(program: Command): void;
