// `podnet observe`'s flows: the kernel's events (conntrack, NFLOG; see src/linux/observe.ts)
// named from the cluster's state and shaped as Hubble's flows (cilium/cilium
// api/v1/flow/flow.proto; the JSON of `hubble observe -o json`, the compact line of
// hubble/pkg/printer/printer.go). Pure.
//
// What conntrack says and how it becomes flows:
//   NEW: the first packet (TCP: SYN). When the reply tuple is not the original reversed,
//     the connection was NATed: a TRANSLATED flow (to the Service, Summary naming the
//     backend) precedes the FORWARDED one to the backend.
//   UPDATE: a TCP state change; the flags are those of the packet that causes it in
//     nf_conntrack_proto_tcp.c's state table (SYN_RECV ← SYN-ACK from the reply side,
//     ESTABLISHED ← ACK, FIN_WAIT/LAST_ACK ← FIN, CLOSE ← RST, …); UDP's UPDATE is the
//     first reply. is_reply is set only where the state says which side sent it.
//   NFLOG: a packet a drop rule logged: DROPPED with the prefix's reason and policies.
//   TRACE/DROP (Cilium nodes): the BPF programs' notifications, one flow each, as Hubble's
//     parser makes them (cilium/cilium pkg/hubble/parser/threefour/parser.go): identities,
//     event_type, the observation point, trace_reason and is_reply from the trace's reason,
//     drop_reason; a drop's is_reply unknown.
// Observation points: a flow to a pod of the node is `to-endpoint`; to a pod of another
// node `to-overlay` when the node tunnels (a vxlan/ipip link) else `to-stack`; to
// anything else (the node, outside) `to-stack`.
import type { ClusterState, PodState } from "../control/state.js";
import { type ObservedEvent, parseFlowLogPrefix } from "../ir/flowlog.js";

export type Verdict = "FORWARDED" | "DROPPED" | "TRANSLATED";

export interface HubbleEndpoint {
  /** Cilium nodes: the security identity the datapath gave. */
  identity?: number;
  namespace?: string;
  pod_name?: string;
  labels?: string[];
}

/** One flow in Hubble's JSON field names (flow.proto's json_name). */
export interface HubbleFlow {
  time: string;
  verdict: Verdict;
  drop_reason_desc?: string;
  /** Cilium nodes: the deprecated number beside drop_reason_desc. */
  drop_reason?: number;
  /** Cilium nodes: CiliumEventType (type 4 trace, sub_type the point; 1 drop, sub_type the reason). */
  event_type?: { type: number; sub_type: number };
  IP: { source: string; destination: string; ipVersion: "IPv4" };
  l4?: {
    TCP?: { source_port: number; destination_port: number; flags?: Record<string, boolean> };
    UDP?: { source_port: number; destination_port: number };
    ICMPv4?: Record<string, never>;
  };
  source: HubbleEndpoint;
  destination: HubbleEndpoint;
  Type: "L3_L4";
  node_name: string;
  is_reply?: boolean;
  traffic_direction: "INGRESS" | "EGRESS" | "TRAFFIC_DIRECTION_UNKNOWN";
  trace_observation_point?: TraceObservationPoint;
  /** Cilium nodes: flow.proto TraceReason. */
  trace_reason?: "NEW" | "ESTABLISHED" | "REPLY" | "RELATED" | "REOPENED" | "TRACE_REASON_UNKNOWN";
  destination_service?: { name: string; namespace: string };
  ingress_denied_by?: { name: string; namespace: string }[];
  egress_denied_by?: { name: string; namespace: string }[];
  Summary: string;
}

/** Names for addresses, from the running cluster's state. */
export interface FlowNames {
  pods: Map<string, PodState>;
  services: Map<string, { namespace: string; name: string }>;
  nodes: Map<string, string>;
  podNode: Map<string, string>;
  /** Nodes whose cross-node pod traffic leaves through a tunnel device. */
  tunnelNodes: Set<string>;
  /** The tunnels' UDP ports (VXLAN): node-to-node packets carrying pod traffic, not flows of their own. */
  tunnelPorts: Set<number>;
}

