// Pods read from a live cluster (observed: they carry a status) and the controllers they
// belong to. An observed pod is kept as the cluster holds it; a controller whose pods are
// observed makes none of its own, until a change asks it to: when the user scales it, edits
// it or deletes one of its pods, it adds or removes pods as the real controller would
// (new ones under the ReplicaSet the observed pods belong to; the least valuable go first).
import { podReady } from "../manifest/pod-status.js";
import type { KubeObject, PodSpec } from "../manifest/types.js";
import { parseIPv4 } from "../net/ipv4.js";
import { objKey, sameObject } from "./objects.js";
import { type Desired, emit, type ReconcileContext, takeBudget, type Want } from "./reconcile-context.js";
import type { PodState, ReplicaSetState, WorkloadRef } from "./state.js";

/** A Pod read from a live cluster: the API server gave it a status with a phase. */
export function isObservedPod(o: KubeObject): boolean {
  return o.kind === "Pod" && typeof o.status?.phase === "string" && o.status.phase !== "";
}

/** The first controller ownerReference (what the garbage collector and netpol tools follow). */
export function controllerOf(o: KubeObject) {
  const refs = o.metadata.ownerReferences;
  if (refs === undefined || refs === null) return undefined;
  // A loop, not find(): called a few times for each of a dump's 150,000 pods.
  for (let i = 0; i < refs.length; i++) if (refs[i]?.controller === true) return refs[i];
  return undefined;
}

/** What the observed pods say about their controllers. */
export interface LiveFamilies {
  /** "Kind/ns/name" of every workload with observed pods (ReplicaSets' Deployments included). */
  satisfied: Set<string>;
  /** An observed pod's workload as views count it: its ReplicaSet climbs to a Deployment. */
  workloadOf(p: KubeObject): WorkloadRef;
  /** ReplicaSets named by observed pods' ownerReferences but not given. */
  impliedReplicaSets: Map<string, ReplicaSetState>;
  /**
   * Each satisfied controller's active observed pods (not finished, not deleting), in input
   * order. Worked out by familyMembers, when a change first asks for them (planLive).
   */
  members: Map<string, KubeObject[]>;
  /** A Deployment's ReplicaSet that holds most of its observed pods: where new pods go (with members). */
  currentRs: Map<string, { name: string; hash: string }>;
  /** What a change asks of a satisfied controller (scaled, edited, a pod deleted). */
  plans: Map<string, LivePlan>;
  /** Observed pods their controller removes in this step, with who removes them. */
  dropped: Map<KubeObject, { object: string; source: string }>;
  /** "ns/name" of a ReplicaSet its scaled Deployment set to a new size. */
  rsReplicas: Map<string, number>;
  /** Observed pods' owner references as the state holds them, by the owner's uid (shared). */
  owners: Map<string, NonNullable<Want["owner"]>>;
  /** What an observed pod's controller reference says; undefined for a pod without one of OWN_KINDS. */
  refOf(p: KubeObject): FromRef | undefined;
}

/** Pods to add, and the pods podnet made earlier for this controller that go. */
export interface LivePlan {
  add: number;
  dropExisting: Set<PodState>;
  by: { object: string; source: string };
}

const OWN_KINDS = new Set(["ReplicaSet", "ReplicationController", "StatefulSet", "DaemonSet", "Job"]);

export function liveFamilies(ctx: ReconcileContext): LiveFamilies {
  const f: LiveFamilies = {
    satisfied: new Set(),
    workloadOf: (p) =>
      f.refOf(p)?.wl ?? { kind: "Pod", namespace: p.metadata.namespace ?? "default", name: p.metadata.name },
    impliedReplicaSets: new Map(),
    members: new Map(),
    currentRs: new Map(),
    plans: new Map(),
    dropped: new Map(),
    rsReplicas: new Map(),
    owners: new Map(),
    refOf: () => undefined,
  };
  const pods = ctx.byKind.get("Pod") ?? [];
  if (!pods.some(isObservedPod)) return f;
  const rsByKey = new Map((ctx.byKind.get("ReplicaSet") ?? []).map((o) => [objKey(o), o]));
  const deployments = new Set((ctx.byKind.get("Deployment") ?? []).map(objKey));
  // Pods of one controller share what their reference says (a dump: ~150,000 pods under a
  // few thousand controllers): worked out once per namespace, kind, name and template hash,
  // and again when asked (a map by pod would be 150,000 entries).
  const byRef = new Map<string, Map<string, FromRef>>();
  f.refOf = (p) => {
    const ref = controllerOf(p);
    if (!ref || !OWN_KINDS.has(ref.kind)) return undefined;
    const ns = p.metadata.namespace ?? "default";
    const hash = p.metadata.labels?.["pod-template-hash"];
    let m = byRef.get(ns);
    if (!m) byRef.set(ns, (m = new Map()));
    const k = ref.kind === "ReplicaSet" ? ref.name : `${ref.kind}/${ref.name}`;
    let r = m.get(k);
    if (!r || r.hash !== hash) m.set(k, (r = fromRef(f, ref, p, ns, hash, rsByKey, deployments)));
    return r;
  };
  for (const p of pods) {
    if (!isObservedPod(p)) continue;
    const r = f.refOf(p);
    if (r?.implied) r.implied.replicas++;
  }
  return f;
}

