// NetworkPolicy semantics (networking.k8s.io/v1; https://kubernetes.io/docs/concepts/services-networking/network-policies/):
// isolation per direction, policyTypes defaulting, additive rules, both ends must allow,
// peers (podSelector / namespaceSelector / both / ipBlock with except), named ports
// resolved against the destination pod, endPort ranges. Pure: works on ClusterState.

import type { ClusterState, PodState } from "../control/state.js";
import type { LabelSelector, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec } from "../manifest/types.js";
import { cidrContains, ipToInt, parseCidr, type Cidr } from "../net/ipv4.js";
import { matchSelector } from "../manifest/selector.js";
import {
  MAX_PORT,
  MIN_PORT,
  allSet,
  emptySet,
  fromRanges,
  has,
  intersect,
  isEmpty,
  subtract,
  union,
  type ConnSet,
  type Proto,
} from "./portset.js";
import type { CPeer, CPolicy, CPort, CRule } from "./types.js";
import { NS_LABEL, NS_LABELS_PREFIX, compileCiliumPolicies, identityRelevant } from "./cilium.js";
import { compileAdminPolicies } from "./anp.js";
import {
  type CalicoWorld,
  LABEL_NAME,
  asCalicoKnp,
  calicoOrder,
  calicoPartyMatches,
  calicoPodLabels,
  calicoSelects,
  compileCalicoPolicies,
  compileNetworkSets,
} from "./calico.js";

/** Matches nothing: first > last (an IPv6 ipBlock on an IPv4-only cluster). */
const NO_ADDRESSES: Cidr = Object.freeze({ base: 0, prefix: 0, first: 1, last: 0 });

/** An IPv6 CIDR text (validation has accepted it; the family is all that is read here). */
export function isIPv6Cidr(s: string): boolean {
  return typeof s === "string" && s.includes(":");
}
export type { CPeer, CPolicy, CPort, CRule } from "./types.js";

/** One end of a connection as policy sees it: a (non-hostNetwork) pod, or a bare IP
 *  (outside the cluster, a node, or a hostNetwork pod, which policies cannot select). */
export type Party = { kind: "pod"; pod: PodState } | { kind: "ip"; ip: number; label?: string };

export function policyTypes(spec: NetworkPolicySpec): { ingress: boolean; egress: boolean } {
  if (spec.policyTypes && spec.policyTypes.length > 0) {
    return { ingress: spec.policyTypes.includes("Ingress"), egress: spec.policyTypes.includes("Egress") };
  }
  // Defaulting (SetDefaults_NetworkPolicy): Ingress always; Egress when there is an egress rule.
  return { ingress: true, egress: Array.isArray(spec.egress) && spec.egress.length > 0 };
}

function compilePeer(p: NetworkPolicyPeer): CPeer {
  const out: CPeer = {};
  if (p.podSelector) out.podSelector = p.podSelector;
  if (p.namespaceSelector) out.namespaceSelector = p.namespaceSelector;
  if (p.ipBlock && isIPv6Cidr(p.ipBlock.cidr)) {
    // Kubernetes accepts IPv6 blocks (pkg/apis/networking/validation ValidateIPBlock); on an
    // IPv4-only cluster they select no peer, as on a real single-stack IPv4 cluster.
    const ex = p.ipBlock.except ?? [];
    out.ipBlock = {
      cidr: NO_ADDRESSES,
      except: [],
      text: p.ipBlock.cidr + (ex.length ? ` except ${ex.join(",")}` : ""),
      ipv6: true,
    };
  } else if (p.ipBlock) {
    out.ipBlock = {
      cidr: parseCidr(p.ipBlock.cidr, true),
      except: (p.ipBlock.except ?? []).map((e) => parseCidr(e, true)),
      text: p.ipBlock.cidr + ((p.ipBlock.except ?? []).length ? ` except ${p.ipBlock.except!.join(",")}` : ""),
    };
  }
  return out;
}

function compilePorts(ports: NetworkPolicyPort[] | undefined): CPort[] | null {
  if (!ports || ports.length === 0) return null;
  return ports.map((p) => ({ protocol: (p.protocol ?? "TCP") as Proto, port: p.port, endPort: p.endPort }));
}

