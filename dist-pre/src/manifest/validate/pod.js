import { NO_VALUE, indexPath, isObj } from "../diag.js";
import { dns1123Label, dns1123Subdomain, ianaSvcName, qualifiedName } from "../names.js";
import { isIP, parseCidrAny } from "../net.js";
import { checkPort, checkProtocol, checkLabels, checkSetOperatorValues } from "./common.js";
export function checkPodSpec(err, base, spec) {
    if (!isObj(spec))
        return err(base, spec ?? NO_VALUE, spec === undefined ? "is required" : "must be a mapping");
    const portNames = new Map();
    checkContainers(err, base, spec, "containers", true, portNames);
    checkContainers(err, base, spec, "initContainers", false, portNames);
    for (const key of ["hostname", "subdomain"]) {
        const v = spec[key];
        if (v === undefined)
            continue;
        const e = typeof v === "string" ? dns1123Label(v) : "must be a string";
        if (e)
            err(`${base}.${key}`, v, e);
    }
    if (spec.nodeName !== undefined) {
        const e = typeof spec.nodeName === "string" ? dns1123Subdomain(spec.nodeName) : "must be a string";
        if (e)
            err(`${base}.nodeName`, spec.nodeName, e);
    }
    if (spec.hostNetwork !== undefined && typeof spec.hostNetwork !== "boolean")
        err(`${base}.hostNetwork`, spec.hostNetwork, "must be true or false");
    checkPodDns(err, base, spec);
    if (spec.nodeSelector !== undefined)
        checkLabels(err, `${base}.nodeSelector`, spec.nodeSelector);
    if (spec.tolerations !== undefined)
        checkTolerations(err, `${base}.tolerations`, spec.tolerations);
    const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    if (terms !== undefined)
        checkNodeSelectorTerms(err, `${base}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`, terms);
}
/** containers / initContainers: names unique per list, port names unique in the pod. */
function checkContainers(err, base, spec, key, required, portNames) {
    const list = spec[key];
    const f = `${base}.${key}`;
    if (list === undefined || list === null) {
        if (required)
            err(f, NO_VALUE, "is required (at least one container)");
        return;
    }
    if (!Array.isArray(list))
        return err(f, list, "must be a list");
    if (required && list.length === 0)
        err(f, NO_VALUE, "is required (at least one container)");
    const names = new Set();
    list.forEach((c, i) => {
        const cf = indexPath(f, i);
        if (!isObj(c))
            return err(cf, c, "must be a mapping");
        if (typeof c.name !== "string" || c.name === "")
            err(`${cf}.name`, c.name ?? NO_VALUE, "is required");
        else {
            const e = dns1123Label(c.name);
            if (e)
                err(`${cf}.name`, c.name, e);
            else if (names.has(c.name))
                err(`${cf}.name`, c.name, "is a duplicate container name");
            names.add(c.name);
        }
        if (c.ports === undefined || c.ports === null)
            return;
        if (!Array.isArray(c.ports))
            return err(`${cf}.ports`, c.ports, "must be a list");
        c.ports.forEach((p, j) => checkContainerPort(err, indexPath(`${cf}.ports`, j), p, spec, portNames));
    });
}
function checkContainerPort(err, pf, p, spec, portNames) {
    if (!isObj(p))
        return err(pf, p, "must be a mapping");
    if (p.containerPort === undefined)
        err(`${pf}.containerPort`, NO_VALUE, "is required");
    else
        checkPort(err, `${pf}.containerPort`, p.containerPort);
    if (p.hostPort !== undefined && p.hostPort !== 0) {
        if (checkPort(err, `${pf}.hostPort`, p.hostPort) && spec.hostNetwork === true && p.hostPort !== p.containerPort)
            err(`${pf}.hostPort`, p.hostPort, "must match `containerPort` when `hostNetwork` is true");
    }
    checkProtocol(err, `${pf}.protocol`, p.protocol);
    if (p.name !== undefined) {
        const e = typeof p.name === "string" ? ianaSvcName(p.name) : "must be a string";
        if (e)
            err(`${pf}.name`, p.name, `is not a valid port name: ${e}`);
        else if (portNames.has(p.name))
            err(`${pf}.name`, p.name, `is a duplicate port name in the pod (also ${portNames.get(p.name)})`);
        else
            portNames.set(p.name, pf);
    }
}
/** dnsPolicy and dnsConfig (Kubernetes: MaxDNSNameservers 3, MaxDNSSearchPaths 32). */
function checkPodDns(err, base, spec) {
    const policies = ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"];
    if (spec.dnsPolicy !== undefined && !policies.includes(spec.dnsPolicy))
        err(`${base}.dnsPolicy`, spec.dnsPolicy, `must be one of ${policies.join(", ")}`);
    const dc = spec.dnsConfig;
    if (dc !== undefined && dc !== null) {
        const f = `${base}.dnsConfig`;
        if (!isObj(dc))
            err(f, dc, "must be a mapping");
        else {
            const ns = Array.isArray(dc.nameservers) ? dc.nameservers : [];
            if (ns.length > 3)
                err(`${f}.nameservers`, ns, "must not have more than 3 nameservers");
            ns.forEach((s, i) => {
                if (typeof s !== "string" || !isIP(s))
                    err(indexPath(`${f}.nameservers`, i), s, "must be a valid IP address");
            });
            const se = Array.isArray(dc.searches) ? dc.searches : [];
            if (se.length > 32)
                err(`${f}.searches`, NO_VALUE, "must not have more than 32 search paths");
            se.forEach((s, i) => {
                const e = typeof s === "string" ? dns1123Subdomain(s.replace(/\.$/, "")) : "must be a string";
                if (e)
                    err(indexPath(`${f}.searches`, i), s, e);
            });
            if (Array.isArray(dc.options))
                dc.options.forEach((op, i) => {
                    if (!isObj(op) || typeof op.name !== "string" || op.name === "")
                        err(`${indexPath(`${f}.options`, i)}.name`, NO_VALUE, "is required");
                });
        }
    }
    if (spec.dnsPolicy === "None" && !(isObj(dc) && Array.isArray(dc.nameservers) && dc.nameservers.length > 0))
        err(`${base}.dnsConfig.nameservers`, NO_VALUE, "must provide at least one DNS nameserver when `dnsPolicy` is None");
}
function checkTolerations(err, field, tolerations) {
    if (!Array.isArray(tolerations))
        return err(field, tolerations, "must be a list");
    tolerations.forEach((t, i) => {
        const f = indexPath(field, i);
        if (!isObj(t))
            return err(f, t, "must be a mapping");
        const op = t.operator ?? "Equal";
        if (op !== "Equal" && op !== "Exists")
            err(`${f}.operator`, t.operator, "must be Equal or Exists");
        if (t.key !== undefined && t.key !== "") {
            const e = typeof t.key === "string" ? qualifiedName(t.key) : "must be a string";
            if (e)
                err(`${f}.key`, t.key, e);
        }
        else if (op !== "Exists")
            err(`${f}.operator`, t.operator ?? NO_VALUE, 'must be Exists when `key` is empty, which means "match all values and all keys"');
        if (op === "Exists" && t.value !== undefined && t.value !== "")
            err(`${f}.value`, t.value, "value must be empty when `operator` is 'Exists'");
        const effects = ["NoSchedule", "PreferNoSchedule", "NoExecute", ""];
        if (t.effect !== undefined && !effects.includes(t.effect))
            err(`${f}.effect`, t.effect, "must be one of NoSchedule, PreferNoSchedule, NoExecute");
    });
}
/** Required node affinity: matchExpressions (In, NotIn, Exists, DoesNotExist, Gt, Lt) and matchFields (In, NotIn). */
function checkNodeSelectorTerms(err, tf, terms) {
    if (!Array.isArray(terms))
        return err(tf, terms, "must be a list");
    terms.forEach((term, i) => {
        if (!isObj(term))
            return err(indexPath(tf, i), term, "must be a mapping");
        for (const key of ["matchExpressions", "matchFields"]) {
            const list = term[key];
            if (list === undefined)
                continue;
            if (!Array.isArray(list)) {
                err(`${indexPath(tf, i)}.${key}`, list, "must be a list");
                continue;
            }
            list.forEach((r, j) => checkNodeSelectorRequirement(err, indexPath(`${indexPath(tf, i)}.${key}`, j), key, r));
        }
    });
}
function checkNodeSelectorRequirement(err, f, key, r) {
    if (!isObj(r))
        return err(f, r, "must be a mapping");
    const op = r.operator;
    if (key === "matchFields" && (op === "Exists" || op === "DoesNotExist" || op === "Gt" || op === "Lt"))
        err(`${f}.operator`, op, "not a valid selector operator for matchFields (In, NotIn)");
    else if (op === "Gt" || op === "Lt") {
        if (!Array.isArray(r.values) || r.values.length !== 1 || !/^-?\d+$/.test(String(r.values[0])))
            err(`${f}.values`, r.values ?? NO_VALUE, "must be specified single value when `operator` is 'Lt' or 'Gt' and it must be an integer");
    }
    else if (!checkSetOperatorValues(err, f, op, r.values))
        err(`${f}.operator`, op ?? NO_VALUE, "is not a valid node selector operator (In, NotIn, Exists, DoesNotExist, Gt, Lt)");
}
export function checkPod(err, o) {
    checkPodSpec(err, "spec", o.spec);
    const ip = o.status?.podIP;
    if (ip !== undefined && (typeof ip !== "string" || !isIP(ip)))
        err("status.podIP", ip, "must be a valid IP address");
}
export function checkNode(err, o) {
    const spec = o.spec;
    if (spec === undefined || spec === null)
        return;
    if (!isObj(spec))
        return err("spec", spec, "must be a mapping");
    for (const [i, c] of [spec.podCIDR, ...(Array.isArray(spec.podCIDRs) ? spec.podCIDRs : [])].entries()) {
        if (c === undefined)
            continue;
        const f = i === 0 ? "spec.podCIDR" : indexPath("spec.podCIDRs", i - 1);
        if (typeof c !== "string" || !parseCidrAny(c).ok)
            err(f, c, "is not a valid CIDR");
    }
    if (Array.isArray(spec.taints))
        spec.taints.forEach((t, i) => {
            const f = indexPath("spec.taints", i);
            if (!isObj(t) || typeof t.key !== "string")
                return err(`${f}.key`, NO_VALUE, "is required");
            const e = qualifiedName(t.key);
            if (e)
                err(`${f}.key`, t.key, e);
            if (!["NoSchedule", "PreferNoSchedule", "NoExecute"].includes(t.effect))
                err(`${f}.effect`, t.effect ?? NO_VALUE, "must be one of NoSchedule, PreferNoSchedule, NoExecute");
        });
}
//# sourceMappingURL=pod.js.map