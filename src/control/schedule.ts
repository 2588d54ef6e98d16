// A deterministic stand-in for kube-scheduler: the filters in the default profile's order
// (NodeName, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit — pod count, CPU and
// memory requests against allocatable —, PodTopologySpread, InterPodAffinity: the last two
// in schedule-pods.ts), then the default score plugins (schedule-score.ts) over the
// feasible nodes. As kube-scheduler (schedule_one.go findNodesThatPassFilters,
// numFeasibleNodesToFind) it stops looking once it has found percentageOfNodesToScore's
// adaptive share of feasible nodes (50 − nodes/125 %, at least 5 % and at least 100 nodes;
// all of them below 100), examining nodes in its node tree's order (zones round-robin,
// internal/cache/node_tree.go) from where the previous pod's search stopped. Of the best
// scored nodes it takes the first examined, where kube-scheduler picks one at random.
// An unplaceable pod gets the scheduler's FitError text:
//   0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: },
//   2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available:
//   3 Preemption is not helpful for scheduling.
// Cost per pod: the nodes examined (≤ 10 % of 5,000) and the pods its selectors count
// (kept per selector as pods are bound); a pod whose filters depend on other pods
// (required pod affinity, anti-affinity, DoNotSchedule spread, or any pod's required
// anti-affinity) also walks every node and pod once for its filters.
import type { LabelSelector, Labels, PodSpec, Toleration } from "../manifest/types.js";
import {
  hasPodConstraints,
  podAwareReasons,
  type PodRef,
  podRequests,
  podRequestsNonZero,
  resourceReasons,
  UNRESOLVABLE,
} from "./schedule-pods.js";
import { scoresOthers, selectHost } from "./schedule-score.js";
import {
  type Domains,
  domainsOf,
  LABEL_REGION,
  LABEL_ZONE,
  matchTerm,
  PodIndex,
  resourceCache,
  type ScoreView,
  tolerates,
} from "./schedule-view.js";
import { stableJson } from "./hash.js";
import type { NodeState } from "./state.js";

export const REASON_TAINT = (key: string, value: string | undefined) =>
  `node(s) had untolerated taint {${key}: ${value ?? ""}}`;
export const REASON_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export const REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";
export const REASON_TOO_MANY = "Too many pods";
const PREEMPT_UNRESOLVABLE = "Preemption is not helpful for scheduling";
const PREEMPT_NO_VICTIMS = "No preemption victims found for incoming pod";

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

export type PlaceResult = { node: NodeState } | { message: string; fullNodes: NodeState[] };

/** A pod the scheduler accounts: its labels and namespace matter to pod (anti-)affinity and spread. */
export interface ScheduledPod {
  nodeName: string | null;
  spec: PodSpec;
  labels?: Labels;
  namespace?: string;
  terminating?: boolean;
}

/** schedule_one.go numFeasibleNodesToFind with percentageOfNodesToScore unset (adaptive). */
export function numFeasibleNodesToFind(all: number): number {
  const MIN_NODES = 100;
  const MIN_PERCENT = 5;
  if (all < MIN_NODES) return all;
  const pct = Math.max(MIN_PERCENT, 50 - Math.trunc(all / 125));
  return Math.max(MIN_NODES, Math.trunc((all * pct) / 100));
}

/** utilnode.GetZoneKey: region and zone (GA labels, else the deprecated beta ones). */
function zoneKey(l: Labels): string {
  const get = (ga: string, beta: string) => (Object.hasOwn(l, ga) ? l[ga] : Object.hasOwn(l, beta) ? l[beta] : "");
  const zone = get(LABEL_ZONE, "failure-domain.beta.kubernetes.io/zone");
  const region = get(LABEL_REGION, "failure-domain.beta.kubernetes.io/region");
  return region === "" && zone === "" ? "" : `${region}:\0:${zone}`;
}

/** The scheduler cache's node list order (node_tree.go list): one node of each zone in turn. */
function nodeTreeOrder(nodes: NodeState[]): Int32Array {
  const zones = new Map<string, number[]>();
  for (let i = 0; i < nodes.length; i++) {
    const z = zoneKey(nodes[i].labels);
    const l = zones.get(z);
    if (l) l.push(i);
    else zones.set(z, [i]);
  }
  const order = new Int32Array(nodes.length);
  const lists = [...zones.values()];
  let n = 0;
  for (let k = 0; n < nodes.length; k++) for (const l of lists) if (k < l.length) order[n++] = l[k];
  return order;
}

