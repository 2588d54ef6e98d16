// Workload-level reachability, built on equivalence classes: pods that agree on
// everything a policy can look at (namespace, labels, named container ports, and
// which ipBlock ranges hold their IP) are evaluated once. The outside world is cut
// at every ipBlock boundary into elementary ranges, each evaluated once; per workload,
// the ranges with the same result are one peer for display.

import type { ClusterState, PodState, ReplicaSetState } from "../control/state.js";
import { intToIp, ipToInt, parseCidr } from "../net/ipv4.js";
import {
  calicoSelfMatches,
  ciliumLabelsOf,
  directionVerdict,
  inCalicoOrder,
  indexPolicies,
  peerMatches,
  policiesSelecting,
  ruleConns,
  selectable,
  type CPeer,
  type CPolicy,
  type CRule,
  type DirectionVerdict,
  type Party,
  type PolicyIndex,
} from "../policy/engine.js";
import { matchSelector } from "../manifest/selector.js";
import {
  allSet,
  equal,
  formatConns,
  intersect,
  isEmpty,
  subtract,
  union,
  emptySet,
  type ConnSet,
} from "../policy/portset.js";
import type { LabelSelector } from "../manifest/types.js";
import { dnsEgressNote } from "./dns-verdict.js";

export interface ReachLine {
  src: string;
  dst: string;
  conns: ConnSet;
  text: string; // formatted connections
  explain?: string[];
}

export interface ReachOptions {
  namespace?: string;
  from?: LabelSelector;
  to?: LabelSelector;
  explain?: boolean;
  /** Include pairs with no connection (only meaningful with explain). */
  includeDenied?: boolean;
  /** How pods read from a live cluster are named: "controller" (the default) by their
   *  controlling owner as netpol-analyzer does; "deployment" climbs ReplicaSet → Deployment
   *  and Job → CronJob. */
  owner?: OwnerNaming;
  /** Also list the workloads podnet added itself (CoreDNS, kube-proxy, the CNI agent). */
  includeSystem?: boolean;
  /** The most workload ↔ workload lines (default MAX_REACH_LINES). */
  maxLines?: number;
}

export const OWNER_NAMINGS = ["controller", "deployment"] as const;
export type OwnerNaming = (typeof OWNER_NAMINGS)[number];

interface PodClass {
  id: number;
  rep: Party; // a representative pod (or the range start for external classes)
  workloads: Set<string>;
  /** Policies selecting the class, per direction (computed once). */
  egress: CPolicy[];
  ingress: CPolicy[];
}

/**
 * The workload name of a pod as `reach` prints it. Pods podnet made from manifests are
 * named by their workload ("ns/web[Deployment]"). Pods read from a live cluster follow
 * netpol-analyzer (np-guard/netpol-analyzer pkg/netpol/eval/internal/k8s/pod.go, peer.go):
 * the pod's controlling ownerReference, verbatim ("ns/web-7d77fb55cc[ReplicaSet]",
 * "ns/agent[DaemonSet]", custom kinds too); without one, or owned by its Node (a static
 * pod's mirror), the pod itself ("ns/etcd-cp[Pod]"). `owner: "deployment"` climbs from a
 * ReplicaSet to its Deployment: the ReplicaSet's own owner when the state knows it, else
 * the Deployment controller's naming, `<deployment>-<pod-template-hash>`; and from a Job to
 * its CronJob, so that every run of a schedule is one workload, as the manifest's CronJob is.
 */
export function workloadNamer(state: ClusterState, owner: OwnerNaming = "controller"): (p: PodState) => string {
  const rs = new Map<string, ReplicaSetState>();
  for (const r of state.replicaSets ?? []) rs.set(`${r.namespace}/${r.name}`, r);
  let jobs: Map<string, string | null> | undefined;
  return (p) => {
    if (!p.observed) return `${p.workload.namespace}/${p.workload.name}[${p.workload.kind}]`;
    const o = p.owner;
    if (!o || o.kind === "Node") return `${p.namespace}/${p.name}[Pod]`;
    if (owner === "deployment" && o.kind === "ReplicaSet") {
      const d = deploymentOf(rs.get(`${p.namespace}/${o.name}`), o.name, p.labels["pod-template-hash"]);
      if (d) return `${p.namespace}/${d}[Deployment]`;
    }
    if (owner === "deployment" && o.kind === "Job") {
      const c = cronJobOf((jobs ??= jobOwners(state)), p.namespace, o.name);
      if (c) return `${p.namespace}/${c}[CronJob]`;
    }
    return `${p.namespace}/${o.name}[${o.kind}]`;
  };
}

/**
 * "ns/name" of every given Job → its controlling CronJob's name (null: none), and of every
 * CronJob → "" (a CronJob's Jobs not in the input are found by its naming).
 */
