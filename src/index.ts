// The library API: `import { loadCluster } from "podnet"`.
// Every layer's public functions, re-exported; loading lives in load/.

import { parseSpec } from "./manifest/parse.js";
import { buildState } from "./control/build.js";

export { loadCluster } from "./load/cluster.js";
export type { LoadOptions } from "./load/cluster.js";
export type { KubeObject, Diagnostic } from "./manifest/types.js";
export type { ClusterSpec } from "./manifest/cluster-spec.js";
export type { ClusterConfig } from "./manifest/config.js";
export type { LoadMode } from "./manifest/parse.js";
export type { ClusterState, PodState, ServiceState, NodeState, EndpointSliceState, KEvent } from "./control/state.js";
export type * from "./ir/types.js";
export { SpecError } from "./manifest/errors.js";
export { parseSpec, buildState };
// Changes to the model cluster: each returns a new state plus the events (pure).
export { applyObjects, deleteObject, scale } from "./control/changes.js";
// kubectl-style views (pure: ClusterState → text) and changes with their differences.
export { getView, findResource } from "./views/get.js";
export { describePod, describeService, describeNode } from "./views/describe.js";
export { runChange } from "./control/changes.js";
export { diffStates } from "./control/diff.js";
export { formatDiff } from "./views/diff.js";
export type { Change, ChangeOutcome } from "./control/changes.js";
export type { StateDiff } from "./control/diff.js";
// Cluster DNS: the zone (CoreDNS semantics, pure), the socket server, the resolver walk.
export { createZone } from "./dns/zone.js";
export type { Zone, ZoneAnswer, ZoneOptions, RR, Question } from "./dns/zone.js";
export { startDnsServer } from "./dns/server.js";
export type { DnsServer, DnsServerOptions, DnsLimits } from "./dns/server.js";
export { walk, resolveFromPod, formatWalk } from "./dns/resolver.js";
export type { WalkResult, WalkQuery, ResolveOptions, Libc } from "./dns/resolver.js";
export { traceFlow, renderTrace, withNodeRules, TraceInputError } from "./sim/index.js";
export type {
  FlowSpec,
  TraceOptions,
  Resolver,
  TraceResult,
  TracePath,
  Hop,
  Step,
  PacketView,
  Disposition,
} from "./sim/index.js";
export { parseIptablesSave, IptablesParseError } from "./sim/parse-iptables.js";
// The Dataplane IR (every node's and pod's kernel state) and its text renderings.
export { buildIR, buildNodeIR, buildContext } from "./dataplane/build.js";
export { renderRoutes, renderLinks, renderAddrs, renderNeigh, renderFdb } from "./ir/render-ip.js";
export { renderIptables } from "./ir/render-iptables.js";
export { renderNft } from "./ir/render-nft.js";
// NetworkPolicy: decisions and the compiled tables.
export { decide, indexPolicies } from "./policy/engine.js";
export { compilePolicies, POLICY_TABLE } from "./policy/compile.js";
// Questions, the library's way to ask: a trace session over the model (IR, resolver walk
// and ipvs ipsets made once), connectivity expectations for CI, workload reachability.
//   const s = modelSession(state); s.trace({ from: "order-app", to: "http://user-service" })
export { modelSession, traceSession, clusterResolver, ipsetsFor } from "./questions/trace.js";
export type { TraceSession, ModelSession, ModelOptions, SessionTraceOptions } from "./questions/trace.js";
export { computeReach, renderReach, diffReach, renderDiff } from "./questions/reach.js";
export type { ReachLine, ReachOptions, ReachResult, ReachDiffLine } from "./questions/reach.js";
export { parseExpectations, runCheck, renderCheck, renderJUnit, expandFrom } from "./questions/check.js";
export type { Expectation, SelectorSource, CheckOutcome } from "./questions/check.js";
export { diagnose, DiagnoseInputError } from "./questions/diagnose.js";
export type { Diagnosis, DiagnoseCheck, DiagnoseFailure, DiagnoseInput, DiagnoseLayer } from "./questions/diagnose.js";
export { diagnoseAll } from "./questions/diagnose-all.js";
export type { ClusterDiagnosis, ClusterFinding } from "./questions/diagnose-all.js";
export { renderClusterDiagnosis, renderDiagnosis } from "./views/diagnose.js";
