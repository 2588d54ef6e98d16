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
import { matchSelector } from "../manifest/selector.js";
import type { LabelSelector, Labels, PodAffinityTerm, PodSpec, WeightedPodAffinityTerm } from "../manifest/types.js";
import { type Incoming, podRequests, podRequestsNonZero } from "./schedule-pods.js";
import { tolerates, matchTerm, own, type ScoreView } from "./schedule-view.js";
import { spreadRaw } from "./schedule-spread.js";

const MAX_NODE_SCORE = 100;
const W_TAINT = 3;
const W_NODE_AFFINITY = 2;
const W_SPREAD = 2;
const W_INTERPOD = 2;
const W_FIT = 1;
const W_BALANCED = 1;
/** InterPodAffinityArgs.hardPodAffinityWeight's default (apis/config/v1/defaults.go). */
const HARD_POD_AFFINITY_WEIGHT = 1;

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
  // No node left to normalize over (every feasible node lacks a key of the pod's own
  // constraints: all ignored, each scores 0, scoring.go NormalizeScore): no table.
  const norm = spread && spread.min <= spread.max ? spreadTable(spread.min, spread.max) : null;
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
    if (norm !== null && !(skipIgnored && ignored[f] === 1)) score += norm[raw[f] - sMin];
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
