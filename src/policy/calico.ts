// Calico's own policies (projectcalico.org/v3 NetworkPolicy and GlobalNetworkPolicy, with
// NetworkSets, GlobalNetworkSets and Tiers), compiled to the engine's rules as Felix
// evaluates them (https://docs.tigera.io/calico/latest/reference/resources/networkpolicy,
// globalnetworkpolicy, networkset, globalnetworkset, tier;
// https://docs.tigera.io/calico/latest/network-policy/policy-tiers/tiered-policy):
// - tiers in order (a Tier's spec.order, unset last; ties by name); the default tier's order
//   is 1,000,000 unless a Tier object says otherwise;
// - in a tier, the policies that select the endpoint for the direction in order (spec.order,
//   unset last; ties by name, as Felix's policy sorter); each rule in turn, the first rule
//   that matches decides: Allow, Deny, or Pass (on to the next tier); Log decides nothing;
// - what no rule of a tier that selects the endpoint decided is denied at the tier's end
//   (a Tier's defaultAction Pass passes it instead); a tier that selects nothing is skipped;
//   after the last tier the namespace's profile allows what was passed;
// - Kubernetes NetworkPolicies are policies of the default tier at order 1000 whose rules
//   allow (libcalico-go lib/backend/k8s/conversion: "knp.default.<name>");
// - `types` defaults to Ingress, Egress when there are egress rules (and Egress alone when
//   there are only egress rules);
// - selectors are Calico's language over the endpoint's labels plus
//   projectcalico.org/namespace, projectcalico.org/orchestrator and
//   projectcalico.org/serviceaccount; a namespace's labels plus projectcalico.org/name for
//   namespaceSelector; a namespaced policy's rule selectors stay in its namespace unless a
//   namespaceSelector is given (global() for the non-namespaced GlobalNetworkSets); a rule's
//   selector also matches the nets of the NetworkSets it selects; nets match any address,
//   pods' included.
// Not modelled (validate/calico-policy.ts warns): HTTP match, source ports, Services as
// peers, service accounts' own labels, host endpoints (doNotTrack, preDNAT policies).
import type { CalicoNetworkSetState, CalicoPolicyState, CalicoTierState, PodState } from "../control/state.js";
import type { CalicoEntityRule, CalicoRule, LabelSelector } from "../manifest/types.js";
import { type CalicoSelector, calicoMatches, parseCalicoSelector, usesGlobal } from "../manifest/calico-selector.js";
import { calicoPort, calicoProtocol } from "../manifest/validate/calico-policy.js";
import { type Cidr, cidrContains, parseCidr } from "../net/ipv4.js";
import { PROTOCOLS, type Proto } from "./portset.js";
import type { CalicoAction, CalicoMatch, CalicoPolicyInfo, CPolicy, CPort, CRule } from "./types.js";

export const DEFAULT_TIER = "default";
/** The default tier's order (Calico 3.30's default Tier object). */
export const DEFAULT_TIER_ORDER = 1_000_000;
/** Where Calico puts a Kubernetes NetworkPolicy in the default tier. */
export const KNP_ORDER = 1000;

export const LABEL_NAMESPACE = "projectcalico.org/namespace";
export const LABEL_ORCHESTRATOR = "projectcalico.org/orchestrator";
export const LABEL_SERVICE_ACCOUNT = "projectcalico.org/serviceaccount";
export const LABEL_NAME = "projectcalico.org/name";

/** A party as the engine passes it (engine.ts Party). */
export type CalicoParty = { kind: "pod"; pod: PodState } | { kind: "ip"; ip: number };

/** What matching a Calico rule needs from the cluster (built once per policy index). */
export interface CalicoWorld {
  /** A namespace's labels as Calico's namespaceSelector sees them (with projectcalico.org/name). */
  nsLabels(ns: string): Record<string, string>;
  /** A pod's labels as Calico's selectors see them (with projectcalico.org/namespace …). */
  podLabels(pod: PodState): Record<string, string>;
  networkSets: CompiledNetworkSet[];
}
export interface CompiledNetworkSet {
  /** null: a GlobalNetworkSet. */
  namespace: string | null;
  labels: Record<string, string>;
  nets: Cidr[];
}

const sel = (text: string | undefined): CalicoSelector | undefined => {
  if (text === undefined || text === null || typeof text !== "string") return undefined;
  const r = parseCalicoSelector(text);
  return "sel" in r ? r.sel : undefined;
};

