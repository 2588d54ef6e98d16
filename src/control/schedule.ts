// A deterministic stand-in for kube-scheduler: the filters in the default profile's order
// (NodeName, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit — pod count, CPU and
// memory requests against allocatable —, PodTopologySpread, InterPodAffinity: the last two
// in schedule-pods.ts), then "least loaded eligible node, ties by node order" as the score.
// An unplaceable pod gets the scheduler's FitError text:
//   0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: },
//   2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available:
//   3 Preemption is not helpful for scheduling.
// Spreading uses one lazily-updated min-heap per set of static constraints, so 150,000
// pods over 5,000 nodes cost O(pods · log nodes); a pod whose place depends on other pods
// (pod affinity, anti-affinity, spread constraints, or any pod's anti-affinity) takes the
// slow path over every node.
import type { Labels, NodeSelectorTerm, PodSpec, Toleration } from "../manifest/types.js";
import {
  hasPodConstraints,
  podAwareReasons,
  type PodRef,
  podRequests,
  resourceReasons,
  UNRESOLVABLE,
} from "./schedule-pods.js";
import { requirementMatches } from "../manifest/selector.js";
import { stableJson } from "./hash.js";
import type { NodeState } from "./state.js";

export const REASON_TAINT = (key: string, value: string | undefined) =>
  `node(s) had untolerated taint {${key}: ${value ?? ""}}`;
export const REASON_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export const REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";
export const REASON_TOO_MANY = "Too many pods";
const PREEMPT_UNRESOLVABLE = "Preemption is not helpful for scheduling";
const PREEMPT_NO_VICTIMS = "No preemption victims found for incoming pod";

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

/** The first taint (NoSchedule / NoExecute) the pod does not tolerate. */
export function untoleratedTaint(
  node: NodeState,
  tols: Toleration[] | undefined,
): { key: string; value?: string } | null {
  for (const taint of node.taints) {
    if (taint.effect !== "NoSchedule" && taint.effect !== "NoExecute") continue;
    if (!tolerates(tols, taint)) return taint;
  }
  return null;
}

function matchTerm(node: NodeState, term: NodeSelectorTerm): boolean {
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

/** nodeSelector and required node affinity (terms ORed, expressions ANDed). */
export function matchesNodeAffinity(node: NodeState, spec: PodSpec): boolean {
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (node.labels[k] !== v) return false;
  const req = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (req) {
    const terms = req.nodeSelectorTerms ?? [];
    if (!terms.some((t) => matchTerm(node, t))) return false;
  }
  return true;
}

/** The static (UnschedulableAndUnresolvable) reason a node is unfit, or null. */
export function staticReason(node: NodeState, spec: PodSpec): string | null {
  const t = untoleratedTaint(node, spec.tolerations);
  if (t) return REASON_TAINT(t.key, t.value);
  if (!matchesNodeAffinity(node, spec)) return REASON_AFFINITY;
  return null;
}

/** Host ports a pod needs ("80/TCP"); hostNetwork pods need every container port. */
export function hostPortsOf(spec: PodSpec): string[] {
  const out: string[] = [];
  for (const c of spec.containers ?? [])
    for (const p of c.ports ?? []) {
      const hp = p.hostPort ?? (spec.hostNetwork ? p.containerPort : undefined);
      if (hp) out.push(`${hp}/${p.protocol ?? "TCP"}`);
    }
  return out;
}

const keyCache = new WeakMap<PodSpec, string>();
function constraintKey(spec: PodSpec): string {
  let k = keyCache.get(spec);
  if (k === undefined) {
    k = stableJson([
      spec.nodeSelector ?? null,
      spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? null,
      spec.tolerations ?? null,
    ]);
    keyCache.set(spec, k);
  }
  return k;
}

const SHIFT = 1048576; // 2^20 nodes at most

/** Binary min-heap of packed (load, node index) numbers. */
class Heap {
  a: number[] = [];
  push(v: number): void {
    const a = this.a;
    let i = a.length;
    a.push(v);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= v) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = v;
  }
  pop(): number | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      const n = a.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && a[r] < a[l] ? r : l;
        if (a[c] >= last) break;
        a[i] = a[c];
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
  peek(): number | undefined {
    return this.a[0];
  }
}

export type PlaceResult = { node: NodeState } | { message: string; fullNodes: NodeState[] };

