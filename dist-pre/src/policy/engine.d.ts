import type { ClusterState, PodState } from "../control/state.js";
import type { LabelSelector, NetworkPolicySpec } from "../manifest/types.js";
import { type Cidr } from "../net/ipv4.js";
import { type ConnSet, type Proto } from "./portset.js";
export interface CPeer {
    podSelector?: LabelSelector;
    namespaceSelector?: LabelSelector;
    ipBlock?: {
        cidr: Cidr;
        except: Cidr[];
        text: string;
    };
}
export interface CPort {
    protocol: Proto;
    port?: number | string;
    endPort?: number;
}
export interface CRule {
    index: number;
    /** null: the rule has no from/to, so every peer matches. */
    peers: CPeer[] | null;
    /** null: no ports, so every port and protocol. */
    ports: CPort[] | null;
}
export interface CPolicy {
    namespace: string;
    name: string;
    podSelector: LabelSelector;
    ingress: boolean;
    egress: boolean;
    ingressRules: CRule[];
    egressRules: CRule[];
}
/** One end of a connection as policy sees it: a (non-hostNetwork) pod, or a bare IP
 *  (outside the cluster, a node, or a hostNetwork pod, which policies cannot select). */
export type Party = {
    kind: "pod";
    pod: PodState;
} | {
    kind: "ip";
    ip: number;
    label?: string;
};
export declare function policyTypes(spec: NetworkPolicySpec): {
    ingress: boolean;
    egress: boolean;
};
export declare function compilePolicy(namespace: string, name: string, spec: NetworkPolicySpec): CPolicy;
/** The rule's ports as a connection set, named ports resolved against `dst` (the pod
 *  receiving the connection). A name no container of `dst` has matches nothing. */
export declare function rulePorts(ports: CPort[] | null, dst: Party): ConnSet;
export declare function namedPort(pod: PodState, name: string, protocol: Proto): number | undefined;
export interface PolicyIndex {
    state: ClusterState;
    policies: CPolicy[];
    byNamespace: Map<string, CPolicy[]>;
    nsLabels: Map<string, Record<string, string>>;
    ipBlockMatchesPods: boolean;
}
export declare function indexPolicies(state: ClusterState): PolicyIndex;
/** Whether a policy can select this pod at all (hostNetwork pods are not selectable). */
export declare function selectable(pod: PodState): boolean;
export declare function partyIp(p: Party): number | undefined;
/** Does a rule's peer match this party? `policyNs` scopes a bare podSelector. */
export declare function peerMatches(ix: PolicyIndex, peer: CPeer, policyNs: string, party: Party): boolean;
export declare function policiesSelecting(ix: PolicyIndex, pod: PodState, dir: "ingress" | "egress"): CPolicy[];
export interface RuleHit {
    policy: string;
    rule: number;
    conns: ConnSet;
}
export interface DirectionVerdict {
    direction: "ingress" | "egress";
    /** The pod whose policies decide this side (absent: not a pod, so not isolated). */
    subject?: string;
    isolated: boolean;
    /** Policies that select the subject for this direction. */
    selecting: string[];
    /** What the selecting policies allow towards/from the peer. */
    allowed: ConnSet;
    hits: RuleHit[];
}
/** One side of a connection: what `subject`'s policies allow with `peer`. For egress the
 *  subject is the source and the peer the destination; for ingress the reverse. Named
 *  ports are always resolved against the destination. */
export declare function directionVerdict(ix: PolicyIndex, dir: "ingress" | "egress", subject: Party, peer: Party, selecting?: CPolicy[]): DirectionVerdict;
export interface FlowDecision {
    allowed: boolean;
    egress: DirectionVerdict;
    ingress: DirectionVerdict;
    /** Set when ingress was allowed because the source is the destination pod's own node. */
    nodeLocal?: boolean;
    /** The rule that allowed each side (the first hit containing the port). */
    egressRule?: RuleHit;
    ingressRule?: RuleHit;
}
/** Is a new connection src → dst:port/proto allowed? Both ends must allow it.
 *  `nodeIps` lists each node's address: traffic from a pod's own node is allowed (kubelet probes). */
export declare function decide(ix: PolicyIndex, src: Party, dst: Party, proto: Proto, port: number): FlowDecision;
/** A sentence for one side, as a walkthrough reads. */
export declare function explainSide(v: DirectionVerdict, hit: RuleHit | undefined, what: string): string;
