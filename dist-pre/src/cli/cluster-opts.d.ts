import type { Command } from "commander";
import type { ViewOptions } from "../views/common.js";
import type { CommandOutput } from "../views/get.js";
export declare const collect: (v: string, prev: string[]) => string[];
export declare function addClusterOptions(cmd: Command): Command;
export interface ClusterFlags {
    filename?: string[];
    config?: string;
    seed?: string;
}
/** Warnings (ignored kinds, unknown named targetPorts, full nodes) go to stderr, once each. */
export declare const cliWarn: (message: string) => boolean;
export declare function loadFromFlags(o: ClusterFlags): Promise<{
    spec: import("../index.js").ClusterSpec;
    state: import("../index.js").ClusterState;
}>;
export declare function hostViewOptions(): ViewOptions;
export declare function emit(out: CommandOutput): void;