/** The IPv4 nets of a list (an IPv6 one matches no address of podnet's IPv4 clusters). */
function nets(list: unknown): Cidr[] {
  if (!Array.isArray(list)) return [];
  const out: Cidr[] = [];
  for (const n of list) {
    if (typeof n !== "string" || n.includes(":")) continue;
    try {
      out.push(parseCidr(n.includes("/") ? n : `${n}/32`, true));
    } catch {
      // refused by validation
    }
  }
  return out;
}

export function serviceAccountOf(pod: PodState): string {
  const spec = pod.spec as { serviceAccountName?: string; serviceAccount?: string };
  return spec.serviceAccountName || spec.serviceAccount || "default";
}

/** A pod's labels as Calico's workload endpoint carries them
 *  (libcalico-go lib/backend/k8s/conversion/workload_endpoint_default.go). */
export function calicoPodLabels(pod: PodState): Record<string, string> {
  return {
    ...pod.labels,
    [LABEL_NAMESPACE]: pod.namespace,
    [LABEL_ORCHESTRATOR]: "k8s",
    [LABEL_SERVICE_ACCOUNT]: serviceAccountOf(pod),
  };
}

export function compileNetworkSets(sets: CalicoNetworkSetState[]): CompiledNetworkSet[] {
  return sets.map((s) => ({
    namespace: s.kind === "NetworkSet" ? (s.namespace ?? "default") : null,
    labels: s.kind === "NetworkSet" ? { ...s.labels, [LABEL_NAMESPACE]: s.namespace ?? "default" } : { ...s.labels },
    nets: nets(s.nets),
  }));
}

function entityMatch(e: CalicoEntityRule | undefined, scope: string | null): CalicoMatch | undefined {
  if (!e || typeof e !== "object") return undefined;
  const m: CalicoMatch = { scope, text: "" };
  const parts: string[] = [];
  let any = false;
  if (Array.isArray(e.nets)) {
    m.nets = nets(e.nets);
    parts.push(`nets ${e.nets.join(",")}`);
    any = true;
  }
  if (Array.isArray(e.notNets) && e.notNets.length) {
    m.notNets = nets(e.notNets);
    // Only IPv6 notNets: Felix does not render the rule for IPv4 at all, rather than widen
    // it to every address (felix/rules FilterRuleToIPVersion: "filteredAll").
    if (m.notNets.length === 0) m.never = true;
    parts.push(`notNets ${e.notNets.join(",")}`);
    any = true;
  }
  for (const k of ["selector", "notSelector", "namespaceSelector"] as const) {
    if (typeof e[k] !== "string") continue;
    const s = sel(e[k]);
    // A selector Calico refuses refuses the policy (validation's error); matching nothing here.
    if (s === undefined) m.never = true;
    else m[k] = s;
    parts.push(`${k} ${JSON.stringify(e[k])}`);
    any = true;
  }
  // An empty names list or selector selects nothing more (libcalico-go updateprocessors/rules.go
  // parseServiceAccounts returns "" for them): `serviceAccounts: {}` restricts nothing.
  const saNames = Array.isArray(e.serviceAccounts?.names) && e.serviceAccounts.names.length > 0;
  const saSel = typeof e.serviceAccounts?.selector === "string" && e.serviceAccounts.selector.trim() !== "";
  if (e.serviceAccounts && typeof e.serviceAccounts === "object" && (saNames || saSel)) {
    const sa: NonNullable<CalicoMatch["serviceAccounts"]> = {};
    if (saNames) sa.names = (e.serviceAccounts.names as unknown[]).filter((n): n is string => typeof n === "string");
    if (saSel) {
      const s = sel(e.serviceAccounts.selector as string);
      if (s === undefined) m.never = true;
      else sa.selector = s;
    }
    m.serviceAccounts = sa;
    parts.push(`serviceAccounts ${JSON.stringify(e.serviceAccounts)}`);
    any = true;
  }
  if (e.services !== undefined && e.services !== null) {
    m.never = true;
    parts.push(`services ${JSON.stringify(e.services)}`);
    any = true;
  }
  if (!any) return undefined;
  m.text = parts.join(" ");
  return m;
}

/** TCP/UDP/SCTP a protocol names (none for ICMP, UDPLite, other numbers). */
function protoOf(v: unknown): Proto[] {
  const p = calicoProtocol(v);
  if (p === "TCP" || p === "6") return ["TCP"];
  if (p === "UDP" || p === "17") return ["UDP"];
  if (p === "SCTP" || p === "132") return ["SCTP"];
  return [];
}

