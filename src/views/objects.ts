// ClusterState → Kubernetes-shaped objects, as `kubectl get -o yaml|json` prints them.

import { blockingSidecar } from "../control/probes.js";
import { stringify } from "yaml";
import type { ClusterState, EndpointSliceState, NodeState, PodState, ServiceState } from "../control/state.js";
import { randomSuffix, sha256Hex } from "../control/hash.js";
import type { Container, KubeObject, Labels, PodSpec, Toleration } from "../manifest/types.js";
import { inFull } from "../manifest/documents.js";
import { CONTROLLER, MIRRORING } from "../control/endpoints.js";
import { byKey, nodeInfo, timestamp, type ViewOptions } from "./common.js";
import { configErrorState } from "./env.js";
import { defaultedResources, nodeResources, podQosClass } from "./resources.js";
import { defaultedContainer, defaultedPodSpecFields } from "./api-defaults.js";

type Obj = Record<string, unknown>;

function meta(
  name: string,
  namespace: string | undefined,
  opts: ViewOptions,
  created: number | undefined,
  extra: Obj = {},
): Obj {
  const m: Obj = { name };
  if (namespace !== undefined) m.namespace = namespace;
  m.creationTimestamp = timestamp(opts, created);
  return { ...m, ...extra };
}

function nonEmpty(o: Record<string, string> | null | undefined): Record<string, string> | undefined {
  return o && Object.keys(o).length > 0 ? o : undefined;
}

/** The metadata an object was given with (state.objects, the desired objects): what the
 *  state's own records leave out (annotations, a policy's labels). */
export function givenMetadata(
  state: ClusterState,
  kind: string,
  namespace: string | undefined,
  name: string,
): KubeObject["metadata"] | undefined {
  return findGiven(state, kind, namespace, name)?.metadata;
}

/** The annotations an object was given with (e.g. the controllers'
 *  endpoints.kubernetes.io/last-change-trigger-time on a dump's Endpoints and slices). */
function givenAnnotations(state: ClusterState, kind: string, namespace: string, name: string) {
  return nonEmpty(givenMetadata(state, kind, namespace, name)?.annotations);
}

/** The object as given (state.objects), when it was. */
export function givenAs(
  state: ClusterState,
  kind: string,
  namespace: string | undefined,
  name: string,
): KubeObject | undefined {
  return findGiven(state, kind, namespace, name);
}

function clean<T>(v: T): T {
  // Drop undefined fields (Go's omitempty) so JSON and YAML agree.
  return JSON.parse(JSON.stringify(v)) as T;
}

/** A distinct container ID per container (containerd's are 64 hex digits). */
export function podContainerID(p: PodState, container: string): string {
  return `containerd://${sha256Hex(`${p.containerID}/${container}`)}`;
}

type RawContainer = Container & { resources?: unknown; restartPolicy?: string };

type TimedToleration = Toleration & { tolerationSeconds?: number };

