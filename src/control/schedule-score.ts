// kube-scheduler's default scoring: each score plugin of the default profile gives every
// feasible node 0–100 (after its NormalizeScore), times the plugin's weight, summed; the
// highest sum wins. Weights (kubernetes/kubernetes pkg/scheduler/apis/config/v1/default_plugins.go):
// TaintToleration 3, NodeAffinity 2, PodTopologySpread 2, InterPodAffinity 2,
// NodeResourcesFit (LeastAllocated) 1, NodeResourcesBalancedAllocation 1, ImageLocality 1.
// ImageLocality is left out: podnet models no image caches, and with no image on any node
// it gives every node 0 (imagelocality/image_locality.go calculatePriority), which changes
// no choice. Plugins whose score is the same on every node (no PreferNoSchedule taint in
// the cluster, no preferred node affinity) are skipped for the same reason.
// Sources: pkg/scheduler/framework/plugins/{noderesources/{least_allocated,balanced_allocation,
// resource_allocation}.go, tainttoleration/taint_toleration.go, nodeaffinity/node_affinity.go,
// podtopologyspread/scoring.go, interpodaffinity/scoring.go, helper/normalize_score.go}.
import { matchSelector, requirementMatches } from "../manifest/selector.js";
import type {
  LabelSelector,
  Labels,
  NodeSelectorTerm,
  PodAffinityTerm,
  PodSpec,
  Toleration,
  WeightedPodAffinityTerm,
} from "../manifest/types.js";
import { type Incoming, type PodRef, podRequests, podRequestsNonZero, selectorWithKeys } from "./schedule-pods.js";
import type { NodeState } from "./state.js";

const MAX_NODE_SCORE = 100;
const W_TAINT = 3;
const W_NODE_AFFINITY = 2;
const W_SPREAD = 2;
const W_INTERPOD = 2;
const W_FIT = 1;
const W_BALANCED = 1;
/** InterPodAffinityArgs.hardPodAffinityWeight's default (apis/config/v1/defaults.go). */
const HARD_POD_AFFINITY_WEIGHT = 1;

export const LABEL_HOSTNAME = "kubernetes.io/hostname";
export const LABEL_ZONE = "topology.kubernetes.io/zone";
export const LABEL_REGION = "topology.kubernetes.io/region";

/**
 * PodTopologySpread's system default constraints (podtopologyspread/plugin.go
 * systemDefaultConstraints), applied as ScheduleAnyway to a pod without constraints of its
 * own that Services, a ReplicaSet, StatefulSet or ReplicationController select.
 */
const SYSTEM_DEFAULT_CONSTRAINTS = [
  { topologyKey: LABEL_HOSTNAME, maxSkew: 3 },
  { topologyKey: LABEL_ZONE, maxSkew: 5 },
];

export function tolerates(
  tols: Toleration[] | undefined,
  taint: { key: string; value?: string; effect: string },
): boolean {
  for (const t of tols ?? []) {
    if (t.effect && t.effect !== taint.effect) continue;
    if (t.operator === "Exists") {
      if (!t.key || t.key === taint.key) return true;
      continue;
    }
    if (t.key === taint.key && (t.value ?? "") === (taint.value ?? "")) return true;
  }
  return false;
}

export function matchTerm(node: NodeState, term: NodeSelectorTerm): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false; // an empty term matches nothing
  for (const e of exprs) if (!requirementMatches(node.labels, e)) return false;
  for (const f of fields) {
    // Only metadata.name is a supported field (the DaemonSet controller uses it).
    if (f.key !== "metadata.name") return false;
    const inVals = (f.values ?? []).includes(node.name);
    if (f.operator === "In" ? !inVals : inVals) return false;
  }
  return true;
}

/** Pods matching one selector, counted per node, kept up to date as pods are bound. */
export interface Group {
  perNode: Map<number, number>;
}