export function compilePolicy(namespace: string, name: string, spec: NetworkPolicySpec): CPolicy {
  const t = policyTypes(spec);
  return {
    namespace,
    name,
    id: `${namespace}/${name}`,
    podSelector: spec.podSelector ?? {},
    ingress: t.ingress,
    egress: t.egress,
    // A null rule (`ingress: [null]`, `- ~`) decodes as the empty rule, which allows everything
    // (Go's encoding/json leaves a null list element its zero value).
    ingressRules: (t.ingress ? (spec.ingress ?? []) : []).map((r, index) => ({
      index,
      peers: r?.from?.length ? r.from.map(compilePeer) : null,
      ports: compilePorts(r?.ports),
    })),
    egressRules: (t.egress ? (spec.egress ?? []) : []).map((r, index) => ({
      index,
      peers: r?.to?.length ? r.to.map(compilePeer) : null,
      ports: compilePorts(r?.ports),
    })),
  };
}

/** The rule's ports as a connection set, named ports resolved against `dst` (the pod
 *  receiving the connection). A name no container of `dst` has matches nothing. */
export function rulePorts(ports: CPort[] | null, dst: Party): ConnSet {
  if (ports === null) return allSet();
  const known = numericPorts.get(ports);
  if (known) return known;
  // Gathered, then sorted and merged once: a union per entry was quadratic in a rule's ports.
  const r = emptySet();
  let named = false;
  for (const p of ports) {
    if (p.port === undefined) r[p.protocol].push([MIN_PORT, MAX_PORT]);
    else if (typeof p.port === "number") r[p.protocol].push([p.port, p.endPort ?? p.port]);
    else {
      named = true;
      const n = dst.kind === "pod" ? namedPort(dst.pod, p.port, p.protocol) : undefined;
      if (n !== undefined) r[p.protocol].push([n, n]);
    }
  }
  const s = fromRanges(r);
  // Without named ports the set is the same for every destination (sets are never changed in place).
  if (!named) numericPorts.set(ports, s);
  return s;
}

const numericPorts = new WeakMap<CPort[], ConnSet>();

export function namedPort(pod: PodState, name: string, protocol: Proto): number | undefined {
  for (const c of pod.spec.containers) {
    for (const cp of c.ports ?? []) {
      if (cp.name === name && (cp.protocol ?? "TCP") === protocol) return cp.containerPort;
    }
  }
  return undefined;
}

export interface PolicyIndex {
  state: ClusterState;
  /** NetworkPolicies, then Cilium's policies (cilium.ts; only when the CNI is Cilium). */
  policies: CPolicy[];
  /** The namespaced ones (NetworkPolicy, CiliumNetworkPolicy) by namespace. */
  byNamespace: Map<string, CPolicy[]>;
  /** CiliumClusterwideNetworkPolicies. */
  clusterwide: CPolicy[];
  /** Some policy is Cilium's (then a pod's service account matters to selection). */
  cilium: boolean;
  nsLabels: Map<string, Record<string, string>>;
  ipBlockMatchesPods: boolean;
  /** Node addresses (Cilium's host and remote-node identities) and the API server's
   *  (kube-apiserver): what Cilium's entities and CIDR rules tell apart. */
  nodeIps: Set<number>;
  apiServerIps: Set<number>;
  /** Set when the CNI is Calico and Calico's own policies are given: every policy (Kubernetes
   *  ones too) is then evaluated in Calico's tier and policy order (calico.ts). */
  calico?: CalicoWorld;
}

export function indexPolicies(state: ClusterState): PolicyIndex {
  let policies = state.networkPolicies.map((p) => compilePolicy(p.namespace, p.name, p.spec));
  policies.push(...compileCiliumPolicies(state));
  // Calico's order decides when Calico's own policies or the network-policy-api's are given.
  const calicoGiven =
    state.config.networking.cni === "calico" && (state.calico !== undefined || state.adminPolicies !== undefined);
  if (calicoGiven) {
    const tiers = state.calico?.tiers ?? [];
    policies = policies.map((p) => asCalicoKnp(p, tiers));
    policies.push(...compileCalicoPolicies(state.calico?.policies ?? [], tiers));
    policies.push(...compileAdminPolicies(state.adminPolicies ?? [], state.nodes));
  }
  const byNamespace = new Map<string, CPolicy[]>();
  const clusterwide: CPolicy[] = [];
  for (const p of policies) {
    const k = p.calico?.kind;
    if (
      p.cilium?.kind === "CiliumClusterwideNetworkPolicy" ||
      (k && k !== "NetworkPolicy" && k !== "KubernetesNetworkPolicy")
    ) {
      clusterwide.push(p);
      continue;
    }
    const l = byNamespace.get(p.namespace) ?? [];
    l.push(p);
    byNamespace.set(p.namespace, l);
  }
  const nsLabels = new Map<string, Record<string, string>>();
  for (const n of state.namespaces) nsLabels.set(n.name, { "kubernetes.io/metadata.name": n.name, ...n.labels });
  const nodeIps = new Set(state.nodes.map((n) => ipToInt(n.address)));
  const apiServerIps = new Set<number>();
  for (const sl of state.endpointSlices)
    if (sl.namespace === "default" && sl.serviceName === "kubernetes")
      for (const e of sl.endpoints) for (const a of e.addresses) apiServerIps.add(ipToInt(a));
  const ix: PolicyIndex = {
    state,
    policies,
    byNamespace,
    clusterwide,
    cilium: policies.some((p) => p.cilium !== undefined),
    nsLabels,
    ipBlockMatchesPods: state.config.networking.ipBlockMatchesPods,
    nodeIps,
    apiServerIps,
  };
  if (calicoGiven) ix.calico = calicoWorld(ix, state);
  return ix;
}