/**
 * The satisfied controllers' active observed pods, and each Deployment's current ReplicaSet
 * (LiveFamilies.members, currentRs): what a change to one of them needs.
 */
function familyMembers(ctx: ReconcileContext, f: LiveFamilies): void {
  for (const p of ctx.byKind.get("Pod") ?? []) {
    if (!isObservedPod(p) || !active(p)) continue;
    const ns = p.metadata.namespace ?? "default";
    const ref = controllerOf(p);
    const r = f.refOf(p);
    const k1 = r ? r.k1 : `Pod/${ns}/${p.metadata.name}`;
    addMember(f.members, k1, p);
    if (ref) {
      const k2 = r ? r.k2 : `${ref.kind}/${ns}/${ref.name}`;
      if (k2 !== k1) addMember(f.members, k2, p);
    }
  }
  for (const [k, l] of f.members) {
    if (!k.startsWith("Deployment/")) continue;
    const count = new Map<string, number>();
    for (const p of l) {
      const rs = controllerOf(p)!.name;
      count.set(rs, (count.get(rs) ?? 0) + 1);
    }
    const name = [...count].sort((a, b) => b[1] - a[1])[0][0];
    const p = l.find((x) => controllerOf(x)!.name === name)!;
    f.currentRs.set(k, { name, hash: p.metadata.labels?.["pod-template-hash"] ?? "" });
  }
}

/** What a controller reference says of its pods (liveFamilies). */
interface FromRef {
  hash: string | undefined;
  wl: WorkloadRef;
  /** "Kind/ns/name" of the workload, and of the reference. */
  k1: string;
  k2: string;
  /** The ReplicaSet the reference names, implied (not given): its pods are counted. */
  implied?: ReplicaSetState;
}

function fromRef(
  f: LiveFamilies,
  ref: { kind: string; name: string },
  p: KubeObject,
  ns: string,
  hash: string | undefined,
  rsByKey: Map<string, KubeObject>,
  deployments: Set<string>,
): FromRef {
  const k2 = `${ref.kind}/${ns}/${ref.name}`;
  f.satisfied.add(k2);
  let wl: WorkloadRef = { kind: ref.kind as WorkloadRef["kind"], namespace: ns, name: ref.name };
  let implied: ReplicaSetState | undefined;
  if (ref.kind === "ReplicaSet") {
    const rs = rsByKey.get(`ReplicaSet/${ns}/${ref.name}`);
    const dep = deploymentOf(rs, ref.name, p, ns, deployments);
    if (dep) {
      f.satisfied.add(`Deployment/${ns}/${dep}`);
      wl = { kind: "Deployment", namespace: ns, name: dep };
    }
    if (!rs) {
      const k = `${ns}/${ref.name}`;
      implied = f.impliedReplicaSets.get(k);
      if (!implied)
        f.impliedReplicaSets.set(
          k,
          (implied = {
            namespace: ns,
            name: ref.name,
            deployment: dep ?? null,
            podTemplateHash: hash ?? "",
            replicas: 0,
          }),
        );
    }
  }
  return { hash, wl, k1: `${wl.kind}/${ns}/${wl.name}`, k2, implied };
}

function addMember(members: Map<string, KubeObject[]>, k: string, p: KubeObject): void {
  const l = members.get(k);
  if (l) l.push(p);
  else members.set(k, [p]);
}

