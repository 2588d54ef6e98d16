// `kubectl describe pod|service|node` layouts (k8s.io/kubectl/pkg/describe): lines
// written with '\t' cells through the describe tabwriter (minwidth 0, padding 2), the
// same LEVEL_n indents (two spaces per level), and the Events table.

import type { ClusterState, KEvent, NodeState, PodState, ServiceState } from "../control/state.js";
import { isObj, type Mapping } from "../manifest/diag.js";
import { formatLabelSelector } from "../manifest/selector.js";
import type { Labels, Toleration } from "../manifest/types.js";
import {
  age,
  byKey,
  byNsName,
  formatLabels,
  nodeInfo,
  parseEventObject,
  rfc1123z,
  type NodeInfo,
  type ViewOptions,
} from "./common.js";
import { humanDuration } from "./duration.js";
import { nodeRoles } from "./get.js";
import {
  givenMetadata,
  loadBalancerIngress,
  podObject,
  type LoadBalancerIngress,
  withDefaultTolerations,
} from "./objects.js";
import { podAge } from "./observed.js";
import { conditionsText, givenNode, givenResources, goTime, leaseText, nodeSpec, nodeStatus } from "./describe-node.js";
import {
  formatQuantity,
  nodeResources,
  parseQuantity,
  podRequestsAndLimits,
  qosOf,
  type ResourceList,
} from "./resources.js";
import { describeTabs } from "./tabwriter.js";

export const L1 = "  ";
export const L2 = "    ";
export const L3 = "      ";

/** printLabelsMultiline: "Title:\tk=v", continuation lines "\tk2=v2", "<none>" when empty. */
export function labelsMultiline(title: string, labels: Labels | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return `${title}:\t<none>\n`;
  return keys.map((k, i) => `${i === 0 ? `${title}:` : ""}\t${k}=${labels![k]}\n`).join("");
}

// describe.go skipAnnotations and maxAnnotationLen.
const SKIP_ANNOTATIONS = new Set(["kubectl.kubernetes.io/last-applied-configuration"]);
const MAX_ANNOTATION_LEN = 140;

/** printAnnotationsMultiline: "Title:\tk: v", sorted; a long or multi-line value goes on
 *  its own lines, each shortened to 138 characters plus "...". */
export function annotationsMultiline(title: string, annotations: Record<string, string> | undefined): string {
  const keys = Object.keys(annotations ?? {})
    .filter((k) => !SKIP_ANNOTATIONS.has(k))
    .sort();
  if (keys.length === 0) return `${title}:\t<none>\n`;
  let b = `${title}:\t`;
  keys.forEach((k, i) => {
    if (i !== 0) b += "\t";
    // A value that is not a string is only a warning when reading (checkMeta): shown as text.
    const v = String(annotations![k] ?? "").replace(/\n$/, "");
    if (v.length + k.length + 2 > MAX_ANNOTATION_LEN || v.includes("\n")) {
      b += `${k}:\n`;
      for (const line of v.split("\n"))
        b += `\t  ${line.length > MAX_ANNOTATION_LEN - 2 ? `${line.slice(0, MAX_ANNOTATION_LEN - 2)}...` : line}\n`;
    } else b += `${k}: ${v}\n`;
  });
  return b;
}

export function eventsFor(state: ClusterState, kind: string, namespace: string, name: string): KEvent[] {
  return state.events
    .filter((e) => {
      const o = parseEventObject(e.object);
      return o.kind.toLowerCase() === kind && o.name === name && (kind === "node" || o.namespace === namespace);
    })
    .sort((a, b) => a.time - b.time);
}

/** DescribeEvents: "Events:\t<none>" or the Type/Reason/Age/From/Message table. The
 *  table is written after a Flush, so it is aligned on its own. */
export function describeEvents(state: ClusterState, events: KEvent[]): { main: string; table: string } {
  if (events.length === 0) return { main: "Events:\t<none>\n", table: "" };
  let t = `Events:\n${L1}Type\tReason\tAge\tFrom\tMessage\n${L1}----\t------\t----\t----\t-------\n`;
  for (const e of events)
    t += `${L1}${e.type}\t${e.reason}\t${humanDuration(state.clock - e.time)}\t${e.source ?? ""}\t${e.message.trim()}\n`;
  return { main: "", table: t };
}

export function finish(state: ClusterState, body: string, events: KEvent[], withEvents = true): string {
  if (!withEvents) return describeTabs(body);
  const ev = describeEvents(state, events);
  return describeTabs(body + ev.main) + (ev.table ? describeTabs(ev.table) : "");
}

type TimedToleration = Toleration & { tolerationSeconds?: number };