function portList(list: unknown, protos: Proto[]): CPort[] {
  const out: CPort[] = [];
  if (!Array.isArray(list)) return out;
  for (const raw of list) {
    const p = calicoPort(raw);
    if ("error" in p) continue;
    for (const protocol of protos) {
      if ("name" in p) out.push({ protocol, port: p.name });
      else if (p.first === 0 && p.last === 0)
        continue; // port 0: no flow has it
      else {
        const c: CPort = { protocol, port: Math.max(p.first, 1) };
        if (p.last > (c.port as number)) c.endPort = p.last;
        out.push(c);
      }
    }
  }
  return out;
}

function compileRule(r: CalicoRule, index: number, dir: "ingress" | "egress", scope: string | null): CRule {
  const action = (["Allow", "Deny", "Pass", "Log"] as const).includes(r.action as CalicoAction)
    ? (r.action as CalicoAction)
    : "Deny";
  let protos: Proto[] = r.protocol !== undefined && r.protocol !== null ? protoOf(r.protocol) : [...PROTOCOLS];
  if (r.notProtocol !== undefined && r.notProtocol !== null) {
    const not = protoOf(r.notProtocol);
    protos = protos.filter((p) => !not.includes(p));
  }
  const restricted = (r.protocol ?? r.notProtocol) !== undefined && (r.protocol ?? r.notProtocol) !== null;
  const dports = r.destination?.ports;
  let ports: CPort[] | null;
  if (r.ipVersion === 6)
    ports = []; // an IPv6 rule: no IPv4 flow
  else if (Array.isArray(dports) && dports.length > 0) ports = portList(dports, protos);
  else if (restricted) ports = protos.map((protocol) => ({ protocol }));
  else ports = null;
  const out: CRule = { index, peers: null, ports, action };
  const notPorts = r.destination?.notPorts;
  if (Array.isArray(notPorts) && notPorts.length > 0) out.exceptPorts = portList(notPorts, protos);
  const peer = entityMatch(dir === "ingress" ? r.source : r.destination, scope);
  if (peer) out.peers = [{ calico: peer }];
  const self = entityMatch(dir === "ingress" ? r.destination : r.source, scope);
  if (self) out.self = self;
  return out;
}

/** Calico's default for `types` (networkpolicy reference: "types"). */
export function calicoTypes(spec: { types?: unknown; egress?: unknown; ingress?: unknown }): {
  ingress: boolean;
  egress: boolean;
} {
  if (Array.isArray(spec.types) && spec.types.length > 0)
    return { ingress: spec.types.includes("Ingress"), egress: spec.types.includes("Egress") };
  const eg = Array.isArray(spec.egress) && spec.egress.length > 0;
  const ing = Array.isArray(spec.ingress) && spec.ingress.length > 0;
  return { ingress: ing || !eg, egress: eg };
}

/** Tier name → its order and default action. */
export function tierTable(tiers: CalicoTierState[]): Map<string, { order: number; defaultAction: "Deny" | "Pass" }> {
  const m = new Map<string, { order: number; defaultAction: "Deny" | "Pass" }>();
  m.set(DEFAULT_TIER, { order: DEFAULT_TIER_ORDER, defaultAction: "Deny" });
  for (const t of tiers) m.set(t.name, { order: t.order ?? Number.POSITIVE_INFINITY, defaultAction: t.defaultAction });
  return m;
}

/** Calico's policies as the engine's, in no particular order (the engine sorts per endpoint). */
export function compileCalicoPolicies(policies: CalicoPolicyState[], tiers: CalicoTierState[]): CPolicy[] {
  const table = tierTable(tiers);
  const out: CPolicy[] = [];
  for (const p of policies) {
    const s = p.spec;
    // Host endpoint policies have no effect on workloads.
    if (s.doNotTrack === true || s.preDNAT === true) continue;
    const tierName = typeof s.tier === "string" && s.tier !== "" ? s.tier : DEFAULT_TIER;
    const tier = table.get(tierName);
    if (!tier) continue; // the API server refuses a policy of a tier that does not exist (reconcile warns)
    const selector = sel(s.selector ?? "all()");
    if (selector === undefined) continue;
    const global = p.kind === "GlobalNetworkPolicy";
    const scope = global ? null : (p.namespace ?? "default");
    const info: CalicoPolicyInfo = {
      kind: p.kind,
      tier: tierName,
      tierOrder: tier.order,
      tierDefault: tier.defaultAction,
      order: typeof s.order === "number" ? s.order : Number.POSITIVE_INFINITY,
      sortKey: global ? p.name : `${p.namespace ?? "default"}/${p.name}`,
      selector,
    };
    if (global && typeof s.namespaceSelector === "string" && s.namespaceSelector.trim() !== "") {
      const ns = sel(s.namespaceSelector);
      if (ns === undefined) continue;
      info.namespaceSelector = ns;
    }
    if (typeof s.serviceAccountSelector === "string" && s.serviceAccountSelector.trim() !== "") {
      const sa = sel(s.serviceAccountSelector);
      if (sa === undefined) continue;
      info.serviceAccountSelector = sa;
    }
    const types = calicoTypes(s);
    const rules = (list: unknown, dir: "ingress" | "egress"): CRule[] =>
      Array.isArray(list)
        ? list.flatMap((r, i) => (r && typeof r === "object" ? [compileRule(r as CalicoRule, i, dir, scope)] : []))
        : [];
    const name = p.name;
    out.push({
      namespace: p.namespace ?? "",
      name,
      id: global ? name : `${p.namespace}/${name}`,
      podSelector: {} as LabelSelector,
      calico: info,
      ingress: types.ingress,
      egress: types.egress,
      ingressRules: types.ingress ? rules(s.ingress, "ingress") : [],
      egressRules: types.egress ? rules(s.egress, "egress") : [],
    });
  }
  return out;
}

