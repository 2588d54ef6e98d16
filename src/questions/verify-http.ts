// `podnet verify`'s HTTP flows: every Ingress rule (each path of each host, one request
// each; a host with TLS over https too) sent from outside the cluster through the ingress
// controller's LoadBalancer IP (or NodePort) to the running nginx, its answer compared with
// `podnet route`'s decision (src/ingress/nginx.ts). Outcomes:
//   "200 IP:PORT"        the pod at that endpoint answered (the model lists every endpoint;
//                        the one request must reach one of them)
//   "301|302|308 URL"    a redirect and its Location
//   "404", "503", …      the status alone
import type { ClusterState } from "../control/state.js";
import { ingressRouter, type IngressRouter, type RouteResult } from "../ingress/nginx.js";
import { parseRouteRequest, type ParsedRequest } from "../ingress/request.js";
import type { RouteDecision } from "../ingress/types.js";
import type { DataplaneIR } from "../ir/types.js";
import { askProxy, proxyEntry, type ProxyAnswer } from "../linux/ingress-probe.js";

/** The model's outcomes for a decision. */
export function decisionOutcomes(d: RouteDecision): string[] {
  if (d.status === 200) return d.endpoints.map((e) => `200 ${e}`);
  if (d.redirect) return [`${d.status} ${d.redirect.location}`];
  return [String(d.status)];
}

/** The running proxy's outcome. */
export function answerOutcome(a: ProxyAnswer): string {
  if (a.status === 0) return `no answer (${a.error ?? "?"})`;
  if (a.status === 200) return `200 ${a.endpoint ?? `? (no pod named the answer${a.pod ? `: ${a.pod}` : ""})`}`;
  if (a.status >= 300 && a.status < 400 && a.location) return `${a.status} ${a.location}`;
  return String(a.status);
}

/** Whether the proxy's one answer is one the model allows, and if not, a line saying why. */
export function compareAnswer(d: RouteDecision, a: ProxyAnswer): { agree: boolean; note?: string } {
  const model = decisionOutcomes(d);
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
        if (regex && /[\\^$.*+?()[\]{}|]/.test(path)) {
          skipped.push({ what, why: "a regular-expression path: no single URL stands for it" });
          continue;
        }
        for (const scheme of tlsHosts.has(host) ? ["http", "https"] : ["http"]) {
          const url = `${scheme}://${asked}${path}`;
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

/** Every Ingress rule through the running proxy; skipped (with why) when the cluster has none. */
export async function runHttpFlows(
  cluster: string,
  state: ClusterState,
  ir: DataplaneIR,
  skipped: { what: string; why: string }[],
  parallel = 8,
): Promise<HttpFlowResult[]> {
  if (state.ingresses.length === 0) return [];
  const router = ingressRouter(state);
  if (typeof router === "string") {
    skipped.push({ what: "http", why: router });
    return [];
  }
  const entry = proxyEntry(cluster, state, ir);
  if (typeof entry === "string") {
    skipped.push({ what: "http", why: entry });
    return [];
  }
  const flows = planHttpFlows(router, skipped);
  const results: HttpFlowResult[] = new Array(flows.length);
  let next = 0;
  const worker = async () => {
    while (next < flows.length) {
      const k = next++;
      const f = flows[k];
      const a = await askProxy(entry, f.request);
      const c = compareAnswer(f.expected.decision, a);
      results[k] = {
        url: f.url,
        what: f.what,
        model: decisionOutcomes(f.expected.decision),
        proxy: answerOutcome(a),
        agree: c.agree,
        ...(c.note ? { note: c.note } : {}),
      };
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, flows.length) }, worker));
  return results;
}
