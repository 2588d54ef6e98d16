import type { ClusterState } from "../control/state.js";
import type { DataplaneIR } from "../ir/types.js";
import { type Change, type ChangeOutcome } from "../control/changes.js";
import { type ReconcileReport } from "./reconcile.js";
import { type ClusterRecord } from "./state.js";
/** The change was refused before anything was touched. */
export declare class RefusedChange extends Error {
}
export interface LiveChangeResult extends ChangeOutcome {
    report: ReconcileReport;
    /** The change's position in the log (1 = the first change after `podnet up`). */
    index: number;
}
/** The running cluster's record and state; throws RefusedChange when it cannot take changes. */
export declare function runningCluster(cluster: string): Promise<{
    rec: ClusterRecord;
    state: ClusterState;
}>;
/** Why the running network cannot take IR `next` in place of `prev` (nodes and underlay are built once), or null. */
export declare function infraChange(cluster: string, prev: DataplaneIR, next: DataplaneIR): string | null;
/**
 * Applies one change to running cluster `cluster`: under the cluster's change lock,
 * recomputes the running state, asks `make` for the change (null: nothing to do, e.g.
 * not found — the caller reports it), computes the new state and IR. Throws SpecError
 * (invalid manifest, unknown object) or RefusedChange before touching anything; a
 * kernel error after that leaves the change in the log (the error says the kernel is
 * partly changed).
 */
export declare function applyLiveChange(cluster: string, make: (state: ClusterState) => Change | null, log?: (s: string) => void): Promise<LiveChangeResult | null>;
