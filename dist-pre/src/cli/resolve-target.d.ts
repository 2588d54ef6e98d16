import type { ClusterState, NodeState, PodState, ServiceState } from "../control/state.js";
/** Order of preference: exact name in the namespace (given, or default), exact name in
 *  any namespace when none was given, then prefix matches in the same order. */
export declare function findPod(state: ClusterState, ref: string, namespace?: string): PodState;
export declare function findNode(state: ClusterState, ref: string): NodeState;
/** Services by exact name (`name`, `ns/name`, or `name.ns` as a pod would write it). */
export declare function findService(state: ClusterState, ref: string, namespace?: string): ServiceState;
