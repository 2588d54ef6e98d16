// EndpointSlices as kube-controller-manager's endpointslice controller writes them
// (managed-by endpointslice-controller.k8s.io), plus the user's own slices and v1
// Endpoints (mirrored to slices for Services without a selector).
//  - one slice per address type and per set of resolved ports: a named targetPort is
//    resolved per pod (podutil.FindPort: container port with that name and protocol);
//    a pod without it is not an endpoint of that port, so pods are grouped by their
//    resolved port set, as the controller does;
//  - at most 100 endpoints per slice (--max-endpoints-per-slice);
//  - conditions (podToEndpoint, staging/src/k8s.io/endpointslice/utils.go): serving = the
//    pod is ready, terminating = being deleted, ready = publishNotReadyAddresses ||
//    (serving && !terminating);
//  - hostname when the pod has spec.hostname and spec.subdomain == the Service's name;
//  - pods without an IP are not endpoints; a Service whose selector matches nothing gets
//    one empty placeholder slice, like the controller's.
import type { Mapping } from "../manifest/diag.js";
import type { Endpoint, EndpointPort, KubeObject, PodSpec, Protocol } from "../manifest/types.js";
import { randomSuffix } from "./hash.js";
import { NO_HINTS_TEXT, autoZoneHints, cpuRatiosByZone, type NoHints } from "./topology-cache.js";
import type { EndpointSliceState, NodeState, PodState, ServiceState } from "./state.js";

export const MAX_ENDPOINTS_PER_SLICE = 100;
export const CONTROLLER = "endpointslice-controller.k8s.io";
/** The EndpointSliceMirroring controller's name, on the slices it makes from a selectorless
 *  Service's Endpoints (kubernetes pkg/controller/endpointslicemirroring: controllerName). */
export const MIRRORING = "endpointslicemirroring-controller.k8s.io";

/** Pods indexed by namespace and by label key, then value, in pod order. */
export class PodIndex {
  // Nested maps, not "key=value" strings: a dump's 150,000 pods each have their own labels
  // object, and the keys and values are strings the reader already holds (hashes cached).
  private byNs = new Map<string, { all: PodState[]; byLabel: Map<string, Map<string, PodState[]>> }>();
  constructor(pods: PodState[]) {
    for (const p of pods) {
      let e = this.byNs.get(p.namespace);
      if (!e) this.byNs.set(p.namespace, (e = { all: [], byLabel: new Map() }));
      e.all.push(p);
      for (const k in p.labels) {
        const v = String(p.labels[k]); // as a "key=value" string would hold it
        let byValue = e.byLabel.get(k);
        if (!byValue) e.byLabel.set(k, (byValue = new Map()));
        const l = byValue.get(v);
        if (l) l.push(p);
        else byValue.set(v, [p]);
      }
    }
  }
  select(namespace: string, selector: Record<string, string>): PodState[] {
    const e = this.byNs.get(namespace);
    if (!e) return [];
    const keys = Object.keys(selector);
    if (keys.length === 0) return [];
    let best: PodState[] | undefined;
    for (const k of keys) {
      const l = e.byLabel.get(k)?.get(String(selector[k]));
      if (!l) return [];
      if (!best || l.length < best.length) best = l;
    }
    if (keys.length === 1) return best!;
    return best!.filter((p) => keys.every((k) => p.labels[k] === selector[k]));
  }
}

/** One hints object per zone (per node and zone), shared (state is read-only); emptied when
 *  it outgrows any one cluster (a long-running `podnet ui` sees many clusters' nodes). */
const HINTS = new Map<string, NonNullable<Endpoint["hints"]>>();
const MAX_HINTS = 20_000;
/**
 * The hints of a trafficDistribution (kubernetes staging/src/k8s.io/endpointslice/trafficdist/
 * trafficdist.go, v1.34): PreferSameZone and PreferClose (its older name) hint an endpoint
 * for its own zone; PreferSameNode for its own node as well, so that kube-proxy falls back
 * to the zone on a node without an endpoint (preferSameNodeHeuristic).
 */
function zoneHints(zone: string): NonNullable<Endpoint["hints"]> {
  if (HINTS.size > MAX_HINTS) HINTS.clear();
  let h = HINTS.get(zone);
  if (!h) HINTS.set(zone, (h = { forZones: [{ name: zone }] }));
  return h;
}
function nodeHints(node: string, zone: string | undefined): NonNullable<Endpoint["hints"]> {
  const key = `${node}\n${zone ?? ""}`;
  if (HINTS.size > MAX_HINTS) HINTS.clear();
  let h = HINTS.get(key);
  if (!h)
    HINTS.set(
      key,
      (h = zone ? { forZones: [{ name: zone }], forNodes: [{ name: node }] } : { forNodes: [{ name: node }] }),
    );
  return h;
}

