import type { PodSpec, Toleration } from "../manifest/types.js";
import type { NodeState } from "./state.js";
export declare const REASON_TAINT: (key: string, value: string | undefined) => string;
export declare const REASON_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export declare const REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";
export declare const REASON_TOO_MANY = "Too many pods";
export declare function tolerates(tols: Toleration[] | undefined, taint: {
    key: string;
    value?: string;
    effect: string;
}): boolean;
/** The first taint (NoSchedule / NoExecute) the pod does not tolerate. */
export declare function untoleratedTaint(node: NodeState, tols: Toleration[] | undefined): {
    key: string;
    value?: string;
} | null;
/** nodeSelector and required node affinity (terms ORed, expressions ANDed). */
export declare function matchesNodeAffinity(node: NodeState, spec: PodSpec): boolean;
/** The static (UnschedulableAndUnresolvable) reason a node is unfit, or null. */
export declare function staticReason(node: NodeState, spec: PodSpec): string | null;
/** Host ports a pod needs ("80/TCP"); hostNetwork pods need every container port. */
export declare function hostPortsOf(spec: PodSpec): string[];
export type PlaceResult = {
    node: NodeState;
} | {
    message: string;
    fullNodes: NodeState[];
};
export declare class Scheduler {
    readonly nodes: NodeState[];
    readonly loads: Int32Array;
    private ports;
    private heaps;
    private failCache;
    private byName;
    constructor(nodes: NodeState[], existing: Iterable<{
        nodeName: string | null;
        spec: PodSpec;
    }>);
    node(name: string): NodeState | undefined;
    private idx;
    private account;
    private dynamicReason;
    /** Binds a pod to a node chosen elsewhere (spec.nodeName, DaemonSet); accounts it. */
    bind(node: NodeState, spec: PodSpec): void;
    /** Whether `node` can take the pod now (DaemonSet pods, which target one node). */
    fitsOn(node: NodeState, spec: PodSpec): string | null;
    isFull(node: NodeState): boolean;
    /** The FitError text for a pod that fits nowhere (`only`: a DaemonSet pod's node). */
    failure(spec: PodSpec, only?: NodeState): string;
    /** Chooses the least-loaded eligible node (ties: config order) and accounts the pod. */
    place(spec: PodSpec): PlaceResult;
}
