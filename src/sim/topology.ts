// Indexes over the IR, built once per IR object and cached. Lazy on purpose: buildIR
// materialises a node's namespaces on first access, so a trace must only touch the
// namespaces its packet visits (and their immediate neighbours).

import type { DataplaneIR, FdbEntry, Link, Neighbour, NetNs, NodeNet, PodNet, Route } from "../ir/types.js";
import { addrOf, ipToInt, maskOf, parseCidr } from "./ip.js";

export interface Owner {
  ns: NetNs;
  dev: string;
}

export interface CRoute {
  route: Route;
  net: number;
  len: number;
  /** The prefix mask (precomputed: big tables are scanned). */
  mask: number;
  metric: number;
  via?: number;
  seq: number;
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
   * Large tables (a flannel full mesh has one route per node: O(nodes) per node, O(nodes²)
   * in all) are not indexed per namespace; lookups scan the shared compiled routes once
   * per destination and remember the answer.
   */
  big?: { routes: CRoute[]; groups?: LenGroup[] };
}

const FIB_INDEX_MAX = 256;
const FLAT_MAX = 24;
const NO_LENS: number[] = [];
const NO_LEN_MAP = new Map<number, Map<number, CRoute[]>>();
const NO_PORTS = new Map<string, Map<string, string>>();

/**
 * A big table's routes of one prefix length, sorted by (network, table order); `nets`
 * and `pos` are absent when the table itself is in that order (one route per node,
 * in node order: the usual case, no copy needed).
 */
interface LenGroup {
  mask: number;
  pos?: Int32Array;
}

/** Built on the first lookup: typed arrays, 8 bytes a route (a table can hold one route per node). */
function lenGroups(routes: CRoute[]): LenGroup[] {
  let inOrder = true;
  for (let i = 1; i < routes.length && inOrder; i++) inOrder = routes[i].len === routes[0].len && routes[i].net >= routes[i - 1].net;
  if (inOrder && routes.length) return [{ mask: maskOf(routes[0].len) }];
  const byLen = new Map<number, number[]>();
  for (let i = 0; i < routes.length; i++) {
    const l = byLen.get(routes[i].len);
    if (l) l.push(i);
    else byLen.set(routes[i].len, [i]);
  }
  return [...byLen.keys()]
    .sort((a, b) => b - a)
    .map((len) => {
      const idx = byLen.get(len)!;
      let sorted = true;
      for (let i = 1; i < idx.length && sorted; i++) sorted = routes[idx[i]].net >= routes[idx[i - 1]].net;
      if (!sorted) idx.sort((a, b) => routes[a].net - routes[b].net || a - b);
      return { mask: maskOf(len), pos: Int32Array.from(idx) };
    });
}


export interface NsInfo {
  ns: NetNs;
  links: Map<string, Link>;
  local: Fib;
  main: Fib;
  localAddrs: Set<number>;
  broadcast: Set<number>;
  /** Address → device holding it. */
  addrDev: Map<number, string>;
  pod?: PodNet;
  node?: NodeNet;
  /** Bridge name → (peer key "nsid\0dev" → port name). */
  ports: Map<string, Map<string, string>>;
  /** Lookups (cached per key; the tables can hold one entry per node). */
  neigh(dev: string, ip: string): Neighbour | undefined;
  fdbSelf(dev: string, mac: string): FdbEntry | undefined;
  fdbBridge(master: string, mac: string): FdbEntry | undefined;
}

/**
 * `list.find(x => pred(x, a, b))` where pred implies keyOf(x) === b. Big lists (one entry
 * per node) get a sorted index of positions on first use (4 bytes an entry) instead of
 * a scan per lookup; small ones a cache.
 */
/** One index per list (the FDB's two lookups share theirs: both key on the MAC). */
const sortedIx = new WeakMap<object, Int32Array>();
const NOTHING = (): undefined => undefined;

