// `kubectl describe replicaset|replicationcontroller|daemonset|statefulset` layouts
// (kubernetes/kubectl pkg/describe/describe.go: describeReplicaSet,
// describeReplicationController, describeDaemonSet, describeStatefulSet with
// DescribePodTemplate and getPodStatusForController). An object read from a live cluster
// (its status has something in it) shows its spec and status as given; one from manifests
// as the API server defaults it and its controller runs it here.

import type { ClusterState, PodState } from "../control/state.js";
import type { KubeObject, Labels, LabelSelector } from "../manifest/types.js";
import { formatLabelSelector } from "../manifest/selector.js";
import { isObj } from "../manifest/diag.js";
import { earliest, formatLabels, rfc1123z, type ViewOptions } from "./common.js";
import { annotationsMultiline, eventsFor, finish, labelsMultiline, type Raw } from "./describe.js";
import { controlledBy, podTemplateText, reasonConditions, scaled } from "./describe-objects.js";
import { goTime } from "./describe-node.js";
import { type RsView, rsSelector } from "./get-workloads.js";
import { givenAs } from "./objects.js";
import { formatQuantity, parseQuantity } from "./resources.js";

/** The status of an object read from a live cluster; undefined for a manifest's (none, or `status: {}`). */
function servedStatus(o: KubeObject | undefined): Raw | undefined {
  return isObj(o?.status) && Object.keys(o.status).length > 0 ? (o.status as Raw) : undefined;
}

/** A status count (int32; absent is 0). */
const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
/** Go's %v of a string field: absent is "". */
const str = (v: unknown): string => (typeof v === "string" || typeof v === "number" ? String(v) : "");
/** spec.replicas, which the API server defaults to 1. */
const replicasOf = (o: KubeObject | undefined): number => (typeof o?.spec?.replicas === "number" ? o.spec.replicas : 1);

/** labels.Selector's String() (LabelSelectorAsSelector): FormatLabelSelector's text, "" when it selects everything. */
function selectorString(sel: LabelSelector | undefined): string {
  const s = formatLabelSelector(sel);
  return s === "<none>" ? "" : s;
}

// The pods each controller owns (its controller ownerReference), terminating ones too, one
// pass over the pods for a whole namespace's describe.
const ownedIndex = new WeakMap<readonly PodState[], Map<string, PodState[]>>();

function ownedPods(state: ClusterState, kind: string, ns: string, name: string): PodState[] {
  let idx = ownedIndex.get(state.pods);
  if (!idx) {
    idx = new Map();
    for (const p of state.pods) {
      if (!p.owner) continue;
      const k = `${p.owner.kind}/${p.namespace}/${p.owner.name}`;
      const l = idx.get(k);
      if (l) l.push(p);
      else idx.set(k, [p]);
    }
    ownedIndex.set(state.pods, idx);
  }
  return idx.get(`${kind}/${ns}/${name}`) ?? [];
}

/** A controller's namespace, name, spec, served status and the pods it owns. */
function facts(state: ClusterState, o: KubeObject) {
  const ns = o.metadata.namespace ?? "default";
  const spec: Raw = o.spec ?? {};
  return { ns, name: o.metadata.name, spec, st: servedStatus(o), pods: ownedPods(state, o.kind, ns, o.metadata.name) };
}

/** FilterActivePods: what a ReplicaSet's status.replicas counts (not terminating, not finished). */
const active = (pods: readonly PodState[]) =>
  pods.filter((p) => !p.terminating && p.phase !== "Succeeded" && p.phase !== "Failed");

/** getPodStatusForController: the controller's pods by phase. */
function podsStatusLine(pods: readonly PodState[]): string {
  const n = (phase: PodState["phase"]) => pods.filter((p) => p.phase === phase).length;
  return `Pods Status:\t${n("Running")} Running / ${n("Pending")} Waiting / ${n("Succeeded")} Succeeded / ${n("Failed")} Failed\n`;
}

