// Kubelet's part of a reconcile step: the resolv.conf and the environment of each new
// pod. The environment is what kubelet's makeEnvironmentVariables gives each container
// when it starts it (env.ts): its own variables (envFrom, env with valueFrom) and the
// Service links; it is fixed then, so later changes to Services, ConfigMaps or Secrets do
// not show in running containers. A container whose ConfigMap, Secret or key is missing
// (and not optional) does not start: kubelet's CreateContainerConfigError, on the pod.
// Pods with the same spec share their results (memoised), which keeps large Deployments
// cheap; a spec that reads the pod or node through the Downward API is computed per pod.
import type { Container, KubeObject, PodSpec } from "../manifest/types.js";
import { type EnvSources, type OwnEnv, ownEnv, serviceEnvFor } from "./env.js";
import { emit, ofKind, type ReconcileContext } from "./reconcile-context.js";
import { blockingSidecar, probeEventText, probeFailures } from "./probes.js";
import { resolvConfFor } from "./resolvconf.js";
import type { PodState, ServiceState } from "./state.js";

/** The waiting reason kubelet gives a container it could not configure
 *  (pkg/kubelet/kuberuntime ErrCreateContainerConfig). */
export const CREATE_CONTAINER_CONFIG_ERROR = "CreateContainerConfigError";

/** A node's allocatable when neither a Node object nor the config says: a kind node
 *  reports its host's CPUs and memory and reserves nothing. */
const FALLBACK_ALLOCATABLE: Record<string, unknown> = { cpu: "8", memory: "16Gi" };

export function kubeletSetup(ctx: ReconcileContext, created: PodState[], services: ServiceState[]): void {
  const svcByNs = new Map<string, ServiceState[]>();
  for (const s of services) {
    let l = svcByNs.get(s.namespace);
    if (!l) svcByNs.set(s.namespace, (l = []));
    l.push(s);
  }
  const kubeSvc = services.find((s) => s.namespace === "default" && s.name === "kubernetes");
  const resolvMemo = new WeakMap<PodSpec, Map<string, ReturnType<typeof resolvConfFor>>>();
  // Without dnsConfig a pod's resolv.conf follows from its namespace, dnsPolicy and
  // hostNetwork alone (resolvconf.ts): a dump's pods, each with a spec of its own, share it.
  const resolvByShape = memoByKey((pod: PodState) => resolvConfFor(ctx.config, pod.namespace, pod.spec));
  const envMemo = memoByKey((pod: PodState) => {
    const visible = [...(svcByNs.get(pod.namespace) ?? [])];
    if (kubeSvc && pod.namespace !== "default") visible.push(kubeSvc);
    const list = serviceEnvFor(visible, pod.namespace, pod.created, pod.spec.enableServiceLinks !== false);
    return { list, map: new Map(list.map((e) => [e.name, e.value])) };
  });
  const ownMemo = new WeakMap<PodSpec, Map<string, Record<string, OwnEnv>>>();
  const lookups = objectLookups(ctx);
  for (const pod of created) {
    let r: ReturnType<typeof resolvConfFor> | undefined;
    if (pod.spec.dnsConfig === undefined)
      r = resolvByShape(pod, pod.namespace, pod.spec.dnsPolicy, !!pod.spec.hostNetwork);
    else {
      let m = resolvMemo.get(pod.spec);
      if (!m) resolvMemo.set(pod.spec, (m = new Map()));
      r = m.get(pod.namespace);
      if (!r) m.set(pod.namespace, (r = resolvConfFor(ctx.config, pod.namespace, pod.spec)));
    }
    pod.resolvConf = r.text;
    for (const e of r.events) emit(ctx, e.type, e.reason, `pod/${pod.namespace}/${pod.name}`, e.message, "kubelet");
    const links = pod.spec.enableServiceLinks !== false;
    const base = envMemo(pod, pod.namespace, pod.created, links);
    pod.env = base.list;
    if (!hasOwnEnv(pod.spec)) continue;
    const src: EnvSources = { ...lookups, allocatable: lookups.allocatableOf(pod.nodeName) };
    let own: Record<string, OwnEnv> | undefined;
    if (readsDownwardApi(pod.spec)) own = containersEnv(pod, base.map, src);
    else {
      let om = ownMemo.get(pod.spec);
      if (!om) ownMemo.set(pod.spec, (om = new Map()));
      const ek = `${pod.namespace}\u0000${pod.created}\u0000${links}`;
      own = om.get(ek);
      if (!own) om.set(ek, (own = containersEnv(pod, base.map, src)));
    }
    pod.containerEnv = own;
    emitFailed(ctx, pod, configError(pod, own));
  }
  for (const pod of created) startProbes(ctx, pod);
}

