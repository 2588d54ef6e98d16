// `podnet fault add|list|clear`: named faults (src/manifest/faults.ts). On a running
// cluster (--name N) each is the real failure in its namespaces (src/linux/faults.ts);
// on the model they come from the cluster config's `faults:` (or --fault).
import type { Command } from "commander";
import { FAULT_KINDS, formatFault, isFaultKind } from "../manifest/faults.js";
import { addClusterOptions, type ClusterFlags, loadFromFlags } from "./cluster-opts.js";
import { UsageError } from "./errors.js";

const MODEL_HINT =
  "a fault on the model goes in the cluster config's `faults:` list (--config FILE) or on the command line (--fault 'NAME ARG…'); " +
  "a running cluster takes it with --name NAME";

function kindsHelp(): string {
  const w = Math.max(...Object.keys(FAULT_KINDS).map((k) => k.length + 1));
  const rows = Object.entries(FAULT_KINDS).map(([k, v]) => {
    const usage = [k, ...v.args.map((a) => a.toUpperCase())].join(" ");
    return `  ${usage.padEnd(w + 10)} ${v.desc}`;
  });
  return `\nFaults (POD is NAMESPACE/NAME or NAME in default; PEER is a node):\n${rows.join("\n")}\n`;
}

export function register(program: Command): void {
  const fault = program
    .command("fault")
    .description("break a cluster on purpose: add, list and clear named faults (running cluster: --name, root)");
  fault
    .command("add")
    .description("add a fault to the RUNNING cluster --name N, for real (root)")
    .argument("<fault...>", "the fault's name and arguments, e.g. veth-down default/web-0")
    .option("--name <name>", "the running cluster (podnet up)")
    .option("-o, --output <format>", "text|json", "text")
    .addHelpText("after", kindsHelp())
    .action(addAction);
  addClusterOptions(
    fault
      .command("list")
      .description("the active faults: of the running cluster --name N, else of the model's config (-f/--config)")
      .option("--name <name>", "the running cluster (podnet up)")
      .option("-o, --output <format>", "text|json", "text"),
  ).action(listAction);
  fault
    .command("clear")
    .description("clear a fault of the RUNNING cluster --name N (all without ID): what it changed is put back (root)")
    .argument("[id...]", "the fault's ID (fault list) or its text")
    .option("--name <name>", "the running cluster (podnet up)")
    .option("-o, --output <format>", "text|json", "text")
    .action(clearAction);
}

interface Flags {
  name?: string;
  output?: string;
}

function output(o: Flags): "text" | "json" {
  if (o.output !== "text" && o.output !== "json") throw new UsageError(`-o must be text or json: "${o.output}"`);
  return o.output;
}

/** The running cluster's name, checked; root on Linux. */
async function runningName(o: Flags, verb: string): Promise<string> {
  if (o.name === undefined)
    throw new UsageError(`fault ${verb} changes a running cluster (--name NAME); ${MODEL_HINT}`);
  if (process.platform !== "linux" || (typeof process.getuid === "function" && process.getuid() !== 0))
    throw new UsageError(`fault ${verb} --name changes a running cluster's kernel: it needs root on Linux (sudo)`);
  const { validateClusterName } = await import("../linux/names.js");
  try {
    return validateClusterName(o.name);
  } catch (e) {
    throw new UsageError(`--name: ${(e as Error).message}`);
  }
}

/** Refusals and kernel failures are the user's to read: no stack. */
async function userErrors<T>(f: () => Promise<T>): Promise<T> {
  const { RefusedChange } = await import("../linux/live.js");
  const { FaultFailed } = await import("../linux/faults.js");
  try {
    return await f();
  } catch (e) {
    if (e instanceof RefusedChange || e instanceof FaultFailed) throw new UsageError(e.message);
    throw e;
  }
}

const log = (s: string) => process.stderr.write(`podnet fault: ${s}\n`);

/**
 * The fault's pods and nodes as the running cluster names them: a pod by `pod` (the one pod
 * lookup `podnet exec` uses: name, NAMESPACE/NAME, a workload's name, a unique prefix;
 * ambiguity lists the candidates), a node by its name or a unique prefix of it. Words that
 * are not a fault are left for addFault's own message.
 */
