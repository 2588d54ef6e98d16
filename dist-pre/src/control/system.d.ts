import type { ClusterConfig } from "../manifest/config.js";
import type { KubeObject } from "../manifest/types.js";
export declare const SYSTEM_NAMESPACES: string[];
/** The n-th address of the service range (1 → kubernetes, 10 → kube-dns). */
export declare function serviceRangeAddress(config: ClusterConfig, n: number): string;
export declare function systemObjects(config: ClusterConfig): KubeObject[];