// DefaultTolerationSeconds admission adds these to every pod.
const DEFAULT_TOLERATIONS: TimedToleration[] = [
  { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
  { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
];

/** The pod's tolerations after the DefaultTolerationSeconds admission plugin: each default
 *  is added only when no toleration already covers its taint, i.e. one with that key or no
 *  key, and effect NoExecute or none (kubernetes plugin/pkg/admission/defaulttolerationseconds/admission.go). */
export function withDefaultTolerations(given: TimedToleration[]): TimedToleration[] {
  const covers = (t: TimedToleration, key: string | undefined) =>
    (t.key === key || !t.key) && (t.effect === "NoExecute" || !t.effect);
  return [...given, ...DEFAULT_TOLERATIONS.filter((d) => !given.some((t) => covers(t, d.key)))];
}

/**
 * Whether kubelet reports the container ready: the pod runs and is ready, or only other
 * containers' probes keep it from being so (PodState.probeFailures).
 */
export function containerReady(p: PodState, name: string): boolean {
  const failing = p.probeFailures;
  const blocked = blockingSidecar(p.spec, failing);
  if (blocked >= 0) {
    // Initializing at a sidecar whose startup probe errors: the sidecars before it run.
    const inits = (p.spec.initContainers ?? []) as RawContainer[];
    const i = inits.findIndex((c) => c?.name === name);
    return i >= 0 && i < blocked && inits[i].restartPolicy === "Always" && !failing!.some((f) => f.container === name);
  }
  if (p.phase !== "Running") return false;
  if (p.ready) return true;
  return failing !== undefined && failing.length > 0 && !failing.some((f) => f.container === name);
}

/** Whether kubelet counts the container started: running, and its startup probe has not errored. */
function containerStarted(p: PodState, name: string, running: boolean): boolean {
  return running && !p.probeFailures?.some((f) => f.container === name && f.probe === "Startup");
}

/** The restartable init containers (sidecars), which kubectl counts among a pod's containers. */
export function sidecarsOf(p: PodState): RawContainer[] {
  return ((p.spec.initContainers ?? []) as RawContainer[]).filter((c) => c?.restartPolicy === "Always");
}

/** The pod's status as the model has it (kubelet's containerStatuses per phase). */
function modelPodStatus(p: PodState, t: string): Obj {
  const scheduled = p.nodeName !== null;
  const running = p.phase === "Running";
  const done = p.phase === "Succeeded" || p.phase === "Failed";
  const cond = (type: string, ok: boolean, extra: Obj = {}) => ({
    lastTransitionTime: t,
    status: ok ? "True" : "False",
    type,
    ...extra,
  });
  const inits = (p.spec.initContainers ?? []) as RawContainer[];
  const initialized = running || done;
  // Initializing at a sidecar whose startup probe errors (control/probes.ts blockingSidecar).
  const blocked = blockingSidecar(p.spec, p.probeFailures);
  const sidecar = (c: RawContainer) => c?.restartPolicy === "Always";
  // GenerateContainersReadyCondition and GenerateInitializedCondition
  // (pkg/kubelet/status/generate.go): the containers by name, Go's %s of a []string.
  const names = (l: RawContainer[]) => `[${l.map((c) => c.name).join(" ")}]`;
  const unreadyList = [...inits.filter(sidecar), ...p.spec.containers].filter((c) => !containerReady(p, c.name));
  const unready =
    p.probeFailures?.length && unreadyList.length
      ? { message: `containers with unready status: ${names(unreadyList)}`, reason: "ContainersNotReady" }
      : {};
  const incomplete = blocked >= 0 ? inits.slice(blocked) : [];
  const conditions = scheduled
    ? [
        cond("PodReadyToStartContainers", running || blocked >= 0),
        cond(
          "Initialized",
          initialized || inits.length === 0,
          incomplete.length
            ? { message: `containers with incomplete status: ${names(incomplete)}`, reason: "ContainersNotInitialized" }
            : {},
        ),
        cond("Ready", p.ready && running, unready),
        cond("ContainersReady", p.ready && running, unready),
        cond("PodScheduled", true),
      ]
    : [cond("PodScheduled", false, { message: p.message, reason: p.reason ?? "Unschedulable" })];
  const status: Obj = { conditions, phase: p.phase };
  if (p.hostIP) {
    status.hostIP = p.hostIP;
    status.hostIPs = [{ ip: p.hostIP }];
  }
  if (p.podIP) {
    status.podIP = p.podIP;
    status.podIPs = [{ ip: p.podIP }];
  }
  status.qosClass = podQosClass(p.spec as never);
  if (!scheduled) return status;
  status.startTime = t;
  // kubelet_pods.go convertToAPIContainerStatuses: a running pod's init containers have
  // completed; before that, containers wait (PodInitializing behind init containers).
  const waiting = inits.length ? "PodInitializing" : "ContainerCreating";
  const containerState = (): Obj => {
    if (running) return { running: { startedAt: t } };
    if (done) {
      const ok = p.phase === "Succeeded";
      return {
        terminated: { exitCode: ok ? 0 : 1, finishedAt: t, reason: ok ? "Completed" : "Error", startedAt: t },
      };
    }
    return { waiting: { reason: waiting } };
  };
  // An init container ran (completed, or runs on as a sidecar) when the pod got past it.
  const ran = (i: number) => initialized || (blocked >= 0 && i <= blocked);
  if (inits.length)
    status.initContainerStatuses = inits.map((c, i) => ({
      containerID: ran(i) ? podContainerID(p, c.name) : undefined,
      image: c.image,
      name: c.name,
      ready: sidecar(c) ? containerReady(p, c.name) : ran(i),
      restartCount: 0,
      started: sidecar(c) && ran(i) && !done ? containerStarted(p, c.name, true) : false,
      state:
        configErrorState(p, c.name, t) ??
        (!ran(i)
          ? { waiting: { reason: "PodInitializing" } }
          : sidecar(c) && !done
            ? { running: { startedAt: t } }
            : { terminated: { exitCode: 0, finishedAt: t, reason: "Completed", startedAt: t } }),
    }));
  status.containerStatuses = p.spec.containers.map((c) => ({
    containerID: running || done ? podContainerID(p, c.name) : undefined,
    image: c.image,
    name: c.name,
    ready: containerReady(p, c.name),
    restartCount: 0,
    started: containerStarted(p, c.name, running),
    state: configErrorState(p, c.name, t) ?? containerState(),
  }));
  return status;
}

/** The admission plugin's token volume: a bound token (3607 s), the cluster CA from
 *  kube-root-ca.crt, the namespace from the Downward API. */
function apiAccessVolume(p: PodState): Obj & { name: string } {
  return {
    name: `kube-api-access-${randomSuffix(`${p.uid}/kube-api-access`)}`,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
        { configMap: { items: [{ key: "ca.crt", path: "ca.crt" }], name: "kube-root-ca.crt" } },
        {
          downwardAPI: {
            items: [{ fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" }, path: "namespace" }],
          },
        },
      ],
    },
  };
}

export function podObject(state: ClusterState, p: PodState, opts: ViewOptions = {}): Obj {
  // A pod read from a dump left what only the whole pod's views show to be read when asked
  // (its spec and status are the given object's own, filled in place).
  // As the API server returned it: its metadata (creationTimestamp, generateName,
  // resourceVersion, ownerReferences' uids), spec and status were never podnet's to make.
  if (p.observed) {
    const given = findGiven(state, "Pod", p.namespace, p.name);
    if (given) return asGiven(inFull(given));
  }
  const t = timestamp(opts, p.created);
  const extra: Obj = { labels: nonEmpty(p.labels), annotations: nonEmpty(p.annotations), uid: p.uid };
  if (p.owner)
    extra.ownerReferences = [
      {
        apiVersion:
          p.owner.apiVersion ??
          (p.owner.kind === "Job" ? "batch/v1" : p.owner.kind === "ReplicationController" ? "v1" : "apps/v1"),
        blockOwnerDeletion: true,
        controller: true,
        kind: p.owner.kind,
        name: p.owner.name,
      },
    ];
  // The API server's defaults (pkg/apis/core/v1/defaults.go, the ServiceAccount and
  // Priority admission plugins): requests from limits, the "default" service account, the
  // containers' and the spec's scalars, the priority (api-defaults.ts).
  const raw = p.spec as PodSpec & {
    serviceAccountName?: string;
    serviceAccount?: string;
    priority?: number;
    automountServiceAccountToken?: boolean;
  };
  // The ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount/admission.go)
  // adds the projected token volume "kube-api-access-<5>" and mounts it read-only in
  // every container, unless the pod opts out (automountServiceAccountToken: false). A pod
  // read from a live cluster has it already.
  const token = !p.observed && raw.automountServiceAccountToken !== false ? apiAccessVolume(p) : undefined;
  const withDefaults = (c: RawContainer) => {
    const out: RawContainer & { volumeMounts?: unknown[] } = defaultedContainer(
      c.resources ? { ...c, resources: defaultedResources(c as never) as Container["resources"] } : c,
      raw.hostNetwork === true,
    );
    if (token)
      out.volumeMounts = [
        ...((c as { volumeMounts?: unknown[] }).volumeMounts ?? []),
        { mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", name: token.name, readOnly: true },
      ];
    return out;
  };
  const spec: Obj = { ...raw, containers: raw.containers.map(withDefaults) };
  if (raw.initContainers) spec.initContainers = raw.initContainers.map(withDefaults);
  if (token) spec.volumes = [...((raw as { volumes?: unknown[] }).volumes ?? []), token];
  if (p.nodeName) spec.nodeName = p.nodeName;
  // A pod podnet made went through admission: DefaultTolerationSeconds added its two.
  spec.tolerations = withDefaultTolerations((raw.tolerations ?? []) as TimedToleration[]);
  spec.dnsPolicy = raw.dnsPolicy ?? "ClusterFirst";
  defaultedPodSpecFields(spec);
  const sa = raw.serviceAccountName || raw.serviceAccount || "default";
  spec.serviceAccountName = sa;
  spec.serviceAccount = sa;
  return clean({
    apiVersion: "v1",
    kind: "Pod",
    metadata: meta(p.name, p.namespace, opts, p.created, extra),
    spec,
    // A pod read from a live cluster: its status as observed.
    status: p.observed && p.status ? p.status : modelPodStatus(p, t),
  });
}

// The objects as given (state.objects) by kind/namespace/name; a change makes a new state.
const givenIndex = new WeakMap<ClusterState, Map<string, KubeObject>>();

/** The first object given as kind/namespace/name (any namespace when undefined); indexed once per state. */
function findGiven(state: ClusterState, kind: string, namespace: string | undefined, name: string) {
  let index = givenIndex.get(state);
  if (!index) {
    index = new Map();
    for (const o of state.objects ?? []) {
      for (const key of [
        `${o.kind}/${o.metadata.namespace ?? "default"}/${o.metadata.name}`,
        `${o.kind}//${o.metadata.name}`,
      ])
        if (!index.has(key)) index.set(key, o);
    }
    givenIndex.set(state, index);
  }
  return index.get(`${kind}/${namespace ?? ""}/${name}`);
}

/**
 * The creationTimestamp of an object read from a live cluster (one the API server stamped:
 * it has a uid or resourceVersion), kept as given; a manifest's gets the model's.
 */
function givenCreated(given: KubeObject | undefined): Obj {
  const m = given?.metadata as { creationTimestamp?: unknown; uid?: unknown; resourceVersion?: unknown } | undefined;
  const t = m?.creationTimestamp;
  return typeof t === "string" && (m?.uid || m?.resourceVersion) ? { creationTimestamp: t } : {};
}

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ipMode?: string;
}

/**
 * status.loadBalancer.ingress: as the cluster gave it (an EKS load balancer has a hostname
 * and no ip), else the addresses podnet assigned. The API server defaults ipMode to VIP
 * only where ip is set (kubernetes/kubernetes pkg/apis/core/v1/defaults.go SetDefaults_Service).
 */
export function loadBalancerIngress(state: ClusterState, s: ServiceState): LoadBalancerIngress[] {
  const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
  const given = (findGiven(state, "Service", s.namespace, s.name)?.status as Obj | undefined)?.loadBalancer as
    | { ingress?: unknown }
    | undefined;
  const list = Array.isArray(given?.ingress) ? (given.ingress as Obj[]) : [];
  const out: LoadBalancerIngress[] = [];
  for (const i of list) {
    if (!i || typeof i !== "object") continue;
    const ip = str(i.ip);
    const hostname = str(i.hostname);
    if (ip || hostname) out.push({ ip, hostname, ipMode: str(i.ipMode) ?? (ip ? "VIP" : undefined) });
  }
  if (out.length) return out;
  return s.loadBalancerIPs.map((ip) => ({ ip, ipMode: "VIP" }));
}

/** status.loadBalancer.ingress as kubectl and ingress-nginx print it: each entry's IP, else its hostname. */
export function loadBalancerAddresses(state: ClusterState, s: ServiceState): string[] {
  return loadBalancerIngress(state, s)
    .map((i) => i.ip || i.hostname || "")
    .filter(Boolean);
}

export function serviceObject(state: ClusterState, s: ServiceState, opts: ViewOptions = {}): Obj {
  const given = findGiven(state, "Service", s.namespace, s.name);
  const annotations = nonEmpty(given?.metadata.annotations);
  const spec: Obj = {};
  if (s.allocateLoadBalancerNodePorts !== undefined)
    spec.allocateLoadBalancerNodePorts = s.allocateLoadBalancerNodePorts;
  if (s.type !== "ExternalName" && s.clusterIP) {
    spec.clusterIP = s.clusterIP;
    spec.clusterIPs = [s.clusterIP];
  }
  // A dual-stack Service read from a cluster: its families as given (podnet models the IPv4 one).
  const g = given?.spec as {
    clusterIP?: string;
    clusterIPs?: unknown[];
    ipFamilies?: unknown;
    ipFamilyPolicy?: unknown;
  };
  const givenIPs = Array.isArray(g?.clusterIPs) ? g.clusterIPs : [];
  const dual = givenIPs.length > 1 && givenIPs.includes(s.clusterIP);
  if (s.externalIPs.length) spec.externalIPs = s.externalIPs;
  if (s.externalName) spec.externalName = s.externalName;
  if (s.type === "NodePort" || s.type === "LoadBalancer") spec.externalTrafficPolicy = s.externalTrafficPolicy;
  if (s.healthCheckNodePort) spec.healthCheckNodePort = s.healthCheckNodePort;
  if (s.type !== "ExternalName") {
    spec.internalTrafficPolicy = s.internalTrafficPolicy;
    spec.ipFamilies = ["IPv4"];
    spec.ipFamilyPolicy = "SingleStack";
    if (dual) {
      spec.clusterIP = g.clusterIP ?? givenIPs[0];
      spec.clusterIPs = givenIPs;
      if (Array.isArray(g.ipFamilies)) spec.ipFamilies = g.ipFamilies;
      if (typeof g.ipFamilyPolicy === "string") spec.ipFamilyPolicy = g.ipFamilyPolicy;
    }
  }
  if (s.loadBalancerClass !== undefined) spec.loadBalancerClass = s.loadBalancerClass;
  if (s.loadBalancerSourceRanges.length) spec.loadBalancerSourceRanges = s.loadBalancerSourceRanges;
  if (s.ports.length)
    spec.ports = s.ports.map((p) => ({
      appProtocol: p.appProtocol,
      name: p.name,
      nodePort: p.nodePort,
      port: p.port,
      protocol: p.protocol,
      targetPort: p.targetPort,
    }));
  if (s.publishNotReadyAddresses) spec.publishNotReadyAddresses = true;
  if (s.selector) spec.selector = s.selector;
  spec.sessionAffinity = s.sessionAffinity;
  if (s.sessionAffinity === "ClientIP")
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: s.sessionAffinityTimeout } };
  if (s.trafficDistribution !== undefined) spec.trafficDistribution = s.trafficDistribution;
  spec.type = s.type;
  const ingress = loadBalancerIngress(state, s);
  const status = { loadBalancer: ingress.length ? { ingress } : {} };
  return clean({
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(s.name, s.namespace, opts, s.created, {
      annotations,
      labels: nonEmpty(s.labels),
      uid: s.uid,
      ...givenCreated(given),
    }),
    spec,
    status,
  });
}

