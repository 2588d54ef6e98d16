// `podnet verify`'s HTTP flows: every Ingress rule (each path of each host, one request
// each; a host with TLS over https too) sent from outside the cluster through the ingress
// controller's LoadBalancer IP (or NodePort) to the running nginx, its answer compared with
// `podnet route`'s decision (src/ingress/nginx.ts); and every HTTPRoute match of podnet's
// Gateways (one request each, built to satisfy the match: its path, method, headers and
// query parameters, on each hostname it serves) through the Gateway Service to the Gateway
// pods' nginx, compared with the Gateway router's decision (src/ingress/gateway.ts; a rule
// whose backendRefs split by weight accepts any of them). A regular-expression path (an
// Ingress's under use-regex, an HTTPRoute's), header or query value is asked with a string
// generated from it; one that yields none is listed as skipped with the reason. Outcomes:
//   "200 IP:PORT"        the pod at that endpoint answered (the model lists every endpoint;
//                        the one request must reach one of them)
//   "301|302|308 URL"    a redirect and its Location
//   "404", "503", …      the status alone
import type { ClusterState } from "../control/state.js";
import { type GatewayResult, type GatewayRouter, gatewayRouter, type RouteMatch } from "../ingress/gateway.js";
import { ingressRouter, type IngressRouter, type RouteResult } from "../ingress/nginx.js";
import { regexSample, userSource } from "../ingress/regex.js";
import { normalizeUri, parseRouteRequest, type ParsedRequest } from "../ingress/request.js";
import type { RouteDecision } from "../ingress/types.js";
import type { DataplaneIR } from "../ir/types.js";
import { askProxy, gatewayEntry, proxyEntry, type ProxyAnswer, type ProxyEntry } from "../linux/ingress-probe.js";

/** The model's outcomes for a decision. */
export function decisionOutcomes(d: RouteDecision): string[] {
  if (d.status === 200) return d.endpoints.map((e) => `200 ${e}`);
  if (d.redirect) return [`${d.status} ${d.redirect.location}`];
  return [String(d.status)];
}

/** A Gateway decision's outcomes, with what a split by weight may also answer. */
export function gatewayOutcomes(r: GatewayResult): string[] {
  const out = decisionOutcomes(r.decision);
  for (const o of r.split) {
    if (o.status === 200) for (const e of o.endpoints) out.push(`200 ${e}`);
    else out.push(String(o.status));
  }
  return [...new Set(out)];
}

/** The running proxy's outcome. */
export function answerOutcome(a: ProxyAnswer): string {
  if (a.status === 0) return `no answer (${a.error ?? "?"})`;
  if (a.status === 200) return `200 ${a.endpoint ?? `? (no pod named the answer${a.pod ? `: ${a.pod}` : ""})`}`;
  if (a.status >= 300 && a.status < 400 && a.location) return `${a.status} ${a.location}`;
  return String(a.status);
}

/**
 * A 200 whose body names no endpoint (a URLRewrite to the pod server's /hostname or /echo
 * answers text): the serving pod's IP (X-Podnet-Pod) stands for it, with the port the
 * model gives that IP.
 */
export function fillEndpoint(a: ProxyAnswer, podIps: ReadonlyMap<string, string>, outcomes: string[]): ProxyAnswer {
  if (a.status !== 200 || a.endpoint || !a.pod) return a;
  const ip = podIps.get(a.pod);
  const hit = ip ? outcomes.find((o) => o.startsWith(`200 ${ip}:`)) : undefined;
  return hit ? { ...a, endpoint: hit.slice(4) } : a;
}

/** Whether the proxy's one answer is one the model allows, and if not, a line saying why. */
export function compareAnswer(
  d: RouteDecision,
  a: ProxyAnswer,
  outcomes?: string[],
): { agree: boolean; note?: string } {
  const model = outcomes ?? decisionOutcomes(d);
  const got = answerOutcome(a);
  if (model.includes(got)) return { agree: true };
  return { agree: false, note: `model: ${model.join(" | ") || `${d.status} (no endpoint)`}; proxy: ${got}` };
}

export interface HttpFlow {
  url: string;
  request: ParsedRequest;
  /** "Ingress NS/NAME rule I path P". */
  what: string;
  expected: RouteResult;
}

export interface GatewayFlow {
  url: string;
  request: ParsedRequest;
  /** "HTTPRoute NS/NAME rule I match J (gateway NS/NAME listener L)". */
  what: string;
  expected: GatewayResult;
}

