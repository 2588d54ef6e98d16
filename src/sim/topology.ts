// Indexes over the IR, built once per IR object and cached. Lazy on purpose: buildIR
// materialises a node's namespaces on first access, so a trace must only touch the
// namespaces its packet visits (and their immediate neighbours).

import type {
  DataplaneIR,
  FdbEntry,
  IptLayer,
  IpvsVirtualServer,
  Link,
  Neighbour,
  NetNs,
  NftTable,
  NodeNet,
  PodNet,
  Route,
} from "../ir/types.js";
import { addrOf, ipToInt, parsePrefix } from "../net/ipv4.js";
import { CROWDED, isMember, SharedIndex } from "./shared-index.js";
import { compileFib, fibLookup, FIB_INDEX_MAX, routeKey, type CRoute, type Fib, type RouteCaches } from "./fib.js";
import type { NfCaches, NsNetfilter } from "./netfilter.js";
import type { CompactRef } from "./netfilter-segments.js";
import type { NftView } from "./nftables.js";
import type { StepObject } from "./trace.js";

export interface Owner {
  ns: NetNs;
  dev: string;
  /** The ARP answer as a trace shows it, filled by the walk on first use (arpOwner's owners are one object per question). */
  arp?: { mac: string; owner: Owner; detail: string; obj: { kind: "neigh"; text: string } };
  /** The bridge port that leads to it, as the walk last found it (by namespace and bridge). */
  fdb?: { ns: NetNs; br: Link; mac: string; v: PortAnswer | null };
}

/** A veth's far end and the step that crosses it (see Walk.l2Send); null: the peer is missing. */
export interface VethEnd {
  pns: NetNs;
  pinf: NsInfo;
  pl: Link;
  detail: string;
  obj: StepObject;
}

/** The bridge port that leads to a MAC, with its link and (a veth) far end, filled on first use. */
export interface PortAnswer {
  port: string;
  obj: { kind: "fdb"; text: string };
  learned: boolean;
  link: Link | undefined;
  veth: VethEnd | null | undefined;
}

const NO_PORTS = new Map<string, Map<string, string>>();
const NO_LINKS: Link[] = [];

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
  /** VXLAN and IPIP devices, in link order (a tunnel endpoint is looked up per decapsulated packet). */
  tunnels: Link[];
  /** ARP answers on this namespace's segments: device → address → owner (see arpOwner). */
  arp: Map<string, Map<number, Owner | null>> | undefined;
  /** The topology's ARP generation the answers belong to (a new outside address invalidates them all). */
  arpGen: number;
  /** The namespace's netfilter view (netfilterOf), kept here: one pointer instead of a lookup in a table of every namespace. */
  nf: NsNetfilter | undefined;
  /**
   * The sysctls a packet asks on every pass, read once (an IR namespace's sysctls are a
   * record of many keys: a dictionary lookup in a cold object per packet at 5,000 nodes).
   * `forwarding`: net.ipv4.ip_forward, else net.ipv4.conf.all.forwarding; `brNf`: net.bridge.bridge-nf-call-iptables is 1.
   */
  forwarding: string | undefined;
  brNf: boolean;
  /**
   * Source validation (rp_filter) per arrival device: the larger of conf.all and
   * conf.DEV (kernel Documentation/networking/ip-sysctl.rst); `all` for devices not
   * listed. Undefined when no device validates (the default, 0), so a packet asks nothing.
   */
  rpFilter: { all: number; dev: Map<string, number> } | undefined;
  /**
   * The last answers of local delivery here (a pod's listener for a protocol, port and
   * address; the VXLAN device for a port and VNI), with their step texts: the walk reads one
   * field instead of the pod's listeners and their link objects, cold at 5,000 nodes.
   */
  delivered:
    | { proto: string; port: number; dst: number; container: string; lport: number; detail: string; obj: StepObject }
    | undefined;
  vxlanAt: { port: number; vni: number | undefined; link: Link; detail: string; obj: StepObject } | undefined;
  /** Bridge name → (peer key "nsid\0dev" → port name). */
  ports: Map<string, Map<string, string>>;
  /** Lookups (cached per key; the tables can hold one entry per node). */
  neigh(dev: string, ip: string): Neighbour | undefined;
  fdbSelf(dev: string, mac: string): FdbEntry | undefined;
  fdbBridge(master: string, mac: string): FdbEntry | undefined;
}