function calicoWorld(ix: PolicyIndex, state: ClusterState): CalicoWorld {
  const pods = new WeakMap<PodState, Record<string, string>>();
  const namespaces = new Map<string, Record<string, string>>();
  return {
    nsLabels(ns) {
      let l = namespaces.get(ns);
      if (!l) namespaces.set(ns, (l = { ...nsLabelsOf(ix, ns), [LABEL_NAME]: ns }));
      return l;
    },
    podLabels(pod) {
      let l = pods.get(pod);
      if (!l) pods.set(pod, (l = calicoPodLabels(pod)));
      return l;
    },
    networkSets: compileNetworkSets(state.calico?.networkSets ?? []),
  };
}

function nsLabelsOf(ix: PolicyIndex, ns: string): Record<string, string> {
  return ix.nsLabels.get(ns) ?? { "kubernetes.io/metadata.name": ns };
}

/** Whether a policy can select this pod at all (hostNetwork pods are not selectable). */
export function selectable(pod: PodState): boolean {
  return !pod.spec.hostNetwork;
}

export function partyIp(p: Party): number | undefined {
  if (p.kind === "ip") return p.ip;
  return p.pod.podIP ? ipToInt(p.pod.podIP) : undefined;
}

function inIpBlock(b: NonNullable<CPeer["ipBlock"]>, ip: number): boolean {
  if (b.ipv6) return false;
  return cidrContains(b.cidr, ip) && !b.except.some((e) => cidrContains(e, ip));
}

/**
 * Does a rule's peer match this party? `policyNs` scopes a bare podSelector; `subject`, the
 * pod whose policy it is, tells Cilium's `host` (its node) from `remote-node`.
 */
export function peerMatches(ix: PolicyIndex, peer: CPeer, policyNs: string, party: Party, subject?: PodState): boolean {
  if (peer.calico)
    return (
      ix.calico !== undefined &&
      calicoPartyMatches(ix.calico, peer.calico, party, partyIp(party), party.kind === "pod" && selectable(party.pod))
    );
  if (peer.entity !== undefined) return entityMatches(ix, peer.entity, party, subject);
  if (peer.fqdn)
    return (
      party.kind === "ip" &&
      !clusterIdentity(ix, party.ip) &&
      peer.fqdn.ips.has(party.ip) &&
      subject !== undefined &&
      dnsVisible(ix, subject)
    );
  if (peer.endpoints) return endpointsMatch(ix, peer.endpoints, party, subject);
  if (peer.world) {
    // Cilium's CIDR rules select the world: pods and nodes carry identities of their own.
    if (party.kind === "pod" || clusterIdentity(ix, party.ip)) return false;
    return peer.ipBlock !== undefined && inIpBlock(peer.ipBlock, party.ip);
  }
  if (peer.ipBlock) {
    if (party.kind === "pod" && selectable(party.pod) && !ix.ipBlockMatchesPods) return false;
    const ip = partyIp(party);
    return ip !== undefined && inIpBlock(peer.ipBlock, ip);
  }
  if (party.kind !== "pod" || !selectable(party.pod)) return false;
  const pod = party.pod;
  if (!peerNamespaceMatches(ix, peer, policyNs, pod.namespace)) return false;
  if (peer.podSelector && !matchSelector(peer.podSelector, pod.labels)) return false;
  return true;
}

/** Whether a pod peer may match pods of namespace ns: by its namespaceSelector, else only the policy's own. */
export function peerNamespaceMatches(ix: PolicyIndex, peer: CPeer, policyNs: string, ns: string): boolean {
  return peer.namespaceSelector ? matchSelector(peer.namespaceSelector, nsLabelsOf(ix, ns)) : ns === policyNs;
}

/**
 * The policies that select `pod` and say something for `dir`: NetworkPolicies with that
 * policy type; Cilium policies with allow or deny rules for it (one with
 * enableDefaultDeny false adds rules without isolating: p[dir] is false).
 */