/** The v1 Endpoints object the endpoints controller keeps beside the slices
 *  (kubernetes/kubernetes pkg/controller/endpoint/endpoints_controller.go syncService):
 *  each pod adds one subset per Service port it resolves (a named targetPort it lacks
 *  leaves it out of that port only; with no port at all it is absent, except from a
 *  headless Service without ports); ready pods (or all, publishNotReadyAddresses) in
 *  `addresses`, the rest in `notReadyAddresses`; terminating pods left out unless
 *  publishNotReadyAddresses. Then RepackSubsets (pkg/api/v1/endpoints/util.go): ports
 *  whose sets of addresses (with readiness) are equal share one subset, addresses sorted by
 *  IP. Upstream orders subsets and ports by an md5 of their dump; podnet keeps the
 *  Service's port order and the order subsets first appear. */
export interface EndpointsView {
  namespace: string;
  name: string;
  labels: Labels;
  created: number;
  subsets: {
    addresses: { ip: string; hostname?: string; nodeName?: string; targetRef?: unknown }[];
    notReadyAddresses: { ip: string; hostname?: string; nodeName?: string; targetRef?: unknown }[];
    ports: { name?: string; port: number; protocol: string }[];
  }[];
}

type EpAddress = EndpointsView["subsets"][number]["addresses"][number];
type EpPort = EndpointsView["subsets"][number]["ports"][number];

