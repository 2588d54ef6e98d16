import type { ClusterState } from "../control/state.js";
import type { Backend, ClusterConfig, CniName, ProxyModeName } from "../manifest/config.js";
export interface FixtureOptions {
    cni?: CniName;
    backend?: Backend;
    proxyMode?: ProxyModeName;
    nodes?: number;
    /** Regular pods per node (each with one container listening on 8080/TCP "http"). */
    podsPerNode?: number;
    /** A hostNetwork pod (kube-proxy-like) on every node. */
    hostNetworkPods?: boolean;
    mtu?: number;
}
export declare function fixtureConfig(o?: FixtureOptions): ClusterConfig;
export declare function fixtureState(o?: FixtureOptions): ClusterState;
