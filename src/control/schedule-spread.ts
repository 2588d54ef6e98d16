// PodTopologySpread's score (kubernetes/kubernetes
// pkg/scheduler/framework/plugins/podtopologyspread/scoring.go): the pod's ScheduleAnyway
// constraints or the system defaults, matching pods counted per topology domain. Called by
// selectHost (schedule-score.ts), which normalizes and weights it.
import type { LabelSelector, Toleration } from "../manifest/types.js";
import { type Incoming, selectorWithKeys } from "./schedule-pods.js";
import type { NodeState } from "./state.js";
import { LABEL_HOSTNAME, LABEL_ZONE, tolerates, type Group, type Domains, type ScoreView } from "./schedule-view.js";

/**
 * PodTopologySpread's system default constraints (podtopologyspread/plugin.go
 * systemDefaultConstraints), applied as ScheduleAnyway to a pod without constraints of its
 * own that Services, a ReplicaSet, StatefulSet or ReplicationController select.
 */
const SYSTEM_DEFAULT_CONSTRAINTS = [
  { topologyKey: LABEL_HOSTNAME, maxSkew: 3 },
  { topologyKey: LABEL_ZONE, maxSkew: 5 },
];

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
export function spreadRaw(
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
