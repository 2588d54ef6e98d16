// Calico (calico-node: Felix + BIRD; https://docs.tigera.io/calico/latest/reference/architecture/overview).
// No bridge: each pod's host-side veth `cali` + 11 hex of sha1("<ns>.<pod>") has MAC
// ee:ee:ee:ee:ee:ee, proxy ARP on, and a /32 route; the pod's gateway is 169.254.1.1
// (answered by proxy ARP). Felix also writes a static ARP entry for each workload and
// sets rp_filter=1, route_localnet=1, forwarding=1 and neigh proxy_delay=0 on the interface.
// Routes between nodes are what the BGP full mesh converges to: each node's blocks
// blackholed locally (`proto bird`) and learned from the others (`via <node>`).
// Variants differ only in the encapsulation (a Encap strategy below):
//   bgp   — remote blocks via the node address on eth0, pod MTU = underlay;
//   ipip  — tunl0 (MTU underlay − 20), remote blocks `via <node> dev tunl0 onlink`;
//   vxlan — vxlan.calico (VNI 4096, UDP 4789, MTU underlay − 50); no BGP: Felix programs
//           the routes itself (`proto 80`), plus one neighbour and one FDB entry per node.
// CrossSubnet (networking.calicoCrossSubnet): a node whose subnet holds the other's address
// routes its blocks as bgp does, `via <node> dev eth0`, and encapsulates only to the rest.
// Netfilter here is only the NAT-outgoing masquerade; policy chains belong to src/policy.
// The real rule matches ipsets (cali40masq-ipam-pools / cali40all-ipam-pools); with the one
// pool of the config it is written with -s/-d, which matches the same packets.

import type { NodeState, PodState } from "../../control/state.js";
import type { IptLayer, NetNs, NftLayer, NftStmt, Route } from "../../ir/types.js";
import { cidrContains, intToIp, parseCidr, parseIPv4 } from "../../net/ipv4.js";
import type { CniFlavor, FlavorContext } from "../flavor.js";
import { iptRule } from "../ipt.js";
import {
  addAddress,
  addLoopback,
  addVethPair,
  emptyNs,
  hexOf,
  macFor,
  nodeNsId,
  podHasOwnNs,
  podNsId,
  route,
  shared,
} from "../kernel.js";

export const CALICO_HOST_MAC = "ee:ee:ee:ee:ee:ee";
export const CALICO_GW = "169.254.1.1";
export const CALICO_ASN = 64512;
/** Felix's route protocol number (RTPROT for routes it programs itself). */
const FELIX_PROTO = 80;

export function caliName(pod: { namespace: string; name: string }): string {
  return `cali${hexOf("sha1", `${pod.namespace}.${pod.name}`).slice(0, 11)}`;
}

export function nodeBlocks(node: NodeState): string[] {
  return node.blocks.length > 0 ? node.blocks : node.podCIDR ? [node.podCIDR] : [];
}

/** The tunnel address Calico IPAM gives tunl0 / vxlan.calico: the first free address of the node's first block. */
export function tunnelAddress(ctx: FlavorContext, node: NodeState): string | null {
  if (node.tunnelAddress) return node.tunnelAddress;
  const blocks = nodeBlocks(node);
  if (blocks.length === 0) return null;
  const used = new Set((ctx.podsByNode.get(node.name) ?? []).map((p) => p.podIP));
  const c = parseCidr(blocks[0], true);
  for (let a = c.base; a <= c.last; a++) {
    const ip = intToIp(a);
    if (!used.has(ip)) return ip;
  }
  return null;
}

/**
 * Whether pod traffic from `node` to `other` is encapsulated: always, unless the pool is in
 * CrossSubnet mode and `other`'s address lies in `node`'s subnet (its
 * projectcalico.org/IPv4Address; without one, the cluster's node subnet). Calico's IPPool
 * reference: "CrossSubnet: encapsulate only traffic crossing subnet boundaries"
 * (https://docs.tigera.io/calico/latest/reference/resources/ippool).
 */
export function crossesSubnet(ctx: FlavorContext, node: NodeState, other: NodeState): boolean {
  if (!ctx.state.config.networking.calicoCrossSubnet) return true;
  const subnet = parseCidr(node.calicoSubnet ?? ctx.state.config.networking.nodeSubnet, true);
  const a = parseIPv4(other.address);
  return a === undefined || !cidrContains(subnet, a);
}

