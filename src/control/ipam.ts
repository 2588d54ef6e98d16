// Pod IP address management per CNI flavor. Each flavor is a strategy (no switch on the
// CNI's name in shared code): its IPAM, the network name its AddedInterface event shows,
// the prefix length on eth0 and the host-side interface name.
//
// host-local (flannel's delegate, containernetworking/plugins): the node's podCIDR; the
//   gateway (.1, on cni0) is skipped; the range ends at broadcast−1; allocation is
//   round-robin from the last reserved address + 1, wrapping; a released address is not
//   handed out again until the iterator comes round (why a replacement pod usually gets a
//   new IP).
// Calico IPAM: the node claims /blockSize blocks of the pool (podSubnet) and allocates
//   from its blocks. A block's unallocated ordinals start as 0..N-1 and allocation takes
//   from the front, so the first pod of a block gets the block's first address (.0 — valid,
//   pods are /32s on Calico); a release appends the ordinal at the end. With IPIP/VXLAN,
//   calico-node takes ordinal 0 of the node's first block for tunl0 / vxlan.calico.
//   Real Calico picks a node's next block from a random start in the pool; podnet claims
//   blocks in pool order (deterministic).
// Cilium: modelled on host-local over the node's podCIDR (cilium's "kubernetes" IPAM mode),
//   with the first address for cilium_host.
import type { ClusterConfig, CniName } from "../manifest/config.js";
import { cidrSize, intToIp, parseCidr4, parseIPv4 } from "../net/ipv4.js";
import { fnv32a, hex8, sha1Hex, sha256Hex } from "./hash.js";
import type { IpamState, NodeState } from "./state.js";

export interface AllocResult {
  ip?: string;
  /** eth0's address as the CNI result lists it ("10.244.1.5/24"). */
  cidr?: string;
  error?: string;
}

export interface PodIpam {
  /** The name shown in AddedInterface ("Add eth0 [10.244.1.5/24] from cbr0"). */
  readonly networkName: string;
  allocate(node: NodeState, containerID: string): AllocResult;
  /** A given address (a dumped pod's status.podIP), when the IPAM can honour it. */
  allocateSpecific?(node: NodeState, ip: string, containerID: string): AllocResult | undefined;
  release(node: NodeState, ip: string): void;
  hostIfName(namespace: string, pod: string, containerID: string): string;
  /** The new IpamState (unchanged node records shared) and the nodes' Calico fields. */
  finish(nodes: NodeState[]): { ipam: IpamState; nodes: NodeState[] };
}

interface HostLocalNode {
  first: number;
  size: number;
  allocated: Map<number, string>; // address → containerID
  last: number | null;
  changed: boolean;
}

class HostLocal implements PodIpam {
  private work = new Map<string, HostLocalNode>();
  constructor(
    readonly networkName: string,
    private prev: IpamState,
    private prefixOnEth0: (node: NodeState) => number,
    private ifName: (ns: string, pod: string, cid: string) => string,
  ) {}

  private node(node: NodeState): HostLocalNode {
    let w = this.work.get(node.name);
    if (w) return w;
    const c = parseCidr4(node.podCIDR)!;
    const first = c.first;
    const size = cidrSize(c);
    const rec = this.prev.nodes[node.name];
    const allocated = new Map<number, string>();
    if (rec) for (const [ip, cid] of Object.entries(rec.allocated)) allocated.set(parseIPv4(ip)!, cid);
    w = { first, size, allocated, last: rec?.lastReserved ? parseIPv4(rec.lastReserved)! : null, changed: false };
    this.work.set(node.name, w);
    return w;
  }