/**
 * `list.find(x => pred(x, a, b))` where pred implies keyOf(x) === b. Big lists (one entry
 * per node) are looked up in the topology's shared index (see SharedIndex); small ones
 * get a cache.
 */
const NOTHING = (): undefined => undefined;

function cachedFind<T extends object>(
  list: T[],
  pred: (x: T, a: string, b: string) => boolean,
  shared: { index: SharedIndex<T, string>; bits?: Uint32Array },
): (a: string, b: string) => T | undefined {
  // Most namespaces (150,000 pods) have no neighbours or FDB entries in the IR: no cache for them.
  if (list.length === 0) return NOTHING;
  if (list.length > FIB_INDEX_MAX) {
    // The FDB's two lookups share one bitset (both key on the MAC).
    const bits = (shared.bits ??= shared.index.members(list));
    let crowded: Map<string, Map<string, T | null>> | undefined;
    return (a, b) => {
      const c = shared.index.candidates(b);
      if (!c) return undefined;
      if (c.items.length > CROWDED) {
        // Per-node entries of one kind: a scan of this table, remembered.
        let m = (crowded ??= new Map()).get(a);
        if (!m) crowded.set(a, (m = new Map()));
        const hit = m.get(b);
        if (hit !== undefined) return hit ?? undefined;
        const v = list.find((x) => pred(x, a, b));
        m.set(b, v ?? null);
        return v;
      }
      let found: T | undefined;
      for (let i = 0; i < c.items.length; i++) {
        if (!isMember(bits, c.ids[i]) || !pred(c.items[i], a, b)) continue;
        // Two entries answer: the table's order decides (the kernel's first match).
        if (found) return list.find((x) => pred(x, a, b));
        found = c.items[i];
      }
      return found;
    };
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
  /** The interpreter's caches over this IR (one object: see CompiledIR). */
  compiled: CompiledIR;
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
  arpOwner(ns: NetNs, dev: string, ip: number, known?: NsInfo): Owner | undefined;
  /** Are two links on one layer-2 segment? */
  connected(a: Owner, b: Owner): boolean;
  /** The namespace owning an outside address: the underlay's own, or the synthetic client given that address. */
  externalAt(ip: string): NetNs;
}

// The interpreter's caches over one DataplaneIR, owned by one object: made with the IR's
// topology (topologyOf, the one table keyed by the IR) and reached through it, so that a
// trace's caches go with its IR. Each is keyed by an IR object (shared and read-only: a
// route, a link, a neighbour) or by text, and filled on first use.
// What stays module-level in src/sim, on purpose: the intern tables that share compiled
// iptables rules and segments ACROSS IRs by text (iptables.ts ruleByText, netfilter-segments.ts
// segByText, each capped), the process-wide budget of compact chains (compactMaps), the
// string numbering of nft set keys (nft-expr.ts interned), and side tables of single IR
// objects on the rule-evaluation path (a rule's, chain's, set's or expression's compiled
// form: WeakMaps whose entries die with their key), which would otherwise need this object
// threaded through every compile and match call. Each says so where it is declared.
/** An ipset's members indexed by shape (see ipsetMatch). */
export interface IpsetIndex {
  exact: Set<string>;
  nets: [number, number][];
  shape: string[];
}

export class CompiledIR implements RouteCaches, NfCaches {
  /** A route's compiled form (routes are shared across nodes by the builder: one each). */
  readonly croutes = new WeakMap<Route, CRoute>();
  /** Prefix-length lists of big route tables, by the list as text: every node's table has the same few. */
  readonly lensByKey = new Map<string, { len: number; mask: number }[]>();
  /** A link's step object (its `ip link` line). */
  readonly linkObjs = new WeakMap<Link, StepObject>();
  /** A veth's far end and its step (null: the peer is missing), per link. */
  readonly vethEnds = new WeakMap<Link, VethEnd | null>();
  /** A neighbour entry's answer and step, per entry. */
  readonly neighSays = new WeakMap<object, { mac: string; detail: string; obj: StepObject }>();
  /** A VXLAN FDB entry's step object, per entry. */
  readonly fdbObjs = new WeakMap<object, StepObject>();
  /** A route's `ip route` line. */
  readonly routeTexts = new WeakMap<Route, string>();
  /** ipset members (WalkOptions.ipsets' arrays) indexed for matching. */
  readonly ipsets = new WeakMap<(string | number)[], IpsetIndex>();
  /** A node's IPVS virtual servers by "proto/address/port". */
  readonly ipvs = new WeakMap<IpvsVirtualServer[], Map<string, IpvsVirtualServer>>();
  /** nftables base chains' names per table object (netfilterOf). */
  readonly hookedNames = new WeakMap<NftTable, string[]>();
  /** A table contributed by one layer: its view for every namespace, per owner (netfilterOf). */
  readonly nftViews = new WeakMap<NftTable, Map<string, NftView>>();
  /** A layer's compact chains per table: the handle on its bounded cache (netfilter-segments.ts compactRef). */
  readonly compactRefs = new WeakMap<IptLayer, CompactRef[]>();
}

export const lkey = (nsId: string, dev: string) => nsId + "\0" + dev;

/** The one table keyed by the IR: its topology, which holds its caches (CompiledIR). */
const cache = new WeakMap<DataplaneIR, Topology>();

export function topologyOf(ir: DataplaneIR): Topology {
  let t = cache.get(ir);
  if (!t) cache.set(ir, (t = build(ir)));
  return t;
}

// ~280 lines on purpose: the topology's lookups are closures over the maps built here (per
// IR, filled lazily); split, they would become an object of those maps passed to each.
function build(ir: DataplaneIR): Topology {
  const compiled = new CompiledIR();
  const podsByKey = new Map<string, PodNet>();
  const podsByName = new Map<string, PodNet[]>();
  const podByIp = new Map<number, PodNet>();
  const nodesByName = new Map<string, NodeNet>();
  const nodeByAddr = new Map<number, NodeNet>();
  const hostPods = new Map<string, PodNet[]>();
  for (const n of ir.nodes) {
    nodesByName.set(n.name, n);
    nodeByAddr.set(ipToInt(n.address), n);
    // MetalLB layer 2: the elected node holds the LoadBalancer IP (its eth0 answers ARP).
    if (n.announces) for (const ip of n.announces) nodeByAddr.set(ipToInt(ip), n);
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
    routes: ir.underlay?.subnet
      ? [{ table: "main", type: "unicast", dst: ir.underlay.subnet, dev: "eth0", scope: "link", proto: "kernel" }]
      : [],
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

  // Big tables' shared entries, indexed once for every namespace of this IR (see SharedIndex).
  const routeIndex = new SharedIndex<CRoute, number>((r) => routeKey(r.net));
  const neighIndex = new SharedIndex<Neighbour, string>((n) => n.ip);
  const fdbIndex = new SharedIndex<FdbEntry, string>((f) => f.mac);
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
      derived.push({
        table: "local",
        type: "local",
        dst: addrOf(a.cidr),
        dev: a.dev,
        scope: "host",
        proto: "kernel",
        src: addrOf(a.cidr),
      });
      if (a.broadcast) broadcast.add(ipToInt(a.broadcast));
    }
    if (links.has("lo"))
      derived.push({
        table: "local",
        type: "local",
        dst: "127.0.0.0/8",
        dev: "lo",
        scope: "host",
        proto: "kernel",
        src: "127.0.0.1",
      });
    const irLocal = ns.routes.filter((r) => r.table === "local");
    for (const r of irLocal) {
      if (r.type === "local") {
        const c = parsePrefix(r.dst);
        if (c.len === 32) localAddrs.add(c.net);
      }
      if (r.type === "broadcast") broadcast.add(parsePrefix(r.dst).net);
    }
    // The kernel derives local routes from addresses; the IR's own local table wins on conflicts.
    const localRoutes = [
      ...irLocal,
      ...derived.filter((d) => !irLocal.some((r) => r.dst === d.dst || r.dst === d.dst + "/32")),
    ];
    // Most namespaces (pods) have no bridge: one shared empty map for them.
    const ports =
      ns.links.some((l) => l.master) || ir.underlay?.ns === ns ? new Map<string, Map<string, string>>() : NO_PORTS;
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
    const neigh = cachedFind<Neighbour>(ns.neighbours, (n, dev, ip) => n.dev === dev && n.ip === ip, {
      index: neighIndex,
    });
    const fdbShared = { index: fdbIndex };
    const fdbSelf = cachedFind<FdbEntry>(
      ns.fdb,
      (f, dev, mac) => f.dev === dev && f.mac === mac && !(f.master && !f.self),
      fdbShared,
    );
    const fdbBridge = cachedFind<FdbEntry>(
      ns.fdb,
      (f, master, mac) => f.master === master && f.mac === mac && !f.self,
      fdbShared,
    );
    const tunnels = ns.links.filter((l) => l.kind === "vxlan" || l.kind === "ipip");
    i = {
      ns,
      links,
      local: compileFib(compiled, localRoutes, "local", routeIndex),
      main: compileFib(compiled, ns.routes, "main", routeIndex),
      localAddrs,
      broadcast,
      addrDev,
      tunnels: tunnels.length ? tunnels : NO_LINKS,
      arp: undefined,
      arpGen: 0,
      nf: undefined,
      pod,
      node,
      ports,
      neigh,
      fdbSelf,
      fdbBridge,
      forwarding: ns.sysctls["net.ipv4.ip_forward"] ?? ns.sysctls["net.ipv4.conf.all.forwarding"],
      brNf: ns.sysctls["net.bridge.bridge-nf-call-iptables"] === "1",
      rpFilter: rpFilterOf(ns.sysctls),
      delivered: undefined,
      vxlanAt: undefined,
    };
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
  let arpGen = 0;
  // `known`: the namespace's info when the caller has it (one lookup fewer on a cold namespace).
  const arpOwner = (ns: NetNs, dev: string, ip: number, known?: NsInfo): Owner | undefined => {
    const inf = known ?? info(ns);
    let byDev = inf.arp;
    if (!byDev || inf.arpGen !== arpGen) {
      inf.arp = byDev = new Map();
      inf.arpGen = arpGen;
    }
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
      const o: Owner = { ns: c, dev: d, arp: undefined, fdb: undefined };
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
      arpGen++;
    }
    return externalNs;
  };

  return {
    ir,
    compiled,
    nsOf,
    podsByKey,
    podsByName,
    nodesByName,
    hostPods,
    podByIp,
    externalNs,
    info,
    arpOwner,
    connected,
    externalAt,
  };
}

export function isLocalAddr(inf: NsInfo, ip: number): boolean {
  if (inf.localAddrs.has(ip)) return true;
  const r = fibLookup(inf.local, ip);
  return !!r && r.type === "local";
}

/** NsInfo.rpFilter from a namespace's sysctls (read once per namespace). */
function rpFilterOf(sysctls: Record<string, string>): NsInfo["rpFilter"] {
  const all = Number(sysctls["net.ipv4.conf.all.rp_filter"] ?? 0) || 0;
  let dev: Map<string, number> | undefined;
  for (const k in sysctls) {
    if (!k.endsWith(".rp_filter") || !k.startsWith("net.ipv4.conf.")) continue;
    const d = k.slice(14, -10);
    if (d === "all" || d === "default") continue;
    const v = Math.max(all, Number(sysctls[k]) || 0);
    if (v) (dev ??= new Map()).set(d, v);
  }
  return all || dev ? { all, dev: dev ?? new Map() } : undefined;
}
