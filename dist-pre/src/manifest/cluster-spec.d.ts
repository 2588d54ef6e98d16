import type { ClusterConfig } from "./config.js";
import type { Diagnostic, KubeObject } from "./types.js";
/** Everything the user asked for: the desired objects, grouped by kind, plus the config. */
export interface ClusterSpec {
    config: ClusterConfig;
    objects: KubeObject[];
    warnings: Diagnostic[];
}