/**
 * kubelet's probes of a pod whose containers it started: one that cannot pass (probes.ts)
 * keeps its container, and so the pod, unready, with a Warning Unhealthy event.
 */
function startProbes(ctx: ReconcileContext, pod: PodState): void {
  if (pod.observed || pod.phase !== "Running" || !pod.ready) return;
  let failing = probeFailures(pod.spec);
  if (failing.length === 0) return;
  pod.ready = false;
  const blocked = blockingSidecar(pod.spec, failing);
  if (blocked >= 0) {
    // The pod stays initializing: only the sidecars up to that one were started and probed.
    const name = (pod.spec.initContainers ?? [])[blocked].name;
    failing = failing.slice(0, failing.findIndex((f) => f.container === name) + 1);
    pod.phase = "Pending";
  }
  pod.probeFailures = failing;
  for (const f of failing)
    emit(ctx, "Warning", "Unhealthy", `pod/${pod.namespace}/${pod.name}`, probeEventText(f), "kubelet");
}

/**
 * Kubelet retries a container it could not configure (with back-off) until its ConfigMap,
 * Secret or key exists: pods left in CreateContainerConfigError by an earlier step are
 * tried again with this step's objects. One that now starts runs (Running, ready, the
 * environment of this start); one that still fails keeps waiting, with the new text if it
 * changed. Returns `pods` itself when nothing changed.
 */
export function retryConfigErrors(ctx: ReconcileContext, pods: PodState[]): PodState[] {
  let out: PodState[] | undefined;
  const lookups = objectLookups(ctx);
  pods.forEach((pod, i) => {
    if (pod.observed || pod.reason !== CREATE_CONTAINER_CONFIG_ERROR || pod.created === ctx.clock) return;
    const serviceEnv = new Map(pod.env.map((e) => [e.name, e.value]));
    const own = containersEnv(pod, serviceEnv, { ...lookups, allocatable: lookups.allocatableOf(pod.nodeName) });
    const next: PodState = { ...pod, containerEnv: own, phase: "Running", ready: true };
    delete next.reason;
    delete next.message;
    const failed = configError(next, own);
    if (next.reason === pod.reason && next.message === pod.message) return;
    emitFailed(ctx, next, failed);
    startProbes(ctx, next);
    out ??= [...pods];
    out[i] = next;
    ctx.changedNs.add(pod.namespace);
  });
  return out ?? pods;
}

/** Every container's own variables (init containers too), by container name. */
function containersEnv(pod: PodState, serviceEnv: Map<string, string>, src: EnvSources): Record<string, OwnEnv> {
  const out: Record<string, OwnEnv> = {};
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers])
    if (c && typeof c.name === "string") out[c.name] = ownEnv(pod, c, serviceEnv, src);
  return out;
}

/**
 * Kubelet starts the init containers one by one, then the containers (SyncPod): an init
 * container it cannot configure holds the rest back; each container it cannot configure
 * waits with CreateContainerConfigError and a `Failed` event "Error: <text>"
 * (pkg/kubelet/kuberuntime/kuberuntime_container.go startContainer). The pod stays Pending.
 * Only a pod that reached its node with a sandbox gets that far; a pod read from a live
 * cluster keeps the status it was observed with.
 */
function configError(pod: PodState, own: Record<string, OwnEnv>): string[] {
  if (pod.observed || !pod.nodeName || !pod.podIP) return [];
  const failed: string[] = [];
  const check = (list: Container[] | undefined, stopAtFirst: boolean) => {
    for (const c of list ?? []) {
      const r = own[c?.name];
      if (r && "error" in r) {
        failed.push(r.error);
        if (stopAtFirst) return;
      }
    }
  };
  check(pod.spec.initContainers, true);
  if (failed.length === 0) check(pod.spec.containers, false);
  if (failed.length === 0) return failed;
  pod.phase = "Pending";
  pod.ready = false;
  pod.reason = CREATE_CONTAINER_CONFIG_ERROR;
  pod.message = failed[0];
  return failed;
}

function emitFailed(ctx: ReconcileContext, pod: PodState, failed: string[]): void {
  for (const text of failed)
    emit(ctx, "Warning", "Failed", `pod/${pod.namespace}/${pod.name}`, `Error: ${text}`, "kubelet");
}

