import { NO_VALUE, isInt, isObj } from "../diag.js";
import { dns1123Label } from "../names.js";
import { checkLabels, checkSelector, selectorMatches } from "./common.js";
import { checkPodSpec } from "./pod.js";
/** Deployment, ReplicaSet, StatefulSet, DaemonSet, Job: selector, template, replicas. */
export function checkWorkload(err, o) {
    const spec = o.spec;
    if (!isObj(spec))
        return err("spec", spec ?? NO_VALUE, spec === undefined ? "is required" : "must be a mapping");
    for (const key of ["replicas", "parallelism", "completions"]) {
        if (spec[key] === undefined || spec[key] === null)
            continue;
        if (!isInt(spec[key]) || spec[key] < 0)
            err(`spec.${key}`, spec[key], "must be greater than or equal to 0");
    }
    const tmpl = spec.template;
    if (!isObj(tmpl))
        return err("spec.template", tmpl ?? NO_VALUE, tmpl === undefined ? "is required" : "must be a mapping");
    const tlabels = isObj(tmpl.metadata) && isObj(tmpl.metadata.labels) ? tmpl.metadata.labels : {};
    if (tmpl.metadata !== undefined) {
        if (!isObj(tmpl.metadata))
            err("spec.template.metadata", tmpl.metadata, "must be a mapping");
        else
            checkLabels(err, "spec.template.metadata.labels", tmpl.metadata.labels);
    }
    checkPodSpec(err, "spec.template.spec", tmpl.spec);
    if (o.kind === "StatefulSet" && spec.serviceName !== undefined && spec.serviceName !== "") {
        const e = typeof spec.serviceName === "string" ? dns1123Label(spec.serviceName) : "must be a string";
        if (e)
            err("spec.serviceName", spec.serviceName, e);
    }
    // Job generates its selector (controller-uid) unless manualSelector is set.
    if (o.kind === "Job" && spec.selector === undefined)
        return;
    const sel = spec.selector;
    if (sel === undefined || sel === null)
        return err("spec.selector", NO_VALUE, "is required");
    checkSelector(err, "spec.selector", sel);
    const empty = isObj(sel) &&
        Object.keys(sel.matchLabels ?? {}).length === 0 &&
        (!Array.isArray(sel.matchExpressions) || sel.matchExpressions.length === 0);
    if (empty)
        return err("spec.selector", sel, `empty selector is invalid for ${o.kind.toLowerCase()}`);
    if (isObj(sel) && !selectorMatches(sel, tlabels))
        err("spec.template.metadata.labels", tlabels, "`selector` does not match template `labels`");
}
//# sourceMappingURL=workloads.js.map