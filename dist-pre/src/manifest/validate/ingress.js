import { NO_VALUE, indexPath, isObj } from "../diag.js";
import { dns1035Label, ianaSvcName, wildcardDns1123Subdomain } from "../names.js";
import { isIP } from "../net.js";
import { checkPort } from "./common.js";
export function checkIngressBackend(err, f, b) {
    if (!isObj(b))
        return err(f, b ?? NO_VALUE, b === undefined ? "is required" : "must be a mapping");
    if (b.service !== undefined && b.resource !== undefined)
        err(f, NO_VALUE, "cannot set both service and resource backends");
    if (b.service === undefined) {
        if (b.resource === undefined)
            err(f, NO_VALUE, "one backend (service or resource) must be specified");
        return;
    }
    const s = b.service;
    if (!isObj(s))
        return err(`${f}.service`, s, "must be a mapping {name, port}");
    if (typeof s.name !== "string")
        err(`${f}.service.name`, s.name ?? NO_VALUE, "is required");
    else {
        const e = dns1035Label(s.name);
        if (e)
            err(`${f}.service.name`, s.name, e);
    }
    const p = s.port;
    if (!isObj(p))
        return err(`${f}.service.port`, p ?? NO_VALUE, "is required ({number} or {name})");
    if (p.number !== undefined && p.name !== undefined)
        err(`${f}.service.port`, NO_VALUE, "cannot set both port name & port number");
    else if (p.number !== undefined)
        checkPort(err, `${f}.service.port.number`, p.number);
    else if (p.name !== undefined) {
        const e = typeof p.name === "string" ? ianaSvcName(p.name) : "must be a string";
        if (e)
            err(`${f}.service.port.name`, p.name, e);
    }
    else
        err(`${f}.service.port`, NO_VALUE, "port name or number is required");
}
export function checkIngress(err, o) {
    const spec = o.spec;
    if (!isObj(spec))
        return err("spec", spec ?? NO_VALUE, spec === undefined ? "is required" : "must be a mapping");
    if (spec.defaultBackend !== undefined)
        checkIngressBackend(err, "spec.defaultBackend", spec.defaultBackend);
    const rules = spec.rules;
    if (rules === undefined || rules === null) {
        if (spec.defaultBackend === undefined)
            err("spec", NO_VALUE, "either `defaultBackend` or `rules` must be specified");
        return;
    }
    if (!Array.isArray(rules))
        return err("spec.rules", rules, "must be a list");
    rules.forEach((r, i) => {
        const f = indexPath("spec.rules", i);
        if (!isObj(r))
            return err(f, r, "must be a mapping");
        if (r.host !== undefined && r.host !== "") {
            if (typeof r.host !== "string")
                err(`${f}.host`, r.host, "must be a string");
            else if (isIP(r.host))
                err(`${f}.host`, r.host, "must be a DNS name, not an IP address");
            else {
                const e = wildcardDns1123Subdomain(r.host);
                if (e)
                    err(`${f}.host`, r.host, e);
            }
        }
        const paths = r.http?.paths;
        if (r.http === undefined)
            return;
        if (!Array.isArray(paths) || paths.length === 0)
            return err(`${f}.http.paths`, NO_VALUE, "is required (at least one path)");
        paths.forEach((p, j) => {
            const pf = indexPath(`${f}.http.paths`, j);
            if (!isObj(p))
                return err(pf, p, "must be a mapping");
            const types = ["Exact", "Prefix", "ImplementationSpecific"];
            if (p.pathType === undefined)
                err(`${pf}.pathType`, NO_VALUE, "pathType must be specified");
            else if (!types.includes(p.pathType))
                err(`${pf}.pathType`, p.pathType, `must be one of ${types.join(", ")}`);
            if (p.pathType !== "ImplementationSpecific" && (typeof p.path !== "string" || !p.path.startsWith("/")))
                err(`${pf}.path`, p.path ?? NO_VALUE, "must be an absolute path");
            checkIngressBackend(err, `${pf}.backend`, p.backend);
        });
    });
}
//# sourceMappingURL=ingress.js.map