// The trace's JSON with Hubble's verdict fields on each path (`podnet trace/check/diagnose
// -o json`): `verdict`, `drop_reason` (flow.proto's deprecated uint32) and
// `drop_reason_desc` (the DropReason's name), as `hubble observe -o json` prints a flow
// (cilium/cilium api/v1/flow/flow.proto). Like Hubble's JSON, a path that delivered has
// no drop fields. The TraceResult's own fields stay as they are (other tools read them).
// A Cilium path (its steps carry Hubble events, Step.hubble) also gets the flow's Hubble
// fields: Type, IP, l4, source/destination (identity, namespace, pod_name, labels),
// trace_observation_point (the last one the packet passed), traffic_direction, is_reply,
// node_name. Other flavors' paths have no such events and their JSON stays as it was.

import { dropReasonCode } from "./drop-reasons.js";
import type {
  DropReason,
  HubbleEndpoint,
  StepHubble,
  TraceObservationPoint,
  TracePath,
  TraceResult,
  Verdict,
} from "./trace.js";

export interface PathVerdict {
  verdict: Verdict;
  drop_reason?: number;
  drop_reason_desc?: DropReason;
}

/** A path's verdict in Hubble's fields. */
export function pathVerdict(p: TracePath): PathVerdict {
  const d = p.disposition;
  return d.reason
    ? { verdict: d.verdict, drop_reason: dropReasonCode(d.reason), drop_reason_desc: d.reason }
    : { verdict: d.verdict };
}

/** A Cilium path's flow in Hubble's fields (flow.proto Flow). */
export interface PathHubble {
  Type: "L3_L4";
  IP: { source: string; destination: string; ipVersion: "IPv4" };
  l4?: Record<string, { source_port?: number; destination_port?: number }>;
  source: HubbleEndpoint;
  destination: HubbleEndpoint;
  trace_observation_point?: TraceObservationPoint;
  traffic_direction?: "INGRESS" | "EGRESS";
  is_reply: boolean;
  node_name: string;
}

/** The path's flow as Hubble shows it, from the events of its steps; undefined when it has none (not Cilium). */
export function pathHubble(p: TracePath, isReply = false): PathHubble | undefined {
  let first: StepHubble | undefined;
  let last: StepHubble | undefined;
  let lastPkt: TracePath["hops"][number]["steps"][number]["packet"] | undefined;
  let point: TraceObservationPoint | undefined;
  let dir: "INGRESS" | "EGRESS" | undefined;
  for (const h of p.hops)
    for (const st of h.steps) {
      const e = st.hubble;
      if (!e) continue;
      first ??= e;
      last = e;
      lastPkt = st.packet;
      if (e.trace_observation_point) point = e.trace_observation_point;
      if (e.traffic_direction) dir = e.traffic_direction;
    }
  if (!first || !last || !lastPkt) return undefined;
  const proto = lastPkt.protocol.toUpperCase();
  return {
    Type: "L3_L4",
    IP: { source: lastPkt.src, destination: lastPkt.dst, ipVersion: "IPv4" },
    ...(lastPkt.sport !== undefined
      ? { l4: { [proto]: { source_port: lastPkt.sport, destination_port: lastPkt.dport } } }
      : {}),
    source: first.source,
    destination: last.destination,
    ...(point ? { trace_observation_point: point } : {}),
    ...(dir ? { traffic_direction: dir } : {}),
    is_reply: isReply,
    node_name: last.node_name,
  };
}

/** A path as JSON: its verdict fields first, then the path (and its reply likewise). */
export type TracePathJson = PathVerdict & Partial<PathHubble> & Omit<TracePath, "reply"> & { reply?: TracePathJson };

export function pathJson(p: TracePath, isReply = false): TracePathJson {
  const { reply, ...rest } = p;
  const h = pathHubble(p, isReply);
  return { ...pathVerdict(p), ...h, ...rest, ...(reply ? { reply: pathJson(reply, true) } : {}) };
}

/** The result as `-o json` prints it: every path (the DNS query's too) with its verdict fields. */
export function traceJson(r: TraceResult): unknown {
  const out: Record<string, unknown> = { ...r, paths: r.paths.map((p) => pathJson(p)) };
  if (r.dns?.path) out.dns = { ...r.dns, path: r.dns.path.map((p) => pathJson(p)) };
  return out;
}
