// Netfilter per namespace: iptables tables and nftables base chains merged from the
// IR's layers and evaluated in the kernel's priority order per hook.
//   raw -300, conntrack -200, mangle -150, nat(dst) -100, filter 0, security 50, nat(src) 100
// NAT chains (iptables nat table, nft `type nat`) see only the first packet of a connection.

import type { IptLayer, IptTableName, NetNs, NftChain, NftSet, NftTable } from "../ir/types.js";
import { isCompactChain, layerChain, layerHasChain } from "../ir/compact.js";
import type { Segment } from "./iptables.js";
import type { NfEnv, NfVerdict } from "./nfenv.js";
import { evalNftChain, type NftView } from "./nftables.js";
import type { Step } from "./trace.js";
import {
  compactRef,
  compactSegs,
  sharedSegment,
  solo,
  soleCompact,
  tableIndex,
  type CompactCaches,
  type CompactRef,
} from "./netfilter-segments.js";
import { evalIptBuiltin, type Hook, type IptNs } from "./netfilter-ipt.js";

type BaseRef =
  | {
      kind: "ipt";
      table: IptTableName;
      prio: number;
      nat: boolean;
      segs: Segment[] | null | undefined;
      dropPolicy: boolean;
    }
  | { kind: "nft"; table: NftView; chain: NftChain; prio: number; nat: boolean };

const IPT_PRIO: Record<Hook, [IptTableName, number][]> = {
  PREROUTING: [
    ["raw", -300],
    ["mangle", -150],
    ["nat", -100],
  ],
  INPUT: [
    ["mangle", -150],
    ["filter", 0],
    ["security", 50],
    ["nat", 100],
  ],
  FORWARD: [
    ["mangle", -150],
    ["filter", 0],
    ["security", 50],
  ],
  OUTPUT: [
    ["raw", -300],
    ["mangle", -150],
    ["nat", -100],
    ["filter", 0],
    ["security", 50],
  ],
  POSTROUTING: [
    ["mangle", -150],
    ["nat", 100],
  ],
};

export interface NsNetfilter extends IptNs {
  hooks: Record<Hook, BaseRef[]>;
  /** The same without the NAT chains (they see only a connection's first packet). */
  hooksNoNat: Record<Hook, BaseRef[]>;
  hasIptables: boolean;
}

/**
 * The caches of the topology's CompiledIR that building a namespace's netfilter view fills:
 * keyed by the IR's tables, which the builder shares across nodes (kube-proxy's table is one
 * object for every node), so they live and die with the IR.
 */
export interface NfCaches extends CompactCaches {
  /** Base chains' names per table (computed once per table object). */
  readonly hookedNames: WeakMap<NftTable, string[]>;
  /** One table contributed by one layer: one view for every namespace, per owner. */
  readonly nftViews: WeakMap<NftTable, Map<string, NftView>>;
}

export function nfCaches(): NfCaches {
  return { hookedNames: new WeakMap(), nftViews: new WeakMap(), compactRefs: new WeakMap() };
}

/**
 * A namespace's netfilter view, built afresh: its per-IR home is the walk's per-namespace
 * info (NsInfo.nf, which runHook fills), so there is no table of every namespace here.
 */
