import type { ClusterState } from "../control/state.js";
import type { ProxyModeName } from "../manifest/config.js";
import type { ProxyMode, ProxyOutput } from "../proxy/mode.js";
import type { CniFlavor, FlavorContext } from "../plumbing/flavor.js";
import type { DataplaneIR, NetNs, NodeNet, PodNet, Underlay } from "../ir/types.js";
export interface BuildOptions {
    proxyMode?: ProxyModeName;
    /** A proxy mode strategy to use instead of the registry's (tests). */
    proxy?: ProxyMode | null;
}
export declare const UNDERLAY_NS = "underlay";
export declare const UNDERLAY_BRIDGE = "podnet0";
export interface BuildContext extends FlavorContext {
    flavor: CniFlavor;
    proxy: ProxyMode | null;
    proxyModeName: ProxyModeName;
    netfilterMode: "iptables" | "nftables";
    /** Node index in state.nodes (underlay port position). */
    nodePos: Map<string, number>;
    externalClient: string;
    nodeSubnetPrefix: number;
    /** The proxy mode's shared output, computed on first use. */
    proxyShared(): ProxyOutput;
}
export declare function underlayPortName(pos: number): string;
/** The LAN gateway / outside client address (see the decisions above). */
export declare function chooseExternalClient(state: ClusterState): string;
export declare function buildContext(state: ClusterState, opts?: BuildOptions): BuildContext;
export interface NodeBuild {
    node: NodeNet;
    /** Every pod scheduled to the node (hostNetwork pods without ns). */
    pods: PodNet[];
}
/** The IR of one node and its pods, independent of the other nodes' IR. */
export declare function buildNodeIR(state: ClusterState, nodeName: string, ctx?: BuildContext): NodeBuild;
export declare function nodeEth0Mac(nodeName: string): string;
/** The LAN: bridge podnet0 with one port per node and the gateway/outside address. */
export declare function buildUnderlay(state: ClusterState, ctx?: BuildContext): Underlay;
/**
 * The whole cluster. Node and pod namespaces are built on first access per node (a
 * node's pods come with it), so building the IR of a 5,000-node cluster is cheap and
 * only the nodes a consumer touches cost memory.
 */
export declare function buildIR(state: ClusterState, opts?: BuildOptions): DataplaneIR;
/** Finds a namespace by id ("node/NAME", "pod/NS/NAME", "underlay") in an IR. */
export declare function findNs(ir: DataplaneIR, id: string): NetNs | undefined;
