import type { Command } from "commander";
import type { ClusterState } from "../control/state.js";
import type { KubeObject } from "../manifest/types.js";
import { type ChangeOutcome } from "../control/changes.js";
/** kubectl apply's per-object verb: created, configured or unchanged. */
export declare function applyVerbs(state: ClusterState, objects: KubeObject[]): string[];
export declare function formatOutcome(out: ChangeOutcome, message: string[]): string;
export declare function register(program: Command): void;