export function policiesSelecting(ix: PolicyIndex, pod: PodState, dir: "ingress" | "egress"): CPolicy[] {
  if (!selectable(pod)) return [];
  const out: CPolicy[] = [];
  const consider = (p: CPolicy) => {
    if (p.calico && ix.calico) {
      if (p[dir] && calicoSelects(ix.calico, p, pod, matchSelector)) out.push(p);
      return;
    }
    if (!p.cilium) {
      if (p[dir] && matchSelector(p.podSelector, pod.labels)) out.push(p);
      return;
    }
    const rules = dir === "ingress" ? p.ingressRules : p.egressRules;
    const deny = dir === "ingress" ? p.ingressDenyRules : p.egressDenyRules;
    if (!p[dir] && rules.length === 0 && !deny?.length) return;
    if (ciliumSelects(ix, p, pod)) out.push(p);
  };
  for (const p of ix.byNamespace.get(pod.namespace) ?? []) consider(p);
  for (const p of ix.clusterwide) consider(p);
  return out;
}

/** A pod's identity labels as Cilium's selectors see them (keys without their `k8s:` source). */
// Per index: states share unchanged pods, and a pod's labels here include its namespace's,
// which a change may relabel.
const labelCache = new WeakMap<PolicyIndex, WeakMap<PodState, Record<string, string>>>();
export function ciliumLabelsOf(ix: PolicyIndex, pod: PodState): Record<string, string> {
  let cache = labelCache.get(ix);
  if (!cache) labelCache.set(ix, (cache = new WeakMap()));
  let l = cache.get(pod);
  if (l) return l;
  // pkg/k8s/utils (GetPodMetadata) and pkg/identity: the pod's labels, its namespace and the
  // namespace's labels, its service account, the cluster.
  l = {};
  for (const [k, v] of Object.entries(pod.labels)) if (identityRelevant(k)) l[k] = v;
  for (const [k, v] of Object.entries(nsLabelsOf(ix, pod.namespace))) l[`${NS_LABELS_PREFIX}${k}`] = v;
  l[NS_LABEL] = pod.namespace;
  const spec = pod.spec as { serviceAccountName?: string; serviceAccount?: string };
  l["io.cilium.k8s.policy.serviceaccount"] = spec.serviceAccountName || spec.serviceAccount || "default";
  l["io.cilium.k8s.policy.cluster"] = "default";
  cache.set(pod, l);
  return l;
}

/** Whether a Cilium policy's endpointSelector selects the pod (a namespaced one: in its namespace). */
export function ciliumSelects(ix: PolicyIndex, p: CPolicy, pod: PodState): boolean {
  if (!p.cilium || !selectable(pod)) return false;
  if (p.cilium.kind === "CiliumNetworkPolicy" && pod.namespace !== p.namespace) return false;
  return matchSelector(p.cilium.endpointSelector, ciliumLabelsOf(ix, pod));
}

/**
 * Whether the agent's DNS proxy sees the pod's lookups: an egress policy selecting it has a
 * DNS rule (toPorts rules.dns). Without one toFQDNs learns no address for the pod
 * (https://docs.cilium.io/en/stable/security/policy/language/#dns-based).
 */
const dnsSeen = new WeakMap<PolicyIndex, WeakMap<PodState, boolean>>();
export function dnsVisible(ix: PolicyIndex, pod: PodState): boolean {
  let m = dnsSeen.get(ix);
  if (!m) dnsSeen.set(ix, (m = new WeakMap()));
  let v = m.get(pod);
  if (v === undefined) m.set(pod, (v = policiesSelecting(ix, pod, "egress").some((p) => p.dnsProxy)));
  return v;
}

/** An address Cilium gives a cluster identity (a node's; pods are parties of their own). */
function clusterIdentity(ix: PolicyIndex, ip: number): boolean {
  return ix.nodeIps.has(ip) || ix.apiServerIps.has(ip);
}

/** The node a party stands on, when it is a node (an address, or a hostNetwork pod). */
function nodeParty(ix: PolicyIndex, party: Party): number | undefined {
  if (party.kind === "pod") return selectable(party.pod) || !party.pod.hostIP ? undefined : ipToInt(party.pod.hostIP);
  return ix.nodeIps.has(party.ip) ? party.ip : undefined;
}

