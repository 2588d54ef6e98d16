import type { ClusterState } from "../src/control/state.js";
import type { ProxyModeName } from "../src/manifest/config.js";
export interface IrBenchResult {
    nodes: number;
    pods: number;
    proxyMode: string;
    /** Indexes + the proxy mode's shared output (once per state). */
    contextMs: number;
    /** The first node after the context (what `podnet routes NODE` adds on top of loading). */
    firstNodeMs: number;
    nodeMedianMs: number;
    nodeP99Ms: number;
    /** `ip route show` text of one node. */
    renderRoutesMs: number;
    underlayMs: number;
    routesPerNode: number;
    /** Heap growth for `samples` retained node IRs, per node (shared objects excluded by design). */
    heapPerNodeKB: number;
}
export declare function benchIR(state: ClusterState, opts?: {
    samples?: number;
    proxyMode?: ProxyModeName;
}): IrBenchResult;
export declare function formatIrBench(r: IrBenchResult): string;