// RFC 9110 5.5 field values, and no spaces at the ends (a client's value is trimmed).
const FIELD_VALUE = /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/;
const pathUrl = (p: string) => p.split("/").map(encodeURIComponent).join("/");

/**
 * A string a RegularExpression match accepts (regex.ts); `ok` says what the request can
 * carry there. Throws the reason when none is found.
 */
function sampleFor(where: string, re: RegExp, ok: (s: string) => boolean): string {
  const r = regexSample(re, ok);
  if ("error" in r) throw new Error(`RegularExpression ${where} ${JSON.stringify(userSource(re))}: ${r.error}`);
  return r.sample;
}

/** A path (URL-encoded) a regular expression matches, nginx's normalisation leaving it as is. */
const samplePath = (re: RegExp) =>
  pathUrl(sampleFor("path", re, (s) => s.startsWith("/") && normalizeUri(pathUrl(s)) === s));

/** An Ingress regex path's sample, or the reason (starting "RegularExpression") there is none. */
function regexPath(path: string): string {
  try {
    return samplePath(new RegExp(`^(?:${path})$`));
  } catch (e) {
    const why = (e as Error).message;
    return why.startsWith("RegularExpression") ? why : `RegularExpression path ${JSON.stringify(path)}: ${why}`;
  }
}

/**
 * A request that satisfies a match, or why none can be written. A RegularExpression path,
 * header or query value is asked with a string generated from the pattern: a path that
 * nginx's normalisation leaves as it is, a header value without control characters, a
 * non-empty query value (percent-encoded in the URL).
 */
function requestFor(m: RouteMatch, scheme: string, host: string, port: number): ParsedRequest | string {
  let path = m.path;
  const headers: string[] = [];
  const query: string[] = [];
  try {
    if (m.pathKind === 1) path = samplePath(m.regex!);
    for (const h of m.headers)
      headers.push(`${h.name}: ${h.exact ?? sampleFor(`header ${h.name}`, h.re!, (s) => FIELD_VALUE.test(s))}`);
    for (const q of m.query) {
      const v = q.exact ?? sampleFor(`query ${q.name}`, q.re!, (s) => s !== "");
      query.push(`${encodeURIComponent(q.name)}=${encodeURIComponent(v)}`);
    }
  } catch (e) {
    return (e as Error).message;
  }
  const hostPort = port === (scheme === "https" ? 443 : 80) ? host : `${host}:${port}`;
  const url = `${scheme}://${hostPort}${path}${query.length ? `?${query.join("&")}` : ""}`;
  return parseRouteRequest(url, m.method ?? "GET", headers);
}

