// The whole path of a request through the cluster's Ingress controller, as two connections
// and the decision between them (issue 18 §6):
//   1. the client's connection: DNS (a pod's resolver walk; an outside client asks the
//      cluster config's externalDNS), the LoadBalancer IP's ARP answered by the MetalLB
//      speaker node, kube-proxy to an ingress-nginx pod;
//   2. the routing decision of that controller (src/ingress/nginx.ts): object, rule, match,
//      backend Service and port, the endpoint it picks; a 404 or a redirect ends here;
//   3. the controller's own new connection from its pod IP to the endpoint's pod IP:
//      ingress-nginx proxies to the endpoints, not to the Service's ClusterIP
//      (kubernetes.github.io/ingress-nginx/user-guide/miscellaneous/#why-endpoints-and-not-services).
// The endpoint: ingress-nginx balances with `load-balance: round_robin` by default
// (kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/configmap/#load-balance);
// podnet shows one request, deterministically the first endpoint in EndpointSlice order.
// The controller pod: the most probable delivered path of connection 1 (first on ties).

import type { ClusterState } from "../control/state.js";
import { INGRESS_NGINX } from "../control/system.js";
import { ingressRouter, type RouteResult } from "../ingress/nginx.js";
import { parseRouteRequest } from "../ingress/request.js";
import { TraceInputError, renderTrace, traceJson } from "../sim/index.js";
import type { FlowSpec, TracePath, TraceResult } from "../sim/index.js";
import type { SessionTraceOptions, TraceSession } from "./trace.js";

/** What traceLegs asks: a session's trace and the model state behind it. */
export interface LegSession {
  readonly state: ClusterState;
  trace: TraceSession["trace"];
}

export type { ConnectionLeg, RoutingLeg, TraceLeg } from "./ingress-path-types.js";
import type { RoutingLeg, TraceLeg } from "./ingress-path-types.js";

/** A trace; through an Ingress controller, also the legs (connection, routing, connection). */
export interface LegTrace {
  /** Connection 1, exactly as a plain trace (its fields stay the trace's fields in JSON). */
  first: TraceResult;
  /** Set when connection 1 reaches an ingress controller pod. */
  legs?: TraceLeg[];
  /** How an outside client's name was resolved (no cluster resolver outside). */
  resolved?: { host: string; address: string; by: string };
}

