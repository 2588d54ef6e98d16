// `podnet route URL`: what the cluster's Ingress controller (ingress-nginx's semantics) or
// podnet's Gateway controller (Gateway API) does with a request: the object, rule and match
// that decide, the backend Service and port and its endpoints, or the 404 / redirect.
// `-o json` prints the RouteDecision of src/ingress/types.ts exactly (a contract).
//
// Which proxy answers without --gateway / --ingress-class:
//  1. the URL's host is an address of one controller's Service (ClusterIP, external or
//     LoadBalancer IP): that controller (the Gateway controller: all its Gateways);
//  2. podnet's Gateways, when one of their listeners takes the URL's port and scheme and an
//     accepted HTTPRoute's hostnames cover the URL's host;
//  3. else the Ingress controller (class nginx) when the cluster has one, else the Gateways.
import type { Command } from "commander";
import type { ClusterState } from "../control/state.js";
import { INGRESS_NGINX } from "../control/system.js";
import { type GatewayResult, type GatewayRouter, gatewayRouter } from "../ingress/gateway.js";
import { ingressRouter, type IngressRouter, type RouteResult } from "../ingress/nginx.js";
import { parseRouteRequest, type ParsedRequest } from "../ingress/request.js";
import { buildIR } from "../dataplane/build.js";
import { askProxy, gatewayEntry, proxyEntry } from "../linux/ingress-probe.js";
import { liveState } from "../linux/live-state.js";
import { answerOutcome, compareAnswer, fillEndpoint, gatewayOutcomes } from "../questions/verify-http.js";
import { runningCluster } from "./running.js";
import { addClusterOptions, cliWarn, collect, loadFromFlags, type ClusterFlags } from "./cluster-opts.js";
import { UsageError } from "./errors.js";

interface RouteFlags extends ClusterFlags {
  request: string;
  header: string[];
  gateway?: string;
  ingressClass?: string;
  name?: string;
  output: string;
}

export function register(program: Command): void {
  const cmd = program
    .command("route")
    .description(
      "what the Ingress controller or Gateway does with a request to URL: the Ingress or HTTPRoute, rule and match, the backend Service, port and endpoints, or its 404 / redirect",
    )
    .argument("<url>", "http://HOST[:PORT]/PATH?QUERY or https://…")
    .option("-X, --request <method>", "the request's method", "GET")
    .option("-H, --header <line>", "a request header 'Name: value' (Host: chooses the server); repeatable", collect, [])
    .option("--ingress-class <name>", "ask the controller of this IngressClass (default: nginx)")
    .option(
      "--gateway <ns/name>",
      "ask this Gateway (Gateway API, podnet's GatewayClass controller podnet.dev/gateway)",
    )
    .option(
      "--name <cluster>",
      "also ask the running cluster's proxy (nginx in the ingress controller or Gateway pods, from outside: curl with Host/SNI) and say when its answer differs from the model's",
    )
    .option("-o, --output <format>", "text|json", "text");
  addClusterOptions(cmd)
    .addHelpText(
      "after",
      `
-o json (exactly; a contract):
  {"status": 200, "via": {"kind": "Ingress", "name": "NS/NAME"}, "rule": 0, "match": "Prefix /api",
   "backend": {"service": "NS/NAME", "port": 8080}, "endpoints": ["10.244.1.5:8080"], "redirect": null}
  404: via and backend null; redirects fill redirect {"location", "status"} and have no backend;
  503: the backend Service has no ready endpoints. Gateway API: via.kind "HTTPRoute";
  500 when the rule's backend is invalid (missing, not permitted by a ReferenceGrant).
Without --gateway / --ingress-class: the controller whose Service has the URL's address,
else a Gateway with a listener and an HTTPRoute for the URL's port and host, else the
Ingress controller.`,
    )
    .action(async (url: string, o: RouteFlags) => {
      if (o.output !== "text" && o.output !== "json") throw new UsageError(`--output must be text|json: "${o.output}"`);
      if (o.gateway !== undefined && o.ingressClass !== undefined)
        throw new UsageError("--gateway and --ingress-class ask different proxies: give one");
      const parsed = parseRouteRequest(url, o.request, o.header);
      if (typeof parsed === "string") throw new UsageError(parsed);
      if (o.name !== undefined) return routeRunning(o.name, url, parsed, o);
      const { state } = await loadFromFlags(o);
      const title = `${parsed.request.method} ${url}`;
      const answer = choose(state, parsed.request.host, parsed.request.port, parsed.request.scheme, o);
      if (typeof answer === "string") throw new UsageError(answer);
      for (const w of answer.router.warnings) cliWarn(w);
      if (answer.kind === "gateway") {
        const r = answer.router.route(parsed);
        process.stdout.write(o.output === "json" ? `${JSON.stringify(r.decision)}\n` : renderGatewayRoute(title, r));
        return;
      }
      const r = answer.router.route(parsed);
      process.stdout.write(
        o.output === "json" ? `${JSON.stringify(r.decision)}\n` : renderRoute(title, r, answer.router.controller),
      );
    });
}

