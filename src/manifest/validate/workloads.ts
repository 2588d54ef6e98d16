// Deployment, ReplicaSet, StatefulSet, DaemonSet and Job (pkg/apis/apps/validation,
// pkg/apis/batch/validation): replicas, template, selector.
import type { KubeObject } from "../types.js";
import { NO_VALUE, isInt, isObj } from "../diag.js";
import { dns1123Label } from "../names.js";
import {
  type Err,
  NET,
  checkFormat,
  checkLabels,
  checkSelector,
  notInteger,
  selectorMatches,
  selectorShaped,
} from "./common.js";
import { checkPodSpec } from "./pod.js";

export const INT32_MAX = 2147483647;

/** Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController: selector, template, replicas. */
export function checkWorkload(err: Err, o: KubeObject): void {
  const spec = o.spec;
  if (!isObj(spec)) return err("spec", spec ?? NO_VALUE, spec === undefined ? "is required" : "must be a mapping", NET);
  for (const key of ["replicas", "parallelism", "completions"]) {
    if (spec[key] === undefined || spec[key] === null) continue;
    if (!isInt(spec[key])) err(`spec.${key}`, spec[key], notInteger(spec[key]), NET);
    else if (spec[key] < 0) err(`spec.${key}`, spec[key], "must be greater than or equal to 0", NET);
    // The fields are int32 (k8s.io/api apps/v1 DeploymentSpec.Replicas, batch/v1 JobSpec):
    // a larger number fails decoding ("cannot unmarshal number … of type int32").
    else if (spec[key] > INT32_MAX) err(`spec.${key}`, spec[key], `must be at most ${INT32_MAX} (an int32)`, NET);
  }
  // batch/v1 CompletionMode (pkg/apis/batch/validation validateJobSpec).
  if (o.kind === "Job" && spec.completionMode !== undefined && spec.completionMode !== null)
    if (spec.completionMode !== "NonIndexed" && spec.completionMode !== "Indexed")
      err("spec.completionMode", spec.completionMode, "must be one of NonIndexed, Indexed");
  const tmpl = spec.template;
  if (!isObj(tmpl))
    return err("spec.template", tmpl ?? NO_VALUE, tmpl === undefined ? "is required" : "must be a mapping", NET);
  const tlabels = isObj(tmpl.metadata) && isObj(tmpl.metadata.labels) ? tmpl.metadata.labels : {};
  if (tmpl.metadata !== undefined) {
    if (!isObj(tmpl.metadata)) err("spec.template.metadata", tmpl.metadata, "must be a mapping", NET);
    else checkLabels(err, "spec.template.metadata.labels", tmpl.metadata.labels);
  }
  checkPodSpec(err, "spec.template.spec", tmpl.spec);
  if (o.kind === "StatefulSet" && spec.serviceName !== undefined && spec.serviceName !== "")
    checkFormat(err, "spec.serviceName", spec.serviceName, dns1123Label);
  if (o.kind === "ReplicationController") return checkRcSelector(err, spec.selector, tlabels);
  // The API server makes a Job's selector from its uid unless manualSelector is true
  // (kubernetes/kubernetes pkg/registry/batch/job/strategy.go generateSelector), and refuses
  // one a manifest gives without it (pkg/apis/batch/validation ValidateGeneratedSelector). A
  // dump's Job (it has a uid) carries the one the server made.
  if (o.kind === "Job" && spec.manualSelector !== true) {
    if (spec.selector === undefined) return;
    if (o.metadata.uid === undefined && spec.selector !== null)
      return err("spec.selector", spec.selector, "`selector` not auto-generated");
  }
  const sel = spec.selector;
  if (sel === undefined || sel === null) return err("spec.selector", NO_VALUE, "is required", NET);
  checkSelector(err, "spec.selector", sel);
  const empty =
    isObj(sel) &&
    Object.keys(sel.matchLabels ?? {}).length === 0 &&
    (!Array.isArray(sel.matchExpressions) || sel.matchExpressions.length === 0);
  if (empty) return err("spec.selector", sel, `empty selector is invalid for ${o.kind.toLowerCase()}`, NET);
  // A selector of the wrong shape was reported above; it matches nothing, but says nothing of the template.
  if (selectorShaped(sel) && !selectorMatches(sel, tlabels as Record<string, string>))
    err("spec.template.metadata.labels", tlabels, "`selector` does not match template `labels`");
}

/**
 * A ReplicationController's selector is a plain label map, defaulted to the template's
 * labels when empty (ValidateReplicationControllerSpec, pkg/apis/core/validation).
 */
function checkRcSelector(err: Err, given: unknown, tlabels: Record<string, unknown>): void {
  const empty = given === undefined || given === null || (isObj(given) && Object.keys(given).length === 0);
  if (!empty) checkLabels(err, "spec.selector", given);
  const sel = empty ? tlabels : given;
  if (!isObj(sel)) return;
  if (Object.keys(sel).length === 0) return err("spec.selector", NO_VALUE, "is required", NET);
  if (Object.entries(sel).some(([k, v]) => tlabels[k] !== v))
    err("spec.template.metadata.labels", tlabels, "`selector` does not match template `labels`");
}
