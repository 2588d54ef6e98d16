// The trace model (stable JSON; the web UI draws it). Modelled on Batfish's
// traceroute (Trace → Hops → Steps, a final disposition) with Hubble's verdict words.
//
//   TraceResult
//     flow          what was asked (after name resolution)
//     dns?          the resolver walk for a URL/name destination, and the DNS query's own trace
//     paths[]       one per combination of random choices (statistic/numgen/ipvs rr);
//                   probabilities multiply along a path and sum to 1
//       hops[]      one per network-namespace visit, in order
//         steps[]   one per decision, with the kernel object that decided it
//       disposition the verdict of the path
//       reply?      with --reply: the reply packet's own path back (NAT undone by conntrack)

export type Protocol = "tcp" | "udp" | "sctp" | "icmp";

export interface Flow {
  /** What the user gave ("default/order-app", "node/worker-1", "external"). */
  from: string;
  to: string;
  /** The source namespace id ("pod/default/order-app-…", "node/worker-1", "external"). */
  srcNs: string;
  src: string;
  dst: string;
  protocol: Protocol;
  /** Destination port (absent for icmp). */
  port?: number;
  /** The ephemeral source port used (deterministic). */
  sport?: number;
  /** IP total length in bytes. */
  size: number;
  /** For svc/… and URLs: the Service and port the destination came from. */
  service?: string;
  /** For URLs: the host name and path. */
  host?: string;
  path?: string;
}

/** Headers of the packet at a step. `outer` is set while the packet is encapsulated. */
export interface PacketView {
  src: string;
  dst: string;
  protocol: Protocol | "ipip";
  sport?: number;
  dport?: number;
  ttl: number;
  size: number;
  /** skb mark (hex "0x4000") when non-zero. */
  mark?: string;
  outer?: {
    src: string;
    dst: string;
    protocol: "udp" | "ipip";
    sport?: number;
    dport?: number;
    /** VXLAN network identifier. */
    vni?: number;
    ttl: number;
    size: number;
  };
}

export type StepAction =
  | "ORIGINATED"
  | "ROUTED"
  | "ARP"
  | "BRIDGED"
  | "VETH"
  | "ENCAPSULATED"
  | "DECAPSULATED"
  | "TRANSMITTED"
  | "NAT"
  | "CONNTRACK"
  | "NETFILTER"
  | "IPVS"
  /** An eBPF program's decision (Cilium): the program, the map and the entry that decided. */
  | "BPF"
  /**
   * NetworkPolicy (the podnet-policy table), one step per side on the node that decides it:
   * "egress of NS/POD: not isolated (…)", "ingress of NS/POD: isolated by NS/POL; allowed by
   * NS/POL ingress rule I" or "…; no rule allowed it" (object: the deciding rule).
   */
  | "POLICY"
  | "DNS"
  | "DELIVERED"
  | "REFUSED"
  | "DROPPED";

export interface StepObject {
  kind:
    | "route"
    | "fdb"
    | "neigh"
    | "rule"
    | "nft-rule"
    | "policy"
    | "link"
    | "conntrack"
    | "ipvs"
    | "bpf"
    | "listener"
    | "sysctl";
  /** The object as its tool prints it (an `ip route` line, an iptables-save rule …). */
  text: string;
  /** Netfilter: table ("nat"), chain ("KUBE-SERVICES"), rule index in the merged chain (0-based), layer owner. */
  table?: string;
  chain?: string;
  index?: number;
  layer?: string;
  /** Source line when the rules were parsed from a file. */
  line?: number;
}

export interface Step {
  action: StepAction;
  detail: string;
  object?: StepObject;
  packet: PacketView;
  /** Set on the one step of a path that did not deliver which decided its fate (the
   *  dropping rule, the missing route, the port nobody listens on). */
  decided?: true;
  /** Cilium only: the event its datapath emits here, as Hubble reads it (absent elsewhere). */
  hubble?: StepHubble;
}

/**
 * Hubble's TraceObservationPoint (cilium/cilium api/v1/flow/flow.proto): where a trace event
 * was emitted. The numbers are the trace notification's sub_type (pkg/monitor/api/types.go
 * TraceToLxc=0 … TraceToNetwork=11; flow.proto renumbers TraceToLxc as TO_ENDPOINT=101).
 */
export type TraceObservationPoint =
  | "TO_ENDPOINT"
  | "TO_HOST"
  | "TO_STACK"
  | "TO_OVERLAY"
  | "FROM_ENDPOINT"
  | "FROM_HOST"
  | "FROM_STACK"
  | "FROM_OVERLAY"
  | "FROM_NETWORK"
  | "TO_NETWORK";

/** A flow's end as Hubble's Endpoint message names it (flow.proto: identity, namespace, labels, pod_name). */
export interface HubbleEndpoint {
  identity: number;
  namespace?: string;
  pod_name?: string;
  /** The identity's labels ("k8s:app=web", "reserved:world"). */
  labels?: readonly string[];
}

