// What the phases of one reconcile step share: the previous state, the objects by kind,
// the step's clock, the nodes and their IPAM, and the accumulators every phase adds to
// (events, in the order they happen, and the namespaces whose pods or Services changed).
import { Diags, where } from "../manifest/diag.js";
import { SpecError } from "../manifest/errors.js";
import type { KubeObject, PodSpec } from "../manifest/types.js";
import type { PodIpam } from "./ipam.js";
import { objKey, sameObject } from "./objects.js";
import type { ClusterConfig } from "../manifest/config.js";
import type { ClusterState, KEvent, NodeState, OwnerRef, PodState, ReplicaSetState, WorkloadRef } from "./state.js";

export interface ReconcileContext {
  prev: ClusterState;
  objects: KubeObject[];
  config: ClusterConfig;
  seed: string;
  /** When this step's Services appear: before its pods (env visibility). */
  svcTime: number;
  /** When this step's pods appear. */
  clock: number;
  events: KEvent[];
  prevObjects: Map<string, KubeObject>;
  /** Keys of every object given this step. */
  seen: ObjectKeys;
  byKind: Map<string, KubeObject[]>;
  /** Namespaces whose pods, Services or endpoints changed this step. */
  changedNs: Set<string>;
  /** The computed nodes; replaced by IPAM's finished ones once the new pods have addresses. */
  nodes: NodeState[];
  /** The computed nodes by name (not replaced: scheduling, deletions and slices use these). */
  nodeByName: Map<string, NodeState>;
  ipam: PodIpam;
}

/** Who deleted a pod (the SuccessfulDelete event); none for the user or garbage collection. */
export interface Deletion {
  pod: PodState;
  by?: { object: string; source: string };
}

export interface Desired {
  wants: Want[];
  kept: Set<PodState>;
  toDelete: Deletion[];
  replicaSets: ReplicaSetState[];
  /** The workload objects given (not bare Pods). */
  workloads: KubeObject[];
  /** Dumped objects whose controller is given too. */
  adoptWarnings: string[];
  /** Observed Pod objects their controller scaled away: no longer desired. */
  dropped: KubeObject[];
  /** New pods this step may still materialise (see PENDING_CAP in controllers.ts). */
  budget: number;
  /** Pods controllers want but not materialised, by controller (one event each). */
  capped: Map<string, { source: string; count: number }>;
}

/**
 * Takes room for `want` new pods out of the step's budget: the number to materialise.
 * The rest are counted on the controller `by` (one aggregated event, not one pod each).
 */
export function takeBudget(d: Desired, want: number, by: { object: string; source: string }): number {
  const room = Math.max(0, Math.min(want, d.budget));
  d.budget -= room;
  if (room < want) {
    const c = d.capped.get(by.object) ?? { source: by.source, count: 0 };
    c.count += want - room;
    d.capped.set(by.object, c);
  }
  return room;
}

/** A pod a controller wants to exist. */
export interface Want {
  namespace: string;
  name?: string; // fixed (StatefulSet, bare Pod)
  base?: string; // generateName base (`<rs>`)
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: PodSpec;
  owner: OwnerRef | null;
  workload: WorkloadRef;
  pinned?: NodeState; // DaemonSet
  requestedIP?: string; // a dumped pod's status.podIP
  /** metadata.uid as given (a live cluster's pods). */
  uid?: string;
  /**
   * From a live cluster: the phase the Pod was observed in (its node, IP and owner kept), its
   * status as given and the host IP in it. Fields of the want, not an object of their own:
   * 150,000 of them in a threshold dump, kept until the pods are made.
   */
  observed?: PodState["phase"];
  status?: Record<string, unknown>;
  observedHostIP?: string;
  /** The Pod object it was read as (a pending pod is read whole: control/new-pods.ts). */
  given?: KubeObject;
  /** Made by a workload podnet added (system.ts). */
  system?: boolean;
  ready: boolean;
  terminating: boolean;
  /** SuccessfulCreate on the controller. */
  created?: { object: string; source: string; message: (pod: string) => string };
}

/** Records an event at `time` (the step's pod clock unless given). */
export function emit(
  ctx: ReconcileContext,
  type: KEvent["type"],
  reason: string,
  object: string,
  message: string,
  source?: string,
  time = ctx.clock,
): void {
  const e: KEvent = { type, reason, object, message, time };
  if (source) e.source = source;
  ctx.events.push(e);
}

export function ofKind(ctx: ReconcileContext, k: string): KubeObject[] {
  return ctx.byKind.get(k) ?? [];
}

export function unchanged(ctx: ReconcileContext, o: KubeObject): boolean {
  return sameObject(ctx.prevObjects.get(objKey(o)), o);
}

/** The objKeys of a list of objects (a Set, or a Map by them). */
export type ObjectKeys = { has(key: string): boolean };

// Lists whose keys are known, each key once (mergeObjects worked them out): a threshold
// dump's 207,000 keys made once, not again here.
const KNOWN = new WeakMap<KubeObject[], { keys: ObjectKeys; named: boolean }>();

/**
 * Records that `objects` (not to be changed after) holds each of `keys` once, and no other;
 * `named`: each has a metadata.name (no second pass over them to check).
 */
export function knownKeys(objects: KubeObject[], keys: ObjectKeys, named: boolean): void {
  KNOWN.set(objects, { keys, named });
}

/** Basic validity of what reached us (the parser checks the rest): names given and unique. */
export function checkObjects(objects: KubeObject[]): ObjectKeys {
  const known = KNOWN.get(objects);
  if (known?.named) return known.keys;
  const diags = new Diags();
  const seen = new Set<string>();
  for (const o of objects) {
    if (!o.metadata?.name) diags.error(where(o), "metadata.name", undefined, "is required");
    if (known) continue;
    const k = objKey(o);
    if (seen.has(k)) diags.error(where(o), "metadata.name", o.metadata.name, `duplicates another ${o.kind}`);
    seen.add(k);
  }
  if (diags.errors.length) throw new SpecError(diags.errors);
  return known?.keys ?? seen;
}

export function groupByKind(objects: KubeObject[]): Map<string, KubeObject[]> {
  const byKind = new Map<string, KubeObject[]>();
  for (const o of objects) {
    let l = byKind.get(o.kind);
    if (!l) byKind.set(o.kind, (l = []));
    l.push(o);
  }
  return byKind;
}
