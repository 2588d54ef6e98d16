import type { Command } from "commander";
import { type ExecRequest, type ExecResult, type LiveInfo } from "../ui-server/server.js";
export declare function liveInfo(name: string | undefined, allowExec: boolean): LiveInfo;
/** The command a person would type in the source pod for this flow. */
export declare function commandFor(r: ExecRequest, podIP: (ref: string) => string | undefined): string[];
export declare function makeExec(name: string): (r: ExecRequest) => Promise<ExecResult>;
export declare function register(program: Command): void;
