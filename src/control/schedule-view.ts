// What kube-scheduler's scorers (schedule-score.ts) read of the scheduler's state: the
// well-known topology labels, taint toleration and node selector terms, the index of bound
// pods by label, a topology key's domains, and per-node resource arrays.
import { matchSelector, requirementMatches } from "../manifest/selector.js";
import type {
  LabelSelector,
  Labels,
  NodeSelectorTerm,
  PodAffinityTerm,
  PodSpec,
  Toleration,
} from "../manifest/types.js";
import type { PodRef } from "./schedule-pods.js";
import type { NodeState } from "./state.js";

export const LABEL_HOSTNAME = "kubernetes.io/hostname";
export const LABEL_ZONE = "topology.kubernetes.io/zone";
export const LABEL_REGION = "topology.kubernetes.io/region";

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

export interface GroupDef extends Group {
  /** The namespaces it looks in; null with a namespace selector. */
  namespaces: string[] | null;
  nsSelector?: LabelSelector;
  sel: LabelSelector;
  /** PodTopologySpread skips terminating pods (countPodsMatchSelector, #87621). */
  skipTerminating: boolean;
}

export const own = (l: Labels, k: string) => (Object.hasOwn(l, k) ? l[k] : undefined);

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
