// Route tables compiled for lookups (a namespace's local and main tables): small tables as
// one array scanned in lookup order, big ones (a full mesh: one route per node) through the
// topology's shared index, the rest by prefix length. topology.ts builds them per namespace.

import type { Link, Route } from "../ir/types.js";
import { ipToInt, maskOf, parsePrefix } from "../net/ipv4.js";
import { CROWDED, isMember, type SharedIndex } from "./shared-index.js";

export interface CRoute {
  route: Route;
  /** route.type, and the device a packet leaves by ("lo" for a local route): read on every packet, kept here (the IR route object is one more cold load at 5,000 nodes). */
  type: Route["type"];
  outDev: string | undefined;
  net: number;
  len: number;
  /** The prefix mask (precomputed: big tables are scanned). */
  mask: number;
  metric: number;
  via?: number;
  seq: number;
  /** The walk's step object and ROUTED text for this route, made on first use (see routeSay). */
  say: { obj: { kind: "route"; text: string }; how: string } | undefined;
  /**
   * The link of `outDev` in the namespace `linkIn` (the last one that sent by this route): a
   * node's own routes meet the same namespace again, and the route is already in the CPU cache
   * where a lookup by name in a cold namespace's links is not (5,000 nodes). Shared routes just miss.
   * `linkIn` is an NsInfo, typed as an object: topology.ts, which defines NsInfo, imports this
   * file, and the walk only compares it by identity.
   */
  linkIn: object | undefined;
  link: Link | undefined;
}

export interface Fib {
  lens: number[];
  byLen: Map<number, Map<number, CRoute[]>>;
  /**
   * Small tables (a pod's: ~5 routes; 150,000 pods at the thresholds) are one array in lookup
   * order (longest prefix, lowest metric, table order), scanned: no Maps per namespace.
   */
  flat?: CRoute[];
  /**
   * The flat routes' (network, mask) pairs as int32, in `flat`'s order: a scan reads one small
   * array instead of every route object (a node's local table is ~10 routes, most lookups miss
   * them all; at 5,000 nodes each route object was a cache miss).
   */
  flatNm?: Int32Array;
  /**
   * Large tables (a flannel full mesh has one route per node: O(nodes) per node, O(nodes²)
   * in all): the topology's shared index of big-table routes and this table's members.
   */
  big?: {
    index: SharedIndex<CRoute, number>;
    bits: Uint32Array;
    lens: { len: number; mask: number }[];
    routes: Route[];
    table: "local" | "main";
    /** Answers for crowded keys (see CROWDED), by prefix length and network. */
    crowded?: Map<number, Map<number, CRoute | null>>;
    /** The IR's caches (its routes' compiled forms: the topology's CompiledIR). */
    c: RouteCaches;
  };
  /**
   * Large tables of the namespace's own routes (Cilium's tunnel mode: every remote PodCIDR
   * `via` the node's own router IP, a distinct object on every node): not in the shared index
   * (5,000 fresh entries per node made it and its bitsets quadratic), but a slot per
   * destination prefix of the topology (DstIds, shared) → the table's answer for it.
   */
  own?: {
    lens: OwnLen[];
    /** By destination id: 1 + the index in `routes` of this table's route for it, 0 = none. */
    slot: Int32Array;
    routes: Route[];
    table: "local" | "main";
    c: RouteCaches;
  };
}

/** A prefix length of own tables with the topology's ids of its networks (shared: every node's table has the same few). */
interface OwnLen {
  len: number;
  mask: number;
  ids: Map<number, number>;
}

/** Destination prefixes of own tables, one id each, per topology (see Fib.own). */
interface DstIds {
  byText: Map<string, { id: number; len: number; net: number }>;
  byLen: Map<number, OwnLen>;
  lensByKey: Map<string, OwnLen[]>;
  next: number;
}
const dstIdsOf = new WeakMap<RouteCaches, DstIds>();

/** The caches of the topology's CompiledIR that route compilation fills. */
export interface RouteCaches {
  /** A route's compiled form (routes are shared across nodes by the builder: one each). */
  readonly croutes: WeakMap<Route, CRoute>;
  /** Prefix-length lists of big route tables, by the list as text: every node's table has the same few. */
  readonly lensByKey: Map<string, { len: number; mask: number }[]>;
}

export const FIB_INDEX_MAX = 256;
const FLAT_MAX = 24;
const NO_LENS: number[] = [];
const NO_LEN_MAP = new Map<number, Map<number, CRoute[]>>();

