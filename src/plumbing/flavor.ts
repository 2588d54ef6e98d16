// A CNI flavor (flannel vxlan, flannel host-gw, calico bgp/ipip, cilium) is a strategy:
// given the cluster state it contributes each node's and each pod's kernel objects.
// Shared code (ir/build.ts) never switches on a flavor's name; it asks the registry.

import type { ClusterState, NodeState, PodState } from "../control/state.js";
import type { IptLayer, NftLayer, NetNs, NodeBpf, NodeNet } from "../ir/types.js";

/** Allowed port ranges per protocol (the policy layer's ConnSet). */
export type PortRanges = Record<"TCP" | "UDP" | "SCTP", [number, number][]>;

/**
 * The policy layer's NetworkPolicy evaluation, handed to flavors that enforce policy
 * themselves (Cilium's policy maps) by the builder: plumbing does not import policy/.
 */
export interface PolicyOracle {
  /** null: no policy selects `subject` for `dir`; else the rules that match `peer` (a pod, or an IP). */
  allowed(
    dir: "ingress" | "egress",
    subject: PodState,
    peer: PodState | string,
  ): { policy: string; rule: number; conns: PortRanges }[] | null;
  /** Whether some deny rule (CiliumNetworkPolicy ingressDeny/egressDeny) of a policy that
   *  selects `subject` exists for `dir`: the cheap test before `denied` is asked per peer. */
  deniesAny?(dir: "ingress" | "egress", subject: PodState): boolean;
  /** The deny rules (CiliumNetworkPolicy ingressDeny/egressDeny) of `subject`'s policies that
   *  match `peer`: each denies its `conns`. Empty when none. */
  denied?(
    dir: "ingress" | "egress",
    subject: PodState,
    peer: PodState | string,
  ): { policy: string; rule: number; conns: PortRanges }[];
}

export interface FlavorContext {
  state: ClusterState;
  /** Index helpers prepared once per build (pods per node, node by name). */
  podsByNode: Map<string, PodState[]>;
  nodeByName: Map<string, NodeState>;
  /** MTU of the underlay (eth0). */
  underlayMtu: number;
  /** NetworkPolicy evaluation (set by the builder; see PolicyOracle). */
  policy?: PolicyOracle;
}

export interface CniFlavor {
  /** "flannel/vxlan", "flannel/host-gw", "calico/bgp", "calico/ipip", … */
  readonly id: string;
  /** MTU given to pod interfaces (1450 for VXLAN on a 1500 underlay). */
  podMtu(underlayMtu: number): number;
  /** Add the node's CNI objects (bridge, tunnels, routes to other nodes, FDB, sysctls) to `ns`. */
  buildNode(ctx: FlavorContext, node: NodeState, ns: NetNs): void;
  /** Build a (non-hostNetwork) pod's namespace and add the host side of its interface to the node's `nodeNs`. */
  buildPod(ctx: FlavorContext, node: NodeState, pod: PodState, nodeNs: NetNs): { podNs: NetNs; hostIf: string };
  /** The flavor's own netfilter rules on a node (flannel masquerade, CNI-… chains), as a node layer. */
  netfilter(
    ctx: FlavorContext,
    node: NodeState,
    mode: "iptables" | "nftables",
  ): { iptables?: IptLayer; nftables?: NftLayer };
  /**
   * Whether the flavor's own datapath serves pods' hostPorts (Cilium's kube-proxy
   * replacement: HostPort frontends in its lb maps); else the portmap plugin's chains do.
   */
  servesHostPorts?(ctx: FlavorContext): boolean;
  /** Cilium: the node's BPF maps (programs are on the links). */
  bpf?(ctx: FlavorContext, node: NodeState): NodeBpf;
  /** Calico: BGP speaker config. */
  bgp?(ctx: FlavorContext, node: NodeState): NodeNet["bgp"];
}
