// `podnet diagnose`, the NetworkPolicy layer: which policy isolates which end and lets
// nothing through, and the smallest policy that would allow the flow, as YAML a user can
// apply. Semantics as in https://kubernetes.io/docs/concepts/services-networking/network-policies/:
// both ends must allow a connection, policies are additive, and they see the pod's address
// and port after the Service's DNAT (so an allow rule names the pod's port, not the Service's).

import { stringify } from "yaml";
import type { ClusterState, PodState } from "../control/state.js";
import { formatLabelSelector } from "../manifest/selector.js";
import { cidrContains, intToIp, ipToInt } from "../net/ipv4.js";
import {
  decide,
  type DirectionVerdict,
  hitWords,
  nearMisses,
  partyIp,
  type NearMiss,
  type Party,
  type PeerMiss,
  type PolicyIndex,
  type RuleHit,
} from "../policy/engine.js";
import { formatConns, has, type Proto } from "../policy/portset.js";
import type { DiagnoseCheck } from "./diagnose-types.js";

const ref = (p: PodState) => `${p.namespace}/${p.name}`;

/** Labels that name one pod, not its workload: never in a suggested selector. */
const PER_POD = new Set([
  "pod-template-hash",
  "controller-revision-hash",
  "statefulset.kubernetes.io/pod-name",
  "apps.kubernetes.io/pod-index",
  "pod-template-generation",
  "batch.kubernetes.io/controller-uid",
  "controller-uid",
  "batch.kubernetes.io/job-name",
  "job-name",
]);
const PREFERRED = ["app.kubernetes.io/name", "app", "k8s-app", "name"];

const sameWorkload = (a: PodState, b: PodState) =>
  a.namespace === b.namespace && a.workload.kind === b.workload.kind && a.workload.name === b.workload.name;

// The pods of each namespace, once per pod list: a diagnosis asks for several pods'
// selectors, and a scan of a threshold cluster's 150,000 pods each was ~0.1 s.
const byNamespace = new WeakMap<PodState[], Map<string, PodState[]>>();

function podsIn(state: ClusterState, ns: string): PodState[] {
  let m = byNamespace.get(state.pods);
  if (!m) {
    m = new Map();
    for (const p of state.pods) {
      const l = m.get(p.namespace);
      if (l) l.push(p);
      else m.set(p.namespace, [p]);
    }
    byNamespace.set(state.pods, m);
  }
  return m.get(ns) ?? [];
}

/** The smallest matchLabels that selects `pod`'s workload and nothing else in its namespace:
 *  one label when one does it (app-ish keys first), else every label but the per-pod ones. */
export function minimalSelector(state: ClusterState, pod: PodState): Record<string, string> {
  const keys = Object.keys(pod.labels).filter((k) => !PER_POD.has(k));
  const order = [...PREFERRED.filter((k) => keys.includes(k)), ...keys.filter((k) => !PREFERRED.includes(k)).sort()];
  const inNs = podsIn(state, pod.namespace);
  for (const k of order) {
    const v = pod.labels[k];
    if (inNs.every((p) => p.labels[k] !== v || sameWorkload(p, pod))) return { [k]: v };
  }
  return Object.fromEntries(keys.map((k) => [k, pod.labels[k]]));
}

const dnsName = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40) || "pods";
const short = (state: ClusterState, p: PodState) => dnsName(Object.values(minimalSelector(state, p))[0] ?? p.name);

/** A peer of a rule for `peer` as seen from a policy in namespace `policyNs`. */
function peerOf(state: ClusterState, peer: Party, policyNs: string): Record<string, unknown> {
  if (peer.kind === "ip")
    return { ipBlock: { cidr: `${[24, 16, 8, 0].map((s) => (peer.ip >>> s) & 255).join(".")}/32` } };
  const out: Record<string, unknown> = { podSelector: { matchLabels: minimalSelector(state, peer.pod) } };
  if (peer.pod.namespace !== policyNs)
    out.namespaceSelector = { matchLabels: { "kubernetes.io/metadata.name": peer.pod.namespace } };
  return out;
}