/** printTolerationsMultilineWithIndent: "Title:\t<toleration>", one per line, sorted by key
 *  (sort.Slice, which for lists this short keeps equal keys in their given order). */
export function tolerationsMultiline(title: string, tolerations: TimedToleration[]): string {
  if (tolerations.length === 0) return `${title}:\t<none>\n`;
  const sorted = [...tolerations].sort(byKey((t) => t.key ?? ""));
  return sorted.map((t, i) => `${i === 0 ? `${title}:` : ""}\t${formatToleration(t)}\n`).join("");
}

/** describeTopologySpreadConstraints: nothing without constraints, else one line each,
 *  sorted by topology key: "key:WhenUnsatisfiable when max skew N is exceeded[ for selector S]". */
export function topologySpreadText(constraints: unknown, space = ""): string {
  const tscs = (Array.isArray(constraints) ? constraints : []).filter((c): c is Raw => isObj(c));
  if (tscs.length === 0) return "";
  const key = (c: Raw) => String(c.topologyKey ?? "");
  const sorted = [...tscs].sort(byKey(key));
  return sorted
    .map((c, i) => {
      const head = i === 0 ? `${space}Topology Spread Constraints:\t` : `${space}\t`;
      const selector = isObj(c.labelSelector) ? ` for selector ${formatLabelSelector(c.labelSelector)}` : "";
      return `${head}${key(c)}:${c.whenUnsatisfiable ?? ""} when max skew ${c.maxSkew ?? 0} is exceeded${selector}\n`;
    })
    .join("");
}

export function formatToleration(t: TimedToleration): string {
  let s = t.key ?? "";
  if (t.value) s += `=${t.value}`;
  if (t.effect) s += `:${t.effect}`;
  if (t.operator === "Exists" && !t.value) s += t.key || t.effect ? " op=Exists" : "op=Exists";
  if (t.tolerationSeconds !== undefined) s += ` for ${t.tolerationSeconds}s`;
  return s;
}

/** describeContainerPorts: "8080/TCP", several joined by ", " (named ports add "(name)"). */
function containerPorts(
  ports: { containerPort: number; protocol?: string; name?: string; hostPort?: number }[] | undefined,
): {
  ports: string;
  hostPorts: string;
} {
  const ps = ports ?? [];
  return {
    ports: ps.map((p) => `${p.containerPort}/${p.protocol ?? "TCP"}${p.name ? ` (${p.name})` : ""}`).join(", "),
    hostPorts: ps.map((p) => `${p.hostPort ?? 0}/${p.protocol ?? "TCP"}`).join(", "),
  };
}

// Loose shapes of the pod object's parts describe reads (core/v1, as given or observed).
export type Raw = Mapping;

/** An RFC 3339 time as describe prints it (RFC1123Z); "" when absent. */
function rfcTime(t: unknown): string {
  if (typeof t !== "string" || Number.isNaN(Date.parse(t))) return "";
  return rfc1123z({ startTime: Date.parse(t) }, 0);
}

/** describe.go DescribeProbe, over a probe with the API server's defaults (timeout 1s,
 *  period 10s, success 1, failure 3, httpGet path "/" and scheme HTTP). */
export function describeProbe(probe: Raw): string {
  const n = (v: unknown, d: number) => (typeof v === "number" ? v : d);
  const attrs =
    `delay=${n(probe.initialDelaySeconds, 0)}s timeout=${n(probe.timeoutSeconds, 1)}s ` +
    `period=${n(probe.periodSeconds, 10)}s #success=${n(probe.successThreshold, 1)} #failure=${n(probe.failureThreshold, 3)}`;
  if (probe.exec) return `exec [${(probe.exec.command ?? []).join(" ")}] ${attrs}`;
  if (probe.httpGet) {
    const h = probe.httpGet;
    const host = h.host ?? "";
    const port = h.port !== undefined ? String(h.port) : "";
    // url.URL.String(): scheme://host:port/path (net.JoinHostPort brackets IPv6 hosts).
    const hp = port ? `${host.includes(":") ? `[${host}]` : host}:${port}` : host;
    let path = h.path ?? "/";
    if (path && !path.startsWith("/")) path = `/${path}`;
    return `http-get ${String(h.scheme ?? "HTTP").toLowerCase()}://${hp}${path} ${attrs}`;
  }
  if (probe.tcpSocket) return `tcp-socket ${probe.tcpSocket.host ?? ""}:${probe.tcpSocket.port ?? ""} ${attrs}`;
  if (probe.grpc) return `grpc <pod>:${probe.grpc.port} ${probe.grpc.service ?? ""} ${attrs}`;
  return `unknown ${attrs}`;
}

