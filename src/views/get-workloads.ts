// `kubectl get` for the workload controllers (Deployment, StatefulSet, DaemonSet,
// ReplicationController, ReplicaSet): kubectl's columns (pkg/printers/internalversion/
// printers.go printDeployment, printStatefulSet, printDaemonSet, printReplicaSet …).

import type { ClusterState, PodState } from "../control/state.js";
import type { KubeObject, Labels, LabelSelector } from "../manifest/types.js";
import { formatLabelSelector } from "../manifest/selector.js";
import { isObj } from "../manifest/diag.js";
import { jobUid } from "../control/controllers.js";
import { age, earliest, formatLabels } from "./common.js";
import { humanDuration } from "./duration.js";
import { ageSince, objectAge, snapshotTime } from "./observed.js";
import type { Item, Resource } from "./get-types.js";
import { givenObject } from "./objects.js";

export function nsOf(o: KubeObject): string {
  return o.metadata.namespace ?? "default";
}

/** The input's objects of a kind the model keeps only as given (CronJobs, autoscalers), as get's items. */
export function objectItems(s: ClusterState, kind: string): Item<KubeObject>[] {
  return (s.objects ?? [])
    .filter((o) => o.kind === kind)
    .map((o) => ({ namespace: nsOf(o), name: o.metadata.name, labels: o.metadata.labels ?? {}, value: o }));
}

// ---- workloads --------------------------------------------------------------

// Live pods by their workload and by their owning ReplicaSet, one pass over the pods for a
// whole listing: a scan per row made `get deploy -A` over a dump of 150,000 pods and 10,000
// Deployments quadratic (~15 s). Keyed by the pod list: a changed cluster is a new state.
const podIndex = new WeakMap<readonly PodState[], Map<string, PodState[]>>();

export function workloadPods(state: ClusterState, kind: string, ns: string, name: string): PodState[] {
  let idx = podIndex.get(state.pods);
  if (!idx) {
    const m = new Map<string, PodState[]>();
    const add = (k: string, p: PodState) => {
      const l = m.get(k);
      if (l) l.push(p);
      else m.set(k, [p]);
    };
    for (const p of state.pods) {
      if (p.terminating) continue;
      add(`${p.workload.kind}/${p.namespace}/${p.workload.name}`, p);
      if (p.owner?.kind === "ReplicaSet") add(`owner/${p.namespace}/${p.owner.name}`, p);
    }
    podIndex.set(state.pods, m);
    idx = m;
  }
  // A ReplicaSet's pods are those it owns (a Deployment's pods name the Deployment as workload).
  return idx.get(kind === "ReplicaSet" ? `owner/${ns}/${name}` : `${kind}/${ns}/${name}`) ?? [];
}

/** The given workloads by kind/namespace/name (the first of each, as find() had it). */
function workloadsByKey(s: ClusterState): Map<string, KubeObject> {
  const m = new Map<string, KubeObject>();
  for (const w of s.workloads) {
    const k = `${w.kind}/${nsOf(w)}/${w.metadata.name}`;
    if (!m.has(k)) m.set(k, w);
  }
  return m;
}

function containersOf(o: KubeObject | undefined, pods: PodState[]): { names: string; images: string } {
  const cs: { name: string; image?: string }[] = o?.spec?.template?.spec?.containers ?? pods[0]?.spec.containers ?? [];
  return { names: cs.map((c) => c.name).join(","), images: cs.map((c) => c.image ?? "").join(",") };
}

function replicas(o: KubeObject | undefined): number {
  const r = o?.spec?.replicas;
  return typeof r === "number" ? r : 1;
}

/**
 * The status a controller read from a live cluster reported, or undefined: printers.go
 * (printDeployment, printStatefulSet, printDaemonSet, printReplicaSet,
 * printReplicationController) prints the object's status counts, not its pods. An empty
 * `status: {}` (a manifest from `--dry-run -o yaml`) has not run anywhere yet.
 */
function clusterStatus(o: KubeObject | undefined): Record<string, unknown> | undefined {
  const st = o?.status;
  return isObj(st) && Object.keys(st).length > 0 ? (st as Record<string, unknown>) : undefined;
}