export function flowNames(
  state: ClusterState,
  tunnels: { nodes: Iterable<string>; udpPorts: Iterable<number> } = { nodes: [], udpPorts: [] },
): FlowNames {
  const pods = new Map<string, PodState>();
  const podNode = new Map<string, string>();
  for (const p of state.pods)
    if (p.podIP && !p.spec.hostNetwork && p.phase === "Running") {
      pods.set(p.podIP, p);
      if (p.nodeName) podNode.set(p.podIP, p.nodeName);
    }
  const services = new Map<string, { namespace: string; name: string }>();
  for (const s of state.services) {
    const ref = { namespace: s.namespace, name: s.name };
    for (const ip of [s.clusterIP, ...s.externalIPs, ...s.loadBalancerIPs])
      if (ip && ip !== "None") services.set(ip, ref);
  }
  const nodes = new Map(state.nodes.map((n) => [n.address, n.name]));
  return {
    pods,
    services,
    nodes,
    podNode,
    tunnelNodes: new Set(tunnels.nodes),
    tunnelPorts: new Set(tunnels.udpPorts),
  };
}

// The packet that moves conntrack's TCP state to each (nf_conntrack_proto_tcp.c tcp_conntracks),
// and whether it is known to come from the reply side.
const TCP_STATE_FLAGS: Record<string, { flags: string[]; reply?: boolean }> = {
  SYN_SENT: { flags: ["SYN"], reply: false },
  SYN_RECV: { flags: ["SYN", "ACK"], reply: true },
  ESTABLISHED: { flags: ["ACK"] },
  FIN_WAIT: { flags: ["FIN"] },
  CLOSE_WAIT: { flags: ["ACK"] },
  LAST_ACK: { flags: ["FIN"] },
  TIME_WAIT: { flags: ["ACK"] },
  CLOSE: { flags: ["RST"] },
};

// pkg/monitor/api/drop.go's texts.
const DROP_DESC: Record<string, string> = {
  POLICY_DENIED: "Policy denied",
  POLICY_DENY: "Policy denied by denylist",
  SERVICE_BACKEND_NOT_FOUND: "Service backend not found",
  INVALID_SOURCE_IP: "Invalid source ip",
  ERROR_WRITING_TO_PACKET: "Error writing to packet",
  ERROR_RETRIEVING_TUNNEL_KEY: "Error retrieving tunnel key",
};

/** flow.proto TraceObservationPoint, by the trace's sub_type (pkg/monitor/api/types.go TraceToLxc 0 … TraceToNetwork 11). */
export type TraceObservationPoint =
  | "TO_ENDPOINT"
  | "TO_PROXY"
  | "TO_HOST"
  | "TO_STACK"
  | "TO_OVERLAY"
  | "FROM_ENDPOINT"
  | "FROM_PROXY"
  | "FROM_HOST"
  | "FROM_STACK"
  | "FROM_OVERLAY"
  | "FROM_NETWORK"
  | "TO_NETWORK";
const TRACE_POINTS: TraceObservationPoint[] = [
  "TO_ENDPOINT",
  "TO_PROXY",
  "TO_HOST",
  "TO_STACK",
  "TO_OVERLAY",
  "FROM_ENDPOINT",
  "FROM_PROXY",
  "FROM_HOST",
  "FROM_STACK",
  "FROM_OVERLAY",
  "FROM_NETWORK",
  "TO_NETWORK",
];
/** bpf/lib/trace.h trace_reason 0..4 → flow.proto TraceReason. */
const TRACE_REASONS = ["NEW", "ESTABLISHED", "REPLY", "RELATED", "REOPENED"] as const;
/** Reserved identities' labels (pkg/identity/numericidentity.go). */
const RESERVED: Record<number, string> = { 1: "reserved:host", 2: "reserved:world", 6: "reserved:remote-node" };

function endpoint(names: FlowNames, ip: string, atNode: string): HubbleEndpoint {
  const p = names.pods.get(ip);
  if (p) {
    const labels = Object.entries(p.labels)
      .map(([k, v]) => `k8s:${k}=${v}`)
      .concat(`k8s:io.kubernetes.pod.namespace=${p.namespace}`)
      .sort();
    return { namespace: p.namespace, pod_name: p.name, labels };
  }
  const svc = names.services.get(ip);
  if (svc) return { namespace: svc.namespace, labels: ["reserved:world"] };
  const node = names.nodes.get(ip);
  if (node) return { labels: [node === atNode ? "reserved:host" : "reserved:remote-node"] };
  return { labels: ["reserved:world"] };
}

