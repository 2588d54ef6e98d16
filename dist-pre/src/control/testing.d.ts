import type { ClusterSpec } from "../manifest/cluster-spec.js";
import type { KubeObject } from "../manifest/types.js";
export declare function objectsFromYaml(text: string, file?: string): KubeObject[];
export declare function specFrom(configYaml: string | object | undefined, manifests: string): ClusterSpec;
import type { ClusterState, PodState } from "./state.js";
/** The seeds' cluster: control-plane (tainted), worker-1 (zone a), worker-2 (zone b). */
export declare const THREE_NODES: {
    name: string;
    nodes: ({
        name: string;
        role: string;
        labels?: undefined;
    } | {
        name: string;
        labels: {
            zone: string;
        };
        role?: undefined;
    })[];
    networking: {
        loadBalancerSubnet: string;
    };
};
export declare function cluster(manifests: string, config?: object, seed?: string): ClusterState;
export declare function podsOf(state: ClusterState, prefix: string, namespace?: string): PodState[];
export declare function deployment(name: string, replicas: number, extra?: {
    labels?: Record<string, string>;
    spec?: string;
    ports?: string;
}): string;
/** A StatefulSet of nginx pods labelled app=<name>, governed by `serviceName` (default "nginx"). */
export declare function statefulSet(name: string, replicas: number, extra?: {
    serviceName?: string;
    ports?: string;
}): string;