interface GroupDef extends Group {
  /** The namespaces it looks in; null with a namespace selector. */
  namespaces: string[] | null;
  nsSelector?: LabelSelector;
  sel: LabelSelector;
  /** PodTopologySpread skips terminating pods (countPodsMatchSelector, #87621). */
  skipTerminating: boolean;
}

const own = (l: Labels, k: string) => (Object.hasOwn(l, k) ? l[k] : undefined);

/**
 * Counts of pods per selector: what PodTopologySpread and InterPodAffinity would count by
 * walking every pod of every node, kept incrementally (a group is built on first use from an
 * index of pods by namespace and label, then bumped as pods are bound), so that scoring a pod
 * costs the size of its groups rather than the size of the cluster.
 */
export class PodIndex {
  private groups = new Map<string, GroupDef>();
  /** Groups by "ns\0key=value" of their first matchLabels pair ("ns\0" without; ns "*": any). */
  private groupIdx = new Map<string, GroupDef[]>();
  private groupKeys = new Set<string>();
  private nsWide = false;
  /** Pods by "ns\0key=value", for the label keys some group was indexed by. */
  private podIdx = new Map<string, PodRef[]>();
  private podKeys = new Set<string>();

  constructor(
    private pods: PodRef[],
    private nsLabels: (ns: string) => Labels,
  ) {}

  add(p: PodRef): void {
    const ns = p.namespace;
    for (const k of this.podKeys) {
      const v = own(p.labels, k);
      if (v !== undefined) push(this.podIdx, `${ns}\0${k}=${v}`, p);
    }
    if (this.groups.size === 0) return;
    for (const k of this.groupKeys) {
      const v = own(p.labels, k);
      if (v === undefined) continue;
      this.bump(`${ns}\0${k}=${v}`, p);
      this.bump(`*\0${k}=${v}`, p);
    }
    if (this.nsWide) {
      this.bump(`${ns}\0`, p);
      this.bump("*\0", p);
    }
  }

  private bump(key: string, p: PodRef): void {
    const gs = this.groupIdx.get(key);
    if (gs) for (const g of gs) if (this.matches(g, p)) g.perNode.set(p.node, (g.perNode.get(p.node) ?? 0) + 1);
  }

  private matches(g: GroupDef, p: PodRef): boolean {
    if (g.skipTerminating && p.terminating) return false;
    const inNs =
      (g.namespaces !== null && g.namespaces.includes(p.namespace)) ||
      (!!g.nsSelector && matchSelector(g.nsSelector, this.nsLabels(p.namespace)));
    return inNs && matchSelector(g.sel, p.labels);
  }

  /** The pods in `namespaces` (null: a namespace selector decides) that `sel` selects. */
  group(
    sel: LabelSelector,
    namespaces: string[] | null,
    nsSelector: LabelSelector | undefined,
    skipTerminating: boolean,
  ): Group {
    const id = JSON.stringify([sel.matchLabels ?? null, sel.matchExpressions ?? null, namespaces, nsSelector ?? null]);
    const key = `${+skipTerminating}${id}`;
    let g = this.groups.get(key);
    if (g) return g;
    g = { perNode: new Map(), namespaces, sel, skipTerminating, ...(nsSelector ? { nsSelector } : {}) };
    this.groups.set(key, g);
    const pairKey = Object.keys(sel.matchLabels ?? {}).sort()[0];
    const pair = pairKey === undefined ? "" : `${pairKey}=${sel.matchLabels![pairKey]}`;
    if (pairKey === undefined) this.nsWide = true;
    else this.groupKeys.add(pairKey);
    const spaces = namespaces && !nsSelector ? namespaces : ["*"];
    for (const ns of spaces) push(this.groupIdx, `${ns}\0${pair}`, g);
    // The pods already bound.
    let candidates: Iterable<PodRef> = this.pods;
    if (pairKey !== undefined && spaces[0] !== "*") {
      if (!this.podKeys.has(pairKey)) {
        this.podKeys.add(pairKey);
        for (const p of this.pods) {
          const v = own(p.labels, pairKey);
          if (v !== undefined) push(this.podIdx, `${p.namespace}\0${pairKey}=${v}`, p);
        }
      }
      candidates = spaces.flatMap((ns) => this.podIdx.get(`${ns}\0${pair}`) ?? []);
    }
    for (const p of candidates) if (this.matches(g, p)) g.perNode.set(p.node, (g.perNode.get(p.node) ?? 0) + 1);
    return g;
  }