/** `ns/pod:port`, a Service `ns/svc:port`, a node `node:port`, else `ip:port` (Hubble's compact form). */
export function endText(names: FlowNames, ip: string, port?: number): string {
  const p = names.pods.get(ip);
  const svc = names.services.get(ip);
  const node = names.nodes.get(ip);
  const who = p ? `${p.namespace}/${p.name}` : svc ? `${svc.namespace}/${svc.name}` : (node ?? ip);
  return port !== undefined ? `${who}:${port}` : who;
}

function l4(e: ObservedEvent, sport?: number, dport?: number, flags?: string[]): HubbleFlow["l4"] {
  if (e.proto === "tcp") {
    const tcp: NonNullable<HubbleFlow["l4"]>["TCP"] = { source_port: sport ?? 0, destination_port: dport ?? 0 };
    if (flags?.length) tcp.flags = Object.fromEntries(flags.map((f) => [f, true]));
    return { TCP: tcp };
  }
  if (e.proto === "udp") return { UDP: { source_port: sport ?? 0, destination_port: dport ?? 0 } };
  if (e.proto === "icmp") return { ICMPv4: {} };
  return undefined;
}

function point(names: FlowNames, node: string, dst: string): NonNullable<HubbleFlow["trace_observation_point"]> {
  const on = names.podNode.get(dst);
  if (on === node) return "TO_ENDPOINT";
  if (on !== undefined) return names.tunnelNodes.has(node) ? "TO_OVERLAY" : "TO_STACK";
  return "TO_STACK";
}

function flagText(flags?: string[]): string {
  return flags?.length ? `TCP Flags: ${flags.join(", ")}` : "";
}

/** Encapsulated pod traffic between nodes (VXLAN's UDP, IPIP): Hubble shows the inner flow only. */
function isTunnel(e: ObservedEvent, names: FlowNames): boolean {
  if (!names.nodes.has(e.orig.src.ip) || !names.nodes.has(e.orig.dst.ip)) return false;
  return e.proto === "ipip" || e.proto === "4" || (e.proto === "udp" && names.tunnelPorts.has(e.orig.dst.port ?? -1));
}

/** A Cilium node's trace or drop notification as Hubble's flow. */
function ciliumFlow(e: ObservedEvent, c: NonNullable<ObservedEvent["cilium"]>, names: FlowNames): HubbleFlow {
  const { src, dst } = e.orig;
  const end = (ip: string, identity: number): HubbleEndpoint => {
    const ep = endpoint(names, ip, e.node);
    if (!names.pods.has(ip) && RESERVED[identity]) ep.labels = [RESERVED[identity]];
    return { identity, ...ep };
  };
  const f: HubbleFlow = {
    time: e.time,
    verdict: e.kind === "DROP" ? "DROPPED" : "FORWARDED",
    IP: { source: src.ip, destination: dst.ip, ipVersion: "IPv4" },
    l4: l4(e, src.port, dst.port, e.tcpFlags),
    source: end(src.ip, c.srcIdentity),
    destination: end(dst.ip, c.dstIdentity),
    Type: "L3_L4",
    node_name: e.node,
    event_type: { type: e.kind === "DROP" ? 1 : 4, sub_type: c.subType },
    traffic_direction: "TRAFFIC_DIRECTION_UNKNOWN",
    Summary: flagText(e.tcpFlags) || e.proto.toUpperCase(),
  };
  const svc = names.services.get(dst.ip);
  if (svc) f.destination_service = svc;
  if (e.kind === "DROP") {
    f.drop_reason = c.subType;
    f.drop_reason_desc = c.dropReason ?? "DROP_REASON_UNKNOWN";
    // drop_notify's dst_id is the destination endpoint on ingress, 0 on egress (bpf/lib/drop.h).
    f.traffic_direction = c.dstId ? "INGRESS" : "EGRESS";
    f.Summary = [f.Summary, DROP_DESC[f.drop_reason_desc] ?? f.drop_reason_desc].join(" ");
    return f;
  }
  const point = TRACE_POINTS[c.subType];
  if (point) f.trace_observation_point = point;
  f.traffic_direction = point === "TO_ENDPOINT" ? "INGRESS" : point?.startsWith("TO_") ? "EGRESS" : f.traffic_direction;
  const reason = c.reason !== undefined ? TRACE_REASONS[c.reason] : undefined;
  f.trace_reason = reason ?? "TRACE_REASON_UNKNOWN";
  if (reason) f.is_reply = reason === "REPLY";
  return f;
}

