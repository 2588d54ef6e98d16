// The pods a reconcile step creates: each want is named (seeded suffix), scheduled (bound,
// pinned by its DaemonSet, or placed) and given an address by the CNI's IPAM, in the
// order the controllers wanted them: names, IPs and events depend on that order.
import { inFull } from "../manifest/documents.js";
import { randomSuffix, sha256Hex, uidFor } from "./hash.js";
import type { AllocResult } from "./ipam.js";
import { emit, type ReconcileContext, type Want } from "./reconcile-context.js";
import { matchSelector } from "../manifest/selector.js";
import type { KubeObject, LabelSelector, Labels } from "../manifest/types.js";
import { intToIp, parseIPv4 } from "../net/ipv4.js";
import { Scheduler } from "./schedule.js";
import type { NodeState, PodState } from "./state.js";

/** What the pod-creation phase shares across wants. */
interface Creation {
  scheduler: Scheduler;
  /** "ns/name" taken, only in the namespaces that get new pods; none when no name is generated. */
  names: Set<string> | undefined;
  /** generateName counters by "ns/base". */
  counters: Map<string, number>;
  /**
   * By want (index in the wants, `at` the one being created): the address reserved and the
   * container ID worked out while reserving (a sha256 each: 150,000 in a threshold dump).
   * Arrays, not maps keyed by the wants: 150,000 entries each.
   */
  reserved: (AllocResult | undefined)[];
  containerIDs: (string | undefined)[];
  at: number;
  /** Addresses more than one observed pod may claim (sharedIPs), and the pod placed with each. */
  shared: Set<string>;
  observedIPs: Map<string, PodState>;
  /** Warnings about the observed pods (two pods with one address). */
  warnings: string[];
  /** PodTopologySpread's default selector per want (replicas share a want). */
  spread: WeakMap<Want, LabelSelector | null>;
  /** Controllers by "kind/ns/name", Services by "Service/ns/key=value" of their selector's first key. */
  objects?: Map<string, KubeObject[]>;
}

/** Creates, schedules and addresses the wanted pods next to the survivors. */
export function createPods(
  ctx: ReconcileContext,
  wants: Want[],
  survivors: PodState[],
): { created: PodState[]; scheduler: Scheduler; warnings: string[] } {
  const containerIDs: (string | undefined)[] = new Array(wants.length).fill(undefined);
  const c: Creation = {
    containerIDs,
    at: 0,
    shared: new Set(),
    observedIPs: new Map(),
    warnings: [],
    scheduler: new Scheduler(ctx.nodes, survivors, namespaceLabels(ctx)),
    // A dump's pods all come with their names: 150,000 "ns/name" strings not needed.
    names: wants.some((w) => !w.name) ? takenNames(wants, survivors) : undefined,
    counters: new Map(),
    reserved: [],
    spread: new WeakMap(),
  };
  reserveRequestedIPs(ctx, c, wants);
  const created: PodState[] = [];
  for (let i = 0; i < wants.length; i++) {
    const w = wants[i];
    c.at = i;
    const pod = newPod(ctx, c, w);
    created.push(pod);
    ctx.changedNs.add(w.namespace);
    if (w.observed) {
      placeObserved(ctx, c, w, pod);
      continue;
    }
    const node = schedulePod(ctx, c, w, pod);
    if (node) addressPod(ctx, c, w, pod, node);
  }
  return { created, scheduler: c.scheduler, warnings: c.warnings };
}

/** Namespace labels, for pod affinity terms' namespaceSelector (names label themselves). */
function namespaceLabels(ctx: ReconcileContext): (ns: string) => Record<string, string> {
  const m = new Map<string, Record<string, string>>();
  for (const o of ctx.byKind.get("Namespace") ?? []) m.set(o.metadata.name, o.metadata.labels ?? {});
  return (ns) => ({ ...(m.get(ns) ?? {}), "kubernetes.io/metadata.name": ns });
}

function takenNames(wants: Want[], survivors: PodState[]): Set<string> {
  const names = new Set<string>();
  const wantNs = new Set(wants.map((w) => w.namespace));
  if (wantNs.size) for (const p of survivors) if (wantNs.has(p.namespace)) names.add(`${p.namespace}/${p.name}`);
  return names;
}

function podUid(ctx: ReconcileContext, ns: string, name: string): string {
  return uidFor(`${ctx.seed}/pod/${ns}/${name}/${ctx.clock}`);
}

/**
 * The ID of a pod's sandbox (the CNI's CNI_CONTAINERID; host veth names follow from it). A
 * uid given in a dump may be another pod's too (dumps put together, a pod copied into
 * another namespace): its namespace and name go in with it.
 */