export function netfilterOf(ns: NetNs, c: NfCaches): NsNetfilter {
  const nf = ns.netfilter;
  const layers = nf?.iptables ?? [];
  // One Map per table in a fixed-shape object: one Map lookup per resolution, not two.
  const chainCache: (Map<string, Segment[] | CompactRef | null> | undefined)[] = [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ];
  const iptChain = (table: IptTableName, name: string): Segment[] | undefined => {
    const ti = tableIndex(table);
    let tc = chainCache[ti];
    if (!tc) chainCache[ti] = tc = new Map();
    const hit = tc.get(name);
    if (hit !== undefined) {
      if (hit === null) return undefined;
      // A compact chain: this namespace remembers only which layer has it (the cache may have dropped its segment).
      if (!Array.isArray(hit)) return compactSegs(hit, name);
      return hit;
    }
    // Every layer's part is a shared Segment (sharedSegment). A compact table's chains
    // (layerChain builds them on demand) are kept in a bounded cache instead: at the
    // thresholds a run of traces touches hundreds of thousands of KUBE-SEP chains.
    let onlyL: IptLayer | undefined;
    let n = 0;
    for (const l of layers) {
      if (layerHasChain(l, table, name)) {
        n++;
        onlyL = l;
      }
    }
    if (n === 1 && onlyL) {
      // A compact table's eager chains (PREROUTING, KUBE-SERVICES, ...) are lasting objects:
      // shared segments like any other, with jump slots.
      if (isCompactChain(onlyL, table, name)) {
        const ref = compactRef(c, onlyL, table);
        tc.set(name, ref);
        return compactSegs(ref, name);
      }
      const seg = sharedSegment(layerChain(onlyL, table, name)!, onlyL, 0);
      let segs = solo.get(seg);
      if (!segs) solo.set(seg, (segs = [seg]));
      tc.set(name, segs);
      return segs;
    }
    const segs: Segment[] = [];
    let offset = 0;
    for (const l of layers) {
      const c = layerChain(l, table, name);
      if (!c) continue;
      const seg = sharedSegment(c, l, offset);
      segs.push(seg);
      offset += seg.rules.length;
    }
    const out = segs.length ? segs : null;
    tc.set(name, out);
    return out ?? undefined;
  };
  const hooks: Record<Hook, BaseRef[]> = { PREROUTING: [], INPUT: [], FORWARD: [], OUTPUT: [], POSTROUTING: [] };
  for (const hook of Object.keys(hooks) as Hook[]) {
    for (const [table, prio] of IPT_PRIO[hook]) {
      if (layers.some((l) => layerHasChain(l, table, hook)))
        hooks[hook].push({ kind: "ipt", table, prio, nat: table === "nat", segs: undefined, dropPolicy: false });
    }
  }
  // nftables: tables merged by family+name, chains and sets by name, looked up lazily (a
  // threshold cluster's kube-proxy table has ~170k chains: copying them into a Map per
  // namespace ran out of memory at 1,000 nodes).
  const parts = new Map<string, { t: NftTable; owner: string }[]>();
  for (const layer of nf?.nftables ?? []) {
    for (const t of layer.tables) {
      if (t.family !== "ip" && t.family !== "inet") continue;
      const key = t.family + " " + t.name;
      const l = parts.get(key);
      if (l) l.push({ t, owner: layer.owner });
      else parts.set(key, [{ t, owner: layer.owner }]);
    }
  }
  for (const list of parts.values()) {
    const v = nftView(c, list);
    const names = new Set<string>();
    for (const { t } of list) for (const n of hookedChains(c, t)) names.add(n);
    for (const n of names) {
      const c = v.chains.get(n)!;
      if (!c.hook || c.hook === "ingress") continue;
      const hook = c.hook.toUpperCase() as Hook;
      hooks[hook].push({ kind: "nft", table: v, chain: c, prio: c.prio ?? 0, nat: c.type === "nat" });
    }
  }
  const hooksNoNat: Record<Hook, BaseRef[]> = { PREROUTING: [], INPUT: [], FORWARD: [], OUTPUT: [], POSTROUTING: [] };
  for (const h of Object.keys(hooks) as Hook[]) {
    hooks[h].sort((a, b) => a.prio - b.prio);
    hooksNoNat[h] = hooks[h].filter((b) => !b.nat);
  }
  const out: NsNetfilter = {
    hooks,
    hooksNoNat,
    iptChain,
    hasIptables: layers.length > 0,
    jumps: [],
    sole: [null, null, null, null, null],
  };
  for (const t of ["raw", "mangle", "nat", "filter", "security"] as IptTableName[]) {
    const l = soleCompact(layers, t);
    out.sole[tableIndex(t)] = l && compactRef(c, l, t);
  }
  return out;
}

/** Base chains' names per table (computed once per table object: the kube-proxy table is shared by every node). */
function hookedChains(c: NfCaches, t: NftTable): string[] {
  let l = c.hookedNames.get(t);
  if (!l) {
    l = [];
    for (const name in t.chains) if (t.chains[name].hook) l.push(name);
    c.hookedNames.set(t, l);
  }
  return l;
}

