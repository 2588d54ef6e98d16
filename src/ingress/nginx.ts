// The routing of an Ingress controller with ingress-nginx's semantics: the servers and
// locations it would write into nginx.conf from the Ingresses it owns, and nginx's choice
// of server and location for a request (kubernetes/ingress-nginx
// internal/ingress/controller/controller.go createServers/getBackendServers,
// rootfs/etc/nginx/template/nginx.tmpl buildLocation; nginx ngx_http_core_module).
//
//  - One server per host; rules without a host, and unknown hosts, go to the catch-all `_`.
//    A wildcard host `*.foo.com` is the regex server `^[\w-]+\.foo\.com$` (one label).
//  - Locations: Exact /p → `= /p`; Prefix /p → `/p/` plus `= /p` (so /p, /p/ and /p/x match,
//    /px does not); ImplementationSpecific /p → the plain prefix `/p` (/px matches). nginx
//    takes an `=` location on an exact hit, else the longest prefix. A prefix ending in `/`
//    answers the same URI without it with 301 (proxy_pass's auto-redirect) unless another
//    location has that URI exactly.
//  - `use-regex` or `rewrite-target` on any Ingress of a host turns all its paths into
//    case-insensitive `~* "^path"` regexes, tried longest path first, the first match wins.
//  - Ingresses in creation order (then namespace/name): the oldest keeps a location two of
//    them define; each host's `/` falls back to its first Ingress's defaultBackend, else the
//    controller's default backend (404); a rule-less Ingress's defaultBackend takes `_`'s `/`.
//  - A host listed in an Ingress's tls gets a certificate (its kubernetes.io/tls Secret, else
//    the controller's fake one) and plain http to it a 308 to https (ssl-redirect, default on).
import type { ClusterState, ServiceState } from "../control/state.js";
import { INGRESS_NGINX } from "../control/system.js";
import type { KubeObject } from "../manifest/types.js";
import { type ControllerIdentity, ingressClassOf, ownsIngress } from "../manifest/ingress-class.js";
import { normalizeUri, type ParsedRequest } from "./request.js";
import type { RouteDecision, RouteRequest } from "./types.js";

const ANN = "nginx.ingress.kubernetes.io/";
/** ingress-nginx's certificate when a host has no usable Secret (ssl.go). */
export const FAKE_CERTIFICATE = "Kubernetes Ingress Controller Fake Certificate";

export interface ServiceBackend {
  namespace: string;
  name: string;
  port: { number?: number; name?: string };
}

/** One nginx location. */
export interface Location {
  /** The location's text in nginx: "/api/", "= /api", `~* "^/api"`. */
  nginx: string;
  /** The string matched: the prefix, the exact URI or the regex source. */
  path: string;
  exact: boolean;
  regex: RegExp | null;
  /** Where it came from: null for the controller's default location. */
  ingress: KubeObject | null;
  rule: number | null;
  /** "Prefix /api" as the Ingress says it; "defaultBackend"; null for the controller's. */
  match: string | null;
  /** null: the controller's default backend (404). */
  backend: ServiceBackend | null;
  /** The controller's own `/` of a server, replaceable by an Ingress path `/`. */
  isDefault: boolean;
  /** The `= /p` a Prefix path adds beside `/p/`: an Exact path /p takes its place. */
  twin: boolean;
  /** The Ingress whose annotations the location carries (redirects). */
  annotations: Record<string, string>;
}

export interface Server {
  host: string;
  locations: Location[];
  exact: Map<string, Location>;
  prefix: Map<string, Location>;
  /** Distinct prefix lengths, longest first: the longest-prefix search probes these. */
  prefixLengths: number[];
  regexMode: boolean;
  /** ns/name of the Secret serving the host, or FAKE_CERTIFICATE; null: no TLS. */
  certificate: string | null;
  /** Why the certificate is the fake one (a missing Secret, a wrong type). */
  certificateNote?: string;
}

