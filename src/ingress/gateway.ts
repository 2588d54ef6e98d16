// podnet's Gateway API controller (controllerName `podnet.dev/gateway`, issue 18 §4): which
// HTTPRoutes attach to which Gateway listeners, their status conditions, and the routing of
// a request (https://gateway-api.sigs.k8s.io/reference/spec/; kubernetes-sigs/gateway-api
// apis/v1/httproute_types.go, gateway_types.go).
//
// The table a config generator walks: Gateway → listeners (port, protocol, hostname) →
// hostnames (exact, `*.` suffix, none) → matches in precedence order. A request:
//  - Listener: one on the request's port whose protocol is the scheme's (HTTP/HTTPS); the
//    most specific listener hostname wins (exact, then the longest `*.` suffix, then none).
//  - Hostnames: a route's hostnames intersected with the listener's (`*.example.com`
//    matches any name ending in `.example.com`, per the spec's suffix rule). The rules of
//    the routes with the most specific matching hostname are tried first (exact names by
//    length, then wildcards by length, then routes without hostnames): the spec's
//    "precedence must be given to rules from the HTTPRoute with the largest number of
//    characters in a matching non-wildcard hostname"; a request that matches none of them
//    falls through to less specific hostnames.
//  - Among matches of one hostname, HTTPRouteRule's order: Exact path, then the longest
//    PathPrefix, then a method, the most headers, the most query params, the oldest route,
//    alphabetical namespace/name, rule order (then match order). RegularExpression paths
//    (implementation-specific) rank after Exact and before PathPrefix, longest pattern
//    first, and must match the whole path (ECMAScript syntax, anchored as ^(?:…)$).
//  - PathPrefix matches by path element, ignoring a trailing `/` ("/abc" matches /abc,
//    /abc/ and /abc/def, not /abcd). Header names compare case-insensitively, query
//    parameter names exactly (the first value of a repeated parameter).
//  - backendRefs: podnet routes to the one with the highest weight (the first among equal
//    ones; weight 0 never); the text lists all with their weights. A rule whose chosen
//    backend is invalid (not found, cross-namespace without a ReferenceGrant, not a
//    Service) or that has no backend and no redirect answers 500; no endpoints, 503.
//  - No listener or no match: 404.
import type { ClusterState } from "../control/state.js";
import { isSystemObject, PODNET_GATEWAY } from "../control/system.js";
import type { Mapping } from "../manifest/diag.js";
import { matchSelector } from "../manifest/selector.js";
import type { KubeObject, LabelSelector } from "../manifest/types.js";
import { type BackendIndex, backendIndex, resolveBackend } from "./nginx.js";
import { normalizeUri, type ParsedRequest } from "./request.js";
import type { RouteDecision } from "./types.js";

export const GATEWAY_GROUP = "gateway.networking.k8s.io";

export interface Condition {
  type: string;
  status: "True" | "False";
  reason: string;
  message: string;
}

/** One entry of an HTTPRoute's status.parents (RouteParentStatus). */
export interface ParentStatus {
  parentRef: { group: string; kind: string; namespace: string; name: string; sectionName?: string; port?: number };
  controllerName: string;
  conditions: Condition[];
}

export interface GatewayStatus {
  addresses: string[];
  conditions: Condition[];
  listeners: { name: string; attachedRoutes: number; conditions: Condition[] }[];
}

interface HeaderMatch {
  name: string;
  exact: string | null;
  re: RegExp | null;
}

interface BackendRef {
  service: string;
  namespace: string;
  name: string;
  port: number;
  weight: number;
  /** Why it cannot be used (the ResolvedRefs reason), null when valid. */
  invalid: string | null;
  message: string;
}

/** What a rule does once one of its matches wins. */
interface RuleAction {
  backends: BackendRef[];
  chosen: BackendRef | null;
  redirect: Mapping | null;
  headerModifier: Mapping | null;
  rewrite: Mapping | null;
  /** A filter podnet cannot apply (ExtensionRef): the spec asks for an error response. */
  unsupported: string | null;
}