/** A count of a status (int32, omitempty: absent is 0). */
const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** The rows of a workload kind: the controllers of that kind the cluster runs. */
function givenOfKind(s: ClusterState, kind: string) {
  return s.workloads
    .filter((o) => o.kind === kind)
    .map((o) => ({ namespace: nsOf(o), name: o.metadata.name, labels: o.metadata.labels ?? {}, value: o }));
}

export function workloadResource(
  kind: "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicationController",
  plural: string,
  short: string[],
): Resource<KubeObject> {
  return {
    kind,
    plural,
    singular: kind.toLowerCase(),
    shortNames: short,
    nameRef: kind === "ReplicationController" ? "replicationcontroller" : `${kind.toLowerCase()}.apps`,
    namespaced: true,
    items: (s) => givenOfKind(s, kind),
    header: (wide) => {
      const w = wide ? ["CONTAINERS", "IMAGES", ...(kind === "StatefulSet" ? [] : ["SELECTOR"])] : [];
      if (kind === "Deployment") return ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", ...w];
      if (kind === "StatefulSet") return ["NAME", "READY", "AGE", ...w];
      if (kind === "ReplicationController") return ["NAME", "DESIRED", "CURRENT", "READY", "AGE", ...w];
      return ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE", ...w];
    },
    row(state, item, wide) {
      const o = item.value;
      const ps = workloadPods(state, kind, item.namespace, item.name);
      const st = clusterStatus(o);
      const ready = st
        ? num(kind === "DaemonSet" ? st.numberReady : st.readyReplicas)
        : ps.filter((p) => p.ready && p.phase === "Running").length;
      // The cluster's counts where it gave them, else the pods the model runs.
      const current = st ? num(kind === "DaemonSet" ? st.currentNumberScheduled : st.replicas) : ps.length;
      const created = earliest(ps);
      const ageCell = objectAge(state, kind, item.namespace, item.name, created);
      const c = containersOf(o, ps);
      // A ReplicationController's selector is a plain label map.
      const sel =
        kind === "ReplicationController"
          ? formatLabels(o.spec?.selector)
          : formatLabelSelector(o.spec?.selector as LabelSelector | undefined);
      let r: string[];
      if (kind === "Deployment") {
        const updated = st ? num(st.updatedReplicas) : ps.length;
        const available = st ? num(st.availableReplicas) : ready;
        r = [item.name, `${ready}/${replicas(o)}`, String(updated), String(available), ageCell];
      } else if (kind === "StatefulSet") r = [item.name, `${ready}/${replicas(o)}`, ageCell];
      else if (kind === "ReplicationController")
        r = [item.name, String(replicas(o)), String(current), String(ready), ageCell];
      else {
        const ns = o.spec?.template?.spec?.nodeSelector as Labels | undefined;
        const nsText = ns && Object.keys(ns).length ? formatLabels(ns) : "<none>";
        r = [
          item.name,
          String(st ? num(st.desiredNumberScheduled) : ps.length),
          String(current),
          String(ready),
          String(st ? num(st.updatedNumberScheduled) : ps.length),
          String(st ? num(st.numberAvailable) : ready),
          nsText,
          ageCell,
        ];
      }
      if (wide) r.push(c.names, c.images, ...(kind === "StatefulSet" ? [] : [sel]));
      return r;
    },
    object: (_state, item, opts) => givenObject(item.value, item.namespace, opts),
  };
}

export interface RsView {
  namespace: string;
  name: string;
  given?: KubeObject;
  deployment?: KubeObject;
  replicas?: number;
  /** The pod-template-hash of one the deployment controller made (state.replicaSets). */
  hash?: string;
}

/**
 * A ReplicaSet's selector: a given one's as given (it holds pod-template-hash already);
 * one podnet made for a Deployment has the Deployment's plus pod-template-hash, as the
 * deployment controller writes it (kubernetes/kubernetes pkg/controller/deployment/sync.go
 * getNewReplicaSet: CloneSelectorAndAddLabel).
 */
