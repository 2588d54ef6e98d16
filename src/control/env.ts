// Service environment variables as kubelet sets them (pkg/kubelet/kubelet_pods.go
// getServiceEnvVarMap + pkg/kubelet/envvars FromServices / makeLinkVariables).
//
// Order: kubelet collects the visible Services in a Go map and then copies the variables
// into the container's env in map order, which is random run to run. podnet sorts the
// visible Services by name and emits each Service's variables in FromServices' order
// (_SERVICE_HOST, _SERVICE_PORT, _SERVICE_PORT_<NAME>…, _PORT, then per port
// _PORT_<p>_<PROTO>, …_PROTO, …_PORT, …_ADDR): one of the orders kubelet can produce,
// and a stable one.
import type { Container, PodSpec } from "../manifest/types.js";
import { isZeroQuantity, milliValue, wholeValue } from "../manifest/quantity.js";
import type { ServiceState } from "./state.js";

/** makeEnvVariableName: upper-case, `-` → `_`. */
export function envName(s: string): string {
  return s.replaceAll("-", "_").toUpperCase();
}

const ipSet = (svc: ServiceState): boolean =>
  svc.type !== "ExternalName" && svc.clusterIP !== null && svc.clusterIP !== "" && svc.clusterIP !== "None";

const joinHostPort = (ip: string, port: number): string => (ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`);

/** FromServices for one Service. */
export function serviceEnvVars(svc: ServiceState): { name: string; value: string }[] {
  if (!ipSet(svc) || svc.ports.length === 0) return [];
  const ip = svc.clusterIP as string;
  const prefix = envName(svc.name);
  const out: { name: string; value: string }[] = [];
  out.push({ name: `${prefix}_SERVICE_HOST`, value: ip });
  const portVar = `${prefix}_SERVICE_PORT`;
  out.push({ name: portVar, value: String(svc.ports[0].port) });
  for (const p of svc.ports) if (p.name) out.push({ name: `${portVar}_${envName(p.name)}`, value: String(p.port) });
  svc.ports.forEach((p, i) => {
    const proto = (p.protocol || "TCP").toLowerCase();
    const hp = joinHostPort(ip, p.port);
    if (i === 0) out.push({ name: `${prefix}_PORT`, value: `${proto}://${hp}` });
    const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
    out.push({ name: pp, value: `${proto}://${hp}` });
    out.push({ name: `${pp}_PROTO`, value: proto });
    out.push({ name: `${pp}_PORT`, value: String(p.port) });
    out.push({ name: `${pp}_ADDR`, value: ip });
  });
  return out;
}

/** `services`: all Services of the cluster; only those visible to the pod (same namespace,
 *  created before the pod, plus default/kubernetes) are used. */
export function serviceEnvFor(
  services: ServiceState[],
  namespace: string,
  podCreated: number,
  enableServiceLinks: boolean,
): { name: string; value: string }[] {
  // getServiceEnvVarMap: the master service `kubernetes` of `default` always (even with
  // enableServiceLinks: false); the pod's namespace's Services with enableServiceLinks.
  // A Service exists "before the pod" when it was created no later than the pod (the
  // variables are fixed when the container starts).
  const byName = new Map<string, ServiceState>();
  for (const svc of services) {
    if (!ipSet(svc)) continue;
    if (svc.namespace === "default" && svc.name === "kubernetes") {
      if (!byName.has(svc.name)) byName.set(svc.name, svc);
    } else if (svc.namespace === namespace && enableServiceLinks && svc.created <= podCreated) {
      byName.set(svc.name, svc);
    }
  }
  const names = [...byName.keys()].sort();
  // A later Service of the same variable name overwrites an earlier one (kubelet's map).
  const vars = new Map<string, string>();
  for (const n of names) for (const v of serviceEnvVars(byName.get(n)!)) vars.set(v.name, v.value);
  return [...vars].map(([name, value]) => ({ name, value }));
}

// ---------------------------------------------------------------------------
// A container's own variables, as kubelet's makeEnvironmentVariables builds them
// (kubernetes/kubernetes pkg/kubelet/kubelet_pods.go):
//   1. envFrom in order: every key of the ConfigMap's `data` / the Secret's `data`, with
//      `prefix` prepended; a later source overwrites an earlier key. Keys are passed as
//      they are: since KEP-4369 (PR #123385, GA in 1.34) kubelet no longer skips keys that
//      are not C identifiers (and raises no InvalidEnvironmentVariableNames event).
//   2. env in order: a non-empty `value` is expanded (`$(VAR)`: the variables set so far,
//      then the Service variables); else valueFrom is resolved (never expanded).
//   3. the Service variables whose names the container did not set (the caller adds them).
// A missing ConfigMap/Secret or key not marked `optional` stops the container:
// kubelet's CreateContainerConfigError with the error's text. Kubelet keeps the result in
// a Go map (random order); podnet keeps first-set order.

export type EnvVar = { name: string; value: string };