// Route objects are shared across nodes by the builder: compile each once.
function croute(c: RouteCaches, r: Route): CRoute {
  const croutes = c.croutes;
  let cr = croutes.get(r);
  if (!cr) {
    const c = parsePrefix(r.dst);
    cr = {
      route: r,
      type: r.type,
      outDev: r.type === "local" ? "lo" : r.dev,
      net: c.net,
      len: c.len,
      mask: c.mask,
      metric: r.metric ?? 0,
      via: r.via ? ipToInt(r.via) : undefined,
      seq: 0,
      say: undefined,
      linkIn: undefined,
      link: undefined,
    };
    croutes.set(r, cr);
  }
  return cr;
}

/**
 * A big route's key in the shared index: its network as an int32 (a small integer for V8's
 * Maps: no heap number per lookup). Routes of several prefix lengths can share a network.
 */
export const routeKey = (net: number) => net | 0;
const croutesOf = (c: RouteCaches, routes: Route[], table: "local" | "main") =>
  routes.filter((r) => (r.table ?? "main") === table).map((r) => croute(c, r));

export function compileFib(
  c: RouteCaches,
  routes: Route[],
  table: "local" | "main",
  index: SharedIndex<CRoute, number>,
): Fib {
  if (routes.length > FIB_INDEX_MAX) {
    if (ownNextHop(routes, table)) return ownFib(c, routes, table);
    const rs = croutesOf(c, routes, table);
    if (rs.length > FIB_INDEX_MAX) {
      const lens = sharedLens(
        c,
        [...new Set(rs.map((r) => r.len))].sort((a, b) => b - a),
      );
      return { lens: NO_LENS, byLen: NO_LEN_MAP, big: { index, bits: index.members(rs), lens, routes, table, c } };
    }
  }
  if (routes.length <= FLAT_MAX) {
    const rs = croutesOf(c, routes, table);
    // Stable sort: equal prefix length and metric keep the table's order.
    rs.sort((a, b) => b.len - a.len || a.metric - b.metric);
    const nm = new Int32Array(rs.length * 2);
    for (let i = 0; i < rs.length; i++) {
      nm[2 * i] = rs[i].net | 0;
      nm[2 * i + 1] = rs[i].mask | 0;
    }
    return { lens: NO_LENS, byLen: NO_LEN_MAP, flat: rs, flatNm: nm };
  }
  const byLen = new Map<number, Map<number, CRoute[]>>();
  for (const r of routes) {
    if ((r.table ?? "main") !== table) continue;
    const cr = croute(c, r);
    let m = byLen.get(cr.len);
    if (!m) byLen.set(cr.len, (m = new Map()));
    const l = m.get(cr.net);
    if (l) l.push(cr);
    else m.set(cr.net, [cr]);
  }
  // Same prefix: lowest metric first; ties keep the table's order (stable sort).
  for (const m of byLen.values()) for (const l of m.values()) if (l.length > 1) l.sort((a, b) => a.metric - b.metric);
  return { lens: [...byLen.keys()].sort((a, b) => b - a), byLen };
}

/**
 * A big table whose routes mostly share one next hop holds the namespace's own routes: the
 * flavors share a full mesh's route objects across nodes (one next hop per remote node, one
 * object each), while Cilium's tunnel routes all go via the node's own router IP
 * (pkg/datapath/linux/node.go in github.com/cilium/cilium: `<remote PodCIDR> via <router IP>
 * dev cilium_host src <router IP>`), a fresh object per node and remote node.
 */
function ownNextHop(routes: Route[], table: "local" | "main"): boolean {
  const n = new Map<string | undefined, number>();
  let all = 0;
  let top = 0;
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i];
    if ((r.table ?? "main") !== table) continue;
    all++;
    const k = (n.get(r.via) ?? 0) + 1;
    n.set(r.via, k);
    if (k > top) top = k;
  }
  return all > FIB_INDEX_MAX && 2 * top > all;
}

function ownFib(c: RouteCaches, routes: Route[], table: "local" | "main"): Fib {
  let d = dstIdsOf.get(c);
  if (!d) dstIdsOf.set(c, (d = { byText: new Map(), byLen: new Map(), lensByKey: new Map(), next: 0 }));
  const ids: number[] = [];
  const metric: number[] = [];
  const lenSet = new Set<number>();
  let max = -1;
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i];
    if ((r.table ?? "main") !== table) {
      ids.push(-1);
      metric.push(0);
      continue;
    }
    let e = d.byText.get(r.dst);
    if (!e) {
      const p = parsePrefix(r.dst);
      let l = d.byLen.get(p.len);
      if (!l) d.byLen.set(p.len, (l = { len: p.len, mask: p.mask, ids: new Map() }));
      let id = l.ids.get(p.net | 0);
      if (id === undefined) l.ids.set(p.net | 0, (id = d.next++));
      d.byText.set(r.dst, (e = { id, len: p.len, net: p.net }));
    }
    ids.push(e.id);
    metric.push(r.metric ?? 0);
    lenSet.add(e.len);
    if (e.id > max) max = e.id;
  }
  // Per destination the lowest metric, then the table's order (the kernel's first match).
  const slot = new Int32Array(max + 1);
  for (let i = 0; i < routes.length; i++) {
    const id = ids[i];
    if (id < 0) continue;
    const s = slot[id];
    if (s === 0 || metric[i] < metric[s - 1]) slot[id] = i + 1;
  }
  const lens = [...lenSet].sort((a, b) => b - a);
  const k = lens.join(",");
  let ol = d.lensByKey.get(k);
  if (!ol) d.lensByKey.set(k, (ol = lens.map((len) => d.byLen.get(len)!)));
  return { lens: NO_LENS, byLen: NO_LEN_MAP, own: { lens: ol, slot, routes, table, c } };
}

