// Gateway API objects (gateway.networking.k8s.io): the CRDs' OpenAPI and CEL validation
// where it matters to routing (kubernetes-sigs/gateway-api apis/v1/{gatewayclass,gateway,
// httproute,shared}_types.go and config/crd/standard/*.yaml). Every finding here is
// network-relevant: it decides whether and where a request is routed.
import type { KubeObject } from "../types.js";
import { NO_VALUE, indexPath, isInt, isObj } from "../diag.js";
import { dns1123Label, wildcardDns1123Subdomain } from "../names.js";
import { isIP } from "../net.js";
import { type Err, NET, checkFormat, checkPort } from "./common.js";

/** GatewayController / the listener protocol: a domain-prefixed path ("podnet.dev/gateway"). */
const DOMAIN_PREFIXED =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;
const CORE_PROTOCOLS = ["HTTP", "HTTPS", "TLS", "TCP", "UDP"];
export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];
const PATH_TYPES = ["Exact", "PathPrefix", "RegularExpression"];
const VALUE_TYPES = ["Exact", "RegularExpression"];
const FILTER_TYPES = [
  "RequestHeaderModifier",
  "ResponseHeaderModifier",
  "RequestMirror",
  "RequestRedirect",
  "URLRewrite",
  "ExtensionRef",
];

const net =
  (apiErr: Err): Err =>
  (f, v, t) =>
    apiErr(f, v, t, NET);

function hostname(err: Err, f: string, v: unknown): void {
  if (typeof v !== "string") return err(f, v, "must be a string");
  // shared_types.go Hostname: a DNS subdomain, optionally `*.`-prefixed, never an IP.
  if (isIP(v)) return err(f, v, "must be a DNS name, not an IP address");
  checkFormat(err, f, v, wildcardDns1123Subdomain);
}

function list(err: Err, f: string, v: unknown, max: number, required: boolean): unknown[] {
  if (v === undefined || v === null) {
    if (required) err(f, NO_VALUE, "Required value");
    return [];
  }
  if (!Array.isArray(v)) {
    err(f, v, "must be a list");
    return [];
  }
  if (required && v.length === 0) err(f, NO_VALUE, "Required value: at least 1 item");
  if (v.length > max) err(f, v.length, `must have at most ${max} items`);
  return v;
}

export function checkGatewayClass(apiErr: Err, o: KubeObject): void {
  const err = net(apiErr);
  if (!isObj(o.spec))
    return err("spec", o.spec ?? NO_VALUE, o.spec === undefined ? "Required value" : "must be a mapping");
  const c = o.spec.controllerName;
  if (c === undefined || c === null || c === "") return err("spec.controllerName", NO_VALUE, "Required value");
  if (typeof c !== "string" || c.length > 253 || !DOMAIN_PREFIXED.test(c))
    err("spec.controllerName", c, 'must be a domain-prefixed path (such as "podnet.dev/gateway")');
}

