// A trace session: the IR, the cluster's resolver walk and ipvs mode's ipsets, made once
// and asked many flows. The CLI, the web view, check, verify and the demo all trace
// through it, so a flow gets the same answer wherever it is asked.

import type { ClusterState } from "../control/state.js";
import type { DataplaneIR } from "../ir/types.js";
import type { ProxyModeName } from "../manifest/config.js";
import { buildIR } from "../dataplane/build.js";
import { parseResolvConf } from "../control/resolvconf.js";
import { resolveFromPod, rdataText, timeoutText } from "../dns/resolver.js";
import { ipvsIpsets } from "../proxy/ipvs/index.js";
import { traceFlow, withNodeRules, TraceInputError } from "../sim/index.js";
import type { FlowSpec, Resolver, TraceOptions, TraceResult } from "../sim/index.js";
import { parseIptablesSave } from "../sim/parse-iptables.js";
import { withDnsVerdict } from "./dns-verdict.js";

// What askers need to phrase a flow and read the answer, so they import questions only.
export { HOST_PORT, TraceInputError } from "../sim/index.js";
export { IptablesParseError } from "../sim/parse-iptables.js";
export { renderTrace, pathVerdict, traceJson } from "../sim/index.js";
export type { PathVerdict } from "../sim/index.js";
export type { DnsLookup, FlowSpec, Protocol, Resolver, TraceResult, TracePath } from "../sim/index.js";

/** The DNS helper's resolver walk, adapted to the interpreter's Resolver shape. */
export function clusterResolver(state: ClusterState): Resolver {
  return (pod, name) => {
    const r = resolveFromPod(state, `${pod.namespace}/${pod.name}`, name);
    const h = r.hosts?.[0];
    // Answered by /etc/hosts (files before dns): no query, nothing to trace to a nameserver.
    if (h && r.result.values.length)
      return {
        nameserver: r.nameserver ?? "",
        walk: [],
        answer: r.result.values[0],
        hosts: { line: h.line, text: h.text },
      };
    const walk = r.queries.map((q) => ({
      name: q.name.replace(/\.$/, ""),
      type: "A" as const,
      rcode: q.rcode === "NOERROR" && !q.answers.some((a) => a.type === "A") ? "NODATA" : q.rcode,
      answers: q.answers.filter((a) => a.type === "A").map((a) => rdataText(a)),
    }));
    const out: ReturnType<Resolver> = { nameserver: r.nameserver ?? "", walk };
    if (r.result.status === "found" && r.result.values.length) out.answer = r.result.values[0];
    // No nameserver answers at those addresses: the lookup times out (dns-verdict.ts).
    if (r.result.status === "TIMEOUT")
      out.timeout = {
        nameservers: parseResolvConf(r.resolvConf).nameservers.slice(0, 3), // MAXNS
        after: timeoutText(r.waited ?? 0, r.timing, "glibc"),
      };
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
  /**
   * The same session with one node's netfilter replaced by a real node's `iptables-save`
   * output (`podnet trace --rules-from`). Throws IptablesParseError for a bad dump and
   * TraceInputError for an unknown node.
   */
  withNodeRules(nodeName: string, iptablesSave: string, file?: string): this;
}

/** A session over the model of a cluster: the state is always there. */
export interface ModelSession extends TraceSession {
  readonly state: ClusterState;
}

interface SessionOptions {
  /** Replaces the cluster's resolver walk (a test's own). */
  resolve?: Resolver;
}

function makeSession(state: ClusterState | undefined, ir: DataplaneIR, resolve: Resolver | undefined) {
  const ipsets = state ? ipsetsFor(state, ir.proxyMode) : undefined;
  return {
    ir,
    state,
    // The name's lookup is part of the verdict (dns-verdict.ts): unless the asker skips the
    // query's trace, a flow whose query fails ends there.
    trace: (flow: FlowSpec, opts: SessionTraceOptions = {}) =>
      withDnsVerdict(traceFlow(ir, flow, { ...opts, state, resolve, ipsets }), state, opts.maxPaths),
    withNodeRules(nodeName: string, iptablesSave: string, file?: string) {
      const layer = parseIptablesSave(iptablesSave, file);
      let replaced: DataplaneIR;
      try {
        replaced = withNodeRules(ir, nodeName, layer);
      } catch (e) {
        throw new TraceInputError((e as Error).message);
      }
      return makeSession(state, replaced, resolve);
    },
  };
}

/**
 * A session over an IR (built from `state`, or a bare IR such as a fixture's). Without
 * state, names are not resolved: flows name pods and addresses. `resolve` replaces the
 * cluster's resolver walk (a test's own).
 */
export function traceSession(state: ClusterState, ir: DataplaneIR, o?: SessionOptions): ModelSession;
export function traceSession(state: ClusterState | undefined, ir: DataplaneIR, o?: SessionOptions): TraceSession;
export function traceSession(state: ClusterState | undefined, ir: DataplaneIR, o: SessionOptions = {}): TraceSession {
  return makeSession(state, ir, o.resolve ?? (state ? clusterResolver(state) : undefined));
}

export interface ModelOptions extends SessionOptions {
  /** kube-proxy mode (default: the cluster config's). */
  proxyMode?: ProxyModeName;
}

/** A session over the model built from `state`: the IR is assembled here, not by the asker. */
export function modelSession(state: ClusterState, o: ModelOptions = {}): ModelSession {
  const ir = buildIR(state, o.proxyMode ? { proxyMode: o.proxyMode } : {});
  return traceSession(state, ir, { resolve: o.resolve });
}