/** One HTTPRouteMatch of one rule, compiled. */
export interface RouteMatch {
  route: KubeObject;
  routeKey: string;
  created: string;
  rule: number;
  index: number;
  /** 0 Exact, 1 RegularExpression, 2 PathPrefix. */
  pathKind: 0 | 1 | 2;
  /** The value as written; for PathPrefix, without its trailing `/`. */
  path: string;
  regex: RegExp | null;
  method: string | null;
  headers: HeaderMatch[];
  query: HeaderMatch[];
  /** "PathPrefix /api, method GET, header version: 2" */
  text: string;
  action: RuleAction;
}

/** A listener of a Gateway and the matches attached to it, by hostname. */
export interface ListenerTable {
  gateway: string;
  name: string;
  port: number;
  protocol: string;
  hostname: string | null;
  created: string;
  /** Matches of routes by exact hostname, each list in precedence order. */
  exact: Map<string, RouteMatch[]>;
  /** Matches of `*.suffix` routes by ".suffix". */
  wildcard: Map<string, RouteMatch[]>;
  /** Matches of routes without hostnames (the listener's own hostname then applies). */
  any: RouteMatch[];
  attached: Set<KubeObject>;
  /** "host ns/route" pairs already added. */
  added: Set<string>;
  /** The listener's allowedRoutes as given. */
  allowed: Mapping | undefined;
  /** The merged list per request host (computed on first use). */
  cache: Map<string, RouteMatch[]>;
}

export interface GatewayResult {
  decision: RouteDecision;
  gateway: string | null;
  listener: string | null;
  /** Every backendRef of the winning rule, with weights. */
  backends: { service: string; port: number; weight: number; invalid: string | null }[];
  /** The request headers after RequestHeaderModifier / URLRewrite ("Name: value" edits). */
  requestEdits: string[];
  /**
   * What a proxy splitting by weight may answer besides the decision: per other backendRef
   * of weight > 0, 200 with its endpoints, 500 (invalid) or 503 (no endpoints).
   */
  split: { status: number; endpoints: string[] }[];
  notes: string[];
}

export interface GatewayRouter {
  controllerName: string;
  /** podnet's Gateways ("NS/NAME"), oldest first. */
  gateways: KubeObject[];
  listeners: ListenerTable[];
  /** The HTTPRoutes with a parentRef to one of podnet's Gateways. */
  routes: KubeObject[];
  warnings: string[];
  routeStatus(route: KubeObject): ParentStatus[];
  gatewayStatus(gw: KubeObject): GatewayStatus | null;
  /** The addresses of podnet's gateway Service (where its listeners answer). */
  addresses: string[];
  /** Whether a listener takes the port and scheme and some accepted route covers the host. */
  serves(port: number, scheme: string, host: string): boolean;
  route(p: ParsedRequest): GatewayResult;
}

const nsOf = (o: KubeObject) => o.metadata.namespace ?? "default";
const keyOf = (o: KubeObject) => `${nsOf(o)}/${o.metadata.name}`;
const createdOf = (o: KubeObject) => String(o.metadata.creationTimestamp ?? "");
const arr = (v: unknown): Mapping[] => (Array.isArray(v) ? v : []);
const cond = (type: string, ok: boolean, reason: string, message: string): Condition => ({
  type,
  status: ok ? "True" : "False",
  reason,
  message,
});