type Answer = { kind: "gateway"; router: GatewayRouter } | { kind: "ingress"; router: IngressRouter };

/** The proxy that receives the request (the rule in the header). */
function choose(state: ClusterState, host: string, port: number, scheme: string, o: RouteFlags): Answer | string {
  if (o.gateway !== undefined) {
    const g = gatewayRouter(state, { gateway: o.gateway });
    return typeof g === "string" ? `--gateway ${o.gateway.slice(0, 200)}: ${g}` : { kind: "gateway", router: g };
  }
  const ing = ingressRouter(state, { ingressClass: o.ingressClass });
  if (o.ingressClass !== undefined) return typeof ing === "string" ? ing : { kind: "ingress", router: ing };
  const gw = gatewayRouter(state);
  if (typeof gw === "string") return typeof ing === "string" ? ing : { kind: "ingress", router: ing };
  if (typeof ing === "string") return { kind: "gateway", router: gw };
  if (gw.addresses.includes(host)) return { kind: "gateway", router: gw };
  const ingSvc = state.services.find((s) => s.namespace === INGRESS_NGINX.namespace && s.name === INGRESS_NGINX.name);
  if (ingSvc && [ingSvc.clusterIP, ...ingSvc.externalIPs, ...ingSvc.loadBalancerIPs].includes(host))
    return { kind: "ingress", router: ing };
  return gw.serves(port, scheme, host) ? { kind: "gateway", router: gw } : { kind: "ingress", router: ing };
}

/** A Gateway's decision as text: the Gateway and listener, the route, every backendRef. */
export function renderGatewayRoute(title: string, r: GatewayResult): string {
  const d = r.decision;
  const lines = [`${title} -> ${d.status}`];
  const row = (k: string, v: string) => lines.push(`  ${`${k}:`.padEnd(13)}${v}`);
  row("controller", "podnet.dev/gateway");
  row("gateway", r.gateway ? `${r.gateway}, listener ${r.listener}` : "<none> (no listener)");
  row("via", d.via ? `${d.via.kind} ${d.via.name}` : "<none>");
  if (d.rule !== null || d.match !== null) row("rule", `${d.rule ?? "-"}, match ${d.match ?? "-"}`);
  if (d.redirect) row("redirect", `${d.redirect.status} Location: ${d.redirect.location}`);
  if (r.backends.length)
    row(
      "backendRefs",
      r.backends
        .map(
          (b) =>
            `${b.service}:${b.port} weight ${b.weight}${b.invalid ? ` (${b.invalid})` : ""}${d.backend && d.backend.service === b.service && d.backend.port === b.port ? " <- chosen" : ""}`,
        )
        .join(", "),
    );
  if (d.backend) {
    row("backend", `Service ${d.backend.service} port ${d.backend.port}`);
    row("endpoints", d.endpoints.length ? d.endpoints.join(", ") : "<none>");
  }
  if (r.requestEdits.length) {
    lines.push("  request edits (filters):");
    for (const e of r.requestEdits) lines.push(`    ${e}`);
  }
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return `${lines.join("\n")}\n`;
}

/**
 * --name: the model's decision on the running cluster's state, and the running proxy's
 * answer to the same request. JSON stays the RouteDecision (the model's); a difference is
 * a line on stderr and exit status 1 in both formats.
 */
