import type { ClusterSpec } from "../manifest/cluster-spec.js";
import type { KubeObject } from "../manifest/types.js";
import type { ClusterState } from "./state.js";
/** The seed used when none is given (`--seed`). */
export declare const DEFAULT_SEED = "podnet";
/** An empty cluster: nodes not yet computed, nothing allocated. */
export declare function emptyState(config: ClusterSpec["config"], seed: string): ClusterState;
/** System objects first; a user object with the same kind/namespace/name replaces the system one in place. */
export declare function mergeObjects(base: KubeObject[], overrides: KubeObject[]): KubeObject[];
export declare function buildState(spec: ClusterSpec, opts?: {
    seed?: string;
}): ClusterState;
