// The compiled form of a policy the engine evaluates (engine.ts): Kubernetes NetworkPolicy
// and Cilium's own policies (cilium.ts) alike.
import type { LabelSelector } from "../manifest/types.js";
import type { Cidr } from "../net/ipv4.js";
import type { Proto } from "./portset.js";
import type { CalicoSelector } from "../manifest/calico-selector.js";

/** A Calico rule's action (https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#rule). */
export type CalicoAction = "Allow" | "Deny" | "Pass" | "Log";

/** A Calico entity rule's criteria on one party; all that are given must hold (calico.ts). */
export interface CalicoMatch {
  selector?: CalicoSelector;
  notSelector?: CalicoSelector;
  namespaceSelector?: CalicoSelector;
  nets?: Cidr[];
  notNets?: Cidr[];
  serviceAccounts?: { names?: string[]; selector?: CalicoSelector };
  /** A namespaced policy's namespace: its endpoint criteria select there unless a
   *  namespaceSelector says otherwise; null for a GlobalNetworkPolicy. */
  scope: string | null;
  /** Services as peers (not modelled): matches nothing. */
  never?: true;
  /** The criteria as written, for messages and cache keys. */
  text: string;
}

export interface CPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  /** Cilium's fromEndpoints/toEndpoints: a selector over a pod's Cilium labels (cilium.ts);
   *  `namespace`: only that namespace's pods (a CiliumNetworkPolicy's own, unless the
   *  selector names one). */
  endpoints?: { selector: LabelSelector; namespace?: string };
  /** Cilium's toFQDNs: the outside names' addresses (manifest/cilium-fqdn.ts), allowed only
   *  to a pod whose lookups the agent's DNS proxy sees (CPolicy.dnsProxy). */
  fqdn?: { text: string; ips: Set<number> };
  /** A Calico rule's source (ingress) or destination (egress) criteria (calico.ts). */
  calico?: CalicoMatch;
  /** Cilium's fromEntities/toEntities (cilium.ts entityMatches). */
  entity?: string;
  /** Cilium's fromCIDR/fromCIDRSet (an ipBlock beside it): matches addresses outside the
   *  cluster only; pods and nodes have identities of their own. */
  world?: true;
  /** `ipv6`: an IPv6 block, kept as written; podnet's clusters are IPv4-only, so it matches
   *  no address (its `cidr` is then the empty range and `except` is empty). */
  ipBlock?: { cidr: Cidr; except: Cidr[]; text: string; ipv6?: true };
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
  /** Calico: what the rule does with what it matches (absent: Allow). */
  action?: CalicoAction;
  /** Calico's notPorts (and notProtocol): taken out of `ports`. */
  exceptPorts?: CPort[];
  /** Calico: criteria on the policy's own endpoint (an egress rule's source, an ingress
   *  rule's destination). */
  self?: CalicoMatch;
}
export interface CPolicy {
  /** "" for a CiliumClusterwideNetworkPolicy. */
  namespace: string;
  name: string;
  /** How verdicts name it: "ns/name", or "name" for a clusterwide policy. */
  id: string;
  podSelector: LabelSelector;
  /** A Cilium policy: selects by a pod's Cilium labels (cilium.ts ciliumSelects), not by
   *  podSelector within the namespace. */
  cilium?: { kind: "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy"; endpointSelector: LabelSelector };
  /** A Calico policy, or a NetworkPolicy as Calico holds it (in the default tier at order
   *  1000): evaluated in tier and policy order, first match wins (calico.ts). */
  calico?: CalicoPolicyInfo;
  /** Isolates the pods it selects for ingress: Ingress in (defaulted) policyTypes; for Cilium
   *  an ingress or ingressDeny section and enableDefaultDeny.ingress not false. */
  ingress: boolean;
  egress: boolean;
  ingressRules: CRule[];
  egressRules: CRule[];
  /** Cilium: an egress rule with L7 DNS rules, so the agent's DNS proxy sees the selected
   *  pods' lookups and toFQDNs learns addresses for them. */
  dnsProxy?: true;
  /** Cilium's ingressDeny/egressDeny: what they match is denied whatever allows it. */
  ingressDenyRules?: CRule[];
  egressDenyRules?: CRule[];
}

export interface CalicoPolicyInfo {
  kind:
    | "NetworkPolicy"
    | "GlobalNetworkPolicy"
    | "KubernetesNetworkPolicy"
    | "AdminNetworkPolicy"
    | "BaselineAdminNetworkPolicy";
  tier: string;
  /** The tier's order (unset: Infinity) and what its end does with what no rule decided. */
  tierOrder: number;
  tierDefault: "Deny" | "Pass";
  /** The policy's order (unset: Infinity); ties go by sortKey, as Felix sorts them. */
  order: number;
  sortKey: string;
  /** Calico's selector over the endpoint's labels (absent for a Kubernetes NetworkPolicy,
   *  which selects by podSelector). */
  selector?: CalicoSelector;
  /** A GlobalNetworkPolicy's namespaceSelector. */
  namespaceSelector?: CalicoSelector;
  serviceAccountSelector?: CalicoSelector;
  /** An (Baseline)AdminNetworkPolicy's subject: pods of the namespaces this selects whose
   *  labels podSelector selects. */
  subjectNamespaces?: LabelSelector;
}