/** Not finished and not being deleted: what a controller counts toward its replicas. */
function active(p: KubeObject): boolean {
  const phase = p.status?.phase;
  return (phase === "Pending" || phase === "Running") && !p.metadata.deletionTimestamp;
}

/** A ReplicaSet's Deployment: its own controller reference, else `<deployment>-<pod-template-hash>` naming. */
function deploymentOf(
  rs: KubeObject | undefined,
  rsName: string,
  pod: KubeObject,
  ns: string,
  deployments: Set<string>,
): string | undefined {
  const ref = rs && controllerOf(rs);
  if (ref) return ref.kind === "Deployment" ? ref.name : undefined;
  const hash = pod.metadata.labels?.["pod-template-hash"];
  if (!hash || !rsName.endsWith(`-${hash}`)) return undefined;
  const dep = rsName.slice(0, -hash.length - 1);
  return deployments.has(`Deployment/${ns}/${dep}`) ? dep : undefined;
}

/** A ReplicaSet given in a dump, as the state lists it. */
export function givenReplicaSet(o: KubeObject): ReplicaSetState {
  const ref = controllerOf(o);
  return {
    namespace: o.metadata.namespace ?? "default",
    name: o.metadata.name,
    deployment: ref?.kind === "Deployment" ? ref.name : null,
    podTemplateHash:
      o.metadata.labels?.["pod-template-hash"] ?? o.spec?.template?.metadata?.labels?.["pod-template-hash"] ?? "",
    replicas: typeof o.spec?.replicas === "number" ? o.spec.replicas : 1,
  };
}

/** A Pod object's own name, labels, annotations and spec, as a want carries them. */
export function podBase(o: KubeObject, namespace: string, name: string) {
  return {
    namespace,
    name,
    labels: o.metadata.labels ?? {},
    annotations: o.metadata.annotations ?? {},
    spec: (o.spec ?? { containers: [] }) as PodSpec,
  };
}

/**
 * The state's owner reference for a controller reference: one object per controller (by its
 * uid), not one per pod; the state is read-only.
 */
function sharedOwner(
  owners: Map<string, NonNullable<Want["owner"]>>,
  ref: { kind: string; name: string; apiVersion?: string; uid?: string },
): NonNullable<Want["owner"]> {
  const k = typeof ref.uid === "string" ? ref.uid : undefined;
  const had = k !== undefined ? owners.get(k) : undefined;
  if (had && had.kind === ref.kind && had.name === ref.name && had.apiVersion === (ref.apiVersion || undefined))
    return had;
  const o = ref.apiVersion
    ? { kind: ref.kind, name: ref.name, apiVersion: ref.apiVersion }
    : { kind: ref.kind, name: ref.name };
  if (k !== undefined) owners.set(k, o);
  return o;
}

/** A pod without annotations: one shared empty object (frozen: the state is read-only). */
const NO_ANNOTATIONS: Record<string, string> = Object.freeze({});

const PHASES = new Set(["Pending", "Running", "Succeeded", "Failed"]);

/**
 * The IPv4 address of a status' `podIP`/`podIPs` (or host) pair; podnet models IPv4 only. The
 * list is looked at only when the one address is not IPv4 (a dump's is read when first
 * asked for: manifest/deferred.ts).
 */
function ipv4Of(st: Record<string, unknown>, one: string, many: string): string | undefined {
  const a = st[one];
  if (typeof a === "string" && parseIPv4(a) !== undefined) return a;
  const list = st[many];
  if (!Array.isArray(list)) return undefined;
  for (const x of list) {
    const a = (x as { ip?: unknown })?.ip;
    if (typeof a === "string" && parseIPv4(a) !== undefined) return a;
  }
  return undefined;
}

