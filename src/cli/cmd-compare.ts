// `podnet compare POD URL URL`: two ways from a pod to the same backend (e.g. the external
// domain through the Ingress controller vs the Service's cluster name), side by side: path,
// hops, nodes crossed, NAT steps, proxy traversals, DNS queries (src/questions/compare.ts).
import type { Command } from "commander";
import { quoteValue as quote } from "../manifest/diag.js";
import { compareWays, renderComparison } from "../questions/compare.js";
import { traceLegs } from "../questions/ingress-path.js";
import { modelSession, TraceInputError } from "../questions/trace.js";
import { addClusterOptions, loadFromFlags, type ClusterFlags } from "./cluster-opts.js";
import { UsageError } from "./errors.js";
import { findPod } from "./resolve-target.js";

interface CompareFlags extends ClusterFlags {
  namespace?: string;
  output: string;
}

const URL_RE = /^https?:\/\/[^/?#\s]+[^\s]*$/i;

export function register(program: Command): void {
  const cmd = program
    .command("compare")
    .description(
      "two ways from a pod to the same backend (e.g. the external domain via the Ingress vs the Service name): path, hops, nodes, NAT steps, proxies, DNS queries",
    )
    .argument("<pod>", "the client pod ([ns/]name, a workload's name, a unique prefix)")
    .argument("<url1>", "the first way: http://HOST[:PORT]/PATH or https://…")
    .argument("<url2>", "the second way")
    .option("-n, --namespace <ns>", "namespace of the pod")
    .option("-o, --output <format>", "text|json", "text");
  addClusterOptions(cmd);
  cmd.action(async (pod: string, url1: string, url2: string, o: CompareFlags) => {
    if (o.output !== "text" && o.output !== "json") throw new UsageError(`-o must be text or json: ${quote(o.output)}`);
    for (const [n, u] of [
      ["URL1", url1],
      ["URL2", url2],
    ])
      if (!URL_RE.test(u)) throw new UsageError(`${n} must be http://HOST[:PORT]/PATH or https://…: ${quote(u)}`);
    const { state } = await loadFromFlags(o);
    const p = findPod(state, pod, o.namespace);
    const from = `${p.namespace}/${p.name}`;
    const session = modelSession(state);
    let c: ReturnType<typeof compareWays>;
    try {
      c = compareWays(traceLegs(session, { from, to: url1 }), traceLegs(session, { from, to: url2 }), state);
    } catch (e) {
      if (e instanceof TraceInputError) throw new UsageError(e.message);
      throw e;
    }
    process.stdout.write(o.output === "json" ? `${JSON.stringify(c, null, 2)}\n` : renderComparison(c));
  });
}