/** A pod the scheduler accounts: its labels and namespace matter to pod (anti-)affinity and spread. */
export interface ScheduledPod {
  nodeName: string | null;
  spec: PodSpec;
  labels?: Labels;
  namespace?: string;
}

export class Scheduler {
  readonly loads: Int32Array;
  private ports: (Set<string> | undefined)[];
  private cpu: Float64Array;
  private mem: Float64Array;
  /** Every accounted pod (pod affinity, anti-affinity and topology spread look at them). */
  private pods: PodRef[] = [];
  /** How many accounted pods carry required anti-affinity (they constrain every new pod). */
  private antiPods = 0;
  private heaps = new Map<string, Heap>();
  private failCache = new Map<string, string>();
  private byName: Map<string, NodeState>;

  constructor(
    readonly nodes: NodeState[],
    existing: Iterable<ScheduledPod>,
    private nsLabels: (ns: string) => Labels = () => ({}),
  ) {
    this.loads = new Int32Array(nodes.length);
    this.ports = new Array(nodes.length);
    this.cpu = new Float64Array(nodes.length);
    this.mem = new Float64Array(nodes.length);
    this.byName = new Map(nodes.map((n, i) => [n.name, { ...n, index: i }]));
    for (const p of existing) {
      if (!p.nodeName) continue;
      const n = this.byName.get(p.nodeName);
      if (n) this.account(n.index, p.spec, p.labels, p.namespace);
    }
  }

  node(name: string): NodeState | undefined {
    const n = this.byName.get(name);
    return n ? this.nodes[n.index] : undefined;
  }

  private idx(node: NodeState): number {
    return this.byName.get(node.name)!.index;
  }

  private account(i: number, spec: PodSpec, labels: Labels = {}, namespace = "default"): void {
    this.loads[i]++;
    const hp = hostPortsOf(spec);
    if (hp.length) {
      const s = (this.ports[i] ??= new Set());
      for (const p of hp) s.add(p);
    }
    const r = podRequests(spec);
    this.cpu[i] += r.cpu;
    this.mem[i] += r.memory;
    this.pods.push({ namespace, labels, spec, node: i });
    if (spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length) this.antiPods++;
  }

  /** NodePorts, then NodeResourcesFit (which gives all its reasons at once). */
  private dynamicReasons(i: number, hp: string[], req: { cpu: number; memory: number }): string[] {
    const s = this.ports[i];
    if (s && hp.some((p) => s.has(p))) return [REASON_PORTS];
    const out = this.loads[i] >= this.nodes[i].maxPods ? [REASON_TOO_MANY] : [];
    if (req.cpu || req.memory)
      out.push(...resourceReasons(this.nodes[i], { cpu: this.cpu[i], memory: this.mem[i] }, req));
    return out;
  }

  /** Binds a pod to a node chosen elsewhere (spec.nodeName, DaemonSet); accounts it. */
  bind(node: NodeState, spec: PodSpec, labels?: Labels, namespace?: string): void {
    this.account(this.idx(node), spec, labels, namespace);
  }

  /** Whether `node` can take the pod now (DaemonSet pods, which target one node). */
  fitsOn(node: NodeState, spec: PodSpec, labels: Labels = {}, namespace = "default"): string | null {
    const i = this.idx(node);
    const st = staticReason(node, spec);
    if (st) return st;
    const dyn = this.dynamicReasons(i, hostPortsOf(spec), podRequests(spec));
    if (dyn.length) return dyn[0];
    if (!hasPodConstraints(spec) && this.antiPods === 0) return null;
    return this.podAware(spec, labels, namespace)[i];
  }

  private podAware(spec: PodSpec, labels: Labels, namespace: string): (string | null)[] {
    return podAwareReasons(
      this.nodes,
      (i) => matchesNodeAffinity(this.nodes[i], spec),
      this.pods,
      { namespace, labels, spec },
      this.nsLabels,
    );
  }

  isFull(node: NodeState): boolean {
    const i = this.idx(node);
    return this.loads[i] >= node.maxPods;
  }