function cachedFind<T>(list: T[], keyOf: (x: T) => string, pred: (x: T, a: string, b: string) => boolean): (a: string, b: string) => T | undefined {
  // Most namespaces (150,000 pods) have no neighbours or FDB entries in the IR: no cache for them.
  if (list.length === 0) return NOTHING;
  if (list.length > FIB_INDEX_MAX) {
    // Answers are remembered too: traces keep asking for the same few neighbours.
    const memo = new Map<string, Map<string, T | null>>();
    return (a, b) => {
      let m = memo.get(a);
      if (!m) memo.set(a, (m = new Map()));
      const hit = m.get(b);
      if (hit !== undefined) return hit ?? undefined;
      const v = bigFind(a, b);
      m.set(b, v ?? null);
      return v;
    };
    function bigFind(a: string, b: string): T | undefined {
      let ix = sortedIx.get(list);
      if (!ix) {
        const keys = list.map(keyOf);
        ix = Int32Array.from(keys.map((_, i) => i).sort((x, y) => (keys[x] < keys[y] ? -1 : keys[x] > keys[y] ? 1 : x - y)));
        sortedIx.set(list, ix);
      }
      let lo = 0;
      let hi = ix.length;
      while (lo < hi) {
        const m = (lo + hi) >>> 1;
        if (keyOf(list[ix[m]]) < b) lo = m + 1;
        else hi = m;
      }
      for (let i = lo; i < ix.length; i++) {
        const x = list[ix[i]];
        if (keyOf(x) !== b) break;
        if (pred(x, a, b)) return x;
      }
      return undefined;
    }
  }
  // Two levels keyed by the caller's own strings: no key is built per lookup.
  const cache = new Map<string, Map<string, T | null>>();
  return (a, b) => {
    let m = cache.get(a);
    if (!m) cache.set(a, (m = new Map()));
    const hit = m.get(b);
    if (hit !== undefined) return hit ?? undefined;
    let v: T | undefined;
    for (let i = 0; i < list.length; i++) {
      if (pred(list[i], a, b)) {
        v = list[i];
        break;
      }
    }
    m.set(b, v ?? null);
    return v;
  };
}

export const EXTERNAL = "external";
/** The external client's virtual port on the underlay bridge. */
export const EXTERNAL_PORT = "(external)";

export interface Topology {
  ir: DataplaneIR;
  nsOf(id: string): NetNs | undefined;
  podsByKey: Map<string, PodNet>;
  podsByName: Map<string, PodNet[]>;
  nodesByName: Map<string, NodeNet>;
  hostPods: Map<string, PodNet[]>;
  /** Pod IP → pod (not hostNetwork). */
  podByIp: Map<number, PodNet>;
  externalNs: NetNs;
  info(ns: NetNs): NsInfo;
  /** Who answers ARP for `ip` on the segment of (ns, dev), if anyone owns it there. */
  arpOwner(ns: NetNs, dev: string, ip: number): Owner | undefined;
  /** Are two links on one layer-2 segment? */
  connected(a: Owner, b: Owner): boolean;
  /** The namespace owning an outside address: the underlay's own, or the synthetic client given that address. */
  externalAt(ip: string): NetNs;
}

export const lkey = (nsId: string, dev: string) => nsId + "\0" + dev;

const cache = new WeakMap<DataplaneIR, Topology>();

export function topologyOf(ir: DataplaneIR): Topology {
  let t = cache.get(ir);
  if (!t) cache.set(ir, (t = build(ir)));
  return t;
}

// Route objects are shared across nodes by the builder: compile each once.
const croutes = new WeakMap<Route, CRoute>();
function croute(r: Route): CRoute {
  let cr = croutes.get(r);
  if (!cr) {
    const c = parseCidr(r.dst);
    cr = { route: r, net: c.net, len: c.len, mask: c.mask, metric: r.metric ?? 0, seq: 0 };
    if (r.via) cr.via = ipToInt(r.via);
    croutes.set(r, cr);
  }
  return cr;
}