/** The Conditions of a ReplicaSet's or ReplicationController's status, as given. */
function givenConditions(st: Raw | undefined): string {
  const cs = Array.isArray(st?.conditions) ? st.conditions.filter(isObj) : [];
  return reasonConditions(cs.map((c) => [str(c.type), str(c.status), str(c.reason)] as const));
}

interface ReplicaFields {
  selector: string;
  labels?: Labels;
  annotations?: Record<string, string>;
  owner: string;
  current: number;
  desired: number;
  template?: Raw;
  conditions: string;
}

/** describeReplicaSet and describeReplicationController: one layout (the RC has no owner). */
function replicaText(state: ClusterState, kind: string, ns: string, name: string, f: ReplicaFields): string {
  const pods = ownedPods(state, kind, ns, name);
  let b = `Name:\t${name}\nNamespace:\t${ns}\nSelector:\t${f.selector}\n`;
  b += labelsMultiline("Labels", f.labels);
  b += annotationsMultiline("Annotations", f.annotations);
  if (f.owner) b += `Controlled By:\t${f.owner}\n`;
  b += `Replicas:\t${f.current} current / ${f.desired} desired\n`;
  b += podsStatusLine(pods);
  b += podTemplateText(f.template);
  b += f.conditions;
  return finish(state, b, eventsFor(state, kind.toLowerCase(), ns, name));
}

// The deployment controller's annotations (kubernetes/kubernetes
// pkg/controller/deployment/util/deployment_util.go): the Deployment's own are copied to its
// ReplicaSets but for these.
const NOT_COPIED = new Set([
  "kubectl.kubernetes.io/last-applied-configuration",
  "deployment.kubernetes.io/revision",
  "deployment.kubernetes.io/revision-history",
  "deployment.kubernetes.io/desired-replicas",
  "deployment.kubernetes.io/max-replicas",
  "deprecated.deployment.rollback.to",
]);

/**
 * A ReplicaSet the deployment controller made here for a Deployment of the manifests
 * (sync.go getNewReplicaSet): the template's labels and the selector plus pod-template-hash,
 * the Deployment's annotations with SetNewReplicaSetAnnotations' (revision 1, as podnet's
 * Deployment has one), owned by the Deployment.
 */
function madeReplicaSet(state: ClusterState, r: RsView, d: KubeObject): ReplicaFields {
  const pods = ownedPods(state, "ReplicaSet", r.namespace, r.name);
  const t: Raw = d.spec?.template ?? {};
  const hash = r.hash || pods[0]?.labels["pod-template-hash"];
  const labels: Labels = { ...(t.metadata?.labels ?? {}), ...(hash ? { "pod-template-hash": hash } : {}) };
  const desired = replicasOf(d);
  const strategy: Raw = d.spec?.strategy ?? {};
  // MaxSurge: none for Recreate; RollingUpdate's, 25% by default, rounded up.
  const surge =
    (strategy.type ?? "RollingUpdate") === "RollingUpdate"
      ? scaled(strategy.rollingUpdate?.maxSurge ?? "25%", desired, true)
      : 0;
  const own = Object.entries(d.metadata.annotations ?? {}).filter(([k]) => !NOT_COPIED.has(k));
  return {
    selector: formatLabelSelector(rsSelector(r, pods)),
    labels,
    annotations: {
      ...Object.fromEntries(own),
      "deployment.kubernetes.io/desired-replicas": String(desired),
      "deployment.kubernetes.io/max-replicas": String(desired + surge),
      "deployment.kubernetes.io/revision": "1",
    },
    owner: `Deployment/${d.metadata.name}`,
    current: active(pods).length,
    desired: r.replicas ?? desired,
    template: { ...t, metadata: { ...(t.metadata ?? {}), labels } },
    conditions: "",
  };
}

