// Finding the pod, node or Service a command line names. Pods: the one lookup every
// command shares (below); nodes: name or unique prefix; Services: `[ns/]name`.
// Ambiguity is an error listing the candidates.

import type { ClusterState, NodeState, PodState, ServiceState } from "../control/state.js";
import { UsageError } from "./errors.js";

function split(ref: string, namespace?: string): { ns: string | undefined; name: string } {
  const i = ref.indexOf("/");
  if (i > 0) return { ns: ref.slice(0, i), name: ref.slice(i + 1) };
  return { ns: namespace, name: ref };
}

function pick<T extends { name: string }>(
  what: string,
  ref: string,
  label: (x: T) => string,
  exact: T[],
  prefixed: T[],
  whereText: string,
): T {
  if (exact.length === 1) return exact[0];
  if (exact.length > 1)
    throw new UsageError(`${what} "${ref}" is ambiguous: ${exact.map(label).join(", ")} (give it as namespace/name)`);
  if (prefixed.length === 1) return prefixed[0];
  if (prefixed.length > 1)
    throw new UsageError(`${what} "${ref}" is ambiguous: it matches ${prefixed.map(label).join(", ")}`);
  throw new UsageError(`${what} "${ref}" not found${whereText}`);
}

// ---- pods: one lookup for every command ------------------------------------------
//
// A pod reference is, in this order of preference:
//   1. a pod's exact name;
//   2. a workload's name (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
//      ReplicationController): its first pod in kubectl's order for `kubectl exec|logs
//      deploy/NAME` (kubectl pkg/util/podutils ByLogging: scheduled before unscheduled,
//      Running before Unknown before Pending, ready before not ready, then the oldest;
//      podnet breaks the last ties by name); `deploy/NAME`, `sts/NAME` … name the kind;
//   3. a unique prefix of a pod's name (pod names end in generated hashes).
// `NAMESPACE/NAME` or `-n NAMESPACE` looks in that namespace only; without either, the
// `default` namespace is searched first (kubectl's default), then every namespace. Two
// candidates at the first step that finds any is an error listing them.

/** The kinds a reference may name, kubectl's names and short names. */
const WORKLOAD_KINDS: Record<string, string> = {
  deployment: "Deployment",
  deployments: "Deployment",
  deploy: "Deployment",
  statefulset: "StatefulSet",
  statefulsets: "StatefulSet",
  sts: "StatefulSet",
  daemonset: "DaemonSet",
  daemonsets: "DaemonSet",
  ds: "DaemonSet",
  replicaset: "ReplicaSet",
  replicasets: "ReplicaSet",
  rs: "ReplicaSet",
  job: "Job",
  jobs: "Job",
  // Its pods are its Jobs' (named by the Job): one from manifests has none before its schedule.
  cronjob: "CronJob",
  cronjobs: "CronJob",
  cj: "CronJob",
  replicationcontroller: "ReplicationController",
  replicationcontrollers: "ReplicationController",
  rc: "ReplicationController",
};

export interface PodLookup<T> {
  /** The workload a pod belongs to (kind and name), undefined for a bare pod. */
  workloadOf(p: T): { kind: string; name: string } | undefined;
  /** Which of a workload's pods comes first. */
  firstOrder(a: T, b: T): number;
  /** Where the pods come from, for "not found" ("" for the model). */
  where?: string;
}

