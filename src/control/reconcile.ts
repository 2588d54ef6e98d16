// The control loop, collapsed into one pure step: given the previous state and the desired
// objects, run the controllers (Deployment → ReplicaSet → pods, StatefulSet, DaemonSet,
// Job), the scheduler, the CNI's IPAM, the Service allocators, the EndpointSlice
// controller, kubelet's resolv.conf/env and the DNS zone, and return the new state plus
// the events that happened. buildState, apply, delete and scale all go through here.
//
// Each phase is a function over a shared ReconcileContext (reconcile-context.ts); the
// phases run in a fixed order because events, seeded names and IP allocation follow it:
//   nodes + IPAM → controllers (controllers.ts) → deletions → Services (services.ts)
//   → new pods: name, schedule, address (new-pods.ts)
//   → kubelet: resolv.conf/env (kubelet.ts) → EndpointSlices (reconcile-slices.ts) → warnings
//   → state + DNS records (dns.ts)
import type { CiliumRule, KubeObject } from "../manifest/types.js";
import { type Desired, type Deletion, desiredPods } from "./controllers.js";
import { computeDnsRecords } from "./dns.js";
import { autoscale, HPA_SOURCE } from "./hpa.js";
import { stableJson } from "./hash.js";
import { ipamFor } from "./ipam.js";
import { announcementEvents } from "./metallb.js";
import { kubeletSetup, retryConfigErrors } from "./kubelet.js";
import { createPods } from "./new-pods.js";
import { applyReadinessFaults, kubeProxySyncedOf } from "./faults.js";
import { computeNodes } from "./nodes.js";
import { CLUSTER_SCOPED, objKey } from "./objects.js";
import { checkObjects, emit, groupByKind, ofKind, type ReconcileContext, unchanged } from "./reconcile-context.js";
import { buildSlices, markChangedEndpoints } from "./reconcile-slices.js";
import type { Scheduler } from "./schedule.js";
import { reconcileServices, type ServicesResult } from "./services.js";
import type {
  AdminPolicyState,
  CalicoNetworkSetState,
  CalicoPolicyState,
  CalicoState,
  CalicoTierState,
  CiliumPolicyState,
  ClusterState,
  KEvent,
  NodeState,
  PodState,
} from "./state.js";
import { CALICO_NETWORK_POLICY, isObj } from "../manifest/diag.js";
import { SYSTEM_NAMESPACES } from "./system.js";

export { objKey, WORKLOAD_KINDS } from "./objects.js";

export interface ReconcileOptions {
  /** Pods the user deleted ("ns/name"). */
  deletePods?: Set<string>;
}

