import { NO_VALUE, isInt, isObj, labelOf, where } from "./diag.js";
import { parseIPv4 } from "../net/ipv4.js";
import { checkMeta } from "./validate/common.js";
import { checkEndpointSlice, checkEndpoints } from "./validate/endpoints.js";
import { checkIngress } from "./validate/ingress.js";
import { checkNode, checkPod } from "./validate/pod.js";
import { checkNetworkPolicy } from "./validate/policy.js";
import { checkService } from "./validate/service.js";
import { checkWorkload } from "./validate/workloads.js";
export { checkLabels, checkSelector, selectorMatches } from "./validate/common.js";
/** "file:line" of a field of another object, for "first defined at" texts. */
function at(s, field) {
    return s ? `${s.file}:${(field && s.lineOf?.(field)) || s.line}` : "another document";
}
/** Validates every object, then the cross-object rules. */
export function validateObjects(objects, config, diags) {
    const seen = { objects: new Map(), clusterIPs: new Map(), nodePorts: new Map() };
    // Namespaces every cluster has; others must be created by a Namespace object.
    const namespaces = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);
    for (const o of objects)
        if (o.kind === "Namespace" && typeof o.metadata.name === "string")
            namespaces.add(o.metadata.name);
    const undeclared = new Set();
    for (const o of objects) {
        const w = where(o);
        const ns = o.metadata.namespace;
        if (typeof ns === "string" && o.kind !== "Namespace" && !namespaces.has(ns) && !undeclared.has(ns)) {
            // Not fatal: manifests are often applied into namespaces created elsewhere.
            undeclared.add(ns);
            diags.warn(w, "metadata.namespace", ns, `is not declared by a Namespace object (on a real cluster: namespaces "${ns}" not found)`);
        }
        const err = (field, value, text) => diags.error(w, field, value, text);
        checkMeta(err, o);
        checkKind(err, o, config, diags);
        checkDuplicate(err, o, seen);
        if (o.kind === "Service" && isObj(o.spec))
            checkServiceConflicts(err, o, seen);
    }
}
/** The rules of the object's kind. */
function checkKind(err, o, config, diags) {
    switch (o.kind) {
        case "Pod":
            checkPod(err, o);
            break;
        case "Deployment":
        case "ReplicaSet":
        case "StatefulSet":
        case "DaemonSet":
        case "Job":
            checkWorkload(err, o);
            break;
        case "Service":
            checkService(err, o, config);
            break;
        case "NetworkPolicy":
            checkNetworkPolicy(err, o);
            break;
        case "EndpointSlice":
            checkEndpointSlice(err, o);
            // Not an API error, but without it the slice belongs to no Service.
            if (o.metadata.labels?.["kubernetes.io/service-name"] === undefined)
                diags.warn(where(o), "metadata.labels", NO_VALUE, 'has no "kubernetes.io/service-name" label: the slice belongs to no Service');
            break;
        case "Endpoints":
            checkEndpoints(err, o);
            break;
        case "Ingress":
            checkIngress(err, o);
            break;
        case "Node":
            checkNode(err, o);
            break;
    }
}
/** Duplicates: same kind, namespace and name (both locations named). */
function checkDuplicate(err, o, seen) {
    const key = `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
    const first = seen.objects.get(key);
    if (first)
        err("metadata.name", o.metadata.name, `duplicate ${labelOf(o)} (first defined at ${at(first.source, "metadata.name")})`);
    else
        seen.objects.set(key, o);
}
/** Two Services asking for the same clusterIP / nodePort: only one can have it. */
function checkServiceConflicts(err, o, seen) {
    const ip = o.spec.clusterIP;
    if (typeof ip === "string" && ip !== "None" && ip !== "" && parseIPv4(ip) !== undefined) {
        const other = seen.clusterIPs.get(ip);
        if (other && other !== o)
            err("spec.clusterIP", ip, `is already allocated to ${labelOf(other)} (${at(other.source, "spec.clusterIP")})`);
        else
            seen.clusterIPs.set(ip, o);
    }
    if (Array.isArray(o.spec.ports))
        o.spec.ports.forEach((p, i) => {
            if (!isObj(p) || !isInt(p.nodePort) || p.nodePort === 0)
                return;
            const k = `${p.nodePort}/${p.protocol ?? "TCP"}`;
            const other = seen.nodePorts.get(k);
            if (other)
                err(`spec.ports[${i}].nodePort`, p.nodePort, `provided port is already allocated (to ${labelOf(other)})`);
            else
                seen.nodePorts.set(k, o);
        });
}
//# sourceMappingURL=validate.js.map