/** A Kubernetes NetworkPolicy as Calico holds it: default tier, order 1000, rules that allow. */
export function asCalicoKnp(p: CPolicy, tiers: CalicoTierState[]): CPolicy {
  const tier = tierTable(tiers).get(DEFAULT_TIER)!;
  return {
    ...p,
    calico: {
      kind: "KubernetesNetworkPolicy",
      tier: DEFAULT_TIER,
      tierOrder: tier.order,
      tierDefault: tier.defaultAction,
      order: KNP_ORDER,
      sortKey: `${p.namespace}/knp.default.${p.name}`,
    },
  };
}

/** Sorts policies as Felix does: by tier, then by order within the tier, then by name. */
export function calicoOrder(a: CPolicy, b: CPolicy): number {
  const x = a.calico!;
  const y = b.calico!;
  if (x.tierOrder !== y.tierOrder) return x.tierOrder < y.tierOrder ? -1 : 1;
  if (x.tier !== y.tier) return x.tier < y.tier ? -1 : 1;
  if (x.order !== y.order) return x.order < y.order ? -1 : 1;
  return x.sortKey < y.sortKey ? -1 : x.sortKey > y.sortKey ? 1 : 0;
}

/** Whether a Calico policy (or a Kubernetes one in Calico's hands) selects the pod. */
export function calicoSelects(
  w: CalicoWorld,
  p: CPolicy,
  pod: PodState,
  matchK8s: (s: LabelSelector, labels: Record<string, string>) => boolean,
): boolean {
  const info = p.calico!;
  if (info.kind === "KubernetesNetworkPolicy")
    return pod.namespace === p.namespace && matchK8s(p.podSelector, pod.labels);
  if (info.subjectNamespaces)
    return matchK8s(info.subjectNamespaces, w.nsLabels(pod.namespace)) && matchK8s(p.podSelector, pod.labels);
  if (info.kind === "NetworkPolicy" && pod.namespace !== p.namespace) return false;
  if (info.selector && !calicoMatches(info.selector, w.podLabels(pod))) return false;
  if (info.namespaceSelector && !calicoMatches(info.namespaceSelector, w.nsLabels(pod.namespace))) return false;
  if (
    info.serviceAccountSelector &&
    !calicoMatches(info.serviceAccountSelector, { [LABEL_NAME]: serviceAccountOf(pod) })
  )
    return false;
  return true;
}

/** Whether the endpoint criteria (selector, namespaceSelector, serviceAccounts) select a pod. */
function selectsPod(w: CalicoWorld, m: CalicoMatch, s: CalicoSelector | undefined, pod: PodState): boolean {
  if (m.namespaceSelector) {
    // global(): the non-namespaced resources only (GlobalNetworkSets), no pod.
    if (usesGlobal(m.namespaceSelector) || !calicoMatches(m.namespaceSelector, w.nsLabels(pod.namespace))) return false;
  } else if (m.scope !== null && pod.namespace !== m.scope) return false;
  if (s && !calicoMatches(s, w.podLabels(pod))) return false;
  if (m.serviceAccounts) {
    const sa = serviceAccountOf(pod);
    if (m.serviceAccounts.names && !m.serviceAccounts.names.includes(sa)) return false;
    if (m.serviceAccounts.selector && !calicoMatches(m.serviceAccounts.selector, { [LABEL_NAME]: sa })) return false;
  }
  return true;
}