function jobOwners(state: ClusterState): Map<string, string | null> {
  const m = new Map<string, string | null>();
  for (const o of state.objects ?? []) {
    if (o.kind !== "Job" && o.kind !== "CronJob") continue;
    const key = `${o.kind}/${o.metadata.namespace ?? "default"}/${o.metadata.name}`;
    if (o.kind === "CronJob") m.set(key, "");
    else {
      const refs = Array.isArray(o.metadata.ownerReferences) ? o.metadata.ownerReferences : [];
      const ref = refs.find((r) => r?.controller === true);
      m.set(key, ref?.kind === "CronJob" && typeof ref.name === "string" ? ref.name : null);
    }
  }
  return m;
}

/** A Job's CronJob: its ownerReference when the Job is given, else by the CronJob
 *  controller's naming of the CronJob in the input (kubernetes pkg/controller/cronjob/utils.go
 *  getJobName: `<cronjob>-<scheduled time in minutes since the epoch>`). */
function cronJobOf(owners: Map<string, string | null>, ns: string, job: string): string | null {
  const known = owners.get(`Job/${ns}/${job}`);
  if (known !== undefined) return known;
  const m = /^(.+)-\d+$/.exec(job);
  return m && owners.get(`CronJob/${ns}/${m[1]}`) === "" ? m[1] : null;
}

/** A ReplicaSet's Deployment: as the state records it, else by the controller's naming
 *  (kubernetes pkg/controller/deployment/sync.go: name = deployment + "-" + hash). */
function deploymentOf(known: ReplicaSetState | undefined, rsName: string, hash: string | undefined): string | null {
  if (known) return known.deployment;
  if (hash && rsName.length > hash.length + 1 && rsName.endsWith(`-${hash}`)) return rsName.slice(0, -hash.length - 1);
  return null;
}

/** Sorted, distinct boundaries of every ipBlock (cidr and except) in the cluster's policies. */
function ipBreakpoints(ix: PolicyIndex): number[] {
  const pts = new Set<number>([0]);
  for (const p of ix.policies) {
    for (const r of [
      ...p.ingressRules,
      ...p.egressRules,
      ...(p.ingressDenyRules ?? []),
      ...(p.egressDenyRules ?? []),
    ]) {
      for (const pe of r.peers ?? []) {
        // A toFQDNs peer's addresses, each a range of its own.
        for (const ip of pe.fqdn?.ips ?? []) {
          pts.add(ip);
          if (ip < 0xffffffff) pts.add(ip + 1);
        }
        // Calico's nets and notNets (a rule's own endpoint's too, below).
        for (const c of [...(pe.calico?.nets ?? []), ...(pe.calico?.notNets ?? [])]) {
          pts.add(c.first);
          if (c.last < 0xffffffff) pts.add(c.last + 1);
        }
        if (!pe.ipBlock || pe.ipBlock.ipv6) continue;
        for (const c of [pe.ipBlock.cidr, ...pe.ipBlock.except]) {
          pts.add(c.first);
          if (c.last < 0xffffffff) pts.add(c.last + 1);
        }
      }
    }
  }
  for (const p of ix.policies)
    for (const r of [...p.ingressRules, ...p.egressRules])
      for (const c of [...(r.self?.nets ?? []), ...(r.self?.notNets ?? [])]) {
        pts.add(c.first);
        if (c.last < 0xffffffff) pts.add(c.last + 1);
      }
  // A Calico selector may select addresses through the nets of the NetworkSets it selects.
  for (const ns of ix.calico?.networkSets ?? [])
    for (const c of ns.nets) {
      pts.add(c.first);
      if (c.last < 0xffffffff) pts.add(c.last + 1);
    }
  return [...pts].sort((a, b) => a - b);
}

