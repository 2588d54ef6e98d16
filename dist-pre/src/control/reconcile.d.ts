import type { KubeObject } from "../manifest/types.js";
import type { ClusterState, KEvent } from "./state.js";
export { objKey, WORKLOAD_KINDS } from "./objects.js";
export interface ReconcileOptions {
    /** Pods the user deleted ("ns/name"). */
    deletePods?: Set<string>;
}
export declare function reconcile(prev: ClusterState, objects: KubeObject[], opts?: ReconcileOptions): {
    state: ClusterState;
    events: KEvent[];
};
