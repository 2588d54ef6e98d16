// Compiled iptables chains shared across namespaces: segments interned by chain object and
// by text (sharedSegment), and kube-proxy's compact chains in a bounded cache (compactRef,
// compactSegs). netfilter.ts builds each namespace's view from these.

import type { IptChain, IptLayer, IptTableName } from "../ir/types.js";
import { isCompactChain, isCompactTable, layerChain } from "../ir/compact.js";
import { compileSegment, internKey, INTERN_RULES_MAX, type CompactRef, type Segment } from "./iptables.js";

export type { CompactRef };

/** A table as a small number: arrays indexed by it instead of keyed loads (five names made those sites megamorphic). */
export function tableIndex(t: IptTableName): number {
  switch (t) {
    case "raw":
      return 0;
    case "mangle":
      return 1;
    case "nat":
      return 2;
    case "filter":
      return 3;
    default:
      return 4;
  }
}

/**
 * One Segment per chain for every namespace that has it: by object (kube-proxy's shared
 * layer) and, for small chains, by text (per-node layers such as flannel's are fresh objects
 * on every node but mostly the same text). A trace that crosses hundreds of nodes then runs
 * one compiled copy, hot in the CPU cache, instead of one per node; per-node copies also
 * grew the heap by ~50 KB per new trace at scale (measured). Shared segments look their
 * jump targets up per namespace (jumpTo).
 * segById is a side table of the IR's chains (entries die with them); segByText is
 * process-wide on purpose, like iptables.ts ruleByText (the key is the whole identity:
 * layer owner and role, offset, chain, policy, every rule), bounded by SEG_INTERN_MAX.
 */
const segById = new WeakMap<IptChain, Map<string, Segment>>();
const segByText = new Map<string, Segment>();
const SEG_INTERN_MAX = 100_000;
/** A shared segment alone in its chain: one array for every namespace (keyed by the interned segment, so as wide as segByText). */
export const solo = new WeakMap<Segment, Segment[]>();

export function sharedSegment(c: IptChain, l: IptLayer, offset: number): Segment {
  const tag = l.owner + "\0" + (l.role ?? "") + "\0" + offset;
  let byTag = segById.get(c);
  const hit = byTag?.get(tag);
  if (hit) return hit;
  let seg: Segment | undefined;
  let key: string | undefined;
  if (c.rules.length <= INTERN_RULES_MAX) {
    key = `${tag}\0${c.name}\0${c.policy ?? ""}`;
    for (const r of c.rules) key += "\n" + internKey(c.name, r);
    seg = segByText.get(key);
  }
  if (!seg) {
    seg = makeSegment(c, l, offset);
    if (key !== undefined) {
      if (segByText.size >= SEG_INTERN_MAX) segByText.delete(segByText.keys().next().value!);
      segByText.set(key, seg);
    }
  }
  if (!byTag) segById.set(c, (byTag = new Map()));
  byTag.set(tag, seg);
  return seg;
}

let compactCount = 0;
// ~740 bytes a compiled KUBE-SEP chain (measured): 400k is ≤ 300 MB, over half of a threshold
// cluster's 722k. At 50k the bench's 10,000 traces (354k chains) recompiled every path's chain
// and the eviction churn made the heap larger, not smaller (peak 5.4 vs 4.9 GB, measured).
const COMPACT_MAX = 400_000;
/** The caches of the topology's CompiledIR that compact chains fill. */
export interface CompactCaches {
  /** Per layer object: its CompactRef per table (tableIndex). */
  readonly compactRefs: WeakMap<IptLayer, CompactRef[]>;
}

/**
 * The caches to evict from. Process-wide on purpose: COMPACT_MAX is a memory budget for the
 * process, whatever the number of IRs alive (weak refs: a dropped IR's caches leave it).
 */
const compactMaps = new Set<WeakRef<Map<string, Segment[]>>>();

export function compactRef(c: CompactCaches, l: IptLayer, table: IptTableName): CompactRef {
  let refs = c.compactRefs.get(l);
  if (!refs) c.compactRefs.set(l, (refs = []));
  const ti = tableIndex(table);
  let ref = refs[ti];
  if (!ref) {
    const m = new Map<string, Segment[]>();
    compactMaps.add(new WeakRef(m));
    refs[ti] = ref = { layer: l, table, m };
  }
  return ref;
}

export function compactSegs(ref: CompactRef, name: string): Segment[] {
  const hit = ref.m.get(name);
  if (hit) return hit;
  // A fresh chain object: nothing to remember it by (this cache is its only home).
  const segs = [makeSegment(layerChain(ref.layer, ref.table, name)!, ref.layer, 0, false)];
  ref.m.set(name, segs);
  if (++compactCount > COMPACT_MAX) evictCompact();
  return segs;
}

/**
 * The layer whose compact chains (kube-proxy's KUBE-SVC-*, KUBE-SEP-*: hundreds of thousands)
 * are this namespace's chains of those names in `table`: the only layer here with a compact
 * table there, and no other layer here defines one of its compact chains' names. Then a jump
 * to such a chain needs no lookup by name in this namespace (see jumpTo).
 */
export function soleCompact(layers: readonly IptLayer[], table: IptTableName): IptLayer | null {
  let sole: IptLayer | null = null;
  for (const l of layers) {
    if (!isCompactTable(l, table)) continue;
    if (sole) return null;
    sole = l;
  }
  if (!sole) return null;
  for (const l of layers) {
    if (l === sole) continue;
    const t = l.tables[table];
    if (t) for (const name in t) if (isCompactChain(sole, table, name)) return null;
  }
  return sole;
}

function evictCompact(): void {
  // First in, first out (cheaper than LRU bookkeeping on every hit): drop the oldest quarter
  // of each cache; an evicted chain is compiled again if a trace needs it.
  for (const ref of compactMaps) {
    const m = ref.deref();
    if (!m) {
      compactMaps.delete(ref);
      continue;
    }
    let drop = m.size >> 2;
    for (const [k, segs] of m) {
      if (drop-- <= 0) break;
      m.delete(k);
      // Jump rules may still point at it (jumpTo's compact targets): they compile it afresh.
      segs[0].evicted = true;
      compactCount--;
    }
  }
}

function makeSegment(c: IptChain, l: IptLayer, offset: number, remember = true): Segment {
  const s = compileSegment(c, remember);
  // A literal with every field in one order, not a spread: spread objects got a map each,
  // which made every `seg.x` load in evalIptChain megamorphic (measured: 3× slower walks).
  // Compact chains (remember false: kube-proxy's KUBE-SVC/KUBE-SEP, hundreds of thousands) get no jump slots.
  return {
    chain: s.chain,
    layer: l.owner,
    rules: s.rules,
    randomRuns: s.randomRuns,
    runs: s.runs,
    runAt: s.runAt,
    randomAt: s.randomAt,
    offset,
    objs: [],
    policy: l.role === "policy",
    say: [],
    jump: [],
    jid: remember ? [] : undefined,
    evicted: false,
  };
}
