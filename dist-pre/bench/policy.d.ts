import type { ClusterSpec } from "../src/manifest/cluster-spec.js";
import type { KubeObject } from "../src/manifest/types.js";
export declare function thresholdPolicies(spec: ClusterSpec, total?: number): KubeObject[];
import { type ThresholdOptions } from "./control.js";
export interface PolicyBenchResult {
    policies: number;
    pods: number;
    classes: number;
    lines: number;
    reachMs: number;
    explainMs: number;
    peakRssMb: number;
}
/** Times the full workload-level reach and one pair's explanation. */
export declare function benchPolicy(opts?: ThresholdOptions & {
    policies?: number;
}): PolicyBenchResult;
