import type { ClusterSpec } from "../manifest/cluster-spec.js";
import type { ClusterState } from "../control/state.js";
export interface LoadOptions {
    /** Manifest files or directories; `-` for stdin. Empty: the embedded example. */
    files?: string[];
    /** Cluster config file (kind: Cluster). */
    config?: string;
    /** Seed for names and allocations (default fixed). */
    seed?: string;
    /** Called once per warning (ignored kinds, unknown named targetPorts, full nodes …). */
    warn?: (message: string) => void;
}
export declare function loadCluster(opts?: LoadOptions): Promise<{
    spec: ClusterSpec;
    state: ClusterState;
}>;
