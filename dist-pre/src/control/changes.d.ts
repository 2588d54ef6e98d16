import type { KubeObject } from "../manifest/types.js";
import { type StateDiff } from "./diff.js";
import type { ClusterState, KEvent } from "./state.js";
export interface ChangeResult {
    state: ClusterState;
    events: KEvent[];
}
/** kubectl apply: objects replace those with the same kind/namespace/name, others are added. */
export declare function applyObjects(state: ClusterState, objects: KubeObject[]): ChangeResult;
/**
 * kubectl delete. Deleting a controller's pod frees its IP; the controller makes a
 * replacement with a new name (StatefulSet: the same name) and, usually, a new IP.
 * Deleting a Namespace deletes everything in it.
 */
export declare function deleteObject(state: ClusterState, kind: string, namespace: string, name: string): ChangeResult;
/** kubectl scale for Deployment, ReplicaSet, StatefulSet (and Job parallelism). */
export declare function scale(state: ClusterState, kind: string, namespace: string, name: string, replicas: number): ChangeResult;
/** A change on the model, as `podnet apply|delete|scale` (and later the real network) make it. */
export type Change = {
    op: "apply";
    objects: KubeObject[];
} | {
    op: "delete";
    kind: string;
    namespace: string;
    name: string;
} | {
    op: "scale";
    kind: string;
    namespace: string;
    name: string;
    replicas: number;
};
export interface ChangeOutcome {
    state: ClusterState;
    events: KEvent[];
    diff: StateDiff;
}
/** Apply one change to the state (pure): the new state, its events, and what differs. */
export declare function runChange(state: ClusterState, change: Change): ChangeOutcome;
