import type { DataplaneIR, IptLayer, NetNs, NftLayer, Route } from "../ir/types.js";
/** Netfilter text renderers (src/ir/render-iptables.ts, render-nft.ts), injected. */
export interface NetfilterRenderers {
    iptables(layers: IptLayer[]): string;
    nft(layers: NftLayer[]): string;
}
export type Step = {
    kind: "ip-batch";
    ns: string;
    lines: string[];
} | {
    kind: "bridge-batch";
    ns: string;
    lines: string[];
} | {
    kind: "sysctl";
    ns: string;
    script: string;
    keys: string[];
} | {
    kind: "netfilter";
    ns: string;
    tool: "iptables-restore" | "nft";
    text: string;
};
export interface Plan {
    /** Kernel namespace names, in creation order, with the IR id each one holds. */
    namespaces: {
        id: string;
        name: string;
    }[];
    steps: Step[];
}
export interface RenderOptions {
    /** Netfilter renderers; without them netfilter is not rendered (and `skipped` says so). */
    netfilter?: NetfilterRenderers;
    /** Calico: routes with proto bird are BIRD's to install; render them only when true. */
    includeBirdRoutes?: boolean;
}
export declare class RenderError extends Error {
}
/** Routes the kernel adds by itself when an address is added or a link goes up. */
export declare function isKernelRoute(r: Route): boolean;
/** /proc/sys path of a sysctl key. Interface names may contain dots ("flannel.1"). */
export declare function sysctlPath(key: string): string;
/** The interface a sysctl key is about ("net.ipv4.conf.cali123.proxy_arp" → "cali123"), if any. */
export declare function sysctlDev(key: string): string | null;
/**
 * Restricts what of a namespace is rendered by interface: "only" renders the objects
 * on those links (a pod's host side in the node), "except" everything else.
 */
export interface Selection {
    devs: Set<string>;
    mode: "only" | "except";
}
/**
 * The steps that build one namespace (it must exist; veth peers whose namespace
 * ranks later must exist too). `peers` resolves peer links (for their MAC and MTU).
 */
export declare function renderNamespace(cluster: string, ns: NetNs, opts?: RenderOptions, sel?: Selection, peers?: Map<string, NetNs>): Step[];
/** Render whole namespaces, in the order given (underlay, nodes, pods). */
export declare function renderPlan(cluster: string, namespaces: NetNs[], opts?: RenderOptions): Plan;
/** Host-side interfaces in a node namespace that face pods (created by the pods' CNI ADD). */
export declare function podFacingLinks(node: NetNs): Set<string>;
/** The infrastructure: the underlay and the nodes without their pod-facing interfaces. */
export declare function renderInfra(ir: DataplaneIR, cluster: string, opts?: RenderOptions): Plan;
/**
 * Attaching one pod (what its CNI ADD does): the host side in the node (veth created
 * there with the pod end moved into the pod's namespace, master, routes and sysctls
 * on it), then the pod's own namespace. The pod namespace must exist.
 */
export declare function renderPodAttach(cluster: string, node: NetNs, pod: NetNs, opts?: RenderOptions): Step[];
/** The argv of each step (what exec.ts runs; stdin is the lines/text). */
export declare function stepCommand(s: Step): {
    argv: string[];
    input: string;
};
