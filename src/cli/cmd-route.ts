// `podnet route URL`: what the cluster's Ingress controller (ingress-nginx's semantics) does
// with a request: the object, rule and match that decide, the backend Service and port and
// its endpoints, or the 404 / redirect. `-o json` prints the RouteDecision of
// src/ingress/types.ts exactly (a contract other tools read).
import type { Command } from "commander";
import { ingressRouter, type RouteResult } from "../ingress/nginx.js";
import { parseRouteRequest, type ParsedRequest } from "../ingress/request.js";
import { buildIR } from "../dataplane/build.js";
import { askProxy, proxyEntry } from "../linux/ingress-probe.js";
import { liveState } from "../linux/live-state.js";
import { answerOutcome, compareAnswer } from "../questions/verify-http.js";
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
      "what the Ingress controller does with a request to URL: the Ingress, rule and match, the backend Service, port and endpoints, or its 404 / redirect",
    )
    .argument("<url>", "http://HOST[:PORT]/PATH?QUERY or https://…")
    .option("-X, --request <method>", "the request's method", "GET")
    .option("-H, --header <line>", "a request header 'Name: value' (Host: chooses the server); repeatable", collect, [])
    .option("--ingress-class <name>", "ask the controller of this IngressClass (default: nginx)")
    .option("--gateway <ns/name>", "ask a Gateway (Gateway API): not implemented yet")
    .option(
      "--name <cluster>",
      "also ask the running cluster's proxy (nginx in the controller pods, from outside: curl with Host/SNI) and say when its answer differs from the model's",
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
  503: the backend Service has no ready endpoints.`,
    )
    .action(async (url: string, o: RouteFlags) => {
      if (o.output !== "text" && o.output !== "json") throw new UsageError(`--output must be text|json: "${o.output}"`);
      if (o.gateway !== undefined && o.ingressClass !== undefined)
        throw new UsageError("--gateway and --ingress-class ask different proxies: give one");
      if (o.gateway !== undefined)
        throw new UsageError(`--gateway ${o.gateway}: Gateway API routing is not implemented yet`);
      const parsed = parseRouteRequest(url, o.request, o.header);
      if (typeof parsed === "string") throw new UsageError(parsed);
      if (o.name !== undefined) return routeRunning(o.name, url, parsed, o);
      const { state } = await loadFromFlags(o);
      const router = ingressRouter(state, { ingressClass: o.ingressClass });
      if (typeof router === "string") throw new UsageError(router);
      for (const w of router.warnings) cliWarn(w);
      const r = router.route(parsed);
      process.stdout.write(
        o.output === "json"
          ? `${JSON.stringify(r.decision)}\n`
          : renderRoute(`${parsed.request.method} ${url}`, r, router.controller),
      );
    });
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
  const router = ingressRouter(state, { ingressClass: o.ingressClass });
  if (typeof router === "string") throw new UsageError(router);
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
