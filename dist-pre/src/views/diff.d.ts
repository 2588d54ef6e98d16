import type { ClusterState, KEvent } from "../control/state.js";
import { type StateDiff } from "../control/diff.js";
/** Events as `kubectl get events -A` lists them (only those the change produced). */
export declare function formatChangeEvents(state: ClusterState, events: KEvent[]): string;
export declare function formatDiff(d: StateDiff): string;
