// `podnet reach`: who may talk to whom under the cluster's NetworkPolicies,
// per workload pair, and `--diff` between two sets of manifests.
import type { Command } from "commander";
import { FAULT_OPTION, loadFromFlags } from "./cluster-opts.js";
import {
  computeReach as computeReachUnbounded,
  diffReach,
  OWNER_NAMINGS,
  ReachTooLargeError,
  renderDiff,
  renderReachChunks,
} from "../questions/reach.js";
import { parseSelector } from "../manifest/selector.js";
import { UsageError } from "./errors.js";

const collect = (v: string, prev: string[]) => [...prev, v];
const FORMATS = ["txt", "json", "csv", "md", "dot"] as const;

/** computeReach, with an answer too large to hold turned into the user's error (exit 1). */
function computeReach(...args: Parameters<typeof computeReachUnbounded>): ReturnType<typeof computeReachUnbounded> {
  try {
    return computeReachUnbounded(...args);
  } catch (e) {
    if (e instanceof ReachTooLargeError) throw new UsageError(`reach: ${e.message}`);
    throw e;
  }
}

/**
 * Writes the pieces to stdout about a megabyte at a time, waiting while the pipe is full: an
 * answer of millions of lines is never one string (past V8's longest) nor all in memory twice.
 */
async function writeChunks(chunks: Iterable<string>): Promise<void> {
  const write = (s: string) =>
    new Promise<void>((resolve) => (process.stdout.write(s) ? resolve() : process.stdout.once("drain", resolve)));
  let buf: string[] = [];
  let size = 0;
  for (const c of chunks) {
    buf.push(c);
    size += c.length;
    if (size < 1 << 20) continue;
    await write(buf.join(""));
    buf = [];
    size = 0;
  }
  if (buf.length) await write(buf.join(""));
}

export function register(program: Command): void {
  program
    .command("reach")
    .description(
      "allowed connections between every pair of workloads (NetworkPolicy), or --diff between two manifest sets",
    )
    .option("-f, --filename <path>", "manifests (file, directory, or - for stdin); repeatable", collect, [])
    .option("--f2 <path>", "with --diff: the new manifests; repeatable", collect, [])
    .option(...FAULT_OPTION)
    .option("--config <file>", "cluster config (kind: Cluster)")
    .option("--seed <seed>", "seed for names and allocations")
    .option("-n, --namespace <ns>", "only pairs with a workload in this namespace")
    .option("--from <selector>", "only sources whose pods match this label selector")
    .option("--to <selector>", "only destinations whose pods match this label selector")
    .option("-o, --output <format>", "txt|json|csv|md|dot", "txt")
    .option(
      "--owner <naming>",
      "how pods read from a live cluster are named: controller (their controlling owner, as netpol-analyzer: ns/web-7d77fb55cc[ReplicaSet], ns/agent[DaemonSet]; ns/pod[Pod] without one) or deployment (a ReplicaSet's pods as its Deployment: ns/web[Deployment]; a Job's as its CronJob: ns/backup[CronJob])",
      "controller",
    )
    .option("--include-system", "also list the workloads podnet adds itself (CoreDNS, kube-proxy, the CNI agent)")
    .option("--explain", "show the policies and rules that allowed or denied each pair")
    .option("--diff", "compare -f (old) with --f2 (new)")
    .addHelpText(
      "after",
      `
Workloads: pods made from manifests are named by their workload (default/web[Deployment]);
pods read from a live cluster (kubectl get -o yaml) by their controlling owner, or as
themselves (ns/pod[Pod]) without one or when their owner is a Node (--owner).
The world outside is one peer per connection set: its ranges comma-joined in address order,
the cluster's pod range left out (0.0.0.0-10.243.255.255,10.245.0.0-255.255.255.255[External]).`,
    )
    .action(async (o) => {
      if (!FORMATS.includes(o.output))
        throw new UsageError(`--output must be one of ${FORMATS.join("|")}: "${o.output}"`);
      if (!OWNER_NAMINGS.includes(o.owner))
        throw new UsageError(`--owner must be one of ${OWNER_NAMINGS.join("|")}: "${o.owner}"`);
      const sel = (s: string | undefined, flag: string) => {
        if (!s) return undefined;
        try {
          return parseSelector(s);
        } catch (e) {
          throw new UsageError(`${flag}: ${(e as Error).message}`);
        }
      };
      const opts = {
        namespace: o.namespace,
        from: sel(o.from, "--from"),
        to: sel(o.to, "--to"),
        explain: !!o.explain,
        includeDenied: !!o.explain,
        owner: o.owner as (typeof OWNER_NAMINGS)[number],
        includeSystem: !!o.includeSystem,
      };
      if (o.diff) {
        if (o.f2.length === 0) throw new UsageError("--diff needs the new manifests as --f2 PATH");
        const before = await loadFromFlags({ filename: o.filename, config: o.config, seed: o.seed, fault: o.fault });
        const after = await loadFromFlags({ filename: o.f2, config: o.config, seed: o.seed, fault: o.fault });
        const d = diffReach(
          computeReach(before.state, { ...opts, explain: false, includeDenied: false }).lines,
          computeReach(after.state, { ...opts, explain: false, includeDenied: false }).lines,
        );
        process.stdout.write(o.output === "json" ? JSON.stringify(d, null, 2) + "\n" : renderDiff(d));
        return;
      }
      const { state } = await loadFromFlags(o);
      const r = computeReach(state, opts);
      await writeChunks(renderReachChunks(r.lines, o.output));
    });
}
