// `kubectl describe networkpolicy|ingress|deployment` layouts (kubernetes/kubectl
// pkg/describe/describe.go: describeNetworkPolicy, describeIngressV1, describeDeployment
// with DescribePodTemplate), over the objects as given and the model's pods and slices.

import type { ClusterState } from "../control/state.js";
import type {
  KubeObject,
  Labels,
  LabelSelector,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  NetworkPolicySpec,
} from "../manifest/types.js";
import { formatLabelSelector } from "../manifest/selector.js";
import { isObj } from "../manifest/diag.js";
import { earliest, rfc1123z, rfc1123zAt, timestamp, type ViewOptions } from "./common.js";
import { jobLabels, jobUid } from "../control/controllers.js";
import { humanDuration } from "./duration.js";
import { workloadPods } from "./get-workloads.js";
import {
  annotationsMultiline,
  containersText,
  eventsFor,
  finish,
  L1,
  labelsMultiline,
  serviceEndpoints,
  tolerationsMultiline,
  topologySpreadText,
  volumesText,
  type Raw,
} from "./describe.js";
import { givenMetadata } from "./objects.js";
import { admittedClass, publishedAddresses } from "./ingress.js";

type Netpol = ClusterState["networkPolicies"][number];

/** metav1.Time's String() (Go's time.Time format): "2026-01-01 00:00:00 +0000 UTC", of
 *  the creationTimestamp the object was given with, else of the model's start. */
function goTime(opts: ViewOptions, given: unknown): string {
  const at =
    typeof given === "string" && !Number.isNaN(Date.parse(given))
      ? new Date(Date.parse(given)).toISOString().replace(/\.\d{3}Z$/, "Z")
      : timestamp(opts, 0);
  return at.replace("T", " ").replace("Z", " +0000 UTC");
}

/** The API server defaults policyTypes: Ingress always, Egress when egress rules exist. */
function policyTypes(spec: NetworkPolicySpec): string[] {
  const given = (spec as { policyTypes?: string[] }).policyTypes;
  if (given?.length) return given;
  return (spec.egress ?? []).length ? ["Ingress", "Egress"] : ["Ingress"];
}

function emptySelector(s: LabelSelector | undefined): boolean {
  return !s || (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0);
}

/** printNetworkPolicySpecIngressFrom / EgressTo: ports, peers, rules split by "----------". */
function rulesText(
  rules: { ports?: NetworkPolicyPort[]; peers?: NetworkPolicyPeer[] }[],
  dir: "ingress" | "egress",
): string {
  const ind = "    ";
  if (rules.length === 0) return `${ind}<none> (Selected pods are isolated for ${dir} connectivity)\n`;
  const word = dir === "ingress" ? "From" : "To";
  let b = "";
  rules.forEach((r, i) => {
    if (!r.ports?.length) b += `${ind}To Port: <any> (traffic allowed to all ports)\n`;
    else
      for (const p of r.ports)
        b +=
          p.endPort === undefined
            ? `${ind}To Port: ${p.port ?? "<nil>"}/${p.protocol ?? "TCP"}\n`
            : `${ind}To Port Range: ${p.port ?? "<nil>"}-${p.endPort}/${p.protocol ?? "TCP"}\n`;
    if (!r.peers?.length)
      b += `${ind}${word}: <any> (traffic not restricted by ${dir === "ingress" ? "source" : "destination"})\n`;
    else
      for (const peer of r.peers) {
        b += `${ind}${word}:\n`;
        if (peer.podSelector && peer.namespaceSelector) {
          b += `${L1}${ind}NamespaceSelector: ${formatLabelSelector(peer.namespaceSelector)}\n`;
          b += `${L1}${ind}PodSelector: ${formatLabelSelector(peer.podSelector)}\n`;
        } else if (peer.podSelector) b += `${L1}${ind}PodSelector: ${formatLabelSelector(peer.podSelector)}\n`;
        else if (peer.namespaceSelector)
          b += `${L1}${ind}NamespaceSelector: ${formatLabelSelector(peer.namespaceSelector)}\n`;
        else if (peer.ipBlock) {
          b += `${L1}${ind}IPBlock:\n`;
          b += `${L1}${L1}${ind}CIDR: ${peer.ipBlock.cidr}\n`;
          b += `${L1}${L1}${ind}Except: ${(peer.ipBlock.except ?? []).join(", ")}\n`;
        }
      }
    if (i !== rules.length - 1) b += `${ind}----------\n`;
  });
  return b;
}