export function rsSelector(r: RsView, ps: readonly PodState[]): LabelSelector | undefined {
  if (r.given) return r.given.spec?.selector as LabelSelector | undefined;
  const sel = r.deployment?.spec?.selector as LabelSelector | undefined;
  const hash = r.hash || ps[0]?.labels["pod-template-hash"];
  if (!sel || !hash) return sel;
  return { ...sel, matchLabels: { ...sel.matchLabels, "pod-template-hash": hash } };
}

/**
 * ReplicaSets known only because a dump's pods name them as owner ("ns/name"): every pod
 * that names it was read from the cluster and the input does not give it. kubectl lists
 * what the cluster has; of these podnet knows nothing but the name (no selector, spec or
 * age), so `get rs` leaves them out rather than print made-up fields.
 */
function namedOnlyByPods(s: ClusterState): Set<string> {
  const observed = new Set<string>();
  const modelled = new Set<string>();
  for (const p of s.pods) {
    if (p.owner?.kind !== "ReplicaSet") continue;
    (p.observed ? observed : modelled).add(`${p.namespace}/${p.owner.name}`);
  }
  for (const k of modelled) observed.delete(k);
  return observed;
}

export const replicasets: Resource<RsView> = {
  kind: "ReplicaSet",
  plural: "replicasets",
  singular: "replicaset",
  shortNames: ["rs"],
  nameRef: "replicaset.apps",
  namespaced: true,
  items(s) {
    const byKey = workloadsByKey(s);
    const onlyNamed = namedOnlyByPods(s);
    const listed = (r: { namespace: string; name: string }) =>
      byKey.has(`ReplicaSet/${r.namespace}/${r.name}`) || !onlyNamed.has(`${r.namespace}/${r.name}`);
    if (s.replicaSets) {
      return s.replicaSets.filter(listed).map((r) => {
        const given = byKey.get(`ReplicaSet/${r.namespace}/${r.name}`);
        const deployment = r.deployment ? byKey.get(`Deployment/${r.namespace}/${r.deployment}`) : undefined;
        const src = given ?? deployment;
        const labels = {
          ...(src?.spec?.template?.metadata?.labels ?? {}),
          ...(r.deployment ? { "pod-template-hash": r.podTemplateHash } : {}),
        };
        return {
          namespace: r.namespace,
          name: r.name,
          labels,
          value: {
            namespace: r.namespace,
            name: r.name,
            given,
            deployment,
            replicas: r.replicas,
            hash: r.podTemplateHash,
          },
        };
      });
    }
    // Without the control plane's list, ReplicaSets are known through their pods' owners.
    const seen = new Map<string, RsView>();
    for (const o of s.workloads.filter((w) => w.kind === "ReplicaSet"))
      seen.set(`${nsOf(o)}/${o.metadata.name}`, { namespace: nsOf(o), name: o.metadata.name, given: o });
    for (const p of s.pods) {
      if (p.owner?.kind !== "ReplicaSet") continue;
      const key = `${p.namespace}/${p.owner.name}`;
      if (seen.has(key)) continue;
      const dep =
        p.workload.kind === "Deployment" ? byKey.get(`Deployment/${p.namespace}/${p.workload.name}`) : undefined;
      seen.set(key, { namespace: p.namespace, name: p.owner.name, deployment: dep });
    }
    return [...seen.values()].filter(listed).map((r) => ({
      namespace: r.namespace,
      name: r.name,
      labels: (r.given ?? r.deployment)?.spec?.template?.metadata?.labels ?? {},
      value: r,
    }));
  },
  header: (wide) => [
    "NAME",
    "DESIRED",
    "CURRENT",
    "READY",
    "AGE",
    ...(wide ? ["CONTAINERS", "IMAGES", "SELECTOR"] : []),
  ],
  row(state, item, wide) {
    const r = item.value;
    const ps = workloadPods(state, "ReplicaSet", r.namespace, r.name);
    const src = r.given ?? r.deployment;
    const st = clusterStatus(r.given);
    const ready = st ? num(st.readyReplicas) : ps.filter((p) => p.ready && p.phase === "Running").length;
    const current = st ? num(st.replicas) : ps.length;
    const created = earliest(ps);
    const ageCell = objectAge(state, "ReplicaSet", r.namespace, r.name, created);
    const row = [r.name, String(r.replicas ?? replicas(src)), String(current), String(ready), ageCell];
    if (wide) {
      const c = containersOf(src, ps);
      row.push(c.names, c.images, formatLabelSelector(rsSelector(r, ps)));
    }
    return row;
  },
  object(state, item, opts) {
    const r = item.value;
    if (r.given) return givenObject(r.given, r.namespace, opts);
    const src = r.deployment;
    return givenObject(
      {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        metadata: {
          name: r.name,
          namespace: r.namespace,
          ownerReferences: src
            ? [{ apiVersion: "apps/v1", kind: "Deployment", name: src.metadata.name, controller: true }]
            : undefined,
        },
        spec: src ? { replicas: replicas(src), selector: src.spec?.selector, template: src.spec?.template } : {},
        status: { replicas: workloadPods(state, "ReplicaSet", r.namespace, r.name).length },
      },
      r.namespace,
      opts,
    );
  },
};