/** describeStatus: one container state (Running/Waiting/Terminated) and its times. */
function containerState(title: string, st: Raw | undefined): string {
  if (st?.running) return `${L2}${title}:\tRunning\n${L3}Started:\t${rfcTime(st.running.startedAt)}\n`;
  if (st?.waiting) {
    let b = `${L2}${title}:\tWaiting\n`;
    if (st.waiting.reason) b += `${L3}Reason:\t${st.waiting.reason}\n`;
    if (st.waiting.message) b += `${L3}Message:\t${st.waiting.message}\n`;
    return b;
  }
  if (st?.terminated) {
    const t = st.terminated;
    let b = `${L2}${title}:\tTerminated\n`;
    if (t.reason) b += `${L3}Reason:\t${t.reason}\n`;
    if (t.message) b += `${L3}Message:\t${String(t.message).trim()}\n`;
    b += `${L3}Exit Code:\t${t.exitCode ?? 0}\n`;
    if (t.signal) b += `${L3}Signal:\t${t.signal}\n`;
    b += `${L3}Started:\t${rfcTime(t.startedAt)}\n`;
    b += `${L3}Finished:\t${rfcTime(t.finishedAt)}\n`;
    return b;
  }
  return `${L2}${title}:\tWaiting\n`;
}

/** describeResources: "Limits:"/"Requests:" with one sorted line per resource. */
function resourcesText(r: Raw | undefined): string {
  let b = "";
  for (const [title, list] of [
    ["Limits", r?.limits],
    ["Requests", r?.requests],
  ] as const) {
    const keys = Object.keys(list ?? {}).sort();
    if (keys.length === 0) continue;
    b += `${L2}${title}:\n`;
    for (const k of keys) {
      const q = parseQuantity(list[k]);
      b += `${L3}${k}:\t${q ? formatQuantity(q) : String(list[k])}\n`;
    }
  }
  return b;
}

/** describe.go EnvValueRetriever: the field path goes through kubectl's scheme's
 *  ConvertFieldLabel first, and with no Pod conversion registered there it is
 *  runtime.DefaultMetaV1FieldSelectorConversion, which knows metadata.name and
 *  metadata.namespace only; any other path (uid, labels, status.podIP, spec.nodeName)
 *  prints an empty value. */
function fieldValue(pod: Raw | undefined, path: string): string {
  const m = pod?.metadata ?? {};
  if (path === "metadata.name") return m.name ?? "";
  if (path === "metadata.namespace") return m.namespace ?? "";
  return "";
}

/** resourcehelper.ExtractContainerResourceValue: the container's limit or request in
 *  units of the divisor, rounded up ("0" when it has none). */
function resourceFieldValue(ref: Raw, c: Raw): string {
  const [kind, name] = String(ref.resource ?? "").split(".");
  const q = parseQuantity(defaultedResourcesOf(c)?.[kind]?.[name]);
  if (!q) return "0";
  const d = parseQuantity(ref.divisor ?? "1")?.value || 1;
  return String(Math.ceil(q.value / d - 1e-9));
}

function defaultedResourcesOf(c: Raw): Raw | undefined {
  const r = c.resources;
  if (!r?.limits) return r;
  return { ...r, requests: { ...r.limits, ...(r.requests ?? {}) } };
}

/** describeContainerEnvFrom and describeContainerEnvVars. */
function envText(pod: Raw | undefined, c: Raw): string {
  let b = "";
  const from: Raw[] = c.envFrom ?? [];
  if (from.length) {
    b += `${L2}Environment Variables from:\n`;
    for (const e of from) {
      const ref = e.configMapRef ?? e.secretRef ?? {};
      const kind = e.configMapRef ? "ConfigMap" : e.secretRef ? "Secret" : "";
      const opt = ref.optional === true;
      b += e.prefix
        ? `${L3}${ref.name ?? ""}\t${kind} with prefix '${e.prefix}'\tOptional: ${opt}\n`
        : `${L3}${ref.name ?? ""}\t${kind}\tOptional: ${opt}\n`;
    }
  }
  const env: Raw[] = c.env ?? [];
  b += `${L2}Environment:${env.length ? "" : "\t<none>"}\n`;
  for (const e of env) {
    const vf = e.valueFrom;
    if (!vf) {
      String(e.value ?? "")
        .split("\n")
        .forEach((line, i) => {
          b += i === 0 ? `${L3}${e.name}:\t${line}\n` : `${L3}\t${line}\n`;
        });
    } else if (vf.fieldRef) {
      const path = vf.fieldRef.fieldPath ?? "";
      b += `${L3}${e.name}:\t${fieldValue(pod, path)} (${vf.fieldRef.apiVersion ?? "v1"}:${path})\n`;
    } else if (vf.resourceFieldRef) {
      const res = vf.resourceFieldRef.resource ?? "";
      let v = resourceFieldValue(vf.resourceFieldRef, c);
      if (v === "0" && (res === "limits.cpu" || res === "limits.memory")) v = "node allocatable";
      b += `${L3}${e.name}:\t${v} (${res})\n`;
    } else if (vf.secretKeyRef) {
      const r = vf.secretKeyRef;
      b += `${L3}${e.name}:\t<set to the key '${r.key}' in secret '${r.name}'>\tOptional: ${r.optional === true}\n`;
    } else if (vf.configMapKeyRef) {
      const r = vf.configMapKeyRef;
      b += `${L3}${e.name}:\t<set to the key '${r.key}' of config map '${r.name}'>\tOptional: ${r.optional === true}\n`;
    }
  }
  return b;
}

