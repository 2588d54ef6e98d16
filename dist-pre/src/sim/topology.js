// Indexes over the IR, built once per IR object and cached. Lazy on purpose: buildIR
// materialises a node's namespaces on first access, so a trace must only touch the
// namespaces its packet visits (and their immediate neighbours).
import { addrOf, ipToInt, maskOf, parsePrefix } from "../net/ipv4.js";
import { CROWDED, isMember, SharedIndex } from "./shared-index.js";
const FIB_INDEX_MAX = 256;
const FLAT_MAX = 24;
const NO_LENS = [];
const NO_LEN_MAP = new Map();
const NO_PORTS = new Map();
const NO_LINKS = [];
/**
 * `list.find(x => pred(x, a, b))` where pred implies keyOf(x) === b. Big lists (one entry
 * per node) are looked up in the topology's shared index (see SharedIndex); small ones
 * get a cache.
 */
const NOTHING = () => undefined;
function cachedFind(list, pred, shared) {
    // Most namespaces (150,000 pods) have no neighbours or FDB entries in the IR: no cache for them.
    if (list.length === 0)
        return NOTHING;
    if (list.length > FIB_INDEX_MAX) {
        // The FDB's two lookups share one bitset (both key on the MAC).
        const bits = (shared.bits ??= shared.index.members(list));
        let crowded;
        return (a, b) => {
            const c = shared.index.candidates(b);
            if (!c)
                return undefined;
            if (c.items.length > CROWDED) {
                // Per-node entries of one kind: a scan of this table, remembered.
                let m = (crowded ??= new Map()).get(a);
                if (!m)
                    crowded.set(a, (m = new Map()));
                const hit = m.get(b);
                if (hit !== undefined)
                    return hit ?? undefined;
                const v = list.find((x) => pred(x, a, b));
                m.set(b, v ?? null);
                return v;
            }
            let found;
            for (let i = 0; i < c.items.length; i++) {
                if (!isMember(bits, c.ids[i]) || !pred(c.items[i], a, b))
                    continue;
                // Two entries answer: the table's order decides (the kernel's first match).
                if (found)
                    return list.find((x) => pred(x, a, b));
                found = c.items[i];
            }
            return found;
        };
    }
    // Two levels keyed by the caller's own strings: no key is built per lookup.
    const cache = new Map();
    return (a, b) => {
        let m = cache.get(a);
        if (!m)
            cache.set(a, (m = new Map()));
        const hit = m.get(b);
        if (hit !== undefined)
            return hit ?? undefined;
        let v;
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
export class CompiledIR {
    /** A route's compiled form (routes are shared across nodes by the builder: one each). */
    croutes = new WeakMap();
    /** Prefix-length lists of big route tables, by the list as text: every node's table has the same few. */
    lensByKey = new Map();
    /** A link's step object (its `ip link` line). */
    linkObjs = new WeakMap();
    /** A veth's far end and its step (null: the peer is missing), per link. */
    vethEnds = new WeakMap();
    /** A neighbour entry's answer and step, per entry. */
    neighSays = new WeakMap();
    /** A VXLAN FDB entry's step object, per entry. */
    fdbObjs = new WeakMap();
    /** A route's `ip route` line. */
    routeTexts = new WeakMap();
    /** ipset members (WalkOptions.ipsets' arrays) indexed for matching. */
    ipsets = new WeakMap();
    /** A node's IPVS virtual servers by "proto/address/port". */
    ipvs = new WeakMap();
}
export const lkey = (nsId, dev) => nsId + "\0" + dev;
/** The one table keyed by the IR: its topology, which holds its caches (CompiledIR). */
const cache = new WeakMap();
export function topologyOf(ir) {
    let t = cache.get(ir);
    if (!t)
        cache.set(ir, (t = build(ir)));
    return t;
}
// Route objects are shared across nodes by the builder: compile each once.
function croute(c, r) {
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
const routeKey = (net) => net | 0;
const croutesOf = (c, routes, table) => routes.filter((r) => (r.table ?? "main") === table).map((r) => croute(c, r));
function compileFib(c, routes, table, index) {
    if (routes.length > FIB_INDEX_MAX) {
        const rs = croutesOf(c, routes, table);
        if (rs.length > FIB_INDEX_MAX) {
            const lens = sharedLens(c, [...new Set(rs.map((r) => r.len))].sort((a, b) => b - a));
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
    const byLen = new Map();
    for (const r of routes) {
        if ((r.table ?? "main") !== table)
            continue;
        const cr = croute(c, r);
        let m = byLen.get(cr.len);
        if (!m)
            byLen.set(cr.len, (m = new Map()));
        const l = m.get(cr.net);
        if (l)
            l.push(cr);
        else
            m.set(cr.net, [cr]);
    }
    // Same prefix: lowest metric first; ties keep the table's order (stable sort).
    for (const m of byLen.values())
        for (const l of m.values())
            if (l.length > 1)
                l.sort((a, b) => a.metric - b.metric);
    return { lens: [...byLen.keys()].sort((a, b) => b - a), byLen };
}
/** Prefix-length lists of big tables, one per distinct list: every node's table has the same few (hot in the CPU cache). */
function sharedLens(c, lens) {
    const lensByKey = c.lensByKey;
    const k = lens.join(",");
    let l = lensByKey.get(k);
    if (!l)
        lensByKey.set(k, (l = lens.map((len) => ({ len, mask: maskOf(len) }))));
    return l;
}
/** A crowded key's route in this table (a scan of the table once per key, remembered). */
function crowdedRoute(big, len, net) {
    const byLen = (big.crowded ??= new Map());
    let m = byLen.get(len);
    if (!m)
        byLen.set(len, (m = new Map()));
    const hit = m.get(net | 0);
    if (hit !== undefined)
        return hit ?? undefined;
    let best;
    for (const r of croutesOf(big.c, big.routes, big.table))
        if (r.len === len && r.net === net && (!best || r.metric < best.metric))
            best = r;
    m.set(net | 0, best ?? null);
    return best;
}
/** Longest prefix, then lowest metric, then table order, over a plain list. */
function scanFib(routes, ip, filter) {
    let best;
    for (let i = 0; i < routes.length; i++) {
        const r = routes[i];
        if ((ip & r.mask) >>> 0 !== r.net)
            continue;
        if (filter && !filter(r))
            continue;
        if (!best || r.len > best.len || (r.len === best.len && r.metric < best.metric))
            best = r;
    }
    return best;
}
export function fibLookup(fib, ip, filter) {
    const flat = fib.flat;
    if (flat) {
        const nm = fib.flatNm;
        const x = ip | 0;
        for (let i = 0, j = 0; i < flat.length; i++, j += 2) {
            // int32 compare: the same as ((ip & mask) >>> 0) === net on uint32s.
            if ((x & nm[j + 1]) === nm[j] && (!filter || filter(flat[i])))
                return flat[i];
        }
        return undefined;
    }
    const big = fib.big;
    if (big && !filter) {
        // Longest prefix first; within one prefix the lowest metric, then table order.
        for (const { len, mask } of big.lens) {
            const c = big.index.candidates(routeKey(ip & mask));
            if (!c)
                continue;
            if (c.items.length > CROWDED) {
                const r = crowdedRoute(big, len, (ip & mask) >>> 0);
                if (r)
                    return r;
                continue;
            }
            let best;
            let tie = false;
            for (let i = 0; i < c.items.length; i++) {
                const r = c.items[i];
                if (r.len !== len || !isMember(big.bits, c.ids[i]))
                    continue;
                if (!best || r.metric < best.metric) {
                    best = r;
                    tie = false;
                }
                else if (r.metric === best.metric)
                    tie = true;
            }
            if (tie)
                return scanFib(croutesOf(big.c, big.routes, big.table), ip);
            if (best)
                return best;
        }
        return undefined;
    }
    if (big)
        return scanFib(croutesOf(big.c, big.routes, big.table), ip, filter);
    for (const len of fib.lens) {
        const l = fib.byLen.get(len).get((ip & maskOf(len)) >>> 0);
        if (!l)
            continue;
        for (const r of l)
            if (!filter || filter(r))
                return r;
    }
    return undefined;
}
// ~280 lines on purpose: the topology's lookups are closures over the maps built here (per
// IR, filled lazily); split, they would become an object of those maps passed to each.
function build(ir) {
    const compiled = new CompiledIR();
    const podsByKey = new Map();
    const podsByName = new Map();
    const podByIp = new Map();
    const nodesByName = new Map();
    const nodeByAddr = new Map();
    const hostPods = new Map();
    for (const n of ir.nodes) {
        nodesByName.set(n.name, n);
        nodeByAddr.set(ipToInt(n.address), n);
    }
    for (const p of ir.pods) {
        podsByKey.set(`${p.namespace}/${p.name}`, p);
        const l = podsByName.get(p.name);
        if (l)
            l.push(p);
        else
            podsByName.set(p.name, [p]);
        if (p.hostNetwork) {
            if (p.node) {
                const hl = hostPods.get(p.node);
                if (hl)
                    hl.push(p);
                else
                    hostPods.set(p.node, [p]);
            }
        }
        else if (p.ip)
            podByIp.set(ipToInt(p.ip), p);
    }
    const ext = ir.underlay?.externalClient;
    const prefix = ir.underlay?.subnet ? ir.underlay.subnet.split("/")[1] : "24";
    // The outside client when the IR has no namespace for the requested address: a host on
    // the underlay bridge (a virtual port), default route via the underlay's address.
    const externalNs = {
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
    const nsCache = new Map();
    const nsOf = (id) => {
        if (nsCache.has(id))
            return nsCache.get(id);
        let ns;
        if (id === EXTERNAL)
            ns = externalNs;
        else if (ir.underlay?.ns && id === ir.underlay.ns.id)
            ns = ir.underlay.ns;
        else if (id.startsWith("node/"))
            ns = nodesByName.get(id.slice(5))?.ns;
        else if (id.startsWith("pod/"))
            ns = podsByKey.get(id.slice(4))?.ns;
        if (ns && ns.id !== id)
            ns = undefined;
        nsCache.set(id, ns);
        return ns;
    };
    // Big tables' shared entries, indexed once for every namespace of this IR (see SharedIndex).
    const routeIndex = new SharedIndex((r) => routeKey(r.net));
    const neighIndex = new SharedIndex((n) => n.ip);
    const fdbIndex = new SharedIndex((f) => f.mac);
    const infos = new WeakMap();
    const info = (ns) => {
        let i = infos.get(ns);
        if (i)
            return i;
        const links = new Map(ns.links.map((l) => [l.name, l]));
        const localAddrs = new Set();
        const broadcast = new Set();
        const addrDev = new Map();
        const derived = [];
        for (const a of ns.addresses) {
            const ip = ipToInt(addrOf(a.cidr));
            localAddrs.add(ip);
            if (!addrDev.has(ip))
                addrDev.set(ip, a.dev);
            derived.push({
                table: "local",
                type: "local",
                dst: addrOf(a.cidr),
                dev: a.dev,
                scope: "host",
                proto: "kernel",
                src: addrOf(a.cidr),
            });
            if (a.broadcast)
                broadcast.add(ipToInt(a.broadcast));
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
                if (c.len === 32)
                    localAddrs.add(c.net);
            }
            if (r.type === "broadcast")
                broadcast.add(parsePrefix(r.dst).net);
        }
        // The kernel derives local routes from addresses; the IR's own local table wins on conflicts.
        const localRoutes = [
            ...irLocal,
            ...derived.filter((d) => !irLocal.some((r) => r.dst === d.dst || r.dst === d.dst + "/32")),
        ];
        // Most namespaces (pods) have no bridge: one shared empty map for them.
        const ports = ns.links.some((l) => l.master) || ir.underlay?.ns === ns ? new Map() : NO_PORTS;
        for (const l of ns.links) {
            if (!l.master)
                continue;
            let m = ports.get(l.master);
            if (!m)
                ports.set(l.master, (m = new Map()));
            if (l.peer)
                m.set(lkey(l.peer.ns, l.peer.name), l.name);
        }
        if (ir.underlay?.ns === ns) {
            const br = ns.links.find((l) => l.kind === "bridge");
            if (br) {
                let m = ports.get(br.name);
                if (!m)
                    ports.set(br.name, (m = new Map()));
                m.set(lkey(EXTERNAL, "eth0"), EXTERNAL_PORT);
            }
        }
        const pod = ns.id.startsWith("pod/") ? podsByKey.get(ns.id.slice(4)) : undefined;
        const node = ns.id.startsWith("node/") ? nodesByName.get(ns.id.slice(5)) : undefined;
        const neigh = cachedFind(ns.neighbours, (n, dev, ip) => n.dev === dev && n.ip === ip, {
            index: neighIndex,
        });
        const fdbShared = { index: fdbIndex };
        const fdbSelf = cachedFind(ns.fdb, (f, dev, mac) => f.dev === dev && f.mac === mac && !(f.master && !f.self), fdbShared);
        const fdbBridge = cachedFind(ns.fdb, (f, master, mac) => f.master === master && f.mac === mac && !f.self, fdbShared);
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
            delivered: undefined,
            vxlanAt: undefined,
        };
        infos.set(ns, i);
        return i;
    };
    /** BFS over the segment (veth peers, bridge ports), materialising as little as possible. */
    const connected = (a, b) => {
        const target = lkey(b.ns.id, b.dev);
        const start = lkey(a.ns.id, a.dev);
        if (start === target)
            return true;
        const seen = new Set([start]);
        const q = [start];
        let budget = 4096;
        while (q.length && budget-- > 0) {
            const k = q.shift();
            const z = k.indexOf("\0");
            const ns = k.slice(0, z) === EXTERNAL ? externalNs : nsOf(k.slice(0, z));
            if (!ns)
                continue;
            const inf = info(ns);
            const dev = k.slice(z + 1);
            const push = (k2) => {
                if (k2 === target)
                    return true;
                if (!seen.has(k2)) {
                    seen.add(k2);
                    q.push(k2);
                }
                return false;
            };
            if (ns === externalNs && dev === "eth0" && ir.underlay?.ns) {
                const br = ir.underlay.ns.links.find((l) => l.kind === "bridge");
                if (br && push(lkey(ir.underlay.ns.id, br.name)))
                    return true;
                continue;
            }
            const link = inf.links.get(dev);
            if (!link)
                continue;
            if (link.peer && push(lkey(link.peer.ns, link.peer.name)))
                return true;
            if (link.master && push(lkey(ns.id, link.master)))
                return true;
            if (link.kind === "bridge") {
                const ports = inf.ports.get(link.name);
                if (ports?.has(target))
                    return true;
                if (ports)
                    for (const [peer, port] of ports)
                        if (push(lkey(ns.id, port)) || push(peer))
                            return true;
            }
        }
        return false;
    };
    // (namespace, device) → ip → owner: nested maps, no key string per lookup.
    let arpGen = 0;
    // `known`: the namespace's info when the caller has it (one lookup fewer on a cold namespace).
    const arpOwner = (ns, dev, ip, known) => {
        const inf = known ?? info(ns);
        let byDev = inf.arp;
        if (!byDev || inf.arpGen !== arpGen) {
            inf.arp = byDev = new Map();
            inf.arpGen = arpGen;
        }
        let m = byDev.get(dev);
        if (!m)
            byDev.set(dev, (m = new Map()));
        const hit = m.get(ip);
        if (hit !== undefined)
            return hit ?? undefined;
        const o = arpOwnerFind(ns, dev, ip);
        m.set(ip, o ?? null);
        return o;
    };
    const arpOwnerFind = (ns, dev, ip) => {
        const cands = [];
        const add = (x) => x && !cands.includes(x) && cands.push(x);
        const p = podByIp.get(ip);
        if (p)
            add(nsOf(`pod/${p.namespace}/${p.name}`));
        const n = nodeByAddr.get(ip);
        if (n)
            add(n.ns);
        const l = info(ns).links.get(dev);
        if (l?.peer)
            add(nsOf(l.peer.ns));
        if (ir.underlay?.ns)
            add(ir.underlay.ns);
        add(externalNs);
        add(ns);
        for (const c of cands) {
            const d = info(c).addrDev.get(ip);
            if (d === undefined || (c === ns && d === dev))
                continue;
            const o = { ns: c, dev: d, arp: undefined, fdb: undefined };
            if (connected({ ns, dev }, o))
                return o;
        }
        return undefined;
    };
    const externalAt = (ip) => {
        const u = ir.underlay?.ns;
        if (u && u.addresses.some((a) => addrOf(a.cidr) === ip))
            return u;
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
export function isLocalAddr(inf, ip) {
    if (inf.localAddrs.has(ip))
        return true;
    const r = fibLookup(inf.local, ip);
    return !!r && r.type === "local";
}
//# sourceMappingURL=topology.js.map