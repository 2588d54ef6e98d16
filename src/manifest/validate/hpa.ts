// HorizontalPodAutoscaler (kubernetes/kubernetes pkg/apis/autoscaling/validation/validation.go
// validateHorizontalPodAutoscalerSpec, ValidateCrossVersionObjectReference): the replica
// bounds and the target. None is network-relevant: the API server refuses such an
// autoscaler, so the cluster runs its target as the target says (control/hpa.ts skips it).
import type { KubeObject } from "../types.js";
import { NO_VALUE, isInt, isObj } from "../diag.js";
import { type Err, notInteger } from "./common.js";
import { INT32_MAX } from "./workloads.js";

export function checkHorizontalPodAutoscaler(err: Err, o: KubeObject): void {
  const spec = o.spec;
  if (!isObj(spec)) return err("spec", spec ?? NO_VALUE, spec === undefined ? "is required" : "must be a mapping");
  const min = spec.minReplicas;
  // maxReplicas is a plain int32: absent, Go reads 0 ("Invalid value: 0: must be greater than 0").
  const max = spec.maxReplicas ?? 0;
  const intOk = (field: string, v: unknown) => {
    if (!isInt(v)) err(field, v, notInteger(v));
    else if (v > INT32_MAX) err(field, v, `must be at most ${INT32_MAX} (an int32)`);
    else return true;
    return false;
  };
  const minOk = min === undefined || min === null || intOk("spec.minReplicas", min);
  if (minOk && isInt(min) && min < 1) err("spec.minReplicas", min, "must be greater than or equal to 1");
  if (intOk("spec.maxReplicas", max)) {
    if (max < 1) err("spec.maxReplicas", max, "must be greater than 0");
    if (minOk && isInt(min) && max < min)
      err("spec.maxReplicas", max, "must be greater than or equal to `minReplicas`");
  }
  const ref = spec.scaleTargetRef;
  if (!isObj(ref))
    return err("spec.scaleTargetRef", ref ?? NO_VALUE, ref === undefined ? "is required" : "must be a mapping");
  for (const k of ["kind", "name"]) {
    const v = ref[k];
    if (v === undefined || v === null || v === "") err(`spec.scaleTargetRef.${k}`, NO_VALUE, "Required value");
    else if (typeof v !== "string") err(`spec.scaleTargetRef.${k}`, v, "must be a string");
  }
}