/** describeContainerVolumes: "path from volume (ro|rw[,path=\"sub\"])", by mount path. */
function mountsText(c: Raw): string {
  // Never validated (a dump's pods are read without them): the entries that are mappings.
  const given: Raw[] = Array.isArray(c.volumeMounts)
    ? c.volumeMounts.filter((m: unknown) => m && typeof m === "object")
    : [];
  const ms: Raw[] = given.sort(byKey((m) => m.mountPath));
  if (ms.length === 0) return `${L2}Mounts:\t<none>\n`;
  let b = `${L2}Mounts:\n`;
  for (const m of ms) {
    const flags = [m.readOnly ? "ro" : "rw"];
    if (m.subPath) flags.push(`path=${JSON.stringify(m.subPath)}`);
    b += `${L3}${m.mountPath} from ${m.name} (${flags.join(",")})\n`;
  }
  return b;
}

/** describeContainers: "Init Containers:"/"Containers:", each with its status' ID,
 *  image, ports, command, state, resources, probes, environment and mounts. */
export function containersText(
  label: string,
  pod: Raw | undefined,
  containers: Raw[],
  statuses: Raw[] | undefined,
  space = "",
): string {
  // A pod template's (space "  ") names get one more space (describeContainerBasicInfo).
  const nameIndent = space ? " " : "";
  let b = `${space}${label}:${containers.length ? "" : " <none>"}\n`;
  const byName = new Map((statuses ?? []).map((s) => [s.name, s]));
  for (const c of containers) {
    const st = byName.get(c.name);
    b += `${L1}${nameIndent}${c.name ?? "<unnamed>"}:\n`;
    if (st) b += `${L2}Container ID:\t${st.containerID ?? ""}\n`;
    b += `${L2}Image:\t${c.image ?? ""}\n`;
    if (st) b += `${L2}Image ID:\t${st.imageID ?? ""}\n`;
    const cp = containerPorts(c.ports);
    b += cp.ports.includes(",") ? `${L2}Ports:\t${cp.ports}\n` : `${L2}Port:\t${cp.ports || "<none>"}\n`;
    b += cp.hostPorts.includes(",")
      ? `${L2}Host Ports:\t${cp.hostPorts}\n`
      : `${L2}Host Port:\t${cp.hostPorts || "<none>"}\n`;
    if (c.restartPolicy) b += `${L2}Restart Policy:\t${c.restartPolicy}\n`;
    const lines = (xs: string[]) =>
      xs
        .flatMap((x) => String(x).split("\n"))
        .map((x) => `${L3}${x}\n`)
        .join("");
    if (c.command?.length) b += `${L2}Command:\n${lines(c.command)}`;
    if (c.args?.length) b += `${L2}Args:\n${lines(c.args)}`;
    if (st) {
      b += containerState("State", st.state);
      if (st.lastState?.terminated) b += containerState("Last State", st.lastState);
      b += `${L2}Ready:\t${st.ready ? "True" : "False"}\n`;
      b += `${L2}Restart Count:\t${st.restartCount ?? 0}\n`;
    }
    b += resourcesText(c.resources);
    if (c.livenessProbe) b += `${L2}Liveness:\t${describeProbe(c.livenessProbe)}\n`;
    if (c.readinessProbe) b += `${L2}Readiness:\t${describeProbe(c.readinessProbe)}\n`;
    if (c.startupProbe) b += `${L2}Startup:\t${describeProbe(c.startupProbe)}\n`;
    b += envText(pod, c);
    b += mountsText(c);
  }
  return b;
}

/** describeVolumes for the common sources (others print "<unknown>", as kubectl's
 *  fallback does). */
