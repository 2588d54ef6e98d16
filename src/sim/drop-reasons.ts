// The fixed list of drop reasons (trace.ts DropReason), each with the number Hubble gives
// it and one line on what it means. `-o json` carries the number as `drop_reason` and the
// name as `drop_reason_desc`, as Hubble's flow JSON does (cilium/cilium
// api/v1/flow/flow.proto: `drop_reason` is the deprecated uint32, `drop_reason_desc` the
// DropReason enum, printed by name).
//
// Numbers are flow.proto's where Hubble has that reason (Cilium's datapath drops:
// bpf/lib/common.h DROP_*, pkg/monitor/api/drop.go). Where it has none — Cilium's eBPF
// datapath never sees a socket-less port, a bridge, a sysctl or a name lookup — the number
// is 0, flow.proto's DROP_REASON_UNKNOWN, and the name is podnet's own (after the kernel's
// SKB_DROP_REASON_*, include/net/dropreason-core.h, where one fits).

import type { DropReason } from "./trace.js";

export interface DropReasonInfo {
  /** flow.proto's DropReason number; 0 (DROP_REASON_UNKNOWN) where Hubble has no such reason. */
  code: number;
  /** Hubble's enum name for it, when Hubble has the reason under another name. */
  hubble?: string;
  /** The kernel's skb drop reason (SKB_DROP_REASON_…) the real packet meets, where one fits. */
  kernel?: string;
  /** One line: what happened to the packet. */
  desc: string;
}

export const DROP_REASON_UNKNOWN = 0;

/** The drops of the network between the ends (routes, links, neighbours, tunnels, sysctls,
 *  MTU): what diagnose's path checks report, as opposed to policy, Service, listener or DNS. */
export const PATH_REASONS: ReadonlySet<DropReason> = new Set<DropReason>([
  "FIB_LOOKUP_FAILED",
  "NO_NEIGHBOUR",
  "MTU_EXCEEDED",
  "TTL_EXCEEDED",
  "LINK_DOWN",
  "IP_FORWARDING_DISABLED",
  "TUNNEL_ENDPOINT_MISSING",
  "RP_FILTER",
  "LOOP",
  "HAIRPIN",
  "UNSUPPORTED",
]);

/** Every reason, in the order of the README's table. */
export const DROP_REASONS: Readonly<Record<DropReason, DropReasonInfo>> = Object.freeze({
  POLICY_DENIED: {
    code: 133,
    kernel: "NETFILTER_DROP",
    desc: "a NetworkPolicy isolates the pod for this direction and none of its rules allows the flow",
  },
  POLICY_DENY: {
    code: 181,
    desc: "a deny rule (CiliumNetworkPolicy ingressDeny/egressDeny) matches the flow: deny takes precedence over any allow",
  },
  SERVICE_BACKEND_NOT_FOUND: {
    code: 158,
    kernel: "NETFILTER_DROP",
    desc: "the Service has no (local) ready endpoint: kube-proxy rejects it (ICMP port unreachable)",
  },
  NO_LISTENER: {
    code: DROP_REASON_UNKNOWN,
    kernel: "NO_SOCKET",
    desc: "nothing listens on the port in the destination (TCP RST, ICMP port/protocol unreachable)",
  },
  FIB_LOOKUP_FAILED: {
    code: 169,
    kernel: "IP_OUTNOROUTES",
    desc: "no route to the destination, an unreachable/blackhole/prohibit route, a tunnel endpoint routed back into its tunnel, or a Service address no rule translated (nothing routes the Service range)",
  },
  NO_NEIGHBOUR: {
    code: DROP_REASON_UNKNOWN,
    kernel: "NEIGH_FAILED",
    desc: "the next hop's MAC is unknown: ARP unanswered, no neighbour entry, no bridge port leads there",
  },
  TUNNEL_ENDPOINT_MISSING: {
    code: 160,
    hubble: "NO_TUNNEL_OR_ENCAPSULATION_ENDPOINT",
    desc: "no VTEP for the destination: no VXLAN FDB entry on the sender, or no tunnel device at the receiver",
  },
  LINK_DOWN: {
    code: DROP_REASON_UNKNOWN,
    desc: "the interface the packet leaves or arrives by is down (or its veth peer is gone)",
  },
  IP_FORWARDING_DISABLED: {
    code: DROP_REASON_UNKNOWN,
    desc: "net.ipv4.ip_forward is 0 where the packet must be routed on",
  },
  RP_FILTER: {
    code: DROP_REASON_UNKNOWN,
    kernel: "IP_RPFILTER",
    desc: "strict reverse-path filter (rp_filter=1): the route back to the source leaves by another interface",
  },
  MTU_EXCEEDED: {
    code: DROP_REASON_UNKNOWN,
    kernel: "PKT_TOO_BIG",
    desc: "the packet is larger than the link's MTU and DF is set (ICMP fragmentation needed)",
  },
  TTL_EXCEEDED: {
    code: 196,
    desc: "the TTL ran out in transit (ICMP time exceeded)",
  },
  NETFILTER_DROP: {
    code: DROP_REASON_UNKNOWN,
    kernel: "NETFILTER_DROP",
    desc: "an iptables/nftables rule that is not a NetworkPolicy's or kube-proxy's no-endpoint rule drops or rejects it",
  },
  DNS_NXDOMAIN: {
    code: DROP_REASON_UNKNOWN,
    desc: "the name does not resolve: every query of the search walk answered NXDOMAIN (or NODATA: no A record)",
  },
  DNS_TIMEOUT: {
    code: DROP_REASON_UNKNOWN,
    desc: "no nameserver answered the lookup (query dropped, refused or unanswered; SERVFAIL): getaddrinfo EAI_AGAIN",
  },
  DNS_REFUSED: {
    code: DROP_REASON_UNKNOWN,
    desc: "the nameserver answered REFUSED",
  },
  HAIRPIN: {
    code: DROP_REASON_UNKNOWN,
    desc: "the bridge would send the frame back out of the port it came in by, and hairpin mode is off",
  },
  LOOP: {
    code: DROP_REASON_UNKNOWN,
    desc: "too many hops: a forwarding loop",
  },
  UNSUPPORTED: {
    code: DROP_REASON_UNKNOWN,
    desc: "the model cannot follow the packet further (a device kind it does not know, a walk without a verdict)",
  },
});

/** Hubble's numeric code for a reason (0 = DROP_REASON_UNKNOWN for podnet's own). */
export function dropReasonCode(r: DropReason): number {
  return DROP_REASONS[r].code;
}
