// The trace's JSON with Hubble's verdict fields on each path (`podnet trace/check/diagnose
// -o json`): `verdict`, `drop_reason` (flow.proto's deprecated uint32) and
// `drop_reason_desc` (the DropReason's name), as `hubble observe -o json` prints a flow
// (cilium/cilium api/v1/flow/flow.proto). Like Hubble's JSON, a path that delivered has
// no drop fields. The TraceResult's own fields stay as they are (other tools read them).

import { dropReasonCode } from "./drop-reasons.js";
import type { DropReason, TracePath, TraceResult, Verdict } from "./trace.js";

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

/** A path as JSON: its verdict fields first, then the path (and its reply likewise). */
export type TracePathJson = PathVerdict & Omit<TracePath, "reply"> & { reply?: TracePathJson };

export function pathJson(p: TracePath): TracePathJson {
  const { reply, ...rest } = p;
  return { ...pathVerdict(p), ...rest, ...(reply ? { reply: pathJson(reply) } : {}) };
}

/** The result as `-o json` prints it: every path (the DNS query's too) with its verdict fields. */
export function traceJson(r: TraceResult): unknown {
  const out: Record<string, unknown> = { ...r, paths: r.paths.map(pathJson) };
  if (r.dns?.path) out.dns = { ...r.dns, path: r.dns.path.map(pathJson) };
  return out;
}