  allocate(node: NodeState, containerID: string): AllocResult {
    const w = this.node(node);
    const lo = w.first + 1; // rangeStart = network + 1
    const hi = w.first + w.size - 2; // rangeEnd = broadcast - 1
    const gw = w.first + 1;
    const n = hi - lo + 1;
    if (n <= 0) return { error: `no IP addresses available in range set: ${node.podCIDR}` };
    let start = w.last === null || w.last < lo || w.last > hi ? lo : w.last + 1;
    if (start > hi) start = lo;
    for (let k = 0; k < n; k++) {
      let a = start + k;
      if (a > hi) a -= n;
      if (a === gw || w.allocated.has(a)) continue;
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
  allocateSpecific(node: NodeState, ip: string, containerID: string): AllocResult | undefined {
    const w = this.node(node);
    const a = parseIPv4(ip);
    if (a === undefined || a < w.first + 2 || a > w.first + w.size - 2 || w.allocated.has(a)) return undefined;
    w.allocated.set(a, containerID);
    w.last = a;
    w.changed = true;
    return { ip, cidr: `${ip}/${this.prefixOnEth0(node)}` };
  }

  release(node: NodeState, ip: string): void {
    const w = this.node(node);
    w.allocated.delete(parseIPv4(ip)!);
    w.changed = true;
  }

  hostIfName(ns: string, pod: string, cid: string): string {
    return this.ifName(ns, pod, cid);
  }

  finish(nodes: NodeState[]): { ipam: IpamState; nodes: NodeState[] } {
    const out: IpamState["nodes"] = {};
    for (const n of nodes) {
      const w = this.work.get(n.name);
      if (!w?.changed) {
        if (this.prev.nodes[n.name]) out[n.name] = this.prev.nodes[n.name];
        continue;
      }
      const allocated = dictionary<string>();
      for (const a of [...w.allocated.keys()].sort((x, y) => x - y)) allocated[intToIp(a)] = w.allocated.get(a)!;
      out[n.name] = { allocated, lastReserved: w.last === null ? null : intToIp(w.last) };
    }
    return { ipam: { ...this.prev, nodes: out }, nodes };
  }
}

/**
 * An empty object for keys no other object has (a node's pod IPs). Built key by key, a plain
 * object gets a hidden class per key added, each new (V8 shares them only between objects
 * with the same keys): ~300 ms for a threshold cluster's 150,000 addresses. V8 keeps an
 * object whose property other than its last was deleted as a dictionary, which adds keys
 * without that (~25 ms). Otherwise the same object: Object.prototype, no own keys.
 */
function dictionary<T>(): Record<string, T> {
  const o: Record<string, T | number> = { a: 0, b: 0 };
  delete o.a;
  delete o.b;
  return o as Record<string, T>;
}

class CalicoIpam implements PodIpam {
  readonly networkName = "k8s-pod-network";
  private blocks: Record<string, { node: string; unallocated: number[] }>;
  private touchedBlocks = new Set<string>();
  private nodeBlocks = new Map<string, string[]>();
  private allocated = new Map<string, Record<string, string>>();
  private poolFirst: number;
  private poolBlocks: number;
  private blockSize: number;
  private blockPrefix: number;
  private next = 0;
  private tunnels = new Map<string, string>();

  constructor(
    private config: ClusterConfig,
    private prev: IpamState,
    nodes: NodeState[],
    tunnel: boolean,
  ) {
    this.blocks = { ...(prev.calicoBlocks ?? {}) };
    const pool = parseCidr4(config.networking.podSubnet)!;
    this.blockPrefix = Math.max(config.networking.calicoBlockSize, pool.prefix);
    this.blockSize = 2 ** (32 - this.blockPrefix);
    this.poolFirst = pool.first;
    this.poolBlocks = 2 ** (this.blockPrefix - pool.prefix);
    for (const n of nodes) this.nodeBlocks.set(n.name, n.blocks);
    // calico-node allocates the tunnel address when it starts (IPIP / VXLAN).
    if (tunnel)
      for (const n of nodes)
        if (n.tunnelAddress) {
          // Read from the Node (a live cluster): its block is the node's, the address taken.
          if (!n.blocks.length) this.takeSpecific(n.name, n.tunnelAddress);
        } else {
          const r = this.allocate(n, `ipip-tunnel-addr-${n.name}`, true);
          if (r.ip) this.tunnels.set(n.name, r.ip);
        }
  }

  private blockIndex(cidr: string): number {
    return Math.floor((parseIPv4(cidr.split("/")[0])! - this.poolFirst) / this.blockSize);
  }

  private claim(node: string): string | undefined {
    while (this.next < this.poolBlocks) {
      const cidr = `${intToIp(this.poolFirst + this.next * this.blockSize)}/${this.blockPrefix}`;
      this.next++;
      if (this.blocks[cidr]) continue;
      this.blocks[cidr] = { node, unallocated: Array.from({ length: this.blockSize }, (_, i) => i) };
      this.touchedBlocks.add(cidr);
      this.nodeBlocks.set(node, [...(this.nodeBlocks.get(node) ?? []), cidr]);
      return cidr;
    }
    return undefined;
  }

  private alloc(node: string): Record<string, string> {
    let a = this.allocated.get(node);
    if (!a) {
      a = { ...(this.prev.nodes[node]?.allocated ?? {}) };
      this.allocated.set(node, a);
    }
    return a;
  }

  allocate(node: NodeState, containerID: string, isTunnel = false): AllocResult {
    for (const cidr of this.nodeBlocks.get(node.name) ?? []) {
      const b = this.blocks[cidr];
      if (b && b.unallocated.length > 0) return this.take(node.name, cidr, containerID, isTunnel);
    }
    const cidr = this.claim(node.name);
    if (!cidr)
      return {
        error: `failed to request IPv4 addresses: no more free affine blocks in pool ${this.config.networking.podSubnet}`,
      };
    return this.take(node.name, cidr, containerID, isTunnel);
  }

  private take(node: string, cidr: string, containerID: string, isTunnel: boolean): AllocResult {
    let b = this.blocks[cidr];
    if (!this.touchedBlocks.has(cidr)) {
      b = this.blocks[cidr] = { node: b.node, unallocated: [...b.unallocated] };
      this.touchedBlocks.add(cidr);
    }
    const ord = b.unallocated.shift()!;
    const ip = intToIp(parseIPv4(cidr.split("/")[0])! + ord);
    if (!isTunnel) this.alloc(node)[ip] = containerID;
    return { ip, cidr: `${ip}/32` };
  }

  /** An address a live cluster's pod has: its block becomes the node's if nobody holds it. */
  allocateSpecific(node: NodeState, ip: string, containerID: string): AllocResult | undefined {
    const cidr = this.takeSpecific(node.name, ip);
    if (!cidr) return undefined;
    this.alloc(node.name)[ip] = containerID;
    return { ip, cidr: `${ip}/32` };
  }

  /** Takes `ip` out of its block (claimed for `node` when unclaimed); the block, or undefined. */
  private takeSpecific(node: string, ip: string): string | undefined {
    const a = parseIPv4(ip);
    if (a === undefined) return undefined;
    const idx = Math.floor((a - this.poolFirst) / this.blockSize);
    if (a < this.poolFirst || idx >= this.poolBlocks) return undefined;
    const cidr = `${intToIp(this.poolFirst + idx * this.blockSize)}/${this.blockPrefix}`;
    if (!this.blocks[cidr]) {
      this.blocks[cidr] = { node, unallocated: Array.from({ length: this.blockSize }, (_, i) => i) };
      this.touchedBlocks.add(cidr);
      this.nodeBlocks.set(node, [...(this.nodeBlocks.get(node) ?? []), cidr]);
    }
    let b = this.blocks[cidr];
    if (b.node !== node) return undefined;
    if (!this.touchedBlocks.has(cidr)) {
      b = this.blocks[cidr] = { node: b.node, unallocated: [...b.unallocated] };
      this.touchedBlocks.add(cidr);
    }
    const ord = a - this.poolFirst - idx * this.blockSize;
    const at = b.unallocated.indexOf(ord);
    if (at < 0) return undefined;
    b.unallocated.splice(at, 1);
    return cidr;
  }

  release(node: NodeState, ip: string): void {
    const nodeName = node.name;
    const a = parseIPv4(ip)!;
    const idx = Math.floor((a - this.poolFirst) / this.blockSize);
    const cidr = `${intToIp(this.poolFirst + idx * this.blockSize)}/${this.blockPrefix}`;
    let b = this.blocks[cidr];
    if (!b) return;
    if (!this.touchedBlocks.has(cidr)) {
      b = this.blocks[cidr] = { node: b.node, unallocated: [...b.unallocated] };
      this.touchedBlocks.add(cidr);
    }
    b.unallocated.push(a - this.poolFirst - idx * this.blockSize);
    delete this.alloc(nodeName)[ip];
    void this.blockIndex;
  }

  hostIfName(ns: string, pod: string): string {
    // libcalico-go's VethNameForWorkload: "cali" + sha1("<namespace>.<pod>")[:11]
    return "cali" + sha1Hex(`${ns}.${pod}`).slice(0, 11);
  }

  finish(nodes: NodeState[]): { ipam: IpamState; nodes: NodeState[] } {
    const out: IpamState["nodes"] = {};
    for (const n of nodes) {
      const a = this.allocated.get(n.name);
      if (a) out[n.name] = { allocated: a, lastReserved: null };
      else if (this.prev.nodes[n.name]) out[n.name] = this.prev.nodes[n.name];
    }
    const newNodes = nodes.map((n) => {
      const blocks = this.nodeBlocks.get(n.name) ?? n.blocks;
      const tunnel = this.tunnels.get(n.name);
      if (blocks === n.blocks && !tunnel) return n;
      const m: NodeState = { ...n, blocks };
      if (tunnel) m.tunnelAddress = tunnel;
      return m;
    });
    return { ipam: { ...this.prev, nodes: out, calicoBlocks: this.blocks }, nodes: newNodes };
  }
}

type IpamFactory = (config: ClusterConfig, prev: IpamState, nodes: NodeState[]) => PodIpam;

const podPrefix = (config: ClusterConfig) => () => config.networking.nodeCIDRMaskSize;

/** One IPAM strategy per CNI. */
export const IPAM_BY_CNI: Record<CniName, IpamFactory> = {
  // flannel delegates to bridge + host-local; the bridge plugin names the host veth
  // "veth" + 4 random bytes in hex (here: from the container ID).
  flannel: (config, prev) =>
    new HostLocal("cbr0", prev, podPrefix(config), (_ns, _pod, cid) => "veth" + hex8(fnv32a(cid))),
  calico: (config, prev, nodes) =>
    new CalicoIpam(config, prev, nodes, config.networking.backend === "ipip" || config.networking.backend === "vxlan"),
  // cilium: "lxc" + the first 12 hex characters of sha256(container ID).
  cilium: (_config, prev) =>
    new HostLocal(
      "cilium",
      prev,
      () => 32,
      (_ns, _pod, cid) => "lxc" + sha256Hex(cid).slice(0, 12),
    ),
};

export function ipamFor(config: ClusterConfig, prev: IpamState, nodes: NodeState[]): PodIpam {
  return IPAM_BY_CNI[config.networking.cni](config, prev, nodes);
}
