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
  /** Groups by selector object (replicas share their selectors), then by the rest of the key. */
  private byObject = new WeakMap<LabelSelector, Map<string, GroupDef>>();

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
    const nsKey = `${+skipTerminating}${namespaces?.join(",")}${nsSelector ? JSON.stringify(nsSelector) : ""}`;
    let seen = this.byObject.get(sel);
    if (!seen) this.byObject.set(sel, (seen = new Map()));
    let g = seen.get(nsKey);
    if (g) return g;
    const key = nsKey + JSON.stringify([sel.matchLabels ?? null, sel.matchExpressions ?? null]);
    g = this.groups.get(key);
    if (g) {
      seen.set(nsKey, g);
      return g;
    }
    g = { perNode: new Map(), namespaces, sel, skipTerminating, ...(nsSelector ? { nsSelector } : {}) };
    this.groups.set(key, g);
    seen.set(nsKey, g);
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
  /** Scratch per domain, all zero between uses. */
  present: Uint8Array;
  counts: Float64Array;
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
  const size = byValue.size;
  return { ids, has, size, present: new Uint8Array(size), counts: new Float64Array(size) };
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
  /** Scratch, one slot per node: `scratch` all zero between uses, the others overwritten. */
  scratch: Float64Array;
  total: Float64Array;
  raw: Float64Array;
  ignored: Uint8Array;
  /** The pod's TaintToleration and NodeAffinity verdict per node (set by the caller). */
  staticOk: Uint8Array;
  /** Resource scores per node and the request they were computed for (NaN: stale). */
  cache: ResourceCache;
}

export interface ResourceCache {
  laVal: Float64Array;
  laCpu: Float64Array;
  laMem: Float64Array;
  baVal: Float64Array;
  baCpu: Float64Array;
  baMem: Float64Array;
}

export function resourceCache(n: number): ResourceCache {
  const stale = () => new Float64Array(n).fill(Number.NaN);
  return {
    laVal: new Float64Array(n),
    laCpu: stale(),
    laMem: stale(),
    baVal: new Float64Array(n),
    baCpu: stale(),
    baMem: stale(),
  };
}

/**
 * The node kube-scheduler's default profile would pick among `feas[0..F)` (F ≥ 2), given in
 * the order the nodes were examined. kube-scheduler breaks ties at random (schedule_one.go
 * selectHost, reservoir sampling); podnet takes the first of the tied in that order, so the
 * same inputs always give the same placement.
 */
export function selectHost(v: ScoreView, feas: Int32Array, F: number, pod: Incoming, defaultSel: LabelSelector | null) {
  const total = v.total;
  total.fill(0, 0, F);
  const spec = pod.spec;
  if (v.anyPreferNoSchedule) taintScores(v, feas, F, spec, total);
  nodeAffinityScores(v, feas, F, spec, total);
  interPodScores(v, feas, F, pod, total);
  const spread = spreadRaw(v, feas, F, pod, defaultSel);
  // The resource scores and PodTopologySpread's normalization, in one pass with the choice.
  const nz = podRequestsNonZero(spec);
  const req = podRequests(spec);
  const balanced = req.cpu !== 0 || req.memory !== 0;
  const { allocCpu, allocMem, cpuNZ, memNZ, cpu, mem, raw, ignored } = v;
  const { laVal, laCpu, laMem, baVal, baCpu, baMem } = v.cache;
  const skipIgnored = spread !== null && spread.requireAll;
  // PodTopologySpread's normalization by rounded sum: 100·(max + min − s)/max.
  const norm = spread ? spreadTable(spread.min, spread.max) : null;
  const sMin = spread ? spread.min : 0;
  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let f = 0; f < F; f++) {
    const i = feas[f];
    let score = total[f];
    // The resource scores change only when the node takes a pod (account resets the keys)
    // or the request differs: cached per node with the request they were computed for.
    if (laCpu[i] !== nz.cpu || laMem[i] !== nz.memory) {
      laVal[i] = leastAllocated(cpuNZ[i] + nz.cpu, memNZ[i] + nz.memory, allocCpu[i], allocMem[i]);
      laCpu[i] = nz.cpu;
      laMem[i] = nz.memory;
    }
    score += W_FIT * laVal[i];
    if (balanced) {
      if (baCpu[i] !== req.cpu || baMem[i] !== req.memory) {
        baVal[i] = balancedAllocation(cpu[i] + req.cpu, mem[i] + req.memory, allocCpu[i], allocMem[i]);
        baCpu[i] = req.cpu;
        baMem[i] = req.memory;
      }
      score += W_BALANCED * baVal[i];
    }
    if (spread !== null && !(skipIgnored && ignored[f] === 1)) score += norm![raw[f] - sMin];
    if (score > bestScore) {
      bestScore = score;
      best = f;
    }
  }
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
  const raw = v.raw.fill(0, 0, F);
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
  const raw = v.raw.fill(0, 0, F);
  for (let f = 0; f < F; f++) for (const t of terms) if (matchTerm(v.nodes[feas[f]], t.preference)) raw[f] += t.weight;
  defaultNormalize(raw, F, false, W_NODE_AFFINITY, total);
}