/** What a container's environment reads besides the pod: objects and the node. */
export interface EnvSources {
  /** A ConfigMap's `data` in the pod's namespace, undefined when there is none. */
  configMap(namespace: string, name: string): Record<string, string> | undefined;
  /** A Secret's decoded `data` (stringData merged, as the API server stores it). */
  secret(namespace: string, name: string): Record<string, string> | undefined;
  /** The node's status.allocatable (cpu, memory, ephemeral-storage quantities). */
  allocatable: Record<string, unknown>;
}

/** The pod's fields the Downward API reads (PodState has them all). */
export interface EnvPod {
  namespace: string;
  name: string;
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  nodeName: string | null;
  hostIP: string | null;
  podIP: string | null;
  spec: PodSpec;
}

/** The container's own variables, or kubelet's error text (CreateContainerConfigError). */
export type OwnEnv = { env: EnvVar[] } | { error: string };

// Fields podnet's manifest types leave untyped: read defensively (tolerant loading lets
// malformed values through).
type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Rec) : undefined);
const strOf = (v: unknown): string => (typeof v === "string" ? v : "");

/** makeEnvironmentVariables for one container (without the Service variables it adds last). */
export function ownEnv(
  pod: EnvPod,
  container: Container,
  serviceEnv: ReadonlyMap<string, string>,
  src: EnvSources,
): OwnEnv {
  const ns = pod.namespace;
  const c: { envFrom?: unknown; env?: unknown } = container;
  const tmp = new Map<string, string>();
  const configMaps = new Map<string, Record<string, string> | undefined>();
  const secrets = new Map<string, Record<string, string> | undefined>();
  const getCm = (n: string) => {
    if (!configMaps.has(n)) configMaps.set(n, src.configMap(ns, n));
    return configMaps.get(n);
  };
  const getSecret = (n: string) => {
    if (!secrets.has(n)) secrets.set(n, src.secret(ns, n));
    return secrets.get(n);
  };
  // The errors are the API's NotFound for the kubelet's object cache's group-resource
  // (pkg/kubelet/configmap, pkg/kubelet/secret: corev1.Resource("configmap"|"secret")).
  for (const from of Array.isArray(c.envFrom) ? c.envFrom : []) {
    const f = rec(from);
    if (!f) continue;
    const prefix = strOf(f.prefix);
    const ref = rec(f.configMapRef) ?? rec(f.secretRef);
    if (!ref) continue;
    const isCm = rec(f.configMapRef) !== undefined;
    const name = strOf(ref.name);
    const data = isCm ? getCm(name) : getSecret(name);
    if (!data) {
      if (ref.optional === true) continue;
      return { error: `${isCm ? "configmap" : "secret"} "${name}" not found` };
    }
    for (const k of Object.keys(data)) tmp.set(prefix + k, data[k]);
  }
  const lookup = (n: string) => tmp.get(n) ?? serviceEnv.get(n);
  for (const item of Array.isArray(c.env) ? c.env : []) {
    const e = rec(item);
    if (!e || typeof e.name !== "string") continue;
    let v = strOf(e.value);
    const from = rec(e.valueFrom);
    if (v !== "") v = expandEnv(v, lookup);
    else if (from) {
      const r = valueFrom(pod, container, from, src, getCm, getSecret);
      if (r === undefined) continue; // optional and absent: the variable is not set
      if (typeof r !== "string") return r;
      v = r;
    }
    tmp.set(e.name, v);
  }
  return { env: [...tmp].map(([name, value]) => ({ name, value })) };
}

/** One valueFrom: its value, undefined when an optional source is absent, or the error. */
function valueFrom(
  pod: EnvPod,
  container: Container,
  from: Rec,
  src: EnvSources,
  getCm: (n: string) => Record<string, string> | undefined,
  getSecret: (n: string) => Record<string, string> | undefined,
): string | { error: string } | undefined {
  const ns = pod.namespace;
  const field = rec(from.fieldRef);
  if (field) return fieldRefValue(pod, strOf(field.fieldPath));
  const res = rec(from.resourceFieldRef);
  if (res) return resourceFieldRefValue(pod, container, res, src.allocatable);
  const cmRef = rec(from.configMapKeyRef);
  const secRef = rec(from.secretKeyRef);
  const ref = cmRef ?? secRef;
  if (!ref) return "";
  const name = strOf(ref.name);
  const key = strOf(ref.key);
  const optional = ref.optional === true;
  const data = cmRef ? getCm(name) : getSecret(name);
  if (!data) return optional ? undefined : { error: `${cmRef ? "configmap" : "secret"} "${name}" not found` };
  if (!Object.hasOwn(data, key))
    return optional
      ? undefined
      : { error: `couldn't find key ${key} in ${cmRef ? "ConfigMap" : "Secret"} ${ns}/${name}` };
  return data[key];
}

/** kubelet's podFieldSelectorRuntimeValue, then fieldpath.ExtractFieldPathAsString
 *  (k8s.io/kubernetes pkg/fieldpath/fieldpath.go). Single-stack: hostIPs/podIPs are the one
 *  address. A label or annotation the pod lacks is "". */
