// `kubectl get pods|nodes` columns for objects read from a live cluster, from their
// observed status, as kubectl's printers compute them (kubernetes/kubernetes
// pkg/printers/internalversion/printers.go: printPod, printNode, translateTimestampSince).
//
// A snapshot has no "now": kubectl measures AGE against the time it runs, which for a dump
// is the moment it was taken. podnet takes the newest timestamp in the input instead (the
// nodes' condition heartbeats, which kubelet renews every few minutes, and the pods'
// creation, start, transition and container times): close to when the dump was taken, and
// the same output every time. An object without a timestamp prints `<unknown>`, as kubectl
// does.

import type { ClusterState, NodeState, PodState } from "../control/state.js";
import type { Container } from "../manifest/types.js";
import { isNamespaced } from "../manifest/diag.js";
import { age } from "./common.js";
import { humanDuration } from "./duration.js";

interface Terminated {
  exitCode?: number;
  signal?: number;
  reason?: string;
  startedAt?: string;
  finishedAt?: string;
}
interface ContainerState {
  waiting?: { reason?: string };
  running?: { startedAt?: string };
  terminated?: Terminated;
}
interface ContainerStatus {
  name?: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}
interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  lastTransitionTime?: string;
  lastHeartbeatTime?: string;
}
/** The parts of a Pod's status (core/v1 PodStatus) the printer reads. */
interface PodStatusView {
  phase?: string;
  reason?: string;
  startTime?: string;
  nominatedNodeName?: string;
  podIPs?: { ip?: string }[];
  conditions?: Condition[];
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
}
/** Fields of a Pod spec podnet's types leave out, kept as given in a dump. */
type SpecExtras = { readinessGates?: { conditionType?: string }[] };
type InitContainer = Container & { restartPolicy?: string };

function podStatus(p: PodState): PodStatusView {
  return (p.status ?? {}) as PodStatusView;
}

// A timestamp is RFC 3339 text; anything else (a number in a hand-edited dump) is no time:
// Date.parse(12345) would be the year 12345.
const ms = (t: unknown): number => (typeof t === "string" && t ? Date.parse(t) : Number.NaN);

// ---- the snapshot's "now" ----------------------------------------------------

const refCache = new WeakMap<ClusterState, number>();

/** The newest timestamp among the observed pods and nodes (ms), NaN without any. */
export function snapshotTime(state: ClusterState): number {
  const cached = refCache.get(state);
  if (cached !== undefined) return cached;
  let max = Number.NaN;
  const see = (t: string | undefined) => {
    const v = ms(t);
    if (!Number.isNaN(v) && !(v <= max)) max = v;
  };
  const seeState = (s: ContainerState | undefined) => {
    see(s?.running?.startedAt);
    see(s?.terminated?.startedAt);
    see(s?.terminated?.finishedAt);
  };
  for (const n of state.nodes) {
    if (!n.observed) continue;
    see(n.observed.created);
    for (const c of (n.observed.conditions ?? []) as Condition[]) {
      see(c.lastHeartbeatTime);
      see(c.lastTransitionTime);
    }
  }
  for (const p of state.pods) {
    if (!p.observed) continue;
    const st = podStatus(p);
    // A Pending pod has no start time yet: its creation is the newest thing it says.
    see(givenCreationTime(state, "Pod", p.namespace, p.name));
    see(st.startTime);
    for (const c of st.conditions ?? []) see(c.lastTransitionTime);
    for (const cs of [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])]) {
      seeState(cs.state);
      seeState(cs.lastState);
    }
  }
  // A Job read from the cluster started (and finished) before the snapshot was taken.
  for (const w of state.workloads) {
    if (w.kind !== "Job" || !w.status || typeof w.status !== "object") continue;
    const st = w.status as { startTime?: string; completionTime?: string; conditions?: Condition[] };
    see(st.startTime);
    see(st.completionTime);
    for (const c of Array.isArray(st.conditions) ? st.conditions : []) see(c?.lastTransitionTime);
  }
  refCache.set(state, max);
  return max;
}

