// `podnet verify`: run flows on the running cluster's real network and compare each
// outcome with the model's trace (see src/questions/verify.ts for the outcome vocabulary).
//
// JSON output (-o json): the VerifyReport of src/questions/verify.ts —
//   { cluster, flowSets, flows, agree, disagree, ms,
//     byKind: { pod|service|nodeport|external|dns: { flows, agree, disagree } },
//     skipped: [{ what, why }],
//     results: [{ id, kind, from, to, protocol?, dst?, port?, name?,
//                 model:  { outcomes[], paths?: [{ probability, verdict, reason?, detail, ns?, container?, choices[], object?, outcome }],
//                           walk?: [{ name, rcode, answers[] }], dnsStep?: [] },
//                 kernel: { outcomes[], counts: { outcome: n }, tries, errors? },
//                 agree, note? }] }
// Outcomes: "delivered NS/POD" | "delivered" (a DNS server; it does not name its pod) |
// "refused" | "unreachable" | "dropped" | DNS: "answer A,B" | "notfound" | "servfail".
// Exit status 1 when any flow disagrees.
import type { Command } from "commander";
import { UsageError } from "./errors.js";
import { runningCluster } from "./running.js";
import { FLOW_SETS, formatVerify, verify, type FlowSet } from "../questions/verify.js";

export function parseFlowSets(v: string): FlowSet[] {
  if (v === "all") return FLOW_SETS;
  const out: FlowSet[] = [];
  for (const w of v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!(FLOW_SETS as string[]).includes(w))
      throw new UsageError(`--flows: "${w}" is not one of all, ${FLOW_SETS.join(", ")}`);
    out.push(w as FlowSet);
  }
  if (!out.length) throw new UsageError(`--flows: empty`);
  return out;
}

export function register(program: Command): void {
  program
    .command("verify")
    .description("run flows on the running cluster (podnet up) and compare each outcome with the model's trace (root)")
    .option("--name <name>", "cluster name")
    .option(
      "--flows <set>",
      "all | pods | services | dns | http (comma-separated; services include NodePorts and LoadBalancer IPs from outside; http: every Ingress rule and HTTPRoute match through the ingress controller or Gateway)",
      "all",
    )
    .option("-o, --output <format>", "text|json", "text")
    .action(async (o) => {
      if (o.output !== "text" && o.output !== "json") throw new UsageError(`-o: "${o.output}" is not text or json`);
      const flows = parseFlowSets(o.flows);
      const name = runningCluster(o.name, "podnet verify runs flows");
      let rep: Awaited<ReturnType<typeof verify>>;
      try {
        rep = await verify({
          cluster: name,
          flows,
          log: o.output === "text" ? (s) => process.stderr.write(`podnet verify: ${s}\n`) : undefined,
        });
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      process.stdout.write(o.output === "json" ? JSON.stringify(rep, null, 2) + "\n" : formatVerify(rep));
      // A listener down is not the model's fault, but the cluster does not answer as it should.
      if (rep.disagree > 0 || rep.listenerDown > 0) process.exitCode = 1;
    });
}