  /** An affinity term's pods as InterPodAffinity's AffinityTerm.Matches sees them. */
  termGroup(term: PodAffinityTerm, podNs: string): Group | null {
    // A term without a labelSelector selects no pod (LabelSelectorAsSelector(nil) = Nothing).
    if (!term?.labelSelector) return null;
    const list = term.namespaces ?? [];
    const nsSel = term.namespaceSelector;
    return this.group(term.labelSelector, nsSel ? list : list.length ? list : [podNs], nsSel, false);
  }
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const a = m.get(k);
  if (a) a.push(v);
  else m.set(k, [v]);
}

/** A topology key's domains: an id per node (missing label: the id of ""), and who has it. */
export interface Domains {
  ids: Int32Array;
  has: Uint8Array;
  size: number;
}

export function domainsOf(nodes: NodeState[], key: string): Domains {
  const ids = new Int32Array(nodes.length);
  const has = new Uint8Array(nodes.length);
  const byValue = new Map<string, number>();
  for (let i = 0; i < nodes.length; i++) {
    const l = nodes[i].labels;
    const v = own(l, key);
    has[i] = v === undefined ? 0 : 1;
    const s = v ?? "";
    let id = byValue.get(s);
    if (id === undefined) byValue.set(s, (id = byValue.size));
    ids[i] = id;
  }
  return { ids, has, size: byValue.size };
}

/** What the scorers read of the scheduler's state. */
export interface ScoreView {
  nodes: NodeState[];
  allocCpu: Float64Array;
  allocMem: Float64Array;
  /** Requested by the bound pods, as requested and with the non-zero defaults. */
  cpu: Float64Array;
  mem: Float64Array;
  cpuNZ: Float64Array;
  memNZ: Float64Array;
  index: PodIndex;
  /** Bound pods with affinity terms that score (required affinity, preferred either way). */
  affinityPods: Map<PodSpec, Map<string, Map<number, number>>>;
  nsLabels: (ns: string) => Labels;
  anyPreferNoSchedule: boolean;
  domains(key: string): Domains;
  /** Per node: whether the pod's nodeSelector and required node affinity admit it. */
  affinityOk(spec: PodSpec): Uint8Array;
  /** Scratch, one slot per node, all zero between uses. */
  scratch: Int32Array;
}

/**
 * The node kube-scheduler's default profile would pick among `feas[0..F)` (F ≥ 2), given in
 * the order the nodes were examined. kube-scheduler breaks ties at random (schedule_one.go
 * selectHost, reservoir sampling); podnet takes the first of the tied in that order, so the
 * same inputs always give the same placement.
 */
export function selectHost(v: ScoreView, feas: Int32Array, F: number, pod: Incoming, defaultSel: LabelSelector | null) {
  const total = new Float64Array(F);
  const spec = pod.spec;
  if (v.anyPreferNoSchedule) taintScores(v, feas, F, spec, total);
  nodeAffinityScores(v, feas, F, spec, total);
  resourceScores(v, feas, F, spec, total);
  spreadScores(v, feas, F, pod, defaultSel, total);
  interPodScores(v, feas, F, pod, total);
  let best = 0;
  for (let f = 1; f < F; f++) if (total[f] > total[best]) best = f;
  return feas[best];
}

/** helper.DefaultNormalizeScore: scale to 0..100 by the maximum; `reverse` flips it. */
function defaultNormalize(raw: Float64Array, F: number, reverse: boolean, weight: number, total: Float64Array): void {
  let max = 0;
  for (let f = 0; f < F; f++) if (raw[f] > max) max = raw[f];
  if (max === 0) {
    if (reverse) for (let f = 0; f < F; f++) total[f] += weight * MAX_NODE_SCORE;
    return;
  }
  for (let f = 0; f < F; f++) {
    const s = Math.floor((MAX_NODE_SCORE * raw[f]) / max);
    total[f] += weight * (reverse ? MAX_NODE_SCORE - s : s);
  }
}