/** The reserved labels of a party that is no pod (pkg/labels reserved identities). */
function reservedLabels(ix: PolicyIndex, party: Party, subject?: PodState): Record<string, string> {
  const l: Record<string, string> = {};
  const node = nodeParty(ix, party);
  if (node !== undefined)
    l[subject?.hostIP && ipToInt(subject.hostIP) === node ? "reserved:host" : "reserved:remote-node"] = "";
  else if (party.kind === "ip" && !ix.apiServerIps.has(party.ip)) l["reserved:world"] = "";
  if (party.kind === "ip" && ix.apiServerIps.has(party.ip)) l["reserved:kube-apiserver"] = "";
  return l;
}

function endpointsMatch(
  ix: PolicyIndex,
  e: NonNullable<CPeer["endpoints"]>,
  party: Party,
  subject?: PodState,
): boolean {
  if (party.kind === "pod" && selectable(party.pod)) {
    if (e.namespace !== undefined && party.pod.namespace !== e.namespace) return false;
    return matchSelector(e.selector, ciliumLabelsOf(ix, party.pod));
  }
  // A selector of reserved labels (`reserved:host`) selects those identities.
  return e.namespace === undefined && matchSelector(e.selector, reservedLabels(ix, party, subject));
}

/** Cilium's entities (pkg/policy/api entity.go): which parties each stands for. */
export function entityMatches(ix: PolicyIndex, entity: string, party: Party, subject?: PodState): boolean {
  const node = nodeParty(ix, party);
  const own =
    node !== undefined && subject?.hostIP !== undefined && subject.hostIP !== null && ipToInt(subject.hostIP) === node;
  const inCluster = party.kind === "pod" || node !== undefined || ix.apiServerIps.has(party.ip);
  switch (entity) {
    case "all":
      return true;
    case "world":
      return !inCluster;
    case "cluster":
      return inCluster;
    case "host":
      return own;
    case "remote-node":
      return node !== undefined && !own;
    case "kube-apiserver":
      return party.kind === "ip" && ix.apiServerIps.has(party.ip);
    default:
      // init, health, unmanaged, ingress, none: identities podnet's clusters do not have.
      return false;
  }
}

/**
 * Why a rule's peer does not match a party, in the API's terms
 * (https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors):
 * `namespace`: a pod of a namespace the peer does not select (without a namespaceSelector,
 * only the policy's own); `pod`: its labels fail the podSelector; `ipBlock`: the address is
 * outside the block (or, `selectorsOnly`, the plugin matches pods by selectors only);
 * `address`: selectors select pods, and the party is an address (a node, a hostNetwork pod,
 * a client outside).
 */
export type PeerMiss =
  | { kind: "namespace"; namespaceSelector?: LabelSelector; policyNs: string; ns: string }
  | { kind: "pod"; podSelector: LabelSelector }
  | { kind: "ipBlock"; text: string; cidr: Cidr; selectorsOnly: boolean }
  | { kind: "address" }
  | { kind: "entity"; entity: string }
  /** toFQDNs: the names, whether the agent sees the pod's lookups, how many addresses they have. */
  | { kind: "fqdn"; names: string; dnsVisible: boolean; known: number }
  | { kind: "endpoints"; selector: LabelSelector; namespace?: string; ns: string };

/** Why `peer` does not match `party` (undefined when it does); the decision is peerMatches'. */
export function peerMiss(
  ix: PolicyIndex,
  peer: CPeer,
  policyNs: string,
  party: Party,
  subject?: PodState,
): PeerMiss | undefined {
  if (peerMatches(ix, peer, policyNs, party, subject)) return undefined;
  // Cilium's peers: what they stand for, in their own words.
  if (peer.entity !== undefined) return { kind: "entity", entity: peer.entity };
  if (peer.fqdn)
    return {
      kind: "fqdn",
      names: peer.fqdn.text,
      dnsVisible: subject !== undefined && dnsVisible(ix, subject),
      known: peer.fqdn.ips.size,
    };
  if (peer.endpoints)
    return party.kind === "pod" && selectable(party.pod)
      ? {
          kind: "endpoints",
          selector: peer.endpoints.selector,
          namespace: peer.endpoints.namespace,
          ns: party.pod.namespace,
        }
      : { kind: "address" };
  if (peer.ipBlock)
    return {
      kind: "ipBlock",
      text: peer.ipBlock.text,
      cidr: peer.ipBlock.cidr,
      selectorsOnly: party.kind === "pod" && selectable(party.pod) && !ix.ipBlockMatchesPods,
    };
  if (party.kind !== "pod" || !selectable(party.pod)) return { kind: "address" };
  if (!peerNamespaceMatches(ix, peer, policyNs, party.pod.namespace))
    return peer.namespaceSelector
      ? { kind: "namespace", namespaceSelector: peer.namespaceSelector, policyNs, ns: party.pod.namespace }
      : { kind: "namespace", policyNs, ns: party.pod.namespace };
  return { kind: "pod", podSelector: peer.podSelector ?? {} };
}

