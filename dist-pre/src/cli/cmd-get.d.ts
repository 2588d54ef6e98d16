import type { Command } from "commander";
import { getView, type CommandOutput, type GetOptions } from "../views/get.js";
/** Split kubectl's argument forms: `pods`, `pods a b`, `po,svc`, `pod/a svc/b`. */
export declare function parseGetArgs(args: string[]): {
    resource: string;
    names: string[];
}[];
export declare function runGet(state: Parameters<typeof getView>[0], args: string[], o: GetOptions): CommandOutput;
export declare function register(program: Command): void;