export function checkGateway(apiErr: Err, o: KubeObject): void {
  const err = net(apiErr);
  const spec = o.spec;
  if (!isObj(spec)) return err("spec", spec ?? NO_VALUE, spec === undefined ? "Required value" : "must be a mapping");
  if (typeof spec.gatewayClassName !== "string" || spec.gatewayClassName === "")
    err("spec.gatewayClassName", spec.gatewayClassName ?? NO_VALUE, "Required value");
  const names = new Set<string>();
  const combos = new Set<string>();
  list(err, "spec.listeners", spec.listeners, 64, true).forEach((l, i) => {
    const f = indexPath("spec.listeners", i);
    if (!isObj(l)) return err(f, l, "must be a mapping");
    if (typeof l.name !== "string" || l.name === "") err(`${f}.name`, l.name ?? NO_VALUE, "Required value");
    else {
      checkFormat(err, `${f}.name`, l.name, dns1123Label);
      // CEL: "Listener name must be unique within the Gateway".
      if (names.has(l.name)) err(`${f}.name`, l.name, "Listener name must be unique within the Gateway");
      names.add(l.name);
    }
    checkPort(err, `${f}.port`, l.port);
    const p = l.protocol;
    if (typeof p !== "string" || p === "") err(`${f}.protocol`, p ?? NO_VALUE, "Required value");
    else if (!CORE_PROTOCOLS.includes(p) && !DOMAIN_PREFIXED.test(p))
      err(`${f}.protocol`, p, `must be one of ${CORE_PROTOCOLS.join(", ")} or a domain-prefixed name`);
    if (l.hostname !== undefined) hostname(err, `${f}.hostname`, l.hostname);
    // CEL on Listener: tls for HTTPS/TLS only.
    if ((p === "HTTPS" || p === "TLS") && !isObj(l.tls))
      err(`${f}.tls`, NO_VALUE, "tls must be specified for protocols ['HTTPS', 'TLS']");
    if ((p === "HTTP" || p === "TCP" || p === "UDP") && l.tls !== undefined)
      err(`${f}.tls`, l.tls, "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']");
    const combo = `${l.port}/${p}/${l.hostname ?? ""}`;
    if (combos.has(combo)) err(f, combo, "Combination of port, protocol and hostname must be unique for each listener");
    combos.add(combo);
    const ns = isObj(l.allowedRoutes) ? l.allowedRoutes.namespaces : undefined;
    if (ns !== undefined) {
      const nf = `${f}.allowedRoutes.namespaces`;
      if (!isObj(ns)) err(nf, ns, "must be a mapping");
      else if (ns.from !== undefined && !["All", "Same", "Selector"].includes(ns.from))
        err(`${nf}.from`, ns.from, "must be one of All, Same, Selector");
      else if (ns.from === "Selector" && !isObj(ns.selector))
        err(`${nf}.selector`, NO_VALUE, "Required value when from is Selector");
    }
  });
}

export function checkHTTPRoute(apiErr: Err, o: KubeObject): void {
  const err = net(apiErr);
  const spec = o.spec;
  if (!isObj(spec)) return err("spec", spec ?? NO_VALUE, spec === undefined ? "Required value" : "must be a mapping");
  list(err, "spec.parentRefs", spec.parentRefs, 32, false).forEach((p, i) => {
    const f = indexPath("spec.parentRefs", i);
    if (!isObj(p)) return err(f, p, "must be a mapping");
    if (typeof p.name !== "string" || p.name === "") err(`${f}.name`, p.name ?? NO_VALUE, "Required value");
    if (p.port !== undefined) checkPort(err, `${f}.port`, p.port);
  });
  list(err, "spec.hostnames", spec.hostnames, 16, false).forEach((h, i) =>
    hostname(err, indexPath("spec.hostnames", i), h),
  );
  list(err, "spec.rules", spec.rules, 16, false).forEach((r, i) => {
    const f = indexPath("spec.rules", i);
    if (!isObj(r)) return err(f, r, "must be a mapping");
    const matches = list(err, `${f}.matches`, r.matches, 64, false);
    matches.forEach((m, j) => checkMatch(err, indexPath(`${f}.matches`, j), m));
    const filters = list(err, `${f}.filters`, r.filters, 16, false);
    const types = filters.map((x, j) => checkFilter(err, indexPath(`${f}.filters`, j), x, matches));
    // CEL on HTTPRouteRule / HTTPRouteFilter lists.
    if (types.includes("RequestRedirect") && types.includes("URLRewrite"))
      err(
        `${f}.filters`,
        NO_VALUE,
        "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both",
      );
    for (const t of ["RequestHeaderModifier", "RequestRedirect", "URLRewrite"])
      if (types.filter((x) => x === t).length > 1) err(`${f}.filters`, t, `${t} filter cannot be repeated`);
    list(err, `${f}.backendRefs`, r.backendRefs, 16, false).forEach((b, j) => {
      const bf = indexPath(`${f}.backendRefs`, j);
      if (!isObj(b)) return err(bf, b, "must be a mapping");
      if (typeof b.name !== "string" || b.name === "") err(`${bf}.name`, b.name ?? NO_VALUE, "Required value");
      const core = (b.group ?? "") === "" && (b.kind ?? "Service") === "Service";
      if (b.port === undefined) {
        if (core) err(`${bf}.port`, NO_VALUE, "Must have port for Service reference");
      } else checkPort(err, `${bf}.port`, b.port);
      if (b.weight !== undefined && (!isInt(b.weight) || b.weight < 0 || b.weight > 1000000))
        err(`${bf}.weight`, b.weight, "must be an integer 0-1000000");
    });
  });
}

