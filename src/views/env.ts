// The environment kubelet gives a container (pkg/kubelet/kubelet_pods.go,
// makeEnvironmentVariables), as the control plane recorded it when the container started
// (control/env.ts, control/kubelet.ts):
//   1. the container's own variables (envFrom, then env: `$(VAR)` expanded, valueFrom
//      resolved), then
//   2. the Service variables (docker-link style) whose names the container did not set.
// Within each step kubelet iterates a Go map, so the real order inside a group is
// unspecified; podnet keeps the order they were set in for the container's own variables
// and the control plane's order (per Service) for the Service ones.
// Variables the image or runtime add (PATH, HOSTNAME, HOME) are not shown.

import { type EnvSources, expandEnv, ownEnv } from "../control/env.js";
import { CREATE_CONTAINER_CONFIG_ERROR } from "../control/kubelet.js";
import type { PodState } from "../control/state.js";
import type { Container } from "../manifest/types.js";

export { expandEnv };

export interface EnvLine {
  name: string;
  value: string;
  source: "container" | "service";
}

/** A pod built without the control plane's kubelet step (a hand-made state): only the
 *  pod's own fields are known, no ConfigMap, Secret or node. */
const NO_SOURCES: EnvSources = { configMap: () => undefined, secret: () => undefined, allocatable: {} };

export function containerEnv(pod: PodState, containerName?: string): EnvLine[] {
  const all: Container[] = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];
  const c: Container | undefined = containerName ? all.find((x) => x.name === containerName) : pod.spec.containers[0];
  if (!c) throw new Error(`container "${containerName}" not found in pod "${pod.name}"`);
  const serviceMap = new Map(pod.env.map((e) => [e.name, e.value]));
  const own = pod.containerEnv?.[c.name] ?? ownEnv(pod, c, serviceMap, NO_SOURCES);
  if ("error" in own)
    // A pod read from a live cluster runs as observed: the input lacks what it reads (a dump
    // without its ConfigMaps or Secrets), not the cluster.
    throw new Error(
      pod.observed
        ? `container "${c.name}" of pod "${pod.name}": its environment reads what the input does not hold (${own.error}); include configmaps and secrets in the dump`
        : `container "${c.name}" of pod "${pod.name}" did not start: CreateContainerConfigError: ${own.error}`,
    );
  const out: EnvLine[] = own.env.map((e) => ({ name: e.name, value: e.value, source: "container" as const }));
  const set = new Set(own.env.map((e) => e.name));
  for (const e of pod.env) if (!set.has(e.name)) out.push({ name: e.name, value: e.value, source: "service" });
  return out;
}

export function formatEnv(lines: EnvLine[]): string {
  return lines.map((l) => `${l.name}=${l.value}\n`).join("");
}

/** A pod kubelet could not configure a container of: the failing init container (it holds
 *  the others back) or the first failing container, and its text. */
function configFailure(p: PodState): { init: boolean; name: string } | undefined {
  if (p.observed || p.reason !== CREATE_CONTAINER_CONFIG_ERROR || !p.containerEnv) return undefined;
  const failed = (c: Container) => {
    const r = p.containerEnv?.[c.name];
    return r !== undefined && "error" in r;
  };
  const init = (p.spec.initContainers ?? []).find(failed);
  if (init) return { init: true, name: init.name };
  const c = p.spec.containers.find(failed);
  return c ? { init: false, name: c.name } : undefined;
}

/** kubectl's STATUS for such a pod (printers.go printPod: the first waiting reason, with
 *  `Init:` for an init container), else undefined. */
export function configErrorStatus(p: PodState): string | undefined {
  const f = configFailure(p);
  return f ? `${f.init ? "Init:" : ""}${CREATE_CONTAINER_CONFIG_ERROR}` : undefined;
}

/** A container's state in such a pod: waiting with kubelet's reason and text when it is the
 *  one that failed, PodInitializing behind a failed init container, else running. */
export function configErrorState(
  p: PodState,
  container: string,
  startedAt: unknown,
): { waiting: { reason: string; message?: string } } | { running: { startedAt: unknown } } | undefined {
  const f = configFailure(p);
  if (!f) return undefined;
  const r = p.containerEnv?.[container];
  if (r && "error" in r) return { waiting: { message: r.error, reason: CREATE_CONTAINER_CONFIG_ERROR } };
  return f.init ? { waiting: { reason: "PodInitializing" } } : { running: { startedAt } };
}
