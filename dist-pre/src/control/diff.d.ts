import type { ClusterState } from "./state.js";
export interface PodRef {
    namespace: string;
    name: string;
    ip: string | null;
    node: string | null;
}
export interface StateDiff {
    podsAdded: PodRef[];
    podsRemoved: PodRef[];
    /** Pods that stayed but changed IP, node, readiness or started terminating. */
    podsChanged: {
        before: PodRef;
        after: PodRef;
        what: string[];
    }[];
    servicesAdded: {
        namespace: string;
        name: string;
        clusterIP: string | null;
        type: string;
        ports: string;
        external: string[];
    }[];
    servicesRemoved: {
        namespace: string;
        name: string;
        clusterIP: string | null;
    }[];
    servicesChanged: {
        namespace: string;
        name: string;
        what: string[];
    }[];
    endpointsChanged: {
        namespace: string;
        name: string;
        clusterIP: string | null;
        before: string[];
        after: string[];
    }[];
}
/** Ready endpoint addresses of a Service ("ip:port", sorted). */
export declare function serviceEndpointAddrs(state: ClusterState, svc: {
    namespace: string;
    name: string;
}): string[];
export declare function diffStates(before: ClusterState, after: ClusterState): StateDiff;
export declare function diffIsEmpty(d: StateDiff): boolean;