/** A pod as a live cluster holds it: kept when unchanged, else taken again as given. */
export function observedPod(
  ctx: ReconcileContext,
  d: Desired,
  o: KubeObject,
  existingByWorkload: Map<string, PodState[]>,
  live: LiveFamilies,
): void {
  const ns = o.metadata.namespace ?? "default";
  const name = o.metadata.name;
  // Nothing to look up when building (150,000 keys not made).
  let p: PodState | undefined;
  if (existingByWorkload.size) {
    const key = `Pod/${ns}/${name}`;
    p = existingByWorkload.get(key)?.[0];
    existingByWorkload.delete(key);
  }
  const by = live.dropped.size ? live.dropped.get(o) : undefined;
  if (by) {
    // Scaled away by its controller: gone, and no longer among the desired objects.
    if (p) d.toDelete.push({ pod: p, by });
    d.dropped.push(o);
    return;
  }
  if (p && sameObject(ctx.prevObjects.get(objKey(o)), o)) {
    d.kept.add(p);
    return;
  }
  if (p) d.toDelete.push({ pod: p });
  const st = o.status as Record<string, unknown>;
  const phase = PHASES.has(st.phase as string) ? (st.phase as PodState["phase"]) : "Pending";
  const ref = controllerOf(o);
  const owner = ref ? sharedOwner(live.owners, ref) : null;
  // One literal, keys in podBase's order then the rest: 150,000 of these for a threshold
  // dump, where spreads cost a slow property add each.
  const w: Want = {
    namespace: ns,
    name,
    labels: o.metadata.labels ?? {},
    annotations: o.metadata.annotations ?? NO_ANNOTATIONS,
    spec: (o.spec ?? { containers: [] }) as PodSpec,
    owner,
    workload: live.workloadOf(o),
    ready: podReady(st),
    terminating: !!o.metadata.deletionTimestamp,
    // A finished pod's sandbox is gone: its address is free again (status still shows it).
    requestedIP: phase === "Pending" || phase === "Running" ? ipv4Of(st, "podIP", "podIPs") : undefined,
    observed: phase,
    status: st,
    observedHostIP: ipv4Of(st, "hostIP", "hostIPs"),
    given: o,
    // In the literal, not added after: an added field lives apart from the object (V8's
    // out-of-object properties), a cache miss more for each of 150,000 reads.
    uid: typeof o.metadata.uid === "string" && o.metadata.uid ? o.metadata.uid : undefined,
  };
  d.wants.push(w);
}

const SCALED_KINDS = new Set(["Deployment", "ReplicaSet", "ReplicationController", "StatefulSet"]);
const SOURCES: Record<string, string> = {
  Deployment: "replicaset-controller",
  ReplicaSet: "replicaset-controller",
  ReplicationController: "replication-controller",
  StatefulSet: "statefulset-controller",
};

/**
 * What this step's change asks of the controllers whose pods are observed: only those the
 * user scaled or edited, or one of whose observed pods the user deleted (a dump as first
 * read is taken as it is, even mid-rollout). Scale-down order as the controllers rank pods
 * (controller.ActivePodsWithRanks): podnet's own newer pods first, then observed pods not
 * ready, then the last listed; a StatefulSet removes its highest ordinals.
 */
export function planLive(ctx: ReconcileContext, live: LiveFamilies, existing: Map<string, PodState[]>): void {
  // Nothing given before (a build): no controller was changed, and no pass over the objects.
  if (live.satisfied.size === 0 || ctx.prevObjects.size === 0) return;
  const shrunk = new Set<string>();
  let membersKnown = false;
  for (const p of ctx.prev.pods) {
    if (!p.observed || ctx.seen.has(`Pod/${p.namespace}/${p.name}`)) continue;
    shrunk.add(`${p.workload.kind}/${p.namespace}/${p.workload.name}`);
    if (p.owner) shrunk.add(`${p.owner.kind}/${p.namespace}/${p.owner.name}`);
  }
  for (const o of ctx.objects) {
    if (!SCALED_KINDS.has(o.kind)) continue;
    const ns = o.metadata.namespace ?? "default";
    const key = `${o.kind}/${ns}/${o.metadata.name}`;
    if (!live.satisfied.has(key)) continue;
    const prev = ctx.prevObjects.get(objKey(o));
    if (!prev || (sameObject(prev, o) && !shrunk.has(key))) continue;
    const ref = controllerOf(o);
    if (ref && live.satisfied.has(`${ref.kind}/${ns}/${ref.name}`)) continue; // its Deployment decides
    if (!membersKnown) familyMembers(ctx, live);
    membersKnown = true;
    const replicas = typeof o.spec?.replicas === "number" ? o.spec.replicas : 1;
    const obs = live.members.get(key) ?? [];
    const mine = (existing.get(key) ?? []).filter((p) => !p.terminating);
    // A Deployment scales its ReplicaSet, which makes and deletes the pods.
    const rs = o.kind === "Deployment" ? live.currentRs.get(key) : undefined;
    const by = rs
      ? { object: `replicaset/${ns}/${rs.name}`, source: SOURCES.ReplicaSet }
      : { object: `${o.kind.toLowerCase()}/${ns}/${o.metadata.name}`, source: SOURCES[o.kind] };
    if (rs) {
      live.rsReplicas.set(`${ns}/${rs.name}`, replicas);
      const had = obs.length + mine.length;
      if (had !== replicas)
        emit(
          ctx,
          "Normal",
          "ScalingReplicaSet",
          `deployment/${ns}/${o.metadata.name}`,
          `Scaled ${replicas > had ? "up" : "down"} replica set ${rs.name} to ${replicas} from ${had}`,
          "deployment-controller",
          ctx.svcTime,
        );
    }
    const plan: LivePlan = { add: Math.max(0, replicas - obs.length - mine.length), dropExisting: new Set(), by };
    let extra = obs.length + mine.length - replicas;
    if (extra > 0) {
      const ranked = [...mine].sort((a, b) => b.created - a.created);
      for (const p of ranked.slice(0, extra)) plan.dropExisting.add(p);
      extra -= plan.dropExisting.size;
      const order =
        o.kind === "StatefulSet"
          ? [...obs].sort((a, b) => ordinal(b) - ordinal(a))
          : [...obs.filter((p) => !isReady(p)), ...obs.filter(isReady).reverse()];
      for (const p of order.slice(0, extra)) live.dropped.set(p, by);
    }
    live.plans.set(key, plan);
  }
}

