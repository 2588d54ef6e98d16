// The flow log's contract between the rules that drop packets (the policy compiler,
// kube-proxy's no-endpoint rejects) and `podnet observe`'s NFLOG reader: the group the
// drop rules log to and the prefix that names why. A `log group N` statement is
// non-terminal (nft_log), so the rule keeps its index and verdict; the interpreter skips it.
import { fitUtf8, utf8Length } from "../net/utf8.js";

/**
 * The NFLOG group of podnet's drop rules. Any free group works; 1 and 2 are taken by
 * Calico felix's own flow logs (felix/rules: NFLOGInboundGroup, NFLOGOutboundGroup).
 */
export const FLOW_LOG_GROUP = 30;

/** NF_LOG_PREFIXLEN is 128 with the NUL (include/uapi/linux/netfilter/nf_log.h). */
const PREFIX_MAX = 127;

export interface FlowLogPrefix {
  /** Hubble's drop reason name (api/v1/flow/flow.proto DropReason). */
  reason: string;
  /** NetworkPolicy drops: the side whose policy denied. */
  direction?: "ingress" | "egress";
  /** NetworkPolicy drops: the policies isolating the pod, `ns/name` (maybe cut, ending in "…"). */
  policies?: string[];
}

/** `REASON [direction [ns/pol,ns/pol…]]`, cut to the kernel's prefix limit. */
export function flowLogPrefix(p: FlowLogPrefix): string {
  let s = p.reason;
  if (p.direction) s += ` ${p.direction}`;
  if (p.policies?.length) s += ` ${p.policies.join(",")}`;
  if (utf8Length(s) <= PREFIX_MAX) return s;
  return `${fitUtf8(s, PREFIX_MAX - utf8Length("…"))}…`;
}

/** Reads a prefix written by flowLogPrefix (null: not one of podnet's). */
export function parseFlowLogPrefix(s: string): FlowLogPrefix | null {
  const m = /^([A-Z_]+)(?: (ingress|egress))?(?: (.+))?$/.exec(s);
  if (!m) return null;
  const out: FlowLogPrefix = { reason: m[1] };
  if (m[2]) out.direction = m[2] as "ingress" | "egress";
  if (m[3]) out.policies = m[3].split(",");
  return out;
}

/** An address and, for TCP/UDP, a port. */
export interface FlowEnd {
  ip: string;
  port?: number;
}

/** One event as a node's readers saw it, before the cluster's names are put on it. */
export interface ObservedEvent {
  /** RFC 3339 with microseconds (what conntrack's and our timestamps carry). */
  time: string;
  node: string;
  proto: string;
  /** conntrack: NEW/UPDATE with the state; nflog: a logged (dropped) packet; TRACE/DROP: a
   *  Cilium datapath notification (the `cilium` field). */
  kind: "NEW" | "UPDATE" | "NFLOG" | "TRACE" | "DROP";
  /** conntrack's TCP state after the event (SYN_SENT, SYN_RECV, ESTABLISHED, …). */
  state?: string;
  /** The original direction's tuple (nflog: the packet's). */
  orig: { src: FlowEnd; dst: FlowEnd };
  /** conntrack: the reply tuple (DNAT/SNAT show as it differing from orig reversed). */
  reply?: { src: FlowEnd; dst: FlowEnd };
  /** nflog: the TCP flags of the packet (Hubble's names: SYN, ACK, FIN, RST, PSH, URG). */
  tcpFlags?: string[];
  /** nflog: the rule's prefix. */
  prefix?: string;
  /** TRACE/DROP: what the BPF program said (cilium/cilium bpf/lib/trace.h, drop.h). */
  cilium?: CiliumNotify;
}

/** A Cilium trace or drop notification's fields (pkg/monitor/datapath_trace.go, datapath_drop.go). */
export interface CiliumNotify {
  /** The message's sub_type: a trace's observation point (TraceToLxc 0 … TraceToNetwork 11), a drop's reason. */
  subType: number;
  /** The emitting endpoint's id (0: the host's programs). */
  source: number;
  srcIdentity: number;
  dstIdentity: number;
  /** The destination endpoint's id (drops: 0 on egress). */
  dstId: number;
  ifindex: number;
  /** Traces: TRACE_REASON_* (0 new, 1 established, 2 reply). */
  reason?: number;
  /** Drops: flow.proto's DropReason name for subType. */
  dropReason?: string;
}

/** What the readers could not deliver, per source: exact counts and overruns of unknown size. */
export interface ObserveLosses {
  /** Messages known lost (NFLOG sequence gaps). */
  lost: number;
  /** Buffer overruns whose size the kernel does not tell (conntrack's ENOBUFS). */
  overruns: number;
  /** Readers that died, with why. */
  readerErrors: string[];
}