export function describeNetworkPolicy(state: ClusterState, n: Netpol, opts: ViewOptions = {}): string {
  const meta = givenMetadata(state, "NetworkPolicy", n.namespace, n.name);
  const spec = n.spec;
  let b = `Name:\t${n.name}\nNamespace:\t${n.namespace}\nCreated on:\t${goTime(opts, meta?.creationTimestamp)}\n`;
  b += labelsMultiline("Labels", meta?.labels);
  b += annotationsMultiline("Annotations", meta?.annotations);
  b += `Spec:\n`;
  b += emptySelector(spec.podSelector)
    ? `${L1}PodSelector:     <none> (Allowing the specific traffic to all pods in this namespace)\n`
    : `${L1}PodSelector:     ${formatLabelSelector(spec.podSelector)}\n`;
  const types = policyTypes(spec);
  b += types.includes("Ingress")
    ? `${L1}Allowing ingress traffic:\n${rulesText(
        (spec.ingress ?? []).map((r) => ({ ports: r?.ports, peers: r?.from })),
        "ingress",
      )}`
    : `${L1}Not affecting ingress traffic\n`;
  b += types.includes("Egress")
    ? `${L1}Allowing egress traffic:\n${rulesText(
        (spec.egress ?? []).map((r) => ({ ports: r?.ports, peers: r?.to })),
        "egress",
      )}`
    : `${L1}Not affecting egress traffic\n`;
  b += `${L1}Policy Types: ${types.join(", ")}\n`;
  // describeNetworkPolicy prints no events.
  return finish(state, b, [], false);
}

// ---- ingress ------------------------------------------------------------------

type Backend = { service?: { name: string; port?: { number?: number; name?: string } }; resource?: Raw };

/** describeBackendV1: "svc:port (endpoints)" with the Service port's ready endpoints. */
function backendText(state: ClusterState, ns: string, be: Backend | undefined): string {
  if (be?.service) {
    const port = be.service.port?.name || String(be.service.port?.number ?? 0);
    const sb = `${be.service.name}:${port}`;
    const svc = state.services.find((s) => s.namespace === ns && s.name === be.service!.name);
    if (!svc) return `${sb} (<error: services "${be.service.name}" not found>)`;
    let spName = "";
    for (const sp of svc.ports) {
      if (be.service.port?.number && be.service.port.number === sp.port) spName = sp.name ?? "";
      else if (be.service.port?.name && be.service.port.name === sp.name) spName = sp.name ?? "";
    }
    return `${sb} (${serviceEndpoints(state, svc, spName || undefined)})`;
  }
  if (be?.resource)
    return `APIGroup: ${be.resource.apiGroup ?? ""}, Kind: ${be.resource.kind}, Name: ${be.resource.name}`;
  return "";
}

export function describeIngress(state: ClusterState, o: KubeObject, _opts: ViewOptions = {}): string {
  const ns = o.metadata.namespace ?? "default";
  const spec: Raw = o.spec ?? {};
  let b = `Name:\t${o.metadata.name}\n`;
  b += labelsMultiline("Labels", o.metadata.labels);
  b += `Namespace:\t${ns}\n`;
  b += `Address:\t${publishedAddresses(state, o).join(",")}\n`;
  b += `Ingress Class:\t${admittedClass(state, o) ?? "<none>"}\n`;
  const def = spec.defaultBackend ? backendText(state, ns, spec.defaultBackend) : "<default>";
  b += `Default backend:\t${def}\n`;
  if (spec.tls?.length) {
    b += `TLS:\n`;
    for (const t of spec.tls as Raw[])
      b += t.secretName
        ? `${L1}${t.secretName} terminates ${(t.hosts ?? []).join(",")}\n`
        : `${L1}SNI routes ${(t.hosts ?? []).join(",")}\n`;
  }
  b += `Rules:\n${L1}Host\tPath\tBackends\n${L1}----\t----\t--------\n`;
  let count = 0;
  for (const r of (spec.rules ?? []) as Raw[]) {
    if (!r.http) continue;
    count++;
    b += `${L1}${r.host || "*"}\t\n`;
    for (const p of (r.http.paths ?? []) as Raw[])
      b += `${L1}${L1}\t${p.path ?? ""} \t${backendText(state, ns, p.backend)}\n`;
  }
  if (count === 0) b += `${L1}*\t*\t${def}\n`;
  b += annotationsMultiline("Annotations", o.metadata.annotations);
  return finish(state, b, eventsFor(state, "ingress", ns, o.metadata.name));
}

