import type { ClusterState } from "../control/state.js";
import type { DataplaneIR } from "../ir/types.js";
import { type TraceResult, type TraceSession } from "../questions/trace.js";
import type { ExecRequest, ExecResult, LiveInfo, MapModel, MapNode, MapPod, MapService, NodeInspect, ReachCell, ReachModel } from "./types.js";
export type { ExecRequest, ExecResult, LiveInfo, MapModel, MapNode, MapPod, MapService, NodeInspect, ReachCell, ReachModel, };
export declare function mapModel(state: ClusterState, ir: DataplaneIR): MapModel;
/** A node's kernel state as `ip`, `bridge`, `iptables-save` and `nft` print it. */
export declare function inspectNode(ir: DataplaneIR, name: string): NodeInspect | undefined;
export declare class ApiInputError extends Error {
}
export interface TraceQuery {
    from?: string;
    to?: string;
    port?: string | number;
    protocol?: string;
    size?: string | number;
    /** Also trace the reply back to the client (NAT undone by conntrack). */
    reply?: string | boolean;
}
/** Asks the session; bad input (unknown pod, bad port) is an ApiInputError with the interpreter's message. */
export declare function runTrace(session: TraceSession, q: TraceQuery): TraceResult;
/** Beyond this many workloads a matrix is unreadable (and quadratic): filter by namespace. */
export declare const MATRIX_LIMIT = 150;
/** The policy matrix: every workload pair (denied pairs included) with its explanation. */
export declare function reachModel(state: ClusterState, namespace?: string): ReachModel;
