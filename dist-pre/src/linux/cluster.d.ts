import type { DataplaneIR } from "../ir/types.js";
import { type Runner } from "./exec.js";
import { type RenderOptions } from "./render.js";
import { type SupervisorReady } from "./supervisor.js";
import { type ClusterRecord, type ProcessRecord } from "./state.js";
export declare class ClusterExistsError extends Error {
}
export interface UpOptions {
    cluster: string;
    ir: DataplaneIR;
    inputs?: ClusterRecord["inputs"];
    render?: RenderOptions;
    runner?: Runner;
    /** Start the per-node supervisors serving the pods' listeners (default true). */
    supervise?: boolean;
    log?: (line: string) => void;
    /** Container names per pod ("ns/name"), for `podnet exec -c` (the IR only knows listening ones). */
    containers?: Map<string, string[]>;
    /** Aborts bring-up between steps (Ctrl-C): what was made is rolled back. */
    signal?: AbortSignal;
    /** CNI ADDs run at once (default 8). */
    parallel?: number;
    /** Tests: called after each pod is attached (crash injection). */
    onPod?: (index: number) => void | Promise<void>;
}
export interface UpReport {
    cluster: string;
    namespaces: number;
    pods: number;
    supervisors: SupervisorReady[];
    ms: number;
}
/** Namespaces of a cluster present in the kernel. */
export declare function clusterNamespaces(cluster: string): string[];
export declare function up(o: UpOptions): Promise<UpReport>;
export interface DownReport {
    cluster: string;
    namespaces: string[];
    processes: {
        pid: number;
        result: string;
    }[];
    leftovers: string[];
}
/** Removes everything of a cluster; safe to run repeatedly and after a crash. */
export declare function down(cluster: string, runner?: Runner): Promise<DownReport>;
/** Every podnet cluster: by state directory and by namespace prefix. */
export declare function knownClusters(): string[];
/** Which of podnet's programs a command line is, for this cluster (null: not ours). */
export declare function ourProgram(cluster: string, cmdline: string): ProcessRecord["role"] | null;
export declare function downAll(runner?: Runner): Promise<DownReport[]>;
export interface StatusReport {
    cluster: string;
    phase: string;
    createdAt?: string;
    namespaces: {
        name: string;
        present: boolean;
    }[];
    processes: {
        pid: number;
        role: string;
        node?: string;
        alive: boolean;
    }[];
}
export declare function status(cluster: string): StatusReport;