export function volumesText(volumes: Raw[] | undefined, space = ""): string {
  // Never validated (a dump's pods are read without them: documents.ts SERVED_POD): only
  // the entries that are mappings are shown.
  const given = Array.isArray(volumes) ? volumes.filter((v) => typeof v === "object" && v !== null) : [];
  if (!given.length) return `${space}Volumes:\t<none>\n`;
  let b = `${space}Volumes:\n`;
  for (const v of given) {
    b += `${L1}${space ? " " : ""}${v.name}:\n`;
    if (v.hostPath)
      b += `${L2}Type:\tHostPath (bare host directory volume)\n${L2}Path:\t${v.hostPath.path}\n${L2}HostPathType:\t${v.hostPath.type ?? ""}\n`;
    else if (v.emptyDir) {
      const q = parseQuantity(v.emptyDir.sizeLimit);
      b += `${L2}Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n${L2}Medium:\t${v.emptyDir.medium ?? ""}\n${L2}SizeLimit:\t${q && q.value > 0 ? formatQuantity(q) : "<unset>"}\n`;
    } else if (v.secret)
      b += `${L2}Type:\tSecret (a volume populated by a Secret)\n${L2}SecretName:\t${v.secret.secretName ?? ""}\n${L2}Optional:\t${v.secret.optional === true}\n`;
    else if (v.configMap)
      b += `${L2}Type:\tConfigMap (a volume populated by a ConfigMap)\n${L2}Name:\t${v.configMap.name ?? ""}\n${L2}Optional:\t${v.configMap.optional === true}\n`;
    else if (v.persistentVolumeClaim)
      b += `${L2}Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n${L2}ClaimName:\t${v.persistentVolumeClaim.claimName}\n${L2}ReadOnly:\t${v.persistentVolumeClaim.readOnly === true}\n`;
    else if (v.projected) {
      // printProjectedVolumeSource: one line per source (a nil Optional prints "<nil>").
      b += `${L2}Type:\tProjected (a volume that contains injected data from multiple sources)\n`;
      for (const src of (v.projected.sources ?? []) as Raw[]) {
        if (src.secret)
          b += `${L2}SecretName:\t${src.secret.name}\n${L2}SecretOptionalName:\t${src.secret.optional ?? "<nil>"}\n`;
        else if (src.downwardAPI) b += `${L2}DownwardAPI:\ttrue\n`;
        else if (src.configMap)
          b += `${L2}ConfigMapName:\t${src.configMap.name}\n${L2}ConfigMapOptional:\t${src.configMap.optional ?? "<nil>"}\n`;
        else if (src.serviceAccountToken)
          b += `${L2}TokenExpirationSeconds:\t${src.serviceAccountToken.expirationSeconds ?? 3607}\n`;
      }
    } else if (v.downwardAPI)
      b += `${L2}Type:\tDownwardAPI (a volume populated by information about the pod)\n${L2}Items:\n`;
    else b += `${L1}<unknown>\n`;
  }
  return b;
}

/** describePod's "SeccompProfile:" (and "LocalhostProfile:" for a Localhost profile),
 *  printed when the pod's securityContext sets one. */
function seccompText(profile: Raw | undefined): string {
  if (!isObj(profile)) return "";
  let b = `SeccompProfile:\t${profile.type ?? ""}\n`;
  if (profile.type === "Localhost") b += `LocalhostProfile:\t${profile.localhostProfile ?? ""}\n`;
  return b;
}

/** kubectl describe pod (describe.go describePod), from the pod object: the model's
 *  status, or for a pod read from a live cluster the status it was read with. */