export function reconcile(
  prev: ClusterState,
  objects: KubeObject[],
  opts: ReconcileOptions = {},
): { state: ClusterState; events: KEvent[] } {
  const scaled = autoscale(objects);
  const ctx = newContext(prev, scaled.objects);
  for (const r of scaled.rescales)
    emit(
      ctx,
      "Normal",
      "SuccessfulRescale",
      r.hpa,
      `New size: ${r.size}; reason: ${r.reason}`,
      HPA_SOURCE,
      ctx.svcTime,
    );
  const namespaces = namespacesOf(ctx);
  const sameNs = prev.namespaces.length === namespaces.length && stableJson(prev.namespaces) === stableJson(namespaces);
  const nodesChanged = ctx.nodes.length !== prev.nodes.length || ctx.nodes.some((n, i) => n !== prev.nodes[i]);

  const desired = desiredPods(ctx, opts.deletePods);
  const { deleted, survivors } = deletePods(ctx, desired.toDelete);
  const svc = servicesPhase(ctx);
  const { created, scheduler, warnings: podWarnings } = createPods(ctx, desired.wants, survivors);

  const finished = ctx.ipam.finish(ctx.nodes);
  ctx.nodes = finished.nodes;
  if (ctx.nodes.length === prev.nodes.length && ctx.nodes.every((n, i) => n === prev.nodes[i])) ctx.nodes = prev.nodes;
  const made = deleted.size === 0 && created.length === 0 ? prev.pods : [...survivors, ...created];

  markChangedEndpoints(ctx);
  if (!sameNs || nodesChanged) for (const n of namespaces) ctx.changedNs.add(n.name);
  // kubelet before the slices: a container it cannot configure keeps its pod not ready.
  kubeletSetup(ctx, created, svc.services);
  // Faults that fail readiness (control/faults.ts) act before the EndpointSlice controller.
  const pods = applyReadinessFaults(ctx.config.faults ?? [], retryConfigErrors(ctx, made));
  const { endpointSlices, svcWarnings } = buildSlices(ctx, pods, svc.services);
  const warnings = [...warningsOf(ctx.nodes, desired, svcWarnings, scheduler), ...podWarnings];
  const cnps = ciliumPolicies(ctx);
  if (cnps.ciliumPolicies && ctx.config.networking.cni !== "cilium")
    warnings.push(
      `${cnps.ciliumPolicies.length} Cilium polic${cnps.ciliumPolicies.length === 1 ? "y" : "ies"} (CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy) ignored: the cluster's CNI is ${ctx.config.networking.cni}, and only Cilium enforces them`,
    );

  const calico = calicoObjects(ctx);
  const admin = adminPolicies(ctx);
  if (admin.adminPolicies && ctx.config.networking.cni !== "calico")
    warnings.push(
      `${admin.adminPolicies.length} AdminNetworkPolic${admin.adminPolicies.length === 1 ? "y" : "ies"} (AdminNetworkPolicy, BaselineAdminNetworkPolicy) ignored: the cluster's CNI is ${ctx.config.networking.cni}, which does not implement them; podnet enforces them as Calico does`,
    );
  if (calico.calico && ctx.config.networking.cni !== "calico")
    warnings.push(
      `${calico.calico.policies.length} Calico polic${calico.calico.policies.length === 1 ? "y" : "ies"} (projectcalico.org NetworkPolicy, GlobalNetworkPolicy) ignored: the cluster's CNI is ${ctx.config.networking.cni}, and only Calico enforces them`,
    );
  else if (calico.calico) {
    // A policy of a tier with no Tier object: the API server refuses it (the tier must exist,
    // https://docs.tigera.io/calico/latest/reference/resources/tier), and policy/calico.ts
    // leaves it out; say so rather than drop it silently.
    const tiers = new Set(["default", ...calico.calico.tiers.map((t) => t.name)]);
    for (const p of calico.calico.policies) {
      const tier = typeof p.spec.tier === "string" && p.spec.tier !== "" ? p.spec.tier : "default";
      if (!tiers.has(tier))
        warnings.push(
          `Calico ${p.kind} ${p.namespace ? `${p.namespace}/` : ""}${p.name} ignored: its tier "${tier}" has no Tier object, and Calico refuses a policy of a tier that does not exist`,
        );
    }
  }

  const state: ClusterState = {
    config: ctx.config,
    seed: ctx.seed,
    clock: ctx.clock,
    namespaces: sameNs ? prev.namespaces : namespaces,
    nodes: ctx.nodes,
    pods,
    services: svc.services,
    endpointSlices,
    networkPolicies: ofKind(ctx, "NetworkPolicy").map((o) => ({
      namespace: o.metadata.namespace ?? "default",
      name: o.metadata.name,
      spec: o.spec ?? { podSelector: {} },
      source: o.source,
    })),
    ...cnps,
    ...calico,
    ...admin,
    ingresses: ofKind(ctx, "Ingress"),
    workloads: desired.workloads,
    dns: prev.dns,
    events: [...prev.events, ...ctx.events],
    ipam: {
      ...finished.ipam,
      serviceIPs: svc.serviceIPs,
      nodePorts: svc.nodePorts,
      loadBalancerIPs: svc.loadBalancerIPs,
    },
    warnings,
    objects: desired.dropped.length === 0 ? ctx.objects : withoutObjects(ctx.objects, desired.dropped),
    replicaSets: desired.replicaSets,
  };
  const { dns: _old, ...withoutDns } = state;
  void _old;
  state.dns = computeDnsRecords(withoutDns);
  const synced = kubeProxySyncedOf(ctx.config.faults ?? [], prev, state);
  if (synced) state.kubeProxySynced = synced;
  // MetalLB's speakers react to the new Services and endpoints (a new election).
  const lb = announcementEvents(prev, state, ctx.clock);
  if (lb.length > 0) {
    ctx.events.push(...lb);
    state.events = [...prev.events, ...ctx.events];
  }
  return { state, events: ctx.events };
}