/** The decision and what the text output explains around it. */
export interface RouteResult {
  decision: RouteDecision;
  /** "shop.example.com" or "_" (the catch-all). */
  server: string;
  /** The nginx location that matched (null when none, e.g. a bad URI). */
  location: string | null;
  /** For https: the certificate chosen by SNI. */
  certificate: string | null;
  /** The headers ingress-nginx sets on the proxied request (when it proxies). */
  upstreamHeaders: [string, string][];
  notes: string[];
}

export interface IngressRouterOptions {
  /** The class whose controller answers (default: ingress-nginx's `nginx`). */
  ingressClass?: string;
}

export interface IngressRouter {
  controller: ControllerIdentity;
  /** The Ingresses the controller owns, in the order it reads them. */
  ingresses: KubeObject[];
  /** Why some Ingresses route nothing (another class, refused by admission). */
  warnings: string[];
  /** The servers it writes into nginx.conf, by host ("_": the catch-all), in creation order. */
  servers: ReadonlyMap<string, Server>;
  route(p: ParsedRequest): RouteResult;
}

/** "class alb (Ingress shop/web), …": the Ingresses' classes, when every one names a class. */
function otherClasses(ingresses: readonly KubeObject[], classes: readonly KubeObject[]): string | undefined {
  const byClass = new Map<string, string[]>();
  for (const ing of ingresses) {
    const c = ingressClassOf(ing, classes).name;
    if (c === null) return undefined;
    const list = byClass.get(c) ?? [];
    list.push(`${ing.metadata.namespace ?? "default"}/${ing.metadata.name}`);
    byClass.set(c, list);
  }
  if (byClass.size === 0) return undefined;
  return [...byClass]
    .map(([c, names]) => `class ${c} (Ingress ${names.slice(0, 3).join(", ")}${names.length > 3 ? ", …" : ""})`)
    .join(", ");
}

/** The controller serving `ingressClass`: its IngressClass must exist (else an error text). */
export function ingressRouter(state: ClusterState, opts: IngressRouterOptions = {}): IngressRouter | string {
  const objects = state.objects ?? [];
  const classes = objects.filter((o) => o.kind === "IngressClass");
  const name = opts.ingressClass ?? INGRESS_NGINX.className;
  const cls = classes.find((c) => c.metadata.name === name);
  if (!cls) {
    const have = classes.map((c) => c.metadata.name).join(", ") || "none";
    if (opts.ingressClass) return `no IngressClass ${JSON.stringify(name)} (the cluster has: ${have})`;
    const others = otherClasses(state.ingresses, classes);
    return others
      ? `no ingress controller podnet models: the Ingresses are of ${others}, served by a controller podnet does not model (it models ingress-nginx, IngressClass "nginx")`
      : `no ingress controller: the input has no IngressClass "nginx" (the cluster has: ${have}); podnet adds ingress-nginx when the input has Ingresses, unless the cluster config says ingress: {controller: false}`;
  }
  const controller: ControllerIdentity = { ingressClass: name, controller: String(cls.spec?.controller ?? "") };
  const warnings: string[] = [];
  const owned: KubeObject[] = [];
  for (const ing of state.ingresses) {
    const c = ingressClassOf(ing, classes);
    const id = `Ingress ${ing.metadata.namespace ?? "default"}/${ing.metadata.name}`;
    if (c.refused) warnings.push(`${id}: refused by the API server: ${c.refused}`);
    else if (ownsIngress(ing, classes, controller)) owned.push(ing);
    else if (c.name === null)
      warnings.push(`${id} has no class and there is no default IngressClass: no controller serves it`);
    else warnings.push(`${id} has class ${JSON.stringify(c.name)}: not served by ${controller.controller}`);
  }
  owned.sort(byCreation);
  const servers = buildServers(owned, objects);
  const backends = backendIndex(state);
  return {
    controller,
    ingresses: owned,
    warnings,
    servers,
    route: (p) => routeRequest(servers, backends, p),
  };
}