/** A rule that allows the connection but for one thing: its peers match and its ports do
 *  not (`ports`: what it allows that peer), or its ports include the connection's and its
 *  peers miss (`peers`: why each does). */
export interface NearMiss {
  policy: string; // ns/name
  rule: number;
  ports?: ConnSet;
  peers?: PeerMiss[];
}

/** The rules of `subject`'s policies for `dir` that miss the connection by one thing only:
 *  the mistakes a denied flow most often comes from (a Service's port where the pod's is
 *  meant, a podSelector without the namespaceSelector of another namespace's pods). */
export function nearMisses(
  ix: PolicyIndex,
  dir: "ingress" | "egress",
  subject: Party,
  peer: Party,
  proto: Proto,
  port: number,
): NearMiss[] {
  if (subject.kind !== "pod") return [];
  const dst = dir === "egress" ? peer : subject;
  const out: NearMiss[] = [];
  for (const p of policiesSelecting(ix, subject.pod, dir)) {
    const policy = p.id;
    for (const r of dir === "egress" ? p.egressRules : p.ingressRules) {
      const conns = rulePorts(r.ports, dst);
      const portOk = has(conns, proto, port);
      const misses = (r.peers ?? []).flatMap((pe) => peerMiss(ix, pe, p.namespace, peer, subject.pod) ?? []);
      const peerOk = r.peers === null || misses.length < r.peers.length;
      if (peerOk && !portOk) out.push({ policy, rule: r.index, ports: conns });
      else if (!peerOk && portOk) out.push({ policy, rule: r.index, peers: misses });
    }
  }
  return out;
}

export interface RuleHit {
  policy: string; // ns/name
  rule: number;
  conns: ConnSet;
  /** How a walkthrough names the decision when "<policy> <direction> rule <n>" does not say
   *  it (Calico: a Deny or Pass rule, the namespace's profile). */
  text?: string;
}
export interface DirectionVerdict {
  direction: "ingress" | "egress";
  /** The pod whose policies decide this side (absent: not a pod, so not isolated). */
  subject?: string;
  isolated: boolean;
  /** Policies that isolate the subject for this direction. */
  selecting: string[];
  /** What the selecting policies allow towards/from the peer (less what deny rules deny). */
  allowed: ConnSet;
  hits: RuleHit[];
  /** Cilium's deny rules that match the peer, and what they deny (absent: none). */
  denyHits?: RuleHit[];
  denied?: ConnSet;
  /** Calico: what each tier's end denied (no rule of its selecting policies decided it). */
  tierEnds?: { tier: string; policies: string[]; conns: ConnSet }[];
}

/** One side of a connection: what `subject`'s policies allow with `peer`. For egress the
 *  subject is the source and the peer the destination; for ingress the reverse. Named
 *  ports are always resolved against the destination. */
export function directionVerdict(
  ix: PolicyIndex,
  dir: "ingress" | "egress",
  subject: Party,
  peer: Party,
  selecting?: CPolicy[],
): DirectionVerdict {
  if (subject.kind !== "pod" || !selectable(subject.pod)) {
    return { direction: dir, isolated: false, selecting: [], allowed: allSet(), hits: [] };
  }
  // `selecting` may be passed in by callers that evaluate one subject many times.
  const pols = selecting ?? policiesSelecting(ix, subject.pod, dir);
  const name = `${subject.pod.namespace}/${subject.pod.name}`;
  if (pols.length === 0)
    return { direction: dir, subject: name, isolated: false, selecting: [], allowed: allSet(), hits: [] };
  if (ix.calico) return calicoVerdict(ix, dir, subject.pod, peer, pols);
  const dst = dir === "egress" ? peer : subject;
  const isolating = pols.filter((p) => p[dir]);
  const isolated = isolating.length > 0;
  let allowed = isolated ? emptySet() : allSet();
  const hits: RuleHit[] = [];
  const matching = (p: CPolicy, r: CRule) =>
    r.peers === null || r.peers.some((pe) => peerMatches(ix, pe, p.namespace, peer, subject.pod));
  for (const p of pols) {
    const rules = dir === "egress" ? p.egressRules : p.ingressRules;
    for (const r of rules) {
      if (!matching(p, r)) continue;
      const conns = rulePorts(r.ports, dst);
      hits.push({ policy: p.id, rule: r.index, conns });
      if (isolated) allowed = union(allowed, conns);
    }
  }
  const out: DirectionVerdict = {
    direction: dir,
    subject: name,
    isolated,
    selecting: isolating.map((p) => p.id),
    allowed,
    hits: isolated ? hits : [],
  };
  // Deny rules win over any allow (https://docs.cilium.io/en/stable/security/policy/language/#deny-policies).
  let denied = emptySet();
  const denyHits: RuleHit[] = [];
  for (const p of pols)
    for (const r of (dir === "egress" ? p.egressDenyRules : p.ingressDenyRules) ?? []) {
      if (!matching(p, r)) continue;
      const conns = rulePorts(r.ports, dst);
      denyHits.push({ policy: p.id, rule: r.index, conns });
      denied = union(denied, conns);
    }
  if (denyHits.length > 0) {
    out.denyHits = denyHits;
    out.denied = denied;
    out.allowed = subtract(allowed, denied);
  }
  return out;
}

