// A kube-proxy mode (iptables, nftables, ipvs, none) is a strategy producing each
// node's Service rules. Most of a ruleset is identical on every node, so a mode
// returns shared layers (built once) and a small per-node layer.

import type { ClusterState, NodeState } from "../control/state.js";
import type { IptLayer, IpvsVirtualServer, Link, NftLayer } from "../ir/types.js";

export interface ProxyOutput {
  iptables?: IptLayer;
  nftables?: NftLayer;
  ipvs?: IpvsVirtualServer[];
  /** Extra links (kube-ipvs0 holding every Service IP). */
  links?: Link[];
  addresses?: { dev: string; cidr: string }[];
  /** Node sysctls the mode sets (IPVS's strictARP: arp_ignore/arp_announce). */
  sysctls?: Record<string, string>;
  /**
   * What the nodes of one zone share (a perNode output's): the Service chains of ports whose
   * endpoints carry zone hints, built once per zone and placed between the shared layer and
   * the node's own.
   */
  zone?: ProxyOutput;
}

/** A node's kube-proxy netfilter layers in order: shared, its zone's, its own. */
export function proxyLayers(shared: ProxyOutput, own: ProxyOutput): { iptables: IptLayer[]; nftables: NftLayer[] } {
  const iptables: IptLayer[] = [];
  const nftables: NftLayer[] = [];
  for (const o of [shared, own.zone, own]) {
    if (o?.iptables) iptables.push(o.iptables);
    if (o?.nftables) nftables.push(o.nftables);
  }
  return { iptables, nftables };
}

export interface ProxyMode {
  readonly name: "iptables" | "nftables" | "ipvs" | "none";
  /** Netfilter family the mode writes. */
  readonly netfilter: "iptables" | "nftables";
  /**
   * Whether traffic from pods (source in the cluster CIDR) and from the node itself to a
   * Service's external address with externalTrafficPolicy Local takes the Cluster path
   * (iptables/nftables: the "pod traffic for … external destinations" and "route LOCAL
   * traffic" rules, kubernetes pkg/proxy/iptables/proxier.go, pkg/proxy/nftables/proxier.go).
   * IPVS sends every source to the node's local endpoints only (absent: false).
   */
  readonly externalLocalBypass?: boolean;
  /** Rules common to every node (computed once per state). */
  shared(state: ClusterState): ProxyOutput;
  /** What differs on `node` (eTP/iTP Local chains, …), given the shared output. */
  perNode(state: ClusterState, node: NodeState, shared: ProxyOutput): ProxyOutput;
}