/** The flows one event stands for (a NATed NEW: TRANSLATED then FORWARDED; a tunnel's packets: none). */
export function toFlows(e: ObservedEvent, names: FlowNames): HubbleFlow[] {
  if (e.cilium) return [ciliumFlow(e, e.cilium, names)];
  if (isTunnel(e, names)) return [];
  const base = (src: string, dst: string) => ({
    time: e.time,
    IP: { source: src, destination: dst, ipVersion: "IPv4" as const },
    source: endpoint(names, src, e.node),
    destination: endpoint(names, dst, e.node),
    Type: "L3_L4" as const,
    node_name: e.node,
  });
  if (e.kind === "NFLOG") {
    const pre = parseFlowLogPrefix(e.prefix ?? "");
    const reason = pre?.reason ?? "UNKNOWN";
    const { src, dst } = e.orig;
    const f: HubbleFlow = {
      ...base(src.ip, dst.ip),
      verdict: "DROPPED",
      drop_reason_desc: reason,
      l4: l4(e, src.port, dst.port, e.tcpFlags),
      // The drop rules follow `ct state established,related accept`: only a connection's first packets reach them.
      is_reply: false,
      traffic_direction:
        pre?.direction === "ingress" ? "INGRESS" : pre?.direction === "egress" ? "EGRESS" : "TRAFFIC_DIRECTION_UNKNOWN",
      Summary: [flagText(e.tcpFlags) || e.proto.toUpperCase(), DROP_DESC[reason] ?? reason].join(" "),
    };
    const svc = names.services.get(dst.ip);
    if (svc) f.destination_service = svc;
    if (pre?.policies?.length) {
      const by = pre.policies.map((p) => {
        const i = p.indexOf("/");
        return { namespace: p.slice(0, i), name: p.slice(i + 1) };
      });
      if (pre.direction === "egress") f.egress_denied_by = by;
      else f.ingress_denied_by = by;
      f.Summary += ` by ${pre.direction} policy ${pre.policies.join(", ")}`;
    }
    return [f];
  }
  const { orig } = e;
  const reply = e.reply ?? { src: orig.dst, dst: orig.src };
  // The backend (after DNAT) is the reply's source; the client as seen after SNAT its destination.
  const backend = reply.src;
  const st = e.proto === "tcp" && e.state ? TCP_STATE_FLAGS[e.state] : undefined;
  const flags = e.proto === "tcp" ? (st?.flags ?? []) : undefined;
  const isReply = e.proto === "tcp" ? st?.reply : e.kind === "UPDATE" ? true : e.kind === "NEW" ? false : undefined;
  const out: HubbleFlow[] = [];
  const dnat = backend.ip !== orig.dst.ip || backend.port !== orig.dst.port;
  const snat = reply.dst.ip !== orig.src.ip || reply.dst.port !== orig.src.port;
  if (e.kind === "NEW" && (dnat || snat)) {
    const svc = names.services.get(orig.dst.ip);
    const t: HubbleFlow = {
      ...base(orig.src.ip, orig.dst.ip),
      verdict: "TRANSLATED",
      l4: l4(e, orig.src.port, orig.dst.port, flags),
      traffic_direction: "EGRESS",
      is_reply: false,
      Summary: [
        dnat ? `DNAT ${endText(names, orig.dst.ip, orig.dst.port)} -> ${endText(names, backend.ip, backend.port)}` : "",
        snat ? `SNAT ${endText(names, orig.src.ip, orig.src.port)} -> ${reply.dst.ip}:${reply.dst.port}` : "",
      ]
        .filter(Boolean)
        .join("; "),
    };
    if (svc) t.destination_service = svc;
    out.push(t);
  }
  // The packet's direction: from the reply side, the backend sends to the client.
  const [src, dst] = isReply ? [backend, orig.src] : [orig.src, backend];
  const p = point(names, e.node, dst.ip);
  const f: HubbleFlow = {
    ...base(src.ip, dst.ip),
    verdict: "FORWARDED",
    l4: l4(e, src.port, dst.port, flags),
    traffic_direction: p === "TO_ENDPOINT" ? "INGRESS" : "EGRESS",
    trace_observation_point: p,
    Summary: flagText(flags) || e.proto.toUpperCase(),
  };
  if (isReply !== undefined) f.is_reply = isReply;
  const svc = names.services.get(orig.dst.ip);
  if (svc && dnat) f.destination_service = svc;
  out.push(f);
  return out;
}