export function describePod(state: ClusterState, p: PodState, opts: ViewOptions = {}): string {
  const pod = podObject(state, p, opts) as Raw;
  const spec: Raw = pod.spec;
  const status: Raw = pod.status ?? {};
  let b = "";
  b += `Name:\t${p.name}\n`;
  b += `Namespace:\t${p.namespace}\n`;
  b += `Priority:\t${spec.priority ?? 0}\n`;
  if (spec.priorityClassName) b += `Priority Class Name:\t${spec.priorityClassName}\n`;
  if (spec.runtimeClassName) b += `Runtime Class Name:\t${spec.runtimeClassName}\n`;
  if (spec.serviceAccountName) b += `Service Account:\t${spec.serviceAccountName}\n`;
  const hostIP = status.hostIP ?? p.hostIP ?? "";
  b += p.nodeName ? `Node:\t${p.nodeName}/${hostIP}\n` : `Node:\t<none>\n`;
  if (status.startTime) b += `Start Time:\t${rfcTime(status.startTime)}\n`;
  b += labelsMultiline("Labels", p.labels);
  b += annotationsMultiline("Annotations", p.annotations);
  const phase = status.phase ?? p.phase;
  b +=
    p.terminating && phase !== "Failed" && phase !== "Succeeded"
      ? `Status:\tTerminating (lasts ${age(state, p.created)})\nTermination Grace Period:\t30s\n`
      : `Status:\t${phase}\n`;
  if (status.reason) b += `Reason:\t${status.reason}\n`;
  if (status.message) b += `Message:\t${status.message}\n`;
  b += seccompText(spec.securityContext?.seccompProfile);
  b += `IP:\t${status.podIP ?? ""}\n`;
  const ips: Raw[] = status.podIPs ?? [];
  b += ips.length ? `IPs:\n${ips.map((x) => `${L1}IP:\t${x.ip}\n`).join("")}` : `IPs:\t<none>\n`;
  if (p.owner) b += `Controlled By:\t${p.owner.kind}/${p.owner.name}\n`;
  if (status.nominatedNodeName) b += `NominatedNodeName:\t${status.nominatedNodeName}\n`;
  if (spec.initContainers?.length)
    b += containersText("Init Containers", pod, spec.initContainers, status.initContainerStatuses);
  b += containersText("Containers", pod, spec.containers ?? [], status.containerStatuses);
  if (spec.readinessGates?.length) {
    b += `Readiness Gates:\n${L1}Type\tStatus\n`;
    for (const g of spec.readinessGates as Raw[]) {
      const c = (status.conditions ?? []).find((x: Raw) => x.type === g.conditionType);
      b += `${L1}${g.conditionType} \t${c?.status ?? "<none>"} \n`;
    }
  }
  const conds: Raw[] = status.conditions ?? [];
  if (conds.length) {
    b += `Conditions:\n${L1}Type\tStatus\n`;
    for (const c of conds) b += `${L1}${c.type} \t${c.status} \n`;
  }
  b += volumesText(spec.volumes);
  b += `QoS Class:\t${qosOf(p)}\n`;
  b += labelsMultiline("Node-Selectors", p.spec.nodeSelector);
  // A pod from a live cluster carries the admission's tolerations already.
  const given = (p.spec.tolerations ?? []) as TimedToleration[];
  b += tolerationsMultiline("Tolerations", p.observed ? given : withDefaultTolerations(given));
  b += topologySpreadText(spec.topologySpreadConstraints);
  return finish(state, b, eventsFor(state, "pod", p.namespace, p.name));
}

/** kubectl's formatEndpointSlices for one service port: ready endpoints, at most 3;
 *  "<none>" only when the Service has no slice at all. */
export function serviceEndpoints(state: ClusterState, s: ServiceState, portName: string | undefined): string {
  const slices = state.endpointSlices.filter((x) => x.namespace === s.namespace && x.serviceName === s.name);
  if (slices.length === 0) return "<none>";
  const list: string[] = [];
  let more = false;
  let count = 0;
  const add = (v: string) => {
    count++;
    if (list.length < 3) list.push(v);
    else more = true;
  };
  for (const sl of slices) {
    const ready = sl.endpoints.filter((e) => e.conditions.ready !== false);
    if (sl.ports.length === 0) ready.forEach((e) => add(e.addresses[0]));
    else
      for (const port of sl.ports)
        if ((port.name ?? "") === (portName ?? ""))
          ready.forEach((e) =>
            add(`${e.addresses[0].includes(":") ? `[${e.addresses[0]}]` : e.addresses[0]}:${port.port}`),
          );
  }
  // Slices without a ready endpoint print nothing (formatEndpointSlices joins an empty list).
  return more ? `${list.join(",")} + ${count - 3} more...` : list.join(",");
}

/** describe.go buildIngressString: the IP, else the hostname; " (<ipMode>)" only when set. */
function buildIngressString(ingress: LoadBalancerIngress[]): string {
  return ingress.map((i) => `${i.ip || i.hostname || ""}${i.ipMode ? ` (${i.ipMode})` : ""}`).join(", ");
}