/** The eight combinations, shared (state is read-only). */
const COND: Endpoint["conditions"][] = [];
function cond(ready: boolean, serving: boolean, terminating: boolean): Endpoint["conditions"] {
  if (typeof serving !== "boolean" || typeof terminating !== "boolean") return { ready, serving, terminating };
  const k = (+ready << 2) | (+serving << 1) | +terminating;
  return (COND[k] ??= { ready, serving, terminating });
}

/** podutil.FindPort (kubernetes/kubernetes pkg/api/v1/pod/util.go): the container port
 *  named `name` with the Service port's protocol, in the containers, then in the sidecars
 *  (init containers with restartPolicy Always). */
export function findPort(pod: PodState, name: string, protocol: Protocol): number | undefined {
  for (const c of pod.spec.containers ?? [])
    for (const p of c.ports ?? []) if (p.name === name && (p.protocol ?? "TCP") === protocol) return p.containerPort;
  for (const c of pod.spec.initContainers ?? []) {
    const sidecar: { name: string; restartPolicy?: unknown } = c;
    if (sidecar.restartPolicy !== "Always") continue;
    for (const p of c.ports ?? []) if (p.name === name && (p.protocol ?? "TCP") === protocol) return p.containerPort;
  }
  return undefined;
}

export interface SliceCtx {
  seed: string;
  clock: number;
  nodes: Map<string, NodeState>;
  /** Per-pod parts shared by every slice the pod is in (addresses, targetRef). */
  shared?: WeakMap<PodState, { addresses: string[]; targetRef: NonNullable<Endpoint["targetRef"]> }>;
  /** The topology cache's CPU share per zone (topology-cache.ts), worked out on first use. */
  zoneRatios?: Map<string, number> | NoHints;
}

/** Names slices `<service>-<5 chars>`, reusing the Service's previous slice names first. */
export class SliceNamer {
  private taken = new Set<string>();
  constructor(
    private ctx: SliceCtx,
    all: Iterable<EndpointSliceState>,
  ) {
    for (const s of all) this.taken.add(`${s.namespace}/${s.name}`);
  }
  reserve(ns: string, name: string): void {
    this.taken.add(`${ns}/${name}`);
  }
  fresh(ns: string, base: string): string {
    for (let n = 0; ; n++) {
      const name = `${base}-${randomSuffix(`${this.ctx.seed}/slice/${ns}/${base}/${this.ctx.clock}/${n}`)}`;
      if (!this.taken.has(`${ns}/${name}`)) {
        this.taken.add(`${ns}/${name}`);
        return name;
      }
    }
  }
}