function checkMatch(err: Err, f: string, m: unknown): void {
  if (!isObj(m)) return err(f, m, "must be a mapping");
  if (m.path !== undefined) {
    const p = m.path;
    if (!isObj(p)) return err(`${f}.path`, p, "must be a mapping {type, value}");
    const type = p.type ?? "PathPrefix";
    if (!PATH_TYPES.includes(type)) err(`${f}.path.type`, type, `must be one of ${PATH_TYPES.join(", ")}`);
    const v = p.value ?? "/";
    if (typeof v !== "string") err(`${f}.path.value`, v, "must be a string");
    else if (type !== "RegularExpression") {
      // CEL on HTTPPathMatch.
      if (!v.startsWith("/"))
        err(
          `${f}.path.value`,
          v,
          "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']",
        );
      else if (/\/\/|\/\.\/|\/\.\.\/|%2f|%2F|#|\/\.\.?$/.test(v))
        err(
          `${f}.path.value`,
          v,
          "must not contain '//', '/./', '/../', '%2f', '%2F' or '#', nor end with '/..' or '/.'",
        );
    } else {
      try {
        new RegExp(v);
      } catch {
        err(`${f}.path.value`, v, "is not a valid regular expression");
      }
    }
  }
  for (const [key, max] of [
    ["headers", 16],
    ["queryParams", 16],
  ] as const)
    list(err, `${f}.${key}`, m[key], max, false).forEach((h, k) => {
      const hf = indexPath(`${f}.${key}`, k);
      if (!isObj(h)) return err(hf, h, "must be a mapping {name, value}");
      if (typeof h.name !== "string" || h.name === "") err(`${hf}.name`, h.name ?? NO_VALUE, "Required value");
      if (typeof h.value !== "string") err(`${hf}.value`, h.value ?? NO_VALUE, "Required value");
      if (h.type !== undefined && !VALUE_TYPES.includes(h.type))
        err(`${hf}.type`, h.type, `must be one of ${VALUE_TYPES.join(", ")}`);
    });
  if (m.method !== undefined && !HTTP_METHODS.includes(m.method))
    err(`${f}.method`, m.method, `must be one of ${HTTP_METHODS.join(", ")}`);
}

function checkFilter(err: Err, f: string, x: unknown, matches: unknown[]): string {
  if (!isObj(x)) {
    err(f, x, "must be a mapping");
    return "";
  }
  if (!FILTER_TYPES.includes(x.type)) err(`${f}.type`, x.type ?? NO_VALUE, `must be one of ${FILTER_TYPES.join(", ")}`);
  if (x.type === "RequestRedirect") {
    const r = x.requestRedirect;
    if (!isObj(r))
      err(
        `${f}.requestRedirect`,
        r ?? NO_VALUE,
        "filter.requestRedirect must be specified for RequestRedirect filter.type",
      );
    else {
      if (r.scheme !== undefined && r.scheme !== "http" && r.scheme !== "https")
        err(`${f}.requestRedirect.scheme`, r.scheme, "must be one of http, https");
      if (r.statusCode !== undefined && r.statusCode !== 301 && r.statusCode !== 302)
        err(`${f}.requestRedirect.statusCode`, r.statusCode, "must be one of 301, 302");
      if (r.hostname !== undefined) hostname(err, `${f}.requestRedirect.hostname`, r.hostname);
      if (r.port !== undefined) checkPort(err, `${f}.requestRedirect.port`, r.port);
      checkPathModifier(err, `${f}.requestRedirect.path`, r.path, matches);
    }
  }
  if (x.type === "URLRewrite") {
    const r = x.urlRewrite;
    if (!isObj(r))
      err(`${f}.urlRewrite`, r ?? NO_VALUE, "filter.urlRewrite must be specified for URLRewrite filter.type");
    else {
      if (r.hostname !== undefined) hostname(err, `${f}.urlRewrite.hostname`, r.hostname);
      checkPathModifier(err, `${f}.urlRewrite.path`, r.path, matches);
    }
  }
  if (x.type === "RequestHeaderModifier" && !isObj(x.requestHeaderModifier))
    err(
      `${f}.requestHeaderModifier`,
      x.requestHeaderModifier ?? NO_VALUE,
      "filter.requestHeaderModifier must be specified for RequestHeaderModifier filter.type",
    );
  return typeof x.type === "string" ? x.type : "";
}

function checkPathModifier(err: Err, f: string, p: unknown, matches: unknown[]): void {
  if (p === undefined) return;
  if (!isObj(p)) return err(f, p, "must be a mapping {type, ...}");
  if (p.type === "ReplaceFullPath") {
    if (typeof p.replaceFullPath !== "string")
      err(
        `${f}.replaceFullPath`,
        p.replaceFullPath ?? NO_VALUE,
        "replaceFullPath must be specified when type is set to 'ReplaceFullPath'",
      );
  } else if (p.type === "ReplacePrefixMatch") {
    if (typeof p.replacePrefixMatch !== "string")
      err(
        `${f}.replacePrefixMatch`,
        p.replacePrefixMatch ?? NO_VALUE,
        "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'",
      );
    // CEL on HTTPRouteRule: the prefix to replace must be the match's.
    const prefixOnly =
      matches.length === 1 &&
      isObj(matches[0]) &&
      ((matches[0].path as { type?: string } | undefined)?.type ?? "PathPrefix") === "PathPrefix";
    if (!prefixOnly) err(f, p.type, "When using ReplacePrefixMatch, exactly one PathPrefix match must be specified");
  } else err(`${f}.type`, p.type ?? NO_VALUE, "must be one of ReplaceFullPath, ReplacePrefixMatch");
}

export function checkReferenceGrant(apiErr: Err, o: KubeObject): void {
  const err = net(apiErr);
  const spec = o.spec;
  if (!isObj(spec)) return err("spec", spec ?? NO_VALUE, spec === undefined ? "Required value" : "must be a mapping");
  list(err, "spec.from", spec.from, 16, true).forEach((x, i) => {
    const f = indexPath("spec.from", i);
    if (!isObj(x)) return err(f, x, "must be a mapping {group, kind, namespace}");
    for (const k of ["kind", "namespace"])
      if (typeof x[k] !== "string" || x[k] === "") err(`${f}.${k}`, x[k] ?? NO_VALUE, "Required value");
    if (typeof x.group !== "string") err(`${f}.group`, x.group ?? NO_VALUE, "Required value");
  });
  list(err, "spec.to", spec.to, 16, true).forEach((x, i) => {
    const f = indexPath("spec.to", i);
    if (!isObj(x)) return err(f, x, "must be a mapping {group, kind, name?}");
    if (typeof x.kind !== "string" || x.kind === "") err(`${f}.kind`, x.kind ?? NO_VALUE, "Required value");
    if (typeof x.group !== "string") err(`${f}.group`, x.group ?? NO_VALUE, "Required value");
  });
}
