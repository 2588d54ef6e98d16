import type { KubeObject } from "../types.js";
import { type Err } from "./common.js";
export declare function checkPodSpec(err: Err, base: string, spec: unknown): void;
export declare function checkPod(err: Err, o: KubeObject): void;
export declare function checkNode(err: Err, o: KubeObject): void;