function withoutObjects(objects: KubeObject[], gone: KubeObject[]): KubeObject[] {
  const g = new Set(gone);
  return objects.filter((o) => !g.has(o));
}

/** The step's context: objects checked and grouped, the clock advanced, nodes and IPAM computed. */
function newContext(prev: ClusterState, objects: KubeObject[]): ReconcileContext {
  const config = prev.config;
  const prevObjects = new Map((prev.objects ?? []).map((o) => [objKey(o), o]));
  const seen = checkObjects(objects);
  const byKind = groupByKind(objects);
  const nodes = computeNodes(config, byKind.get("Node") ?? [], prev.nodes, byKind.get("Pod") ?? []);
  return {
    prev,
    objects,
    config,
    seed: prev.seed,
    svcTime: prev.clock + 1,
    clock: prev.clock + 2, // Services of a change exist before its pods (env visibility)
    events: [],
    prevObjects,
    seen,
    byKind,
    changedNs: new Set(),
    nodes,
    nodeByName: new Map(nodes.map((n: NodeState) => [n.name, n])),
    ipam: ipamFor(config, prev.ipam, nodes),
  };
}

/** Namespaces: the system ones, the declared ones, and any an object lives in. */
function namespacesOf(ctx: ReconcileContext): ClusterState["namespaces"] {
  const nsLabels = new Map<string, Record<string, string>>();
  for (const n of SYSTEM_NAMESPACES) nsLabels.set(n, { "kubernetes.io/metadata.name": n });
  for (const o of ofKind(ctx, "Namespace"))
    nsLabels.set(o.metadata.name, { ...(o.metadata.labels ?? {}), "kubernetes.io/metadata.name": o.metadata.name });
  for (const o of ctx.objects) {
    const ns = o.metadata.namespace;
    if (ns && !CLUSTER_SCOPED.has(o.kind) && !nsLabels.has(ns)) nsLabels.set(ns, { "kubernetes.io/metadata.name": ns });
  }
  return [...nsLabels].map(([name, labels]) => ({ name, labels }));
}

/** Deletes each pod once (events, IPs back to IPAM); the rest of the previous pods survive. */
function deletePods(ctx: ReconcileContext, toDelete: Deletion[]): { deleted: Set<PodState>; survivors: PodState[] } {
  const deleted = new Set<PodState>();
  for (const { pod, by } of toDelete) {
    if (deleted.has(pod)) continue;
    deleted.add(pod);
    if (by) emit(ctx, "Normal", "SuccessfulDelete", by.object, `Deleted pod: ${pod.name}`, by.source, ctx.svcTime);
    if (pod.nodeName)
      for (const c of pod.spec.containers ?? [])
        emit(
          ctx,
          "Normal",
          "Killing",
          `pod/${pod.namespace}/${pod.name}`,
          `Stopping container ${c.name}`,
          "kubelet",
          ctx.svcTime,
        );
    const node = pod.nodeName ? ctx.nodeByName.get(pod.nodeName) : undefined;
    if (node && pod.podIP && !pod.spec.hostNetwork) ctx.ipam.release(node, pod.podIP);
  }
  const survivors = ctx.prev.pods.filter((p) => !deleted.has(p));
  for (const p of deleted) ctx.changedNs.add(p.namespace);
  return { deleted, survivors };
}

/** Services (before the pods: env vars see Services created earlier); added or removed ones mark their namespace. */
function servicesPhase(ctx: ReconcileContext): ServicesResult {
  const prev = ctx.prev;
  const svc = reconcileServices(
    { config: ctx.config, seed: ctx.seed, created: ctx.svcTime },
    ofKind(ctx, "Service"),
    prev.services,
    prev.ipam,
    (o) => unchanged(ctx, o),
  );
  const prevSvcSet = new Set(prev.services);
  for (const s of svc.services) if (!prevSvcSet.has(s)) ctx.changedNs.add(s.namespace);
  const svcNow = new Set(svc.services);
  for (const s of prev.services) if (!svcNow.has(s)) ctx.changedNs.add(s.namespace);
  return svc;
}

