import type { DataplaneIR } from "../ir/types.js";
import { type RenderOptions } from "./render.js";
export interface ReconcileReport {
    added: string[];
    removed: string[];
    /** Nodes whose netfilter rules were reloaded (one iptables-restore / nft -f each). */
    reloaded: string[];
    /** Nodes whose BIRD was reconfigured (Calico: their blocks changed). */
    bgp: string[];
    /** DNS servers (CoreDNS pods) that loaded the new state, and those that did not answer in time. */
    dns: {
        reloaded: string[];
        late: string[];
    };
}
export interface ReconcileOptions {
    cluster: string;
    ir: DataplaneIR;
    /** The IR the kernel holds now: only nodes whose netfilter text differs are reloaded, tables that vanished are deleted, BIRD follows changed blocks. Without it every node is reloaded. */
    previous?: DataplaneIR;
    render?: RenderOptions;
    containers?: Map<string, string[]>;
    log?: (s: string) => void;
    /** Tell the running DNS servers to reload the recorded state (inputs + change log) and wait for them (default true when any runs). */
    reloadDns?: boolean;
}
/**
 * Brings a running cluster to a new IR, pod by pod (apply/delete/scale), in the order
 * that loses no request a Service could still send to a ready endpoint:
 *   1. removed pods whose name or IP a new pod takes (a StatefulSet pod keeps its name);
 *   2. new pods: namespace, CNI ADD, their servers (a new supervisor generation per node;
 *      CoreDNS pods: a DNS server) — they listen before any rule points at them;
 *   3. netfilter of each node whose rules changed, atomically (iptables-restore replaces
 *      the tables it lists; nft deletes and re-creates its tables in one transaction);
 *      UDP conntrack entries towards removed pods are flushed, as kube-proxy does;
 *   4. the other removed pods (as in Kubernetes: a terminating pod leaves the endpoints,
 *      then it is killed): sockets closed, CNI DEL, namespace deleted;
 *   5. BIRD reconfigured where a node's blocks changed; the DNS servers reload their zone.
 * Nodes and the underlay are not changed here (live.ts refuses changes that would).
 */
export declare function reconcile(o: ReconcileOptions): Promise<ReconcileReport>;