/** One datapath event in Hubble's Flow fields (flow.proto names, as `hubble observe -o json` prints them). */
export interface StepHubble {
  /** "FORWARDED" or "DROPPED" (a policy verdict that denies, a drop notification). */
  verdict: "FORWARDED" | "DROPPED";
  /** Flow.Type: the datapath's events are L3_L4. */
  Type: "L3_L4";
  /** CiliumEventType: type 4 trace (sub_type the observation point), 1 drop (sub_type the
   *  reason), 5 policy verdict (pkg/monitor/api/types.go MessageType*). */
  event_type: { type: number; sub_type: number };
  /** Trace events only. */
  trace_observation_point?: TraceObservationPoint;
  /** Policy verdicts and drops: the direction the policy was checked for. */
  traffic_direction?: "INGRESS" | "EGRESS";
  source: HubbleEndpoint;
  destination: HubbleEndpoint;
  node_name: string;
  /** Drops: flow.proto's DropReason name and number. */
  drop_reason_desc?: string;
  drop_reason?: number;
}

export interface Hop {
  /** The network namespace: "node/worker-1", "pod/default/web-…", "underlay", "external". */
  ns: string;
  steps: Step[];
}

export type Verdict = "DELIVERED" | "REFUSED" | "DROPPED" | "EXITS_CLUSTER";
/**
 * Why a path did not end DELIVERED: one fixed list, named after Hubble's drop reasons
 * (cilium/cilium api/v1/flow/flow.proto, DropReason) and the kernel's skb drop reasons
 * (include/net/dropreason-core.h) where one fits.
 */
export type DropReason =
  | "POLICY_DENIED"
  | "POLICY_DENY"
  | "SERVICE_BACKEND_NOT_FOUND"
  | "NO_LISTENER"
  | "FIB_LOOKUP_FAILED"
  | "NO_NEIGHBOUR"
  | "TUNNEL_ENDPOINT_MISSING"
  | "LINK_DOWN"
  | "IP_FORWARDING_DISABLED"
  | "RP_FILTER"
  | "MTU_EXCEEDED"
  | "TTL_EXCEEDED"
  | "NETFILTER_DROP"
  | "DNS_NXDOMAIN"
  | "DNS_TIMEOUT"
  | "DNS_REFUSED"
  | "HAIRPIN"
  | "LOOP"
  | "UNSUPPORTED";

export interface Disposition {
  verdict: Verdict;
  reason?: DropReason;
  detail: string;
  /** DELIVERED: the container that listens (absent when the kernel answers, e.g. ICMP echo, or a reply reaching the client socket). */
  container?: string;
  port?: number;
  /** The namespace where the path ended. */
  ns?: string;
  /** The object that decided (the REJECT rule, the blackhole route …). */
  object?: StepObject;
}

export interface TracePath {
  probability: number;
  /** The random choices taken, in order ("KUBE-SVC-… → KUBE-SEP-… (p=0.3333)"). */
  choices: string[];
  hops: Hop[];
  disposition: Disposition;
  reply?: TracePath;
}

export interface DnsQuery {
  name: string;
  type: "A";
  /** "NXDOMAIN", "NOERROR", "NODATA", "SERVFAIL". */
  rcode: string;
  answers: string[];
}

/** A name lookup that fails on some or all paths of its query (dropped, refused, no answer). */
export interface DnsLookup {
  /** "failed": every path of the query fails; "partial": some do (replicas behind different policies). */
  status: "failed" | "partial";
  /** The probability that the lookup fails (1 when failed). */
  failed: number;
  /** Why ("name lookup failed: query to 10.96.0.10:53 dropped by policy NS/NAME"): the first of `reasons`. */
  reason: string;
  /** Every distinct reason, in path order. */
  reasons: string[];
}

/** A lookup that no nameserver answered. */
export interface DnsTimeout {
  /** The addresses asked, in order. */
  nameservers: string[];
  /** "after 10 s (options timeout:5 attempts:2, glibc)". */
  after: string;
}

export interface TraceResult {
  flow: Flow;
  dns?: {
    nameserver: string;
    walk: DnsQuery[];
    /** The answer used (first A record), if any. */
    answer?: string;
    /** Set when /etc/hosts answered (files before dns): the line that did; no query was sent. */
    hosts?: { line: number; text: string };
    /** The first DNS query's own trace (UDP 53 to the nameserver). */
    path?: TracePath[];
    /** Set (by the questions layer) when paths of the query fail: the lookup fails there. */
    lookup?: DnsLookup;
    /** No nameserver answered the walk (none serves those addresses): where it asked, how long it waited. */
    timeout?: DnsTimeout;
  };
  paths: TracePath[];
  /** Set when the number of paths hit opts.maxPaths. */
  truncated?: boolean;
}
