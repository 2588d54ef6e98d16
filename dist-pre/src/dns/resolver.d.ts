import type { ClusterState, PodState } from "../control/state.js";
import { type RR, type Rcode, type Zone } from "./zone.js";
export type Libc = "glibc" | "musl";
export interface WalkQuery {
    /** Absolute name sent, with the trailing dot. */
    name: string;
    type: string;
    rcode: Rcode;
    answers: RR[];
}
export interface WalkResult {
    queries: WalkQuery[];
    result: {
        status: "found" | "NXDOMAIN" | "NODATA" | "SERVFAIL";
        /** The name that answered (absolute, with the trailing dot). */
        name?: string;
        answers: RR[];
        /** The addresses/targets of the asked type, in answer order. */
        values: string[];
    };
    /** One line on why the walk went the way it did (ndots rule). */
    why: string;
}
export type QueryFn = (fqdn: string, type: string) => {
    rcode: Rcode;
    answers: RR[];
};
export declare function walk(resolvConf: string, name: string, type: string, libc: Libc, query: QueryFn): WalkResult;
export declare function rdataText(a: RR): string;
/** Finds a pod by "ns/name", "name" (default namespace first) or a name prefix ("order-app"). */
export declare function findPod(state: ClusterState, ref: string, namespace?: string): PodState | undefined;
export interface ResolveOptions {
    type?: string;
    libc?: Libc;
    zone?: Zone;
    namespace?: string;
}
/**
 * The walk a pod's resolver makes for `name`, answered by the cluster DNS when the pod's
 * nameserver is the cluster DNS address, else by the node's resolver (which knows the
 * outside names, i.e. the config's externalDNS, and nothing under the cluster zone).
 */
export declare function resolveFromPod(state: ClusterState, podRef: string, name: string, opts?: ResolveOptions): WalkResult & {
    pod: PodState;
    resolvConf: string;
    nameserver: string | undefined;
};
/** The walk as text, one query per line, like the seeds' walkthroughs. */
export declare function formatWalk(r: ReturnType<typeof resolveFromPod>, name: string, libc: Libc): string;
