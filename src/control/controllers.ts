// The workload controllers of one reconcile step: which pods should exist (wants), which
// of the existing ones stay (kept) and which go (toDelete), per Deployment/ReplicaSet, Job,
// StatefulSet, DaemonSet and bare Pod. Order of toDelete, wants and events is the order
// the objects are given in; later phases depend on it (names, IPs, event order).
import { where } from "../manifest/diag.js";
import { firstReadyStatus } from "../manifest/pod-status.js";
import type { KubeObject, PodSpec, Toleration } from "../manifest/types.js";
import { templateHash, uidFor } from "./hash.js";
import { objKey, sameObject, WORKLOAD_KINDS } from "./objects.js";
import { type Desired, emit, type ReconcileContext, takeBudget, type Want } from "./reconcile-context.js";
import {
  controllerOf,
  givenReplicaSet,
  isObservedPod,
  liveController,
  liveFamilies,
  observedPod,
  planLive,
  podBase,
} from "./observed.js";

export type { Deletion, Desired } from "./reconcile-context.js";
import { staticReason } from "./schedule.js";
import { isSystemObject } from "./system.js";
import type { PodState, ReplicaSetState, WorkloadRef } from "./state.js";

/** One workload object with its template unpacked. */
interface Workload {
  o: KubeObject;
  ns: string;
  name: string;
  existing: PodState[];
  /** spec.template as given (hashed for the revision). */
  tmpl: unknown;
  tLabels: Record<string, string>;
  tAnn: Record<string, string>;
  tSpec: PodSpec;
}

/** The previous step's ReplicaSets, by "ns/name" and by "ns/deployment". */
interface PrevReplicaSets {
  byName: Map<string, ReplicaSetState>;
  byDeployment: Map<string, ReplicaSetState[]>;
}

