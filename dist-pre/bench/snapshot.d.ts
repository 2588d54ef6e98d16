import { type ThresholdOptions } from "./control.js";
type Json = null | boolean | number | string | Json[] | {
    [k: string]: Json;
};
/** One item of the List, as kubectl prints it under `items:`. */
export declare function itemYaml(o: {
    [k: string]: Json;
}): string;
/** One item of the List as `kubectl get -o json` prints it: 4-space indent, keys sorted. */
export declare function itemJson(o: {
    [k: string]: Json;
}): string;
export interface SnapshotWritten {
    file: string;
    bytes: number;
    items: number;
    pods: number;
    generateMs: number;
    writeMs: number;
    /** Given pods the load is checked against (a sample): name → podIP. */
    sample: Record<string, string>;
}
/** Writes the threshold cluster (or a smaller one) as a `kubectl get -o yaml` dump (or `-o json`). */
export declare function writeSnapshot(file: string, opts?: ThresholdOptions & {
    format?: "yaml" | "json";
}): Promise<SnapshotWritten>;
export interface SnapshotLoad {
    ok: boolean;
    wallMs: number;
    peakRssMB: number;
    error?: string;
    warnings: number;
    firstWarnings: string[];
    nodes?: number;
    pods?: number;
    running?: number;
    services?: number;
    /** Of the sampled given pods: found under their own name, and with their own IP. */
    sampled?: {
        total: number;
        sameName: number;
        sameIP: number;
    };
}
/** Times loadCluster on FILE in this process; peak RSS is the process's high-water mark. */
export declare function timeLoad(file: string, sample?: Record<string, string>): Promise<SnapshotLoad>;
export {};
