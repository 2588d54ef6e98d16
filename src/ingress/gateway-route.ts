// Routing one request through podnet's Gateway listener tables (gateway.ts): the listener,
// the first match in precedence order, then the rule's action (see gateway.ts's header).
import type { Mapping } from "../manifest/diag.js";
import { arr, type GatewayResult, hostMatches, type ListenerTable, type RouteMatch } from "./gateway-types.js";
import { type BackendIndex, resolveBackend } from "./nginx.js";
import { normalizeUri, type ParsedRequest } from "./request.js";
import type { RouteDecision } from "./types.js";

const wellKnown = (scheme: string) => (scheme === "https" ? 443 : 80);

/** The listener for the request: its port and scheme, the most specific hostname. */
export function pickListener(
  listeners: ListenerTable[],
  port: number,
  scheme: string,
  host: string,
): ListenerTable | null {
  let best: ListenerTable | null = null;
  let bestScore = -1;
  const protocol = scheme === "https" ? "HTTPS" : "HTTP";
  for (const l of listeners) {
    if (l.port !== port || l.protocol !== protocol || !hostMatches(l.hostname, host)) continue;
    // exact > longer wildcard > none; listeners in Gateway age order keep the first of equals.
    const score = l.hostname === null ? 0 : l.hostname.startsWith("*.") ? l.hostname.length : 1000 + l.hostname.length;
    if (score > bestScore) {
      best = l;
      bestScore = score;
    }
  }
  return best;
}

/** The matches to try for a host: exact, then `*.` suffixes longest first, then none. */
export function matchesFor(l: ListenerTable, host: string): RouteMatch[] {
  const cached = l.cache.get(host);
  if (cached) return cached;
  let out: RouteMatch[] = [];
  const exact = l.exact.get(host);
  if (exact) out = out.concat(exact);
  for (let i = host.indexOf("."); i > 0; i = host.indexOf(".", i + 1)) {
    const w = l.wildcard.get(host.slice(i));
    if (w) out = out.concat(w);
  }
  out = out.concat(l.any);
  if (l.cache.size < 10000) l.cache.set(host, out);
  return out;
}

/**
 * A query parameter's name or value as NGINX Gateway Fabric's httpmatches.js sees it: njs's
 * `r.args`, whose "keys and values are percent-decoded" (https://nginx.org/en/docs/njs/reference.html#r_args),
 * `+` as a space; a `%` not followed by two hex digits stays as it is; bytes that are not
 * UTF-8 become U+FFFD (https://url.spec.whatwg.org/#application/x-www-form-urlencoded).
 */
export function decodeQueryComponent(s: string): string {
  if (!/[%+]/.test(s)) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 43) bytes.push(32);
    else if (c === 37 && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      const ch = String.fromCodePoint(s.codePointAt(i)!);
      for (const b of UTF8_OUT.encode(ch)) bytes.push(b);
      i += ch.length - 1;
    }
  }
  return UTF8_IN.decode(new Uint8Array(bytes));
}
const UTF8_IN = new TextDecoder("utf-8");
const UTF8_OUT = new TextEncoder();

/** The query's parameters, decoded; the first value of a repeated one (the spec's recommendation). */
function queryOf(q: string): Map<string, string> {
  const m = new Map<string, string>();
  if (q === "") return m;
  for (const part of q.split("&")) {
    const i = part.indexOf("=");
    const k = decodeQueryComponent(i < 0 ? part : part.slice(0, i));
    if (!m.has(k)) m.set(k, i < 0 ? "" : decodeQueryComponent(part.slice(i + 1)));
  }
  return m;
}

/**
 * Whether the request meets one HTTPRouteMatch. An absent header or query parameter never
 * matches (HTTPHeaderMatch / HTTPQueryParamMatch: the request must carry it), nor does an
 * empty one, whatever the expression: NGINX Gateway Fabric's httpmatches.js returns false on
 * an empty value (`if (!val) return false`), and nginx's `$http_name` is "" for both.
 */
function matchOne(
  m: RouteMatch,
  uri: string,
  method: string,
  headers: Readonly<Record<string, string>>,
  q: () => Map<string, string>,
): boolean {
  if (m.pathKind === 0) {
    if (uri !== m.path) return false;
  } else if (m.pathKind === 2) {
    if (m.path !== "/" && uri !== m.path && !(uri.startsWith(m.path) && uri.charCodeAt(m.path.length) === 47))
      return false;
  } else if (!m.regex!.test(uri)) return false;
  if (m.method !== null && m.method !== method) return false;
  for (const h of m.headers) {
    const v = headers[h.name];
    if (!v || (h.exact !== null ? v !== h.exact : !h.re!.test(v))) return false;
  }
  if (m.query.length) {
    const qs = q();
    for (const p of m.query) {
      const v = qs.get(p.name);
      if (!v || (p.exact !== null ? v !== p.exact : !p.re!.test(v))) return false;
    }
  }
  return true;
}