function intervalOf(bps: number[], ip: number): number {
  let lo = 0;
  let hi = bps.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (bps[mid] <= ip) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function podClassKey(ix: PolicyIndex, bps: number[], pod: PodState): string {
  // Calico's nets match pods' addresses too.
  const ipPart =
    pod.podIP && (ix.ipBlockMatchesPods || ix.calico || !selectable(pod)) ? intervalOf(bps, ipToInt(pod.podIP)) : -1;
  if (!selectable(pod)) return `host|${ipPart}`;
  const labels = Object.keys(pod.labels)
    .sort()
    .map((k) => `${k}=${pod.labels[k]}`)
    .join(",");
  const named: string[] = [];
  for (const c of pod.spec.containers)
    for (const cp of c.ports ?? []) if (cp.name) named.push(`${cp.name}/${cp.protocol ?? "TCP"}/${cp.containerPort}`);
  named.sort();
  // Cilium's and Calico's selectors also see the service account
  // (io.cilium.k8s.policy.serviceaccount, projectcalico.org/serviceaccount).
  const sa = ix.cilium
    ? `|${ciliumLabelsOf(ix, pod)["io.cilium.k8s.policy.serviceaccount"]}`
    : ix.calico
      ? `|${ix.calico.podLabels(pod)["projectcalico.org/serviceaccount"]}`
      : "";
  return `${pod.namespace}|${labels}|${named.join(",")}|${ipPart}${sa}`;
}

export interface ReachResult {
  lines: ReachLine[];
  classes: number;
  externalRanges: number;
}

/** What the phases of computeReach share: the policies, the pod classes and the workloads. */
/**
 * The most workload ↔ workload lines one answer holds. Every pair of a cluster without
 * policies may connect: 10,000 workloads are 100 million lines (~10 GB of text), more than
 * anyone reads and more than the process can hold. Past this the question is refused with
 * what narrows it, never a crash.
 */
export const MAX_REACH_LINES = 4_000_000;

/** The answer would be larger than MAX_REACH_LINES. */
export class ReachTooLargeError extends Error {}

const maxLines = (ctx: ReachContext) => ctx.opts.maxLines ?? MAX_REACH_LINES;

function tooLarge(ctx: ReachContext): ReachTooLargeError {
  return new ReachTooLargeError(
    `more than ${maxLines(ctx).toLocaleString("en-US")} pairs of the cluster's ${ctx.wlClasses.size.toLocaleString("en-US")} workloads ` +
      "would be listed (workloads no policy isolates may all connect): ask about fewer with --namespace, --from or --to",
  );
}

interface ReachContext {
  ix: PolicyIndex;
  opts: ReachOptions;
  classList: PodClass[];
  /** Each workload's classes, namespace and one of its pods (for selectors). */
  wlClasses: Map<string, Set<PodClass>>;
  wlNs: Map<string, string>;
  wlPods: Map<string, PodState>;
  /** --explain: each source workload's DNS note (dnsEgressNote), once. */
  dnsNotes?: Map<string, string | undefined>;
}

interface ExtRange {
  first: number;
  last: number;
  party: Party;
}

interface RuleRef {
  policy: CPolicy;
  rule: CRule;
  bits: Uint32Array | null; // null: every peer
  fixed: ConnSet | null; // the rule's ports when they name no port (independent of the destination)
}

export function computeReach(state: ClusterState, opts: ReachOptions = {}): ReachResult {
  const ix = indexPolicies(state);
  const bps = ipBreakpoints(ix);
  const ctx = podClasses(state, ix, bps, opts);
  const ext = externalRanges(state, bps);
  // Every ordered pair is a line with --include-denied: past the cap, refused before any is made.
  const w = ctx.wlClasses.size;
  if (opts.includeDenied && !opts.namespace && !opts.from && !opts.to && w * (w - 1) > maxLines(ctx))
    throw tooLarge(ctx);
  const pairConns = classPairConnections(ctx);
  const lines = [...workloadLines(ctx, pairConns), ...externalLines(ctx, ext)];
  lines.sort((a, b) => (a.src < b.src ? -1 : a.src > b.src ? 1 : a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : 0));
  return { lines, classes: ctx.classList.length, externalRanges: ext.length };
}

/** Pods grouped into classes that every policy sees alike; workloads mapped to their classes. */
function podClasses(state: ClusterState, ix: PolicyIndex, bps: number[], opts: ReachOptions): ReachContext {
  const classes = new Map<string, PodClass>();
  const ctx: ReachContext = { ix, opts, classList: [], wlClasses: new Map(), wlNs: new Map(), wlPods: new Map() };
  const workloadName = workloadNamer(state, opts.owner);
  const add = (pod: PodState, w: string) => {
    const key = podClassKey(ix, bps, pod);
    let c = classes.get(key);
    if (!c) {
      c = {
        id: classes.size,
        rep: { kind: "pod", pod },
        workloads: new Set(),
        egress: policiesSelecting(ix, pod, "egress"),
        ingress: policiesSelecting(ix, pod, "ingress"),
      };
      classes.set(key, c);
    }
    c.workloads.add(w);
    if (!ctx.wlClasses.has(w)) ctx.wlClasses.set(w, new Set());
    ctx.wlClasses.get(w)!.add(c);
    ctx.wlNs.set(w, pod.namespace);
    if (!ctx.wlPods.has(w)) ctx.wlPods.set(w, pod);
  };
  for (const pod of state.pods) {
    // hostNetwork pods are their node (its address, unselectable): not a workload here. A
    // Pending pod (not scheduled yet, or waiting for its sandbox) talks once it runs: it is
    // one by its labels, as netpol-analyzer lists workloads without scheduling them; with no
    // address yet, no ipBlock holds it. A finished pod talks no more.
    if (pod.terminating || !selectable(pod) || (!pod.podIP && pod.phase !== "Pending")) continue;
    // What podnet added itself is not in the user's input: left out unless asked for.
    if (pod.system && !opts.includeSystem) continue;
    add(pod, workloadName(pod));
  }
  for (const pod of cronJobPods(state)) if (selectable(pod)) add(pod, `${pod.namespace}/${pod.name}[CronJob]`);
  ctx.classList = [...classes.values()];
  return ctx;
}

/**
 * The pod each CronJob's job template makes. None runs before its schedule comes (its Jobs
 * make them, and those pods are the Job's), but the template says who they may talk to:
 * netpol-analyzer lists a CronJob so (np-guard/netpol-analyzer pkg/netpol/eval/internal/k8s/
 * pod.go PodsFromWorkloadObject). Its address is not known before a Job runs: no ipBlock
 * holds it.
 */
function cronJobPods(state: ClusterState): PodState[] {
  const out: PodState[] = [];
  for (const o of state.objects ?? []) {
    if (o.kind !== "CronJob") continue;
    const tmpl = o.spec?.jobTemplate?.spec?.template;
    // A template without containers is refused by validation; never a pod here.
    if (!Array.isArray(tmpl?.spec?.containers)) continue;
    const namespace = o.metadata.namespace ?? "default";
    const name = o.metadata.name;
    out.push({
      namespace,
      name,
      uid: "",
      labels: tmpl.metadata?.labels ?? {},
      annotations: tmpl.metadata?.annotations ?? {},
      owner: { kind: "CronJob", name },
      workload: { kind: "CronJob", namespace, name },
      spec: tmpl.spec,
      nodeName: null,
      phase: "Pending",
      podIP: null,
      hostIP: null,
      ready: false,
      terminating: false,
      created: 0,
      resolvConf: "",
      env: [],
      containerID: "",
    });
  }
  return out;
}

/** The elementary intervals between ipBlock boundaries, outside the pod network. */
function externalRanges(state: ClusterState, bps: number[]): ExtRange[] {
  const pod = parseCidr(state.config.networking.podSubnet, true);
  const ext: ExtRange[] = [];
  for (let i = 0; i < bps.length; i++) {
    const first = bps[i];
    const last = i + 1 < bps.length ? bps[i + 1] - 1 : 0xffffffff;
    // cut out the pod subnet
    const pieces: [number, number][] = [];
    if (last < pod.first || first > pod.last) pieces.push([first, last]);
    else {
      if (first < pod.first) pieces.push([first, pod.first - 1]);
      if (last > pod.last) pieces.push([pod.last + 1, last]);
    }
    for (const [a, b] of pieces) ext.push({ first: a, last: b, party: { kind: "ip", ip: a } });
  }
  return ext;
}

const bitHas = (b: Uint32Array, i: number) => (b[i >>> 5] & (1 << (i & 31))) !== 0;

/** Each class's egress and ingress rules, their peers as bitsets of classes (null: not isolated). */
function classRules(ctx: ReachContext): {
  egress: (RuleRef[] | null)[];
  ingress: (RuleRef[] | null)[];
  egressDeny: RuleRef[][];
  ingressDeny: RuleRef[][];
  calico?: { egress: (CalicoTier[] | null)[]; ingress: (CalicoTier[] | null)[] };
} {
  const { ix, classList } = ctx;
  const byNs = new Map<string, PodClass[]>();
  for (const c of classList) {
    if (c.rep.kind !== "pod" || !selectable(c.rep.pod)) continue;
    const l = byNs.get(c.rep.pod.namespace) ?? [];
    l.push(c);
    byNs.set(c.rep.pod.namespace, l);
  }
  const words = (classList.length + 31) >>> 5;
  // Which classes a rule's peers match: computed once per distinct peer, scanning only
  // the namespaces a peer can reach (its own, or those its namespaceSelector matches).
  const peerCache = new Map<string, Uint32Array>();
  const peerBits = (peer: CPeer, policyNs: string): Uint32Array => {
    const key = `${policyNs}|${JSON.stringify(peer)}`;
    let b = peerCache.get(key);
    if (b) return b;
    b = new Uint32Array(words);
    const cands =
      peer.ipBlock ||
      peer.calico ||
      peer.entity !== undefined ||
      (peer.endpoints && peer.endpoints.namespace === undefined)
        ? classList
        : peer.endpoints
          ? (byNs.get(peer.endpoints.namespace!) ?? [])
          : peer.namespaceSelector
            ? [...byNs.entries()]
                .filter(([ns]) =>
                  matchSelector(peer.namespaceSelector!, ix.nsLabels.get(ns) ?? { "kubernetes.io/metadata.name": ns }),
                )
                .flatMap(([, l]) => l)
            : (byNs.get(policyNs) ?? []);
    for (const c of cands) if (peerMatches(ix, peer, policyNs, c.rep)) b[c.id >>> 5] |= 1 << (c.id & 31);
    peerCache.set(key, b);
    return b;
  };
  const ruleCache = new Map<CRule, RuleRef>();
  const ruleRef = (p: CPolicy, r: CRule): RuleRef => {
    let ref = ruleCache.get(r);
    if (ref) return ref;
    let bits: Uint32Array | null = null;
    if (r.peers !== null) {
      bits = new Uint32Array(words);
      for (const pe of r.peers) {
        const pb = peerBits(pe, p.namespace);
        for (let i = 0; i < words; i++) bits[i] |= pb[i];
      }
    }
    const named = [...(r.ports ?? []), ...(r.exceptPorts ?? [])].some((x) => typeof x.port === "string");
    ref = { policy: p, rule: r, bits, fixed: named ? null : ruleConns(r, { kind: "ip", ip: 0 }) };
    ruleCache.set(r, ref);
    return ref;
  };
  // null: no policy isolates the class for dir (a Cilium policy with enableDefaultDeny false
  // only adds rules); its allow rules then say nothing, its deny rules still do.
  const rulesOf = (c: PodClass, dir: "ingress" | "egress"): RuleRef[] | null => {
    const pols = dir === "egress" ? c.egress : c.ingress;
    if (!pols.some((p) => p[dir])) return null;
    const out: RuleRef[] = [];
    for (const p of pols) for (const r of dir === "egress" ? p.egressRules : p.ingressRules) out.push(ruleRef(p, r));
    return out;
  };
  const denyOf = (c: PodClass, dir: "ingress" | "egress"): RuleRef[] => {
    const out: RuleRef[] = [];
    for (const p of dir === "egress" ? c.egress : c.ingress)
      for (const r of (dir === "egress" ? p.egressDenyRules : p.ingressDenyRules) ?? []) out.push(ruleRef(p, r));
    return out;
  };
  // Calico: the class's policies in Felix's order, tier by tier (null: none selects it).
  const programOf = (c: PodClass, dir: "ingress" | "egress"): CalicoTier[] | null => {
    const pols = dir === "egress" ? c.egress : c.ingress;
    if (pols.length === 0 || c.rep.kind !== "pod") return null;
    const subject = c.rep.pod;
    const tiers: CalicoTier[] = [];
    for (const p of inCalicoOrder(pols)) {
      let t = tiers[tiers.length - 1];
      if (!t || t.name !== p.calico!.tier)
        tiers.push((t = { name: p.calico!.tier, pass: p.calico!.tierDefault === "Pass", refs: [] }));
      for (const r of dir === "egress" ? p.egressRules : p.ingressRules)
        if (r.action !== "Log" && calicoSelfMatches(ix, r, subject)) t.refs.push(ruleRef(p, r));
    }
    return tiers;
  };
  const calico = ix.calico !== undefined;
  return {
    egress: classList.map((c) => (calico ? null : rulesOf(c, "egress"))),
    ingress: classList.map((c) => (calico ? null : rulesOf(c, "ingress"))),
    egressDeny: classList.map((c) => (calico ? [] : denyOf(c, "egress"))),
    ingressDeny: classList.map((c) => (calico ? [] : denyOf(c, "ingress"))),
    calico: calico
      ? { egress: classList.map((c) => programOf(c, "egress")), ingress: classList.map((c) => programOf(c, "ingress")) }
      : undefined,
  };
}

interface CalicoTier {
  name: string;
  /** The tier's defaultAction is Pass. */
  pass: boolean;
  refs: RuleRef[];
}

/**
 * The classes a Calico program may allow anything to: those an Allow rule matches, unless
 * a connection can pass every tier (each has a Pass rule or passes by default) to the
 * profile, which allows every class.
 */
function calicoCandidates(tiers: CalicoTier[], classList: PodClass[], words: number): PodClass[] {
  const toProfile = tiers.every((t) => t.pass || t.refs.some((r) => r.rule.action === "Pass"));
  if (toProfile) return classList;
  const acc = new Uint32Array(words);
  for (const t of tiers)
    for (const r of t.refs) {
      if ((r.rule.action ?? "Allow") !== "Allow") continue;
      if (r.bits === null) return classList;
      for (let i = 0; i < words; i++) acc[i] |= r.bits[i];
    }
  return classList.filter((c) => bitHas(acc, c.id));
}

/** What a Calico program allows towards/from the class `peer` (dst: the destination class). */
function calicoAllows(tiers: CalicoTier[], peer: number, dst: PodClass): ConnSet {
  let undecided = allSet();
  let allowed = emptySet();
  for (const t of tiers) {
    let passed = emptySet();
    for (const r of t.refs) {
      if (r.bits !== null && !bitHas(r.bits, peer)) continue;
      const c = intersect(undecided, r.fixed ?? ruleConns(r.rule, dst.rep));
      if (isEmpty(c)) continue;
      undecided = subtract(undecided, c);
      const action = r.rule.action ?? "Allow";
      if (action === "Allow") allowed = union(allowed, c);
      else if (action === "Pass") passed = union(passed, c);
      if (isEmpty(undecided)) break;
    }
    undecided = t.pass ? union(passed, undecided) : passed;
  }
  return union(allowed, undecided);
}

/**
 * The connections between workloads, from their class pairs: candidates come from the
 * source's egress rules (every class when the source is not isolated for egress).
 */
function classPairConnections(ctx: ReachContext): Map<string, ConnSet> {
  const { classList } = ctx;
  const keep = keeper(ctx);
  const max = maxLines(ctx);
  const rules = classRules(ctx);
  const words = (classList.length + 31) >>> 5;
  const ALL = allSet();
  const connsOf = (r: RuleRef, dst: PodClass): ConnSet => r.fixed ?? ruleConns(r.rule, dst.rep);
  // First the class pairs that connect, then their workload pairs: a count from the first
  // can refuse an answer past the cap before its pairs are built (seconds and GBs at 4M).
  const linked: [PodClass, PodClass, ConnSet][] = [];
  const cal = rules.calico;
  if (cal)
    for (const s of classList) {
      const ep = cal.egress[s.id];
      for (const d of ep ? calicoCandidates(ep, classList, words) : classList) {
        const e = ep ? calicoAllows(ep, d.id, d) : ALL;
        if (isEmpty(e)) continue;
        const ip = cal.ingress[d.id];
        const i = ip ? calicoAllows(ip, s.id, d) : ALL;
        const conns = e === ALL ? i : i === ALL ? e : intersect(e, i);
        if (!isEmpty(conns)) linked.push([s, d, conns]);
      }
    }
  for (const s of cal ? [] : classList) {
    const er = rules.egress[s.id];
    let cands: PodClass[];
    if (er === null || er.some((r) => r.bits === null)) cands = classList;
    else {
      const acc = new Uint32Array(words);
      for (const r of er) for (let i = 0; i < words; i++) acc[i] |= r.bits![i];
      cands = classList.filter((c) => bitHas(acc, c.id));
    }
    for (const d of cands) {
      let e: ConnSet = ALL;
      if (er !== null) {
        e = emptySet();
        for (const r of er) if (r.bits === null || bitHas(r.bits, d.id)) e = union(e, connsOf(r, d));
      }
      // Deny rules win over allows (Cilium's ingressDeny/egressDeny).
      for (const r of rules.egressDeny[s.id])
        if (r.bits === null || bitHas(r.bits, d.id)) e = subtract(e, connsOf(r, d));
      if (isEmpty(e)) continue;
      const ir = rules.ingress[d.id];
      let i: ConnSet = ALL;
      if (ir !== null) {
        i = emptySet();
        for (const r of ir) if (r.bits === null || bitHas(r.bits, s.id)) i = union(i, connsOf(r, d));
      }
      for (const r of rules.ingressDeny[d.id])
        if (r.bits === null || bitHas(r.bits, s.id)) i = subtract(i, connsOf(r, d));
      const conns = e === ALL ? i : i === ALL ? e : intersect(e, i);
      if (!isEmpty(conns)) linked.push([s, d, conns]);
    }
  }
  if (pairCount(ctx, linked) > max) throw tooLarge(ctx);
  const pairConns = new Map<string, ConnSet>(); // "ws\0wd" → union over their classes
  for (const [s, d, conns] of linked)
    for (const ws of s.workloads) {
      for (const wd of d.workloads) {
        if (ws === wd || !keep(ws, wd)) continue;
        const k = `${ws}\u0000${wd}`;
        const prev = pairConns.get(k);
        if (prev === undefined && pairConns.size >= max) throw tooLarge(ctx);
        pairConns.set(k, prev ? union(prev, conns) : conns);
      }
    }
  return pairConns;
}

/**
 * How many workload pairs the linked class pairs make, when that is known without listing
 * them: no pair filter, and each workload in one class (then no two class pairs share a
 * workload pair). 0 otherwise: the listing counts as it goes.
 */
function pairCount(ctx: ReachContext, linked: [PodClass, PodClass, ConnSet][]): number {
  const { opts } = ctx;
  if (opts.namespace || opts.from || opts.to) return 0;
  let inClasses = 0;
  for (const c of ctx.classList) inClasses += c.workloads.size;
  if (inClasses !== ctx.wlClasses.size) return 0;
  let n = 0;
  for (const [s, d] of linked) n += s.workloads.size * d.workloads.size - (s === d ? s.workloads.size : 0);
  return n;
}

/** Whether a pair is asked about (--namespace on either side, --from, --to), from flags worked out once per workload. */
function keeper(ctx: ReachContext): (ws: string, wd: string) => boolean {
  const { opts } = ctx;
  if (!opts.namespace && !opts.from && !opts.to) return () => true;
  const flags = new Map<string, number>(); // 1: in the namespace, 2: a --from workload, 4: a --to workload
  for (const w of ctx.wlClasses.keys())
    flags.set(
      w,
      (inNs(ctx, w) ? 1 : 0) | (wlSelected(ctx, w, opts.from) ? 2 : 0) | (wlSelected(ctx, w, opts.to) ? 4 : 0),
    );
  return (ws, wd) => {
    const a = flags.get(ws)!;
    const b = flags.get(wd)!;
    return ((a | b) & 1) !== 0 && (a & 2) !== 0 && (b & 4) !== 0;
  };
}

const wlSelected = (ctx: ReachContext, w: string, sel: LabelSelector | undefined): boolean =>
  !sel || matchSelector(sel, ctx.wlPods.get(w)!.labels);
const inNs = (ctx: ReachContext, w: string) => !ctx.opts.namespace || ctx.wlNs.get(w) === ctx.opts.namespace;

/** Workload ↔ workload lines the options ask for (with the pairs that have none, when asked). */
function workloadLines(ctx: ReachContext, pairConns: Map<string, ConnSet>): ReachLine[] {
  const { ix, opts } = ctx;
  const lines: ReachLine[] = [];
  const workloads = [...ctx.wlClasses.keys()].sort();
  const keep = keeper(ctx);
  const pairLine = (ws: string, wd: string, conns: ConnSet): ReachLine => {
    const line: ReachLine = { src: ws, dst: wd, conns, text: formatConns(conns) };
    if (opts.explain) {
      const a = [...ctx.wlClasses.get(ws)!][0];
      const b = [...ctx.wlClasses.get(wd)!][0];
      line.explain = explainPair(
        directionVerdict(ix, "egress", a.rep, b.rep, a.egress),
        directionVerdict(ix, "ingress", b.rep, a.rep, b.ingress),
        ws,
        wd,
      );
      dnsNote(ctx, ws, line.explain);
    }
    return line;
  };
  if (opts.includeDenied) {
    for (const ws of workloads)
      for (const wd of workloads) {
        if (ws === wd || !keep(ws, wd)) continue;
        if (lines.length >= maxLines(ctx)) throw tooLarge(ctx);
        lines.push(pairLine(ws, wd, pairConns.get(`${ws}\u0000${wd}`) ?? emptySet()));
      }
  } else {
    for (const [k, conns] of pairConns) {
      const [ws, wd] = k.split("\u0000");
      lines.push(pairLine(ws, wd, conns)); // kept when the pair was found
    }
  }
  return lines;
}

/**
 * Workloads ↔ the outside: one peer per distinct connection set, named by all its ranges
 * comma-joined in address order (adjacent ones merged), as netpol-analyzer names an
 * IPBlock peer (its ToIPRanges: "0.0.0.0-9.255.255.255,11.0.0.0-255.255.255.255").
 */
function externalLines(ctx: ReachContext, ext: ExtRange[]): ReachLine[] {
  const { ix, opts } = ctx;
  const lines: ReachLine[] = [];
  for (const w of [...ctx.wlClasses.keys()].sort()) {
    if (!inNs(ctx, w)) continue;
    const cls = [...ctx.wlClasses.get(w)!][0];
    for (const dir of ["egress", "ingress"] as const) {
      if (dir === "egress" && !wlSelected(ctx, w, opts.from)) continue;
      if (dir === "ingress" && !wlSelected(ctx, w, opts.to)) continue;
      if (dir === "egress" && opts.to) continue; // selectors name pods; outside has none
      if (dir === "ingress" && opts.from) continue;
      // Ranges grouped by their connections (few groups: compared with equal()).
      const groups: { ranges: [number, number][]; conns: ConnSet; explain: string[] }[] = [];
      for (const e of ext) {
        const v = directionVerdict(ix, dir, cls.rep, e.party, dir === "egress" ? cls.egress : cls.ingress);
        const conns = v.allowed;
        let g = groups.find((x) => equal(x.conns, conns));
        if (!g) groups.push((g = { ranges: [], conns, explain: [] }));
        const last = g.ranges[g.ranges.length - 1];
        if (last && last[1] + 1 === e.first) last[1] = e.last;
        else g.ranges.push([e.first, e.last]);
        if (opts.explain) {
          const x = explainVerdict(v, w);
          if (!g.explain.includes(x)) g.explain.push(x);
        }
      }
      for (const g of groups) {
        if (isEmpty(g.conns) && !opts.includeDenied) continue;
        const name = `${g.ranges.map(([a, b]) => `${intToIp(a)}-${intToIp(b)}`).join(",")}[External]`;
        const text = formatConns(g.conns);
        const line: ReachLine =
          dir === "egress" ? { src: w, dst: name, conns: g.conns, text } : { src: name, dst: w, conns: g.conns, text };
        if (opts.explain) {
          line.explain = [...g.explain];
          if (dir === "egress") dnsNote(ctx, w, line.explain);
        }
        lines.push(line);
      }
    }
  }
  return lines;
}

/**
 * --explain: reach stays L3/L4, but a pair whose source cannot look names up (its DNS
 * egress is denied) gets one note line, since connections by name then fail (see
 * dns-verdict.ts). Per pair, from the source workload's first pod; computed once per workload.
 */
function dnsNote(ctx: ReachContext, w: string, explain: string[]): void {
  const cache = (ctx.dnsNotes ??= new Map());
  if (!cache.has(w)) cache.set(w, dnsEgressNote(ctx.ix, ctx.wlPods.get(w)!));
  const note = cache.get(w);
  if (note) explain.push(note);
}

function explainVerdict(v: DirectionVerdict, who: string): string {
  const base = explainAllow(v, who);
  if (!v.denyHits?.length) return base;
  return `${base}; denied by ${v.denyHits.map((h) => `${h.policy} ${v.direction}Deny rule ${h.rule} (${formatConns(h.conns)})`).join("; ")}`;
}

function explainAllow(v: DirectionVerdict, who: string): string {
  const side = v.direction === "egress" ? `egress of ${who}` : `ingress of ${who}`;
  if (!v.isolated)
    return `${side}: not isolated (no policy selects it for ${v.direction === "egress" ? "Egress" : "Ingress"}): all allowed`;
  if (v.hits.length === 0) return `${side}: isolated by ${v.selecting.join(", ")}; no rule matches the peer: denied`;
  return `${side}: isolated by ${v.selecting.join(", ")}; allowed by ${v.hits.map((h) => `${h.policy} ${v.direction} rule ${h.rule} (${formatConns(h.conns)})`).join("; ")}`;
}

function explainPair(e: DirectionVerdict, i: DirectionVerdict, src: string, dst: string): string[] {
  return [explainVerdict(e, src), explainVerdict(i, dst)];
}

// ---------------------------------------------------------------------------
// Output formats

export type ReachFormat = "txt" | "json" | "csv" | "md" | "dot";

export function renderReach(lines: ReachLine[], format: ReachFormat): string {
  return [...renderReachChunks(lines, format)].join("");
}

/**
 * renderReach's text in pieces (a line or so each), for a writer to pass on: a large answer
 * (millions of lines, or --explain's rules under each) is past V8's longest string as one.
 */
export function* renderReachChunks(lines: ReachLine[], format: ReachFormat): Generator<string> {
  switch (format) {
    case "txt":
      for (const l of lines)
        yield `${l.src} => ${l.dst} : ${l.text}\n` + (l.explain ? l.explain.map((e) => `    ${e}\n`).join("") : "");
      return;
    case "json":
      // JSON.stringify(array, null, 2), written an element at a time.
      if (lines.length === 0) {
        yield "[]\n";
        return;
      }
      for (let i = 0; i < lines.length; i++) {
        const l = lines[i];
        const el = JSON.stringify(
          { src: l.src, dst: l.dst, conn: l.text, ...(l.explain ? { explanation: l.explain } : {}) },
          null,
          2,
        );
        yield (i === 0 ? "[\n  " : ",\n  ") + el.replace(/\n/g, "\n  ");
      }
      yield "\n]\n";
      return;
    case "csv":
      yield "src,dst,conn\n";
      for (const l of lines) yield [l.src, l.dst, l.text].map(csvCell).join(",") + "\n";
      return;
    case "md":
      yield "| src | dst | conn |\n|-----|-----|------|\n";
      for (const l of lines) yield `| ${mdCell(l.src)} | ${mdCell(l.dst)} | ${mdCell(l.text)} |\n`;
      return;
    case "dot": {
      const nodes = new Set<string>();
      for (const l of lines) {
        nodes.add(l.src);
        nodes.add(l.dst);
      }
      const q = (s: string) => JSON.stringify(s);
      yield "digraph {\n";
      for (const n of [...nodes].sort())
        yield `\t${q(n)} [label=${q(n)} color=${n.endsWith("[External]") ? "red2" : "blue"} fontcolor=${n.endsWith("[External]") ? "red2" : "blue"}]\n`;
      for (const l of lines)
        yield `\t${q(l.src)} -> ${q(l.dst)} [label=${q(l.text)} color="gold2" fontcolor="darkgreen"]\n`;
      yield "}\n";
      return;
    }
  }
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
function mdCell(s: string): string {
  return s.replace(/\|/g, "\\|");
}

export interface ReachDiffLine {
  change: "added" | "removed" | "changed";
  src: string;
  dst: string;
  before?: string;
  after?: string;
}

/** What changes between two reach results: connections added, removed or changed. */
export function diffReach(before: ReachLine[], after: ReachLine[]): ReachDiffLine[] {
  const key = (l: ReachLine) => `${l.src}\u0000${l.dst}`;
  const a = new Map(before.map((l) => [key(l), l]));
  const b = new Map(after.map((l) => [key(l), l]));
  const out: ReachDiffLine[] = [];
  for (const [k, l] of b) {
    const o = a.get(k);
    if (!o) out.push({ change: "added", src: l.src, dst: l.dst, after: l.text });
    else if (!equal(o.conns, l.conns))
      out.push({ change: "changed", src: l.src, dst: l.dst, before: o.text, after: l.text });
  }
  for (const [k, l] of a) if (!b.has(k)) out.push({ change: "removed", src: l.src, dst: l.dst, before: l.text });
  out.sort((x, y) => (x.src + x.dst < y.src + y.dst ? -1 : x.src + x.dst > y.src + y.dst ? 1 : 0));
  return out;
}

export function renderDiff(d: ReachDiffLine[]): string {
  if (d.length === 0) return "no changes\n";
  return (
    d
      .map((l) =>
        l.change === "changed"
          ? `changed: ${l.src} => ${l.dst} : ${l.before} -> ${l.after}`
          : l.change === "added"
            ? `added:   ${l.src} => ${l.dst} : ${l.after}`
            : `removed: ${l.src} => ${l.dst} : ${l.before}`,
      )
      .join("\n") + "\n"
  );
}
