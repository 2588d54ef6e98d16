import type { ClusterSpec } from "../src/manifest/cluster-spec.js";
export interface ThresholdOptions {
    nodes?: number;
    pods?: number;
    services?: number;
    namespaces?: number;
    podsPerDeployment?: number;
    maxEndpointsPerService?: number;
    cni?: "flannel" | "calico" | "cilium";
}
export declare function thresholdCluster(opts?: ThresholdOptions): ClusterSpec;