function compileFib(routes: Route[], table: "local" | "main"): Fib {
  if (routes.length > FIB_INDEX_MAX) {
    const rs: CRoute[] = [];
    for (const r of routes) if ((r.table ?? "main") === table) rs.push(croute(r));
    if (rs.length > FIB_INDEX_MAX) return { lens: [], byLen: new Map(), big: { routes: rs } };
  }
  if (routes.length <= FLAT_MAX) {
    const rs: CRoute[] = [];
    for (const r of routes) if ((r.table ?? "main") === table) rs.push(croute(r));
    // Stable sort: equal prefix length and metric keep the table's order.
    rs.sort((a, b) => b.len - a.len || a.metric - b.metric);
    return { lens: NO_LENS, byLen: NO_LEN_MAP, flat: rs };
  }
  const byLen = new Map<number, Map<number, CRoute[]>>();
  for (const r of routes) {
    if ((r.table ?? "main") !== table) continue;
    const cr = croute(r);
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

export function fibLookup(fib: Fib, ip: number, filter?: (r: CRoute) => boolean): CRoute | undefined {
  const flat = fib.flat;
  if (flat) {
    for (let i = 0; i < flat.length; i++) {
      const r = flat[i];
      if (((ip & r.mask) >>> 0) === r.net && (!filter || filter(r))) return r;
    }
    return undefined;
  }
  if (fib.big && !filter) {
    // Longest prefix first; within one prefix the lowest metric, then table order.
    const routes = fib.big.routes;
    const groups = (fib.big.groups ??= lenGroups(routes));
    for (const g of groups) {
      const net = (ip & g.mask) >>> 0;
      let best: CRoute | undefined;
      const pos = g.pos;
      if (!pos) {
        let lo = 0;
        let hi = routes.length;
        while (lo < hi) {
          const m = (lo + hi) >>> 1;
          if (routes[m].net < net) lo = m + 1;
          else hi = m;
        }
        for (let i = lo; i < routes.length && routes[i].net === net; i++) if (!best || routes[i].metric < best.metric) best = routes[i];
        if (best) return best;
        continue;
      }
      let lo = 0;
      let hi = pos.length;
      while (lo < hi) {
        const m = (lo + hi) >>> 1;
        if (routes[pos[m]].net < net) lo = m + 1;
        else hi = m;
      }
      for (let i = lo; i < pos.length && routes[pos[i]].net === net; i++) {
        const r = routes[pos[i]];
        if (!best || r.metric < best.metric) best = r;
      }
      if (best) return best;
    }
    return undefined;
  }
  if (fib.big) {
    let best: CRoute | undefined;
    const routes = fib.big.routes;
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i];
      if (((ip & r.mask) >>> 0) !== r.net) continue;
      if (filter && !filter(r)) continue;
      if (!best || r.len > best.len || (r.len === best.len && r.metric < best.metric)) best = r;
    }
    return best;
  }
  for (const len of fib.lens) {
    const l = fib.byLen.get(len)!.get((ip & maskOf(len)) >>> 0);
    if (!l) continue;
    for (const r of l) if (!filter || filter(r)) return r;
  }
  return undefined;
}