/** A request per HTTPRoute match and hostname of every listener of podnet's Gateways. */
export function planGatewayFlows(router: GatewayRouter, skipped: { what: string; why: string }[]): GatewayFlow[] {
  const out: GatewayFlow[] = [];
  const seen = new Set<string>();
  for (const l of router.listeners) {
    if (l.protocol !== "HTTP" && l.protocol !== "HTTPS") continue;
    const scheme = l.protocol === "HTTPS" ? "https" : "http";
    // A wildcard is asked with one label in its place; routes without hostnames, the listener's.
    const ask = (h: string) => (h.startsWith("*.") ? `podnet-verify${h.slice(1)}` : h);
    const groups: [string, RouteMatch[]][] = [
      ...[...l.exact].map(([h, ms]) => [h, ms] as [string, RouteMatch[]]),
      ...[...l.wildcard].map(([s, ms]) => [`podnet-verify${s}`, ms] as [string, RouteMatch[]]),
      [l.hostname ? ask(l.hostname) : "gateway.podnet.invalid", l.any],
    ];
    for (const [host, matches] of groups)
      for (const m of matches) {
        const what = `HTTPRoute ${m.routeKey} rule ${m.rule} match ${m.index} (${l.gateway} listener ${l.name})`;
        const req = requestFor(m, scheme, host, l.port);
        if (typeof req === "string") {
          skipped.push({ what, why: req });
          continue;
        }
        const url = `${req.request.scheme}://${req.request.host}:${req.request.port}${req.requestUri}`;
        const key = `${req.request.method} ${url} ${JSON.stringify(req.request.headers)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ url, request: req, what, expected: router.route(req) });
      }
  }
  return out;
}

/** A request for every path of every rule of the Ingresses the controller owns (https too for TLS hosts). */
export function planHttpFlows(router: IngressRouter, skipped: { what: string; why: string }[]): HttpFlow[] {
  const out: HttpFlow[] = [];
  const tlsHosts = new Set<string>();
  for (const s of router.servers.values()) if (s.certificate && s.host !== "_") tlsHosts.add(s.host);
  for (const ing of router.ingresses) {
    const id = `${ing.metadata.namespace ?? "default"}/${ing.metadata.name}`;
    const rules: { host?: unknown; http?: { paths?: unknown } }[] = Array.isArray(ing.spec?.rules)
      ? ing.spec.rules
      : [];
    const regex = Object.entries(ing.metadata.annotations ?? {}).some(
      ([k, v]) =>
        (k === "nginx.ingress.kubernetes.io/use-regex" && v === "true") ||
        k === "nginx.ingress.kubernetes.io/rewrite-target",
    );
    rules.forEach((rule, i) => {
      const host = typeof rule?.host === "string" && rule.host ? rule.host.toLowerCase() : "";
      // A wildcard host is asked with one label in its place.
      const asked = host.startsWith("*.") ? `podnet-verify${host.slice(1)}` : host || "ingress.podnet.invalid";
      const paths: { path?: unknown }[] = Array.isArray(rule?.http?.paths) ? rule.http.paths : [];
      for (const p of paths) {
        const path = typeof p?.path === "string" && p.path ? p.path : "/";
        const what = `Ingress ${id} rule ${i} path ${path}`;
        let asPath = path;
        if (regex && /[\\^$.*+?()[\]{}|]/.test(path)) {
          // ingress-nginx's `~* "^path"`: a string the whole pattern matches also starts with it.
          const sample = regexPath(path);
          if (sample.startsWith("RegularExpression")) {
            skipped.push({ what, why: sample });
            continue;
          }
          asPath = sample;
        }
        for (const scheme of tlsHosts.has(host) ? ["http", "https"] : ["http"]) {
          const url = `${scheme}://${asked}${asPath}`;
          const req = parseRouteRequest(url);
          if (typeof req === "string") {
            skipped.push({ what, why: req });
            continue;
          }
          out.push({ url, request: req, what: `${what} (${scheme})`, expected: router.route(req) });
        }
      }
    });
  }
  return out;
}

export interface HttpFlowResult {
  url: string;
  what: string;
  model: string[];
  proxy: string;
  agree: boolean;
  note?: string;
}

/** Every Ingress rule and HTTPRoute match through the running proxies; skipped (with why) when the cluster has none. */
export async function runHttpFlows(
  cluster: string,
  state: ClusterState,
  ir: DataplaneIR,
  skipped: { what: string; why: string }[],
  parallel = 8,
): Promise<HttpFlowResult[]> {
  const jobs: {
    url: string;
    what: string;
    request: ParsedRequest;
    decision: RouteDecision;
    outcomes: string[];
    entry: ProxyEntry;
  }[] = [];
  if (state.ingresses.length > 0) {
    const router = ingressRouter(state);
    const entry = typeof router === "string" ? router : proxyEntry(cluster, state, ir);
    if (typeof router === "string") skipped.push({ what: "http", why: router });
    else if (typeof entry === "string") skipped.push({ what: "http", why: entry });
    else
      for (const f of planHttpFlows(router, skipped))
        jobs.push({
          ...f,
          decision: f.expected.decision,
          outcomes: decisionOutcomes(f.expected.decision),
          entry,
        });
  }
  if ((state.objects ?? []).some((o) => o.kind === "HTTPRoute")) {
    const router = gatewayRouter(state);
    const entry = typeof router === "string" ? router : gatewayEntry(cluster, state, ir);
    if (typeof router === "string") skipped.push({ what: "http (Gateway API)", why: router });
    else if (typeof entry === "string") skipped.push({ what: "http (Gateway API)", why: entry });
    else
      for (const f of planGatewayFlows(router, skipped))
        jobs.push({
          ...f,
          decision: f.expected.decision,
          outcomes: gatewayOutcomes(f.expected),
          entry,
        });
  }
  const podIps = new Map(ir.pods.filter((p) => p.ip).map((p) => [`${p.namespace}/${p.name}`, p.ip!]));
  const results: HttpFlowResult[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const k = next++;
      const f = jobs[k];
      const a = fillEndpoint(await askProxy(f.entry, f.request), podIps, f.outcomes);
      const c = compareAnswer(f.decision, a, f.outcomes);
      results[k] = {
        url: f.url,
        what: f.what,
        model: f.outcomes,
        proxy: answerOutcome(a),
        agree: c.agree,
        ...(c.note ? { note: c.note } : {}),
      };
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, worker));
  return results;
}