/** The one pod lookup (see the comment above) over any list of pods. */
export function lookupPod<T extends { namespace: string; name: string }>(
  pods: T[],
  ref: string,
  namespace: string | undefined,
  how: PodLookup<T>,
): T {
  let rest = ref.replace(/^(pod|pods|po)\//i, "");
  let ns = namespace;
  let kind: string | undefined;
  const parts = rest.split("/");
  // Own keys only: `constructor/x` or `__proto__/x` is no kind.
  const workload = (k: string) =>
    Object.hasOwn(WORKLOAD_KINDS, k.toLowerCase()) ? WORKLOAD_KINDS[k.toLowerCase()] : undefined;
  if (parts.length === 3 && workload(parts[1])) {
    ns = parts[0];
    kind = workload(parts[1]);
    rest = parts[2];
  } else if (parts.length === 2 && workload(parts[0])) {
    kind = workload(parts[0]);
    rest = parts[1];
  } else if (parts.length === 2) {
    ns = parts[0];
    rest = parts[1];
  }
  const name = rest;
  const label = (p: T) => `${p.namespace}/${p.name}`;
  const scopes = ns !== undefined ? [ns] : ["default", undefined];
  for (const scope of scopes) {
    const inScope = pods.filter((p) => scope === undefined || p.namespace === scope);
    if (!kind) {
      const exact = inScope.filter((p) => p.name === name);
      if (exact.length === 1) return exact[0];
      if (exact.length > 1)
        throw new UsageError(`pod "${ref}" is ambiguous: ${exact.map(label).join(", ")} (give it as namespace/name)`);
    }
    const owned = inScope.filter((p) => {
      const w = how.workloadOf(p);
      return w !== undefined && w.name === name && (!kind || w.kind === kind);
    });
    if (owned.length) {
      const workloads = [
        ...new Set(
          owned.map((p) => {
            const w = how.workloadOf(p)!;
            return `${p.namespace}/${w.kind.toLowerCase()}/${w.name}`;
          }),
        ),
      ];
      if (workloads.length > 1) throw new UsageError(`pod "${ref}" is ambiguous: workloads ${workloads.join(", ")}`);
      return [...owned].sort(how.firstOrder)[0];
    }
    if (kind) continue;
    const prefixed = inScope.filter((p) => p.name.startsWith(name));
    if (prefixed.length === 1) return prefixed[0];
    if (prefixed.length > 1)
      throw new UsageError(
        `pod "${ref}" is ambiguous: it matches ${prefixed.map(label).join(", ")} (give the full name or namespace/name)`,
      );
  }
  const what = kind ? `${kind.toLowerCase()} "${name}" (no pods)` : `pod "${ref}"`;
  throw new UsageError(
    `${what} not found${ns !== undefined ? ` in namespace "${ns}"` : ""}${how.where ? ` ${how.where}` : ""}`,
  );
}

/** ByLogging's rank of a phase: Running (and the terminal ones) 0, Unknown 1, Pending 2. */
function phaseRank(phase: string): number {
  return phase === "Pending" ? 2 : phase === "Unknown" ? 1 : 0;
}

/** kubectl's podutils.ByLogging over the model's pods. */
export function byLogging(a: PodState, b: PodState): number {
  if (!!a.nodeName !== !!b.nodeName) return a.nodeName ? -1 : 1;
  if (phaseRank(a.phase) !== phaseRank(b.phase)) return phaseRank(a.phase) - phaseRank(b.phase);
  const ra = a.ready && a.phase === "Running";
  const rb = b.ready && b.phase === "Running";
  if (ra !== rb) return ra ? -1 : 1;
  if (a.created !== b.created) return a.created - b.created;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

const MODEL_LOOKUP: PodLookup<PodState> = {
  workloadOf: (p) => (p.workload.kind === "Pod" ? undefined : p.workload),
  firstOrder: byLogging,
};

/** A pod of the model by the one lookup: name, `ns/name`, workload, unique prefix. */
export function findPod(state: ClusterState, ref: string, namespace?: string): PodState {
  // Terminating pods answer only to their exact name.
  const pods = state.pods.filter((p) => !p.terminating || p.name === ref.slice(ref.lastIndexOf("/") + 1));
  return lookupPod(pods, ref, namespace, MODEL_LOOKUP);
}

/** `ns/name` of the pod a reference names: what lower layers take verbatim. */
export function podKey(state: ClusterState, ref: string, namespace?: string): string {
  const p = findPod(state, ref, namespace);
  return `${p.namespace}/${p.name}`;
}

export function findNode(state: ClusterState, ref: string): NodeState {
  const exact = state.nodes.filter((n) => n.name === ref);
  const prefixed = state.nodes.filter((n) => n.name.startsWith(ref));
  return pick("node", ref, (n) => n.name, exact, prefixed, ` (nodes: ${state.nodes.map((n) => n.name).join(", ")})`);
}

/** Services by exact name (`name`, `ns/name`, or `name.ns` as a pod would write it). */
export function findService(state: ClusterState, ref: string, namespace?: string): ServiceState {
  let { ns, name } = split(ref, namespace);
  if (!ref.includes("/") && name.includes(".")) {
    const [n, s] = name.split(".", 2);
    if (state.namespaces.some((x) => x.name === s)) {
      name = n;
      ns = s;
    }
  }
  const scope = ns ?? "default";
  const exact = state.services.filter((s) => s.namespace === scope && s.name === name);
  if (exact.length === 1) return exact[0];
  const elsewhere = ns === undefined ? state.services.filter((s) => s.name === name) : [];
  if (elsewhere.length === 1) return elsewhere[0];
  if (elsewhere.length > 1)
    throw new UsageError(
      `service "${ref}" is ambiguous: ${elsewhere.map((s) => `${s.namespace}/${s.name}`).join(", ")}`,
    );
  throw new UsageError(`service "${ref}" not found in namespace "${scope}"`);
}
