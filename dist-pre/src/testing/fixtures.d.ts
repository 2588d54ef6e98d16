import type { ClusterState, EndpointSliceState, NodeState, PodState, ServiceState } from "../control/state.js";
import { type ClusterConfig } from "../manifest/config.js";
import type { Endpoint, EndpointPort } from "../manifest/types.js";
/** kind's defaults (pods 10.244.0.0/16, Services 10.96.0.0/12, nodes 192.168.1.0/24), no nodes, ipBlock not matching pods. */
export declare function testConfig(o?: {
    name?: string;
    networking?: Partial<ClusterConfig["networking"]>;
}): ClusterConfig;
/**
 * A ClusterState with nothing in it but `config` and the default namespace; `over` fills
 * in what a test needs. No `objects` / `replicaSets`: views then derive ReplicaSets from
 * the pods' owners, as they do for a state read from a dump.
 */
export declare function emptyState(config: ClusterConfig, over?: Partial<ClusterState>): ClusterState;
/** A worker node at 192.168.1.<10+index> with the pod range 10.244.<index>.0/24. */
export declare function nodeState(name: string, index: number, over?: Partial<NodeState>): NodeState;
/** A bare running pod (no node, no IP, no containers); `over` sets the rest. */
export declare function podState(namespace: string, name: string, over?: Partial<PodState>): PodState;
/** A ClusterIP Service with kube-apiserver's defaults and no selector, IP or ports. */
export declare function serviceState(namespace: string, name: string, over?: Partial<ServiceState>): ServiceState;
export interface FxEndpoint {
    ip: string;
    node?: string;
    hostname?: string;
    ready?: boolean;
    /** Defaults to `ready` (serving is ready regardless of termination). */
    serving?: boolean;
    terminating?: boolean;
}
/** An endpoint as the EndpointSlice controller writes it (ready unless said otherwise). */
export declare function endpoint(e: FxEndpoint): Endpoint;
/** A controller-managed IPv4 EndpointSlice. */
export declare function sliceState(namespace: string, serviceName: string, name: string, ports: EndpointPort[], eps: FxEndpoint[]): EndpointSliceState;
