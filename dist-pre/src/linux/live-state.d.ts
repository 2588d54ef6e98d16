import type { ClusterState } from "../control/state.js";
import { type ChangeEntry, type ClusterRecord } from "./state.js";
export declare function recordedState(rec: ClusterRecord, changes?: ChangeEntry[]): Promise<ClusterState>;
/** The current state of running cluster NAME (throws when it is not up). */
export declare function liveState(cluster: string): Promise<ClusterState>;