export function describeService(state: ClusterState, s: ServiceState, _opts: ViewOptions = {}): string {
  let b = "";
  b += `Name:\t${s.name}\n`;
  b += `Namespace:\t${s.namespace}\n`;
  b += labelsMultiline("Labels", s.labels);
  b += annotationsMultiline("Annotations", givenMetadata(state, "Service", s.namespace, s.name)?.annotations);
  // describe.go: labels.FormatLabels(service.Spec.Selector), "<none>" when it has none.
  b += `Selector:\t${formatLabels(s.selector)}\n`;
  b += `Type:\t${s.type}\n`;
  if (s.type !== "ExternalName") {
    b += `IP Family Policy:\tSingleStack\n`;
    b += `IP Families:\tIPv4\n`;
  } else b += `IP Families:\t<none>\n`;
  b += `IP:\t${s.type === "ExternalName" ? "" : (s.clusterIP ?? "")}\n`;
  b += `IPs:\t${s.type !== "ExternalName" && s.clusterIP ? s.clusterIP : "<none>"}\n`;
  if (s.externalIPs.length) b += `External IPs:\t${s.externalIPs.join(",")}\n`;
  if (s.externalName) b += `External Name:\t${s.externalName}\n`;
  const ingress = loadBalancerIngress(state, s);
  if (ingress.length) b += `LoadBalancer Ingress:\t${buildIngressString(ingress)}\n`;
  for (const p of s.ports) {
    const name = p.name || "<unset>";
    b += `Port:\t${name}\t${p.port}/${p.protocol}\n`;
    b += `TargetPort:\t${p.targetPort}/${p.protocol}\n`;
    if (p.nodePort) b += `NodePort:\t${name}\t${p.nodePort}/${p.protocol}\n`;
    b += `Endpoints:\t${serviceEndpoints(state, s, p.name)}\n`;
  }
  b += `Session Affinity:\t${s.sessionAffinity}\n`;
  if (s.type === "NodePort" || s.type === "LoadBalancer") b += `External Traffic Policy:\t${s.externalTrafficPolicy}\n`;
  if (s.type !== "ExternalName") b += `Internal Traffic Policy:\t${s.internalTrafficPolicy}\n`;
  if (s.healthCheckNodePort) b += `HealthCheck NodePort:\t${s.healthCheckNodePort}\n`;
  if (s.loadBalancerSourceRanges.length) b += `LoadBalancer Source Ranges:\t${s.loadBalancerSourceRanges.join(",")}\n`;
  if (s.trafficDistribution !== undefined) b += `Traffic Distribution:\t${s.trafficDistribution}\n`;
  return finish(state, b, eventsFor(state, "service", s.namespace, s.name));
}

/** printTaintsMultilineWithIndent: "key[=value]:effect" per line, sorted by "effect,key". */
function taintsMultiline(taints: NodeState["taints"]): string {
  if (taints.length === 0) return `Taints:\t<none>\n`;
  const order = (t: NodeState["taints"][number]) => `${t.effect},${t.key}`;
  return [...taints]
    .sort(byKey(order))
    .map((t, i) => `${i === 0 ? "Taints:" : ""}\t${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}\n`)
    .join("");
}

const NO_NODE_INFO: NodeInfo = {
  kubeletVersion: "",
  osImage: "",
  kernelVersion: "",
  containerRuntimeVersion: "",
  architecture: "",
  operatingSystem: "",
};

export function describeNode(state: ClusterState, n: NodeState, opts: ViewOptions = {}): string {
  // A node read from a live cluster: what its Node object says, as describeNode prints it.
  const g = givenNode(state, n);
  const spec = g ? nodeSpec(g) : {};
  const status = g ? nodeStatus(g) : {};
  // A node read from a live cluster reports its own system info (empty where it said nothing).
  const raw = n.observed ? { ...n.observed.nodeInfo, ...givenResources(status.nodeInfo) } : {};
  const info: NodeInfo = n.observed ? { ...NO_NODE_INFO, ...raw } : nodeInfo(opts);
  let b = "";
  b += `Name:\t${n.name}\n`;
  b += `Roles:\t${nodeRoles(n.labels)}\n`;
  b += labelsMultiline("Labels", n.labels);
  b += annotationsMultiline("Annotations", givenMetadata(state, "Node", undefined, n.name)?.annotations);
  b += `CreationTimestamp:\t${n.observed ? goTime(n.observed.created) : rfc1123z(opts, 0)}\n`;
  b += taintsMultiline(n.taints);
  b += `Unschedulable:\t${spec.unschedulable === true}\n`;
  if (g) b += leaseText(state, n.name) + conditionsText(status);
  const addresses = n.observed?.addresses ?? [
    { type: "InternalIP", address: n.address },
    { type: "Hostname", address: n.name },
  ];
  b += `Addresses:\n${addresses.map((a) => `${L1}${a.type}:\t${a.address}\n`).join("")}`;
  // A given node's capacity and allocatable are its own; podnet's defaults are for the others.
  const res = g
    ? { capacity: givenResources(status.capacity), allocatable: givenResources(status.allocatable) }
    : nodeResources(n);
  const list = (title: string, l: Record<string, string>) =>
    Object.keys(l).length === 0
      ? ""
      : `${title}:\n${Object.keys(l)
          .sort()
          .map((k) => `${L1}${k}:\t${l[k]}\n`)
          .join("")}`;
  b += list("Capacity", res.capacity);
  b += list("Allocatable", res.allocatable);
  b += `System Info:\n`;
  b += `${L1}Machine ID:\t${raw.machineID ?? ""}\n`;
  b += `${L1}System UUID:\t${raw.systemUUID ?? ""}\n`;
  b += `${L1}Boot ID:\t${raw.bootID ?? ""}\n`;
  b += `${L1}Kernel Version:\t${info.kernelVersion}\n`;
  b += `${L1}OS Image:\t${info.osImage}\n`;
  b += `${L1}Operating System:\t${info.operatingSystem}\n`;
  b += `${L1}Architecture:\t${info.architecture}\n`;
  b += `${L1}Container Runtime Version:\t${info.containerRuntimeVersion}\n`;
  b += `${L1}Kubelet Version:\t${info.kubeletVersion}\n`;
  // podnet's own nodes run kube-proxy of the kubelet's version (as nodeObject reports it).
  b += `${L1}Kube-Proxy Version:\t${n.observed ? (raw.kubeProxyVersion ?? "") : info.kubeletVersion}\n`;
  if (g) {
    // As given: printed only when set.
    const cidrs = Array.isArray(spec.podCIDRs) ? spec.podCIDRs.map(String) : [];
    if (typeof spec.podCIDR === "string" && spec.podCIDR) b += `PodCIDR:\t${spec.podCIDR}\n`;
    if (cidrs.length) b += `PodCIDRs:\t${cidrs.join(",")}\n`;
    if (typeof spec.providerID === "string" && spec.providerID) b += `ProviderID:\t${spec.providerID}\n`;
  } else {
    b += `PodCIDR:\t${n.podCIDR}\n`;
    b += `PodCIDRs:\t${n.podCIDR}\n`;
  }
  b += nodeResourceText(state, n, res.allocatable);
  return finish(state, b, eventsFor(state, "node", "", n.name));
}

