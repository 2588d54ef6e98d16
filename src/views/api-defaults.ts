// What the API server fills in on a Pod it admits, for the views that print a pod podnet
// made (`get -o yaml|json`): a pod read from a live cluster has them already. Defaulting
// follows kubernetes/kubernetes pkg/apis/core/v1/defaults.go; priority follows the Priority
// admission plugin (plugin/pkg/admission/priority/admission.go).

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * SetDefaults_Container: `Always` for an image whose tag is `latest`, or that has neither a
 * tag nor a digest (the reference then means `:latest`, parsers.ParseImageName), else
 * `IfNotPresent`. A `:` before the last `/` is a registry's port, not a tag.
 */
export function defaultPullPolicy(image: unknown): "Always" | "IfNotPresent" {
  if (typeof image !== "string") return "IfNotPresent";
  const at = image.indexOf("@");
  const name = at >= 0 ? image.slice(0, at) : image;
  const last = name.slice(name.lastIndexOf("/") + 1);
  const colon = last.indexOf(":");
  const tag = colon >= 0 ? last.slice(colon + 1) : at >= 0 ? "" : "latest";
  return tag === "latest" ? "Always" : "IfNotPresent";
}

/** SetDefaults_HTTPGetAction: path `/`, scheme HTTP. */
function httpGet(h: unknown): unknown {
  return isObj(h) ? { ...h, path: h.path || "/", scheme: h.scheme || "HTTP" } : h;
}

/** SetDefaults_Probe (timeout 1 s, period 10 s, thresholds 1 and 3), and its HTTP action's. */
function probe(p: unknown): unknown {
  if (!isObj(p)) return p;
  const out: Obj = {
    ...p,
    timeoutSeconds: p.timeoutSeconds ?? 1,
    periodSeconds: p.periodSeconds ?? 10,
    successThreshold: p.successThreshold ?? 1,
    failureThreshold: p.failureThreshold ?? 3,
  };
  if (p.httpGet !== undefined) out.httpGet = httpGet(p.httpGet);
  return out;
}

/** A lifecycle hook's handlers: their HTTP actions are defaulted too. */
function lifecycle(l: unknown): unknown {
  if (!isObj(l)) return l;
  const out: Obj = { ...l };
  for (const k of ["postStart", "preStop"])
    if (isObj(l[k]) && l[k].httpGet !== undefined) out[k] = { ...l[k], httpGet: httpGet(l[k].httpGet) };
  return out;
}

/**
 * A container (or init container) as admitted: pull policy, termination message, probes,
 * ports' protocol (SetDefaults_ContainerPort); in a hostNetwork pod each port's hostPort is
 * its containerPort (SetDefaults_Pod, defaultHostNetworkPorts).
 */
export function defaultedContainer<C extends object>(c: C, hostNetwork = false): C {
  const src = c as Obj;
  const out: Obj = {
    ...src,
    imagePullPolicy: src.imagePullPolicy ?? defaultPullPolicy(src.image),
    resources: src.resources ?? {},
    terminationMessagePath: src.terminationMessagePath ?? "/dev/termination-log",
    terminationMessagePolicy: src.terminationMessagePolicy ?? "File",
  };
  for (const k of ["livenessProbe", "readinessProbe", "startupProbe"]) if (src[k] !== undefined) out[k] = probe(src[k]);
  if (src.lifecycle !== undefined) out.lifecycle = lifecycle(src.lifecycle);
  if (Array.isArray(src.ports))
    out.ports = src.ports.map((p) =>
      isObj(p)
        ? {
            ...p,
            protocol: p.protocol ?? "TCP",
            ...(hostNetwork && !p.hostPort ? { hostPort: p.containerPort } : {}),
          }
        : p,
    );
  return out as C;
}

// The classes every cluster has (pkg/apis/scheduling/types.go: SystemCriticalPriority is
// twice HighestUserDefinablePriority, 1e9; node-critical 1000 above it).
const SYSTEM_PRIORITY: Record<string, number> = {
  "system-cluster-critical": 2_000_000_000,
  "system-node-critical": 2_000_001_000,
};

/**
 * SetDefaults_PodSpec's scalars and the Priority admission plugin's: with no class, priority 0
 * (DefaultPriorityWhenNoDefaultClassExists) and PreemptLowerPriority; a system class's value.
 * Another class's value and policy live in its PriorityClass, which podnet does not read:
 * they stay as given.
 */
export function defaultedPodSpecFields(spec: Obj): void {
  spec.schedulerName ??= "default-scheduler";
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= 30;
  const cls = typeof spec.priorityClassName === "string" ? spec.priorityClassName : "";
  const value = cls === "" ? 0 : SYSTEM_PRIORITY[cls];
  if (value === undefined) return;
  spec.priority ??= value;
  spec.preemptionPolicy ??= "PreemptLowerPriority";
}
