// kube-scheduler's filters that look at the other pods and at resources: NodeResourcesFit
// (requests against allocatable), PodTopologySpread (DoNotSchedule constraints) and
// InterPodAffinity (required affinity and anti-affinity, the incoming pod's and the existing
// pods'), with their FitError reasons. Sources: kubernetes/kubernetes
// pkg/scheduler/framework/plugins/{noderesources/fit.go, podtopologyspread/filtering.go,
// interpodaffinity/filtering.go}; the default plugin order in apis/config/v1/default_plugins.go.
import { matchSelector } from "../manifest/selector.js";
import { byteValue, milliCPU } from "../manifest/quantity.js";
import type { Labels, PodAffinityTerm, PodSpec, ResourceList, TopologySpreadConstraint } from "../manifest/types.js";
import type { NodeState } from "./state.js";

export const REASON_CPU = "Insufficient cpu";
export const REASON_MEMORY = "Insufficient memory";
export const REASON_SPREAD = "node(s) didn't match pod topology spread constraints";
export const REASON_SPREAD_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)";
export const REASON_POD_AFFINITY = "node(s) didn't match pod affinity rules";
export const REASON_POD_ANTI = "node(s) didn't match pod anti-affinity rules";
export const REASON_EXISTING_ANTI = "node(s) didn't satisfy existing pods anti-affinity rules";

/** Reasons preemption cannot help with (UnschedulableAndUnresolvable). */
export const UNRESOLVABLE = new Set([REASON_POD_AFFINITY, REASON_SPREAD_LABEL]);

/** A pod as these filters see it. */
export interface PodRef {
  namespace: string;
  labels: Labels;
  spec: PodSpec;
  node: number;
  /** Being deleted (metadata.deletionTimestamp): topology spread does not count it. */
  terminating?: boolean;
}

const ZERO = { cpu: 0, memory: 0 };
// What the scorers count for a container that requests nothing (scheduler util
// pkg/scheduler/util/pod_resources.go DefaultMilliCPURequest, DefaultMemoryRequest).
const DEFAULT_MILLI_CPU = 100;
const DEFAULT_MEMORY = 200 * 1024 * 1024;

type Req = { cpu: number; memory: number };

function listRequests(r: { requests?: ResourceList; limits?: ResourceList } | undefined, nonZero: boolean): Req {
  // The API server defaults a missing request to its limit (core/v1 defaults.go).
  const cpu = r?.requests?.cpu ?? r?.limits?.cpu;
  const mem = r?.requests?.memory ?? r?.limits?.memory;
  return {
    cpu: cpu === undefined ? (nonZero ? DEFAULT_MILLI_CPU : 0) : (milliCPU(cpu) ?? 0),
    memory: mem === undefined ? (nonZero ? DEFAULT_MEMORY : 0) : (byteValue(mem) ?? 0),
  };
}

const requestCache = new WeakMap<PodSpec, Req>();
const nonZeroCache = new WeakMap<PodSpec, Req>();

/**
 * A pod's effective request (component-helpers resource/helpers.go PodRequests and
 * AggregateContainerRequests): the containers' sum, or the largest init container's (plus
 * the restartable sidecars started before it) when larger, restartable sidecars counting
 * with the containers; plus the pod overhead.
 */
export function podRequests(spec: PodSpec): Req {
  let r = requestCache.get(spec);
  if (!r) requestCache.set(spec, (r = aggregate(spec, false)));
  return r;
}

/**
 * The same with 100m CPU and 200Mi memory for each container that requests none
 * (NonMissingContainerRequests): what NodeResourcesFit's LeastAllocated score counts,
 * for the pod and for the pods on a node (framework/types.go calculateResource, non0Requests).
 */
export function podRequestsNonZero(spec: PodSpec): Req {
  let r = nonZeroCache.get(spec);
  if (!r) nonZeroCache.set(spec, (r = aggregate(spec, true)));
  return r;
}

function aggregate(spec: PodSpec, nonZero: boolean): Req {
  let cpu = 0;
  let memory = 0;
  for (const c of spec.containers ?? []) {
    const q = listRequests(c?.resources, nonZero);
    cpu += q.cpu;
    memory += q.memory;
  }
  let sideCpu = 0;
  let sideMem = 0;
  let icpu = 0;
  let imem = 0;
  for (const c of spec.initContainers ?? []) {
    const q = listRequests(c?.resources, nonZero);
    let qc = q.cpu;
    let qm = q.memory;
    if ((c as { restartPolicy?: string })?.restartPolicy === "Always") {
      cpu += q.cpu;
      memory += q.memory;
      sideCpu += q.cpu;
      sideMem += q.memory;
      qc = sideCpu;
      qm = sideMem;
    } else {
      qc += sideCpu;
      qm += sideMem;
    }
    icpu = Math.max(icpu, qc);
    imem = Math.max(imem, qm);
  }
  const o = listRequests({ requests: spec.overhead }, false);
  cpu = Math.max(cpu, icpu) + o.cpu;
  memory = Math.max(memory, imem) + o.memory;
  return cpu || memory ? { cpu, memory } : ZERO;
}

/** NodeResourcesFit's reasons for a node with `used` requested already. */
export function resourceReasons(
  node: NodeState,
  used: { cpu: number; memory: number },
  req: { cpu: number; memory: number },
): string[] {
  const out: string[] = [];
  const alloc = node.allocatable;
  if (!alloc) return out;
  if (req.cpu > 0 && req.cpu > alloc.cpu - used.cpu) out.push(REASON_CPU);
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) out.push(REASON_MEMORY);
  return out;
}

/** Whether the pod needs the slow path: its placement depends on other pods. */
export function hasPodConstraints(spec: PodSpec): boolean {
  return (
    !!spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ||
    !!spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ||
    !!spec.topologySpreadConstraints?.some((c) => c?.whenUnsatisfiable === "DoNotSchedule")
  );
}