export function endpointsFor(state: ClusterState, svc: ServiceState): EndpointsView {
  const slices = state.endpointSlices.filter((s) => s.namespace === svc.namespace && s.serviceName === svc.name);
  // The controller's view of each port: its addresses with their readiness.
  const byPort = new Map<string, { port: EpPort; addrs: Map<string, { a: EpAddress; ready: boolean }> }>();
  const portless = svc.ports.length === 0 && svc.clusterIP === "None";
  for (const sl of slices) {
    if (sl.addressType === "FQDN") continue;
    // Slices the controller made hold every pod, also those that resolve none of the ports.
    if (sl.ports.length === 0 && sl.managedBy === CONTROLLER && !portless) continue;
    const ports: EpPort[] = sl.ports.length
      ? sl.ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol }))
      : [{ port: -1, protocol: "" }]; // RepackSubsets' sentinel for addresses without ports
    for (const ep of sl.endpoints) {
      if (ep.conditions.terminating && !svc.publishNotReadyAddresses) continue;
      const ready = svc.publishNotReadyAddresses || ep.conditions.ready !== false;
      for (const ip of ep.addresses) {
        const a: EpAddress = { ip, hostname: ep.hostname, nodeName: ep.nodeName, targetRef: ep.targetRef };
        const uid = (ep.targetRef as { uid?: string } | undefined)?.uid ?? "";
        for (const port of ports) {
          const pk = `${port.name ?? ""}\u0000${port.port}\u0000${port.protocol}`;
          let e = byPort.get(pk);
          if (!e) byPort.set(pk, (e = { port, addrs: new Map() }));
          e.addrs.set(`${ip}\u0000${uid}`, { a, ready });
        }
      }
    }
  }
  // Ports with the same addresses (and readiness) share a subset.
  const groups = new Map<string, EndpointsView["subsets"][number]>();
  const cmp = byKey((a: { ip: string }) => a.ip);
  for (const { port, addrs } of byPort.values()) {
    const key = [...addrs]
      .map(([k, v]) => `${k}\u0000${+v.ready}`)
      .sort()
      .join("\u0001");
    let g = groups.get(key);
    if (!g) {
      g = { addresses: [], notReadyAddresses: [], ports: [] };
      for (const { a, ready } of addrs.values()) (ready ? g.addresses : g.notReadyAddresses).push(a);
      g.addresses.sort(cmp);
      g.notReadyAddresses.sort(cmp);
      groups.set(key, g);
    }
    if (port.port > 0) g.ports.push(port);
  }
  const subsets = [...groups.values()].filter((g) => g.addresses.length + g.notReadyAddresses.length > 0);
  return {
    namespace: svc.namespace,
    name: svc.name,
    labels: endpointsLabels(state, svc),
    created: svc.created,
    subsets,
  };
}

