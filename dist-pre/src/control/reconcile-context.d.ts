import type { KubeObject, PodSpec } from "../manifest/types.js";
import type { PodIpam } from "./ipam.js";
import type { ClusterConfig } from "../manifest/config.js";
import type { ClusterState, KEvent, NodeState, OwnerRef, WorkloadRef } from "./state.js";
export interface ReconcileContext {
    prev: ClusterState;
    objects: KubeObject[];
    config: ClusterConfig;
    seed: string;
    /** When this step's Services appear: before its pods (env visibility). */
    svcTime: number;
    /** When this step's pods appear. */
    clock: number;
    events: KEvent[];
    prevObjects: Map<string, KubeObject>;
    /** Keys of every object given this step. */
    seen: Set<string>;
    byKind: Map<string, KubeObject[]>;
    /** Namespaces whose pods, Services or endpoints changed this step. */
    changedNs: Set<string>;
    /** The computed nodes; replaced by IPAM's finished ones once the new pods have addresses. */
    nodes: NodeState[];
    /** The computed nodes by name (not replaced: scheduling, deletions and slices use these). */
    nodeByName: Map<string, NodeState>;
    ipam: PodIpam;
}
/** A pod a controller wants to exist. */
export interface Want {
    namespace: string;
    name?: string;
    base?: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    spec: PodSpec;
    owner: OwnerRef | null;
    workload: WorkloadRef;
    pinned?: NodeState;
    requestedIP?: string;
    ready: boolean;
    terminating: boolean;
    /** SuccessfulCreate on the controller. */
    created?: {
        object: string;
        source: string;
        message: (pod: string) => string;
    };
}
/** Records an event at `time` (the step's pod clock unless given). */
export declare function emit(ctx: ReconcileContext, type: KEvent["type"], reason: string, object: string, message: string, source?: string, time?: number): void;
export declare function ofKind(ctx: ReconcileContext, k: string): KubeObject[];
export declare function unchanged(ctx: ReconcileContext, o: KubeObject): boolean;
/** Basic validity of what reached us (the parser checks the rest): names given and unique. */
export declare function checkObjects(objects: KubeObject[]): Set<string>;
export declare function groupByKind(objects: KubeObject[]): Map<string, KubeObject[]>;
