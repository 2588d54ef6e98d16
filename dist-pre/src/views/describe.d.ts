import type { ClusterState, KEvent, NodeState, PodState, ServiceState } from "../control/state.js";
import { type ViewOptions } from "./common.js";
/** DescribeEvents: "Events:\t<none>" or the Type/Reason/Age/From/Message table. The
 *  table is written after a Flush, so it is aligned on its own. */
export declare function describeEvents(state: ClusterState, events: KEvent[]): {
    main: string;
    table: string;
};
export declare function describePod(state: ClusterState, p: PodState, opts?: ViewOptions): string;
export declare function describeService(state: ClusterState, s: ServiceState, _opts?: ViewOptions): string;
export declare function describeNode(state: ClusterState, n: NodeState, opts?: ViewOptions): string;
