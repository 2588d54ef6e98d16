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
//    parameter names exactly; query names and values percent-decoded (the first value of a
//    repeated parameter); an absent or empty header or parameter never matches
//    (gateway-route.ts matchOne).
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
import { compileRoute, resolvedRefs } from "./gateway-compile.js";
import { matchesFor, pickListener, routeRequest } from "./gateway-route.js";
import {
  arr,
  type Condition,
  cond,
  createdOf,
  GATEWAY_GROUP,
  type GatewayRouter,
  type GatewayStatus,
  hostMatches,
  keyOf,
  type ListenerTable,
  nsOf,
  type ParentStatus,
  type RouteMatch,
} from "./gateway-types.js";
import { backendIndex } from "./nginx.js";

export {
  type Condition,
  GATEWAY_GROUP,
  type GatewayResult,
  type GatewayRouter,
  type GatewayStatus,
  hostMatches,
  type ListenerTable,
  type ParentStatus,
  type RouteMatch,
} from "./gateway-types.js";

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
  const addresses = serviceAddresses(state);

  const byGateway = new Map<string, ListenerTable[]>();
  const listeners: ListenerTable[] = [];
  for (const g of allGateways.filter((x) => ours.has(x.spec?.gatewayClassName))) {
    const ls: ListenerTable[] = [];
    for (const l of arr(g.spec?.listeners))
      if (l && typeof l.name === "string" && Number.isInteger(l.port)) ls.push(listenerTable(g, l));
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
      const accepted = acceptedCondition(
        gw !== undefined,
        gwKey,
        parentRef,
        [named.length, allowed.length, attached.length],
        route,
      );
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
      return ls ? gatewayStatusOf(ls, addresses) : null;
    },
    addresses,
    serves,
    route: (p) => routeRequest(listeners, idx, p),
  };
}

/** Where podnet's gateway Service answers: its LoadBalancer IPs, else externalIPs, else the ClusterIP. */
function serviceAddresses(state: ClusterState): string[] {
  const svc = state.services.find((s) => s.namespace === PODNET_GATEWAY.namespace && s.name === PODNET_GATEWAY.name);
  if (!svc) return [];
  if (svc.type === "LoadBalancer" && svc.loadBalancerIPs.length) return svc.loadBalancerIPs;
  if (svc.externalIPs.length) return svc.externalIPs;
  return svc.clusterIP && svc.clusterIP !== "None" ? [svc.clusterIP] : [];
}

function listenerTable(g: KubeObject, l: Mapping): ListenerTable {
  return {
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
  };
}

/** A Gateway's status: Accepted, Programmed (when its Service has an address), per listener too. */
function gatewayStatusOf(ls: ListenerTable[], addresses: string[]): GatewayStatus {
  return {
    addresses,
    conditions: [
      cond("Accepted", true, "Accepted", `accepted by ${PODNET_GATEWAY.controllerName}`),
      addresses.length
        ? cond("Programmed", true, "Programmed", `served by Service ${PODNET_GATEWAY.namespace}/${PODNET_GATEWAY.name}`)
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
}

// ---- attachment ---------------------------------------------------------------

/**
 * A parentRef's Accepted condition (RouteConditionReason): whether the Gateway exists, then how many of its listeners the ref names, allow the route, and share a hostname with it.
 */
function acceptedCondition(
  found: boolean,
  gwKey: string,
  ref: ParentStatus["parentRef"],
  [named, allowed, attached]: [number, number, number],
  route: KubeObject,
): Condition {
  if (!found) return cond("Accepted", false, "NoMatchingParent", `Gateway ${gwKey} not found`);
  if (named === 0)
    return cond(
      "Accepted",
      false,
      "NoMatchingParent",
      `Gateway ${gwKey} has no listener${ref.sectionName ? ` named ${ref.sectionName}` : ""}${ref.port ? ` on port ${ref.port}` : ""}`,
    );
  if (allowed === 0)
    return cond(
      "Accepted",
      false,
      "NotAllowedByListeners",
      `no listener of Gateway ${gwKey} allows HTTPRoutes from namespace ${nsOf(route)}`,
    );
  if (attached === 0)
    return cond(
      "Accepted",
      false,
      "NoMatchingListenerHostname",
      `no hostname of the route intersects a listener's hostname of Gateway ${gwKey}`,
    );
  return cond("Accepted", true, "Accepted", "Route is accepted");
}

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
