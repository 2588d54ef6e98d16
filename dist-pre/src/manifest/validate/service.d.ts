import type { KubeObject } from "../types.js";
import type { ClusterConfig } from "../config.js";
import { type Err } from "./common.js";
export declare function checkService(err: Err, o: KubeObject, config: ClusterConfig): void;
export declare function checkClusterIP(err: Err, field: string, v: unknown, config: ClusterConfig): void;