// ---- deployment -------------------------------------------------------------

/** intstr percentages as the deployment controller scales them (util.ResolveFenceposts:
 *  surge rounds up, unavailable rounds down). */
export function scaled(v: unknown, total: number, up: boolean): number {
  if (typeof v === "number") return v;
  const m = /^(\d+)%$/.exec(String(v ?? ""));
  if (!m) return 0;
  const x = (Number(m[1]) * total) / 100;
  return up ? Math.ceil(x) : Math.floor(x);
}

/** DescribePodTemplate: the template's labels, containers, volumes, selectors. */
export function podTemplateText(t: Raw | undefined): string {
  let b = `Pod Template:\n`;
  if (!t) return `${b}${L1}<unset>`;
  const meta: Raw = t.metadata ?? {};
  const spec: Raw = t.spec ?? {};
  b += labelsMultiline("  Labels", meta.labels);
  if (Object.keys(meta.annotations ?? {}).length) b += annotationsMultiline("  Annotations", meta.annotations);
  if (spec.serviceAccountName) b += `${L1}Service Account:\t${spec.serviceAccountName}\n`;
  if (spec.initContainers?.length)
    b += containersText("Init Containers", undefined, spec.initContainers, undefined, "  ");
  b += containersText("Containers", undefined, spec.containers ?? [], undefined, "  ");
  b += volumesText(spec.volumes, "  ");
  b += topologySpreadText(spec.topologySpreadConstraints, "  ");
  if (spec.priorityClassName) b += `${L1}Priority Class Name:\t${spec.priorityClassName}\n`;
  b += labelsMultiline("  Node-Selectors", spec.nodeSelector);
  b += tolerationsMultiline("  Tolerations", spec.tolerations ?? []);
  return b;
}

/** The Conditions table of describeDeployment, describeReplicaSet and
 *  describeReplicationController: type, status, reason; nothing without rows. */
export function reasonConditions(rows: readonly (readonly [unknown, unknown, unknown])[]): string {
  if (rows.length === 0) return "";
  let b = `Conditions:\n${L1}Type\tStatus\tReason\n${L1}----\t------\t------\n`;
  for (const [type, status, reason] of rows) b += `${L1}${type} \t${status}\t${reason}\n`;
  return b;
}

