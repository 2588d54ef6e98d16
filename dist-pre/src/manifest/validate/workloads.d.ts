import type { KubeObject } from "../types.js";
import { type Err } from "./common.js";
/** Deployment, ReplicaSet, StatefulSet, DaemonSet, Job: selector, template, replicas. */
export declare function checkWorkload(err: Err, o: KubeObject): void;