export function routeRequest(listeners: ListenerTable[], idx: BackendIndex, p: ParsedRequest): GatewayResult {
  const req = p.request;
  const d: RouteDecision = {
    status: 404,
    via: null,
    rule: null,
    match: null,
    backend: null,
    endpoints: [],
    redirect: null,
  };
  const result: GatewayResult = {
    decision: d,
    gateway: null,
    listener: null,
    backends: [],
    requestEdits: [],
    split: [],
    notes: [],
  };
  const l = pickListener(listeners, req.port, req.scheme, req.host);
  if (!l) {
    result.notes.push(
      `no ${req.scheme === "https" ? "HTTPS" : "HTTP"} listener on port ${req.port} accepts host ${req.host}: 404`,
    );
    return result;
  }
  result.gateway = l.gateway;
  result.listener = l.name;
  const uri = normalizeUri(req.path);
  if (uri === null) {
    d.status = 400;
    result.notes.push(`the path ${req.path} climbs above /: 400 Bad Request`);
    return result;
  }
  let qs: Map<string, string> | null = null;
  const q = () => (qs ??= queryOf(req.query));
  let won: RouteMatch | null = null;
  for (const m of matchesFor(l, req.host))
    if (matchOne(m, uri, req.method, req.headers, q)) {
      won = m;
      break;
    }
  if (!won) {
    result.notes.push("no HTTPRoute rule matches: 404");
    return result;
  }
  const a = won.action;
  d.via = { kind: "HTTPRoute", name: won.routeKey };
  d.rule = won.rule;
  d.match = won.text;
  result.backends = a.backends.map((b) => ({ service: b.service, port: b.port, weight: b.weight, invalid: b.invalid }));
  if (a.unsupported) {
    d.status = 500;
    result.notes.push(`${a.unsupported} cannot be applied: the spec asks for an error response (500)`);
    return result;
  }
  if (a.redirect) {
    const r = a.redirect;
    const scheme = typeof r.scheme === "string" ? r.scheme : req.scheme;
    const host = typeof r.hostname === "string" ? r.hostname : req.host;
    const port = Number.isInteger(r.port) ? r.port : typeof r.scheme === "string" ? wellKnown(scheme) : l.port;
    const path = rewritePath(r.path, won, uri) ?? req.path;
    const status = r.statusCode === 301 ? 301 : 302;
    d.status = status;
    d.redirect = {
      location: `${scheme}://${host}${port === wellKnown(scheme) ? "" : `:${port}`}${path}${req.query ? `?${req.query}` : ""}`,
      status,
    };
    return result;
  }
  if (a.headerModifier) {
    const hm = a.headerModifier;
    for (const h of arr(hm.set)) result.requestEdits.push(`set ${h?.name}: ${h?.value}`);
    for (const h of arr(hm.add)) result.requestEdits.push(`add ${h?.name}: ${h?.value}`);
    for (const h of arr(hm.remove)) result.requestEdits.push(`remove ${h}`);
  }
  if (a.rewrite) {
    if (typeof a.rewrite.hostname === "string") result.requestEdits.push(`set Host: ${a.rewrite.hostname}`);
    const path = rewritePath(a.rewrite.path, won, uri);
    if (path !== null) result.requestEdits.push(`path ${uri} -> ${path}`);
  }
  const b = a.chosen;
  if (!b) {
    d.status = 500;
    result.notes.push(
      a.backends.length ? "every backendRef has weight 0: 500" : "the rule has no backendRefs and no redirect: 500",
    );
    return result;
  }
  d.backend = { service: b.service, port: b.port };
  for (const o of a.backends) {
    if (o === b || o.weight <= 0) continue;
    if (o.invalid) result.split.push({ status: 500, endpoints: [] });
    else {
      const eps = resolveBackend(idx, { namespace: o.namespace, name: o.name, port: { number: o.port } }).endpoints;
      result.split.push({ status: eps.length ? 200 : 503, endpoints: eps });
    }
  }
  if (b.invalid) {
    d.status = 500;
    result.notes.push(`${b.message} (${b.invalid}): the spec asks for 500`);
    return result;
  }
  const r = resolveBackend(idx, { namespace: b.namespace, name: b.name, port: { number: b.port } });
  d.endpoints = r.endpoints;
  d.status = r.endpoints.length ? 200 : 503;
  if (!r.endpoints.length) result.notes.push(`Service ${b.service} port ${b.port}: no ready endpoints (503)`);
  if (a.backends.length > 1)
    result.notes.push(
      "podnet sends to the backendRef with the highest weight (the first of equals); a real proxy splits by weight",
    );
  return result;
}

/** HTTPPathModifier: ReplaceFullPath, or ReplacePrefixMatch of a PathPrefix match. */
function rewritePath(mod: Mapping | undefined, m: RouteMatch, uri: string): string | null {
  if (!mod || typeof mod !== "object") return null;
  if (mod.type === "ReplaceFullPath" && typeof mod.replaceFullPath === "string") return mod.replaceFullPath;
  if (mod.type === "ReplacePrefixMatch" && typeof mod.replacePrefixMatch === "string" && m.pathKind === 2) {
    const rest = m.path === "/" ? uri : uri.slice(m.path.length);
    const base = mod.replacePrefixMatch.replace(/\/+$/, "");
    const out = base + (rest.startsWith("/") || rest === "" ? rest : `/${rest}`);
    return out === "" ? "/" : out.startsWith("/") ? out : `/${out}`;
  }
  return null;
}
