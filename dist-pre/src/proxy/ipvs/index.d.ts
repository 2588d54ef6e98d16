import type { ClusterState, NodeState } from "../../control/state.js";
import type { ProxyMode } from "../mode.js";
export interface IpvsIpsets {
    /** hash:ip,port — every cluster IP,proto:port. */
    "KUBE-CLUSTER-IP": string[];
    /** hash:ip,port,ip — endpoint,proto:port,endpoint for hairpin masquerade (per node: local endpoints). */
    "KUBE-LOOP-BACK": string[];
    /** bitmap:port — NodePorts. */
    "KUBE-NODE-PORT-TCP": number[];
    "KUBE-NODE-PORT-UDP": number[];
    "KUBE-EXTERNAL-IP": string[];
    "KUBE-LOAD-BALANCER": string[];
}
/** The ipsets ipvs mode keeps on `node` (KUBE-LOOP-BACK holds the node's own endpoints). */
export declare function ipvsIpsets(state: ClusterState, node: NodeState): IpvsIpsets;
export declare const ipvsMode: ProxyMode;