export class Scheduler {
  readonly loads: Int32Array;
  private ports: (Set<string> | undefined)[];
  private cpu: Float64Array;
  private mem: Float64Array;
  private cpuNZ: Float64Array;
  private memNZ: Float64Array;
  private maxPods: Int32Array;
  /** Every accounted pod (pod affinity, anti-affinity and topology spread look at them). */
  private pods: PodRef[] = [];
  /** How many accounted pods carry required anti-affinity (they constrain every new pod). */
  private antiPods = 0;
  /** Per set of static constraints: 1 where the node passes TaintToleration and NodeAffinity. */
  private staticOk = new Map<string, Uint8Array>();
  private affOk = new Map<string, Uint8Array>();
  private failCache = new Map<string, string>();
  private byName: Map<string, NodeState>;
  private order: Int32Array;
  /** Where the next pod's search starts in `order` (the scheduler's nextStartNodeIndex). */
  private nextStart = 0;
  private feas: Int32Array;
  private view: ScoreView;

  constructor(
    readonly nodes: NodeState[],
    existing: Iterable<ScheduledPod>,
    private nsLabels: (ns: string) => Labels = () => ({}),
  ) {
    const n = nodes.length;
    this.loads = new Int32Array(n);
    this.ports = new Array(n);
    this.cpu = new Float64Array(n);
    this.mem = new Float64Array(n);
    this.cpuNZ = new Float64Array(n);
    this.memNZ = new Float64Array(n);
    this.maxPods = Int32Array.from(nodes, (x) => x.maxPods);
    this.feas = new Int32Array(n);
    this.order = nodeTreeOrder(nodes);
    this.byName = new Map(nodes.map((x, i) => [x.name, { ...x, index: i }]));
    const doms = new Map<string, Domains>();
    this.view = {
      nodes,
      allocCpu: Float64Array.from(nodes, (x) => x.allocatable?.cpu ?? 0),
      allocMem: Float64Array.from(nodes, (x) => x.allocatable?.memory ?? 0),
      cpu: this.cpu,
      mem: this.mem,
      cpuNZ: this.cpuNZ,
      memNZ: this.memNZ,
      index: new PodIndex(this.pods, nsLabels),
      affinityPods: new Map(),
      nsLabels,
      anyPreferNoSchedule: nodes.some((x) => x.taints.some((t) => t.effect === "PreferNoSchedule")),
      domains: (key) => {
        let d = doms.get(key);
        if (!d) doms.set(key, (d = domainsOf(nodes, key)));
        return d;
      },
      affinityOk: (spec) => this.affinityFor(spec),
      scratch: new Float64Array(n),
      total: new Float64Array(n),
      raw: new Float64Array(n),
      ignored: new Uint8Array(n),
      cache: resourceCache(n),
      staticOk: new Uint8Array(n),
    };
    for (const p of existing) {
      if (!p.nodeName) continue;
      const x = this.byName.get(p.nodeName);
      if (x) this.account(x.index, p.spec, p.labels, p.namespace, p.terminating);
    }
  }

  // A live cluster's dump binds every pod it has and often schedules none: the bound pods'
  // ports, requests and labels (hostPortsOf, podRequests, the pod index) are worked out only
  // when a pod is to be placed. Counts (isFull) stay exact at once.
  private pending: PodRef[] = [];
  private flush(): void {
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    for (const r of pending) this.accountRest(r);
  }

  node(name: string): NodeState | undefined {
    const n = this.byName.get(name);
    return n ? this.nodes[n.index] : undefined;
  }

  private idx(node: NodeState): number {
    return this.byName.get(node.name)!.index;
  }

  private account(i: number, spec: PodSpec, labels: Labels = {}, namespace = "default", terminating = false): void {
    this.loads[i]++;
    const ref: PodRef = { namespace, labels, spec, node: i };
    if (terminating) ref.terminating = true;
    this.pending.push(ref);
  }

