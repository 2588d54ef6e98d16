import type { ClusterState } from "../control/state.js";
import type { CommandOutput } from "./get.js";
export declare function eventsView(state: ClusterState, o?: {
    namespace?: string;
    allNamespaces?: boolean;
}): CommandOutput;