async function routeRunning(name: string, url: string, parsed: ParsedRequest, o: RouteFlags): Promise<void> {
  const cluster = runningCluster(name, "podnet route --name asks the running proxy");
  let state: Awaited<ReturnType<typeof liveState>>;
  try {
    state = await liveState(cluster);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const chosen = choose(state, parsed.request.host, parsed.request.port, parsed.request.scheme, o);
  if (typeof chosen === "string") throw new UsageError(chosen);
  // The Gateway pods run nginx too: ask them through the Gateway Service.
  if (chosen.kind === "gateway") return gatewayRunning(cluster, state, url, parsed, chosen.router, o);
  const router = chosen.router;
  for (const w of router.warnings) cliWarn(w);
  const r = router.route(parsed);
  const entry = proxyEntry(cluster, state, buildIR(state));
  if (typeof entry === "string") throw new UsageError(`--name ${cluster}: ${entry}`);
  const answer = await askProxy(entry, parsed);
  const c = compareAnswer(r.decision, answer);
  if (o.output === "json") process.stdout.write(`${JSON.stringify(r.decision)}\n`);
  else {
    process.stdout.write(renderRoute(`${parsed.request.method} ${url}`, r, router.controller));
    process.stdout.write(
      `  proxy:      ${answerOutcome(answer)}${answer.pod ? ` (pod ${answer.pod})` : ""}, asked from outside through ${entry.via}\n`,
    );
    process.stdout.write(c.agree ? "  the running proxy agrees with the model\n" : "");
  }
  if (!c.agree) {
    process.stderr.write(`podnet route: the running proxy differs from the model: ${c.note}\n`);
    process.exitCode = 1;
  }
}

/** --name for a Gateway: the model's decision and the Gateway pods' nginx's answer. */
async function gatewayRunning(
  cluster: string,
  state: ClusterState,
  url: string,
  parsed: ParsedRequest,
  router: GatewayRouter,
  o: RouteFlags,
): Promise<void> {
  for (const w of router.warnings) cliWarn(w);
  const r = router.route(parsed);
  const ir = buildIR(state);
  const entry = gatewayEntry(cluster, state, ir);
  if (typeof entry === "string") throw new UsageError(`--name ${cluster}: ${entry}`);
  const outcomes = gatewayOutcomes(r);
  const podIps = new Map(ir.pods.filter((p) => p.ip).map((p) => [`${p.namespace}/${p.name}`, p.ip!]));
  const answer = fillEndpoint(await askProxy(entry, parsed), podIps, outcomes);
  const c = compareAnswer(r.decision, answer, outcomes);
  if (o.output === "json") process.stdout.write(`${JSON.stringify(r.decision)}\n`);
  else {
    process.stdout.write(renderGatewayRoute(`${parsed.request.method} ${url}`, r));
    process.stdout.write(
      `  proxy:        ${answerOutcome(answer)}${answer.pod ? ` (pod ${answer.pod})` : ""}, asked from outside through ${entry.via}\n`,
    );
    process.stdout.write(c.agree ? "  the running proxy agrees with the model\n" : "");
  }
  if (!c.agree) {
    process.stderr.write(`podnet route: the running proxy differs from the model: ${c.note}\n`);
    process.exitCode = 1;
  }
}

/** The decision as text: what decided, where it goes, and what ingress-nginx adds. */
export function renderRoute(
  title: string,
  r: RouteResult,
  controller: { ingressClass: string; controller: string },
): string {
  const d = r.decision;
  const lines = [`${title} -> ${d.status}`];
  const row = (k: string, v: string) => lines.push(`  ${`${k}:`.padEnd(12)}${v}`);
  row("controller", `${controller.controller} (IngressClass ${controller.ingressClass})`);
  row("server", `${r.server === "_" ? "_ (the catch-all server)" : r.server}, location ${r.location ?? "<none>"}`);
  if (r.certificate) row("tls", `certificate ${r.certificate} (chosen by SNI)`);
  row("via", d.via ? `${d.via.kind} ${d.via.name}` : "<none> (the controller's default backend)");
  if (d.rule !== null || d.match !== null) row("rule", `${d.rule ?? "-"}, match ${d.match ?? "-"}`);
  if (d.redirect) row("redirect", `${d.redirect.status} Location: ${d.redirect.location}`);
  if (d.backend) {
    row("backend", `Service ${d.backend.service} port ${d.backend.port}`);
    row("endpoints", d.endpoints.length ? d.endpoints.join(", ") : "<none>");
    lines.push("  (ingress-nginx connects to the endpoints directly, not through the Service's ClusterIP)");
  }
  if (r.upstreamHeaders.length) {
    lines.push("  request headers to the backend:");
    for (const [k, v] of r.upstreamHeaders) lines.push(`    ${k}: ${v}`);
  }
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return `${lines.join("\n")}\n`;
}
