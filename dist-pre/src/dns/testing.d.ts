import type { ClusterConfig } from "../manifest/config.js";
import type { ClusterState, ServiceState } from "../control/state.js";
import type { PodSpec, Protocol } from "../manifest/types.js";
import { type FxEndpoint } from "../testing/fixtures.js";
export type { FxEndpoint };
export interface FxService {
    namespace?: string;
    name: string;
    clusterIP?: string | null;
    type?: ServiceState["type"];
    ports?: {
        name?: string;
        port: number;
        protocol?: Protocol;
        targetPort?: number | string;
    }[];
    externalName?: string;
    publishNotReadyAddresses?: boolean;
    endpoints?: FxEndpoint[];
    created?: number;
}
export interface FxPod {
    namespace?: string;
    name: string;
    ip: string | null;
    spec?: Partial<PodSpec>;
    created?: number;
}
export declare function fixtureState(o: {
    services?: FxService[];
    pods?: FxPod[];
    namespaces?: string[];
    config?: (c: ClusterConfig) => void;
    clock?: number;
}): ClusterState;
/** The seeds' demo cluster in miniature, with fixed IPs. */
export declare function demoFixture(): ClusterState;