/** The controller's slices for one Service with a selector, plus warnings. */
export function slicesForService(
  ctx: SliceCtx,
  svc: ServiceState,
  selected: PodState[],
  prevNames: string[],
  namer: SliceNamer,
  warn: (field: string, msg: string) => void,
): EndpointSliceState[] {
  const groups = new Map<string, { ports: EndpointPort[]; endpoints: Endpoint[] }>();
  const named = svc.ports.map((p) => typeof p.targetPort === "string");
  const namedHits = svc.ports.map(() => 0);
  let considered = 0;
  // Ports resolve the same for every pod of one template: cache by the (shared) spec.
  const bySpec = new Map<PodSpec, { g: { ports: EndpointPort[]; endpoints: Endpoint[] }; nums: number[] }>();
  const anyNamed = named.some((x) => x);
  // trafficdist.ReconcileHints applies only when the topology annotation does not ask for
  // the topology cache's hints (endpointslice reconciler.go, v1.31).
  const td = svc.topologyAuto ? undefined : svc.trafficDistribution;
  const sameZone = td === "PreferClose" || td === "PreferSameZone";
  const sameNode = td === "PreferSameNode";
  for (const pod of selected) {
    considered++;
    let c = bySpec.get(pod.spec);
    if (!c) {
      const portNums: number[] = [];
      let key = "";
      for (let i = 0; i < svc.ports.length; i++) {
        const sp = svc.ports[i];
        let num: number | undefined;
        if (named[i]) num = findPort(pod, sp.targetPort as string, sp.protocol);
        else num = sp.targetPort as number;
        portNums.push(num ?? -1);
        if (anyNamed) key += (num ?? "-") + ",";
      }
      let g = groups.get(key);
      if (!g) {
        const ports: EndpointPort[] = [];
        svc.ports.forEach((sp, i) => {
          if (portNums[i] < 0) return;
          const ep: EndpointPort = { name: sp.name ?? "", port: portNums[i], protocol: sp.protocol };
          if (sp.appProtocol !== undefined) ep.appProtocol = sp.appProtocol;
          ports.push(ep);
        });
        groups.set(key, (g = { ports, endpoints: [] }));
      }
      bySpec.set(pod.spec, (c = { g, nums: portNums }));
    }
    const g = c.g;
    if (anyNamed) for (let i = 0; i < c.nums.length; i++) if (named[i] && c.nums[i] >= 0) namedHits[i]++;
    // ShouldPodBeInEndpoints (kubernetes/kubernetes staging/src/k8s.io/endpointslice/util):
    // an address and not terminal; a Pending pod with a sandbox is a not-ready endpoint.
    if (!pod.podIP || pod.phase === "Succeeded" || pod.phase === "Failed") continue;
    // serving is the pod's readiness alone: publishNotReadyAddresses sets only ready.
    const serving = pod.ready;
    const terminating = pod.terminating;
    const ready = svc.publishNotReadyAddresses || (serving && !terminating);
    let sh = ctx.shared?.get(pod);
    if (!sh) {
      sh = {
        addresses: [pod.podIP],
        targetRef: { kind: "Pod", namespace: pod.namespace, name: pod.name, uid: pod.uid },
      };
      ctx.shared?.set(pod, sh);
    }
    const e: Endpoint = {
      addresses: sh.addresses,
      conditions: cond(ready, serving, terminating),
      targetRef: sh.targetRef,
    };
    if (pod.spec.hostname && pod.spec.subdomain === svc.name) e.hostname = pod.spec.hostname;
    if (pod.nodeName) {
      e.nodeName = pod.nodeName;
      const zone = ctx.nodes.get(pod.nodeName)?.labels["topology.kubernetes.io/zone"];
      if (zone) {
        e.zone = zone;
        if (sameZone) e.hints = zoneHints(zone);
      }
      if (sameNode) e.hints = nodeHints(pod.nodeName, zone);
    }
    g.endpoints.push(e);
  }
  if (svc.topologyAuto) {
    const hints = autoZoneHints(
      (ctx.zoneRatios ??= cpuRatiosByZone([...ctx.nodes.values()])),
      [...groups.values()].flatMap((g) => g.endpoints),
    );
    if (typeof hints === "string")
      warn(
        "metadata.annotations",
        `topology-mode Auto: the EndpointSlice controller adds no zone hints, as ${NO_HINTS_TEXT[hints]}: kube-proxy sends to every ready endpoint`,
      );
    else for (const [e, zone] of hints) e.hints = zoneHints(zone);
  }
  if (considered > 0)
    svc.ports.forEach((sp, i) => {
      if (named[i] && namedHits[i] === 0)
        warn(
          `spec.ports[${i}].targetPort`,
          `${JSON.stringify(sp.targetPort)} is not the name of a ${sp.protocol} container port in any of the ${considered} selected pod(s): the port gets no endpoints`,
        );
    });

  const out: EndpointSliceState[] = [];
  let reuse = 0;
  const nameNext = () => (reuse < prevNames.length ? prevNames[reuse++] : namer.fresh(svc.namespace, svc.name));
  for (const g of groups.values()) {
    for (let i = 0; i < g.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) {
      out.push({
        namespace: svc.namespace,
        name: nameNext(),
        serviceName: svc.name,
        addressType: "IPv4",
        ports: g.ports,
        endpoints:
          g.endpoints.length <= MAX_ENDPOINTS_PER_SLICE
            ? g.endpoints
            : g.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE),
        managedBy: CONTROLLER,
      });
    }
  }
  if (out.length === 0)
    out.push({
      namespace: svc.namespace,
      name: nameNext(),
      serviceName: svc.name,
      addressType: "IPv4",
      ports: [],
      endpoints: [],
      managedBy: CONTROLLER,
    });
  return out;
}

function toPort(p: Mapping): EndpointPort {
  const ep: EndpointPort = { name: p.name ?? "", port: p.port, protocol: p.protocol ?? "TCP" };
  if (p.appProtocol !== undefined) ep.appProtocol = p.appProtocol;
  return ep;
}