interface Encap {
  variant: "bgp" | "ipip" | "vxlan";
  overhead: number;
  usesBgp: boolean;
  /** Tunnel device and its address (added after eth0). */
  device?(ctx: FlavorContext, node: NodeState, ns: NetNs, mtu: number): void;
  /** The route(s) to another node's block (identical on every other node: shared). */
  remote(ctx: FlavorContext, other: NodeState, block: string, ns: NetNs): void;
  /** Per remote node L2 entries (VXLAN: neighbour + FDB). */
  l2?(ctx: FlavorContext, other: NodeState, ns: NetNs): void;
  blackholeProto: Route["proto"];
}

const bgpEncap: Encap = {
  variant: "bgp",
  overhead: 0,
  usesBgp: true,
  blackholeProto: "bird",
  remote(_ctx, other, block, ns) {
    ns.routes.push(route({ dst: block, via: other.address, dev: "eth0", proto: "bird" }));
  },
};

const ipipEncap: Encap = {
  variant: "ipip",
  overhead: 20,
  usesBgp: true,
  blackholeProto: "bird",
  device(ctx, node, ns, mtu) {
    // tunl0 is the ipip module's fallback device (`ipip any remote any local any`).
    ns.links.push({ name: "tunl0", kind: "ipip", mtu, mac: "00:00:00:00", up: true, ipip: {} });
    const addr = tunnelAddress(ctx, node);
    if (addr) addAddress(ns, "tunl0", `${addr}/32`);
  },
  remote(_ctx, other, block, ns) {
    ns.routes.push(route({ dst: block, via: other.address, dev: "tunl0", proto: "bird", onlink: true }));
  },
};

export const CALICO_VXLAN_DEV = "vxlan.calico";
const vxlanEncap: Encap = {
  variant: "vxlan",
  overhead: 50,
  usesBgp: false,
  blackholeProto: FELIX_PROTO,
  device(ctx, node, ns, mtu) {
    ns.links.push({
      name: CALICO_VXLAN_DEV,
      kind: "vxlan",
      mtu,
      mac: macFor(`${nodeNsId(node.name)}/${CALICO_VXLAN_DEV}`),
      up: true,
      vxlan: { vni: 4096, port: 4789, local: node.address, dev: "eth0", learning: false },
    });
    const addr = tunnelAddress(ctx, node);
    if (addr) addAddress(ns, CALICO_VXLAN_DEV, `${addr}/32`);
  },
  remote(ctx, other, block, ns) {
    const gw = tunnelAddress(ctx, other);
    if (!gw) return;
    ns.routes.push(route({ dst: block, via: gw, dev: CALICO_VXLAN_DEV, onlink: true, proto: FELIX_PROTO }));
  },
  l2(ctx, other, ns) {
    const gw = tunnelAddress(ctx, other);
    if (!gw) return;
    const mac = macFor(`${nodeNsId(other.name)}/${CALICO_VXLAN_DEV}`);
    ns.neighbours.push({ dev: CALICO_VXLAN_DEV, ip: gw, lladdr: mac, state: "PERMANENT" });
    ns.fdb.push({ dev: CALICO_VXLAN_DEV, mac, dst: other.address, self: true, state: "permanent" });
  },
};

function calicoIptables(pool: string): IptLayer {
  return {
    owner: "calico",
    role: "cni",
    tables: {
      nat: {
        POSTROUTING: { name: "POSTROUTING", rules: [iptRule("-j", "cali-POSTROUTING")] },
        "cali-POSTROUTING": { name: "cali-POSTROUTING", rules: [iptRule("-j", "cali-nat-outgoing")] },
        "cali-nat-outgoing": {
          name: "cali-nat-outgoing",
          rules: [iptRule("-s", pool, "!", "-d", pool, "-j", "MASQUERADE", "--random-fully")],
        },
      },
    },
  };
}

function calicoNftables(pool: string): NftLayer {
  const c = parseCidr(pool, true);
  const pfx = { prefix: { addr: intToIp(c.base), len: c.prefix } };
  const sel = (field: string, op: "==" | "!="): NftStmt => ({
    match: { op, left: { payload: { protocol: "ip", field } }, right: pfx },
  });
  return {
    owner: "calico",
    tables: [
      {
        family: "ip",
        name: "calico",
        role: "cni",
        chains: {
          "nat-POSTROUTING": {
            name: "nat-POSTROUTING",
            type: "nat",
            hook: "postrouting",
            prio: 100,
            policy: "accept",
            rules: [{ expr: [{ jump: { target: "cali-nat-outgoing" } }] }],
          },
          "cali-nat-outgoing": {
            name: "cali-nat-outgoing",
            rules: [{ expr: [sel("saddr", "=="), sel("daddr", "!="), { masquerade: { flags: "fully-random" } }] }],
          },
        },
        sets: {},
      },
    ],
  };
}