/*
 * The resource scores (in selectHost's last pass): NodeResourcesFit's LeastAllocated (cpu
 * and memory, weight 1 each, with the non-zero defaults for containers without requests:
 * ⌊(allocatable − requested)·100/allocatable⌋, their ⌊mean⌋) and
 * NodeResourcesBalancedAllocation (what is requested; (1 − the standard deviation of the
 * two fractions)·100; best-effort pods skip it, kubernetes/kubernetes#129138).
 */
function spreadTable(min: number, max: number): Float64Array {
  const t = new Float64Array(max - min + 1);
  for (let s = min; s <= max; s++)
    t[s - min] = W_SPREAD * (max === 0 ? MAX_NODE_SCORE : Math.floor((MAX_NODE_SCORE * (max + min - s)) / max));
  return t;
}

function leastAllocated(reqCpu: number, reqMem: number, allocCpu: number, allocMem: number): number {
  let sum = 0;
  let ws = 0;
  if (allocCpu > 0) {
    sum += leastRequested(reqCpu, allocCpu);
    ws++;
  }
  if (allocMem > 0) {
    sum += leastRequested(reqMem, allocMem);
    ws++;
  }
  return ws ? Math.floor(sum / ws) : 0;
}

function balancedAllocation(reqCpu: number, reqMem: number, allocCpu: number, allocMem: number): number {
  let std = 0;
  if (allocCpu > 0 && allocMem > 0) {
    const fc = Math.min(1, reqCpu / allocCpu);
    const fm = Math.min(1, reqMem / allocMem);
    std = Math.abs((fc - fm) / 2);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
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
 * pods in the node's domain × log(domains + 2) + maxSkew − 1, summed and rounded; fewer is
 * better, normalized as MaxNodeScore·(max + min − s)/max (in selectHost). Domains are the
 * feasible nodes' topology values; the counts look at every node the pod's node affinity
 * admits (nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore by default). Leaves the rounded
 * sums in v.raw (and v.ignored for nodes lacking a key of the pod's own constraints).
 */
function spreadRaw(
  v: ScoreView,
  feas: Int32Array,
  F: number,
  pod: Incoming,
  defaultSel: LabelSelector | null,
): { min: number; max: number; requireAll: boolean } | null {
  const ownCons = pod.spec.topologySpreadConstraints ?? [];
  const cons = ownCons.length > 0 ? softConstraints(v, pod) : defaultConstraints(v, pod, defaultSel);
  if (cons.length === 0) return null; // PreScore: Skip
  // Only the pod's own constraints need every key on a node (requireAllTopologies).
  const requireAll = ownCons.length > 0;
  const doms = cons.map((c) => v.domains(c.key));
  const hasAll = (i: number) => {
    for (const d of doms) if (d.has[i] === 0) return false;
    return true;
  };
  const ignored = v.ignored;
  let nIgnored = 0;
  if (requireAll)
    for (let f = 0; f < F; f++) {
      const ig = hasAll(feas[f]) ? 0 : 1;
      ignored[f] = ig;
      nIgnored += ig;
    }
  // Per constraint: the value a node adds is val[ids[i]] (domains, maxSkew − 1 included) or
  // val[i] + skew (hostname: per-node counts × weight, Score's countPodsMatchSelector).
  const n = cons.length;
  const cIds: (Int32Array | null)[] = [];
  const cVal: Float64Array[] = [];
  const cSkew: number[] = [];
  const hostW = Math.log(F - nIgnored + 2);
  let hostScratchUsed = false;
  for (let ci = 0; ci < n; ci++) {
    const c = cons[ci];
    const g = c.group;
    const skew = c.maxSkew - 1;
    cSkew.push(skew);
    if (c.key === LABEL_HOSTNAME) {
      const sc = hostScratchUsed ? new Float64Array(v.nodes.length) : v.scratch;
      hostScratchUsed = true;
      g?.perNode.forEach((k, node) => {
        sc[node] = k * hostW;
      });
      cIds.push(null);
      cVal.push(sc);
      continue;
    }
    // Two constraints on one key need their own scratch.
    if (doms.indexOf(doms[ci]) !== ci) {
      const d = doms[ci];
      doms[ci] = { ...d, present: new Uint8Array(d.size), counts: new Float64Array(d.size) };
    }
    const { ids, present, counts } = doms[ci];
    // Stop once every domain the pod's static filters allow is seen (zones: a few nodes).
    const most = reachableDomains(v, doms[ci]);
    let size = 0;
    for (let f = 0; f < F && size < most; f++) {
      if (requireAll && ignored[f] === 1) continue;
      const id = ids[feas[f]];
      if (present[id] === 0) {
        present[id] = 1;
        size++;
      }
    }
    const w = Math.log(size + 2);
    const affOk = v.affinityOk(pod.spec);
    g?.perNode.forEach((k, node) => {
      if (present[ids[node]] === 0 || (requireAll && !hasAll(node)) || (c.honorAffinity && affOk[node] === 0)) return;
      if (c.honorTaints && untoleratedNoSchedule(v.nodes[node], pod.spec.tolerations)) return;
      counts[ids[node]] += k;
    });
    for (let id = 0; id < counts.length; id++) if (present[id] === 1) counts[id] = counts[id] * w + skew;
    cIds.push(ids);
    cVal.push(counts);
  }
  const raw = v.raw;
  const cHas = doms.map((d) => d.has);
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  if (n === 2 && !requireAll && cIds[0] === null && cIds[1] !== null) {
    // The system defaults (hostname, then zone), unrolled: the same sums in the same order.
    const hHas = cHas[0];
    const hVal = cVal[0];
    const hSkew = cSkew[0];
    const zHas = cHas[1];
    const zIds = cIds[1]!;
    const zVal = cVal[1];
    for (let f = 0; f < F; f++) {
      const i = feas[f];
      let s = 0;
      if (hHas[i] === 1) s += hVal[i] + hSkew;
      if (zHas[i] === 1) s += zVal[zIds[i]];
      s = Math.round(s);
      raw[f] = s;
      if (s < min) min = s;
      if (s > max) max = s;
    }
  } else
    for (let f = 0; f < F; f++) {
      if (requireAll && ignored[f] === 1) continue;
      const i = feas[f];
      let s = 0;
      for (let ci = 0; ci < n; ci++) {
        if (cHas[ci][i] === 0) continue;
        const ids = cIds[ci];
        s += ids === null ? cVal[ci][i] + cSkew[ci] : cVal[ci][ids[i]];
      }
      s = Math.round(s);
      raw[f] = s;
      if (s < min) min = s;
      if (s > max) max = s;
    }
  // Leave the scratch as found.
  for (let ci = 0; ci < n; ci++) {
    if (cIds[ci] === null) {
      const sc = cVal[ci];
      cons[ci].group?.perNode.forEach((_k, node) => {
        sc[node] = 0;
      });
    } else {
      doms[ci].present.fill(0);
      doms[ci].counts.fill(0);
    }
  }
  return { min, max, requireAll };
}

/** The pod's own ScheduleAnyway constraints (filterTopologySpreadConstraints). */
function softConstraints(v: ScoreView, pod: Incoming): SoftConstraint[] {
  const out: SoftConstraint[] = [];
  for (const c of pod.spec.topologySpreadConstraints ?? [])
    if (c?.whenUnsatisfiable === "ScheduleAnyway")
      out.push({
        key: c.topologyKey,
        maxSkew: c.maxSkew,
        group: c.labelSelector ? spreadGroup(v, pod, selectorWithKeys(c, pod.labels)) : null,
        honorAffinity: c.nodeAffinityPolicy !== "Ignore",
        honorTaints: c.nodeTaintsPolicy === "Honor",
      });
  return out;
}

const defaultsCache = new WeakMap<Group, SoftConstraint[]>();

/** The system defaults with the Services' and controller's selector (buildDefaultConstraints). */
function defaultConstraints(v: ScoreView, pod: Incoming, sel: LabelSelector | null): SoftConstraint[] {
  const g = sel && spreadGroup(v, pod, sel);
  if (!g) return [];
  let out = defaultsCache.get(g);
  if (!out) {
    out = SYSTEM_DEFAULT_CONSTRAINTS.map((c) => ({
      key: c.topologyKey,
      maxSkew: c.maxSkew,
      group: g,
      honorAffinity: true,
      honorTaints: false,
    }));
    defaultsCache.set(g, out);
  }
  return out;
}

/** The pods of the pod's namespace a spread selector counts; an empty selector counts none. */
function spreadGroup(v: ScoreView, pod: Incoming, sel: LabelSelector): Group | null {
  if (!(Object.keys(sel.matchLabels ?? {}).length || sel.matchExpressions?.length)) return null;
  return v.index.group(sel, [pod.namespace], undefined, true);
}

const reachable = new WeakMap<Uint8Array, Map<Domains, number>>();

/** How many of a key's domains hold a node that passes the pod's static filters. */
function reachableDomains(v: ScoreView, d: Domains): number {
  let m = reachable.get(v.staticOk);
  if (!m) reachable.set(v.staticOk, (m = new Map()));
  let k = m.get(d);
  if (k === undefined) {
    const seen = new Set<number>();
    for (let i = 0; i < d.ids.length; i++) if (v.staticOk[i] === 1) seen.add(d.ids[i]);
    m.set(d, (k = seen.size));
  }
  return k;
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
      const key = t.podAffinityTerm.topologyKey;
      g?.perNode.forEach((k, n) => add(key, n, sign * t.weight * k));
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
        if (termSelects(t, ns, pod, v.nsLabels)) perNode.forEach((k, n) => add(t.topologyKey, n, w * k));
  }
  if (topo.size === 0) return;
  const raw = v.raw;
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