export function resolveFaultWords(words: string[], pod: (ref: string) => string, nodes: string[]): string[] {
  const [kind, ...args] = words;
  if (!kind || !isFaultKind(kind) || args.length !== FAULT_KINDS[kind].args.length) return words;
  const resolved = FAULT_KINDS[kind].args.map((a, i) => {
    const v = args[i];
    if (a === "pod") return pod(v);
    if (nodes.includes(v) || !nodes.length) return v;
    const pre = nodes.filter((n) => n.startsWith(v));
    if (pre.length === 1) return pre[0];
    throw new UsageError(
      pre.length
        ? `node "${v}" is ambiguous: it matches ${pre.join(", ")}`
        : `node "${v}" not found (nodes: ${nodes.join(", ")})`,
    );
  });
  return [kind, ...resolved];
}

async function resolveFaultArgs(cluster: string, words: string[]): Promise<string[]> {
  const { readRecord } = await import("../linux/state.js");
  const { recordedPod } = await import("./cmd-real.js");
  const nodes = readRecord(cluster)?.nodes?.map((n) => n.name) ?? [];
  return resolveFaultWords(
    words,
    (ref) => {
      const p = recordedPod(cluster, ref, undefined);
      return `${p.namespace}/${p.name}`;
    },
    nodes,
  );
}

async function addAction(words: string[], o: Flags): Promise<void> {
  const fmt = output(o);
  const name = await runningName(o, "add");
  const { addFault } = await import("../linux/faults.js");
  const resolved = await resolveFaultArgs(name, words);
  const f = await userErrors(() => addFault(name, resolved, { log }));
  if (fmt === "json") process.stdout.write(JSON.stringify(entryJson(f), null, 2) + "\n");
  else process.stdout.write(`fault ${f.id} added to cluster "${name}": ${f.fault}\n`);
}

async function clearAction(ids: string[], o: Flags): Promise<void> {
  const fmt = output(o);
  const name = await runningName(o, "clear");
  const { clearFaults } = await import("../linux/faults.js");
  const done = await userErrors(() => clearFaults(name, ids.length ? ids.join(" ") : undefined, { log }));
  if (fmt === "json") process.stdout.write(JSON.stringify(done.map(entryJson), null, 2) + "\n");
  else if (done.length === 0) process.stdout.write(`cluster "${name}" has no active fault\n`);
  else for (const f of done) process.stdout.write(`fault ${f.id} cleared: ${f.fault}\n`);
}

interface Row {
  id: string;
  fault: string;
  since: string;
}

const entryJson = (f: { id: number; fault: string; since: string }) => ({ id: f.id, fault: f.fault, since: f.since });

async function listAction(o: Flags & ClusterFlags): Promise<void> {
  const fmt = output(o);
  let rows: Row[];
  if (o.name !== undefined) {
    if (o.filename?.length || o.config || o.seed)
      throw new UsageError("--name lists the running cluster's faults: drop -f/--config/--seed");
    const { validateClusterName } = await import("../linux/names.js");
    const { readRecord } = await import("../linux/state.js");
    const { listFaults } = await import("../linux/faults.js");
    let name: string;
    try {
      name = validateClusterName(o.name);
    } catch (e) {
      throw new UsageError(`--name: ${(e as Error).message}`);
    }
    const rec = readRecord(name);
    if (!rec) throw new UsageError(`cluster "${name}" is not up (podnet up --name ${name}; podnet status)`);
    const live = listFaults(name).map((f) => ({ id: String(f.id), fault: f.fault, since: f.since }));
    // Those of the config it was brought up with: there from the start, not cleared by `fault clear`.
    let fromConfig: Row[] = [];
    if (!rec.inputs.fixture) {
      const { recordedState } = await import("../linux/live-state.js");
      const state = await recordedState(rec);
      fromConfig = state.config.faults
        .map(formatFault)
        .filter((t) => !live.some((l) => l.fault === t))
        .map((t) => ({ id: "-", fault: t, since: "up (config)" }));
    }
    rows = [...fromConfig, ...live];
  } else {
    // The model: the config's faults, numbered in order; they hold from the start.
    const { state } = await loadFromFlags(o);
    rows = (state.config.faults ?? []).map((f, i) => ({ id: String(i + 1), fault: formatFault(f), since: "config" }));
  }
  if (fmt === "json") {
    process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
    return;
  }
  if (rows.length === 0) {
    process.stdout.write("No faults.\n");
    return;
  }
  const table = [["ID", "FAULT", "SINCE"], ...rows.map((r) => [r.id, r.fault, r.since])];
  const w = [0, 1].map((i) => Math.max(...table.map((r) => r[i].length)));
  for (const r of table) process.stdout.write(`${r[0].padEnd(w[0] + 3)}${r[1].padEnd(w[1] + 3)}${r[2]}\n`);
}