// ---- jobs -------------------------------------------------------------------

interface JobStatus {
  succeeded?: number;
  startTime?: string;
  completionTime?: string;
  conditions?: { type?: string; status?: string }[];
}

const jobCondition = (st: JobStatus, type: string) =>
  Array.isArray(st.conditions) && st.conditions.some((c) => c?.type === type && c.status === "True");

/** printJob's STATUS: the first condition that holds, in its order; Running otherwise. */
function jobStatus(o: KubeObject, st: JobStatus): string {
  if (jobCondition(st, "Complete")) return "Complete";
  if (jobCondition(st, "Failed")) return "Failed";
  if (o.metadata.deletionTimestamp) return "Terminating";
  if (jobCondition(st, "Suspended")) return "Suspended";
  if (jobCondition(st, "FailureTarget")) return "FailureTarget";
  if (jobCondition(st, "SuccessCriteriaMet")) return "SuccessCriteriaMet";
  return "Running";
}

/**
 * printJob's COMPLETIONS. Without either field the API server defaults both to 1
 * (pkg/apis/batch/v1/defaults.go SetDefaults_Job); a work queue (parallelism alone) shows
 * "N/1 of P".
 */
function jobCompletions(o: KubeObject, succeeded: number): string {
  const c = o.spec?.completions;
  const p = o.spec?.parallelism;
  if (typeof c === "number") return `${succeeded}/${c}`;
  if (p === undefined || p === null) return `${succeeded}/1`;
  return typeof p === "number" && p > 1 ? `${succeeded}/1 of ${p}` : `${succeeded}/1`;
}

/** printJob's DURATION: start to completion, or start to now (the snapshot's time); none before start. */
function jobDuration(state: ClusterState, st: JobStatus): string {
  const start = typeof st.startTime === "string" ? Date.parse(st.startTime) : Number.NaN;
  if (Number.isNaN(start)) return "";
  const done = st.completionTime;
  const end =
    done === undefined || done === null
      ? snapshotTime(state)
      : typeof done === "string"
        ? Date.parse(done)
        : Number.NaN;
  return Number.isNaN(end) ? "<unknown>" : humanDuration((end - start) / 1000);
}

/**
 * `kubectl get jobs`: printJob (kubernetes/kubernetes pkg/printers/internalversion/printers.go).
 * A Job read from a live cluster shows its status; one from manifests is what the job
 * controller makes of it here: its pods run (podnet's pods serve, they do not finish), so
 * none has succeeded and it is Running from its first pod's start, or Suspended with none.
 */