/** Whether the endpoint criteria select a NetworkSet (its nets then match). */
function selectsSet(w: CalicoWorld, m: CalicoMatch, s: CalicoSelector | undefined, ns: CompiledNetworkSet): boolean {
  if (m.serviceAccounts) return false; // a network set has no service account
  if (ns.namespace === null) {
    // GlobalNetworkSets: from a global policy, or through namespaceSelector global().
    if (m.namespaceSelector ? !usesGlobal(m.namespaceSelector) : m.scope !== null) return false;
  } else if (m.namespaceSelector) {
    if (usesGlobal(m.namespaceSelector) || !calicoMatches(m.namespaceSelector, w.nsLabels(ns.namespace))) return false;
  } else if (m.scope !== null && ns.namespace !== m.scope) return false;
  return !s || calicoMatches(s, ns.labels);
}

function selectsByNetworkSet(w: CalicoWorld, m: CalicoMatch, s: CalicoSelector | undefined, ip: number): boolean {
  return w.networkSets.some((ns) => ns.nets.some((c) => cidrContains(c, ip)) && selectsSet(w, m, s, ns));
}

/**
 * Whether the criteria match only what a (namespace-scoped) selector selects. A namespaced
 * policy's notSelector is scoped too: libcalico-go updateprocessors/rules.go adds
 * `projectcalico.org/namespace == '<ns>'` to the rule's positive selector when "a Selector,
 * NotSelector, NamespaceSelector, or ServiceAccount is provided", and the notSelector is
 * then taken out of that; so a namespaced policy's notSelector alone matches the endpoints
 * (and NetworkSets) of its own namespace, not other namespaces' pods nor outside addresses
 * (the networkpolicy reference: namespaceSelector "Defines the scope that selectors will
 * apply to, if not defined then selectors apply to the NetworkPolicy's namespace").
 */
export function positiveSelection(m: CalicoMatch): boolean {
  return (
    m.selector !== undefined ||
    m.namespaceSelector !== undefined ||
    m.serviceAccounts !== undefined ||
    (m.notSelector !== undefined && m.scope !== null)
  );
}

/** Whether a selector (with the rule's namespace scope) selects the party: a workload
 *  endpoint (a pod with its own IP) or an address in a NetworkSet it selects. */
function selected(
  w: CalicoWorld,
  m: CalicoMatch,
  s: CalicoSelector | undefined,
  party: CalicoParty,
  ip: number | undefined,
  endpoint: boolean,
): boolean {
  // By address, as Felix's IP sets: a network set's nets may hold a pod's or a node's address.
  if (party.kind === "pod" && endpoint && selectsPod(w, m, s, party.pod)) return true;
  return ip !== undefined && selectsByNetworkSet(w, m, s, ip);
}

/**
 * Whether a Calico entity rule's criteria hold for a party. `endpoint`: the party is a
 * workload endpoint (a pod that is not hostNetwork). Felix matches selectors through IP sets
 * of the selected endpoints' and network sets' addresses, so a GlobalNetworkPolicy's
 * notSelector also matches addresses outside the cluster (a namespaced policy's stays in its
 * namespace: positiveSelection).
 */
export function calicoPartyMatches(
  w: CalicoWorld,
  m: CalicoMatch,
  party: CalicoParty,
  ip: number | undefined,
  endpoint: boolean,
): boolean {
  if (m.never) return false;
  if (m.nets && (ip === undefined || !m.nets.some((c) => cidrContains(c, ip)))) return false;
  if (m.notNets && ip !== undefined && m.notNets.some((c) => cidrContains(c, ip))) return false;
  if (positiveSelection(m) && !selected(w, m, m.selector, party, ip, endpoint)) return false;
  // Felix takes notSelector as written, without the rule's namespace scope
  // (libcalico-go lib/backend/syncersv1/updateprocessors/rules.go: NotSrcSelector).
  if (m.notSelector && selected(w, { scope: null, text: m.text }, m.notSelector, party, ip, endpoint)) return false;
  return true;
}

/** The endpoint criteria's addresses as Felix's IP set holds them: the pods it selects (with
 *  an address) and the nets of the NetworkSets it selects. `not`: the notSelector's set. */
export function calicoSelectedAddresses(
  w: CalicoWorld,
  m: CalicoMatch,
  pods: PodState[],
  not: boolean,
  endpoint: (p: PodState) => boolean,
): { pods: PodState[]; nets: Cidr[] } {
  const scope: CalicoMatch = not ? { scope: null, text: m.text } : m;
  const s = not ? m.notSelector : m.selector;
  const out: PodState[] = [];
  for (const p of pods) if (p.podIP && endpoint(p) && selectsPod(w, scope, s, p)) out.push(p);
  const nets: Cidr[] = [];
  for (const ns of w.networkSets) if (selectsSet(w, scope, s, ns)) nets.push(...ns.nets);
  return { pods: out, nets };
}
