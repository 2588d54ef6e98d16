import type { KubeObject } from "../types.js";
import { type Err } from "./common.js";
export declare function checkNetworkPolicy(err: Err, o: KubeObject): void;
export declare function checkIPBlock(err: Err, f: string, b: unknown): void;