/** Prefix-length lists of big tables, one per distinct list: every node's table has the same few (hot in the CPU cache). */
function sharedLens(c: RouteCaches, lens: number[]): { len: number; mask: number }[] {
  const lensByKey = c.lensByKey;
  const k = lens.join(",");
  let l = lensByKey.get(k);
  if (!l) lensByKey.set(k, (l = lens.map((len) => ({ len, mask: maskOf(len) }))));
  return l;
}

/** A crowded key's route in this table (a scan of the table once per key, remembered). */
function crowdedRoute(big: NonNullable<Fib["big"]>, len: number, net: number): CRoute | undefined {
  const byLen = (big.crowded ??= new Map());
  let m = byLen.get(len);
  if (!m) byLen.set(len, (m = new Map()));
  const hit = m.get(net | 0);
  if (hit !== undefined) return hit ?? undefined;
  let best: CRoute | undefined;
  for (const r of croutesOf(big.c, big.routes, big.table))
    if (r.len === len && r.net === net && (!best || r.metric < best.metric)) best = r;
  m.set(net | 0, best ?? null);
  return best;
}

/** Longest prefix, then lowest metric, then table order, over a plain list. */
function scanFib(routes: CRoute[], ip: number, filter?: (r: CRoute) => boolean): CRoute | undefined {
  let best: CRoute | undefined;
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i];
    if ((ip & r.mask) >>> 0 !== r.net) continue;
    if (filter && !filter(r)) continue;
    if (!best || r.len > best.len || (r.len === best.len && r.metric < best.metric)) best = r;
  }
  return best;
}

export function fibLookup(fib: Fib, ip: number, filter?: (r: CRoute) => boolean): CRoute | undefined {
  const flat = fib.flat;
  if (flat) {
    const nm = fib.flatNm!;
    const x = ip | 0;
    for (let i = 0, j = 0; i < flat.length; i++, j += 2) {
      // int32 compare: the same as ((ip & mask) >>> 0) === net on uint32s.
      if ((x & nm[j + 1]) === nm[j] && (!filter || filter(flat[i]))) return flat[i];
    }
    return undefined;
  }
  const big = fib.big;
  if (big && !filter) {
    // Longest prefix first; within one prefix the lowest metric, then table order.
    for (const { len, mask } of big.lens) {
      const c = big.index.candidates(routeKey(ip & mask));
      if (!c) continue;
      if (c.items.length > CROWDED) {
        const r = crowdedRoute(big, len, (ip & mask) >>> 0);
        if (r) return r;
        continue;
      }
      let best: CRoute | undefined;
      let tie = false;
      for (let i = 0; i < c.items.length; i++) {
        const r = c.items[i];
        if (r.len !== len || !isMember(big.bits, c.ids[i])) continue;
        if (!best || r.metric < best.metric) {
          best = r;
          tie = false;
        } else if (r.metric === best.metric) tie = true;
      }
      if (tie) return scanFib(croutesOf(big.c, big.routes, big.table), ip);
      if (best) return best;
    }
    return undefined;
  }
  if (big) return scanFib(croutesOf(big.c, big.routes, big.table), ip, filter);
  const own = fib.own;
  if (own) {
    if (filter) return scanFib(croutesOf(own.c, own.routes, own.table), ip, filter);
    const slot = own.slot;
    for (let i = 0; i < own.lens.length; i++) {
      const l = own.lens[i];
      const id = l.ids.get((ip & l.mask) | 0);
      if (id === undefined || id >= slot.length || slot[id] === 0) continue;
      return croute(own.c, own.routes[slot[id] - 1]);
    }
    return undefined;
  }
  for (const len of fib.lens) {
    const l = fib.byLen.get(len)!.get((ip & maskOf(len)) >>> 0);
    if (!l) continue;
    for (const r of l) if (!filter || filter(r)) return r;
  }
  return undefined;
}
