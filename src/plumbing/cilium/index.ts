// Cilium (https://docs.cilium.io/en/stable/network/concepts/routing/), the devices and routes
// the agent and cilium-cni create; the forwarding itself is eBPF at tc hooks (maps.ts).
// - Node: the veth pair cilium_host ↔ cilium_net (no bridge); the router IP (CiliumInternalIP,
//   here the first address of the node's PodCIDR) as a /32 on cilium_host
//   (pkg/datapath/loader, pkg/defaults/node.go).
// - Tunnel: cilium_vxlan (UDP 8472) or cilium_geneve (UDP 6081) in collect-metadata mode
//   (`external`: no FDB, no neighbours; BPF sets the remote and the VNI per packet).
// - Node routes (pkg/datapath/linux/node.go, tunnel mode): the local PodCIDR and every remote
//   PodCIDR `via <router> dev cilium_host proto kernel src <router>`, remote ones with
//   `mtu <RouteMTU>` (underlay − 50, pkg/mtu/mtu.go), and `<router> dev cilium_host scope link`.
//   Native routing with auto-direct-node-routes: remote PodCIDRs `via <node IP> dev eth0`.
// - Pod (plugins/cilium-cni): host side `lxc` + 12 hex of sha256(container ID), the peer named
//   eth0 with the pod IP /32, `<router> dev eth0 scope link` and `default via <router> dev eth0
//   mtu <RouteMTU>`. bpf_lxc answers the pod's ARP with the lxc MAC.
// - Programs (bpf_lxc.c, bpf_host.c, bpf_overlay.c): cil_from_container at lxc tc ingress,
//   cil_from_host at cilium_host tc egress, cil_to_host at cilium_host/cilium_net ingress,
//   cil_from_overlay / cil_to_overlay on the tunnel device, cil_from_netdev / cil_to_netdev on eth0.
// Netfilter: only the masquerade of pod traffic leaving the cluster (CILIUM_POST_nat,
// pkg/datapath/iptables/iptables.go); Services are in BPF (kube-proxy replacement) unless
// kubeProxyMode keeps kube-proxy in front.

import type { NodeState, PodState } from "../../control/state.js";
import type { BpfProg, IptLayer, Link, NftLayer, NftStmt } from "../../ir/types.js";
import { intToIp, parseCidr } from "../../net/ipv4.js";
import type { CniFlavor, FlavorContext } from "../flavor.js";
import { iptRule } from "../ipt.js";
import {
  addAddress,
  addLoopback,
  addVethPair,
  emptyNs,
  firstHost,
  hexOf,
  macFor,
  podHasOwnNs,
  podNsId,
  route,
  shared,
} from "../kernel.js";
import { endpointIds, nodeBpf } from "./maps.js";

export const CILIUM_HOST = "cilium_host";
export const CILIUM_NET = "cilium_net";

type Mode = "vxlan" | "geneve" | "native";

interface Tunnel {
  dev: string;
  port: number;
  overhead: number;
}
const TUNNELS: Record<Mode, Tunnel | null> = {
  vxlan: { dev: "cilium_vxlan", port: 8472, overhead: 50 },
  geneve: { dev: "cilium_geneve", port: 6081, overhead: 50 },
  native: null,
};

/** CiliumInternalIP: the first address of the node's PodCIDR (cluster-pool IPAM reserves it). */
export function routerIP(node: NodeState): string {
  return firstHost(node.podCIDR);
}

/** cilium-cni's host-side name: "lxc" + the first 12 hex of sha256(container ID). */
export function lxcName(pod: PodState): string {
  return pod.hostIfName ?? `lxc${hexOf("sha256", pod.containerID || podNsId(pod)).slice(0, 12)}`;
}

const prog = (name: string, object: string, extra: Partial<BpfProg> = {}): BpfProg => ({ name, object, ...extra });
// bpf_host.o / bpf_overlay.o programs are the same on every node: one object each.
const FROM_HOST = prog("cil_from_host", "bpf_host.o");
const TO_HOST = prog("cil_to_host", "bpf_host.o");
const FROM_NETDEV = prog("cil_from_netdev", "bpf_host.o");
const TO_NETDEV = prog("cil_to_netdev", "bpf_host.o");
const FROM_OVERLAY = prog("cil_from_overlay", "bpf_overlay.o");
const TO_OVERLAY = prog("cil_to_overlay", "bpf_overlay.o");