export const jobs: Resource<KubeObject> = {
  kind: "Job",
  plural: "jobs",
  singular: "job",
  shortNames: [],
  nameRef: "job.batch",
  namespaced: true,
  items: (s) => givenOfKind(s, "Job"),
  header: (wide) => [
    "NAME",
    "STATUS",
    "COMPLETIONS",
    "DURATION",
    "AGE",
    ...(wide ? ["CONTAINERS", "IMAGES", "SELECTOR"] : []),
  ],
  row(state, item, wide) {
    const o = item.value;
    const ps = workloadPods(state, "Job", item.namespace, item.name);
    // A status with something in it is the cluster's (`kubectl create job --dry-run -o yaml`
    // writes `status: {}`: that Job has not run anywhere yet).
    const given = isObj(o.status) && Object.keys(o.status).length > 0;
    const suspended = o.spec?.suspend === true;
    let status: string;
    let succeeded = 0;
    let duration: string;
    if (given) {
      const st = o.status as JobStatus;
      status = jobStatus(o, st);
      succeeded = typeof st.succeeded === "number" ? st.succeeded : 0;
      duration = jobDuration(state, st);
    } else {
      // The job controller sets the Suspended condition and no start time while suspended.
      status = suspended ? "Suspended" : "Running";
      duration = suspended ? "" : age(state, earliest(ps));
    }
    const r = [
      item.name,
      status,
      jobCompletions(o, succeeded),
      duration,
      objectAge(state, "Job", item.namespace, item.name, earliest(ps)),
    ];
    if (wide) {
      const c = containersOf(o, ps);
      // The API server selects a Job's pods by its uid (batch.kubernetes.io/controller-uid).
      const sel = o.spec?.selector
        ? formatLabelSelector(o.spec.selector as LabelSelector)
        : `batch.kubernetes.io/controller-uid=${jobUid(state.seed, o)}`;
      r.push(c.names, c.images, sel);
    }
    return r;
  },
  object: (_state, item, opts) => givenObject(item.value, item.namespace, opts),
};

/**
 * `kubectl get cronjobs`: printCronJob (kubernetes/kubernetes pkg/printers/internalversion/
 * printers.go). SUSPEND is the defaulted field (SetDefaults_CronJob: false); ACTIVE and LAST
 * SCHEDULE come from a live cluster's status. One from manifests has run no Job yet: the
 * CronJob controller makes the first when a schedule time has passed since its creation
 * (pkg/controller/cronjob/cronjob_controllerv2.go), so ACTIVE 0 and LAST SCHEDULE <none>.
 */
export const cronjobs: Resource<KubeObject> = {
  kind: "CronJob",
  plural: "cronjobs",
  singular: "cronjob",
  shortNames: ["cj"],
  nameRef: "cronjob.batch",
  namespaced: true,
  items: (s) => objectItems(s, "CronJob"),
  header: (wide) => [
    "NAME",
    "SCHEDULE",
    "TIMEZONE",
    "SUSPEND",
    "ACTIVE",
    "LAST SCHEDULE",
    "AGE",
    ...(wide ? ["CONTAINERS", "IMAGES", "SELECTOR"] : []),
  ],
  row(state, item, wide) {
    const o = item.value;
    const spec = isObj(o.spec) ? o.spec : {};
    const st = clusterStatus(o);
    const last = st?.lastScheduleTime;
    const r = [
      item.name,
      typeof spec.schedule === "string" ? spec.schedule : "",
      typeof spec.timeZone === "string" ? spec.timeZone : "<none>",
      spec.suspend === true ? "True" : "False",
      String(Array.isArray(st?.active) ? st.active.length : 0),
      typeof last === "string" ? ageSince(state, last) : "<none>",
      objectAge(state, "CronJob", item.namespace, item.name, 0),
    ];
    if (wide) {
      const jt = isObj(spec.jobTemplate) && isObj(spec.jobTemplate.spec) ? spec.jobTemplate.spec : {};
      const cs: { name?: string; image?: string }[] = Array.isArray(jt.template?.spec?.containers)
        ? jt.template.spec.containers
        : [];
      r.push(
        cs.map((c) => c?.name ?? "").join(","),
        cs.map((c) => c?.image ?? "").join(","),
        jt.selector ? formatLabelSelector(jt.selector as LabelSelector) : "<none>",
      );
    }
    return r;
  },
  object: (_state, item, opts) => givenObject(item.value, item.namespace, opts),
};
