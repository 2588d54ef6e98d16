import type { ClusterState } from "../control/state.js";
import { type ConnSet } from "../policy/portset.js";
import type { LabelSelector } from "../manifest/types.js";
export interface ReachLine {
    src: string;
    dst: string;
    conns: ConnSet;
    text: string;
    explain?: string[];
}
export interface ReachOptions {
    namespace?: string;
    from?: LabelSelector;
    to?: LabelSelector;
    explain?: boolean;
    /** Include pairs with no connection (only meaningful with explain). */
    includeDenied?: boolean;
}
export interface ReachResult {
    lines: ReachLine[];
    classes: number;
    externalRanges: number;
}
export declare function computeReach(state: ClusterState, opts?: ReachOptions): ReachResult;
export declare function renderReach(lines: ReachLine[], format: "txt" | "json" | "csv" | "md" | "dot"): string;
export interface ReachDiffLine {
    change: "added" | "removed" | "changed";
    src: string;
    dst: string;
    before?: string;
    after?: string;
}
/** What changes between two reach results: connections added, removed or changed. */
export declare function diffReach(before: ReachLine[], after: ReachLine[]): ReachDiffLine[];
export declare function renderDiff(d: ReachDiffLine[]): string;
