import { cidrSize, intToIp, parseCidr4, parseIPv4 } from "../net/ipv4.js";
import { fnv32a, hex8, sha1Hex, sha256Hex } from "./hash.js";
class HostLocal {
    networkName;
    prev;
    prefixOnEth0;
    ifName;
    work = new Map();
    constructor(networkName, prev, prefixOnEth0, ifName) {
        this.networkName = networkName;
        this.prev = prev;
        this.prefixOnEth0 = prefixOnEth0;
        this.ifName = ifName;
    }
    node(node) {
        let w = this.work.get(node.name);
        if (w)
            return w;
        const c = parseCidr4(node.podCIDR);
        const first = c.first;
        const size = cidrSize(c);
        const rec = this.prev.nodes[node.name];
        const allocated = new Map();
        if (rec)
            for (const [ip, cid] of Object.entries(rec.allocated))
                allocated.set(parseIPv4(ip), cid);
        w = { first, size, allocated, last: rec?.lastReserved ? parseIPv4(rec.lastReserved) : null, changed: false };
        this.work.set(node.name, w);
        return w;
    }
    allocate(node, containerID) {
        const w = this.node(node);
        const lo = w.first + 1; // rangeStart = network + 1
        const hi = w.first + w.size - 2; // rangeEnd = broadcast - 1
        const gw = w.first + 1;
        const n = hi - lo + 1;
        if (n <= 0)
            return { error: `no IP addresses available in range set: ${node.podCIDR}` };
        let start = w.last === null || w.last < lo || w.last > hi ? lo : w.last + 1;
        if (start > hi)
            start = lo;
        for (let k = 0; k < n; k++) {
            let a = start + k;
            if (a > hi)
                a -= n;
            if (a === gw || w.allocated.has(a))
                continue;
            w.allocated.set(a, containerID);
            w.last = a;
            w.changed = true;
            const ip = intToIp(a);
            return { ip, cidr: `${ip}/${this.prefixOnEth0(node)}` };
        }
        return {
            error: `failed to allocate for range 0: no IP addresses available in range set: ${intToIp(lo)}-${intToIp(hi)}`,
        };
    }
    /** host-local with a requested IP (CNI_ARGS IP=…): inside the range and free; the store
     *  records it as the last reserved address. */
    allocateSpecific(node, ip, containerID) {
        const w = this.node(node);
        const a = parseIPv4(ip);
        if (a === undefined || a < w.first + 2 || a > w.first + w.size - 2 || w.allocated.has(a))
            return undefined;
        w.allocated.set(a, containerID);
        w.last = a;
        w.changed = true;
        return { ip, cidr: `${ip}/${this.prefixOnEth0(node)}` };
    }
    release(node, ip) {
        const w = this.node(node);
        w.allocated.delete(parseIPv4(ip));
        w.changed = true;
    }
    hostIfName(ns, pod, cid) {
        return this.ifName(ns, pod, cid);
    }
    finish(nodes) {
        const out = {};
        for (const n of nodes) {
            const w = this.work.get(n.name);
            if (!w?.changed) {
                if (this.prev.nodes[n.name])
                    out[n.name] = this.prev.nodes[n.name];
                continue;
            }
            const allocated = {};
            for (const a of [...w.allocated.keys()].sort((x, y) => x - y))
                allocated[intToIp(a)] = w.allocated.get(a);
            out[n.name] = { allocated, lastReserved: w.last === null ? null : intToIp(w.last) };
        }
        return { ipam: { ...this.prev, nodes: out }, nodes };
    }
}
class CalicoIpam {
    config;
    prev;
    networkName = "k8s-pod-network";
    blocks;
    touchedBlocks = new Set();
    nodeBlocks = new Map();
    allocated = new Map();
    poolFirst;
    poolBlocks;
    blockSize;
    blockPrefix;
    next = 0;
    tunnels = new Map();
    constructor(config, prev, nodes, tunnel) {
        this.config = config;
        this.prev = prev;
        this.blocks = { ...(prev.calicoBlocks ?? {}) };
        const pool = parseCidr4(config.networking.podSubnet);
        this.blockPrefix = Math.max(config.networking.calicoBlockSize, pool.prefix);
        this.blockSize = 2 ** (32 - this.blockPrefix);
        this.poolFirst = pool.first;
        this.poolBlocks = 2 ** (this.blockPrefix - pool.prefix);
        for (const n of nodes)
            this.nodeBlocks.set(n.name, n.blocks);
        // calico-node allocates the tunnel address when it starts (IPIP / VXLAN).
        if (tunnel)
            for (const n of nodes)
                if (!n.tunnelAddress) {
                    const r = this.allocate(n, `ipip-tunnel-addr-${n.name}`, true);
                    if (r.ip)
                        this.tunnels.set(n.name, r.ip);
                }
    }
    blockIndex(cidr) {
        return Math.floor((parseIPv4(cidr.split("/")[0]) - this.poolFirst) / this.blockSize);
    }
    claim(node) {
        while (this.next < this.poolBlocks) {
            const cidr = `${intToIp(this.poolFirst + this.next * this.blockSize)}/${this.blockPrefix}`;
            this.next++;
            if (this.blocks[cidr])
                continue;
            this.blocks[cidr] = { node, unallocated: Array.from({ length: this.blockSize }, (_, i) => i) };
            this.touchedBlocks.add(cidr);
            this.nodeBlocks.set(node, [...(this.nodeBlocks.get(node) ?? []), cidr]);
            return cidr;
        }
        return undefined;
    }
    alloc(node) {
        let a = this.allocated.get(node);
        if (!a) {
            a = { ...(this.prev.nodes[node]?.allocated ?? {}) };
            this.allocated.set(node, a);
        }
        return a;
    }
    allocate(node, containerID, isTunnel = false) {
        for (const cidr of this.nodeBlocks.get(node.name) ?? []) {
            const b = this.blocks[cidr];
            if (b && b.unallocated.length > 0)
                return this.take(node.name, cidr, containerID, isTunnel);
        }
        const cidr = this.claim(node.name);
        if (!cidr)
            return {
                error: `failed to request IPv4 addresses: no more free affine blocks in pool ${this.config.networking.podSubnet}`,
            };
        return this.take(node.name, cidr, containerID, isTunnel);
    }
    take(node, cidr, containerID, isTunnel) {
        let b = this.blocks[cidr];
        if (!this.touchedBlocks.has(cidr)) {
            b = this.blocks[cidr] = { node: b.node, unallocated: [...b.unallocated] };
            this.touchedBlocks.add(cidr);
        }
        const ord = b.unallocated.shift();
        const ip = intToIp(parseIPv4(cidr.split("/")[0]) + ord);
        if (!isTunnel)
            this.alloc(node)[ip] = containerID;
        return { ip, cidr: `${ip}/32` };
    }
    release(node, ip) {
        const nodeName = node.name;
        const a = parseIPv4(ip);
        const idx = Math.floor((a - this.poolFirst) / this.blockSize);
        const cidr = `${intToIp(this.poolFirst + idx * this.blockSize)}/${this.blockPrefix}`;
        let b = this.blocks[cidr];
        if (!b)
            return;
        if (!this.touchedBlocks.has(cidr)) {
            b = this.blocks[cidr] = { node: b.node, unallocated: [...b.unallocated] };
            this.touchedBlocks.add(cidr);
        }
        b.unallocated.push(a - this.poolFirst - idx * this.blockSize);
        delete this.alloc(nodeName)[ip];
        void this.blockIndex;
    }
    hostIfName(ns, pod) {
        // libcalico-go's VethNameForWorkload: "cali" + sha1("<namespace>.<pod>")[:11]
        return "cali" + sha1Hex(`${ns}.${pod}`).slice(0, 11);
    }
    finish(nodes) {
        const out = {};
        for (const n of nodes) {
            const a = this.allocated.get(n.name);
            if (a)
                out[n.name] = { allocated: a, lastReserved: null };
            else if (this.prev.nodes[n.name])
                out[n.name] = this.prev.nodes[n.name];
        }
        const newNodes = nodes.map((n) => {
            const blocks = this.nodeBlocks.get(n.name) ?? n.blocks;
            const tunnel = this.tunnels.get(n.name);
            if (blocks === n.blocks && !tunnel)
                return n;
            const m = { ...n, blocks };
            if (tunnel)
                m.tunnelAddress = tunnel;
            return m;
        });
        return { ipam: { ...this.prev, nodes: out, calicoBlocks: this.blocks }, nodes: newNodes };
    }
}
const podPrefix = (config) => () => config.networking.nodeCIDRMaskSize;
/** One IPAM strategy per CNI. */
export const IPAM_BY_CNI = {
    // flannel delegates to bridge + host-local; the bridge plugin names the host veth
    // "veth" + 4 random bytes in hex (here: from the container ID).
    flannel: (config, prev) => new HostLocal("cbr0", prev, podPrefix(config), (_ns, _pod, cid) => "veth" + hex8(fnv32a(cid))),
    calico: (config, prev, nodes) => new CalicoIpam(config, prev, nodes, config.networking.backend === "ipip" || config.networking.backend === "vxlan"),
    // cilium: "lxc" + the first 12 hex characters of sha256(container ID).
    cilium: (_config, prev) => new HostLocal("cilium", prev, () => 32, (_ns, _pod, cid) => "lxc" + sha256Hex(cid).slice(0, 12)),
};
export function ipamFor(config, prev, nodes) {
    return IPAM_BY_CNI[config.networking.cni](config, prev, nodes);
}
//# sourceMappingURL=ipam.js.map