export function fieldRefValue(pod: EnvPod, path: string): string | { error: string } {
  const sa: { hostname?: string; serviceAccountName?: unknown; serviceAccount?: unknown } = pod.spec;
  switch (path) {
    case "spec.nodeName":
      return pod.nodeName ?? "";
    case "spec.serviceAccountName":
      // The ServiceAccount admission plugin sets "default" when neither the field nor its
      // deprecated alias serviceAccount names one (plugin/pkg/admission/serviceaccount).
      return strOf(sa.serviceAccountName) || strOf(sa.serviceAccount) || "default";
    case "status.hostIP":
    case "status.hostIPs":
      return pod.hostIP ?? "";
    case "status.podIP":
    case "status.podIPs":
      return pod.podIP ?? "";
    case "metadata.name":
      return pod.name;
    case "metadata.namespace":
      return pod.namespace;
    case "metadata.uid":
      return pod.uid;
    case "metadata.labels":
      return formatMap(pod.labels);
    case "metadata.annotations":
      return formatMap(pod.annotations);
  }
  // SplitMaybeSubscriptedPath: `path['key']`.
  const m = /^(.+?)\['(.*)'\]$/s.exec(path);
  if (m) {
    if (m[1] === "metadata.labels") return pod.labels[m[2]] ?? "";
    if (m[1] === "metadata.annotations") return pod.annotations[m[2]] ?? "";
    return { error: `fieldPath "${path}" does not support subscript` };
  }
  return { error: `unsupported fieldPath: ${path}` };
}

/** fieldpath.FormatMap: sorted `key="value"` lines (only volumes may ask for whole maps). */
function formatMap(m: Record<string, string>): string {
  return Object.keys(m)
    .sort()
    .map((k) => `${k}=${JSON.stringify(m[k])}`)
    .join("\n");
}

const DEFAULTED = ["cpu", "memory", "ephemeral-storage"];

/**
 * kubelet's defaultPodLimitsForDownwardAPI (pkg/kubelet/kubelet_resources.go) then
 * resource.ExtractContainerResourceValue (pkg/api/v1/resource/helpers.go): a limit the
 * container does not set (or sets to 0) is the pod-level limit (cpu, memory) else the
 * node's allocatable; a request it does not set is its own limit (the API server's
 * defaulting) else 0; the value is ceil(value / divisor), cpu in millicores, divisor 1 by
 * default (250m → "1", with divisor 1m → "250").
 */
export function resourceFieldRefValue(
  pod: EnvPod,
  container: Container,
  ref: Rec,
  allocatable: Record<string, unknown>,
): string | { error: string } {
  const cname = strOf(ref.containerName);
  let target = container;
  if (cname) {
    const found = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((x) => x.name === cname);
    if (!found) return { error: `container ${cname} not found` };
    target = found;
  }
  const resource = strOf(ref.resource);
  const dot = resource.indexOf(".");
  const kind = resource.slice(0, dot);
  const name = resource.slice(dot + 1);
  const hugepages = name.startsWith("hugepages-");
  if ((kind !== "limits" && kind !== "requests") || (!DEFAULTED.includes(name) && !hugepages))
    return { error: `unsupported container resource : ${resource}` };
  const t: { name: string; resources?: unknown } = target;
  const res = rec(t.resources);
  const limits = rec(res?.limits) ?? {};
  const requests = rec(res?.requests) ?? {};
  const p: { hostname?: string; resources?: unknown } = pod.spec;
  const podLimits = rec(rec(p.resources)?.limits) ?? {};
  let q: unknown;
  if (kind === "limits") {
    q = limits[name];
    if (DEFAULTED.includes(name) && (q === undefined || isZeroQuantity(q)))
      q = name !== "ephemeral-storage" && podLimits[name] !== undefined ? podLimits[name] : allocatable[name];
  } else q = requests[name] ?? limits[name];
  const divisor = ref.divisor === undefined || isZeroQuantity(ref.divisor) ? "1" : ref.divisor;
  const cpu = name === "cpu";
  const v = (cpu ? milliValue(q) : wholeValue(q)) ?? 0n;
  const d = (cpu ? milliValue(divisor) : wholeValue(divisor)) ?? 1n;
  // int64(math.Ceil(float64(v) / float64(d)))
  return String(Math.ceil(Number(v) / Number(d)));
}

/** k8s.io/kubernetes third_party/forked/golang/expansion Expand with MappingFuncFor:
 *  `$(VAR)` → its value when known, else left as written; `$$` → `$`; a `$` before
 *  anything else, or an unclosed `$(`, is kept. */
export function expandEnv(value: string, lookup: (name: string) => string | undefined): string {
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === "$" && i + 1 < value.length) {
      const n = value[i + 1];
      if (n === "$") {
        out += "$";
        i++;
        continue;
      }
      if (n === "(") {
        const end = value.indexOf(")", i + 2);
        if (end >= 0) {
          const name = value.slice(i + 2, end);
          const v = lookup(name);
          out += v !== undefined ? v : value.slice(i, end + 1);
          i = end;
          continue;
        }
      }
    }
    out += c;
  }
  return out;
}