function sandboxID(ctx: ReconcileContext, w: Want, name: string, uid: string): string {
  return sha256Hex(w.uid === undefined ? `${ctx.seed}/${uid}` : `${ctx.seed}/${w.namespace}/${name}/${uid}`);
}

/**
 * The addresses two or more observed pods ask for (a stale dump), each of which goes to the
 * first pod placed with it (placeObserved). Found by sorting the addresses as numbers (valid
 * IPv4 strings: one number each, and back): a map of every pod's address, 150,000 in a
 * threshold dump, would be built to find none.
 */
function sharedIPs(ips: Float64Array): Set<string> {
  const sorted = ips.sort();
  const shared = new Set<string>();
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) shared.add(intToIp(sorted[i]));
  return shared;
}

/**
 * An observed pod's reservation kept (placeObserved reads the pod's own address): its
 * result with the eth0 CIDR text is not kept for each of 150,000 pods.
 */
const RESERVED: AllocResult = Object.freeze({});

/**
 * Dumped pods keep their addresses: reserve them before anything else is allocated. The
 * observed pods' addresses are gathered on the way for sharedIPs (one pass over the wants).
 */
function reserveRequestedIPs(ctx: ReconcileContext, c: Creation, wants: Want[]): void {
  const reserved: (AllocResult | undefined)[] = new Array(wants.length).fill(undefined);
  const containerIDs = c.containerIDs;
  const ips = new Float64Array(wants.length);
  let n = 0;
  for (let i = 0; i < wants.length; i++) {
    const w = wants[i];
    if (w.observed && w.requestedIP && !w.spec.hostNetwork) ips[n++] = parseIPv4(w.requestedIP)!;
    if (!w.requestedIP || !w.name || !w.spec.nodeName || w.spec.hostNetwork) continue;
    const node = ctx.nodeByName.get(w.spec.nodeName);
    if (!node || !ctx.ipam.allocateSpecific) continue;
    // The ID newPod gives it (its name is fixed): computed once.
    const id = sandboxID(ctx, w, w.name, w.uid ?? podUid(ctx, w.namespace, w.name));
    containerIDs[i] = id;
    const r = ctx.ipam.allocateSpecific(node, w.requestedIP, id);
    if (r) reserved[i] = w.observed ? RESERVED : r;
  }
  c.reserved = reserved;
  c.shared = sharedIPs(ips.subarray(0, n));
}

/** A new pod's environment until kubeletSetup gives it its own: one list, not one per pod. */
const NO_ENV: PodState["env"] = Object.freeze([]) as unknown as PodState["env"];

/** The pod object, Pending and unscheduled, under its fixed or generated name. */
function newPod(ctx: ReconcileContext, c: Creation, w: Want): PodState {
  let name = w.name;
  if (!name) {
    const ck = `${w.namespace}/${w.base}`;
    let n = c.counters.get(ck) ?? 0;
    do name = `${w.base}-${randomSuffix(`${ctx.seed}/${w.namespace}/${w.base}/${ctx.clock}/${n++}`)}`;
    while (c.names?.has(`${w.namespace}/${name}`));
    c.counters.set(ck, n);
  }
  c.names?.add(`${w.namespace}/${name}`);
  if (w.created) emit(ctx, "Normal", "SuccessfulCreate", w.created.object, w.created.message(name), w.created.source);
  // A dump's pod has its own uid (its sandbox's ID follows from it, as for any pod).
  const uid = w.uid ?? podUid(ctx, w.namespace, name);
  const pod: PodState = {
    namespace: w.namespace,
    name,
    uid,
    labels: w.labels,
    annotations: w.annotations,
    owner: w.owner,
    workload: w.workload,
    spec: w.spec,
    nodeName: null,
    phase: "Pending",
    podIP: null,
    hostIP: null,
    ready: false,
    terminating: w.terminating,
    created: ctx.clock,
    resolvConf: "",
    env: NO_ENV,
    containerID: (w.name !== undefined && c.containerIDs[c.at]) || sandboxID(ctx, w, name, uid),
  };
  // Set after, not spread in: a spread makes every pod's literal a slow copy.
  if (w.system) pod.system = true;
  return pod;
}

