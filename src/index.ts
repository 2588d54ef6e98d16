// The library API: `import { loadCluster } from "podnet"`.
// loadCluster is the one place that reads files (I/O edge); everything it returns is
// computed by the pure layers.

import { loadSpecFromArgs } from "./cli/input.js";
import { parseSpec } from "./spec/parse.js";
import { buildState } from "./control/build.js";
import type { ClusterSpec } from "./spec/types.js";
import type { ClusterState } from "./control/state.js";

export interface LoadOptions {
  /** Manifest files or directories; `-` for stdin. Empty: the embedded example. */
  files?: string[];
  /** Cluster config file (kind: Cluster). */
  config?: string;
  /** Seed for names and allocations (default fixed). */
  seed?: string;
  /** Called once per warning (ignored kinds, unknown named targetPorts, full nodes …). */
  warn?: (message: string) => void;
}

export async function loadCluster(opts: LoadOptions = {}): Promise<{ spec: ClusterSpec; state: ClusterState }> {
  const spec = await loadSpecFromArgs({ files: opts.files ?? [], config: opts.config });
  const state = buildState(spec, { seed: opts.seed });
  if (opts.warn) {
    for (const w of spec.warnings) opts.warn(w.message);
    for (const w of state.warnings) opts.warn(w);
  }
  return { spec, state };
}

export type { ClusterSpec, KubeObject, Diagnostic } from "./spec/types.js";
export type { ClusterConfig } from "./spec/config.js";
export type { ClusterState, PodState, ServiceState, NodeState, EndpointSliceState, KEvent } from "./control/state.js";
export type * from "./ir/types.js";
export { SpecError } from "./spec/errors.js";
export { parseSpec, buildState };
// Changes to the model cluster: each returns a new state plus the events (pure).
export { applyObjects, deleteObject, scale } from "./control/changes.js";
// kubectl-style views (pure: ClusterState → text) and changes with their differences.
export { getView, findResource } from "./views/get.js";
export { describePod, describeService, describeNode } from "./views/describe.js";
export { runChange, diffStates, formatDiff } from "./views/diff.js";
export type { Change, ChangeOutcome, StateDiff } from "./views/diff.js";
// Cluster DNS: the zone (CoreDNS semantics, pure), the socket server, the resolver walk.
export { createZone } from "./dns/zone.js";
export type { Zone, ZoneAnswer, ZoneOptions, RR, Question } from "./dns/zone.js";
export { startDnsServer } from "./dns/server.js";
export type { DnsServer, DnsServerOptions, DnsLimits } from "./dns/server.js";
export { walk, resolveFromPod, formatWalk } from "./dns/resolver.js";
export type { WalkResult, WalkQuery, ResolveOptions, Libc } from "./dns/resolver.js";
export { traceFlow, renderTrace, withNodeRules, TraceInputError } from "./sim/index.js";
export type { FlowSpec, TraceOptions, Resolver, TraceResult, TracePath, Hop, Step, PacketView, Disposition } from "./sim/index.js";
export { parseIptablesSave, IptablesParseError } from "./ir/parse-iptables.js";
// The Dataplane IR (every node's and pod's kernel state) and its text renderings.
export { buildIR, buildNodeIR, buildContext } from "./ir/build.js";
export { renderRoutes, renderLinks, renderAddrs, renderNeigh, renderFdb } from "./ir/render-ip.js";
export { renderIptables } from "./ir/render-iptables.js";
export { renderNft } from "./ir/render-nft.js";
// NetworkPolicy: decisions, workload reachability, expectations for CI, the compiled tables.
export { decide, indexPolicies } from "./policy/engine.js";
export { computeReach, renderReach, diffReach, renderDiff } from "./policy/reach.js";
export { parseExpectations, runCheck, renderCheck, renderJUnit } from "./policy/check.js";
export { compilePolicies, POLICY_TABLE } from "./policy/compile.js";