export function describeDeployment(state: ClusterState, d: KubeObject, opts: ViewOptions = {}): string {
  const ns = d.metadata.namespace ?? "default";
  const spec: Raw = d.spec ?? {};
  const desired = typeof spec.replicas === "number" ? spec.replicas : 1;
  const pods = state.pods.filter(
    (p) =>
      p.namespace === ns && p.workload.kind === "Deployment" && p.workload.name === d.metadata.name && !p.terminating,
  );
  const total = pods.length;
  const available = pods.filter((p) => p.ready && p.phase === "Running").length;
  const rss = (state.replicaSets ?? []).filter((r) => r.namespace === ns && r.deployment === d.metadata.name);
  const created = earliest(pods);
  // A Deployment read from a cluster: its own creation time and status counts
  // (describe.go describeDeployment prints d.Status's, not its pods').
  const st = isObj(d.status) && Object.keys(d.status).length > 0 ? (d.status as Raw) : undefined;
  const count = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  const given = d.metadata.creationTimestamp;
  const when =
    typeof given === "string" && !Number.isNaN(Date.parse(given)) ? rfc1123zAt(Date.parse(given)) : undefined;
  let b = `Name:\t${d.metadata.name}\nNamespace:\t${ns}\nCreationTimestamp:\t${when ?? rfc1123z(opts, created)}\n`;
  b += labelsMultiline("Labels", d.metadata.labels);
  // The deployment controller records the revision on the Deployment.
  b += annotationsMultiline("Annotations", {
    "deployment.kubernetes.io/revision": "1",
    ...(d.metadata.annotations ?? {}),
  });
  b += `Selector:\t${formatLabelSelector(spec.selector)}\n`;
  b += st
    ? `Replicas:\t${desired} desired | ${count(st.updatedReplicas)} updated | ${count(st.replicas)} total | ${count(st.availableReplicas)} available | ${count(st.unavailableReplicas)} unavailable\n`
    : `Replicas:\t${desired} desired | ${total} updated | ${total} total | ${available} available | ${total - available} unavailable\n`;
  const strategy: Raw = spec.strategy ?? {};
  const type = strategy.type ?? "RollingUpdate";
  b += `StrategyType:\t${type}\n`;
  b += `MinReadySeconds:\t${spec.minReadySeconds ?? 0}\n`;
  const ru: Raw = strategy.rollingUpdate ?? {};
  const maxUnavailable = ru.maxUnavailable ?? "25%";
  if (type === "RollingUpdate")
    b += `RollingUpdateStrategy:\t${maxUnavailable} max unavailable, ${ru.maxSurge ?? "25%"} max surge\n`;
  b += podTemplateText(spec.template);
  // deployment controller (pkg/controller/deployment/sync.go): Available once at least
  // replicas - maxUnavailable are available; Progressing when the new ReplicaSet is.
  const minAvailable = desired - scaled(maxUnavailable, desired, false);
  const isAvailable = available >= minAvailable;
  const done = available === desired && total === desired;
  b += reasonConditions([
    [
      "Available",
      isAvailable ? "True" : "False",
      isAvailable ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
    ],
    ["Progressing", "True", done ? "NewReplicaSetAvailable" : "ReplicaSetUpdated"],
  ]);
  b += `OldReplicaSets:\t<none>\n`;
  const newRs = rss[rss.length - 1];
  b += `NewReplicaSet:\t${newRs ? `${newRs.name} (${total}/${newRs.replicas} replicas created)` : "<none>"}\n`;
  return finish(state, b, eventsFor(state, "deployment", ns, d.metadata.name));
}

/** printController: "Kind/name" of the controller ownerReference, "" without one. */
export function controlledBy(o: KubeObject): string {
  const refs: unknown = o.metadata.ownerReferences;
  const ref = Array.isArray(refs) ? refs.find((r) => isRecord(r) && r.controller === true) : undefined;
  return ref ? `${ref.kind}/${ref.name}` : "";
}

/** capIndexesListOrNone: "<none>", or the list cut at the first comma past `soft` characters, "..." after it. */
function capIndexes(indexes: unknown, soft = 50): string {
  if (typeof indexes !== "string" || indexes === "") return "<none>";
  const at = indexes.indexOf(",", soft);
  return at < 0 ? indexes : `${indexes.slice(0, at + 1)}...`;
}

const ms = (v: unknown) => (typeof v === "string" ? Date.parse(v) : Number.NaN);

/**
 * `kubectl describe job`: describeJob (kubernetes/kubernetes
 * staging/src/k8s.io/kubectl/pkg/describe/describe.go). A Job read from a live cluster shows
 * its spec and status as given; one from manifests as the API server defaults it
 * (pkg/apis/batch/v1/defaults.go: NonIndexed, not suspended, backoffLimit 6 or MaxInt32
 * with backoffLimitPerIndex, the template's labels when it has none; the selector and the
 * template's labels by the Job's uid, registry/batch/job/strategy.go generateSelector) and
 * the job controller runs it: its pods run here, none has finished. A selector given
 * (manualSelector: true, or a dump's) is kept as it is.
 */