const HEADLESS = "service.kubernetes.io/headless";
const APISERVER = "kube-apiserver";
const SERVICE_NAME = "kubernetes.io/service-name";
const MANAGED_BY = "endpointslice.kubernetes.io/managed-by";

const servicesByName = new WeakMap<ServiceState[], Map<string, ServiceState>>();
/** The Service ns/name (the first of that name, as the model keeps one). */
export function serviceNamed(state: ClusterState, ns: string, name: string): ServiceState | undefined {
  let m = servicesByName.get(state.services);
  if (!m) {
    m = new Map();
    for (const s of state.services) if (!m.has(`${s.namespace}/${s.name}`)) m.set(`${s.namespace}/${s.name}`, s);
    servicesByName.set(state.services, m);
  }
  return m.get(`${ns}/${name}`);
}

const sortedLabels = (l: Labels): Labels => Object.fromEntries(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : 1)));

/**
 * The labels of a Service's Endpoints as the Endpoints controller writes them: the Service's,
 * with `service.kubernetes.io/headless: ""` exactly when its clusterIP is None (kubernetes
 * pkg/controller/endpoint/endpoints_controller.go syncService). Given Endpoints keep their own.
 */
function endpointsLabels(state: ClusterState, svc: ServiceState): Labels {
  const given = givenMetadata(state, "Endpoints", svc.namespace, svc.name);
  if (given) return given.labels ?? {};
  // default/kubernetes: the apiserver's own, marked so the mirroring controller leaves it
  // (kubernetes pkg/controlplane/reconcilers/endpointsadapter.go).
  if (
    !svc.selector &&
    state.endpointSlices.some(
      (x) => x.managedBy === APISERVER && x.serviceName === svc.name && x.namespace === svc.namespace,
    )
  )
    return { "endpointslice.kubernetes.io/skip-mirror": "true" };
  const out: Labels = { ...svc.labels };
  delete out[HEADLESS];
  if (svc.clusterIP === "None") out[HEADLESS] = "";
  return sortedLabels(out);
}