/** printers.go translateTimestampSince, against the snapshot's time. */
export function ageSince(state: ClusterState, t: string | undefined): string {
  const v = ms(t);
  const now = snapshotTime(state);
  if (Number.isNaN(v) || Number.isNaN(now)) return "<unknown>";
  return humanDuration((now - v) / 1000);
}

const givenTimes = new WeakMap<ClusterState, Map<string, string>>();

/** The metadata.creationTimestamp an object was given with (state.objects), if any. */
export function givenCreationTime(state: ClusterState, kind: string, namespace: string, name: string) {
  let times = givenTimes.get(state);
  if (!times) {
    times = new Map();
    for (const o of state.objects ?? []) {
      const t = o.metadata?.creationTimestamp;
      const ns = isNamespaced(o.kind) ? (o.metadata.namespace ?? "default") : "";
      if (typeof t === "string") times.set(`${o.kind}/${ns}/${o.metadata.name}`, t);
    }
    givenTimes.set(state, times);
  }
  return times.get(`${kind}/${isNamespaced(kind) ? namespace : ""}/${name}`);
}

/**
 * AGE of an object of any kind: an object read from a live cluster counts from its
 * creationTimestamp to the snapshot's time, as kubectl counts to the moment it runs; the
 * others by the model's clock (`created`). `also` names objects to fall back on (an
 * EndpointSlice or Endpoints not in the dump is as old as its Service, which made it).
 */
export function objectAge(
  state: ClusterState,
  kind: string,
  namespace: string,
  name: string,
  created: number | undefined,
  also?: { kind: string; name: string },
): string {
  if (!Number.isNaN(snapshotTime(state))) {
    const t =
      givenCreationTime(state, kind, namespace, name) ??
      (also && givenCreationTime(state, also.kind, namespace, also.name));
    if (t !== undefined) return ageSince(state, t);
  }
  return age(state, created);
}

/** A pod's AGE: printPod's is its metadata.creationTimestamp (not status.startTime, which
 *  a Pending pod lacks); one read from a live cluster without one is `<unknown>`. */
export function podAge(state: ClusterState, p: PodState): string {
  if (p.observed) return ageSince(state, givenCreationTime(state, "Pod", p.namespace, p.name));
  return age(state, p.created);
}

// ---- pods -------------------------------------------------------------------

/** The cells printPod computes: READY, STATUS, RESTARTS, AGE (and IP for -o wide). */
export interface PodCells {
  ready: string;
  status: string;
  restarts: string;
  age: string;
  ip: string;
  nominatedNode: string;
  readinessGates: string;
}

const isRestartable = (c: InitContainer | undefined) => c?.restartPolicy === "Always";
const conditionTrue = (cs: Condition[] | undefined, type: string) =>
  (cs ?? []).some((c) => c.type === type && c.status === "True");

