import type { KubeObject } from "../types.js";
import { type Err } from "./common.js";
export declare function checkIngressBackend(err: Err, f: string, b: unknown): void;
export declare function checkIngress(err: Err, o: KubeObject): void;
