import type { Command } from "commander";
import { type FlowSet } from "../questions/verify.js";
export declare function parseFlowSets(v: string): FlowSet[];
export declare function register(program: Command): void;
