import type { ClusterState } from "../control/state.js";
import type { Labels } from "../manifest/types.js";
/** Options every view accepts. Views are pure: anything from the host comes in here. */
export interface ViewOptions {
    /** Wall-clock time of state.clock = 0 (ms since epoch); used for creationTimestamp. */
    startTime?: number;
    /** Node system info shown by `get nodes -o wide` / `describe node`. */
    nodeInfo?: Partial<NodeInfo>;
}
export interface NodeInfo {
    kubeletVersion: string;
    osImage: string;
    kernelVersion: string;
    containerRuntimeVersion: string;
    architecture: string;
    operatingSystem: string;
}
export declare const DEFAULT_NODE_INFO: NodeInfo;
/** A fixed start so that the same state prints the same timestamps. */
export declare const DEFAULT_START_TIME: number;
export declare function nodeInfo(opts?: ViewOptions): NodeInfo;
/** The state's clock counts seconds since the cluster started. Objects without a
 *  creation time (nodes, namespaces, policies) are as old as the cluster. */
export declare function age(state: ClusterState, created: number | undefined): string;
/** RFC 3339 creationTimestamp for an object created at clock tick `created`. */
export declare function timestamp(opts: ViewOptions, created: number | undefined): string;
/** kubectl describe's time format (RFC 1123Z): "Mon, 02 Jan 2006 15:04:05 +0000". */
export declare function rfc1123z(opts: ViewOptions, created: number | undefined): string;
/** labels.FormatLabels: keys sorted, "k=v,k2=v2", `<none>` when empty. */
export declare function formatLabels(labels: Labels | null | undefined): string;
export declare function byNsName<T extends {
    namespace: string;
    name: string;
}>(a: T, b: T): number;
/** Split a KEvent's object reference "kind/ns/name" (or "kind/name" for cluster-scoped). */
export declare function parseEventObject(ref: string): {
    kind: string;
    namespace: string;
    name: string;
};