/** The pod's node, or undefined with the reason on the pod. */
function schedulePod(ctx: ReconcileContext, c: Creation, w: Want, pod: PodState): NodeState | undefined {
  const scheduler = c.scheduler;
  const podObj = `pod/${pod.namespace}/${pod.name}`;
  let node: NodeState | undefined;
  if (w.spec.nodeName) {
    // Bound by the user: kubelet takes it without the scheduler.
    node = ctx.nodeByName.get(w.spec.nodeName);
    if (node) scheduler.bind(node, w.spec, w.labels, w.namespace);
    else {
      pod.reason = "NodeNotFound";
      pod.message = `node "${w.spec.nodeName}" not found`;
    }
  } else if (w.pinned) {
    const r = scheduler.fitsOn(w.pinned, w.spec, w.labels, w.namespace);
    if (r) {
      pod.reason = "Unschedulable";
      pod.message = scheduler.failure(w.spec, w.pinned, w.labels, w.namespace);
      emit(ctx, "Warning", "FailedScheduling", podObj, pod.message, "default-scheduler");
    } else {
      node = w.pinned;
      scheduler.bind(node, w.spec, w.labels, w.namespace);
    }
  } else {
    const r = scheduler.place(w.spec, w.labels, w.namespace, spreadSelector(ctx, c, w));
    if ("node" in r) node = r.node;
    else {
      pod.reason = "Unschedulable";
      pod.message = r.message;
      emit(ctx, "Warning", "FailedScheduling", podObj, r.message, "default-scheduler");
    }
  }
  return node;
}

/**
 * The selector PodTopologySpread's default constraints count with (plugins/helper/spread.go
 * DefaultSelector): the selectors of the pod's Services merged, ANDed with its controlling
 * ReplicaSet's or StatefulSet's selector (a Deployment's ReplicaSet adds pod-template-hash),
 * or merged with its ReplicationController's. Null when nothing selects the pod or it has
 * spread constraints of its own (the defaults then do not apply).
 */
function spreadSelector(ctx: ReconcileContext, c: Creation, w: Want): LabelSelector | null {
  if (w.spec.topologySpreadConstraints?.length) return null;
  let sel = c.spread.get(w);
  if (sel !== undefined) return sel;
  const objs = (c.objects ??= indexObjects(ctx));
  const labels: Labels = {};
  // Services are indexed by their selector's first key and value: only those can match.
  // One without a selector selects nothing, an empty one adds nothing (GetPodServices).
  for (const [k, v] of Object.entries(w.labels))
    for (const s of objs.get(`Service/${w.namespace}/${k}=${v}`) ?? []) {
      const ss = s.spec.selector;
      if (matchSelector({ matchLabels: ss }, w.labels)) Object.assign(labels, ss);
    }
  const exprs: NonNullable<LabelSelector["matchExpressions"]> = [];
  const owner = w.owner;
  const get = (kind: string, name: string) => objs.get(`${kind}/${w.namespace}/${name}`)?.[0];
  let ownerSel: LabelSelector | undefined;
  if (owner?.kind === "ReplicaSet") {
    if (w.workload.kind === "Deployment") {
      const d = get("Deployment", w.workload.name)?.spec?.selector as LabelSelector | undefined;
      const hash = w.labels["pod-template-hash"];
      ownerSel = hash ? { ...d, matchLabels: { ...d?.matchLabels, "pod-template-hash": hash } } : d;
    } else ownerSel = get("ReplicaSet", owner.name)?.spec?.selector;
  } else if (owner?.kind === "StatefulSet") ownerSel = get("StatefulSet", owner.name)?.spec?.selector;
  else if (owner?.kind === "ReplicationController") {
    const rc = get("ReplicationController", owner.name);
    Object.assign(labels, rc?.spec?.selector ?? rc?.spec?.template?.metadata?.labels ?? {});
  }
  if (ownerSel && typeof ownerSel === "object") {
    // selector.Add(requirements): a key both give with different values matches nothing.
    for (const [k, v] of Object.entries(ownerSel.matchLabels ?? {}))
      if (Object.hasOwn(labels, k) && labels[k] !== v) exprs.push({ key: k, operator: "In", values: [v] });
      else labels[k] = v;
    if (Array.isArray(ownerSel.matchExpressions)) exprs.push(...ownerSel.matchExpressions);
  }
  sel = Object.keys(labels).length || exprs.length ? { matchLabels: labels, matchExpressions: exprs } : null;
  c.spread.set(w, sel);
  return sel;
}