export function describeJob(state: ClusterState, o: KubeObject, opts: ViewOptions = {}): string {
  const ns = o.metadata.namespace ?? "default";
  const name = o.metadata.name;
  const spec: Raw = o.spec ?? {};
  const st: Raw = isRecord(o.status) ? o.status : {};
  // A status with something in it is the cluster's (as `get jobs` reads it).
  const served = Object.keys(st).length > 0;
  const { selector, labels, template } = jobSelection(state, o);
  let b = `Name:\t${name}\nNamespace:\t${ns}\nSelector:\t${selector}\n`;
  b += labelsMultiline("Labels", labels);
  b += annotationsMultiline("Annotations", o.metadata.annotations);
  const owner = controlledBy(o);
  if (owner) b += `Controlled By:\t${owner}\n`;
  // Both counts are defaulted when read (parse.ts), as SetDefaults_Job does. A field of
  // another type than the API's (a hand-edited dump) is left out, as unset.
  if (isNum(spec.parallelism)) b += `Parallelism:\t${spec.parallelism}\n`;
  b += `Completions:\t${isNum(spec.completions) ? spec.completions : "<unset>"}\n`;
  const mode = served ? spec.completionMode : (spec.completionMode ?? "NonIndexed");
  if (typeof mode === "string") b += `Completion Mode:\t${mode}\n`;
  const suspend = served ? spec.suspend : (spec.suspend ?? false);
  if (typeof suspend === "boolean") b += `Suspend:\t${suspend}\n`;
  // With a limit per index the Job's own is MaxInt32.
  const perIndex = spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null;
  const backoff = served ? spec.backoffLimit : (spec.backoffLimit ?? (perIndex ? 2147483647 : 6));
  if (isNum(backoff)) b += `Backoff Limit:\t${backoff}\n`;
  if (isNum(spec.ttlSecondsAfterFinished)) b += `TTL Seconds After Finished:\t${spec.ttlSecondsAfterFinished}\n`;
  b += jobProgress(state, o, served, suspend === true, opts);
  if (mode === "Indexed") b += `Completed Indexes:\t${capIndexes(st.completedIndexes)}\n`;
  b += podTemplateText(template);
  return finish(state, b, eventsFor(state, "job", ns, name));
}

/**
 * A Job's selector, labels and pod template as the API server holds them. SetDefaults_Job: a
 * Job without labels takes its template's (when created, before the selector is made; a
 * template without any gets the made ones when the Job is read back).
 */
function jobSelection(state: ClusterState, o: KubeObject): { selector: string; labels?: Labels; template?: Raw } {
  const spec: Raw = o.spec ?? {};
  const nonEmpty = (l: unknown): l is Labels => isRecord(l) && Object.keys(l).length > 0;
  const tGiven: unknown = spec.template?.metadata?.labels;
  const labels = nonEmpty(o.metadata.labels) ? o.metadata.labels : nonEmpty(tGiven) ? tGiven : undefined;
  if (isRecord(spec.selector))
    return { selector: formatLabelSelector(spec.selector as LabelSelector), labels, template: spec.template };
  const made = jobLabels(jobUid(state.seed, o), o.metadata.name);
  const tLabels = { ...(isRecord(tGiven) ? tGiven : {}), ...made };
  const t: Raw = spec.template ?? {};
  return {
    selector: `batch.kubernetes.io/controller-uid=${made["batch.kubernetes.io/controller-uid"]}`,
    labels: labels ?? tLabels,
    template: { ...t, metadata: { ...(t.metadata ?? {}), labels: tLabels } },
  };
}

