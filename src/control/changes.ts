// Changes to a running cluster: apply, delete, scale. Each returns a new state (the input
// is never mutated; unchanged parts are shared) and the events the change caused. An
// apply with one invalid object throws a SpecError and changes nothing.
import { CALICO_NETWORK_POLICY, type Mapping } from "../manifest/diag.js";
import type { KubeObject } from "../manifest/types.js";
import { diffStates, type StateDiff } from "./diff.js";
import { SpecError } from "../manifest/errors.js";
import { mergeObjects } from "./build.js";
import { WORKLOAD_KINDS } from "./objects.js";
import { objKey, reconcile } from "./reconcile.js";
import type { ClusterState, KEvent } from "./state.js";

export interface ChangeResult {
  state: ClusterState;
  events: KEvent[];
}

const KNOWN = new Set([
  "Namespace",
  "Node",
  "Pod",
  ...WORKLOAD_KINDS,
  "Service",
  "EndpointSlice",
  "Endpoints",
  "NetworkPolicy",
  "CiliumNetworkPolicy",
  "CiliumClusterwideNetworkPolicy",
  CALICO_NETWORK_POLICY,
  "GlobalNetworkPolicy",
  "NetworkSet",
  "GlobalNetworkSet",
  "Tier",
  "AdminNetworkPolicy",
  "BaselineAdminNetworkPolicy",
  "Ingress",
  // Podnet's Gateway controller routes with them (src/ingress/gateway.ts).
  "GatewayClass",
  "Gateway",
  "HTTPRoute",
  "ReferenceGrant",
  // Containers' environments read them (a waiting container starts once its source exists).
  "ConfigMap",
  "Secret",
]);

/** kubectl apply: objects replace those with the same kind/namespace/name, others are added. */
export function applyObjects(state: ClusterState, objects: KubeObject[]): ChangeResult {
  const objs = objects.filter((o) => KNOWN.has(o.kind));
  return reconcile(state, mergeObjects(state.objects ?? [], objs));
}

function notFound(kind: string, namespace: string, name: string): SpecError {
  const what = kind === "Namespace" || kind === "Node" ? name : `${namespace}/${name}`;
  return new SpecError([{ severity: "error", message: `${kind} ${what} not found`, object: `${kind} ${what}` }]);
}

/**
 * kubectl delete. Deleting a controller's pod frees its IP; the controller makes a
 * replacement with a new name (StatefulSet: the same name) and, usually, a new IP.
 * Deleting a Namespace deletes everything in it.
 */
export function deleteObject(state: ClusterState, kind: string, namespace: string, name: string): ChangeResult {
  const ns = namespace || "default";
  const objects = state.objects ?? [];
  if (kind === "Pod") {
    const pod = state.pods.find((p) => p.namespace === ns && p.name === name);
    if (!pod) throw notFound(kind, ns, name);
    // A bare pod's or a live cluster's pod's object goes with it (a controller may replace it).
    const ownObject = pod.workload.kind === "Pod" || pod.observed;
    const rest = ownObject ? objects.filter((o) => objKey(o) !== `Pod/${ns}/${name}`) : objects;
    return reconcile(state, rest, { deletePods: new Set([`${ns}/${name}`]) });
  }
  if (kind === "Namespace") {
    if (!state.namespaces.some((n) => n.name === name)) throw notFound(kind, ns, name);
    // kube-apiserver's NamespaceLifecycle admission refuses these.
    if (["default", "kube-system", "kube-public"].includes(name))
      throw new SpecError([
        {
          severity: "error",
          message: `namespaces "${name}" is forbidden: this namespace may not be deleted`,
          object: `Namespace ${name}`,
        },
      ]);
    const keep = (o: KubeObject) =>
      o.kind === "Node"
        ? true
        : o.kind === "Namespace"
          ? o.metadata.name !== name
          : (o.metadata.namespace ?? "default") !== name;
    return reconcile(state, objects.filter(keep));
  }
  const key = objKey({ kind, metadata: { namespace: ns, name } });
  if (!objects.some((o) => objKey(o) === key)) throw notFound(kind, ns, name);
  return reconcile(
    state,
    objects.filter((o) => objKey(o) !== key),
  );
}

/** kubectl scale for Deployment, ReplicaSet, StatefulSet (and Job parallelism). */
export function scale(
  state: ClusterState,
  kind: string,
  namespace: string,
  name: string,
  replicas: number,
): ChangeResult {
  const ns = namespace || "default";
  // kubectl scale --replicas is an int32 (the Scale subresource's spec.replicas).
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 2147483647)
    throw new SpecError([
      {
        severity: "error",
        message: `--replicas: ${replicas} must be an integer between 0 and 2147483647`,
        field: "replicas",
        value: replicas,
      },
    ]);
  const key = objKey({ kind, metadata: { namespace: ns, name } });
  const objects = state.objects ?? [];
  const i = objects.findIndex((o) => objKey(o) === key);
  if (i < 0) throw notFound(kind, ns, name);
  const o = objects[i];
  let spec: Mapping;
  if (["Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"].includes(kind))
    spec = { ...o.spec, replicas };
  else if (kind === "Job") spec = { ...o.spec, parallelism: replicas };
  else
    throw new SpecError([
      { severity: "error", message: `${kind} ${ns}/${name} cannot be scaled`, object: `${kind} ${ns}/${name}` },
    ]);
  const next = [...objects];
  next[i] = { ...o, spec };
  return reconcile(state, next);
}

/** A change on the model, as `podnet apply|delete|scale` (and later the real network) make it. */
export type Change =
  | { op: "apply"; objects: KubeObject[] }
  | { op: "delete"; kind: string; namespace: string; name: string }
  | { op: "scale"; kind: string; namespace: string; name: string; replicas: number };

export interface ChangeOutcome {
  state: ClusterState;
  events: KEvent[];
  diff: StateDiff;
}

/** Apply one change to the state (pure): the new state, its events, and what differs. */
export function runChange(state: ClusterState, change: Change): ChangeOutcome {
  const r =
    change.op === "apply"
      ? applyObjects(state, change.objects)
      : change.op === "delete"
        ? deleteObject(state, change.kind, change.namespace, change.name)
        : scale(state, change.kind, change.namespace, change.name, change.replicas);
  return { state: r.state, events: r.events, diff: diffStates(state, r.state) };
}