/**
 * `make(pod)` memoised by the key "a\0b\0c" of three of the pod's values. The values of the
 * call before are compared first: a dump lists each namespace's pods together, mostly of one
 * shape, and the key is then not joined again (150,000 pods).
 */
function memoByKey<T>(make: (pod: PodState) => T): (pod: PodState, a: string, b: unknown, c: unknown) => T {
  const memo = new Map<string, T>();
  let last: { a: string; b: unknown; c: unknown; value: T } | undefined;
  return (pod, a, b, c) => {
    if (last && last.a === a && last.b === b && last.c === c) return last.value;
    const k = `${a}\u0000${b}\u0000${c}`;
    let value = memo.get(k);
    if (value === undefined) memo.set(k, (value = make(pod)));
    last = { a, b, c, value };
    return value;
  };
}

// Not memoised: a loop over the containers costs less than a WeakMap entry per spec (a
// dump's 150,000 pods have a spec each).
function hasOwnEnv(spec: PodSpec): boolean {
  return listHasOwnEnv(spec.initContainers) || listHasOwnEnv(spec.containers);
}
function listHasOwnEnv(cs: Container[] | undefined): boolean {
  if (!Array.isArray(cs)) return false;
  for (const c of cs) {
    const x = c as { envFrom?: unknown; env?: unknown } | null;
    if ((Array.isArray(x?.envFrom) && x.envFrom.length > 0) || (Array.isArray(x?.env) && x.env.length > 0)) return true;
  }
  return false;
}
function readsDownwardApi(spec: PodSpec): boolean {
  const reads = (cs: Container[] | undefined) =>
    Array.isArray(cs) &&
    cs.some((c) => {
      const env = (c as { env?: unknown } | null)?.env;
      return (
        Array.isArray(env) &&
        env.some((e) => {
          const from = e && typeof e === "object" ? (e as { valueFrom?: unknown }).valueFrom : undefined;
          return !!from && typeof from === "object" && ("fieldRef" in from || "resourceFieldRef" in from);
        })
      );
    });
  return reads(spec.initContainers) || reads(spec.containers);
}

/** The ConfigMaps and Secrets of this step, and each node's allocatable. */
function objectLookups(ctx: ReconcileContext): Omit<EnvSources, "allocatable"> & {
  allocatableOf(node: string | null): Record<string, unknown>;
} {
  let cms: Map<string, Record<string, string>> | undefined;
  let secrets: Map<string, Record<string, string>> | undefined;
  const byKey = (kind: string, data: (o: KubeObject) => Record<string, string>) =>
    new Map(ofKind(ctx, kind).map((o) => [`${o.metadata.namespace ?? "default"}/${o.metadata.name}`, data(o)]));
  return {
    configMap(ns, name) {
      cms ??= byKey("ConfigMap", configMapData);
      return cms.get(`${ns}/${name}`);
    },
    secret(ns, name) {
      secrets ??= byKey("Secret", secretData);
      return secrets.get(`${ns}/${name}`);
    },
    allocatableOf(node) {
      // A live cluster's Node object says; else the cluster config's node (when it models
      // allocatable); else a kind node's.
      const obj = ofKind(ctx, "Node").find((o) => o.metadata.name === node);
      const st = obj?.status?.allocatable;
      if (st && typeof st === "object") return st;
      const nc = ctx.config.nodes.find((n) => n.name === node);
      if (nc && "allocatable" in nc && nc.allocatable && typeof nc.allocatable === "object")
        return { ...FALLBACK_ALLOCATABLE, ...nc.allocatable };
      return FALLBACK_ALLOCATABLE;
    },
  };
}

/** A ConfigMap's `data` (string values; binaryData is not for environment variables). */
export function configMapData(o: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  const d = o.data;
  if (d && typeof d === "object") for (const k of Object.keys(d)) if (typeof d[k] === "string") out[k] = d[k];
  return out;
}

/** A Secret's data as the API server stores it: `data` base64-decoded, `stringData`
 *  written over it (k8s.io/api core/v1 Secret.StringData). A value that is not base64 is
 *  left out (the API server refuses the whole Secret; validation reports it). */
export function secretData(o: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  const d = o.data;
  if (d && typeof d === "object")
    for (const k of Object.keys(d)) {
      if (typeof d[k] !== "string") continue;
      try {
        const bin = atob(d[k].replace(/[\r\n]/g, ""));
        out[k] = new TextDecoder().decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)));
      } catch {
        // not base64: see above
      }
    }
  const s = o.stringData;
  if (s && typeof s === "object") for (const k of Object.keys(s)) if (typeof s[k] === "string") out[k] = s[k];
  return out;
}
