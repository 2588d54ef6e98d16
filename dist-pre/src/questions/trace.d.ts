import type { ClusterState } from "../control/state.js";
import type { DataplaneIR } from "../ir/types.js";
import type { ProxyModeName } from "../manifest/config.js";
import type { FlowSpec, Resolver, TraceOptions, TraceResult } from "../sim/index.js";
export { TraceInputError } from "../sim/index.js";
export { IptablesParseError } from "../sim/parse-iptables.js";
export { renderTrace } from "../sim/index.js";
export type { FlowSpec, Protocol, Resolver, TraceResult, TracePath } from "../sim/index.js";
/** The DNS helper's resolver walk, adapted to the interpreter's Resolver shape. */
export declare function clusterResolver(state: ClusterState): Resolver;
type Ipsets = (nsId: string) => Record<string, (string | number)[]> | undefined;
/** ipvs mode's ipsets (not part of the IR), per node namespace. */
export declare function ipsetsFor(state: ClusterState, mode: string): Ipsets | undefined;
/** What a caller may set per trace; the session supplies state, resolver and ipsets. */
export type SessionTraceOptions = Omit<TraceOptions, "state" | "resolve" | "ipsets">;
export interface TraceSession {
    readonly ir: DataplaneIR;
    readonly state: ClusterState | undefined;
    trace(flow: FlowSpec, opts?: SessionTraceOptions): TraceResult;
    /**
     * The same session with one node's netfilter replaced by a real node's `iptables-save`
     * output (`podnet trace --rules-from`). Throws IptablesParseError for a bad dump and
     * TraceInputError for an unknown node.
     */
    withNodeRules(nodeName: string, iptablesSave: string, file?: string): this;
}
/** A session over the model of a cluster: the state is always there. */
export interface ModelSession extends TraceSession {
    readonly state: ClusterState;
}
interface SessionOptions {
    /** Replaces the cluster's resolver walk (a test's own). */
    resolve?: Resolver;
}
/**
 * A session over an IR (built from `state`, or a bare IR such as a fixture's). Without
 * state, names are not resolved: flows name pods and addresses. `resolve` replaces the
 * cluster's resolver walk (a test's own).
 */
export declare function traceSession(state: ClusterState, ir: DataplaneIR, o?: SessionOptions): ModelSession;
export declare function traceSession(state: ClusterState | undefined, ir: DataplaneIR, o?: SessionOptions): TraceSession;
export interface ModelOptions extends SessionOptions {
    /** kube-proxy mode (default: the cluster config's). */
    proxyMode?: ProxyModeName;
}
/** A session over the model built from `state`: the IR is assembled here, not by the asker. */
export declare function modelSession(state: ClusterState, o?: ModelOptions): ModelSession;