const URL_RE = /^([a-z][a-z0-9+.-]*):\/\/(\[[^\]/?#]*\]|[^/:?#]+)(?::(\d*))?([^#]*)/i;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** True when `from` is a client outside the cluster. */
const outside = (from: string) => from === "external" || from.startsWith("external:");

/**
 * The address an outside client's resolver gives for `host`, by this rule: an A record of
 * the cluster config's externalDNS (a CNAME there is followed, 8 deep at most); otherwise,
 * when the host is a rule host of an Ingress the controller serves (exact, or `*.domain`
 * matching one label), the controller Service's LoadBalancer IP, as an external-dns
 * controller would publish it (kubernetes-sigs/external-dns docs/sources/ingress.md).
 */
export function externalAddress(state: ClusterState, host: string): { address: string; by: string } | undefined {
  const name = host.toLowerCase().replace(/\.$/, "");
  let q = name;
  for (let i = 0; i < 8; i++) {
    const recs = state.config.externalDNS.filter((r) => r.name.toLowerCase().replace(/\.$/, "") === q);
    const a = recs.find((r) => r.type === "A");
    if (a) return { address: a.value, by: `externalDNS record ${q} A ${a.value}` };
    const c = recs.find((r) => r.type === "CNAME");
    if (!c) break;
    q = c.value.toLowerCase().replace(/\.$/, "");
  }
  const router = ingressRouter(state);
  if (typeof router === "string") return undefined;
  const hosts = router.ingresses.flatMap((ing) =>
    Array.isArray(ing.spec?.rules) ? ing.spec.rules.map((r: { host?: unknown }) => String(r.host ?? "")) : [],
  );
  const served = hosts.some(
    (h) =>
      h === name || (h.startsWith("*.") && name.endsWith(h.slice(1)) && !name.slice(0, -h.length + 1).includes(".")),
  );
  if (!served) return undefined;
  const svc = state.services.find((s) => s.namespace === INGRESS_NGINX.namespace && s.name === INGRESS_NGINX.name);
  const lb = svc?.loadBalancerIPs[0];
  if (!lb) return undefined;
  return {
    address: lb,
    by: `Ingress host ${name} → Service ${INGRESS_NGINX.namespace}/${INGRESS_NGINX.name} LoadBalancer IP`,
  };
}

/** The path connection 2 starts from: the most probable delivered one (first on ties). */
export function mainPath(r: TraceResult): TracePath | undefined {
  let best: TracePath | undefined;
  for (const p of r.paths)
    if (p.disposition.verdict === "DELIVERED" && (!best || p.probability > best.probability)) best = p;
  return best;
}

const controllerPod = (ns: string | undefined) =>
  ns?.startsWith(`pod/${INGRESS_NGINX.namespace}/`) ? ns.slice(4) : undefined;

/**
 * Trace `flow`; when its destination is a URL and connection 1 reaches an ingress-nginx pod,
 * add the routing decision and the controller's connection to the backend.
 */
export function traceLegs(session: LegSession, flow: FlowSpec, opts: SessionTraceOptions = {}): LegTrace {
  const state = session.state;
  const url = URL_RE.exec(flow.to);
  if (!url) return { first: session.trace(flow, opts) };
  const [, scheme, host, portText, rest] = url;
  let resolved: LegTrace["resolved"];
  let first: TraceResult;
  if (outside(flow.from) && !IPV4.test(host) && !host.startsWith("[")) {
    const a = externalAddress(state, host);
    if (!a)
      throw new TraceInputError(
        `"${host}" does not resolve outside the cluster: no externalDNS A record in the cluster config and no Ingress host served by a controller with a LoadBalancer IP`,
      );
    resolved = { host, address: a.address, by: a.by };
    const to = `${scheme}://${a.address}${portText !== undefined ? `:${portText}` : ""}${rest}`;
    first = session.trace({ ...flow, to }, opts);
    first.flow.to = flow.to;
    first.flow.host = host;
    for (const p of first.paths) {
      const s0 = p.hops[0]?.steps[0];
      if (s0?.action === "ORIGINATED") s0.detail = s0.detail.replace(`[${a.address}`, `[${host}`);
    }
  } else first = session.trace(flow, opts);
  const out: LegTrace = resolved ? { first, resolved } : { first };
  const main = mainPath(first);
  const pod = controllerPod(main?.disposition.ns);
  if (!main || !pod) return out;
  const router = ingressRouter(state);
  if (typeof router === "string") return out;
  const parsed = parseRouteRequest(flow.to);
  if (typeof parsed === "string") throw new TraceInputError(parsed);
  const r = router.route(parsed);
  const routing = routingLeg(pod, router.controller.controller, `GET ${flow.to}`, r);
  const legs: TraceLeg[] = [{ kind: "connection", name: "client → ingress controller", trace: first }, routing];
  if (routing.endpoint) {
    const second = session.trace(
      { from: pod, to: routing.endpoint, protocol: "tcp", reply: flow.reply, size: flow.size, ttl: flow.ttl },
      opts,
    );
    legs.push({ kind: "connection", name: "ingress controller → backend", trace: second });
  }
  out.legs = legs;
  return out;
}

function routingLeg(pod: string, controller: string, request: string, r: RouteResult): RoutingLeg {
  const d = r.decision;
  const endpoint = d.status === 200 && d.backend && d.endpoints.length ? d.endpoints[0] : null;
  const parts = [`${request} → ${d.status}`];
  if (d.via) parts.push(`${d.via.kind} ${d.via.name} rule ${d.rule ?? "-"} match ${d.match ?? "-"}`);
  else parts.push("no rule matches (the controller's default backend)");
  if (d.redirect) parts.push(`redirect ${d.redirect.status} Location: ${d.redirect.location}`);
  if (d.backend) parts.push(`Service ${d.backend.service} port ${d.backend.port}`);
  if (endpoint)
    parts.push(
      `endpoint ${endpoint} (first of ${d.endpoints.length} in EndpointSlice order: round_robin's pick for one request)`,
    );
  else if (d.backend) parts.push("no ready endpoint");
  return {
    kind: "routing",
    pod,
    controller,
    request,
    server: r.server,
    location: r.location,
    decision: d,
    endpoint,
    detail: parts.join("; "),
  };
}

/** JSON: the plain trace's fields (connection 1), then `legs` when there are any. */
export function legTraceJson(t: LegTrace): unknown {
  const base = traceJson(t.first) as Record<string, unknown>;
  if (t.resolved) base.resolved = t.resolved;
  if (!t.legs) return base;
  base.legs = t.legs.map((l) =>
    l.kind === "connection" ? { kind: l.kind, name: l.name, trace: traceJson(l.trace) } : l,
  );
  return base;
}

/** Text: connection 1 as a plain trace, then the routing decision and connection 2. */
export function renderLegTrace(t: LegTrace): string {
  let out = "";
  if (t.resolved) out += `DNS (outside the cluster): ${t.resolved.host} → ${t.resolved.address} (${t.resolved.by})\n`;
  if (!t.legs) return out + renderTrace(t.first);
  t.legs.forEach((l, i) => {
    if (l.kind === "connection") {
      out += `${i ? "\n" : ""}=== ${i === 0 ? "connection 1" : "connection 2"}: ${l.name}\n${renderTrace(l.trace)}`;
    } else {
      const d = l.decision;
      out += `\n=== routing decision of ${l.pod} (${l.controller})\n`;
      out += `   ROUTING      ${l.detail}\n`;
      out += `                  [nginx] server ${l.server === "_" ? "_ (catch-all)" : l.server}, location ${l.location ?? "<none>"}\n`;
      if (!l.endpoint) {
        const why = d.redirect ? `redirect ${d.redirect.status}` : d.status === 404 ? "404 Not Found" : `${d.status}`;
        out += `=> ${why}: the controller answers the client itself; no second connection\n`;
      }
    }
  });
  const last = t.legs.at(-1)!;
  if (last.kind === "connection") {
    const p = mainPath(last.trace) ?? last.trace.paths[0];
    const d = p?.disposition;
    if (d) out += `\nthrough the Ingress controller: ${d.verdict}${d.ns ? ` at ${d.ns}` : ""} (2 connections)\n`;
  }
  return out;
}