/** TaintToleration: PreferNoSchedule taints the pod does not tolerate, fewer is better. */
function taintScores(v: ScoreView, feas: Int32Array, F: number, spec: PodSpec, total: Float64Array): void {
  const tols = (spec.tolerations ?? []).filter((t) => !t?.effect || t.effect === "PreferNoSchedule");
  const raw = new Float64Array(F);
  for (let f = 0; f < F; f++)
    for (const t of v.nodes[feas[f]].taints) if (t.effect === "PreferNoSchedule" && !tolerates(tols, t)) raw[f]++;
  defaultNormalize(raw, F, true, W_TAINT, total);
}

/** NodeAffinity: the weights of the preferred terms a node matches. */
function nodeAffinityScores(v: ScoreView, feas: Int32Array, F: number, spec: PodSpec, total: Float64Array): void {
  const terms = (spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).filter(
    (t) => t?.weight && t.preference,
  );
  if (terms.length === 0) return; // PreScore: Skip
  const raw = new Float64Array(F);
  for (let f = 0; f < F; f++) for (const t of terms) if (matchTerm(v.nodes[feas[f]], t.preference)) raw[f] += t.weight;
  defaultNormalize(raw, F, false, W_NODE_AFFINITY, total);
}

/**
 * NodeResourcesFit's LeastAllocated (cpu and memory, weight 1 each, with the non-zero
 * defaults for containers without requests) and NodeResourcesBalancedAllocation (what is
 * requested; 1 − the standard deviation of the two fractions; best-effort pods skip it,
 * kubernetes/kubernetes#129138).
 */
function resourceScores(v: ScoreView, feas: Int32Array, F: number, spec: PodSpec, total: Float64Array): void {
  const nz = podRequestsNonZero(spec);
  const req = podRequests(spec);
  const balanced = req.cpu !== 0 || req.memory !== 0;
  const { allocCpu, allocMem, cpuNZ, memNZ, cpu, mem } = v;
  for (let f = 0; f < F; f++) {
    const i = feas[f];
    const ac = allocCpu[i];
    const am = allocMem[i];
    let sum = 0;
    let ws = 0;
    if (ac > 0) {
      sum += leastRequested(cpuNZ[i] + nz.cpu, ac);
      ws++;
    }
    if (am > 0) {
      sum += leastRequested(memNZ[i] + nz.memory, am);
      ws++;
    }
    if (ws) total[f] += W_FIT * Math.floor(sum / ws);
    if (!balanced) continue;
    let std = 0;
    if (ac > 0 && am > 0) {
      const fc = Math.min(1, (cpu[i] + req.cpu) / ac);
      const fm = Math.min(1, (mem[i] + req.memory) / am);
      std = Math.abs((fc - fm) / 2);
    }
    total[f] += W_BALANCED * Math.trunc((1 - std) * MAX_NODE_SCORE);
  }
}

