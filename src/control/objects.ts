// Object identity for the reconcile step: the key an object is known by, and whether two
// versions of it are the same (its `source` position aside).
import { inFull, readInPart } from "../manifest/documents.js";
import type { KubeObject } from "../manifest/types.js";
import { stableJson } from "./hash.js";

export const WORKLOAD_KINDS = new Set([
  "Deployment",
  "ReplicaSet",
  "StatefulSet",
  "DaemonSet",
  "Job",
  "ReplicationController",
]);
export { CLUSTER_SCOPED } from "../manifest/diag.js";
import { CLUSTER_SCOPED } from "../manifest/diag.js";

type Keyed = { kind: string; metadata: { namespace?: string; name: string } };

/** The namespace part of an object's key: "" for a cluster-scoped kind, else its namespace or "default". */
export function objNamespace(o: Keyed): string {
  return CLUSTER_SCOPED.has(o.kind) ? "" : (o.metadata.namespace ?? "default");
}

export function objKey(o: Keyed): string {
  return `${o.kind}/${objNamespace(o)}/${o.metadata.name}`;
}

export function sameObject(a: KubeObject | undefined, b: KubeObject): boolean {
  if (!a) return false;
  if (a === b) return true;
  const strip = (o: KubeObject) => {
    const { source: _s, ...rest } = o;
    void _s;
    return stableJson(rest);
  };
  if (strip(a) === strip(b)) return true;
  // A dump's pod is read without what only its whole views show: compare them whole.
  if (!readInPart(a) && !readInPart(b)) return false;
  return strip(inFull(a)) === strip(inFull(b));
}