const sortedCache = new WeakMap<CPolicy[], CPolicy[]>();
/** The policies in Calico's order (tier, order, name), once per list. */
export function inCalicoOrder(pols: CPolicy[]): CPolicy[] {
  let s = sortedCache.get(pols);
  if (!s) sortedCache.set(pols, (s = [...pols].sort(calicoOrder)));
  return s;
}

/** A Calico rule's criteria on the policy's own endpoint hold for the subject. */
export function calicoSelfMatches(ix: PolicyIndex, r: CRule, subject: PodState): boolean {
  return (
    r.self === undefined ||
    (ix.calico !== undefined &&
      calicoPartyMatches(
        ix.calico,
        r.self,
        { kind: "pod", pod: subject },
        partyIp({ kind: "pod", pod: subject }),
        true,
      ))
  );
}

/** A rule's connections towards dst: its ports less its notPorts. */
export function ruleConns(r: CRule, dst: Party): ConnSet {
  const c = rulePorts(r.ports, dst);
  return r.exceptPorts ? subtract(c, rulePorts(r.exceptPorts, dst)) : c;
}

/**
 * One side as Felix decides it: tiers in order; in each, the selecting policies' rules in
 * order, the first that matches a connection decides it (Allow, Deny, Pass to the next tier;
 * Log decides nothing); what a tier leaves undecided is denied at its end (or passed, by the
 * tier's defaultAction); what passes the last tier the namespace's profile allows.
 */
function calicoVerdict(
  ix: PolicyIndex,
  dir: "ingress" | "egress",
  subject: PodState,
  peer: Party,
  pols: CPolicy[],
): DirectionVerdict {
  const sorted = inCalicoOrder(pols);
  const dst: Party = dir === "egress" ? peer : { kind: "pod", pod: subject };
  let undecided = allSet();
  let allowed = emptySet();
  let denied = emptySet();
  const hits: RuleHit[] = [];
  const denyHits: RuleHit[] = [];
  const passHits: RuleHit[] = [];
  const tierEnds: NonNullable<DirectionVerdict["tierEnds"]> = [];
  let i = 0;
  while (i < sorted.length) {
    const tier = sorted[i].calico!.tier;
    const tierDefault = sorted[i].calico!.tierDefault;
    let passed = emptySet();
    for (; i < sorted.length && sorted[i].calico!.tier === tier; i++) {
      const p = sorted[i];
      for (const r of dir === "egress" ? p.egressRules : p.ingressRules) {
        if (isEmpty(undecided)) break;
        if (r.action === "Log") continue;
        if (r.peers !== null && !r.peers.some((pe) => peerMatches(ix, pe, p.namespace, peer, subject))) continue;
        if (!calicoSelfMatches(ix, r, subject)) continue;
        const c = intersect(undecided, ruleConns(r, dst));
        if (isEmpty(c)) continue;
        undecided = subtract(undecided, c);
        const action = r.action ?? "Allow";
        const hit: RuleHit = { policy: p.id, rule: r.index, conns: c };
        if (action === "Allow") {
          allowed = union(allowed, c);
          hits.push(hit);
        } else if (action === "Deny") {
          hit.text = `${p.id} ${dir} rule ${r.index} (action Deny)`;
          denied = union(denied, c);
          denyHits.push(hit);
        } else {
          passed = union(passed, c);
          passHits.push(hit);
        }
      }
    }
    if (tierDefault === "Deny" && !isEmpty(undecided))
      tierEnds.push({
        tier,
        policies: sorted.filter((p) => p.calico!.tier === tier).map((p) => p.id),
        conns: undecided,
      });
    if (tierDefault === "Pass") {
      if (!isEmpty(undecided))
        passHits.push({
          policy: `tier ${tier}`,
          rule: -1,
          conns: undecided,
          text: `tier ${tier}'s defaultAction Pass`,
        });
      passed = union(passed, undecided);
    }
    undecided = passed;
  }
  // Past the last tier: the namespace's profile (kns.<namespace>) allows.
  if (!isEmpty(undecided)) {
    allowed = union(allowed, undecided);
    for (const h of passHits) {
      const c = intersect(h.conns, undecided);
      if (isEmpty(c)) continue;
      const by = h.text ?? `${h.policy} ${dir} rule ${h.rule} (action Pass)`;
      hits.push({ policy: h.policy, rule: h.rule, conns: c, text: `${by}, then the profile kns.${subject.namespace}` });
    }
  }
  const out: DirectionVerdict = {
    direction: dir,
    subject: `${subject.namespace}/${subject.name}`,
    isolated: true,
    selecting: sorted.map((p) => p.id),
    allowed,
    hits,
  };
  if (denyHits.length > 0) {
    out.denyHits = denyHits;
    out.denied = denied;
  }
  if (tierEnds.length > 0) out.tierEnds = tierEnds;
  return out;
}