/** A user's EndpointSlice, used as given. */
export function givenSlice(o: KubeObject): EndpointSliceState {
  const labels = o.metadata.labels ?? {};
  return {
    namespace: o.metadata.namespace ?? "default",
    name: o.metadata.name,
    serviceName: labels["kubernetes.io/service-name"] ?? "",
    addressType: o.addressType ?? "IPv4",
    ports: (o.ports ?? []).map(toPort),
    endpoints: (o.endpoints ?? []).map(givenEndpoint),
    managedBy: labels["endpointslice.kubernetes.io/managed-by"] ?? "user",
  };
}

/**
 * A given endpoint as the state holds it. Its addresses and targetRef are the given values
 * themselves and its conditions one of eight shared objects (the state is read-only): a
 * threshold dump has 266,000 endpoints, and copies of these were a tenth of the load's heap.
 * A served one (asGiven) is the given object itself.
 */
function givenEndpoint(e: Mapping): Endpoint {
  const c = e.conditions ?? {};
  // A nil "ready" means unknown, which consumers treat as ready.
  const ready = c.ready !== false;
  const addresses = Array.isArray(e.addresses) ? e.addresses : [];
  const conditions = cond(ready, c.serving ?? ready, c.terminating ?? false);
  // What a served slice's endpoint has, in one literal (the fields below in their order):
  // added one by one, each endpoint also gets a property store of its own.
  if (!e.hostname && e.nodeName && !e.hints && e.targetRef) {
    // The given object itself when it holds just these and its conditions are the shared
    // ones' values (theirs swapped in, equal).
    if (asGiven(e, c, conditions)) {
      e.conditions = conditions;
      return e as Endpoint;
    }
    return e.zone
      ? { addresses, conditions, nodeName: e.nodeName, zone: e.zone, targetRef: e.targetRef }
      : { addresses, conditions, nodeName: e.nodeName, targetRef: e.targetRef };
  }
  const out: Endpoint = { addresses, conditions };
  if (e.hostname) out.hostname = e.hostname;
  if (e.nodeName) out.nodeName = e.nodeName;
  if (e.zone) out.zone = e.zone;
  if (e.hints) out.hints = e.hints;
  if (e.targetRef) out.targetRef = e.targetRef;
  return out;
}

const GIVEN_KEYS = new Set(["addresses", "conditions", "nodeName", "targetRef", "zone"]);
const CONDITION_KEYS = ["ready", "serving", "terminating"];

/**
 * Whether a given endpoint (nodeName and targetRef set) is what givenEndpoint would make of
 * it, once its conditions `c` are swapped for `shared` (their values, in their order): only
 * the keys the literal has, addresses a list, a zone only when it is one.
 */
function asGiven(e: Mapping, c: Mapping, shared: Endpoint["conditions"]): boolean {
  if (!Array.isArray(e.addresses) || e.conditions !== c || ("zone" in e && !e.zone)) return false;
  for (const k in e) if (!GIVEN_KEYS.has(k)) return false;
  let i = 0;
  for (const k in c) {
    if (k !== CONDITION_KEYS[i]) return false;
    const v = c[k];
    if (v !== (shared as Record<string, unknown>)[k]) return false;
    i++;
  }
  return i === 3;
}

/** v1 Endpoints mirrored to slices (one per subset), for a Service without a selector. */
export function mirrorEndpoints(o: KubeObject, namer: SliceNamer, prevNames: string[]): EndpointSliceState[] {
  const ns = o.metadata.namespace ?? "default";
  const out: EndpointSliceState[] = [];
  let reuse = 0;
  for (const sub of o.subsets ?? []) {
    const eps: Endpoint[] = [];
    const add = (a: Mapping, ready: boolean) => {
      const e: Endpoint = { addresses: [a.ip], conditions: cond(ready, ready, false) };
      if (a.hostname) e.hostname = a.hostname;
      if (a.nodeName) e.nodeName = a.nodeName;
      if (a.targetRef) e.targetRef = { ...a.targetRef };
      eps.push(e);
    };
    for (const a of sub.addresses ?? []) add(a, true);
    for (const a of sub.notReadyAddresses ?? []) add(a, false);
    const ports = (sub.ports ?? []).map(toPort);
    for (let i = 0; i < Math.max(eps.length, 1); i += MAX_ENDPOINTS_PER_SLICE) {
      out.push({
        namespace: ns,
        name: reuse < prevNames.length ? prevNames[reuse++] : namer.fresh(ns, o.metadata.name),
        serviceName: o.metadata.name,
        addressType: "IPv4",
        ports,
        endpoints: eps.slice(i, i + MAX_ENDPOINTS_PER_SLICE),
        managedBy: MIRRORING,
      });
    }
  }
  return out;
}