function makeCilium(mode: Mode): CniFlavor {
  const tun = TUNNELS[mode];
  const routeMtu = (underlay: number) => underlay - (tun?.overhead ?? 0);
  return {
    id: `cilium/${mode}`,
    podMtu: (underlay) => underlay,
    buildNode(ctx, node, ns) {
      const mtu = ctx.underlayMtu;
      const rip = routerIP(node);
      addVethPair(
        { ns, name: CILIUM_HOST, mac: macFor(`${ns.id}/${CILIUM_HOST}`), mtu },
        { ns, name: CILIUM_NET, mac: macFor(`${ns.id}/${CILIUM_NET}`), mtu },
      );
      const host = ns.links[ns.links.length - 2];
      const net = ns.links[ns.links.length - 1];
      host.tc = { ingress: TO_HOST, egress: FROM_HOST };
      net.tc = { ingress: TO_HOST };
      addAddress(ns, CILIUM_HOST, `${rip}/32`);
      const eth0 = ns.links.find((l) => l.name === "eth0");
      if (eth0) eth0.tc = { ingress: FROM_NETDEV, egress: TO_NETDEV };
      if (tun) {
        const l: Link = {
          name: tun.dev,
          kind: mode === "geneve" ? "geneve" : "vxlan",
          mtu,
          mac: macFor(`${ns.id}/${tun.dev}`),
          up: true,
          tc: { ingress: FROM_OVERLAY, egress: TO_OVERLAY },
        };
        if (mode === "geneve") l.geneve = { port: tun.port, external: true };
        else l.vxlan = { vni: 0, port: tun.port, local: "", dev: "", learning: false, external: true };
        ns.links.push(l);
      }
      const viaHost = (dst: string, mtu?: number) =>
        route({ dst, via: rip, dev: CILIUM_HOST, proto: "kernel", src: rip, ...(mtu ? { mtu } : {}) });
      ns.routes.push(viaHost(node.podCIDR));
      ns.routes.push(route({ dst: `${rip}/32`, dev: CILIUM_HOST, proto: "kernel", scope: "link" }));
      const remoteMtu = routeMtu(ctx.underlayMtu);
      for (const other of ctx.state.nodes) {
        if (other.name === node.name || !other.podCIDR) continue;
        // One route per remote node on every node (5,000² at the thresholds): a literal of
        // viaHost's shape (route()'s spread put the fields out of object: 112 → 88 bytes).
        if (tun && remoteMtu)
          ns.routes.push({
            table: "main",
            type: "unicast",
            dst: other.podCIDR,
            via: rip,
            dev: CILIUM_HOST,
            proto: "kernel",
            src: rip,
            mtu: remoteMtu,
          });
        else if (tun) ns.routes.push(viaHost(other.podCIDR));
        else
          ns.routes.push(
            shared(ctx.state, `cilium/native/${other.name}`, () =>
              route({ dst: other.podCIDR, via: other.address, dev: "eth0" }),
            ),
          );
      }
      ns.sysctls[`net.ipv4.conf.${CILIUM_HOST}.forwarding`] = "1";
      ns.sysctls[`net.ipv4.conf.${CILIUM_NET}.forwarding`] = "1";
    },
    buildPod(ctx, node, pod, nodeNs) {
      if (!podHasOwnNs(pod)) throw new Error(`pod ${pod.namespace}/${pod.name} has no network namespace of its own`);
      const mtu = ctx.underlayMtu;
      const podNs = emptyNs(podNsId(pod));
      addLoopback(podNs);
      const hostIf = lxcName(pod);
      const id = endpointIds(ctx, node).get(`${pod.namespace}/${pod.name}`);
      const [lxc] = addVethPair(
        { ns: nodeNs, name: hostIf, mac: macFor(`${nodeNs.id}/${hostIf}`), mtu },
        { ns: podNs, name: "eth0", mac: macFor(`${podNs.id}/eth0`), mtu },
      );
      lxc.tc = { ingress: prog("cil_from_container", "bpf_lxc.o", { endpoint: id, arpResponder: true }) };
      addAddress(podNs, "eth0", `${pod.podIP}/32`);
      const rip = routerIP(node);
      podNs.routes.push(route({ dst: `${rip}/32`, dev: "eth0", scope: "link" }));
      podNs.routes.push(route({ dst: "default", via: rip, dev: "eth0", mtu: routeMtu(ctx.underlayMtu) }));
      // cilium-cni turns rp_filter off on the host side (pkg/datapath/connector/veth.go).
      nodeNs.sysctls[`net.ipv4.conf.${hostIf}.rp_filter`] = "0";
      return { podNs, hostIf };
    },
    netfilter(ctx, node, nfMode) {
      const pool = ctx.state.config.networking.podSubnet;
      return nfMode === "iptables"
        ? { iptables: ciliumIptables(node.podCIDR, pool) }
        : { nftables: ciliumNftables(node.podCIDR, pool) };
    },
    // hostPort with the kube-proxy replacement: HostPort lb frontends, no portmap chaining
    // (docs.cilium.io, Kubernetes Without kube-proxy: Container HostPort Support).
    servesHostPorts: (ctx) => ctx.state.config.networking.kubeProxyMode === "none",
    bpf(ctx, node) {
      return nodeBpf(ctx, node, {
        routerIP: routerIP(node),
        tunnel: tun ? { dev: tun.dev, protocol: mode === "geneve" ? "geneve" : "vxlan", port: tun.port } : undefined,
      });
    },
  };
}

