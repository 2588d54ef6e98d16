import type { ClusterState } from "../control/state.js";
import type { DataplaneIR } from "../ir/types.js";
/** What the client does for one flow. */
export type ProbeKind = "http" | "udp" | "dns-udp" | "dns-tcp" | "resolve";
/** One flow as the client runs it (py/verify_client.py reads these fields). */
export interface ProbeRequest {
    id: number;
    probe: ProbeKind;
    dst: string;
    port: number;
    /** At most this many tries; the client stops once it has seen every `expect`ed outcome. */
    tries: number;
    expect: string[];
    /** "resolve": the name asked through the pod's resolver. */
    name?: string;
    /** DNS probes: the name queried (any answer with the query's id counts). */
    qname?: string;
}
/** The client's observations of one flow: outcome → count. */
export interface ProbeResult {
    counts: Record<string, number>;
    tries: number;
}
export interface ProbeRunOptions {
    /** Defaults: TCP connect 500 ms, UDP 300 ms. */
    tcpTimeoutMs?: number;
    udpTimeoutMs?: number;
    /** Source namespaces probed at once (default 6). */
    parallel?: number;
}
/** Runs every source namespace's probes; a client that failed leaves its error per namespace. */
export declare function runProbes(bySrc: Map<string, ProbeRequest[]>, o?: ProbeRunOptions): Promise<{
    results: Map<number, ProbeResult>;
    errors: Map<string, string>;
}>;
/** The IR and state of a running cluster, recomputed from what `podnet up` recorded. */
export declare function recompute(cluster: string): Promise<{
    ir: DataplaneIR;
    state?: ClusterState;
}>;