/**
 * An EndpointSlice's labels. The EndpointSlice controller's: the Service's labels but the
 * two it owns, `service.kubernetes.io/headless: ""` when the Service has no cluster IP, then
 * its service-name and managed-by (kubernetes staging/src/k8s.io/endpointslice/utils.go
 * setEndpointSliceLabels). The mirroring controller's: the Endpoints' labels, then the same two
 * (pkg/controller/endpointslicemirroring/utils.go newEndpointSlice). Given slices keep their own.
 */
export function sliceLabels(state: ClusterState, s: EndpointSliceState): Labels {
  const given = givenMetadata(state, "EndpointSlice", s.namespace, s.name);
  if (given) return given.labels ?? {};
  // The apiserver's slice for default/kubernetes carries its service name only (endpointsadapter.go).
  if (s.managedBy === APISERVER) return { [SERVICE_NAME]: s.serviceName };
  const out: Labels = {};
  const svc = serviceNamed(state, s.namespace, s.serviceName);
  const from =
    s.managedBy === CONTROLLER
      ? svc?.labels
      : s.managedBy === MIRRORING
        ? givenMetadata(state, "Endpoints", s.namespace, s.serviceName)?.labels
        : undefined;
  for (const [k, v] of Object.entries(from ?? {})) if (k !== SERVICE_NAME && k !== MANAGED_BY) out[k] = v;
  if (s.managedBy === CONTROLLER) {
    delete out[HEADLESS];
    if (svc && (!svc.clusterIP || svc.clusterIP === "None")) out[HEADLESS] = "";
  }
  out[SERVICE_NAME] = s.serviceName;
  out[MANAGED_BY] = s.managedBy;
  return sortedLabels(out);
}