/** Oldest first, then namespace/name (the spec's tie-breakers across routes and Gateways). */
function byAge(a: KubeObject, b: KubeObject): number {
  const ta = createdOf(a);
  const tb = createdOf(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = keyOf(a);
  const kb = keyOf(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The Gateways podnet controls; `only` ("NS/NAME") narrows to one (an error text if not ours). */
export function gatewayRouter(state: ClusterState, opts: { gateway?: string } = {}): GatewayRouter | string {
  const objects = state.objects ?? [];
  const warnings: string[] = [];
  const classes = new Map<string, KubeObject>();
  for (const o of objects) if (o.kind === "GatewayClass") classes.set(o.metadata.name, o);
  const ours = new Set<string>();
  for (const [name, c] of classes)
    if (c.spec?.controllerName === PODNET_GATEWAY.controllerName) {
      ours.add(name);
      if (isSystemObject(c))
        warnings.push(
          `GatewayClass ${name} is not in the input: podnet added it with controllerName ${PODNET_GATEWAY.controllerName}`,
        );
    }
  const allGateways = objects.filter((o) => o.kind === "Gateway").sort(byAge);
  let gateways = allGateways.filter((g) => ours.has(g.spec?.gatewayClassName));
  for (const g of allGateways)
    if (!ours.has(g.spec?.gatewayClassName))
      warnings.push(
        `Gateway ${keyOf(g)} has class ${JSON.stringify(g.spec?.gatewayClassName)}, whose controller is not ${PODNET_GATEWAY.controllerName}: podnet routes nothing for it`,
      );
  if (opts.gateway !== undefined) {
    const want = opts.gateway.includes("/") ? opts.gateway : `default/${opts.gateway}`;
    const g = allGateways.find((x) => keyOf(x) === want);
    const have = allGateways.map(keyOf).join(", ") || "none";
    if (!g) return `no Gateway ${JSON.stringify(opts.gateway.slice(0, 200))} (the input has: ${have})`;
    if (!ours.has(g.spec?.gatewayClassName))
      return `Gateway ${want} has class ${JSON.stringify(g.spec?.gatewayClassName)}, not controlled by ${PODNET_GATEWAY.controllerName}`;
    gateways = [g];
  }
  if (gateways.length === 0 && opts.gateway === undefined)
    return "no Gateway of a GatewayClass with controllerName podnet.dev/gateway in the input";

  const nsLabels = new Map(state.namespaces.map((n) => [n.name, n.labels]));
  const grants = objects.filter((o) => o.kind === "ReferenceGrant");
  const idx = backendIndex(state);
  const svc = state.services.find((s) => s.namespace === PODNET_GATEWAY.namespace && s.name === PODNET_GATEWAY.name);
  const addresses = svc
    ? svc.type === "LoadBalancer" && svc.loadBalancerIPs.length
      ? svc.loadBalancerIPs
      : svc.externalIPs.length
        ? svc.externalIPs
        : svc.clusterIP && svc.clusterIP !== "None"
          ? [svc.clusterIP]
          : []
    : [];

  const byGateway = new Map<string, ListenerTable[]>();
  const listeners: ListenerTable[] = [];
  for (const g of allGateways.filter((x) => ours.has(x.spec?.gatewayClassName))) {
    const ls: ListenerTable[] = [];
    for (const l of arr(g.spec?.listeners)) {
      if (!l || typeof l.name !== "string" || !Number.isInteger(l.port)) continue;
      ls.push({
        gateway: keyOf(g),
        name: l.name,
        port: l.port,
        protocol: String(l.protocol ?? ""),
        hostname: typeof l.hostname === "string" ? l.hostname.toLowerCase() : null,
        created: createdOf(g),
        exact: new Map(),
        wildcard: new Map(),
        any: [],
        attached: new Set(),
        added: new Set(),
        allowed: l.allowedRoutes,
        cache: new Map(),
      });
    }
    byGateway.set(keyOf(g), ls);
    if (gateways.includes(g)) listeners.push(...ls);
  }

  const statuses = new Map<KubeObject, ParentStatus[]>();
  const routes: KubeObject[] = [];
  const httpRoutes = objects.filter((o) => o.kind === "HTTPRoute").sort(byAge);
  for (const route of httpRoutes) {
    const parents: ParentStatus[] = [];
    let compiled: RouteMatch[] | null = null;
    let resolved: Condition | null = null;
    for (const ref of arr(route.spec?.parentRefs)) {
      if (!ref || (ref.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (ref.kind ?? "Gateway") !== "Gateway") continue;
      const gwKey = `${ref.namespace ?? nsOf(route)}/${ref.name}`;
      const gw = allGateways.find((x) => keyOf(x) === gwKey);
      if (gw && !ours.has(gw.spec?.gatewayClassName)) continue; // another controller's to report
      const parentRef: ParentStatus["parentRef"] = {
        group: GATEWAY_GROUP,
        kind: "Gateway",
        namespace: gwKey.split("/")[0],
        name: String(ref.name),
      };
      if (typeof ref.sectionName === "string") parentRef.sectionName = ref.sectionName;
      if (Number.isInteger(ref.port)) parentRef.port = ref.port;
      const status: ParentStatus = { parentRef, controllerName: PODNET_GATEWAY.controllerName, conditions: [] };
      parents.push(status);
      compiled ??= compileRoute(route, grants, idx);
      resolved ??= resolvedRefs(compiled, route);
      const ls = gw ? (byGateway.get(gwKey) ?? []) : [];
      const named = ls.filter(
        (l) =>
          (parentRef.sectionName === undefined || l.name === parentRef.sectionName) &&
          (parentRef.port === undefined || l.port === parentRef.port),
      );
      const allowed = named.filter((l) => allows(l, route, gw!, nsLabels));
      const hostLists = allowed.map((l) => [l, intersect(l.hostname, arr(route.spec?.hostnames))] as const);
      const attached = hostLists.filter(([, hs]) => hs.length > 0);
      let accepted: Condition;
      if (!gw) accepted = cond("Accepted", false, "NoMatchingParent", `Gateway ${gwKey} not found`);
      else if (named.length === 0)
        accepted = cond(
          "Accepted",
          false,
          "NoMatchingParent",
          `Gateway ${gwKey} has no listener${parentRef.sectionName ? ` named ${parentRef.sectionName}` : ""}${parentRef.port ? ` on port ${parentRef.port}` : ""}`,
        );
      else if (allowed.length === 0)
        accepted = cond(
          "Accepted",
          false,
          "NotAllowedByListeners",
          `no listener of Gateway ${gwKey} allows HTTPRoutes from namespace ${nsOf(route)}`,
        );
      else if (attached.length === 0)
        accepted = cond(
          "Accepted",
          false,
          "NoMatchingListenerHostname",
          `no hostname of the route intersects a listener's hostname of Gateway ${gwKey}`,
        );
      else accepted = cond("Accepted", true, "Accepted", "Route is accepted");
      status.conditions.push(accepted, resolved);
      for (const [l, hosts] of attached) {
        l.attached.add(route);
        for (const h of hosts) addMatches(l, h, compiled);
      }
    }
    if (parents.length) {
      statuses.set(route, parents);
      routes.push(route);
    }
  }
  for (const ls of byGateway.values())
    for (const l of ls) {
      for (const list of l.exact.values()) list.sort(precedence);
      for (const list of l.wildcard.values()) list.sort(precedence);
      l.any.sort(precedence);
    }
  const serves = (port: number, scheme: string, host: string) => {
    const l = pickListener(listeners, port, scheme, host);
    return l !== null && matchesFor(l, host).length > 0;
  };
  return {
    controllerName: PODNET_GATEWAY.controllerName,
    gateways,
    listeners,
    routes,
    warnings,
    routeStatus: (r) => statuses.get(r) ?? [],
    gatewayStatus(gw) {
      const ls = byGateway.get(keyOf(gw));
      if (!ls) return null;
      return {
        addresses,
        conditions: [
          cond("Accepted", true, "Accepted", `accepted by ${PODNET_GATEWAY.controllerName}`),
          addresses.length
            ? cond(
                "Programmed",
                true,
                "Programmed",
                `served by Service ${PODNET_GATEWAY.namespace}/${PODNET_GATEWAY.name}`,
              )
            : cond("Programmed", false, "AddressNotAssigned", "the gateway's Service has no address"),
        ],
        listeners: ls.map((l) => ({
          name: l.name,
          attachedRoutes: l.attached.size,
          conditions: [
            l.protocol === "HTTP" || l.protocol === "HTTPS"
              ? cond("Accepted", true, "Accepted", "")
              : cond("Accepted", false, "UnsupportedProtocol", `podnet routes HTTP and HTTPS, not ${l.protocol}`),
            cond("Programmed", addresses.length > 0, addresses.length ? "Programmed" : "Pending", ""),
          ],
        })),
      };
    },
    addresses,
    serves,
    route: (p) => routeRequest(listeners, idx, p),
  };
}

// ---- attachment ---------------------------------------------------------------

function allows(
  l: ListenerTable,
  route: KubeObject,
  gw: KubeObject,
  nsLabels: Map<string, Record<string, string>>,
): boolean {
  const allowed = l.allowed;
  if (l.protocol !== "HTTP" && l.protocol !== "HTTPS") return false;
  const kinds = arr(allowed?.kinds);
  if (kinds.length && !kinds.some((k) => (k?.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && k?.kind === "HTTPRoute"))
    return false;
  const from = allowed?.namespaces?.from ?? "Same";
  if (from === "All") return true;
  if (from === "Same") return nsOf(route) === nsOf(gw);
  if (from === "Selector") {
    const sel = allowed?.namespaces?.selector as LabelSelector | undefined;
    return sel !== undefined && matchSelector(sel, nsLabels.get(nsOf(route)) ?? {});
  }
  return false;
}

/** Whether a hostname pattern (exact or `*.suffix`; null: any) matches a host name. */
export function hostMatches(pattern: string | null, host: string): boolean {
  if (pattern === null) return true;
  if (pattern.startsWith("*.")) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}

/**
 * The hostnames a route serves on a listener (gateway_types.go Listener.Hostname and
 * HTTPRouteSpec.Hostnames): the more specific of each intersecting pair; "" for any.
 */
export function intersect(listener: string | null, routeHosts: unknown[]): string[] {
  const hosts = routeHosts.filter((h): h is string => typeof h === "string").map((h) => h.toLowerCase());
  if (hosts.length === 0) return [listener ?? ""];
  if (listener === null) return hosts;
  // A wildcard stands for its names: "*.b" is covered by "*.a" when "x.b" matches "*.a".
  const probe = (h: string) => (h.startsWith("*.") ? `x${h.slice(1)}` : h);
  const out: string[] = [];
  for (const h of hosts) {
    if (hostMatches(listener, probe(h))) out.push(h);
    else if (hostMatches(h, probe(listener))) out.push(listener);
  }
  return [...new Set(out)];
}

function addMatches(l: ListenerTable, host: string, matches: RouteMatch[]): void {
  if (matches.length === 0) return;
  const once = `${host} ${matches[0].routeKey}`;
  if (l.added.has(once)) return; // two parentRefs to one listener
  l.added.add(once);
  let list: RouteMatch[];
  if (host === "") list = l.any;
  else {
    const map = host.startsWith("*.") ? l.wildcard : l.exact;
    const key = host.startsWith("*.") ? host.slice(1) : host;
    let m = map.get(key);
    if (!m) map.set(key, (m = []));
    list = m;
  }
  for (const m of matches) list.push(m);
}

/** HTTPRouteRule's precedence (see the header). */
function precedence(a: RouteMatch, b: RouteMatch): number {
  if (a.pathKind !== b.pathKind) return a.pathKind - b.pathKind;
  if (a.pathKind !== 0 && a.path.length !== b.path.length) return b.path.length - a.path.length;
  if ((a.method === null) !== (b.method === null)) return a.method === null ? 1 : -1;
  if (a.headers.length !== b.headers.length) return b.headers.length - a.headers.length;
  if (a.query.length !== b.query.length) return b.query.length - a.query.length;
  if (a.route !== b.route) {
    if (a.created !== b.created) return a.created < b.created ? -1 : 1;
    return a.routeKey < b.routeKey ? -1 : 1;
  }
  return a.rule - b.rule || a.index - b.index;
}

// ---- compiling a route ----------------------------------------------------------

// One RegExp per pattern: thousands of routes often share their expressions.
const REGEX_CACHE = new Map<string, RegExp>();

/** The pattern as a whole-value match (^(?:…)$); a never-matching one when invalid. */
function wholeMatch(source: string): RegExp {
  let re = REGEX_CACHE.get(source);
  if (!re) {
    try {
      re = new RegExp(`^(?:${source})$`);
    } catch {
      re = /(?!)/; // validation refuses it; a reader never throws
    }
    if (REGEX_CACHE.size < 10000) REGEX_CACHE.set(source, re);
  }
  return re;
}

function valueMatch(h: Mapping | undefined, lower: boolean): HeaderMatch {
  const name = String(h?.name ?? "");
  const value = String(h?.value ?? "");
  if (h?.type === "RegularExpression")
    return { name: lower ? name.toLowerCase() : name, exact: null, re: wholeMatch(value) };
  return { name: lower ? name.toLowerCase() : name, exact: value, re: null };
}

function compileRoute(route: KubeObject, grants: KubeObject[], idx: BackendIndex): RouteMatch[] {
  const out: RouteMatch[] = [];
  arr(route.spec?.rules).forEach((rule, r) => {
    const action = compileAction(route, rule, grants, idx);
    const matches = arr(rule?.matches);
    (matches.length ? matches : [{}]).forEach((m, i) => {
      const type = m?.path?.type ?? "PathPrefix";
      const value = typeof m?.path?.value === "string" ? m.path.value : "/";
      const pathKind: 0 | 1 | 2 = type === "Exact" ? 0 : type === "RegularExpression" ? 1 : 2;
      const regex = pathKind === 1 ? wholeMatch(value) : null;
      const headers = arr(m?.headers).map((h) => valueMatch(h, true));
      const query = arr(m?.queryParams).map((h) => valueMatch(h, false));
      const method = typeof m?.method === "string" ? m.method : null;
      const parts = [`${type} ${value}`];
      if (method) parts.push(`method ${method}`);
      for (const h of arr(m?.headers))
        parts.push(`header ${h?.name}${h?.type === "RegularExpression" ? " ~ " : ": "}${h?.value}`);
      for (const q of arr(m?.queryParams))
        parts.push(`query ${q?.name}${q?.type === "RegularExpression" ? " ~ " : "="}${q?.value}`);
      out.push({
        route,
        routeKey: keyOf(route),
        created: createdOf(route),
        rule: r,
        index: i,
        pathKind,
        path: pathKind === 2 && value.length > 1 ? value.replace(/\/+$/, "") || "/" : value,
        regex,
        method,
        headers,
        query,
        text: parts.join(", "),
        action,
      });
    });
  });
  return out;
}

function compileAction(
  route: KubeObject,
  rule: Mapping | undefined,
  grants: KubeObject[],
  idx: BackendIndex,
): RuleAction {
  const filters = arr(rule?.filters);
  const find = (t: string) => filters.find((f) => f?.type === t);
  const ext = filters.find((f) => f?.type === "ExtensionRef");
  const backends = arr(rule?.backendRefs).map((b) => backendRef(route, b, grants, idx));
  let chosen: BackendRef | null = null;
  for (const b of backends) if (b.weight > 0 && (chosen === null || b.weight > chosen.weight)) chosen = b;
  return {
    backends,
    chosen,
    redirect: find("RequestRedirect")?.requestRedirect ?? null,
    headerModifier: find("RequestHeaderModifier")?.requestHeaderModifier ?? null,
    rewrite: find("URLRewrite")?.urlRewrite ?? null,
    unsupported: ext ? `ExtensionRef filter ${ext.extensionRef?.kind ?? ""}/${ext.extensionRef?.name ?? ""}` : null,
  };
}

function backendRef(route: KubeObject, b: Mapping | undefined, grants: KubeObject[], idx: BackendIndex): BackendRef {
  const namespace = typeof b?.namespace === "string" ? b.namespace : nsOf(route);
  const name = String(b?.name ?? "");
  const ref: BackendRef = {
    service: `${namespace}/${name}`,
    namespace,
    name,
    port: Number.isInteger(b?.port) ? (b?.port ?? 0) : 0,
    weight: Number.isInteger(b?.weight) ? (b?.weight ?? 0) : 1,
    invalid: null,
    message: "",
  };
  const group = b?.group ?? "";
  const kind = b?.kind ?? "Service";
  if (group !== "" || kind !== "Service") {
    ref.invalid = "InvalidKind";
    ref.message = `backendRef ${group ? `${group}/` : ""}${kind} ${name}: podnet routes to Services only`;
  } else if (namespace !== nsOf(route) && !granted(grants, nsOf(route), namespace, name)) {
    ref.invalid = "RefNotPermitted";
    ref.message = `backendRef Service ${namespace}/${name}: no ReferenceGrant in ${namespace} allows HTTPRoutes from ${nsOf(route)}`;
  } else if (!idx.services.has(ref.service)) {
    ref.invalid = "BackendNotFound";
    ref.message = `backendRef Service ${ref.service} not found`;
  }
  return ref;
}

/** A ReferenceGrant in the target namespace lets HTTPRoutes of `fromNs` refer to the Service. */
function granted(grants: KubeObject[], fromNs: string, toNs: string, name: string): boolean {
  return grants.some(
    (g) =>
      nsOf(g) === toNs &&
      arr(g.spec?.from).some((f) => f?.group === GATEWAY_GROUP && f?.kind === "HTTPRoute" && f?.namespace === fromNs) &&
      arr(g.spec?.to).some(
        (t) => (t?.group ?? "") === "" && t?.kind === "Service" && (t?.name === undefined || t.name === name),
      ),
  );
}

function resolvedRefs(matches: RouteMatch[], route: KubeObject): Condition {
  const seen = new Set<RuleAction>();
  for (const m of matches) {
    if (seen.has(m.action)) continue;
    seen.add(m.action);
    for (const b of m.action.backends) if (b.invalid) return cond("ResolvedRefs", false, b.invalid, b.message);
  }
  void route;
  return cond("ResolvedRefs", true, "ResolvedRefs", "all references resolved");
}

// ---- routing a request --------------------------------------------------------------

const wellKnown = (scheme: string) => (scheme === "https" ? 443 : 80);

/** The listener for the request: its port and scheme, the most specific hostname. */
function pickListener(listeners: ListenerTable[], port: number, scheme: string, host: string): ListenerTable | null {
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
function matchesFor(l: ListenerTable, host: string): RouteMatch[] {
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

function queryOf(q: string): Map<string, string> {
  const m = new Map<string, string>();
  if (q === "") return m;
  for (const part of q.split("&")) {
    const i = part.indexOf("=");
    const k = i < 0 ? part : part.slice(0, i);
    const v = i < 0 ? "" : part.slice(i + 1);
    let dk = k;
    let dv = v;
    try {
      dk = decodeURIComponent(k.replace(/\+/g, " "));
      dv = decodeURIComponent(v.replace(/\+/g, " "));
    } catch {
      // kept raw
    }
    if (!m.has(dk)) m.set(dk, dv);
  }
  return m;
}

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
    if (v === undefined || (h.exact !== null ? v !== h.exact : !h.re!.test(v))) return false;
  }
  if (m.query.length) {
    const qs = q();
    for (const p of m.query) {
      const v = qs.get(p.name);
      if (v === undefined || (p.exact !== null ? v !== p.exact : !p.re!.test(v))) return false;
    }
  }
  return true;
}

function routeRequest(listeners: ListenerTable[], idx: BackendIndex, p: ParsedRequest): GatewayResult {
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
