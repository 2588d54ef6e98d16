import type { KubeObject } from "../types.js";
import { type Err } from "./common.js";
export declare function checkEndpointSlice(err: Err, o: KubeObject): void;
export declare function checkEndpointPorts(err: Err, base: string, ports: unknown): void;
export declare function checkEndpoints(err: Err, o: KubeObject): void;