/** DaemonSet pods get these tolerations from the controller (daemon/util AddOrUpdateDaemonPodTolerations). */
function daemonTolerations(spec: PodSpec): Toleration[] {
  const add: Toleration[] = [
    { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute" },
    { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" },
    { key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/pid-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
  ];
  if (spec.hostNetwork)
    add.push({ key: "node.kubernetes.io/network-unavailable", operator: "Exists", effect: "NoSchedule" });
  const have = spec.tolerations ?? [];
  return [...have, ...add.filter((t) => !have.some((h) => h.key === t.key && h.effect === t.effect))];
}

/**
 * How many Pending pods podnet materialises beyond what the nodes can hold (the sum of
 * their maxPods). A workload may ask for up to 2^31-1 replicas (the API's int32); pods
 * past the nodes' capacity could only be Pending on a real cluster (FailedScheduling), so
 * past this cap they are not created one by one but counted: one FailedCreate event per
 * controller says how many. Keeps `replicas: 1000000000` and `scale --replicas 99999999`
 * in bounded time and memory.
 */
export const PENDING_CAP = 1000;

/** Runs every controller over the given objects; pods of vanished controllers are collected. */
export function desiredPods(ctx: ReconcileContext, deletePods: Set<string> | undefined): Desired {
  let capacity = 0;
  for (const n of ctx.nodes) capacity += n.maxPods;
  const d: Desired = {
    wants: [],
    kept: new Set(),
    toDelete: [],
    replicaSets: [],
    workloads: [],
    adoptWarnings: [],
    dropped: [],
    budget: Math.max(0, capacity + PENDING_CAP - ctx.prev.pods.length),
    capped: new Map(),
  };
  const existingByWorkload = podsByWorkload(ctx, d, deletePods);
  const prevRs = prevReplicaSets(ctx);
  const live = liveFamilies(ctx);
  planLive(ctx, live, existingByWorkload);
  for (const o of ctx.objects) {
    if (!WORKLOAD_KINDS.has(o.kind) && o.kind !== "Pod") continue;
    if (o.kind === "Pod" && isObservedPod(o)) {
      observedPod(ctx, d, o, existingByWorkload, live);
      continue;
    }
    const ns = o.metadata.namespace ?? "default";
    const name = o.metadata.name;
    const wkey = `${o.kind}/${ns}/${name}`;
    if (live.satisfied.has(wkey)) {
      // Its pods are in the input as the cluster holds them: it makes more only when asked.
      const tmpl = o.spec?.template ?? {};
      const t = {
        labels: tmpl.metadata?.labels ?? {},
        annotations: tmpl.metadata?.annotations ?? {},
        spec: tmpl.spec ?? { containers: [] },
      };
      liveController(d, o, existingByWorkload.get(wkey) ?? [], t, live);
      existingByWorkload.delete(wkey);
      d.workloads.push(o);
      if (o.kind === "ReplicaSet") d.replicaSets.push(givenReplicaSet(o));
      continue;
    }
    // A dump (kubectl get all -o yaml) lists the controllers' ReplicaSets and pods too:
    // when their controller is given, the controller makes its own.
    const ctrl = controllerOf(o);
    if (ctrl && live.satisfied.has(`${ctrl.kind}/${ns}/${ctrl.name}`)) {
      // A dump's ReplicaSets of a Deployment whose pods are given (the older ones at 0).
      if (o.kind === "ReplicaSet") {
        const rs = givenReplicaSet(o);
        const n = live.rsReplicas.get(`${ns}/${name}`);
        d.replicaSets.push(n === undefined ? rs : { ...rs, replicas: n });
      }
      continue;
    }
    if (ctrl && WORKLOAD_KINDS.has(ctrl.kind) && ctx.seen.has(`${ctrl.kind}/${ns}/${ctrl.name}`)) {
      d.adoptWarnings.push(
        `${where(o).object ? `(${where(o).object}) ` : ""}is controlled by ${ctrl.kind} ${ns}/${ctrl.name}, which is given too: its controller creates it instead (ignored)`,
      );
      continue;
    }
    const existing = existingByWorkload.get(wkey) ?? [];
    existingByWorkload.delete(wkey);
    if (o.kind !== "Pod") d.workloads.push(o);
    const tmpl = o.spec?.template ?? { spec: { containers: [] } };
    const w: Workload = {
      o,
      ns,
      name,
      existing,
      tmpl,
      tLabels: tmpl.metadata?.labels ?? {},
      tAnn: tmpl.metadata?.annotations ?? {},
      tSpec: tmpl.spec ?? { containers: [] },
    };
    const firstWant = d.wants.length;
    switch (o.kind) {
      case "Deployment":
      case "ReplicaSet":
        replicaSetPods(ctx, d, w, prevRs);
        break;
      case "Job":
        jobPods(ctx, d, w);
        break;
      case "ReplicationController":
        replicationControllerPods(d, w);
        break;
      case "StatefulSet":
        statefulSetPods(ctx, d, w);
        break;
      case "DaemonSet":
        daemonSetPods(ctx, d, w);
        break;
      case "Pod":
        barePod(ctx, d, w);
        break;
    }
    if (isSystemObject(o))
      for (let i = firstWant; i < d.wants.length; i++) d.wants[i] = { ...d.wants[i], system: true };
  }
  for (const [object, c] of d.capped)
    emit(
      ctx,
      "Warning",
      "FailedCreate",
      object,
      `Error creating: ${c.count} pods not materialised: the nodes hold ${capacity} pods (maxPods) and podnet keeps at most ${PENDING_CAP} Pending pods; on a real cluster they would be Pending (FailedScheduling)`,
      c.source,
    );
  // ReplicaSets the observed pods name but the input does not give.
  for (const rs of live.impliedReplicaSets.values()) d.replicaSets.push(rs);
  // Pods whose controller is gone (garbage collection).
  for (const l of existingByWorkload.values()) for (const p of l) d.toDelete.push({ pod: p });
  return d;
}

/** The previous pods by "Kind/ns/name" of their workload; the ones the user deleted go first. */
function podsByWorkload(
  ctx: ReconcileContext,
  d: Desired,
  deletePods: Set<string> | undefined,
): Map<string, PodState[]> {
  const existingByWorkload = new Map<string, PodState[]>();
  for (const p of ctx.prev.pods) {
    if (deletePods?.has(`${p.namespace}/${p.name}`)) {
      d.toDelete.push({ pod: p });
      continue;
    }
    // Observed pods answer to their own Pod object, not to a controller.
    const k = p.observed
      ? `Pod/${p.namespace}/${p.name}`
      : `${p.workload.kind}/${p.workload.namespace}/${p.workload.name}`;
    let l = existingByWorkload.get(k);
    if (!l) existingByWorkload.set(k, (l = []));
    l.push(p);
  }
  return existingByWorkload;
}

function prevReplicaSets(ctx: ReconcileContext): PrevReplicaSets {
  const byName = new Map((ctx.prev.replicaSets ?? []).map((r) => [`${r.namespace}/${r.name}`, r]));
  const byDeployment = new Map<string, ReplicaSetState[]>();
  for (const r of ctx.prev.replicaSets ?? []) {
    if (!r.deployment) continue;
    const k = `${r.namespace}/${r.deployment}`;
    let l = byDeployment.get(k);
    if (!l) byDeployment.set(k, (l = []));
    l.push(r);
  }
  return { byName, byDeployment };
}

/** ReplicaSet / Job scale: keep up to n, delete by the controller's ranking, want the rest. */
function scaleTo(d: Desired, existing: PodState[], n: number, want: Want, by: { object: string; source: string }) {
  if (existing.length > n) {
    const perNode = new Map<string, number>();
    for (const p of existing) if (p.nodeName) perNode.set(p.nodeName, (perNode.get(p.nodeName) ?? 0) + 1);
    // controller.ActivePodsWithRanks: unassigned, then not ready, then doubled-up on a node, then newer first.
    const ranked = existing
      .map((p, i) => ({ p, i }))
      .sort(
        (a, b) =>
          +!!a.p.nodeName - +!!b.p.nodeName ||
          +a.p.ready - +b.p.ready ||
          (perNode.get(b.p.nodeName ?? "") ?? 0) - (perNode.get(a.p.nodeName ?? "") ?? 0) ||
          b.p.created - a.p.created ||
          b.i - a.i,
      );
    const drop = new Set(ranked.slice(0, existing.length - n).map((x) => x.p));
    for (const p of existing) drop.has(p) ? d.toDelete.push({ pod: p, by }) : d.kept.add(p);
  } else {
    for (const p of existing) d.kept.add(p);
    const room = takeBudget(d, n - existing.length, by);
    for (let i = 0; i < room; i++) d.wants.push(want); // read-only: shared by the replicas
  }
}

/** A Deployment (through its current ReplicaSet) or a bare ReplicaSet. */
function replicaSetPods(ctx: ReconcileContext, d: Desired, w: Workload, prevRs: PrevReplicaSets): void {
  const { o, ns, name, existing, tmpl, tLabels } = w;
  const replicas: number = o.spec?.replicas ?? 1;
  let hash: string;
  let rsName: string;
  let workload: WorkloadRef;
  if (o.kind === "Deployment") {
    hash = templateHash(tmpl, ctx.seed, o.status?.collisionCount ?? 0);
    rsName = `${name}-${hash}`;
    workload = { kind: "Deployment", namespace: ns, name };
  } else {
    hash = tLabels["pod-template-hash"] ?? "";
    rsName = name;
    workload = { kind: "ReplicaSet", namespace: ns, name };
  }
  const labels = hash ? { ...tLabels, "pod-template-hash": hash } : tLabels;
  const current = existing.filter((p) => p.owner?.name === rsName);
  const old = existing.filter((p) => p.owner?.name !== rsName);
  const rsObj = `replicaset/${ns}/${rsName}`;
  for (const p of old)
    d.toDelete.push({
      pod: p,
      by: { object: `replicaset/${ns}/${p.owner?.name}`, source: "replicaset-controller" },
    });
  if (o.kind === "Deployment") rollOver(ctx, d, ns, name, rsName, replicas, prevRs);
  d.replicaSets.push({
    namespace: ns,
    name: rsName,
    deployment: o.kind === "Deployment" ? name : null,
    podTemplateHash: hash,
    replicas,
  });
  const owner = { kind: "ReplicaSet", name: rsName };
  scaleTo(
    d,
    current,
    replicas,
    {
      namespace: ns,
      base: rsName,
      labels,
      annotations: w.tAnn,
      spec: w.tSpec,
      owner,
      workload,
      ready: true,
      terminating: false,
      created: { object: rsObj, source: "replicaset-controller", message: (p) => `Created pod: ${p}` },
    },
    { object: rsObj, source: "replicaset-controller" },
  );
}

/** A pod of the template, `<name>-<5 chars>`, that the workload owns itself ("Created pod: …"). */
function ownedWant(
  w: Workload,
  kind: "Job" | "ReplicationController",
  labels: Record<string, string>,
  by: { object: string; source: string },
): Want {
  return {
    namespace: w.ns,
    base: w.name,
    labels,
    annotations: w.tAnn,
    spec: w.tSpec,
    owner: { kind, name: w.name },
    workload: { kind, namespace: w.ns, name: w.name },
    ready: true,
    terminating: false,
    created: { ...by, message: (p) => `Created pod: ${p}` },
  };
}

/**
 * A ReplicationController (v1): a ReplicaSet without the pod-template-hash, its pods
 * `<rc-name>-<5 chars>` owned by it (pkg/controller/replication, which runs the ReplicaSet
 * controller's code with the event source "replication-controller").
 */
function replicationControllerPods(d: Desired, w: Workload): void {
  const { o, ns, name } = w;
  const replicas: number = o.spec?.replicas ?? 1;
  const by = { object: `replicationcontroller/${ns}/${name}`, source: "replication-controller" };
  scaleTo(d, w.existing, replicas, ownedWant(w, "ReplicationController", w.tLabels, by), by);
}

/** A Deployment's scaling events; its older ReplicaSets are scaled to 0. */
function rollOver(
  ctx: ReconcileContext,
  d: Desired,
  ns: string,
  name: string,
  rsName: string,
  replicas: number,
  prevRs: PrevReplicaSets,
): void {
  const before = prevRs.byName.get(`${ns}/${rsName}`)?.replicas ?? 0;
  if (before !== replicas)
    emit(
      ctx,
      "Normal",
      "ScalingReplicaSet",
      `deployment/${ns}/${name}`,
      `Scaled ${replicas > before ? "up" : "down"} replica set ${rsName} to ${replicas}`,
      "deployment-controller",
      ctx.svcTime,
    );
  for (const r of prevRs.byDeployment.get(`${ns}/${name}`) ?? [])
    if (r.name !== rsName) {
      if (r.replicas > 0)
        emit(
          ctx,
          "Normal",
          "ScalingReplicaSet",
          `deployment/${ns}/${name}`,
          `Scaled down replica set ${r.name} to 0 from ${r.replicas}`,
          "deployment-controller",
          ctx.svcTime,
        );
      d.replicaSets.push(r.replicas === 0 ? r : { ...r, replicas: 0 });
    }
}

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

// Complete and Failed end a Job; SuccessCriteriaMet and FailureTarget come first, while the
// controller removes the pods it still has: it makes none once any of them holds.
const FINISHING = new Set(["Complete", "Failed", "SuccessCriteriaMet", "FailureTarget"]);

/**
 * The pods a Job keeps running: the job controller's wantActive (kubernetes/kubernetes
 * pkg/controller/job/job_controller.go manageJob). None while suspended or once finishing (a
 * FINISHING condition: a dump's finished Job has no active pods to make); else its
 * completions less those succeeded, at most parallelism; a work queue (no completions) runs
 * parallelism pods until one succeeds, then only those still active. Without either field
 * the API server defaults both to 1 (pkg/apis/batch/v1/defaults.go).
 */
export function jobActive(o: KubeObject): number {
  const spec = o.spec ?? {};
  const st = (o.status ?? {}) as { succeeded?: unknown; active?: unknown; conditions?: unknown };
  if (spec.suspend === true) return 0;
  const conds = Array.isArray(st.conditions) ? (st.conditions as { type?: unknown; status?: unknown }[]) : [];
  if (conds.some((c) => FINISHING.has(c?.type as string) && c.status === "True")) return 0;
  const parallelism = isCount(spec.parallelism) ? spec.parallelism : 1;
  const succeeded = isCount(st.succeeded) ? st.succeeded : 0;
  if (!isCount(spec.completions)) return succeeded > 0 ? (isCount(st.active) ? st.active : 0) : parallelism;
  return Math.max(0, Math.min(parallelism, spec.completions - succeeded));
}

/** A Job's uid: as given, else the one podnet's API server makes for it (its selector's value). */
export function jobUid(seed: string, o: KubeObject): string {
  return o.metadata.uid ?? uidFor(`${seed}/job/${o.metadata.namespace ?? "default"}/${o.metadata.name}`);
}

/**
 * The labels the API server gives a Job's pod template when it makes the selector
 * (kubernetes/kubernetes pkg/registry/batch/job/strategy.go generateSelector), the legacy
 * pair too.
 */
export function jobLabels(uid: string, name: string): Record<string, string> {
  return {
    "batch.kubernetes.io/controller-uid": uid,
    "batch.kubernetes.io/job-name": name,
    "controller-uid": uid,
    "job-name": name,
  };
}

function jobPods(ctx: ReconcileContext, d: Desired, w: Workload): void {
  const { o, ns, name } = w;
  const n = jobActive(o);
  const labels = { ...w.tLabels, ...jobLabels(jobUid(ctx.seed, o), name) };
  const by = { object: `job/${ns}/${name}`, source: "job-controller" };
  const want = ownedWant(w, "Job", labels, by);
  if (o.spec?.completionMode === "Indexed" && isCount(o.spec?.completions)) indexedJobPods(d, w, n, want, by);
  else scaleTo(d, w.existing, n, want, by);
}

const INDEX_KEY = "batch.kubernetes.io/job-completion-index";

/**
 * The index ranges of a Job's status.completedIndexes or failedIndexes ("0-2,5"), within
 * [0, completions), sorted and merged. As the job controller reads them
 * (pkg/controller/job/indexed_job_utils.go parseIndexesFromString): a part that does not read
 * is skipped, a range ends at completions. Ranges, not indexes: completions may be 2^31.
 */
export function jobIndexes(texts: unknown[], completions: number): [number, number][] {
  const rs: [number, number][] = [];
  for (const text of texts) {
    if (typeof text !== "string") continue;
    for (const part of text.split(",")) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (!m) continue;
      const a = Number(m[1]);
      const b = Math.min(Number(m[2] ?? m[1]), completions - 1);
      if (a <= b) rs.push([a, b]);
    }
  }
  rs.sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of rs) {
    const last = out.at(-1);
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Whether i lies in one of the sorted, merged ranges. */
function inRanges(rs: [number, number][], i: number): boolean {
  let lo = 0;
  let hi = rs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (rs[mid][1] < i) lo = mid + 1;
    else if (rs[mid][0] > i) hi = mid - 1;
    else return true;
  }
  return false;
}

/**
 * An Indexed Job: one pod per index, the lowest not done and not running first, each named
 * `<job>-<index>-<suffix>`, its index in an annotation and a label, hostname `<job>-<index>`
 * (a headless Service named in the template's subdomain gives each a DNS name) and
 * JOB_COMPLETION_INDEX in every container (kubernetes/kubernetes
 * pkg/controller/job/indexed_job_utils.go podGenerateNameWithIndex, addCompletionIndexEnvVariable;
 * https://kubernetes.io/docs/concepts/workloads/controllers/job/#completion-mode).
 */
function indexedJobPods(d: Desired, w: Workload, n: number, want: Want, by: { object: string; source: string }): void {
  const completions = w.o.spec.completions as number;
  // Done, or failed for good (backoffLimitPerIndex): not run again.
  const skip = jobIndexes([w.o.status?.completedIndexes, w.o.status?.failedIndexes], completions);
  const held = new Set<number>();
  const keep: PodState[] = [];
  for (const p of w.existing) {
    const i = Number(p.labels[INDEX_KEY] ?? p.annotations[INDEX_KEY]);
    if (Number.isInteger(i) && i >= 0 && i < completions && !inRanges(skip, i) && !held.has(i) && keep.length < n) {
      held.add(i);
      keep.push(p);
    } else d.toDelete.push({ pod: p, by });
  }
  for (const p of keep) d.kept.add(p);
  let room = takeBudget(d, Math.max(0, n - keep.length), by);
  const indexed = withIndexEnv(w.tSpec);
  let r = 0;
  for (let i = 0; i < completions && room > 0; i++) {
    while (r < skip.length && skip[r][1] < i) r++;
    if (r < skip.length && skip[r][0] <= i) {
      i = skip[r][1]; // past the range
      continue;
    }
    if (held.has(i)) continue;
    room--;
    const index = String(i);
    d.wants.push({
      ...want,
      base: generateNameWithIndex(w.name, i),
      labels: { ...want.labels, [INDEX_KEY]: index },
      annotations: { ...want.annotations, [INDEX_KEY]: index },
      // The hostname is set whatever the template says (manageJob).
      spec: { ...indexed, hostname: `${w.name}-${index}` },
    });
  }
}

/** The template with JOB_COMPLETION_INDEX in every container that does not set it
 *  (addCompletionIndexEnvVariable: the index label through the Downward API). */
function withIndexEnv(t: PodSpec): PodSpec {
  const env = {
    name: "JOB_COMPLETION_INDEX",
    valueFrom: { fieldRef: { fieldPath: `metadata.labels['${INDEX_KEY}']` } },
  };
  const add = (cs: PodSpec["containers"] | undefined) =>
    cs?.map((c) => {
      const have = Array.isArray(c.env) ? c.env : [];
      return have.some((e) => e?.name === env.name) ? c : { ...c, env: [...have, env] };
    });
  const spec: PodSpec = { ...t, containers: add(t.containers) ?? [] };
  if (t.initContainers) spec.initContainers = add(t.initContainers);
  return spec;
}

/** `<job>-<index>` as a generateName base (the suffix's "-" is added with the suffix): the
 *  job name cut so that `<job>-<index>-` fits 58 characters (names.MaxGeneratedNameLength). */
function generateNameWithIndex(job: string, index: number): string {
  const tail = `-${index}-`;
  const prefix = `${job}${tail}`;
  return (prefix.length > 58 ? `${prefix.slice(0, 58 - tail.length)}${tail}` : prefix).slice(0, -1);
}

function statefulSetPods(ctx: ReconcileContext, d: Desired, w: Workload): void {
  const { o, ns, name, existing } = w;
  const replicas: number = o.spec?.replicas ?? 1;
  const rev = `${name}-${templateHash(w.tmpl, ctx.seed)}`;
  const serviceName: string | undefined = o.spec?.serviceName;
  const obj = `statefulset/${ns}/${name}`;
  const byName = new Map(existing.map((p) => [p.name, p]));
  for (const p of existing) {
    const ord = Number(p.name.slice(name.length + 1));
    if (!(ord < replicas)) d.toDelete.push({ pod: p, by: { object: obj, source: "statefulset-controller" } });
  }
  // Ordinals past the existing pods: as many as the step's budget allows (PENDING_CAP).
  const inRange = existing.filter((p) => Number(p.name.slice(name.length + 1)) < replicas).length;
  let room = takeBudget(d, Math.max(0, replicas - inRange), { object: obj, source: "statefulset-controller" });
  for (let i = 0; i < replicas; i++) {
    const podName = `${name}-${i}`;
    const p = byName.get(podName);
    if (p && p.labels["controller-revision-hash"] === rev) {
      d.kept.add(p);
      continue;
    }
    if (!p) {
      if (room === 0) {
        // The rest are not materialised; existing later ordinals stay.
        for (const q of existing) {
          const ord = Number(q.name.slice(name.length + 1));
          if (ord > i && ord < replicas && !d.kept.has(q)) d.kept.add(q);
        }
        break;
      }
      room--;
    }
    if (p) d.toDelete.push({ pod: p, by: { object: obj, source: "statefulset-controller" } });
    const spec: PodSpec = { ...w.tSpec, hostname: podName };
    if (serviceName) spec.subdomain = serviceName;
    d.wants.push({
      namespace: ns,
      name: podName,
      labels: {
        ...w.tLabels,
        "apps.kubernetes.io/pod-index": String(i),
        "controller-revision-hash": rev,
        "statefulset.kubernetes.io/pod-name": podName,
      },
      annotations: w.tAnn,
      spec,
      owner: { kind: "StatefulSet", name },
      workload: { kind: "StatefulSet", namespace: ns, name },
      ready: true,
      terminating: false,
      created: {
        object: obj,
        source: "statefulset-controller",
        message: (pn) => `create Pod ${pn} in StatefulSet ${name} successful`,
      },
    });
  }
}

function daemonSetPods(ctx: ReconcileContext, d: Desired, w: Workload): void {
  const { o, ns, name } = w;
  const hash = templateHash(w.tmpl, ctx.seed);
  const labels = {
    ...w.tLabels,
    "controller-revision-hash": hash,
    "pod-template-generation": String(o.metadata.generation ?? 1),
  };
  const spec: PodSpec = { ...w.tSpec, tolerations: daemonTolerations(w.tSpec) };
  const obj = `daemonset/${ns}/${name}`;
  const byNode = daemonPodsByNode(ctx, d, w.existing, hash, obj);
  for (const n of ctx.nodes) {
    // nodeShouldRunDaemonPod: taints (NoSchedule/NoExecute) and node affinity/selector.
    const eligible = staticReason(n, spec) === null;
    const p = byNode.get(n.name);
    if (p) {
      if (eligible) d.kept.add(p);
      else d.toDelete.push({ pod: p, by: { object: obj, source: "daemonset-controller" } });
      continue;
    }
    if (!eligible) continue;
    d.wants.push({
      namespace: ns,
      base: name,
      labels,
      annotations: w.tAnn,
      spec,
      owner: { kind: "DaemonSet", name },
      workload: { kind: "DaemonSet", namespace: ns, name },
      pinned: n,
      ready: true,
      terminating: false,
      created: { object: obj, source: "daemonset-controller", message: (pn) => `Created pod: ${pn}` },
    });
  }
}

/** A DaemonSet's current pods, one per known node; stale, doubled or unscheduled ones are deleted. */
function daemonPodsByNode(
  ctx: ReconcileContext,
  d: Desired,
  existing: PodState[],
  hash: string,
  obj: string,
): Map<string, PodState> {
  const byNode = new Map<string, PodState>();
  for (const p of existing) {
    const ok =
      p.nodeName &&
      p.labels["controller-revision-hash"] === hash &&
      !byNode.has(p.nodeName) &&
      ctx.nodeByName.has(p.nodeName);
    if (ok) byNode.set(p.nodeName!, p);
    else if (!p.nodeName && p.labels["controller-revision-hash"] === hash) byNode.set(`?${p.name}`, p);
    else d.toDelete.push({ pod: p, by: { object: obj, source: "daemonset-controller" } });
  }
  for (const [k, p] of byNode)
    if (k.startsWith("?")) {
      d.toDelete.push({ pod: p });
      byNode.delete(k);
    }
  return byNode;
}

/** A Pod given as such (or from a dump): kept when unchanged, else recreated with its status. */
function barePod(ctx: ReconcileContext, d: Desired, w: Workload): void {
  const { o, ns, name } = w;
  const prevObj = ctx.prevObjects.get(objKey(o));
  const p = w.existing.find((x) => x.name === name);
  if (p && prevObj && sameObject(prevObj, o)) {
    d.kept.add(p);
    return;
  }
  if (p) d.toDelete.push({ pod: p });
  const st = o.status ?? {};
  const ready = String(firstReadyStatus(st)) !== "False" && !(st.phase && st.phase !== "Running");
  d.wants.push({
    ...podBase(o, ns, name),
    owner: null,
    workload: { kind: "Pod", namespace: ns, name },
    ready,
    terminating: !!o.metadata.deletionTimestamp,
    requestedIP: typeof st.podIP === "string" ? st.podIP : undefined,
  });
}