export interface FlowFilter {
  /** `ns/pod` or `pod` (any namespace): the flow's source pod. */
  from?: string;
  /** `ns/pod`, `pod`, `ns/svc` or `svc`: the destination pod or Service. */
  to?: string;
  verdict?: Verdict;
  /** Either end in this namespace. */
  namespace?: string;
}

function endMatches(end: HubbleEndpoint, want: string, svc?: { namespace: string; name: string }): boolean {
  const i = want.indexOf("/");
  const ns = i < 0 ? undefined : want.slice(0, i);
  const name = i < 0 ? want : want.slice(i + 1);
  if (end.pod_name === name && (ns === undefined || end.namespace === ns)) return true;
  return !!svc && svc.name === name && (ns === undefined || svc.namespace === ns);
}

export function flowMatches(f: HubbleFlow, q: FlowFilter): boolean {
  if (q.verdict && f.verdict !== q.verdict) return false;
  if (q.namespace && f.source.namespace !== q.namespace && f.destination.namespace !== q.namespace) return false;
  // Replies go the other way: --from/--to name the connection's ends, as hubble's filters do per flow.
  if (q.from && !endMatches(f.source, q.from)) return false;
  if (q.to && !endMatches(f.destination, q.to, f.destination_service)) return false;
  return true;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Go's time.StampMilli ("Jan _2 15:04:05.000"), as hubble's compact printer; UTC. */
export function stampMilli(iso: string): string {
  const d = new Date(iso);
  const day = String(d.getUTCDate()).padStart(2, " ");
  return `${MONTHS[d.getUTCMonth()]} ${day} ${iso.slice(11, 23)}`;
}

/**
 * hubble observe's compact line with --print-node-name: `TIME [NODE]: SRC -> DST POINT VERDICT (FLAGS)`
 * (hubble/pkg/printer/printer.go),
 * a drop: `… DST REASON DROPPED (FLAGS)`, and podnet's addition: the policy that denied.
 */
export function compactLine(f: HubbleFlow, names: FlowNames): string {
  const port = (side: "source_port" | "destination_port") => f.l4?.TCP?.[side] ?? f.l4?.UDP?.[side];
  // Cilium's flows carry identities: "ns/pod:port (ID:n)", as hubble's compact printer.
  const id = (e: HubbleEndpoint) => (e.identity !== undefined ? ` (ID:${e.identity})` : "");
  const src = endText(names, f.IP.source, port("source_port")) + id(f.source);
  const dst = endText(names, f.IP.destination, port("destination_port")) + id(f.destination);
  const proto = f.l4?.TCP ? "TCP" : f.l4?.UDP ? "UDP" : f.l4?.ICMPv4 ? "ICMPv4" : "";
  const flags = f.l4?.TCP?.flags ? Object.keys(f.l4.TCP.flags).join(", ") : "";
  const tail = flags ? `(TCP Flags: ${flags})` : proto ? `(${proto})` : "";
  let what: string;
  if (f.verdict === "DROPPED") {
    const by = f.ingress_denied_by ?? f.egress_denied_by;
    const who = by ? ` by ${by.map((p) => `${p.namespace}/${p.name}`).join(", ")}` : "";
    what = `${DROP_DESC[f.drop_reason_desc ?? ""] ?? f.drop_reason_desc}${who} DROPPED`;
  } else if (f.verdict === "TRANSLATED") what = `${f.Summary} TRANSLATED`;
  else what = `${(f.trace_observation_point ?? "").toLowerCase().replace(/_/g, "-")} FORWARDED`;
  // printer.go: a reply is printed client first with "<-"; an unknown direction with "<>".
  const ends = f.is_reply === undefined ? `${src} <> ${dst}` : f.is_reply ? `${dst} <- ${src}` : `${src} -> ${dst}`;
  return `${stampMilli(f.time)} [${f.node_name}]: ${ends} ${what} ${tail}`.trimEnd();
}
