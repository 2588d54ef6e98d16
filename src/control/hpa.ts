// The HorizontalPodAutoscaler controller, as far as it acts without metrics
// (kubernetes/kubernetes pkg/controller/podautoscaler/horizontal.go, reconcileAutoscaler):
// a target whose replicas are above maxReplicas is set to maxReplicas, one below
// minReplicas to minReplicas (minReplicas defaults to 1: pkg/apis/autoscaling/v2/defaults.go),
// each with a SuccessfulRescale event; a target at 0 replicas is left alone ("scaling is
// disabled since the replica count of the target is zero"). Between the bounds the count
// follows the metrics, which podnet does not have: it stays as the target says.
//
// The autoscaler writes the target's scale subresource, so the target object itself changes
// (`kubectl get deploy` shows the new count), as `podnet scale` changes it. A target read from
// a live cluster (it has a uid) already holds what its autoscaler set: it is left as observed.
import { isInt, isObj } from "../manifest/diag.js";
import type { KubeObject } from "../manifest/types.js";
import { INT32_MAX } from "../manifest/validate/workloads.js";
import { objKey } from "./objects.js";

/** The events' source (the controller's event recorder: horizontal.go NewHorizontalController). */
export const HPA_SOURCE = "horizontal-pod-autoscaler";

/** The kinds with a scale subresource an autoscaler can target. */
const SCALABLE = new Set(["Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"]);

export interface Rescale {
  /** The autoscaler, as events name objects: `horizontalpodautoscaler/ns/name`. */
  hpa: string;
  size: number;
  reason: string;
}

/** The bounds of a valid autoscaler (the API server refuses the others: validate/hpa.ts). */
function bounds(o: KubeObject): { min: number; max: number; kind: string; name: string } | undefined {
  const s = o.spec;
  if (!isObj(s) || !isObj(s.scaleTargetRef)) return undefined;
  const { kind, name } = s.scaleTargetRef;
  const min = s.minReplicas ?? 1;
  const max = s.maxReplicas;
  if (typeof kind !== "string" || typeof name !== "string" || !isInt(min) || !isInt(max)) return undefined;
  if (min < 1 || max < min || max > INT32_MAX) return undefined;
  return { min, max, kind, name };
}

/**
 * The objects with each autoscaler's target set within its bounds, and the rescales made.
 * Returns `objects` itself when no target changes.
 */
export function autoscale(objects: KubeObject[]): { objects: KubeObject[]; rescales: Rescale[] } {
  const rescales: Rescale[] = [];
  const hpas = objects.filter((o) => o.kind === "HorizontalPodAutoscaler");
  if (hpas.length === 0) return { objects, rescales };
  const at = new Map<string, number>();
  objects.forEach((o, i) => {
    if (SCALABLE.has(o.kind)) at.set(objKey(o), i);
  });
  let out: KubeObject[] | undefined;
  for (const h of hpas) {
    const b = bounds(h);
    if (!b || !SCALABLE.has(b.kind)) continue;
    const ns = h.metadata.namespace ?? "default";
    const i = at.get(objKey({ kind: b.kind, metadata: { namespace: ns, name: b.name } }));
    if (i === undefined) continue;
    const target = (out ?? objects)[i];
    if (target.metadata.uid !== undefined) continue;
    const current = target.spec?.replicas ?? 1;
    if (!isInt(current) || current === 0) continue;
    const above = current > b.max;
    if (!above && current >= b.min) continue;
    const size = above ? b.max : b.min;
    out ??= [...objects];
    out[i] = withReplicas(target, size);
    rescales.push({
      hpa: `horizontalpodautoscaler/${ns}/${h.metadata.name}`,
      size,
      reason: `Current number of replicas ${above ? "above Spec.MaxReplicas" : "below Spec.MinReplicas"}`,
    });
  }
  return { objects: out ?? objects, rescales };
}

/** A copy with spec.replicas set, keeping where the object was read (its hidden `source`). */
function withReplicas(o: KubeObject, replicas: number): KubeObject {
  const copy: KubeObject = { ...o, spec: { ...o.spec, replicas } };
  if (o.source)
    Object.defineProperty(copy, "source", { value: o.source, enumerable: false, writable: true, configurable: true });
  return copy;
}
