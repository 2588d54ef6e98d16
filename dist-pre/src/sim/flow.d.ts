import type { ClusterState } from "../control/state.js";
import type { DataplaneIR, PodNet } from "../ir/types.js";
import { type WalkOptions } from "./engine.js";
import type { DnsQuery, Protocol, TraceResult } from "./trace.js";
export declare class TraceInputError extends Error {
}
export interface FlowSpec {
    /** `[ns/]pod` | `node/NAME` | `external[:IP]` */
    from: string;
    /** `[ns/]pod` | `svc/[ns/]NAME` | `IP` | `IP:PORT` | URL */
    to: string;
    port?: number;
    protocol?: Protocol;
    /** IP total length (default 60: a TCP SYN with options). */
    size?: number;
    /** IP TTL of the first packet (default 64). */
    ttl?: number;
    reply?: boolean;
}
/** A resolver walk (the DNS helper's resolveFromPod fits this shape). */
export type Resolver = (pod: PodNet, name: string) => {
    nameserver: string;
    walk: DnsQuery[];
    answer?: string;
};
export interface TraceOptions extends WalkOptions {
    /** For names (svc/…, URLs, pods in other namespaces): the control-plane state. Network facts still come from the IR. */
    state?: ClusterState;
    /** The resolver walk; defaults to a glibc-style walk over state.dns records. */
    resolve?: Resolver;
    /** Cap on enumerated paths (default 4096). */
    maxPaths?: number;
    /** Source port (default: derived from the flow). */
    sport?: number;
    /** Skip the DNS query's own trace. */
    noDnsPath?: boolean;
    /**
     * Enumerate by replaying whole walks, one per choice sequence (the reference the
     * forking walk is tested against; slower).
     */
    replay?: boolean;
}
export declare function traceFlow(ir: DataplaneIR, spec: FlowSpec, opts?: TraceOptions): TraceResult;