/** Adoption warnings, then the Services' (in Service order), then full nodes. */
function warningsOf(
  nodes: NodeState[],
  desired: Desired,
  svcWarnings: Map<string, string[]>,
  scheduler: Scheduler,
): string[] {
  const warnings: string[] = [...desired.adoptWarnings];
  const implied = nodes.filter((n) => n.implied).map((n) => n.name);
  if (implied.length > 0)
    warnings.push(
      `node${implied.length === 1 ? "" : "s"} ${implied.join(", ")}: named by pods (spec.nodeName) but declared by no Node object; assumed to exist, with the pods' hostIP as address and a pod range around their IPs`,
    );
  for (const l of svcWarnings.values()) warnings.push(...l);
  for (const n of nodes)
    if (scheduler.isFull(n))
      warnings.push(
        `(Node ${n.name}) is full: ${n.maxPods}/${n.maxPods} pods (maxPods); new pods cannot be scheduled on it`,
      );
  return warnings;
}

/** The AdminNetworkPolicies and the BaselineAdminNetworkPolicy given. */
function adminPolicies(ctx: ReconcileContext): { adminPolicies?: AdminPolicyState[] } {
  const out: AdminPolicyState[] = [];
  for (const kind of ["AdminNetworkPolicy", "BaselineAdminNetworkPolicy"] as const)
    for (const o of ofKind(ctx, kind))
      out.push({ kind, name: o.metadata.name, spec: isObj(o.spec) ? o.spec : {}, source: o.source });
  return out.length ? { adminPolicies: out } : {};
}

/** Calico's policies, network sets and tiers given, as the state holds them. */
function calicoObjects(ctx: ReconcileContext): { calico?: CalicoState } {
  const policies: CalicoPolicyState[] = [];
  for (const o of ofKind(ctx, CALICO_NETWORK_POLICY))
    policies.push({
      kind: "NetworkPolicy",
      namespace: o.metadata.namespace ?? "default",
      name: o.metadata.name,
      spec: isObj(o.spec) ? o.spec : {},
      source: o.source,
    });
  for (const o of ofKind(ctx, "GlobalNetworkPolicy"))
    policies.push({
      kind: "GlobalNetworkPolicy",
      name: o.metadata.name,
      spec: isObj(o.spec) ? o.spec : {},
      source: o.source,
    });
  const networkSets: CalicoNetworkSetState[] = [];
  for (const kind of ["NetworkSet", "GlobalNetworkSet"] as const)
    for (const o of ofKind(ctx, kind)) {
      const nets = Array.isArray(o.spec?.nets) ? o.spec.nets.filter((n: unknown) => typeof n === "string") : [];
      const s: CalicoNetworkSetState = {
        kind,
        name: o.metadata.name,
        labels: o.metadata.labels ?? {},
        nets,
        source: o.source,
      };
      if (kind === "NetworkSet") s.namespace = o.metadata.namespace ?? "default";
      networkSets.push(s);
    }
  const tiers: CalicoTierState[] = ofKind(ctx, "Tier").map((o) => {
    const t: CalicoTierState = {
      name: o.metadata.name,
      defaultAction: o.spec?.defaultAction === "Pass" ? "Pass" : "Deny",
      source: o.source,
    };
    if (typeof o.spec?.order === "number") t.order = o.spec.order;
    return t;
  });
  if (!policies.length && !networkSets.length && !tiers.length) return {};
  return { calico: { policies, networkSets, tiers } };
}

/** The CiliumNetworkPolicies and CiliumClusterwideNetworkPolicies given, as the state holds them. */
function ciliumPolicies(ctx: ReconcileContext): { ciliumPolicies?: CiliumPolicyState[] } {
  const out: CiliumPolicyState[] = [];
  for (const kind of ["CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"] as const)
    for (const o of ofKind(ctx, kind)) {
      const rules: CiliumRule[] = [];
      if (o.spec && typeof o.spec === "object" && !Array.isArray(o.spec)) rules.push(o.spec);
      if (Array.isArray(o.specs)) for (const r of o.specs) if (r && typeof r === "object") rules.push(r);
      const p: CiliumPolicyState = { kind, name: o.metadata.name, rules, source: o.source };
      if (kind === "CiliumNetworkPolicy") p.namespace = o.metadata.namespace ?? "default";
      out.push(p);
    }
  return out.length ? { ciliumPolicies: out } : {};
}