  /** The FitError text for a pod that fits nowhere (`only`: a DaemonSet pod's node). */
  failure(spec: PodSpec, only?: NodeState, labels: Labels = {}, namespace = "default"): string {
    const hp = hostPortsOf(spec);
    const req = podRequests(spec);
    const hist = new Map<string, number>();
    const pre = new Map<string, number>();
    let aware: (string | null)[] | undefined;
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i];
      let rs: string[];
      let unresolvable = true;
      if (only && n.name !== only.name) rs = [REASON_AFFINITY];
      else {
        const st = staticReason(n, spec);
        rs = st ? [st] : this.dynamicReasons(i, hp, req);
        if (!st) unresolvable = false;
        if (!st && rs.length === 0 && (hasPodConstraints(spec) || this.antiPods > 0)) {
          aware ??= this.podAware(spec, labels, namespace);
          const a = aware[i];
          if (a) {
            rs = [a];
            unresolvable = UNRESOLVABLE.has(a);
          }
        }
      }
      if (rs.length === 0) continue;
      for (const r of rs) hist.set(r, (hist.get(r) ?? 0) + 1);
      const p = unresolvable ? PREEMPT_UNRESOLVABLE : PREEMPT_NO_VICTIMS;
      pre.set(p, (pre.get(p) ?? 0) + 1);
    }
    const fmt = (m: Map<string, number>) =>
      [...m]
        .map(([k, v]) => `${v} ${k}`)
        .sort()
        .join(", ");
    const total = this.nodes.length;
    // A pod that may not preempt is not evaluated for it (preemption.go PodEligibleToPreemptOthers).
    if (spec.preemptionPolicy === "Never")
      return `0/${total} nodes are available: ${fmt(hist)}. preemption: not eligible due to preemptionPolicy=Never.`;
    return `0/${total} nodes are available: ${fmt(hist)}. preemption: 0/${total} nodes are available: ${fmt(pre)}.`;
  }

  /** Chooses the least-loaded eligible node (ties: config order) and accounts the pod. */
  place(spec: PodSpec, labels: Labels = {}, namespace = "default"): PlaceResult {
    if (hasPodConstraints(spec) || this.antiPods > 0) return this.placeAware(spec, labels, namespace);
    const key = constraintKey(spec);
    const hp = hostPortsOf(spec);
    const req = podRequests(spec);
    let heap = this.heaps.get(key);
    if (!heap) {
      heap = new Heap();
      for (let i = 0; i < this.nodes.length; i++)
        if (!staticReason(this.nodes[i], spec)) heap.push(this.loads[i] * SHIFT + i);
      this.heaps.set(key, heap);
    }
    const aside: number[] = [];
    let chosen = -1;
    for (;;) {
      const top = heap.peek();
      if (top === undefined) break;
      const i = top % SHIFT;
      const load = (top - i) / SHIFT;
      if (load !== this.loads[i]) {
        heap.pop();
        heap.push(this.loads[i] * SHIFT + i);
        continue;
      }
      if (this.loads[i] >= this.nodes[i].maxPods) {
        heap.pop(); // full: loads only grow while a change is scheduled
        continue;
      }
      const s = this.ports[i];
      if (hp.length && s && hp.some((p) => s.has(p))) {
        aside.push(heap.pop()!);
        continue;
      }
      if (
        (req.cpu || req.memory) &&
        resourceReasons(this.nodes[i], { cpu: this.cpu[i], memory: this.mem[i] }, req).length
      ) {
        aside.push(heap.pop()!);
        continue;
      }
      chosen = i;
      heap.pop();
      break;
    }
    for (const v of aside) heap.push(v);
    if (chosen < 0) {
      const fk = hp.length || req.cpu || req.memory ? "" : key;
      let message = fk ? this.failCache.get(fk) : undefined;
      if (!message) {
        message = this.failure(spec);
        if (fk) this.failCache.set(fk, message);
      }
      return { message, fullNodes: [] };
    }
    this.account(chosen, spec, labels, namespace);
    heap.push(this.loads[chosen] * SHIFT + chosen);
    return { node: this.nodes[chosen] };
  }

  /** The slow path, for pods whose place depends on other pods: every node, every filter. */
  private placeAware(spec: PodSpec, labels: Labels, namespace: string): PlaceResult {
    const hp = hostPortsOf(spec);
    const req = podRequests(spec);
    const aware = this.podAware(spec, labels, namespace);
    let chosen = -1;
    for (let i = 0; i < this.nodes.length; i++) {
      if (aware[i] || staticReason(this.nodes[i], spec) || this.dynamicReasons(i, hp, req).length) continue;
      if (chosen < 0 || this.loads[i] < this.loads[chosen]) chosen = i;
    }
    if (chosen < 0) return { message: this.failure(spec, undefined, labels, namespace), fullNodes: [] };
    this.account(chosen, spec, labels, namespace);
    return { node: this.nodes[chosen] };
  }
}