export interface FlowDecision {
  allowed: boolean;
  egress: DirectionVerdict;
  ingress: DirectionVerdict;
  /** Set when ingress was allowed because the source is the destination pod's own node. */
  nodeLocal?: boolean;
  /** The rule that allowed each side (the first hit containing the port). */
  egressRule?: RuleHit;
  ingressRule?: RuleHit;
  /** The deny rule (Cilium's ingressDeny/egressDeny) that denies each side, when one does. */
  egressDeny?: RuleHit;
  ingressDeny?: RuleHit;
}

function hitFor(v: DirectionVerdict, proto: Proto, port: number): RuleHit | undefined {
  return v.hits.find((h) => has(h.conns, proto, port));
}

/** The deny rule that denies proto/port on this side, if one does. */
export function denyHitFor(v: DirectionVerdict, proto: Proto, port: number): RuleHit | undefined {
  return v.denyHits?.find((h) => has(h.conns, proto, port));
}

/** Is a new connection src → dst:port/proto allowed? Both ends must allow it.
 *  `nodeIps` lists each node's address: traffic from a pod's own node is allowed (kubelet probes). */
export function decide(ix: PolicyIndex, src: Party, dst: Party, proto: Proto, port: number): FlowDecision {
  const egress = directionVerdict(ix, "egress", src, dst);
  const ingress = directionVerdict(ix, "ingress", dst, src);
  let nodeLocal = false;
  if (
    ingress.isolated &&
    dst.kind === "pod" &&
    src.kind === "ip" &&
    dst.pod.hostIP &&
    ipToInt(dst.pod.hostIP) === src.ip
  ) {
    nodeLocal = true;
  }
  const egressRule = egress.isolated ? hitFor(egress, proto, port) : undefined;
  const ingressRule = ingress.isolated ? hitFor(ingress, proto, port) : undefined;
  const egressDeny = denyHitFor(egress, proto, port);
  const ingressDeny = denyHitFor(ingress, proto, port);
  const eOk = (!egress.isolated || egressRule !== undefined) && egressDeny === undefined;
  const iOk = (nodeLocal || !ingress.isolated || ingressRule !== undefined) && ingressDeny === undefined;
  const out: FlowDecision = { allowed: eOk && iOk, egress, ingress, nodeLocal, egressRule, ingressRule };
  if (egressDeny) out.egressDeny = egressDeny;
  if (ingressDeny) out.ingressDeny = ingressDeny;
  return out;
}

/** How a rule hit is named: its own words, else "<policy> <direction> rule <n>" (deny:
 *  Cilium's "<policy> <direction>Deny rule <n>"). */
export function hitWords(h: RuleHit, dir: "ingress" | "egress", deny = false): string {
  return h.text ?? `${h.policy} ${dir}${deny ? "Deny" : ""} rule ${h.rule}`;
}

/** A sentence for one side, as a walkthrough reads. */
export function explainSide(v: DirectionVerdict, hit: RuleHit | undefined, what: string, deny?: RuleHit): string {
  if (deny) return `${v.direction} of ${what}: denied by ${hitWords(deny, v.direction, true)}`;
  if (!v.isolated)
    return `${v.direction} of ${what}: not isolated (no NetworkPolicy with ${v.direction === "ingress" ? "Ingress" : "Egress"} selects it): allowed`;
  if (hit) return `${v.direction} of ${what}: allowed by ${hitWords(hit, v.direction)}`;
  return `${v.direction} of ${what}: isolated by ${v.selecting.join(", ")}; no rule allows it: denied`;
}