/** Services that have an Endpoints object: those with a selector (the controller's)
 *  and those whose endpoints were given. */
export function endpointsList(state: ClusterState): EndpointsView[] {
  return state.services
    .filter(
      (s) =>
        s.selector !== null ||
        state.endpointSlices.some((e) => e.namespace === s.namespace && e.serviceName === s.name),
    )
    .map((s) => endpointsFor(state, s));
}

export function endpointsObject(_state: ClusterState, e: EndpointsView, opts: ViewOptions = {}): Obj {
  return clean({
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: meta(e.name, e.namespace, opts, e.created, {
      labels: nonEmpty(e.labels),
      annotations: givenAnnotations(_state, "Endpoints", e.namespace, e.name),
    }),
    subsets: e.subsets.length
      ? e.subsets.map((s) => ({
          addresses: s.addresses.length ? s.addresses : undefined,
          notReadyAddresses: s.notReadyAddresses.length ? s.notReadyAddresses : undefined,
          ports: s.ports,
        }))
      : undefined,
  });
}

export function endpointSliceObject(state: ClusterState, s: EndpointSliceState, opts: ViewOptions = {}): Obj {
  const svc = serviceNamed(state, s.namespace, s.serviceName);
  return clean({
    addressType: s.addressType,
    apiVersion: "discovery.k8s.io/v1",
    endpoints: s.endpoints,
    kind: "EndpointSlice",
    metadata: meta(s.name, s.namespace, opts, svc?.created, {
      generateName: s.managedBy === CONTROLLER ? `${s.serviceName}-` : undefined,
      labels: sliceLabels(state, s),
      annotations: givenAnnotations(state, "EndpointSlice", s.namespace, s.name),
    }),
    ports: s.ports,
  });
}