function makeCalico(encap: Encap): CniFlavor {
  const flavor: CniFlavor = {
    id: `calico/${encap.variant}`,
    podMtu: (underlay) => underlay - encap.overhead,
    buildNode(ctx, node, ns) {
      const mtu = ctx.underlayMtu - encap.overhead;
      encap.device?.(ctx, node, ns, mtu);
      for (const b of nodeBlocks(node))
        ns.routes.push({ table: "main", type: "blackhole", dst: b, proto: encap.blackholeProto });
      for (const other of ctx.state.nodes) {
        if (other.name === node.name) continue;
        const direct = encap.variant !== "bgp" && !crossesSubnet(ctx, node, other);
        const o = shared(ctx.state, `calico/${encap.variant}/${other.name}${direct ? "/direct" : ""}`, () => {
          const tmp = emptyNs("tmp");
          if (direct) {
            // CrossSubnet, the same subnet: BGP's route on the underlay, no tunnel.
            for (const b of nodeBlocks(other))
              tmp.routes.push(route({ dst: b, via: other.address, dev: "eth0", proto: encap.blackholeProto }));
            encap.l2?.(ctx, other, tmp);
            return tmp;
          }
          for (const b of nodeBlocks(other)) encap.remote(ctx, other, b, tmp);
          encap.l2?.(ctx, other, tmp);
          return tmp;
        });
        ns.routes.push(...o.routes);
        ns.neighbours.push(...o.neighbours);
        ns.fdb.push(...o.fdb);
      }
    },
    buildPod(ctx, _node, pod: PodState, nodeNs) {
      if (!podHasOwnNs(pod)) throw new Error(`pod ${pod.namespace}/${pod.name} has no network namespace of its own`);
      const mtu = ctx.underlayMtu - encap.overhead;
      const podNs = emptyNs(podNsId(pod));
      addLoopback(podNs);
      const hostIf = pod.hostIfName ?? caliName(pod);
      const podMac = macFor(`${podNs.id}/eth0`);
      addVethPair(
        { ns: nodeNs, name: hostIf, mac: CALICO_HOST_MAC, mtu },
        { ns: podNs, name: "eth0", mac: podMac, mtu },
      );
      addAddress(podNs, "eth0", `${pod.podIP}/32`);
      podNs.routes.push(route({ dst: `${CALICO_GW}/32`, dev: "eth0", scope: "link" }));
      podNs.routes.push(route({ dst: "default", via: CALICO_GW, dev: "eth0" }));
      nodeNs.routes.push(route({ dst: `${pod.podIP}/32`, dev: hostIf, scope: "link" }));
      nodeNs.neighbours.push({ dev: hostIf, ip: pod.podIP!, lladdr: podMac, state: "PERMANENT" });
      const s = nodeNs.sysctls;
      s[`net.ipv4.conf.${hostIf}.rp_filter`] = "1";
      s[`net.ipv4.conf.${hostIf}.route_localnet`] = "1";
      s[`net.ipv4.conf.${hostIf}.proxy_arp`] = "1";
      s[`net.ipv4.neigh.${hostIf}.proxy_delay`] = "0";
      s[`net.ipv4.conf.${hostIf}.forwarding`] = "1";
      return { podNs, hostIf };
    },
    netfilter(ctx, _node, mode) {
      const pool = ctx.state.config.networking.podSubnet;
      return mode === "iptables" ? { iptables: calicoIptables(pool) } : { nftables: calicoNftables(pool) };
    },
  };
  if (encap.usesBgp) {
    flavor.bgp = (ctx, node) => ({
      asn: CALICO_ASN,
      routerId: node.address,
      peers: ctx.state.nodes
        .filter((n) => n.name !== node.name)
        .map((n) => ({ name: n.name, address: n.address, asn: CALICO_ASN })),
      originates: nodeBlocks(node),
    });
  }
  return flavor;
}

export const calicoBgp = makeCalico(bgpEncap);
export const calicoIpip = makeCalico(ipipEncap);
export const calicoVxlan = makeCalico(vxlanEncap);
