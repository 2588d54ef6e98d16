// kubelet's probes that cannot pass, known from the spec alone: an httpGet or tcpSocket
// probe whose port is a name the container does not declare. kubelet resolves it with
// probe.ResolveContainerPort (kubernetes pkg/probe/util.go): a name not among the
// container's own ports is tried as a number (strconv.Atoi), and the error that returns
// makes the probe error (pkg/kubelet/prober/prober.go probe, with a Warning Unhealthy
// event). The probe worker drops errored results (pkg/kubelet/prober/worker.go doProbe), so
// a readiness probe stays at its initial failure and a startup probe never succeeds: the
// container never becomes ready, so neither does the pod, and its endpoints stay ready:
// false. (A liveness probe's errors are dropped the same way and restart nothing: not
// modelled.) The API accepts such a spec: a probe's port name is checked for its form only.
// What a probe would find at a numeric port, or an exec probe, is the application's to say;
// those are taken as passing.
import type { Container, PodSpec } from "../manifest/types.js";

export interface ProbeFailure {
  container: string;
  /** kubelet's probeType as it prints it. */
  probe: "Readiness" | "Startup";
  /** The port as the probe names it. */
  port: string;
  /** The error kubelet's probe returns. */
  error: string;
}

const memo = new WeakMap<PodSpec, ProbeFailure[]>();

/**
 * The probes of the pod's containers that error, in the order kubelet reports unready
 * containers (GenerateContainersReadyCondition: restartable init containers, then the
 * containers). A container's startup probe comes first: until it passes, readiness is not
 * probed.
 */
export function probeFailures(spec: PodSpec): ProbeFailure[] {
  let out = memo.get(spec);
  if (out) return out;
  out = [];
  const list = (v: unknown): Container[] => (Array.isArray(v) ? v : []);
  const sidecars = list(spec.initContainers).filter(
    (c) => (c as { restartPolicy?: unknown } | null)?.restartPolicy === "Always",
  );
  for (const c of [...sidecars, ...list(spec.containers)]) {
    if (!c || typeof c.name !== "string") continue;
    const raw = c as Container & { startupProbe?: unknown; readinessProbe?: unknown };
    const f = probeError(c, raw.startupProbe, "Startup") ?? probeError(c, raw.readinessProbe, "Readiness");
    if (f) out.push(f);
  }
  memo.set(spec, out);
  return out;
}

function probeError(c: Container, probe: unknown, kind: ProbeFailure["probe"]): ProbeFailure | undefined {
  if (!probe || typeof probe !== "object") return undefined;
  const p = probe as { httpGet?: { port?: unknown }; tcpSocket?: { port?: unknown } };
  const port = (p.httpGet ?? p.tcpSocket)?.port;
  if (typeof port !== "string") return undefined;
  const error = resolveError(c, port);
  return error === undefined ? undefined : { container: c.name, probe: kind, port, error };
}

/** probe.ResolveContainerPort's error for a port given as a string, or undefined. */
function resolveError(c: Container, name: string): string | undefined {
  if (Array.isArray(c.ports) && c.ports.some((p) => p?.name === name)) return undefined;
  // strconv.Atoi: an optional sign, then decimal digits.
  if (!/^[+-]?[0-9]+$/.test(name)) return `strconv.Atoi: parsing ${JSON.stringify(name)}: invalid syntax`;
  const n = BigInt(name); // Go's int is 64 bits
  if (n > 2n ** 63n - 1n || n < -(2n ** 63n))
    return `strconv.Atoi: parsing ${JSON.stringify(name)}: value out of range`;
  return n > 0n && n < 65536n ? undefined : `invalid port number: ${n}`;
}

/** The event kubelet records for a probe that errored (prober.go probe). */
export function probeEventText(f: ProbeFailure): string {
  return `${f.probe} probe errored and resulted in unknown state: ${f.error}`;
}

/**
 * The index in spec.initContainers of the sidecar whose startup probe errors, or -1: kubelet
 * starts the next init container, and the containers, only once a restartable init
 * container has started (https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/),
 * so the pod stays initializing there.
 */
export function blockingSidecar(spec: PodSpec, failures: readonly ProbeFailure[] | undefined): number {
  if (!failures?.length || !Array.isArray(spec.initContainers)) return -1;
  const inits = spec.initContainers as (Container & { restartPolicy?: unknown })[];
  for (const f of failures) {
    if (f.probe !== "Startup") continue;
    const i = inits.findIndex((c) => c?.name === f.container && c.restartPolicy === "Always");
    if (i >= 0) return i;
  }
  return -1;
}
