import type { ClusterState } from "../src/control/state.js";
import type { ProxyModeName } from "../src/manifest/config.js";
export interface TraceBenchResult {
    mode: string;
    traces: number;
    /** Mean number of paths (endpoints) per trace. */
    meanPaths: number;
    delivered: number;
    cold: {
        p50Ms: number;
        p99Ms: number;
        maxMs: number;
    };
    warm: {
        p50Ms: number;
        p99Ms: number;
        maxMs: number;
        meanMs: number;
    };
    /** CPU time of this process per trace (warm): robust when the machine is loaded. */
    warmCpu: {
        p50Ms: number;
        p99Ms: number;
    };
    /** Per enumerated path (warm). */
    perPathUs: number;
    /** One packet's path only (maxPaths 1: the first endpoint), warm. */
    onePath: {
        p50Ms: number;
        p99Ms: number;
        cpuP50Ms: number;
        cpuP99Ms: number;
    };
}
export declare function benchTrace(state: ClusterState, opts?: {
    traces?: number;
    mode?: ProxyModeName;
    seed?: number;
}): TraceBenchResult;