/** describe.go describeNodeResource: the node's non-terminated pods (phase neither
 *  Succeeded nor Failed, as kubectl's field selector) with their requests and limits,
 *  then the totals; percentages of allocatable, truncated to integers. */
function nodeResourceText(state: ClusterState, n: NodeState, allocatable: Record<string, string>): string {
  const pods = state.pods
    .filter((p) => p.nodeName === n.name && p.phase !== "Succeeded" && p.phase !== "Failed")
    .sort(byNsName);
  const alloc = (k: string) => parseQuantity(allocatable[k])?.value ?? 0;
  const pct = (v: number, k: string) => {
    const a = alloc(k);
    return a === 0
      ? 0
      : Math.trunc(((k === "cpu" ? Math.round(v * 1000) : v) / (k === "cpu" ? Math.round(a * 1000) : a)) * 100);
  };
  const cell = (l: ResourceList, k: string) => {
    const q = l[k];
    return `${q ? formatQuantity(q) : "0"} (${pct(q?.value ?? 0, k)}%)`;
  };
  let b = `Non-terminated Pods:\t(${pods.length} in total)\n`;
  b += `${L1}Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n`;
  b += `${L1}---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n`;
  const reqs: ResourceList = {};
  const lims: ResourceList = {};
  const addTo = (into: ResourceList, l: ResourceList) => {
    for (const [k, q] of Object.entries(l))
      into[k] = into[k] ? { value: into[k].value + q.value, format: into[k].format } : { ...q };
  };
  for (const p of pods) {
    const r = podRequestsAndLimits(p.spec as never);
    addTo(reqs, r.requests);
    addTo(lims, r.limits);
    b += `${L1}${p.namespace}\t${p.name}\t\t${cell(r.requests, "cpu")}\t${cell(r.limits, "cpu")}\t${cell(r.requests, "memory")}\t${cell(r.limits, "memory")}\t${podAge(state, p)}\n`;
  }
  b += `Allocated resources:\n${L1}(Total limits may be over 100 percent, i.e., overcommitted.)\n`;
  b += `${L1}Resource\tRequests\tLimits\n${L1}--------\t--------\t------\n`;
  for (const k of ["cpu", "memory", "ephemeral-storage"]) b += `${L1}${k}\t${cell(reqs, k)}\t${cell(lims, k)}\n`;
  const keys = Object.keys(allocatable).sort();
  for (const k of keys.filter((x) => x.startsWith("hugepages-")))
    b += `${L1}${k}\t${cell(reqs, k)}\t${cell(lims, k)}\n`;
  // Extended resources (vendor/name): no percentages.
  for (const k of keys.filter((x) => x.includes("/")))
    b += `${L1}${k}\t${reqs[k] ? formatQuantity(reqs[k]) : "0"}\t${lims[k] ? formatQuantity(lims[k]) : "0"}\n`;
  return b;
}