function indexObjects(ctx: ReconcileContext): Map<string, KubeObject[]> {
  const m = new Map<string, KubeObject[]>();
  const add = (k: string, o: KubeObject) => {
    const l = m.get(k);
    if (l) l.push(o);
    else m.set(k, [o]);
  };
  for (const o of ctx.byKind.get("Service") ?? []) {
    const sel = o.spec?.selector;
    const first = sel && typeof sel === "object" ? Object.keys(sel).sort()[0] : undefined;
    if (first !== undefined) add(`Service/${o.metadata.namespace ?? "default"}/${first}=${sel[first]}`, o);
  }
  for (const kind of ["Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"])
    for (const o of ctx.byKind.get(kind) ?? [])
      add(`${kind}/${o.metadata.namespace ?? "default"}/${o.metadata.name}`, o);
  return m;
}

/** Puts the pod on its node: host network, or an address from IPAM (Running unless IPAM fails). */
function addressPod(ctx: ReconcileContext, c: Creation, w: Want, pod: PodState, node: NodeState): void {
  const podObj = `pod/${pod.namespace}/${pod.name}`;
  const ipam = ctx.ipam;
  if (!w.spec.nodeName)
    emit(
      ctx,
      "Normal",
      "Scheduled",
      podObj,
      `Successfully assigned ${w.namespace}/${pod.name} to ${node.name}`,
      "default-scheduler",
    );
  pod.nodeName = node.name;
  pod.hostIP = node.address;
  if (w.spec.hostNetwork) {
    pod.podIP = node.address;
  } else {
    const r = c.reserved[c.at] ?? ipam.allocate(node, pod.containerID);
    if (!r.ip) {
      pod.reason = "ContainerCreating";
      pod.message = r.error;
      emit(
        ctx,
        "Warning",
        "FailedCreatePodSandBox",
        podObj,
        `Failed to create pod sandbox: plugin type="${ipam.networkName}" failed (add): ${r.error}`,
        "kubelet",
      );
      return;
    }
    pod.podIP = r.ip;
    pod.hostIfName = ipam.hostIfName(w.namespace, pod.name, pod.containerID);
    emit(ctx, "Normal", "AddedInterface", podObj, `Add eth0 [${r.cidr}] from ${ipam.networkName}`, "multus");
  }
  pod.phase = "Running";
  pod.ready = w.ready;
}

/**
 * A pod read from a live cluster, put where the cluster has it: its node, IPs, phase and
 * readiness as observed; nothing is scheduled or allocated for it. Its address is still
 * recorded with the IPAM (when the range holds it) so that new pods do not take it.
 */
function placeObserved(ctx: ReconcileContext, c: Creation, w: Want, pod: PodState): void {
  const phase = w.observed!;
  const st = w.status!;
  pod.observed = true;
  pod.status = st;
  pod.phase = phase;
  pod.ready = w.ready && phase === "Running";
  const node = w.spec.nodeName ? ctx.nodeByName.get(w.spec.nodeName) : undefined;
  // A pending pod is what questions look at closely (why it waits: its tolerations and node
  // selector, which a large dump's pods are read without): read whole.
  if (w.given && (!node || phase === "Pending")) inFull(w.given);
  if (!node) {
    const sched = (Array.isArray(st.conditions) ? st.conditions : []).find(
      (x: { type?: string }) => x?.type === "PodScheduled",
    ) as { reason?: string; message?: string } | undefined;
    if (typeof sched?.reason === "string") pod.reason = sched.reason;
    if (typeof sched?.message === "string") pod.message = sched.message;
    return;
  }
  if (phase === "Pending" || phase === "Running") c.scheduler.bind(node, w.spec, w.labels, w.namespace, w.terminating);
  pod.nodeName = node.name;
  pod.hostIP = w.observedHostIP ?? node.address;
  if (w.spec.hostNetwork) {
    pod.podIP = phase === "Pending" || phase === "Running" ? pod.hostIP : null;
    return;
  }
  if (!w.requestedIP) return;
  const other = c.shared.has(w.requestedIP) ? c.observedIPs.get(w.requestedIP) : undefined;
  if (other) {
    // One network cannot hold two pods with one address (a stale dump): the first keeps it.
    c.warnings.push(
      `(Pod ${w.namespace}/${pod.name}) status.podIP: ${w.requestedIP} is pod ${other.namespace}/${other.name}'s address too: left without an address`,
    );
    return;
  }
  if (c.shared.has(w.requestedIP)) c.observedIPs.set(w.requestedIP, pod);
  const r = c.reserved[c.at] ?? ctx.ipam.allocateSpecific?.(node, w.requestedIP, pod.containerID);
  pod.podIP = r?.ip ?? w.requestedIP;
  pod.hostIfName = ctx.ipam.hostIfName(w.namespace, pod.name, pod.containerID);
}