/** Start and completion, the deadline and Pods Statuses: a dump's status, or podnet's pods for the Job. */
function jobProgress(
  state: ClusterState,
  o: KubeObject,
  served: boolean,
  suspended: boolean,
  opts: ViewOptions,
): string {
  const st: Raw = served ? (o.status as Raw) : {};
  let b = "";
  let active: number;
  let ready: number | undefined;
  const count = (v: unknown) => (isNum(v) ? v : 0);
  if (served) {
    const start = ms(st.startTime);
    const done = ms(st.completionTime);
    if (!Number.isNaN(start)) b += `Start Time:\t${rfc1123zAt(start)}\n`;
    if (!Number.isNaN(done)) b += `Completed At:\t${rfc1123zAt(done)}\n`;
    if (!Number.isNaN(start) && !Number.isNaN(done)) b += `Duration:\t${humanDuration((done - start) / 1000)}\n`;
    active = count(st.active);
    ready = isNum(st.ready) ? st.ready : undefined;
  } else {
    const pods = workloadPods(state, "Job", o.metadata.namespace ?? "default", o.metadata.name);
    // The controller sets the start time when it first runs the Job (not while suspended).
    if (!suspended && pods.length > 0) b += `Start Time:\t${rfc1123z(opts, earliest(pods))}\n`;
    active = pods.length;
    ready = pods.filter((p) => p.ready).length;
  }
  const deadline = o.spec?.activeDeadlineSeconds;
  if (isNum(deadline)) b += `Active Deadline Seconds:\t${deadline}s\n`;
  const rest = `${count(st.succeeded)} Succeeded / ${count(st.failed)} Failed`;
  return `${b}Pods Statuses:\t${active} Active${ready === undefined ? "" : ` (${ready} Ready)`} / ${rest}\n`;
}

const isRecord = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * `kubectl describe cronjob`: describeCronJob and describeJobTemplate (kubernetes/kubernetes
 * staging/src/k8s.io/kubectl/pkg/describe/describe.go). A CronJob read from a live cluster
 * shows its spec and status as given; one from manifests as the API server defaults it
 * (pkg/apis/batch/v1/defaults.go SetDefaults_CronJob: Allow, not suspended, history limits 3
 * and 1) and before its first run: no schedule time yet, no active Job.
 */
export function describeCronJob(state: ClusterState, o: KubeObject, _opts: ViewOptions = {}): string {
  const ns = o.metadata.namespace ?? "default";
  const name = o.metadata.name;
  const spec: Raw = isRecord(o.spec) ? o.spec : {};
  const st: Raw = isRecord(o.status) ? o.status : {};
  const served = typeof o.metadata.uid === "string";
  const given = (k: string, dflt: unknown) => (served ? spec[k] : (spec[k] ?? dflt));
  const unset = (v: unknown, unit = "") => (isNum(v) ? `${v}${unit}` : "<unset>");
  let b = `Name:\t${name}\nNamespace:\t${ns}\n`;
  b += labelsMultiline("Labels", o.metadata.labels);
  b += annotationsMultiline("Annotations", o.metadata.annotations);
  b += `Schedule:\t${typeof spec.schedule === "string" ? spec.schedule : ""}\n`;
  const policy = given("concurrencyPolicy", "Allow");
  b += `Concurrency Policy:\t${typeof policy === "string" ? policy : ""}\n`;
  const suspend = given("suspend", false);
  b += `Suspend:\t${typeof suspend === "boolean" ? (suspend ? "True" : "False") : "<unset>"}\n`;
  b += `Successful Job History Limit:\t${unset(given("successfulJobsHistoryLimit", 3))}\n`;
  b += `Failed Job History Limit:\t${unset(given("failedJobsHistoryLimit", 1))}\n`;
  b += `Starting Deadline Seconds:\t${unset(spec.startingDeadlineSeconds, "s")}\n`;
  const job: Raw = isRecord(spec.jobTemplate) && isRecord(spec.jobTemplate.spec) ? spec.jobTemplate.spec : {};
  b += `Selector:\t${isRecord(job.selector) ? formatLabelSelector(job.selector as LabelSelector) : "<unset>"}\n`;
  b += `Parallelism:\t${unset(job.parallelism)}\n`;
  b += `Completions:\t${unset(job.completions)}\n`;
  if (isNum(job.activeDeadlineSeconds)) b += `Active Deadline Seconds:\t${job.activeDeadlineSeconds}s\n`;
  b += podTemplateText(isRecord(job.template) ? job.template : undefined);
  const last = ms(st.lastScheduleTime);
  b += `Last Schedule Time:\t${Number.isNaN(last) ? "<unset>" : rfc1123zAt(last)}\n`;
  const active = Array.isArray(st.active) ? st.active.map((j: Raw) => (isRecord(j) ? j.name : undefined)) : [];
  b += `Active Jobs:\t${active.length ? active.join(", ") : "<none>"}\n`;
  return finish(state, b, eventsFor(state, "cronjob", ns, name));
}
