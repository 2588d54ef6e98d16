// A trace session: the IR, the cluster's resolver walk and ipvs mode's ipsets, made once
// and asked many flows. The CLI, the web view, check, verify and the demo all trace
// through it, so a flow gets the same answer wherever it is asked.

import type { ClusterState } from "../control/state.js";
import type { DataplaneIR } from "../ir/types.js";
import { resolveFromPod, rdataText } from "../dns/resolver.js";
import { ipvsIpsets } from "../proxy/ipvs/index.js";
import { traceFlow } from "../sim/index.js";
import type { FlowSpec, Resolver, TraceOptions, TraceResult } from "../sim/index.js";

/** The DNS helper's resolver walk, adapted to the interpreter's Resolver shape. */
export function clusterResolver(state: ClusterState): Resolver {
  return (pod, name) => {
    const r = resolveFromPod(state, `${pod.namespace}/${pod.name}`, name);
    const walk = r.queries.map((q) => ({
      name: q.name.replace(/\.$/, ""),
      type: "A" as const,
      rcode: q.rcode === "NOERROR" && !q.answers.some((a) => a.type === "A") ? "NODATA" : q.rcode,
      answers: q.answers.filter((a) => a.type === "A").map((a) => rdataText(a)),
    }));
    const out: ReturnType<Resolver> = { nameserver: r.nameserver ?? "", walk };
    if (r.result.status === "found" && r.result.values.length) out.answer = r.result.values[0];
    return out;
  };
}

type Ipsets = (nsId: string) => Record<string, (string | number)[]> | undefined;

/** ipvs mode's ipsets (not part of the IR), per node namespace. */
export function ipsetsFor(state: ClusterState, mode: string): Ipsets | undefined {
  if (mode !== "ipvs") return undefined;
  const cache = new Map<string, Record<string, (string | number)[]> | undefined>();
  return (nsId) => {
    if (!cache.has(nsId)) {
      const node = nsId.startsWith("node/") ? state.nodes.find((n) => n.name === nsId.slice(5)) : undefined;
      cache.set(nsId, node ? (ipvsIpsets(state, node) as unknown as Record<string, (string | number)[]>) : undefined);
    }
    return cache.get(nsId);
  };
}

/** What a caller may set per trace; the session supplies state, resolver and ipsets. */
export type SessionTraceOptions = Omit<TraceOptions, "state" | "resolve" | "ipsets">;

export interface TraceSession {
  readonly ir: DataplaneIR;
  readonly state: ClusterState | undefined;
  trace(flow: FlowSpec, opts?: SessionTraceOptions): TraceResult;
}

/**
 * A session over an IR (built from `state`, or a bare IR such as a fixture's). Without
 * state, names are not resolved: flows name pods and addresses. `resolve` replaces the
 * cluster's resolver walk (a test's or the web view's own).
 */
export function traceSession(
  state: ClusterState | undefined,
  ir: DataplaneIR,
  o: { resolve?: Resolver } = {},
): TraceSession {
  const resolve = o.resolve ?? (state ? clusterResolver(state) : undefined);
  const ipsets = state ? ipsetsFor(state, ir.proxyMode) : undefined;
  return {
    ir,
    state,
    trace: (flow, opts = {}) => traceFlow(ir, flow, { ...opts, state, resolve, ipsets }),
  };
}