const ordinal = (p: KubeObject) => Number(/-(\d+)$/.exec(p.metadata.name)?.[1] ?? -1);
const isReady = (p: KubeObject) => podReady(p.status);

/** The template a controller makes pods from. */
export interface Template {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: PodSpec;
}

/**
 * A controller whose pods are observed: its pods stay; a plan (planLive) adds pods from its
 * template, under the ReplicaSet its observed pods belong to, or takes podnet's own away.
 */
export function liveController(d: Desired, o: KubeObject, existing: PodState[], t: Template, live: LiveFamilies): void {
  const ns = o.metadata.namespace ?? "default";
  const name = o.metadata.name;
  const key = `${o.kind}/${ns}/${name}`;
  const plan = live.plans.get(key);
  for (const p of existing) {
    if (plan?.dropExisting.has(p)) d.toDelete.push({ pod: p, by: plan.by });
    else d.kept.add(p);
  }
  if (!plan || plan.add === 0) return;
  const add = takeBudget(d, plan.add, plan.by); // PENDING_CAP (controllers.ts)
  const base = { namespace: ns, annotations: t.annotations, ready: true, terminating: false };
  const created = (source: string, object: string, message: (p: string) => string) => ({ object, source, message });
  if (o.kind === "StatefulSet") {
    const taken = new Set([
      ...(live.members.get(key) ?? []).map((p) => p.metadata.name),
      ...existing.map((p) => p.name),
    ]);
    let n = add;
    for (let i = 0; n > 0 && i < 100000; i++) {
      const podName = `${name}-${i}`;
      if (taken.has(podName)) continue;
      n--;
      const spec: PodSpec = { ...t.spec, hostname: podName };
      if (o.spec?.serviceName) spec.subdomain = o.spec.serviceName;
      d.wants.push({
        ...base,
        name: podName,
        labels: {
          ...t.labels,
          "apps.kubernetes.io/pod-index": String(i),
          "statefulset.kubernetes.io/pod-name": podName,
        },
        spec,
        owner: { kind: "StatefulSet", name },
        workload: { kind: "StatefulSet", namespace: ns, name },
        created: created(
          "statefulset-controller",
          plan.by.object,
          (pn) => `create Pod ${pn} in StatefulSet ${name} successful`,
        ),
      });
    }
    return;
  }
  const rs = o.kind === "Deployment" ? live.currentRs.get(key) : undefined;
  const owner = rs ? { kind: "ReplicaSet", name: rs.name } : { kind: o.kind, name };
  const want: Want = {
    ...base,
    base: owner.name,
    labels: rs?.hash ? { ...t.labels, "pod-template-hash": rs.hash } : t.labels,
    spec: t.spec,
    owner,
    workload: { kind: o.kind as WorkloadRef["kind"], namespace: ns, name },
    created: created(plan.by.source, `${owner.kind.toLowerCase()}/${ns}/${owner.name}`, (p) => `Created pod: ${p}`),
  };
  for (let i = 0; i < add; i++) d.wants.push(want);
}