  private accountRest(ref: PodRef): void {
    const { node: i, spec, namespace } = ref;
    const hp = hostPortsOf(spec);
    if (hp.length) {
      const s = (this.ports[i] ??= new Set());
      for (const p of hp) s.add(p);
    }
    const r = podRequests(spec);
    this.cpu[i] += r.cpu;
    this.mem[i] += r.memory;
    const nz = podRequestsNonZero(spec);
    this.cpuNZ[i] += nz.cpu;
    this.memNZ[i] += nz.memory;
    const cache = this.view.cache;
    cache.laCpu[i] = Number.NaN;
    cache.baCpu[i] = Number.NaN;
    this.pods.push(ref);
    this.view.index.add(ref);
    if (spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length) this.antiPods++;
    if (scoresOthers(spec)) {
      const byNs = this.view.affinityPods;
      let m = byNs.get(spec);
      if (!m) byNs.set(spec, (m = new Map()));
      let perNode = m.get(namespace);
      if (!perNode) m.set(namespace, (perNode = new Map()));
      perNode.set(i, (perNode.get(i) ?? 0) + 1);
    }
  }

  /** TaintToleration and NodeAffinity per node, for pods with the same constraints. */
  private staticFor(spec: PodSpec): Uint8Array {
    const key = constraintKey(spec);
    let ok = this.staticOk.get(key);
    if (!ok) {
      ok = Uint8Array.from(this.nodes, (x) => (staticReason(x, spec) ? 0 : 1));
      this.staticOk.set(key, ok);
    }
    return ok;
  }

  /** The nodes the pod's nodeSelector and required node affinity admit. */
  private affinityFor(spec: PodSpec): Uint8Array {
    const sel = spec.nodeSelector;
    const req = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (!req && (!sel || Object.keys(sel).length === 0)) {
      let all = this.affOk.get("");
      if (!all) this.affOk.set("", (all = new Uint8Array(this.nodes.length).fill(1)));
      return all;
    }
    const key = stableJson([sel ?? null, req ?? null]);
    let ok = this.affOk.get(key);
    if (!ok) {
      ok = Uint8Array.from(this.nodes, (x) => (matchesNodeAffinity(x, spec) ? 1 : 0));
      this.affOk.set(key, ok);
    }
    return ok;
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
  bind(node: NodeState, spec: PodSpec, labels?: Labels, namespace?: string, terminating?: boolean): void {
    this.account(this.idx(node), spec, labels, namespace, terminating);
  }

  /** Whether `node` can take the pod now (DaemonSet pods, which target one node). */
  fitsOn(node: NodeState, spec: PodSpec, labels: Labels = {}, namespace = "default"): string | null {
    this.flush();
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
    this.flush();
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

  /**
   * Filters the nodes from where the last search stopped until enough are feasible, scores
   * those (one feasible node is taken unscored, as kube-scheduler does), binds the pod to
   * the best and accounts it. `spread` is the selector of the Services and controller that
   * select the pod (PodTopologySpread's default constraints), null when none does.
   */
  place(spec: PodSpec, labels: Labels = {}, namespace = "default", spread: LabelSelector | null = null): PlaceResult {
    this.flush();
    const aware = hasPodConstraints(spec) || this.antiPods > 0 ? this.podAware(spec, labels, namespace) : null;
    const hp = hostPortsOf(spec);
    const req = podRequests(spec);
    // Loads only grow while a change is scheduled: a pod that fit nowhere still fits nowhere.
    const fk = aware || hp.length || req.cpu || req.memory ? "" : constraintKey(spec);
    const known = fk ? this.failCache.get(fk) : undefined;
    if (known) return { message: known, fullNodes: [] };
    const ok = this.staticFor(spec);
    const N = this.nodes.length;
    const want = numFeasibleNodesToFind(N);
    const { order, loads, maxPods, feas, ports, cpu, mem } = this;
    const needsRes = req.cpu !== 0 || req.memory !== 0;
    let F = 0;
    let k = 0;
    for (; k < N && F < want; k++) {
      let j = this.nextStart + k;
      if (j >= N) j -= N;
      const i = order[j];
      if (ok[i] === 0 || loads[i] >= maxPods[i] || (aware !== null && aware[i] !== null)) continue;
      if (hp.length) {
        const s = ports[i];
        if (s && hp.some((p) => s.has(p))) continue;
      }
      if (needsRes && resourceReasons(this.nodes[i], { cpu: cpu[i], memory: mem[i] }, req).length) continue;
      feas[F++] = i;
    }
    if (F === 0) {
      const message = this.failure(spec, undefined, labels, namespace);
      if (fk) this.failCache.set(fk, message);
      return { message, fullNodes: [] };
    }
    this.nextStart = (this.nextStart + k) % N;
    this.view.staticOk = ok;
    const chosen = F === 1 ? feas[0] : selectHost(this.view, feas, F, { namespace, labels, spec }, spread);
    this.account(chosen, spec, labels, namespace);
    return { node: this.nodes[chosen] };
  }
}