/** `kubectl describe rs`: a ReplicaSet as given (a dump's status as given), or one podnet's deployment controller made. */
export function describeReplicaSet(state: ClusterState, r: RsView, _opts: ViewOptions = {}): string {
  const o = r.given ?? givenAs(state, "ReplicaSet", r.namespace, r.name);
  if (!o && r.deployment)
    return replicaText(state, "ReplicaSet", r.namespace, r.name, madeReplicaSet(state, r, r.deployment));
  const st = servedStatus(o);
  const pods = ownedPods(state, "ReplicaSet", r.namespace, r.name);
  return replicaText(state, "ReplicaSet", r.namespace, r.name, {
    selector: formatLabelSelector(o?.spec?.selector as LabelSelector | undefined),
    labels: o?.metadata.labels,
    annotations: o?.metadata.annotations,
    owner: o ? controlledBy(o) : "",
    current: st ? num(st.replicas) : active(pods).length,
    desired: replicasOf(o),
    template: o?.spec?.template,
    conditions: givenConditions(st),
  });
}

/**
 * `kubectl describe rc`. SetDefaults_ReplicationController (kubernetes/kubernetes
 * pkg/apis/core/v1/defaults.go): a template with labels gives them to an empty selector and
 * to a controller without labels.
 */
export function describeReplicationController(state: ClusterState, o: KubeObject, _opts: ViewOptions = {}): string {
  const { ns, name, st, pods } = facts(state, o);
  const tLabels: Labels | undefined = o.spec?.template?.metadata?.labels;
  const nonEmpty = (l: unknown): l is Labels => isObj(l) && Object.keys(l).length > 0;
  const selector = nonEmpty(o.spec?.selector) || !tLabels ? o.spec?.selector : tLabels;
  return replicaText(state, "ReplicationController", ns, name, {
    selector: formatLabels(selector),
    labels: nonEmpty(o.metadata.labels) || !tLabels ? o.metadata.labels : tLabels,
    annotations: o.metadata.annotations,
    owner: "",
    current: st ? num(st.replicas) : active(pods).length,
    desired: replicasOf(o),
    template: o.spec?.template,
    conditions: givenConditions(st),
  });
}

/**
 * `kubectl describe ds`: no Namespace line (describeDaemonSet prints none). A manifest's
 * counts are the daemon set controller's here: one pod per node that should run it, each up
 * to date; the template generation annotation the API server writes on create
 * (pkg/registry/apps/daemonset/strategy.go PrepareForCreate, TemplateGeneration 1).
 */
export function describeDaemonSet(state: ClusterState, o: KubeObject, _opts: ViewOptions = {}): string {
  const { ns, name, spec, st, pods } = facts(state, o);
  const running = pods.filter((p) => !p.terminating);
  const available = running.filter((p) => p.ready && p.phase === "Running").length;
  const count = (field: string, model: number) => (st ? num(st[field]) : model);
  let b = `Name:\t${name}\nSelector:\t${selectorString(spec.selector)}\n`;
  b += `Node-Selector:\t${formatLabels(spec.template?.spec?.nodeSelector)}\n`;
  b += labelsMultiline("Labels", o.metadata.labels);
  b += annotationsMultiline(
    "Annotations",
    st ? o.metadata.annotations : { "deprecated.daemonset.template.generation": "1", ...o.metadata.annotations },
  );
  b += `Desired Number of Nodes Scheduled: ${count("desiredNumberScheduled", running.length)}\n`;
  b += `Current Number of Nodes Scheduled: ${count("currentNumberScheduled", running.length)}\n`;
  b += `Number of Nodes Scheduled with Up-to-date Pods: ${count("updatedNumberScheduled", running.length)}\n`;
  b += `Number of Nodes Scheduled with Available Pods: ${count("numberAvailable", available)}\n`;
  b += `Number of Nodes Misscheduled: ${count("numberMisscheduled", 0)}\n`;
  b += podsStatusLine(pods);
  b += podTemplateText(spec.template);
  return finish(state, b, eventsFor(state, "daemonset", ns, name));
}

