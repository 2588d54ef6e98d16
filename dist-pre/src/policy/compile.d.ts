import type { ClusterState, NodeState, PodState } from "../control/state.js";
import type { NftLayer } from "../ir/types.js";
import { type PolicyIndex } from "./engine.js";
export declare const POLICY_TABLE = "podnet-policy";
/** filter - 1: see the header. */
export declare const POLICY_PRIO = -1;
/** nft refuses comments over 128 bytes: cut long ones (names may be 253 characters). */
export declare function nftComment(s: string): string;
/** The policy layer of one node: undefined when no pod on it is isolated. */
export declare function compileNodePolicy(ix: PolicyIndex, state: ClusterState, node: NodeState, podsOnNode: PodState[]): NftLayer | undefined;
/** Policy layers for every node (shared index built once). */
export declare function compilePolicies(state: ClusterState): Map<string, NftLayer>;
/** The policy layer of one node, with the policy index cached per state (the IR builder's entry). */
export declare function nodePolicyLayer(state: ClusterState, node: NodeState, podsOnNode: PodState[]): NftLayer | undefined;