function leastRequested(requested: number, capacity: number): number {
  if (requested > capacity) return 0;
  return Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

interface SoftConstraint {
  key: string;
  maxSkew: number;
  group: Group | null;
  honorAffinity: boolean;
  honorTaints: boolean;
}

/**
 * PodTopologySpread's score: per ScheduleAnyway constraint (the pod's own, or the system
 * defaults with the selector of the Services and controller that select it), the matching
 * pods in the node's domain × log(domains + 2) + maxSkew − 1, rounded; fewer is better,
 * normalized as MaxNodeScore·(max + min − s)/max. Domains and counts are those of the
 * feasible nodes' topology values; the counts look at every node the pod's node affinity
 * admits (nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore by default).
 */
function spreadScores(
  v: ScoreView,
  feas: Int32Array,
  F: number,
  pod: Incoming,
  defaultSel: LabelSelector | null,
  total: Float64Array,
): void {
  const ownCons = pod.spec.topologySpreadConstraints ?? [];
  const cons: SoftConstraint[] = [];
  const group = (sel: LabelSelector | undefined) =>
    // An empty selector counts nothing (countPodsMatchSelector: selector.Empty()).
    sel && (Object.keys(sel.matchLabels ?? {}).length || sel.matchExpressions?.length)
      ? v.index.group(sel, [pod.namespace], undefined, true)
      : null;
  if (ownCons.length > 0) {
    for (const c of ownCons)
      if (c?.whenUnsatisfiable === "ScheduleAnyway")
        cons.push({
          key: c.topologyKey,
          maxSkew: c.maxSkew,
          group: c.labelSelector ? group(selectorWithKeys(c, pod.labels)) : null,
          honorAffinity: c.nodeAffinityPolicy !== "Ignore",
          honorTaints: c.nodeTaintsPolicy === "Honor",
        });
  } else if (defaultSel) {
    const g = group(defaultSel);
    if (g)
      for (const c of SYSTEM_DEFAULT_CONSTRAINTS)
        cons.push({ key: c.topologyKey, maxSkew: c.maxSkew, group: g, honorAffinity: true, honorTaints: false });
  }
  if (cons.length === 0) return; // PreScore: Skip
  // Only the pod's own constraints need every key on a node (requireAllTopologies).
  const requireAll = ownCons.length > 0;
  const doms = cons.map((c) => v.domains(c.key));
  const hasAll = (i: number) => doms.every((d) => d.has[i] === 1);
  const ignored = new Uint8Array(F);
  let nIgnored = 0;
  if (requireAll)
    for (let f = 0; f < F; f++)
      if (!hasAll(feas[f])) {
        ignored[f] = 1;
        nIgnored++;
      }
  const affOk = v.affinityOk(pod.spec);
  const perCons = cons.map((c, ci) => {
    const d = doms[ci];
    if (c.key === LABEL_HOSTNAME) return { weight: Math.log(F - nIgnored + 2), counts: null };
    const present = new Uint8Array(d.size);
    let size = 0;
    for (let f = 0; f < F; f++)
      if (!ignored[f] && !present[d.ids[feas[f]]]) {
        present[d.ids[feas[f]]] = 1;
        size++;
      }
    const counts = new Float64Array(d.size);
    if (c.group)
      for (const [n, k] of c.group.perNode) {
        if (!present[d.ids[n]] || (requireAll && !hasAll(n)) || (c.honorAffinity && !affOk[n])) continue;
        if (c.honorTaints && untoleratedNoSchedule(v.nodes[n], pod.spec.tolerations)) continue;
        counts[d.ids[n]] += k;
      }
    return { weight: Math.log(size + 2), counts };
  });
  const raw = new Float64Array(F);
  for (let ci = 0; ci < cons.length; ci++) {
    const c = cons[ci];
    const d = doms[ci];
    const { weight, counts } = perCons[ci];
    const sc = v.scratch;
    if (!counts && c.group) for (const [n, k] of c.group.perNode) sc[n] = k;
    for (let f = 0; f < F; f++) {
      const i = feas[f];
      if (ignored[f] || !d.has[i]) continue;
      const cnt = counts ? counts[d.ids[i]] : sc[i];
      raw[f] += cnt * weight + (c.maxSkew - 1);
    }
    if (!counts && c.group) for (const n of c.group.perNode.keys()) sc[n] = 0;
  }
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (let f = 0; f < F; f++) {
    if (ignored[f]) continue;
    const s = Math.round(raw[f]);
    raw[f] = s;
    if (s < min) min = s;
    if (s > max) max = s;
  }
  for (let f = 0; f < F; f++) {
    if (ignored[f]) continue;
    total[f] += W_SPREAD * (max === 0 ? MAX_NODE_SCORE : Math.floor((MAX_NODE_SCORE * (max + min - raw[f])) / max));
  }
}

function untoleratedNoSchedule(node: NodeState, tols: Toleration[] | undefined): boolean {
  for (const t of node.taints)
    if ((t.effect === "NoSchedule" || t.effect === "NoExecute") && !tolerates(tols, t)) return true;
  return false;
}

const preferred = (ts: WeightedPodAffinityTerm[] | undefined) => (ts ?? []).filter((t) => t?.podAffinityTerm);

/**
 * InterPodAffinity's score: per topology value, + weight for each pod a preferred affinity
 * term of the pod selects there, − weight per preferred anti-affinity match; likewise the
 * bound pods' preferred terms (and their required affinity terms, hardPodAffinityWeight 1)
 * that select this pod. Normalized linearly from the minimum (0) to the maximum (100).
 */
function interPodScores(v: ScoreView, feas: Int32Array, F: number, pod: Incoming, total: Float64Array): void {
  const aff = preferred(pod.spec.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
  const anti = preferred(pod.spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
  if (aff.length === 0 && anti.length === 0 && v.affinityPods.size === 0) return;
  const topo = new Map<string, Map<string, number>>();
  const add = (key: string, node: number, w: number) => {
    const val = own(v.nodes[node].labels, key);
    if (val === undefined) return;
    let m = topo.get(key);
    if (!m) topo.set(key, (m = new Map()));
    m.set(val, (m.get(val) ?? 0) + w);
  };
  const incoming = (ts: WeightedPodAffinityTerm[], sign: number) => {
    for (const t of ts) {
      const g = v.index.termGroup(t.podAffinityTerm, pod.namespace);
      if (g) for (const [n, k] of g.perNode) add(t.podAffinityTerm.topologyKey, n, sign * t.weight * k);
    }
  };
  incoming(aff, 1);
  incoming(anti, -1);
  for (const [spec, byNs] of v.affinityPods) {
    const terms: [PodAffinityTerm, number][] = [];
    for (const t of spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [])
      if (t) terms.push([t, HARD_POD_AFFINITY_WEIGHT]);
    for (const t of preferred(spec.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution))
      terms.push([t.podAffinityTerm, t.weight]);
    for (const t of preferred(spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution))
      terms.push([t.podAffinityTerm, -t.weight]);
    for (const [ns, perNode] of byNs)
      for (const [t, w] of terms)
        if (termSelects(t, ns, pod, v.nsLabels)) for (const [n, k] of perNode) add(t.topologyKey, n, w * k);
  }
  if (topo.size === 0) return;
  const raw = new Float64Array(F);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let f = 0; f < F; f++) {
    const l = v.nodes[feas[f]].labels;
    let s = 0;
    for (const [key, m] of topo) {
      const val = own(l, key);
      if (val !== undefined) s += m.get(val) ?? 0;
    }
    raw[f] = s;
    if (s < min) min = s;
    if (s > max) max = s;
  }
  const diff = max - min;
  if (diff > 0)
    for (let f = 0; f < F; f++) total[f] += W_INTERPOD * Math.trunc(MAX_NODE_SCORE * ((raw[f] - min) / diff));
}

/** Whether a bound pod's term (in namespace `termNs`) selects the incoming pod. */
function termSelects(t: PodAffinityTerm, termNs: string, pod: Incoming, nsLabels: (ns: string) => Labels): boolean {
  const list = t.namespaces ?? [];
  const sel = t.namespaceSelector;
  const inNs =
    list.length === 0 && !sel
      ? pod.namespace === termNs
      : list.includes(pod.namespace) || (!!sel && matchSelector(sel, nsLabels(pod.namespace)));
  return inNs && !!t.labelSelector && matchSelector(t.labelSelector, pod.labels);
}

/** Whether a pod's spec carries affinity terms that InterPodAffinity scores for others. */
export function scoresOthers(spec: PodSpec): boolean {
  const a = spec.affinity;
  return (
    !!a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ||
    !!a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ||
    !!a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length
  );
}