function policyDoc(
  name: string,
  namespace: string,
  selector: Record<string, string>,
  dir: "ingress" | "egress",
  peers: Record<string, unknown>[],
  ports: { protocol: Proto; port: number }[],
): string {
  const rule = { [dir === "egress" ? "to" : "from"]: peers, ports };
  return stringify({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace },
    spec: {
      podSelector: { matchLabels: selector },
      policyTypes: [dir === "egress" ? "Egress" : "Ingress"],
      [dir]: [rule],
    },
  });
}

/** One destination of the flow after DNAT: the pod (or address) and its port. */
export interface PolicyTarget {
  party: Party;
  port: number;
  /** The source as this destination sees it, when it differs from the flow's (SNAT). */
  from?: Party;
  /** The Service whose externalTrafficPolicy Cluster masqueraded the client (with `from`). */
  snat?: string;
}

const partyName = (p: Party) => (p.kind === "pod" ? ref(p.pod) : (p.label ?? "the address"));

const labelsText = (labels: Record<string, string>) =>
  Object.keys(labels)
    .filter((k) => !PER_POD.has(k))
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(",") || "none";

/** Why one peer of a rule misses `party`, as the API reads the peer. */
function peerMissText(ix: PolicyIndex, m: PeerMiss, party: Party): string {
  const name = partyName(party);
  switch (m.kind) {
    case "namespace":
      return m.namespaceSelector
        ? `its namespaceSelector ${formatLabelSelector(m.namespaceSelector)} does not match namespace ${m.ns} (labels ${labelsText(ix.nsLabels.get(m.ns) ?? { "kubernetes.io/metadata.name": m.ns })})`
        : `it has no namespaceSelector, so it selects pods of ${m.policyNs} only, and ${name} runs in ${m.ns}`;
    case "pod":
      return `its podSelector ${formatLabelSelector(m.podSelector)} does not match ${name} (labels ${party.kind === "pod" ? labelsText(party.pod.labels) : "none"})`;
    case "ipBlock": {
      if (m.selectorsOnly)
        return `its ipBlock ${m.text} matches no pod address here (the network plugin matches pods by selectors)`;
      const ip = partyIp(party);
      // Policies see the connection after kube-proxy's DNAT: a Service's cluster IP in the
      // block is never the destination they match.
      const svc = ix.state.services.find(
        (x) => x.clusterIP && x.clusterIP !== "None" && cidrContains(m.cidr, ipToInt(x.clusterIP)),
      );
      return `its ipBlock ${m.text} does not contain ${ip === undefined ? name : intToIp(ip)}${svc ? ` (${svc.clusterIP} is Service ${svc.namespace}/${svc.name}'s cluster IP: policies see the pod's address after the Service's DNAT)` : ""}`;
    }
    case "address":
      return `${name} is not a pod that selectors match (a node, a hostNetwork pod or an outside address: only an ipBlock matches it)`;
    case "entity":
      return `its entity ${m.entity} does not stand for ${name}`;
    case "fqdn":
      return !m.dnsVisible
        ? `its toFQDNs ${m.names} learns no address for this pod: no egress policy selecting it has a DNS rule (toPorts rules.dns), so Cilium's DNS proxy never sees its lookups`
        : m.known === 0
          ? `its toFQDNs ${m.names} matches no name podnet knows (the cluster config's externalDNS)`
          : `${name} is not an address of ${m.names}`;
    case "endpoints":
      return m.namespace !== undefined && m.namespace !== m.ns
        ? `its endpoint selector ${formatLabelSelector(m.selector)} selects pods of ${m.namespace} only (it names no io.kubernetes.pod.namespace), and ${name} runs in ${m.ns}`
        : `its endpoint selector ${formatLabelSelector(m.selector)} does not match ${name}'s Cilium labels`;
  }
}

/** A rule that misses the connection by one thing, as a sentence: "default/web ingress rule 0
 *  allows TCP 80 from default/client, not TCP 8080 (…)". `servicePort`: the Service port the
 *  client connected to, when the flow went through one (the pod's port is what policy sees). */
export function nearMissText(
  ix: PolicyIndex,
  m: NearMiss,
  dir: "ingress" | "egress",
  peer: Party,
  proto: Proto,
  port: number,
  servicePort?: number,
): string {
  const rule = `${m.policy} ${dir} rule ${m.rule}`;
  const toFrom = dir === "egress" ? "to" : "from";
  if (m.ports) {
    const svc =
      servicePort !== undefined && servicePort !== port && has(m.ports, proto, servicePort)
        ? ` (${servicePort} is the Service's port: policies see the pod's port, ${port}, after the Service's DNAT)`
        : "";
    return `${rule} allows ${formatConns(m.ports)} ${toFrom} ${partyName(peer)}, not ${proto} ${port}${svc}`;
  }
  return `${rule} allows ${proto} ${port}, but ${peerMissesText(ix, m.peers!, peer)}`;
}

/**
 * Why each peer of a rule misses `party`, each reason once: a chart's rule often lists several
 * podSelectors of its own namespace (argo-cd's redis policy names three components), and they
 * all miss for one reason. Several podSelectors that miss are one sentence naming the party's
 * labels once; the same namespace reason is said once.
 */
function peerMissesText(ix: PolicyIndex, peers: PeerMiss[], party: Party): string {
  const pods = peers.filter((x): x is Extract<PeerMiss, { kind: "pod" }> => x.kind === "pod");
  const texts = new Set<string>();
  for (const x of peers) {
    if (x.kind !== "pod" || pods.length === 1) texts.add(peerMissText(ix, x, party));
    else if (x === pods[0]) {
      const sels = pods.map((y) => `[${formatLabelSelector(y.podSelector)}]`);
      const labels = party.kind === "pod" ? labelsText(party.pod.labels) : "none";
      texts.add(
        `its podSelectors ${sels.slice(0, -1).join(", ")} and ${sels[sels.length - 1]} do not match ${partyName(party)} (labels ${labels})`,
      );
    }
  }
  return [...texts].join("; ");
}

/** The first near miss of the side that denies, as a sentence (undefined: no rule comes close). */
export function missNote(
  ix: PolicyIndex,
  dir: "ingress" | "egress",
  subject: Party,
  peer: Party,
  proto: Proto,
  port: number,
  servicePort?: number,
): string | undefined {
  const ms = nearMisses(ix, dir, subject, peer, proto, port);
  if (!ms.length) return undefined;
  const more = ms.length > 1 ? ` (and ${ms.length - 1} more rule${ms.length > 2 ? "s" : ""} like it)` : "";
  return `${nearMissText(ix, ms[0], dir, peer, proto, port, servicePort)}${more}`;
}

/** A destination a side denies: by the policies that isolate it, or by a deny rule. */
interface Denied {
  t: PolicyTarget;
  by: string[];
  deny?: RuleHit;
  /** Calico: the tier whose end denied it, and the policies that select the pod there. */
  tier?: { tier: string; policies: string[] };
}

/** What the isolating policies are, in words: "NetworkPolicy" when all are Kubernetes', else their kinds. */
function policyWord(ix: PolicyIndex, ids: string[]): string {
  const kinds = new Set<string>();
  for (const id of ids) {
    const p = ix.policies.find((x) => x.id === id);
    const calico = p?.calico?.kind;
    kinds.add(
      p?.cilium?.kind ??
        (calico === "NetworkPolicy"
          ? "Calico NetworkPolicy"
          : calico && calico !== "KubernetesNetworkPolicy"
            ? calico
            : "NetworkPolicy"),
    );
  }
  return [...kinds].sort().join(" and ");
}

/** The Calico tier whose end denies proto/port on this side, if one does. */
function tierEnd(v: DirectionVerdict, proto: Proto, port: number): Denied["tier"] {
  const e = v.tierEnds?.find((x) => has(x.conns, proto, port));
  return e && { tier: e.tier, policies: e.policies };
}

/** Calico's words for a side its tier's end denies (https://docs.tigera.io/calico/latest/network-policy/policy-tiers/tiered-policy). */
function tierEndWords(dir: "ingress" | "egress", who: string, tier: NonNullable<Denied["tier"]>) {
  const pols = tier.policies.join(", ");
  return {
    why: `${dir} of ${who} is denied at the end of Calico's tier ${tier.tier}: ${pols} select it there and none of their rules allows or passes the flow`,
    fix:
      tier.tier === "default"
        ? `add an Allow rule for this flow to a policy of the default tier selecting the ${dir === "egress" ? "source" : "destination"} (YAML below: a NetworkPolicy, which Calico places in the default tier at order 1000)`
        : `add an Allow for this flow (or a Pass to the next tier) to a policy of tier ${tier.tier} selecting the ${dir === "egress" ? "source" : "destination"}: a later tier cannot allow what tier ${tier.tier} denies`,
  };
}

/** policy.egress and policy.ingress over every destination of the flow. */
export function policyChecks(
  ix: PolicyIndex,
  src: Party,
  targets: PolicyTarget[],
  proto: Proto,
  servicePort?: number,
): { checks: DiagnoseCheck[]; yaml: string[] } {
  const state = ix.state;
  const egressDenied: Denied[] = [];
  const ingressDenied: Denied[] = [];
  const egressOk: string[] = [];
  const ingressOk: string[] = [];
  for (const t of targets) {
    const d = decide(ix, t.from ?? src, t.party, proto, t.port);
    if (d.egressDeny) egressDenied.push({ t, by: [d.egressDeny.policy], deny: d.egressDeny });
    else if (d.egress.isolated && !d.egressRule)
      egressDenied.push({ t, by: d.egress.selecting, tier: tierEnd(d.egress, proto, t.port) });
    else egressOk.push(d.egressRule ? hitWords(d.egressRule, "egress") : "not isolated");
    if (d.ingressDeny) ingressDenied.push({ t, by: [d.ingressDeny.policy], deny: d.ingressDeny });
    else if (d.ingress.isolated && !d.ingressRule && !d.nodeLocal)
      ingressDenied.push({ t, by: d.ingress.selecting, tier: tierEnd(d.ingress, proto, t.port) });
    else ingressOk.push(d.ingressRule ? hitWords(d.ingressRule, "ingress") : "not isolated");
  }
  const checks: DiagnoseCheck[] = [];
  const yaml: string[] = [];
  const what = (t: PolicyTarget) => `${proto} ${t.port} to ${partyName(t.party)}`;
  const srcName = partyName(src);
  if (!targets.length) return { checks, yaml };
  const denyCheck = (code: "policy.egress" | "policy.ingress", e: Denied, who: string): DiagnoseCheck => {
    const dir = code === "policy.egress" ? "egress" : "ingress";
    // Calico's Deny rules carry their own words (engine.ts calicoVerdict); Cilium's are ingressDeny/egressDeny.
    const calico = e.deny!.text !== undefined;
    const rule = hitWords(e.deny!, dir, true);
    return {
      code,
      layer: "policy",
      title: dir === "egress" ? "egress of the source" : "ingress of the destination",
      ok: false,
      severity: "error",
      evidence: `${rule} denies ${formatConns(e.deny!.conns)} ${dir === "egress" ? "to" : "from"} ${partyName(dir === "egress" ? e.t.party : (e.t.from ?? src))}, ${proto} ${e.t.port} among them`,
      why: calico
        ? `${dir} of ${who} is denied by ${rule}: in Calico the first rule that matches decides, and no Allow for this flow comes before it`
        : `${dir} of ${who} is denied by ${rule} (CiliumNetworkPolicy): a deny rule wins over every allow`,
      fix: calico
        ? `narrow that rule, or allow the flow before it: a rule above it, a policy of lower order, or an earlier tier (https://docs.tigera.io/calico/latest/network-policy/policy-tiers/tiered-policy)`
        : `narrow or remove ${rule}; no allow rule can override it (https://docs.cilium.io/en/stable/security/policy/language/#deny-policies)`,
    };
  };
  if (egressDenied[0]?.deny) checks.push(denyCheck("policy.egress", egressDenied[0], srcName));
  else if (egressDenied.length) {
    const e = egressDenied[0];
    const near = missNote(ix, "egress", e.t.from ?? src, e.t.party, proto, e.t.port, servicePort);
    const c: DiagnoseCheck = {
      code: "policy.egress",
      layer: "policy",
      title: "egress of the source",
      ok: false,
      severity: "error",
      evidence: `${srcName} is isolated for egress by ${e.by.join(", ")}; no rule allows ${what(e.t)}${egressDenied.length > 1 ? ` (${egressDenied.length} of ${targets.length} destinations denied)` : ""}${near ? `; nearest: ${near}` : ""}`,
      why: `egress of ${srcName} is denied by ${policyWord(ix, e.by)} (${e.by.join(", ")})${near ? `: ${near}` : ""}`,
      fix: "add an egress rule for this flow to a policy selecting the source (YAML below)",
    };
    if (e.tier) Object.assign(c, tierEndWords("egress", srcName, e.tier));
    if (src.kind === "pod" && (!e.tier || e.tier.tier === "default")) {
      const peers = dedupe(egressDenied.map((x) => peerOf(state, x.t.party, src.pod.namespace)));
      const ports = dedupe(egressDenied.map((x) => ({ protocol: proto, port: x.t.port })));
      const dst = egressDenied[0].t.party;
      c.yaml = policyDoc(
        `allow-${short(state, src.pod)}-egress-to-${dst.kind === "pod" ? short(state, dst.pod) : "addr"}`,
        src.pod.namespace,
        minimalSelector(state, src.pod),
        "egress",
        peers,
        ports,
      );
      yaml.push(c.yaml);
    }
    checks.push(c);
  } else
    checks.push({
      code: "policy.egress",
      layer: "policy",
      title: "egress of the source",
      ok: true,
      severity: "error",
      evidence: `allowed (${[...new Set(egressOk)].join("; ")})`,
    });
  if (ingressDenied[0]?.deny)
    checks.push(denyCheck("policy.ingress", ingressDenied[0], partyName(ingressDenied[0].t.party)));
  else if (ingressDenied.length) {
    const e = ingressDenied[0];
    const dstPod = e.t.party.kind === "pod" ? e.t.party.pod : undefined;
    const near = missNote(ix, "ingress", e.t.party, e.t.from ?? src, proto, e.t.port, servicePort);
    const c: DiagnoseCheck = {
      code: "policy.ingress",
      layer: "policy",
      title: "ingress of the destination",
      ok: false,
      severity: "error",
      evidence: `${partyName(e.t.party)} is isolated for ingress by ${e.by.join(", ")}; no rule allows ${proto} ${e.t.port} from ${partyName(e.t.from ?? src)}${ingressDenied.length > 1 ? ` (${ingressDenied.length} of ${targets.length} destinations denied)` : ""}${near ? `; nearest: ${near}` : ""}`,
      why: `ingress of ${partyName(e.t.party)} is denied by ${policyWord(ix, e.by)} (${e.by.join(", ")})${near ? `: ${near}` : ""}`,
      fix: "add an ingress rule for this flow to a policy selecting the destination (YAML below)",
    };
    if (e.tier) Object.assign(c, tierEndWords("ingress", partyName(e.t.party), e.tier));
    const lost = e.t.from && e.t.snat ? snatFix(ix, src, ingressDenied, proto, e.t.snat) : undefined;
    if (lost) {
      c.why = `${c.why}: it sees the connection from ${partyName(e.t.from!)}, not from the client`;
      c.fix = lost.fix;
    }
    // When the policy already allows the client, only its address is lost: no YAML.
    if (dstPod && (!lost || lost.allowClient) && (!e.tier || e.tier.tier === "default")) {
      // One policy per destination workload (the endpoints of a Service are usually one).
      const groups = new Map<string, { pod: PodState; ports: number[]; from: Party[] }>();
      for (const x of ingressDenied) {
        if (x.t.party.kind !== "pod") continue;
        const p = x.t.party.pod;
        const k = `${p.namespace}/${p.workload.kind}/${p.workload.name}`;
        const g = groups.get(k) ?? { pod: p, ports: [], from: [] };
        if (!g.ports.includes(x.t.port)) g.ports.push(x.t.port);
        g.from.push(x.t.from ?? src);
        groups.set(k, g);
      }
      const docs = [...groups.values()].map((g) =>
        policyDoc(
          `allow-${short(state, g.pod)}-ingress-from-${src.kind === "pod" ? short(state, src.pod) : "client"}`,
          g.pod.namespace,
          minimalSelector(state, g.pod),
          "ingress",
          // After SNAT an ipBlock of a node's address would admit every client that node
          // forwards: allow the client itself (kept with externalTrafficPolicy Local).
          dedupe(g.from.map((f) => peerOf(state, lost ? src : f, g.pod.namespace))),
          g.ports.map((port) => ({ protocol: proto, port })),
        ),
      );
      c.yaml = docs.join("---\n");
      yaml.push(c.yaml);
    }
    checks.push(c);
  } else
    checks.push({
      code: "policy.ingress",
      layer: "policy",
      title: "ingress of the destination",
      ok: true,
      severity: "error",
      evidence: `allowed (${[...new Set(ingressOk)].join("; ")})`,
    });
  return { checks, yaml };
}

/**
 * The fix when kube-proxy's SNAT hides the client (externalTrafficPolicy Cluster): keep the
 * client's address with externalTrafficPolicy Local, reached through a node that runs an
 * endpoint (https://kubernetes.io/docs/tutorials/services/source-ip/), not an ipBlock of the
 * node that masqueraded it. `allowClient`: the policy would not admit the client's own
 * address either, so a rule for it is needed as well.
 */
function snatFix(
  ix: PolicyIndex,
  client: Party,
  denied: { t: PolicyTarget }[],
  proto: Proto,
  service: string,
): { fix: string; allowClient: boolean } {
  const allowClient = denied.some(({ t }) => {
    const d = decide(ix, client, t.party, proto, t.port);
    return (d.ingress.isolated && !d.ingressRule && !d.nodeLocal) || d.ingressDeny !== undefined;
  });
  const keep = `set externalTrafficPolicy: Local on Service ${service} so that the pods see the client's own address (the node does not masquerade it; connect through a node that runs an endpoint: https://kubernetes.io/docs/tutorials/services/source-ip/)`;
  return {
    allowClient,
    fix: allowClient
      ? `${keep}, and allow the client's address in a policy selecting the destination (YAML below)`
      : `${keep}: the policy already allows the client, not the node address it arrives from after SNAT`,
  };
}

function dedupe<T>(xs: T[]): T[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const k = JSON.stringify(x);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The egress policy that lets `pod` query the cluster DNS (UDP and TCP 53 to the DNS pods),
 *  the rule the egress examples of the Kubernetes docs add for the same reason. */
export function dnsEgressPolicy(state: ClusterState, pod: PodState, dnsPods: PodState[], port: number): string {
  const peers = dedupe(dnsPods.map((d) => peerOf(state, { kind: "pod", pod: d }, pod.namespace)));
  return policyDoc(`allow-${short(state, pod)}-dns`, pod.namespace, minimalSelector(state, pod), "egress", peers, [
    { protocol: "UDP", port },
    { protocol: "TCP", port },
  ]);
}

/** A pod, or the address of a hostNetwork pod / node / outside client, as policy sees it. */
export function partyAt(state: ClusterState, ip: string, label?: string): Party {
  const pod = state.pods.find((p) => p.podIP === ip && !p.spec.hostNetwork && !p.terminating);
  return pod ? { kind: "pod", pod } : { kind: "ip", ip: ipToInt(ip), label: label ?? ip };
}
