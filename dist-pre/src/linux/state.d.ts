export interface ProcessRecord {
    pid: number;
    role: "supervisor" | "bird" | "dns";
    node?: string;
    /** /proc/<pid>/cmdline when recorded (NULs as spaces), for display. */
    cmdline: string;
    /** A string the cmdline must contain (the config path: cluster + node) before any kill. */
    marker: string;
    /** /proc/<pid>/stat starttime (clock ticks since boot): a reused PID has another. */
    startTime: string;
}
export interface ClusterRecord {
    cluster: string;
    createdAt: string;
    phase: "creating" | "up" | "failed";
    /** The pid of the `podnet up` that made it. */
    upPid: number;
    /** `files`/`config`: what the cluster is recomputed from (podnet up snapshots them under <state dir>/inputs/); `given`: the paths the user named. */
    inputs: {
        files: string[];
        config?: string;
        seed?: string;
        fixture?: boolean;
        given?: string[];
    };
    namespaces: string[];
    processes: ProcessRecord[];
    /** What status/exec need without recomputing the IR. */
    nodes?: {
        name: string;
        address: string;
        netns: string;
    }[];
    pods?: {
        namespace: string;
        name: string;
        node: string | null;
        ip: string | null;
        netns: string | null;
        containers: string[];
        ownNetns?: boolean;
    }[];
}
export declare function statePath(cluster: string): string;
export declare function readRecord(cluster: string): ClusterRecord | null;
export declare function writeRecord(rec: ClusterRecord): void;
export declare function removeStateDir(cluster: string): void;
/** Clusters that have a state directory. */
export declare function recordedClusters(): string[];
export declare function procCmdline(pid: number): string | null;
export declare function procStartTime(pid: number): string | null;
export declare function identify(pid: number, role: ProcessRecord["role"], marker: string, node?: string): ProcessRecord | null;
/** Is the recorded process still that very process (marker in its cmdline, same start time)? exec keeps both. */
export declare function stillOurs(p: ProcessRecord): boolean;
/** Stops a recorded process: SIGTERM, then SIGKILL; only after checking it is ours. */
export declare function stopProcess(p: ProcessRecord, graceMs?: number): Promise<"stopped" | "gone" | "not-ours">;
export interface ChangeEntry {
    at: string;
    /** A `Change` of src/views/diff.ts (kept as JSON here: state.ts imports no model code). */
    change: {
        op: string;
    } & Record<string, unknown>;
}
export declare function changesPath(cluster: string): string;
export declare function readChanges(cluster: string): ChangeEntry[];
export declare function writeChanges(cluster: string, entries: ChangeEntry[]): void;
