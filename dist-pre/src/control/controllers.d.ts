import type { KubeObject } from "../manifest/types.js";
import { type ReconcileContext, type Want } from "./reconcile-context.js";
import type { PodState, ReplicaSetState } from "./state.js";
/** Who deleted a pod (the SuccessfulDelete event); none for the user or garbage collection. */
export interface Deletion {
    pod: PodState;
    by?: {
        object: string;
        source: string;
    };
}
export interface Desired {
    wants: Want[];
    kept: Set<PodState>;
    toDelete: Deletion[];
    replicaSets: ReplicaSetState[];
    /** The workload objects given (not bare Pods). */
    workloads: KubeObject[];
    /** Dumped objects whose controller is given too. */
    adoptWarnings: string[];
}
/** Runs every controller over the given objects; pods of vanished controllers are collected. */
export declare function desiredPods(ctx: ReconcileContext, deletePods: Set<string> | undefined): Desired;