/** One table contributed by one layer: one view for every namespace (c.nftViews). */
function nftView(c: NfCaches, list: { t: NftTable; owner: string }[]): NftView {
  if (list.length === 1) {
    const { t, owner } = list[0];
    let byOwner = c.nftViews.get(t);
    if (!byOwner) c.nftViews.set(t, (byOwner = new Map()));
    let v = byOwner.get(owner);
    if (!v)
      byOwner.set(
        owner,
        (v = {
          family: t.family,
          name: t.name,
          chains: recordMap(t.chains),
          sets: recordMap(t.sets),
          owners: { get: (n: string) => (Object.hasOwn(t.chains, n) ? owner : undefined) },
          role: t.role,
          policyMaps: t.policyMaps,
        }),
      );
    return v;
  }
  // Several layers: a name defined by one of them is that layer's object; by several, merged
  // in layer order (rules appended; the first hook/policy wins) and remembered.
  const chains = layered(
    list.map(({ t }) => t.chains),
    (m: NftChain, c: NftChain) => ({
      ...m,
      ...(m.hook ? {} : { hook: c.hook, type: c.type, prio: c.prio }),
      policy: m.policy ?? c.policy,
      rules: [...m.rules, ...c.rules],
    }),
  );
  const sets = layered(
    list.map(({ t }) => t.sets),
    (m: NftSet, x: NftSet) => ({ ...m, elem: [...m.elem, ...x.elem] }) as NftSet,
  );
  const first = list[0].t;
  return {
    family: first.family,
    name: first.name,
    chains,
    sets,
    owners: { get: (n: string) => list.find(({ t }) => Object.hasOwn(t.chains, n))?.owner },
    // Tags merge like a base chain's policy: the first layer that gives one.
    role: list.find(({ t }) => t.role)?.t.role,
    policyMaps: list.find(({ t }) => t.policyMaps)?.t.policyMaps,
  };
}

/** Lookups by name over records in order; a name in several is merged (and remembered). */
function layered<T>(
  records: Record<string, T>[],
  merge: (a: T, b: T) => T,
): { get(k: string): T | undefined; has(k: string): boolean } {
  const memo = new Map<string, T>();
  const get = (name: string): T | undefined => {
    const hit = memo.get(name);
    if (hit !== undefined) return hit;
    let m: T | undefined;
    let n = 0;
    for (const r of records) if (Object.hasOwn(r, name)) m = n++ === 0 ? r[name] : merge(m!, r[name]);
    // Only merges are remembered: a name of one record is that record's own object.
    if (n > 1) memo.set(name, m!);
    return m;
  };
  return { get, has: (k) => get(k) !== undefined };
}

function recordMap<T>(r: Record<string, T>): { get(k: string): T | undefined; has(k: string): boolean } {
  return { get: (k) => (Object.hasOwn(r, k) ? r[k] : undefined), has: (k) => Object.hasOwn(r, k) };
}

/** Evaluate one hook. `natAllowed`: the connection is NEW (nat chains run). Returns the verdict and the steps. */
export function runHook(
  ns: NetNs,
  hook: Hook,
  env: NfEnv,
  natAllowed: boolean,
  from?: number,
  to?: number,
  out?: Step[],
  holder?: { nf: NsNetfilter | undefined },
  c?: NfCaches,
): NfVerdict {
  // `holder` (the walk's per-namespace info) keeps the view: one pointer, not a lookup in a
  // table of every namespace. Without one (tests), the view is built for this call only.
  let nf = holder?.nf;
  if (!nf) {
    nf = netfilterOf(ns, c ?? nfCaches());
    if (holder) holder.nf = nf;
  }
  // Steps go straight into `out` when given (the walk's hop: no copy).
  const steps: Step[] = out ?? [];
  for (const b of hookList(natAllowed ? nf.hooks : nf.hooksNoNat, hook)) {
    if (from !== undefined && b.prio < from) continue;
    if (to !== undefined && b.prio >= to) continue;
    if (b.kind === "ipt") {
      // The built-in chain and its policy are resolved once per namespace (no Map lookups per packet).
      if (b.segs === undefined) {
        const segs = (b.segs = nf.iptChain(b.table, hook) ?? null);
        b.dropPolicy = segs?.find((s) => s.chain.policy)?.chain.policy === "DROP";
      }
      const r = evalIptBuiltin(b.table, b.segs, b.dropPolicy, nf, hook, env, steps);
      if (r.verdict !== "accept") return { verdict: r.verdict, object: r.object, steps, drop: r.drop };
    } else {
      const r = evalNftChain(b.table, b.chain, env, steps);
      if (r.verdict !== "accept")
        return { verdict: r.verdict, object: r.object, steps, drop: r.drop, ...(r.detail ? { detail: r.detail } : {}) };
    }
  }
  return { verdict: "accept", steps };
}

/** `hooks[hook]` without a keyed load (one site seeing five names went megamorphic). */
function hookList(h: Record<Hook, BaseRef[]>, hook: Hook): BaseRef[] {
  switch (hook) {
    case "PREROUTING":
      return h.PREROUTING;
    case "INPUT":
      return h.INPUT;
    case "FORWARD":
      return h.FORWARD;
    case "OUTPUT":
      return h.OUTPUT;
    default:
      return h.POSTROUTING;
  }
}

export type { Hook, NftView };