/**
 * SetDefaults_StatefulSet (kubernetes/kubernetes pkg/apis/apps/v1/defaults.go): no type is
 * RollingUpdate with partition 0; a RollingUpdate given with rollingUpdate gets partition 0
 * there; one given without it keeps none. (MaxUnavailable is defaulted only under the
 * MaxUnavailableStatefulSet feature gate, off by default.)
 */
function updateStrategyText(o: KubeObject, served: boolean): string {
  const given: Raw = isObj(o.spec?.updateStrategy) ? o.spec.updateStrategy : {};
  let type = given.type;
  let ru: Raw | undefined = isObj(given.rollingUpdate) ? given.rollingUpdate : undefined;
  if (!served && !type) {
    type = "RollingUpdate";
    ru ??= {};
  }
  if (!served && type === "RollingUpdate" && ru && ru.partition === undefined) ru = { ...ru, partition: 0 };
  let b = `Update Strategy:\t${str(type)}\n`;
  if (ru && typeof ru.partition === "number") {
    b += `  Partition:\t${ru.partition}\n`;
    if (ru.maxUnavailable !== undefined && ru.maxUnavailable !== null)
      b += `  MaxUnavailable:\t${str(ru.maxUnavailable)}\n`;
  }
  return b;
}

/** describeVolumeClaimTemplates: each claim's class, labels, annotations (as key=value), capacity, access modes. */
function volumeClaimsText(templates: unknown): string {
  const pvcs = Array.isArray(templates) ? templates.filter(isObj) : [];
  if (pvcs.length === 0) return `Volume Claims:\t<none>\n`;
  let b = `Volume Claims:\n`;
  for (const pvc of pvcs) {
    const meta: Raw = isObj(pvc.metadata) ? pvc.metadata : {};
    const spec: Raw = isObj(pvc.spec) ? pvc.spec : {};
    // storageutil.GetPersistentVolumeClaimClass: the field, else the beta annotation.
    const cls = spec.storageClassName ?? meta.annotations?.["volume.beta.kubernetes.io/storage-class"];
    b += `  Name:\t${str(meta.name)}\n  StorageClass:\t${str(cls)}\n`;
    b += labelsMultiline("  Labels", meta.labels);
    b += labelsMultiline("  Annotations", meta.annotations);
    const storage = parseQuantity(spec.resources?.requests?.storage);
    b += `  Capacity:\t${storage ? formatQuantity(storage) : "<default>"}\n`;
    b += `  Access Modes:\t[${(Array.isArray(spec.accessModes) ? spec.accessModes : []).map(str).join(" ")}]\n`;
  }
  return b;
}

/** `kubectl describe sts`: desired and total replicas (every pod made, terminating too: StatefulSetStatus.Replicas). */
export function describeStatefulSet(state: ClusterState, o: KubeObject, opts: ViewOptions = {}): string {
  const { ns, name, spec, st, pods } = facts(state, o);
  const created = o.metadata.creationTimestamp;
  // A dump's time as given (Go's zero time when it has none); a manifest's is the model's.
  const when = typeof created === "string" || st ? goTime(created) : rfc1123z(opts, earliest(pods));
  let b = `Name:\t${name}\nNamespace:\t${ns}\nCreationTimestamp:\t${when}\n`;
  b += `Selector:\t${selectorString(spec.selector)}\n`;
  b += labelsMultiline("Labels", o.metadata.labels);
  b += annotationsMultiline("Annotations", o.metadata.annotations);
  b += `Replicas:\t${replicasOf(o)} desired | ${st ? num(st.replicas) : pods.length} total\n`;
  b += updateStrategyText(o, st !== undefined);
  b += podsStatusLine(pods);
  b += podTemplateText(spec.template);
  b += volumeClaimsText(spec.volumeClaimTemplates);
  return finish(state, b, eventsFor(state, "statefulset", ns, name));
}