/** spec.rules as a list (validation refuses other shapes; a reader still never throws). */
const rulesOf = (ing: KubeObject): { host?: unknown; http?: { paths?: unknown } }[] =>
  Array.isArray(ing.spec?.rules)
    ? ing.spec.rules.map((r: unknown) => (r !== null && typeof r === "object" ? r : {}))
    : [];
const nsOf = (o: KubeObject) => o.metadata.namespace ?? "default";
const keyOf = (o: KubeObject) => `${nsOf(o)}/${o.metadata.name}`;

/** ingress-nginx's sortIngressSlice: creationTimestamp, then namespace/name. */
function byCreation(a: KubeObject, b: KubeObject): number {
  const ta = String(a.metadata.creationTimestamp ?? "");
  const tb = String(b.metadata.creationTimestamp ?? "");
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = keyOf(a);
  const kb = keyOf(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function serviceBackend(ing: KubeObject, b: unknown): ServiceBackend | null {
  const s = (b as { service?: { name?: unknown; port?: { number?: unknown; name?: unknown } } } | undefined)?.service;
  if (!s || typeof s.name !== "string") return null;
  const port: ServiceBackend["port"] = {};
  if (typeof s.port?.number === "number") port.number = s.port.number;
  else if (typeof s.port?.name === "string") port.name = s.port.name;
  return { namespace: nsOf(ing), name: s.name, port };
}

function newServer(host: string, root: Location): Server {
  return {
    host,
    locations: [root],
    exact: new Map(),
    prefix: new Map(),
    prefixLengths: [],
    regexMode: false,
    certificate: null,
  };
}

function rootLocation(ing: KubeObject | null, backend: ServiceBackend | null): Location {
  return {
    nginx: "/",
    path: "/",
    exact: false,
    regex: null,
    ingress: backend ? ing : null,
    rule: null,
    match: backend ? "defaultBackend" : null,
    backend,
    isDefault: true,
    twin: false,
    annotations: ing?.metadata.annotations ?? {},
  };
}

function buildServers(owned: KubeObject[], objects: KubeObject[]): Map<string, Server> {
  const servers = new Map<string, Server>();
  servers.set("_", newServer("_", rootLocation(null, null)));
  // createServers: a rule-less Ingress's defaultBackend serves the catch-all (the first one).
  for (const ing of owned) {
    const rules = rulesOf(ing);
    const def = serviceBackend(ing, ing.spec?.defaultBackend);
    const catchAll = servers.get("_")!;
    if (rules.length === 0 && def && catchAll.locations[0].backend === null)
      catchAll.locations[0] = rootLocation(ing, def);
  }
  for (const ing of owned) {
    const def = serviceBackend(ing, ing.spec?.defaultBackend);
    for (const rule of rulesOf(ing)) {
      const host = typeof rule?.host === "string" && rule.host !== "" ? rule.host.toLowerCase() : "_";
      if (!servers.has(host)) servers.set(host, newServer(host, rootLocation(ing, def)));
    }
  }
  addTls(owned, objects, servers);
  for (const ing of owned) addLocations(ing, servers);
  for (const s of servers.values()) finishServer(s);
  return servers;
}

function addTls(owned: KubeObject[], objects: KubeObject[], servers: Map<string, Server>): void {
  const secrets = new Map<string, KubeObject>();
  for (const o of objects) if (o.kind === "Secret") secrets.set(keyOf(o), o);
  for (const ing of owned) {
    const tls: { hosts?: unknown; secretName?: unknown }[] = Array.isArray(ing.spec?.tls) ? ing.spec.tls : [];
    for (const rule of rulesOf(ing)) {
      const host = typeof rule?.host === "string" ? rule.host.toLowerCase() : "";
      const server = host ? servers.get(host) : undefined;
      if (!server || server.certificate) continue;
      const entry = tls.find((t) => Array.isArray(t.hosts) && t.hosts.some((h) => String(h).toLowerCase() === host));
      if (!entry) continue;
      const secretName = typeof entry.secretName === "string" ? entry.secretName : "";
      const key = `${nsOf(ing)}/${secretName}`;
      const secret = secrets.get(key);
      server.certificate = FAKE_CERTIFICATE;
      if (!secretName) server.certificateNote = `${host} is listed in tls with no secretName`;
      else if (!secret) server.certificateNote = `Secret ${key} not found`;
      else if (secret.type !== "kubernetes.io/tls")
        server.certificateNote = `Secret ${key} is of type ${secret.type ?? "Opaque"}, not kubernetes.io/tls`;
      else server.certificate = key;
    }
  }
}

/** An Ingress path → the nginx locations it writes (before regex mode is known). */
function locationsOf(ing: KubeObject, rule: number, p: { path?: unknown; pathType?: unknown }): Location[] {
  const path = typeof p.path === "string" && p.path !== "" ? p.path : "/";
  const type = typeof p.pathType === "string" ? p.pathType : "ImplementationSpecific";
  const backend = serviceBackend(ing, (p as { backend?: unknown }).backend);
  if (!backend) return [];
  const base = {
    regex: null,
    ingress: ing,
    rule,
    match: `${type} ${path}`,
    backend,
    isDefault: false,
    twin: false,
    annotations: ing.metadata.annotations ?? {},
  };
  const exact = (q: string, twin = false): Location => ({ ...base, nginx: `= ${q}`, path: q, exact: true, twin });
  const prefix = (q: string): Location => ({ ...base, nginx: q, path: q, exact: false });
  if (type === "Exact") return [exact(path)];
  if (type === "Prefix" && path !== "/") return [prefix(path.endsWith("/") ? path : `${path}/`), exact(path, true)];
  return [prefix(path)];
}

function addLocations(ing: KubeObject, servers: Map<string, Server>): void {
  const ann = ing.metadata.annotations ?? {};
  const regex = ann[`${ANN}use-regex`] === "true" || ann[`${ANN}rewrite-target`] !== undefined;
  rulesOf(ing).forEach((rule, i) => {
    const host = typeof rule?.host === "string" && rule.host !== "" ? rule.host.toLowerCase() : "_";
    const server = servers.get(host)!;
    if (regex) server.regexMode = true;
    const paths = Array.isArray(rule?.http?.paths) ? rule.http.paths : [];
    for (const p of paths)
      for (const loc of p && typeof p === "object" ? locationsOf(ing, i, p) : []) {
        const same = server.locations.findIndex((l) => l.nginx === loc.nginx);
        // The oldest Ingress keeps a location; the controller's own `/` and a Prefix path's
        // `= /p` give way (updateServerLocations adds that twin only without an Exact /p).
        if (same < 0) server.locations.push(loc);
        else if (server.locations[same].isDefault || (server.locations[same].twin && !loc.twin))
          server.locations[same] = loc;
      }
  });
}

function finishServer(s: Server): void {
  if (s.regexMode) {
    // nginx.tmpl: locations sorted by path length, longest first (ties: path descending);
    // buildLocation with enforceRegex: `~* "^path"` for every one of them.
    s.locations.sort((a, b) => b.path.length - a.path.length || (a.path < b.path ? 1 : a.path > b.path ? -1 : 0));
    for (const l of s.locations) {
      l.nginx = `~* "^${l.path}"`;
      l.exact = false;
      try {
        l.regex = new RegExp(`^${l.path}`, "i");
      } catch {
        l.regex = /(?!)/; // nginx would refuse the configuration; this location matches nothing
      }
    }
    return;
  }
  for (const l of s.locations) (l.exact ? s.exact : s.prefix).set(l.path, l);
  s.prefixLengths = [...new Set([...s.prefix.keys()].map((k) => k.length))].sort((a, b) => b - a);
}

/** nginx's server choice: exact name, then the one-label wildcard regex, else `_`. */
function findServer(servers: Map<string, Server>, host: string): Server {
  const s = servers.get(host);
  if (s) return s;
  const dot = host.indexOf(".");
  if (dot > 0 && /^[\w-]+$/.test(host.slice(0, dot))) {
    const w = servers.get(`*${host.slice(dot)}`);
    if (w) return w;
  }
  return servers.get("_")!;
}

type Found = { loc: Location } | { redirectTo: string; loc: Location } | null;

/** ngx_http_core_find_location over one server. */
function findLocation(s: Server, uri: string): Found {
  if (s.regexMode) {
    for (const l of s.locations) if (l.regex!.test(uri)) return { loc: l };
    return null;
  }
  const exact = s.exact.get(uri) ?? s.prefix.get(uri);
  if (exact) return { loc: exact };
  // auto_redirect: "/p/" with proxy_pass answers "/p" with 301 to "/p/".
  const slash = s.prefix.get(`${uri}/`);
  if (slash) return { redirectTo: `${uri}/`, loc: slash };
  for (const len of s.prefixLengths) {
    if (len > uri.length) continue;
    const l = s.prefix.get(uri.slice(0, len));
    if (l) return { loc: l };
  }
  return null;
}

export interface BackendIndex {
  services: Map<string, ServiceState>;
  slices: Map<string, ClusterState["endpointSlices"]>;
}

export function backendIndex(state: ClusterState): BackendIndex {
  const services = new Map(state.services.map((s) => [`${s.namespace}/${s.name}`, s]));
  const slices = new Map<string, ClusterState["endpointSlices"]>();
  for (const sl of state.endpointSlices) {
    const k = `${sl.namespace}/${sl.serviceName}`;
    const l = slices.get(k);
    if (l) l.push(sl);
    else slices.set(k, [sl]);
  }
  return { services, slices };
}

/** The Service port and its ready endpoints (IP:targetPort), or why there are none. */
export function resolveBackend(
  idx: BackendIndex,
  b: ServiceBackend,
): { port: number; endpoints: string[]; note?: string } {
  const key = `${b.namespace}/${b.name}`;
  const svc = idx.services.get(key);
  const given = b.port.number ?? 0;
  if (!svc) return { port: given, endpoints: [], note: `Service ${key} not found` };
  const sp = svc.ports.find((p) => (b.port.number !== undefined ? p.port === b.port.number : p.name === b.port.name));
  const portText = b.port.number !== undefined ? String(b.port.number) : JSON.stringify(b.port.name ?? "");
  if (!sp) return { port: given, endpoints: [], note: `Service ${key} has no port ${portText}` };
  if (svc.type === "ExternalName" && svc.externalName)
    return { port: sp.port, endpoints: [`${svc.externalName}:${sp.port}`] };
  const endpoints: string[] = [];
  for (const sl of idx.slices.get(key) ?? []) {
    // EndpointSlice ports carry the Service port's name ("" when unnamed).
    const ep = sl.ports.find((p) => (p.name ?? "") === (sp.name ?? "") && p.protocol === sp.protocol);
    if (!ep) continue;
    for (const e of sl.endpoints)
      if (e.conditions.ready !== false) for (const a of e.addresses) endpoints.push(`${a}:${ep.port}`);
  }
  return endpoints.length
    ? { port: sp.port, endpoints }
    : { port: sp.port, endpoints, note: `Service ${key} has no ready endpoints: ingress-nginx answers 503` };
}

function routeRequest(servers: Map<string, Server>, idx: BackendIndex, p: ParsedRequest): RouteResult {
  const req = p.request;
  const server = findServer(servers, req.host);
  const result: RouteResult = {
    decision: { status: 404, via: null, rule: null, match: null, backend: null, endpoints: [], redirect: null },
    server: server.host,
    location: null,
    certificate: null,
    upstreamHeaders: [],
    notes: [],
  };
  if (req.scheme === "https") {
    // The certificate comes from SNI, the server from Host (they may differ).
    const sniServer = p.sni ? findServer(servers, p.sni) : server;
    result.certificate = sniServer.certificate ?? FAKE_CERTIFICATE;
    if (sniServer.certificateNote) result.notes.push(sniServer.certificateNote);
  }
  const uri = normalizeUri(req.path);
  if (uri === null) {
    result.decision.status = 400;
    result.notes.push(`the path ${req.path} climbs above / (nginx answers 400 Bad Request)`);
    return result;
  }
  const found = findLocation(server, uri);
  if (!found) {
    result.notes.push("no location matches: the controller's default backend answers 404");
    return result;
  }
  const loc = found.loc;
  result.location = loc.nginx;
  const d = result.decision;
  if (loc.ingress) d.via = { kind: "Ingress", name: keyOf(loc.ingress) };
  d.rule = loc.rule;
  d.match = loc.match;
  const origin = (scheme: string, port: number) =>
    `${scheme}://${req.host}${port === (scheme === "https" ? 443 : 80) ? "" : `:${port}`}`;
  if ("redirectTo" in found) {
    d.status = 301;
    d.redirect = {
      location: `${origin(req.scheme, req.port)}${found.redirectTo}${req.query ? `?${req.query}` : ""}`,
      status: 301,
    };
    result.notes.push(`nginx answers ${uri} with 301 to ${found.redirectTo} (a prefix location ending in /)`);
    return result;
  }
  if (redirectByAnnotation(loc, d)) return result;
  if (!loc.backend) {
    result.notes.push("the controller's default backend answers 404");
    return result;
  }
  const ann = loc.annotations;
  const force = ann[`${ANN}force-ssl-redirect`] === "true";
  const sslRedirect = ann[`${ANN}ssl-redirect`] !== "false" && server.certificate !== null;
  if (req.scheme === "http" && (force || sslRedirect)) {
    // lua_ingress.lua redirect_to_https: http-redirect-code (308) to https://host + $request_uri.
    d.status = 308;
    d.redirect = { location: `https://${req.host}${p.requestUri}`, status: 308 };
    result.notes.push(`${server.host} has TLS: ingress-nginx redirects http to https (ssl-redirect)`);
    return result;
  }
  const r = resolveBackend(idx, loc.backend);
  d.backend = { service: `${loc.backend.namespace}/${loc.backend.name}`, port: r.port };
  d.endpoints = r.endpoints;
  d.status = r.endpoints.length ? 200 : 503;
  if (r.note) result.notes.push(r.note);
  if (r.endpoints.length) result.upstreamHeaders = upstreamHeaders(req);
  if (req.scheme === "https" && server.certificate)
    result.notes.push("the response carries Strict-Transport-Security: max-age=31536000; includeSubDomains (hsts)");
  return result;
}

/** permanent-redirect (301, or permanent-redirect-code) and temporal-redirect (302). */
function redirectByAnnotation(loc: Location, d: RouteDecision): boolean {
  if (!loc.ingress) return false;
  const ann = loc.annotations;
  const perm = ann[`${ANN}permanent-redirect`];
  const temp = ann[`${ANN}temporal-redirect`];
  if (perm) {
    const code = Number(ann[`${ANN}permanent-redirect-code`] ?? 301);
    d.status = code >= 300 && code <= 308 ? code : 301;
    d.redirect = { location: perm, status: d.status };
    return true;
  }
  if (temp) {
    d.status = 302;
    d.redirect = { location: temp, status: 302 };
    return true;
  }
  return false;
}

/** The headers nginx.tmpl sets on the proxied request (proxy_set_header). */
function upstreamHeaders(req: RouteRequest): [string, string][] {
  const hostHeader = `${req.host}${req.port === (req.scheme === "https" ? 443 : 80) ? "" : `:${req.port}`}`;
  return [
    ["Host", hostHeader],
    // map $http_x_request_id $req_id: the client's, else a fresh $request_id.
    ["X-Request-ID", req.headers["x-request-id"] || "<a new $request_id: 32 hex digits>"],
    ["X-Real-IP", "<the client's address>"],
    ["X-Forwarded-For", "<the client's address> (the client's own X-Forwarded-For is replaced)"],
    ["X-Forwarded-Host", hostHeader],
    ["X-Forwarded-Port", String(req.port)],
    ["X-Forwarded-Proto", req.scheme],
    ["X-Forwarded-Scheme", req.scheme],
    ["X-Scheme", req.scheme],
  ];
}