export function nodeObject(_state: ClusterState, n: NodeState, opts: ViewOptions = {}): Obj {
  const info = nodeInfo(opts);
  const t = timestamp(opts, 0);
  const o = n.observed;
  if (o) {
    // As the cluster returned it: its capacity, allocatable and the rest are its own.
    const given = findGiven(_state, "Node", undefined, n.name);
    if (given) return asGiven(inFull(given));
    // A Node read from a live cluster: what its status said, where the state kept it.
    const obj = nodeObject(_state, { ...n, observed: undefined }, opts);
    const meta = obj.metadata as Obj;
    const status = obj.status as Obj;
    if (o.created) meta.creationTimestamp = o.created;
    if (o.addresses) status.addresses = o.addresses;
    if (o.conditions) status.conditions = o.conditions;
    if (o.nodeInfo) status.nodeInfo = o.nodeInfo;
    return obj;
  }
  const res = nodeResources(n);
  return clean({
    apiVersion: "v1",
    kind: "Node",
    metadata: meta(n.name, undefined, opts, 0, {
      annotations: nonEmpty(givenMetadata(_state, "Node", undefined, n.name)?.annotations),
      labels: nonEmpty(n.labels),
    }),
    spec: { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR], taints: n.taints.length ? n.taints : undefined },
    status: {
      addresses: [
        { address: n.address, type: "InternalIP" },
        { address: n.name, type: "Hostname" },
      ],
      allocatable: res.allocatable,
      capacity: res.capacity,
      conditions: [
        {
          lastTransitionTime: t,
          message: "kubelet is posting ready status",
          reason: "KubeletReady",
          status: "True",
          type: "Ready",
        },
      ],
      nodeInfo: {
        architecture: info.architecture,
        containerRuntimeVersion: info.containerRuntimeVersion,
        kernelVersion: info.kernelVersion,
        kubeProxyVersion: info.kubeletVersion,
        kubeletVersion: info.kubeletVersion,
        operatingSystem: info.operatingSystem,
        osImage: info.osImage,
      },
    },
  });
}

export function namespaceObject(
  _state: ClusterState,
  n: { name: string; labels: Labels },
  opts: ViewOptions = {},
): Obj {
  return clean({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: meta(n.name, undefined, opts, 0, {
      annotations: nonEmpty(givenMetadata(_state, "Namespace", undefined, n.name)?.annotations),
      labels: { "kubernetes.io/metadata.name": n.name, ...n.labels },
      ...givenCreated(findGiven(_state, "Namespace", undefined, n.name)),
    }),
    spec: { finalizers: ["kubernetes"] },
    status: { phase: "Active" },
  });
}

/** An object read from a live cluster, printed as it was read (without podnet's `source`). */
function asGiven(o: KubeObject): Obj {
  const { source: _source, ...rest } = o;
  void _source;
  return clean(rest);
}

/** Objects kept as given (NetworkPolicy, Ingress, workloads): strip podnet's `source`. */
export function givenObject(o: KubeObject, namespace: string | undefined, opts: ViewOptions = {}): Obj {
  const { source: _source, ...rest } = o;
  void _source;
  return clean({
    ...rest,
    metadata: {
      ...o.metadata,
      ...(namespace !== undefined ? { namespace } : {}),
      creationTimestamp: timestamp(opts, 0),
      ...givenCreated(o),
    },
  });
}

/** kubectl's List wrapper for more than one object (and for `get` without a NAME). */
export function listObject(items: Obj[]): Obj {
  return { apiVersion: "v1", items, kind: "List", metadata: { resourceVersion: "" } };
}

/** kubectl -o yaml: keys sorted (it goes through JSON maps), sequences not indented,
 *  YAML 1.1 quoting (go-yaml v2 quotes timestamps, "y", "on" …),
 *  no line folding (sigs.k8s.io/yaml). */
export function toYaml(o: unknown): string {
  return stringify(o, { version: "1.1", indentSeq: false, sortMapEntries: true, lineWidth: 0, minContentWidth: 0 });
}

/** kubectl -o json: json.MarshalIndent with four spaces; kubectl holds the objects as
 *  unstructured maps, so keys come out sorted. */
export function toJson(o: unknown): string {
  return JSON.stringify(sortKeys(o), null, 4) + "\n";
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}
