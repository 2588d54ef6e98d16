import type { Command } from "commander";
import type { ClusterState } from "../control/state.js";
import type { ViewOptions } from "../views/common.js";
import type { CommandOutput } from "../views/get.js";
export declare function runDescribe(state: ClusterState, kindArg: string, names: string[], namespace: string, opts?: ViewOptions): CommandOutput;
export declare function register(program: Command): void;