/** The namespaces a term looks in: its list and selector, else the pod's own namespace. */
function termMatches(
  term: PodAffinityTerm,
  termNs: string,
  pod: { namespace: string; labels: Labels },
  nsLabels: (ns: string) => Labels,
): boolean {
  const list = term.namespaces ?? [];
  const sel = term.namespaceSelector;
  const inNs =
    list.length === 0 && !sel
      ? pod.namespace === termNs
      : list.includes(pod.namespace) || (!!sel && matchSelector(sel, nsLabels(pod.namespace)));
  // A term without a labelSelector selects no pod (metav1.LabelSelectorAsSelector(nil) = Nothing).
  return inNs && !!term.labelSelector && matchSelector(term.labelSelector, pod.labels);
}

/** Everything the pod-aware filters need about the pod being placed. */
export interface Incoming {
  namespace: string;
  labels: Labels;
  spec: PodSpec;
}

/**
 * PodTopologySpread then InterPodAffinity for every node: the first reason per node, or
 * null where the pod may go. `eligible` is the static filters' verdict per node (spread
 * counts only nodes the pod's node affinity admits).
 */
export function podAwareReasons(
  nodes: NodeState[],
  eligible: (i: number) => boolean,
  pods: PodRef[],
  pod: Incoming,
  nsLabels: (ns: string) => Labels,
): (string | null)[] {
  const out: (string | null)[] = nodes.map(() => null);
  spreadReasons(nodes, eligible, pods, pod, out);
  affinityReasons(nodes, pods, pod, nsLabels, out);
  return out;
}

function spreadReasons(
  nodes: NodeState[],
  eligible: (i: number) => boolean,
  pods: PodRef[],
  pod: Incoming,
  out: (string | null)[],
): void {
  const cons = (pod.spec.topologySpreadConstraints ?? []).filter((c) => c?.whenUnsatisfiable === "DoNotSchedule");
  if (cons.length === 0) return;
  for (const c of cons) {
    const sel = selectorWithKeys(c, pod.labels);
    const key = c.topologyKey;
    const counts = new Map<string, number>();
    // Domains: the values of the key among the nodes the pod's node affinity admits that
    // carry every constraint's key (filtering.go calPreFilterState).
    for (let i = 0; i < nodes.length; i++)
      if (eligible(i) && cons.every((x) => x.topologyKey in nodes[i].labels)) counts.set(nodes[i].labels[key], 0);
    for (const p of pods) {
      if (p.namespace !== pod.namespace || !matchSelector(sel, p.labels)) continue;
      const v = nodes[p.node].labels[key];
      if (counts.has(v) && eligible(p.node)) counts.set(v, counts.get(v)! + 1);
    }
    const self = matchSelector(sel, pod.labels) ? 1 : 0;
    let min = counts.size ? Math.min(...counts.values()) : 0;
    if (c.minDomains !== undefined && counts.size < c.minDomains) min = 0;
    for (let i = 0; i < nodes.length; i++) {
      if (out[i]) continue;
      const v = nodes[i].labels[key];
      if (v === undefined) out[i] = REASON_SPREAD_LABEL;
      else if ((counts.get(v) ?? 0) + self - min > c.maxSkew) out[i] = REASON_SPREAD;
    }
  }
}

/** The constraint's selector with matchLabelKeys' values from the incoming pod ANDed in. */
export function selectorWithKeys(c: TopologySpreadConstraint, labels: Labels) {
  const sel = c.labelSelector ?? {};
  if (!c.matchLabelKeys?.length) return sel;
  const extra: Labels = {};
  for (const k of c.matchLabelKeys) if (k in labels) extra[k] = labels[k];
  return { ...sel, matchLabels: { ...(sel.matchLabels ?? {}), ...extra } };
}

function affinityReasons(
  nodes: NodeState[],
  pods: PodRef[],
  pod: Incoming,
  nsLabels: (ns: string) => Labels,
  out: (string | null)[],
): void {
  const aff = pod.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  const anti = pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  // Per term, the topology values holding a matching pod.
  const domains = (term: PodAffinityTerm) => {
    const s = new Set<string>();
    for (const p of pods)
      if (termMatches(term, pod.namespace, p, nsLabels)) {
        const v = nodes[p.node].labels[term.topologyKey];
        if (v !== undefined) s.add(v);
      }
    return s;
  };
  const affD = aff.map(domains);
  // No pod matches any term anywhere: the first pod of a group may go where it matches itself.
  const selfOk = affD.every((d) => d.size === 0) && aff.every((t) => termMatches(t, pod.namespace, pod, nsLabels));
  const antiD = anti.map(domains);
  // Existing pods' anti-affinity terms that select the incoming pod: their domains are closed.
  const closed: { key: string; value: string }[] = [];
  for (const p of pods)
    for (const t of p.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      const v = nodes[p.node].labels[t.topologyKey];
      if (v !== undefined && termMatches(t, p.namespace, pod, nsLabels)) closed.push({ key: t.topologyKey, value: v });
    }
  for (let i = 0; i < nodes.length; i++) {
    if (out[i]) continue;
    const l = nodes[i].labels;
    const affOk = aff.every((t, j) => (t.topologyKey in l ? affD[j].has(l[t.topologyKey]) || selfOk : false));
    if (!affOk) out[i] = REASON_POD_AFFINITY;
    else if (anti.some((t, j) => t.topologyKey in l && antiD[j].has(l[t.topologyKey]))) out[i] = REASON_POD_ANTI;
    else if (closed.some((c) => l[c.key] === c.value)) out[i] = REASON_EXISTING_ANTI;
  }
}
