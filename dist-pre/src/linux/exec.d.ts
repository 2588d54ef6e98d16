import { type Plan, type Step } from "./render.js";
export declare class KernelError extends Error {
    readonly argv: string[];
    readonly stderr: string;
    /** The batch line that failed (ip/bridge -batch), when known. */
    readonly line?: string | undefined;
    constructor(message: string, argv: string[], stderr: string, 
    /** The batch line that failed (ip/bridge -batch), when known. */
    line?: string | undefined);
}
export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}
export interface Runner {
    readonly dryRun: boolean;
    /** Run argv (guarded) with `input` on stdin; throws KernelError on a non-zero exit unless `allowFail`. */
    run(argv: string[], input?: string, opts?: {
        allowFail?: boolean;
    }): Promise<RunResult>;
    /** Every command run (or, dry, recorded), for tests and `--dry-run`. */
    readonly log: {
        argv: string[];
        input: string;
    }[];
}
export declare function createRunner(opts?: {
    dryRun?: boolean;
    verbose?: (s: string) => void;
}): Runner;
export declare function runSync(argv: string[]): RunResult;
/** Creates (or deletes) namespaces with one `ip -batch -` in the root namespace. */
export declare function netnsBatch(runner: Runner, verb: "add" | "del", names: string[], opts?: {
    allowFail?: boolean;
}): Promise<RunResult>;
/** Runs a plan: namespaces (recorded via `onCreated` before they are made), then the steps. */
export declare function applyPlan(runner: Runner, plan: Plan, onCreated?: (ns: string[]) => void, onStep?: (s: Step) => void): Promise<void>;
/** `ip netns list` names (without the "(id: N)" suffix). */
export declare function listNetns(): string[];
/**
 * A runner that feeds commands to a few long-lived `sh` processes instead of spawning
 * each one from Node (a fork of the Node process costs ~7 ms; a fork of sh ~1 ms):
 * bring-up of hundreds of pods is dominated by that. Same guard, same errors; stdout
 * and stderr come back merged, so use it for commands whose output is not parsed.
 */
export declare function createShellRunner(opts?: {
    workers?: number;
}): Runner & {
    close(): void;
};