/** printers.go printPod, line by line, for a pod with an observed status. */
export function observedPodCells(state: ClusterState, p: PodState): PodCells {
  const st = podStatus(p);
  const spec = p.spec as PodState["spec"] & SpecExtras;
  const initSpecs = (spec.initContainers ?? []) as InitContainer[];
  const initByName = new Map(initSpecs.map((c) => [c.name, c]));
  let restarts = 0;
  let restartableInitRestarts = 0;
  const total = spec.containers.length + initSpecs.filter(isRestartable).length;
  let ready = 0;
  let lastRestart = Number.NaN;
  let lastRestartableInitRestart = Number.NaN;
  const later = (a: number, t: string | undefined) => {
    const v = ms(t);
    return Number.isNaN(v) || v <= a ? a : v;
  };
  const phase = st.phase ?? p.phase;
  let reason = st.reason || phase;
  // A scheduling-gated pod (PodScheduled False, reason SchedulingGated).
  for (const c of st.conditions ?? [])
    if (c.type === "PodScheduled" && c.reason === "SchedulingGated") reason = "SchedulingGated";

  let initializing = false;
  const inits = st.initContainerStatuses ?? [];
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i];
    const restartable = isRestartable(initByName.get(c.name ?? ""));
    restarts += c.restartCount ?? 0;
    lastRestart = later(lastRestart, c.lastState?.terminated?.finishedAt);
    if (restartable) {
      restartableInitRestarts += c.restartCount ?? 0;
      lastRestartableInitRestart = later(lastRestartableInitRestart, c.lastState?.terminated?.finishedAt);
    }
    const term = c.state?.terminated;
    const waiting = c.state?.waiting?.reason;
    if (term && (term.exitCode ?? 0) === 0) continue;
    if (restartable && c.started) {
      if (c.ready) ready++;
      continue;
    }
    if (term) {
      if (!term.reason) reason = term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode ?? 0}`;
      else reason = `Init:${term.reason}`;
    } else if (waiting && waiting !== "PodInitializing") reason = `Init:${waiting}`;
    else reason = `Init:${i}/${initSpecs.length}`;
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(st.conditions, "Initialized")) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const cs = st.containerStatuses ?? [];
    for (let i = cs.length - 1; i >= 0; i--) {
      const c = cs[i];
      restarts += c.restartCount ?? 0;
      lastRestart = later(lastRestart, c.lastState?.terminated?.finishedAt);
      const term = c.state?.terminated;
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode ?? 0}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    // Back to Running when a container still runs after another completed.
    if (reason === "Completed" && hasRunning) reason = conditionTrue(st.conditions, "Ready") ? "Running" : "NotReady";
  }

  // A pod being deleted (podnet keeps deletionTimestamp as `terminating`).
  if (p.terminating && st.reason === "NodeLost") reason = "Unknown";
  else if (p.terminating && phase !== "Succeeded" && phase !== "Failed") reason = "Terminating";

  let restartsText = String(restarts);
  if (restarts !== 0 && !Number.isNaN(lastRestart)) {
    const now = snapshotTime(state);
    if (!Number.isNaN(now)) restartsText = `${restarts} (${humanDuration((now - lastRestart) / 1000)} ago)`;
  }

  let readinessGates = "<none>";
  const gates = spec.readinessGates ?? [];
  if (gates.length) {
    let ok = 0;
    for (const g of gates) {
      const c = (st.conditions ?? []).find((x) => x.type === g.conditionType);
      if (c?.status === "True") ok++;
    }
    readinessGates = `${ok}/${gates.length}`;
  }
  return {
    ready: `${ready}/${total}`,
    status: reason,
    restarts: restartsText,
    age: podAge(state, p),
    ip: st.podIPs?.[0]?.ip || p.podIP || "<none>",
    nominatedNode: st.nominatedNodeName || "<none>",
    readinessGates,
  };
}

// ---- nodes ------------------------------------------------------------------

export interface NodeCells {
  status: string;
  age: string;
  version: string;
  internalIP: string;
  externalIP: string;
  osImage: string;
  kernelVersion: string;
  containerRuntime: string;
}

/** printers.go printNode for a node read from a live cluster, or implied by its pods (no
 *  Node object: nothing reported, its address inferred from its pods' hostIP). */
export function observedNodeCells(state: ClusterState, n: NodeState): NodeCells {
  const o = n.observed ?? (n.implied ? { addresses: [{ type: "InternalIP", address: n.address }] } : {});
  const ready = ((o.conditions ?? []) as Condition[]).find((c) => c.type === "Ready");
  const status = [ready ? (ready.status === "True" ? "Ready" : "NotReady") : "Unknown"];
  // spec.unschedulable (kubectl cordon): the node lifecycle controller mirrors it as this
  // taint (TaintNodesByCondition), which the state keeps.
  if (n.taints.some((t) => t.key === "node.kubernetes.io/unschedulable" && t.effect === "NoSchedule"))
    status.push("SchedulingDisabled");
  const addr = (type: string) => (o.addresses ?? []).find((a) => a.type === type)?.address ?? "<none>";
  const info = o.nodeInfo ?? {};
  return {
    status: status.join(","),
    age: ageSince(state, o.created),
    version: info.kubeletVersion ?? "",
    internalIP: addr("InternalIP"),
    externalIP: addr("ExternalIP"),
    osImage: info.osImage || "<unknown>",
    kernelVersion: info.kernelVersion || "<unknown>",
    containerRuntime: info.containerRuntimeVersion || "<unknown>",
  };
}
