// Ingress (pkg/apis/networking/validation ValidateIngress): rules, paths and backends.
import type { KubeObject } from "../types.js";
import { NO_VALUE, indexPath, isObj } from "../diag.js";
import { dns1035Label, ianaSvcName, wildcardDns1123Subdomain } from "../names.js";
import { isIP } from "../net.js";
import { type Err, NET, checkFormat, checkPort } from "./common.js";

// Where a request is routed is network-relevant; the format of a host, a Service name or a
// port name is an API rule (a name that does not match routes nowhere, as on a cluster).
export function checkIngressBackend(apiErr: Err, f: string, b: unknown): void {
  const err: Err = (fl, v, t) => apiErr(fl, v, t, NET);
  if (!isObj(b)) return err(f, b ?? NO_VALUE, b === undefined ? "is required" : "must be a mapping");
  if (b.service !== undefined && b.resource !== undefined)
    err(f, NO_VALUE, "cannot set both service and resource backends");
  if (b.service === undefined) {
    if (b.resource === undefined) err(f, NO_VALUE, "one backend (service or resource) must be specified");
    return;
  }
  const s = b.service;
  if (!isObj(s)) return err(`${f}.service`, s, "must be a mapping {name, port}");
  if (s.name === undefined || s.name === null) err(`${f}.service.name`, NO_VALUE, "is required");
  else checkFormat(apiErr, `${f}.service.name`, s.name, dns1035Label);
  const p = s.port;
  if (!isObj(p)) return err(`${f}.service.port`, p ?? NO_VALUE, "is required ({number} or {name})");
  if (p.number !== undefined && p.name !== undefined)
    err(`${f}.service.port`, NO_VALUE, "cannot set both port name & port number");
  else if (p.number !== undefined) checkPort(err, `${f}.service.port.number`, p.number);
  else if (p.name !== undefined) checkFormat(apiErr, `${f}.service.port.name`, p.name, ianaSvcName);
  else err(`${f}.service.port`, NO_VALUE, "port name or number is required");
}

export function checkIngress(apiErr: Err, o: KubeObject): void {
  const err: Err = (f, v, t) => apiErr(f, v, t, NET);
  const spec = o.spec;
  if (!isObj(spec)) return err("spec", spec ?? NO_VALUE, spec === undefined ? "is required" : "must be a mapping");
  if (spec.defaultBackend !== undefined) checkIngressBackend(apiErr, "spec.defaultBackend", spec.defaultBackend);
  const rules = spec.rules;
  if (rules === undefined || rules === null) {
    if (spec.defaultBackend === undefined)
      err("spec", NO_VALUE, "either `defaultBackend` or `rules` must be specified");
    return;
  }
  if (!Array.isArray(rules)) return err("spec.rules", rules, "must be a list");
  rules.forEach((r: unknown, i: number) => {
    const f = indexPath("spec.rules", i);
    if (!isObj(r)) return err(f, r, "must be a mapping");
    if (r.host !== undefined && r.host !== "") {
      if (typeof r.host !== "string") err(`${f}.host`, r.host, "must be a string");
      else if (isIP(r.host)) apiErr(`${f}.host`, r.host, "must be a DNS name, not an IP address");
      else checkFormat(apiErr, `${f}.host`, r.host, wildcardDns1123Subdomain);
    }
    const paths = r.http?.paths;
    if (r.http === undefined) return;
    if (!Array.isArray(paths) || paths.length === 0)
      return err(`${f}.http.paths`, NO_VALUE, "is required (at least one path)");
    paths.forEach((p: unknown, j: number) => {
      const pf = indexPath(`${f}.http.paths`, j);
      if (!isObj(p)) return err(pf, p, "must be a mapping");
      const types = ["Exact", "Prefix", "ImplementationSpecific"];
      if (p.pathType === undefined) err(`${pf}.pathType`, NO_VALUE, "pathType must be specified");
      else if (!types.includes(p.pathType)) err(`${pf}.pathType`, p.pathType, `must be one of ${types.join(", ")}`);
      if (p.pathType !== "ImplementationSpecific" && (typeof p.path !== "string" || !p.path.startsWith("/")))
        err(`${pf}.path`, p.path ?? NO_VALUE, "must be an absolute path");
      checkIngressBackend(apiErr, `${pf}.backend`, p.backend);
    });
  });
}

/** IngressClass (ValidateIngressClass): spec.controller, a domain-prefixed path, required. */
export function checkIngressClass(apiErr: Err, o: KubeObject): void {
  const err: Err = (f, v, t) => apiErr(f, v, t, NET);
  const spec = o.spec;
  if (!isObj(spec)) return err("spec", spec ?? NO_VALUE, spec === undefined ? "is required" : "must be a mapping");
  const c = spec.controller;
  if (c === undefined || c === null || c === "") return err("spec.controller", NO_VALUE, "Required value");
  if (typeof c !== "string") return err("spec.controller", c, "must be a string");
  // validation.go: IsDomainPrefixedPath, at most 250 characters ("k8s.io/ingress-nginx").
  if (c.length > 250) apiErr("spec.controller", c, "must be no more than 250 characters");
  else if (
    !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/.test(c)
  )
    apiErr("spec.controller", c, 'must be a domain-prefixed path (such as "acme.io/foo")');
}
