import type { ClusterState } from "../control/state.js";
import type { DataplaneIR } from "../ir/types.js";
import type { Protocol, TracePath } from "../sim/trace.js";
import { type ProbeRequest } from "../linux/probe.js";
export type FlowSet = "pods" | "services" | "dns";
export declare const FLOW_SETS: FlowSet[];
export interface ModelPath {
    probability: number;
    verdict: string;
    reason?: string;
    detail: string;
    /** Where the path ended ("pod/default/web-0") and the container that listens. */
    ns?: string;
    container?: string;
    /** The random choices (KUBE-SVC → KUBE-SEP …). */
    choices: string[];
    /** The object that decided (REJECT rule, policy rule, listener …). */
    object?: string;
    outcome: string;
}
export interface VerifyFlow {
    id: number;
    kind: "pod" | "service" | "nodeport" | "external" | "dns";
    /** "default/order-app-…" or "external". */
    from: string;
    /** Human form of the destination ("default/web-0 10.244.1.7:80/tcp", "svc default/user-service 10.96.11.236:80/tcp", "user-service"). */
    to: string;
    protocol?: Protocol;
    dst?: string;
    port?: number;
    /** DNS flows: the name asked. */
    name?: string;
    model: {
        outcomes: string[];
        paths?: ModelPath[];
        walk?: {
            name: string;
            rcode: string;
            answers: string[];
        }[];
        dnsStep?: string[];
    };
    kernel: {
        outcomes: string[];
        counts: Record<string, number>;
        tries: number;
        errors?: string[];
    };
    agree: boolean;
    /** Why they (dis)agree in one line. */
    note?: string;
}
export interface VerifyReport {
    cluster: string;
    flowSets: FlowSet[];
    flows: number;
    agree: number;
    disagree: number;
    byKind: Record<string, {
        flows: number;
        agree: number;
        disagree: number;
    }>;
    /** Flows not run, with why (e.g. SCTP listeners). */
    skipped: {
        what: string;
        why: string;
    }[];
    ms: number;
    /** Every flow (JSON output); the text output prints only disagreements. */
    results: VerifyFlow[];
}
export interface VerifyOptions {
    cluster: string;
    flows?: FlowSet[];
    /** Defaults: TCP connect 500 ms, UDP 300 ms. */
    tcpTimeoutMs?: number;
    udpTimeoutMs?: number;
    /** Source namespaces probed at once (default 6). */
    parallel?: number;
    /** The IR/state to compare with (default: recomputed from the recorded inputs). */
    ir?: DataplaneIR;
    state?: ClusterState;
    log?: (s: string) => void;
}
/** A model path as an outcome key (the kernel's vocabulary). */
export declare function pathOutcome(ir: DataplaneIR, path: TracePath): string;
export interface Planned {
    flow: VerifyFlow;
    /** Kernel namespace the flow starts in. */
    srcNetns: string;
    probe: ProbeRequest;
    /** Outcomes compare as "delivered" without the pod (the answer does not name it). */
    anonymous: boolean;
    affinity: boolean;
    /** UDP "hostname" answers → pod key. */
    names?: Record<string, string>;
}
export declare function planFlows(ir: DataplaneIR, state: ClusterState | undefined, cluster: string, sets: FlowSet[], skipped: VerifyReport["skipped"]): Planned[];
export declare function verify(o: VerifyOptions): Promise<VerifyReport>;
/** The text report: the summary line, per kind, then every disagreement with both sides' evidence. */
export declare function formatVerify(r: VerifyReport): string;
