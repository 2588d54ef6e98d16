// What the kernel itself does when a component configures it: the routes an address
// implies (local/broadcast in table local, the connected prefix in main), MACs, names.
// Flavors call these so that every namespace holds exactly what `ip` would show.
import { createHash } from "node:crypto";
import { intToIp, parseCidr } from "../net/ipv4.js";
export function emptyNs(id) {
    return {
        id,
        links: [],
        addresses: [],
        routes: [],
        neighbours: [],
        fdb: [],
        sysctls: {},
        netfilter: { mode: "iptables", iptables: [], nftables: [] },
    };
}
/** A deterministic, locally administered unicast MAC derived from a name. */
export function macFor(name) {
    const h = createHash("sha256").update(name).digest();
    h[0] = (h[0] & 0xfc) | 0x02; // locally administered, unicast
    return Array.from(h.subarray(0, 6), (b) => b.toString(16).padStart(2, "0")).join(":");
}
export function hexOf(algo, s) {
    return createHash(algo).update(s).digest("hex");
}
/** `lo` as every new namespace has it once brought up (127.0.0.1/8, scope host). */
export function addLoopback(ns) {
    ns.links.push({ name: "lo", kind: "loopback", mtu: 65536, mac: "00:00:00:00:00:00", up: true });
    addAddress(ns, "lo", "127.0.0.1/8", { scope: "host", noBroadcastAttr: true });
}
/**
 * Adds an IPv4 address and the routes the kernel derives from it (fib_add_ifaddr):
 * `local <addr>` in table local; for prefixes shorter than /31 `broadcast <last>`;
 * the connected route in main (loopback: `local <prefix>` in table local instead);
 * nothing but the local route for a /32 or on a link that is down. Linux ≥ 5.x no longer adds the network
 * address as broadcast (checked against the kernel: no `broadcast 10.244.1.0`).
 */
export function addAddress(ns, dev, cidr, opts = {}) {
    const c = parseCidr(cidr, true);
    const [addr] = cidr.split("/");
    const address = { dev, cidr: `${addr}/${c.prefix}`, scope: opts.scope ?? "global" };
    if (!opts.noBroadcastAttr && c.prefix < 31)
        address.broadcast = intToIp(c.last);
    ns.addresses.push(address);
    const isLo = dev === "lo";
    ns.routes.push({ table: "local", type: "local", dst: `${addr}/32`, dev, proto: "kernel", scope: "host", src: addr });
    // On a down link (kube-ipvs0) only the local route exists: that is what makes Service
    // IPs local in IPVS mode without the dummy ever coming up.
    const link = ns.links.find((l) => l.name === dev);
    if (link && !link.up)
        return;
    if (c.prefix < 31) {
        ns.routes.push({
            table: "local",
            type: "broadcast",
            dst: `${intToIp(c.last)}/32`,
            dev,
            proto: "kernel",
            scope: "link",
            src: addr,
        });
    }
    if (c.prefix === 32)
        return;
    const net = `${intToIp(c.base)}/${c.prefix}`;
    if (isLo)
        ns.routes.push({ table: "local", type: "local", dst: net, dev, proto: "kernel", scope: "host", src: addr });
    else
        ns.routes.push({ table: "main", type: "unicast", dst: net, dev, proto: "kernel", scope: "link", src: addr });
}
/** A veth pair across two namespaces. Returns the two links (already pushed). */
export function addVethPair(a, b) {
    const la = {
        name: a.name,
        kind: "veth",
        mtu: a.mtu,
        mac: a.mac,
        up: true,
        peer: { ns: b.ns.id, name: b.name },
    };
    if (a.master)
        la.master = a.master;
    if (a.hairpin !== undefined)
        la.hairpin = a.hairpin;
    const lb = {
        name: b.name,
        kind: "veth",
        mtu: b.mtu,
        mac: b.mac,
        up: true,
        peer: { ns: a.ns.id, name: a.name },
    };
    a.ns.links.push(la);
    b.ns.links.push(lb);
    return [la, lb];
}
/**
 * A port enslaved to a bridge: the kernel adds `<port MAC> dev <port> master <br> permanent`
 * (and the bridge's own MAC once, see addBridge). Multicast `self permanent` entries
 * (01:00:5e:…, 33:33:…) are left out of the model.
 */
export function addBridgePortFdb(ns, bridge, port) {
    ns.fdb.push({ dev: port.name, mac: port.mac, master: bridge, state: "permanent" });
}
export function addBridge(ns, name, mac, mtu) {
    const l = { name, kind: "bridge", mtu, mac, up: true, bridge: {} };
    ns.links.push(l);
    ns.fdb.push({ dev: name, mac, master: name, state: "permanent" });
    return l;
}
export function route(r) {
    return { table: "main", type: "unicast", ...r };
}
/** "10.244.1.0/24" → "10.244.1.1" (the CNI gateway: first address). */
export function firstHost(cidr, offset = 1) {
    return intToIp(parseCidr(cidr, true).base + offset);
}
/** A pod gets its own network namespace (and a CNI ADD) unless it uses the host's. */
export function podHasOwnNs(pod) {
    return !pod.spec.hostNetwork && !!pod.podIP && !!pod.nodeName;
}
export function podNsId(pod) {
    return `pod/${pod.namespace}/${pod.name}`;
}
export function nodeNsId(name) {
    return `node/${name}`;
}
const memo = new WeakMap();
/**
 * Objects that are identical on every node (the route to node X's subnet is the same on
 * all other nodes) are made once per state and shared by reference, so a 5,000-node IR
 * holds 5,000 route objects, not 25 million. IR objects are therefore read-only.
 */
export function shared(state, key, make) {
    let m = memo.get(state);
    if (!m)
        memo.set(state, (m = new Map()));
    let v = m.get(key);
    if (v === undefined)
        m.set(key, (v = make()));
    return v;
}
//# sourceMappingURL=kernel.js.map