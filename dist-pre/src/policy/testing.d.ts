import type { ClusterState, PodState } from "../control/state.js";
import type { NetworkPolicySpec } from "../manifest/types.js";
export declare function conformancePod(ns: string, name: string, ip: string, node?: string, hostIP?: string): PodState;
export declare function conformanceState(policies: {
    namespace: string;
    name: string;
    spec: NetworkPolicySpec;
}[], ipBlockMatchesPods?: boolean): ClusterState;
