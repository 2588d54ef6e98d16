import type { ClusterConfig, CniName } from "../manifest/config.js";
import type { IpamState, NodeState } from "./state.js";
export interface AllocResult {
    ip?: string;
    /** eth0's address as the CNI result lists it ("10.244.1.5/24"). */
    cidr?: string;
    error?: string;
}
export interface PodIpam {
    /** The name shown in AddedInterface ("Add eth0 [10.244.1.5/24] from cbr0"). */
    readonly networkName: string;
    allocate(node: NodeState, containerID: string): AllocResult;
    /** A given address (a dumped pod's status.podIP), when the IPAM can honour it. */
    allocateSpecific?(node: NodeState, ip: string, containerID: string): AllocResult | undefined;
    release(node: NodeState, ip: string): void;
    hostIfName(namespace: string, pod: string, containerID: string): string;
    /** The new IpamState (unchanged node records shared) and the nodes' Calico fields. */
    finish(nodes: NodeState[]): {
        ipam: IpamState;
        nodes: NodeState[];
    };
}
type IpamFactory = (config: ClusterConfig, prev: IpamState, nodes: NodeState[]) => PodIpam;
/** One IPAM strategy per CNI. */
export declare const IPAM_BY_CNI: Record<CniName, IpamFactory>;
export declare function ipamFor(config: ClusterConfig, prev: IpamState, nodes: NodeState[]): PodIpam;
export {};