/** CILIUM_POST_nat: masquerade what a local pod sends outside the cluster (not to a cilium_ device). */
function ciliumIptables(podCIDR: string, pool: string): IptLayer {
  return {
    owner: "cilium",
    role: "cni",
    tables: {
      nat: {
        POSTROUTING: {
          name: "POSTROUTING",
          rules: [iptRule("-m", "comment", "--comment", "cilium-feeder: CILIUM_POST_nat", "-j", "CILIUM_POST_nat")],
        },
        CILIUM_POST_nat: {
          name: "CILIUM_POST_nat",
          rules: [
            iptRule(
              "-s",
              podCIDR,
              "!",
              "-d",
              pool,
              "!",
              "-o",
              "cilium_+",
              "-m",
              "comment",
              "--comment",
              "cilium masquerade non-cluster",
              "-j",
              "MASQUERADE",
            ),
          ],
        },
      },
    },
  };
}

function ciliumNftables(podCIDR: string, pool: string): NftLayer {
  const pfx = (cidr: string) => {
    const c = parseCidr(cidr, true);
    return { prefix: { addr: intToIp(c.base), len: c.prefix } };
  };
  const sel = (field: string, op: "==" | "!=", cidr: string): NftStmt => ({
    match: { op, left: { payload: { protocol: "ip", field } }, right: pfx(cidr) },
  });
  return {
    owner: "cilium",
    tables: [
      {
        family: "ip",
        name: "cilium",
        role: "cni",
        chains: {
          "nat-POSTROUTING": {
            name: "nat-POSTROUTING",
            type: "nat",
            hook: "postrouting",
            prio: 100,
            policy: "accept",
            rules: [{ expr: [{ jump: { target: "CILIUM_POST_nat" } }] }],
          },
          CILIUM_POST_nat: {
            name: "CILIUM_POST_nat",
            rules: [
              {
                expr: [
                  sel("saddr", "==", podCIDR),
                  sel("daddr", "!=", pool),
                  { match: { op: "!=", left: { meta: { key: "oifname" } }, right: "cilium_*" } },
                  { masquerade: null },
                ],
                comment: "cilium masquerade non-cluster",
              },
            ],
          },
        },
        sets: {},
      },
    ],
  };
}

export const ciliumVxlan = makeCilium("vxlan");
export const ciliumGeneve = makeCilium("geneve");
export const ciliumNative = makeCilium("native");
export type { FlavorContext };