function build(ir: DataplaneIR): Topology {
  const podsByKey = new Map<string, PodNet>();
  const podsByName = new Map<string, PodNet[]>();
  const podByIp = new Map<number, PodNet>();
  const nodesByName = new Map<string, NodeNet>();
  const nodeByAddr = new Map<number, NodeNet>();
  const hostPods = new Map<string, PodNet[]>();
  for (const n of ir.nodes) {
    nodesByName.set(n.name, n);
    nodeByAddr.set(ipToInt(n.address), n);
  }
  for (const p of ir.pods) {
    podsByKey.set(`${p.namespace}/${p.name}`, p);
    const l = podsByName.get(p.name);
    if (l) l.push(p);
    else podsByName.set(p.name, [p]);
    if (p.hostNetwork) {
      if (p.node) {
        const hl = hostPods.get(p.node);
        if (hl) hl.push(p);
        else hostPods.set(p.node, [p]);
      }
    } else if (p.ip) podByIp.set(ipToInt(p.ip), p);
  }

  const ext = ir.underlay?.externalClient;
  const prefix = ir.underlay?.subnet ? ir.underlay.subnet.split("/")[1] : "24";
  // The outside client when the IR has no namespace for the requested address: a host on
  // the underlay bridge (a virtual port), default route via the underlay's address.
  const externalNs: NetNs = {
    id: EXTERNAL,
    links: [
      { name: "lo", kind: "loopback", mtu: 65536, mac: "00:00:00:00:00:00", up: true },
      { name: "eth0", kind: "ethernet", mtu: ir.underlay?.mtu ?? 1500, mac: "02:42:c0:a8:ff:fe", up: true },
    ],
    addresses: [],
    routes: ir.underlay?.subnet ? [{ table: "main", type: "unicast", dst: ir.underlay.subnet, dev: "eth0", scope: "link", proto: "kernel" }] : [],
    neighbours: [],
    fdb: [],
    sysctls: {},
    netfilter: { mode: "iptables", iptables: [], nftables: [] },
  };
  void ext;
  void prefix;

  const nsCache = new Map<string, NetNs | undefined>();
  const nsOf = (id: string): NetNs | undefined => {
    if (nsCache.has(id)) return nsCache.get(id);
    let ns: NetNs | undefined;
    if (id === EXTERNAL) ns = externalNs;
    else if (ir.underlay?.ns && id === ir.underlay.ns.id) ns = ir.underlay.ns;
    else if (id.startsWith("node/")) ns = nodesByName.get(id.slice(5))?.ns;
    else if (id.startsWith("pod/")) ns = podsByKey.get(id.slice(4))?.ns;
    if (ns && ns.id !== id) ns = undefined;
    nsCache.set(id, ns);
    return ns;
  };

  const infos = new WeakMap<NetNs, NsInfo>();
  const info = (ns: NetNs): NsInfo => {
    let i = infos.get(ns);
    if (i) return i;
    const links = new Map(ns.links.map((l) => [l.name, l]));
    const localAddrs = new Set<number>();
    const broadcast = new Set<number>();
    const addrDev = new Map<number, string>();
    const derived: Route[] = [];
    for (const a of ns.addresses) {
      const ip = ipToInt(addrOf(a.cidr));
      localAddrs.add(ip);
      if (!addrDev.has(ip)) addrDev.set(ip, a.dev);
      derived.push({ table: "local", type: "local", dst: addrOf(a.cidr), dev: a.dev, scope: "host", proto: "kernel", src: addrOf(a.cidr) });
      if (a.broadcast) broadcast.add(ipToInt(a.broadcast));
    }
    if (links.has("lo")) derived.push({ table: "local", type: "local", dst: "127.0.0.0/8", dev: "lo", scope: "host", proto: "kernel", src: "127.0.0.1" });
    const irLocal = ns.routes.filter((r) => r.table === "local");
    for (const r of irLocal) {
      if (r.type === "local") {
        const c = parseCidr(r.dst);
        if (c.len === 32) localAddrs.add(c.net);
      }
      if (r.type === "broadcast") broadcast.add(parseCidr(r.dst).net);
    }
    // The kernel derives local routes from addresses; the IR's own local table wins on conflicts.
    const localRoutes = [...irLocal, ...derived.filter((d) => !irLocal.some((r) => r.dst === d.dst || r.dst === d.dst + "/32"))];
    // Most namespaces (pods) have no bridge: one shared empty map for them.
    const ports = ns.links.some((l) => l.master) || ir.underlay?.ns === ns ? new Map<string, Map<string, string>>() : NO_PORTS;
    for (const l of ns.links) {
      if (!l.master) continue;
      let m = ports.get(l.master);
      if (!m) ports.set(l.master, (m = new Map()));
      if (l.peer) m.set(lkey(l.peer.ns, l.peer.name), l.name);
    }
    if (ir.underlay?.ns === ns) {
      const br = ns.links.find((l) => l.kind === "bridge");
      if (br) {
        let m = ports.get(br.name);
        if (!m) ports.set(br.name, (m = new Map()));
        m.set(lkey(EXTERNAL, "eth0"), EXTERNAL_PORT);
      }
    }
    const pod = ns.id.startsWith("pod/") ? podsByKey.get(ns.id.slice(4)) : undefined;
    const node = ns.id.startsWith("node/") ? nodesByName.get(ns.id.slice(5)) : undefined;
    const neigh = cachedFind<Neighbour>(ns.neighbours, (n) => n.ip, (n, dev, ip) => n.dev === dev && n.ip === ip);
    const fdbSelf = cachedFind<FdbEntry>(ns.fdb, (f) => f.mac, (f, dev, mac) => f.dev === dev && f.mac === mac && !(f.master && !f.self));
    const fdbBridge = cachedFind<FdbEntry>(ns.fdb, (f) => f.mac, (f, master, mac) => f.master === master && f.mac === mac && !f.self);
    i = { ns, links, local: compileFib(localRoutes, "local"), main: compileFib(ns.routes, "main"), localAddrs, broadcast, addrDev, pod, node, ports, neigh, fdbSelf, fdbBridge };
    infos.set(ns, i);
    return i;
  };

  /** BFS over the segment (veth peers, bridge ports), materialising as little as possible. */
  const connected = (a: Owner, b: Owner): boolean => {
    const target = lkey(b.ns.id, b.dev);
    const start = lkey(a.ns.id, a.dev);
    if (start === target) return true;
    const seen = new Set<string>([start]);
    const q: string[] = [start];
    let budget = 4096;
    while (q.length && budget-- > 0) {
      const k = q.shift()!;
      const z = k.indexOf("\0");
      const ns = k.slice(0, z) === EXTERNAL ? externalNs : nsOf(k.slice(0, z));
      if (!ns) continue;
      const inf = info(ns);
      const dev = k.slice(z + 1);
      const push = (k2: string): boolean => {
        if (k2 === target) return true;
        if (!seen.has(k2)) {
          seen.add(k2);
          q.push(k2);
        }
        return false;
      };
      if (ns === externalNs && dev === "eth0" && ir.underlay?.ns) {
        const br = ir.underlay.ns.links.find((l) => l.kind === "bridge");
        if (br && push(lkey(ir.underlay.ns.id, br.name))) return true;
        continue;
      }
      const link = inf.links.get(dev);
      if (!link) continue;
      if (link.peer && push(lkey(link.peer.ns, link.peer.name))) return true;
      if (link.master && push(lkey(ns.id, link.master))) return true;
      if (link.kind === "bridge") {
        const ports = inf.ports.get(link.name);
        if (ports?.has(target)) return true;
        if (ports) for (const [peer, port] of ports) if (push(lkey(ns.id, port)) || push(peer)) return true;
      }
    }
    return false;
  };

  // (namespace, device) → ip → owner: nested maps, no key string per lookup.
  let arpCache = new WeakMap<NetNs, Map<string, Map<number, Owner | null>>>();
  const arpOwner = (ns: NetNs, dev: string, ip: number): Owner | undefined => {
    let byDev = arpCache.get(ns);
    if (!byDev) arpCache.set(ns, (byDev = new Map()));
    let m = byDev.get(dev);
    if (!m) byDev.set(dev, (m = new Map()));
    const hit = m.get(ip);
    if (hit !== undefined) return hit ?? undefined;
    const o = arpOwnerFind(ns, dev, ip);
    m.set(ip, o ?? null);
    return o;
  };
  const arpOwnerFind = (ns: NetNs, dev: string, ip: number): Owner | undefined => {
    const cands: NetNs[] = [];
    const add = (x: NetNs | undefined) => x && !cands.includes(x) && cands.push(x);
    const p = podByIp.get(ip);
    if (p) add(nsOf(`pod/${p.namespace}/${p.name}`));
    const n = nodeByAddr.get(ip);
    if (n) add(n.ns);
    const l = info(ns).links.get(dev);
    if (l?.peer) add(nsOf(l.peer.ns));
    if (ir.underlay?.ns) add(ir.underlay.ns);
    add(externalNs);
    add(ns);
    for (const c of cands) {
      const d = info(c).addrDev.get(ip);
      if (d === undefined || (c === ns && d === dev)) continue;
      const o = { ns: c, dev: d };
      if (connected({ ns, dev }, o)) return o;
    }
    return undefined;
  };

  const externalAt = (ip: string): NetNs => {
    const u = ir.underlay?.ns;
    if (u && u.addresses.some((a) => addrOf(a.cidr) === ip)) return u;
    if (!externalNs.addresses.some((a) => addrOf(a.cidr) === ip)) {
      externalNs.addresses.push({ dev: "eth0", cidr: `${ip}/32` });
      infos.delete(externalNs);
      arpCache = new WeakMap();
    }
    return externalNs;
  };

  return { ir, nsOf, podsByKey, podsByName, nodesByName, hostPods, podByIp, externalNs, info, arpOwner, connected, externalAt };
}

export function isLocalAddr(inf: NsInfo, ip: number): boolean {
  if (inf.localAddrs.has(ip)) return true;
  const r = fibLookup(inf.local, ip);
  return !!r && r.route.type === "local";
}
