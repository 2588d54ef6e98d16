import type { ClusterState, EndpointSliceState, NodeState, ServicePortState, ServiceState } from "../control/state.js";
import type { ClusterConfig } from "../manifest/config.js";
/** kind's defaults with ipBlock not matching pods (src/testing/fixtures.ts). */
export declare function testConfig(over?: Partial<ClusterConfig["networking"]>): ClusterConfig;
/** Node `index` at 192.168.1.<10+index> with 10.244.<index>.0/24; the first is the control plane. */
export declare function node(name: string, index: number): NodeState;
export type SvcOpts = Partial<Omit<ServiceState, "ports">> & {
    ports?: Partial<ServicePortState>[];
};
export declare function service(namespace: string, name: string, clusterIP: string, o?: SvcOpts): ServiceState;
export interface EpSpec {
    ip: string;
    node?: string;
    ready?: boolean;
    serving?: boolean;
    terminating?: boolean;
}
export declare function slice(namespace: string, serviceName: string, eps: EpSpec[], ports?: {
    name?: string;
    port: number;
    protocol?: "TCP" | "UDP" | "SCTP";
}[], name?: string): EndpointSliceState;
export declare function clusterState(services: ServiceState[], slices: EndpointSliceState[], nodeNames?: string[], over?: Partial<ClusterConfig["networking"]>): ClusterState;
/** A synthetic cluster of `nServices` services with `epsPerService` endpoints spread over `nNodes` nodes. */
export declare function syntheticState(nServices: number, epsPerService: number, nNodes: number): ClusterState;
/** One Service of every kind kube-proxy handles, over three nodes (for load tests). */
export declare function richState(over?: Partial<ClusterConfig["networking"]>): ClusterState;
