import type { ClusterState, EndpointSliceState, ServicePortState, ServiceState } from "../control/state.js";
export interface ProxyEndpoint {
    ip: string;
    port: number;
    nodeName: string | undefined;
    ready: boolean;
    serving: boolean;
    terminating: boolean;
    /** epStr's cache. */
    s?: string;
}
/** "ip:port": kube-proxy's Endpoint.String(), also the sort key. Built on first use (most never are). */
export declare function epStr(e: ProxyEndpoint): string;
export interface ProxyServicePort {
    svc: ServiceState;
    port: ServicePortState;
    /** ServicePortName.String(): "ns/name" or "ns/name:portName". */
    name: string;
    /** Lower-case protocol: tcp, udp, sctp. */
    protocol: string;
    clusterIP: string;
    externalIPs: string[];
    lbIPs: string[];
    nodePort: number;
    healthCheckNodePort: number;
    sourceRanges: string[];
    affinity: boolean;
    affinityTimeout: number;
    /** All endpoints of this port, sorted by "ip:port" (string order, as kube-proxy sorts). */
    endpoints: ProxyEndpoint[];
    internalLocal: boolean;
    externalLocal: boolean;
    externallyAccessible: boolean;
    usesClusterEndpoints: boolean;
    usesLocalEndpoints: boolean;
    /** Cluster-policy endpoints: ready ones, or serving+terminating ones when none is ready. */
    clusterEndpoints: ProxyEndpoint[];
    /** The service has usable endpoints somewhere in the cluster. */
    hasEndpoints: boolean;
}
/** Endpoint slices indexed by "ns/service". */
export declare function indexSlices(state: ClusterState): Map<string, EndpointSliceState[]>;
/** kube-proxy's ShouldSkipService: no cluster IP (headless, ExternalName) or not IPv4. */
export declare function skipService(svc: ServiceState): boolean;
/** Every IPv4 service port kube-proxy programs, in state order (kube-proxy's order is a Go map's). */
export declare function servicePorts(state: ClusterState): ProxyServicePort[];
/** The node's endpoints for Local traffic policy: local ready ones, else local serving+terminating ones. */
export declare function localEndpoints(sp: ProxyServicePort, node: string): {
    eps: ProxyEndpoint[];
    servingTerminating: boolean;
};
/** Endpoints the node may reach (chains to create): CategorizeEndpoints' allReachableEndpoints. */
export declare function reachableEndpoints(sp: ProxyServicePort, local: {
    eps: ProxyEndpoint[];
    servingTerminating: boolean;
}): ProxyEndpoint[];
/** Total endpoints over all service ports: kube-proxy's large-cluster threshold input. */
export declare function totalEndpoints(sps: ProxyServicePort[]): number;
/** The pod network (the local-traffic detector's cluster CIDR). */
export declare function clusterCIDR(state: ClusterState): string;
