// Changes: `podnet apply|delete|scale`, on the model (kubectl's message, the events and
// the differences: pods with IPs, endpoints) or, with --name, on a running cluster whose
// kernel follows (linux/live.ts).
import type { Command } from "commander";
import type { ClusterState } from "../control/state.js";
import type { KubeObject } from "../manifest/types.js";
import { runChange, type Change, type ChangeOutcome } from "../control/changes.js";
import type { LiveChangeResult } from "../linux/live.js";
import { diffIsEmpty } from "../control/diff.js";
import { computeReach, diffReach, renderDiff, type ReachDiffLine } from "../questions/reach.js";
import { formatChangeEvents, formatDiff } from "../views/diff.js";
import { findResource } from "../views/get.js";
import { cliWarn, collect, FAULT_OPTION, loadFromFlags } from "./cluster-opts.js";
import { loadSpecFromArgs } from "../load/input.js";
import { UsageError } from "./errors.js";
import { findPod } from "./resolve-target.js";

/** "pod", "po/x" → the Kind and (optionally) the name. */
function kindOf(arg: string): { kind: string; name?: string; nameRef: string } {
  const slash = arg.indexOf("/");
  const type = slash > 0 ? arg.slice(0, slash) : arg;
  const res = findResource(type);
  if (!res) throw new UsageError(`the server doesn't have a resource type "${type}"`);
  return { kind: res.kind, name: slash > 0 ? arg.slice(slash + 1) : undefined, nameRef: res.nameRef };
}

function nameRefOfKind(kind: string): string {
  return findResource(kind)?.nameRef ?? kind.toLowerCase();
}

/** kubectl apply's per-object verb: created, configured or unchanged. */
export function applyVerbs(state: ClusterState, objects: KubeObject[]): string[] {
  const existing = state.objects ?? [];
  const strip = (o: KubeObject) => {
    const { source: _s, ...rest } = o;
    void _s;
    return JSON.stringify(rest);
  };
  return objects.map((o) => {
    const ns = o.metadata.namespace ?? "default";
    const prev = existing.find(
      (e) => e.kind === o.kind && e.metadata.name === o.metadata.name && (e.metadata.namespace ?? "default") === ns,
    );
    const verb = !prev ? "created" : strip(prev) === strip(o) ? "unchanged" : "configured";
    return `${nameRefOfKind(o.kind)}/${o.metadata.name} ${verb}`;
  });
}

/**
 * When the change touches NetworkPolicies (or Cilium's, or Calico's), who may talk to whom before and after it
 * (`podnet reach`'s workload pairs): the connections added, removed or changed. null when
 * no policy changed (nothing to say beyond the state's differences).
 */
export function policyReachDiff(before: ClusterState, after: ClusterState): ReachDiffLine[] | null {
  const key = (s: ClusterState) =>
    JSON.stringify([
      s.networkPolicies.map((n) => [n.namespace, n.name, n.spec]).sort(),
      (s.ciliumPolicies ?? []).map((n) => [n.kind, n.namespace ?? "", n.name, n.rules]).sort(),
      s.calico ?? null,
      s.adminPolicies ?? null,
    ]);
  if (key(before) === key(after)) return null;
  return diffReach(computeReach(before).lines, computeReach(after).lines);
}

export function formatOutcome(out: ChangeOutcome, message: string[], reach: ReachDiffLine[] | null = null): string {
  let s = message.map((m) => m + "\n").join("");
  const ev = formatChangeEvents(out.state, out.events);
  if (ev) s += `\nEvents:\n${ev}`;
  let body = diffIsEmpty(out.diff) ? "" : formatDiff(out.diff);
  if (reach) {
    // A policy moves no pod and no endpoint: what changes is who may connect.
    body += "Connections (NetworkPolicy, by workload as podnet reach shows them):\n";
    body += reach.length
      ? renderDiff(reach)
          .split("\n")
          .filter(Boolean)
          .map((l) => `  ${l}\n`)
          .join("")
      : "  none added or removed\n";
  }
  s += `\nChanges:\n${body || "No changes.\n"}`;
  return s;
}

interface ChangeFlags {
  /** A running cluster (podnet up) to change instead of the model. */
  name?: string;
  base?: string[];
  filename?: string[];
  config?: string;
  seed?: string;
  output?: string;
  fault?: string[];
}

function exists(state: ClusterState, kind: string, namespace: string, name: string): boolean {
  const res = findResource(kind);
  return !!res?.items(state).some((i) => i.name === name && (!res.namespaced || i.namespace === namespace));
}

/** kubectl's NotFound: the resource's plural with its API group ("deployments.apps"). */
function notFound(kind: string, name: string): { notFound: string } {
  const res = findResource(kind);
  const group = res?.nameRef.includes(".") ? res.nameRef.slice(res.nameRef.indexOf(".")) : "";
  return {
    notFound: `Error from server (NotFound): ${res?.plural ?? kind.toLowerCase()}${group} "${name}" not found\n`,
  };
}

async function change(
  o: ChangeFlags,
  make: (state: ClusterState) => { change: Change; message: string[] } | { notFound: string },
): Promise<void> {
  if (o.name !== undefined) return changeRunning(o, make);
  const { state } = await loadFromFlags({ filename: o.base ?? [], config: o.config, seed: o.seed, fault: o.fault });
  const made = make(state);
  if ("notFound" in made) {
    process.stderr.write(made.notFound);
    process.exitCode = 1;
    return;
  }
  const { change: c, message } = made;
  const out = runChange(state, c);
  const reach = policyReachDiff(state, out.state);
  if (o.output === "json")
    process.stdout.write(
      JSON.stringify({ message, events: out.events, diff: out.diff, ...(reach ? { reach } : {}) }, null, 2) + "\n",
    );
  else process.stdout.write(formatOutcome(out, message, reach));
}

/**
 * --name NAME: the change goes to the running cluster NAME (podnet up) and its kernel
 * follows. Only an explicit --name selects a running cluster (a cluster that happens to
 * be up never silently turns a model command into a kernel change); without it the
 * commands work on the model as before.
 */
async function changeRunning(
  o: ChangeFlags,
  make: (state: ClusterState) => { change: Change; message: string[] } | { notFound: string },
): Promise<void> {
  if (o.base?.length || o.config || o.seed)
    throw new UsageError(
      "--name changes the running cluster: its manifests, config and seed are those of podnet up (drop -f/--base/--config/--seed)",
    );
  if (process.platform !== "linux" || (typeof process.getuid === "function" && process.getuid() !== 0))
    throw new UsageError("changing a running cluster (--name) needs root on Linux: run it with sudo");
  const { applyLiveChange, ChangeFailed, RefusedChange } = await import("../linux/live.js");
  const { validateClusterName } = await import("../linux/names.js");
  let name: string;
  try {
    name = validateClusterName(o.name!);
  } catch (e) {
    throw new UsageError(`--name: ${(e as Error).message}`);
  }
  let made: ReturnType<typeof make> | undefined;
  let before: ClusterState | undefined;
  let res: Awaited<ReturnType<typeof applyLiveChange>>;
  try {
    res = await applyLiveChange(
      name,
      (state) => {
        before = state;
        made = make(state);
        return "notFound" in made ? null : made.change;
      },
      (s) => process.stderr.write(`podnet: ${s}\n`),
    );
  } catch (e) {
    // ChangeFailed: the kernel refused a step; the message says what was rolled back.
    if (e instanceof RefusedChange || e instanceof ChangeFailed) throw new UsageError(e.message);
    throw e;
  }
  if (!res || !made || "notFound" in made) {
    if (made && "notFound" in made) process.stderr.write(made.notFound);
    process.exitCode = 1;
    return;
  }
  const r = res.report;
  const reach = before ? policyReachDiff(before, res.state) : null;
  if (o.output === "json") {
    process.stdout.write(
      JSON.stringify(
        {
          message: made.message,
          events: res.events,
          diff: res.diff,
          ...(reach ? { reach } : {}),
          cluster: name,
          change: res.index,
          kernel: r,
        },
        null,
        2,
      ) + "\n",
    );
    return;
  }
  process.stdout.write(formatOutcome(res, made.message, reach) + formatKernel(name, res));
}

/** What the kernel did for a change to running cluster `name`. */
function formatKernel(name: string, res: LiveChangeResult): string {
  const r = res.report;
  let s = `\nKernel (cluster "${name}", change ${res.index}):\n`;
  s += `  pods removed: ${r.removed.length ? r.removed.join(", ") : "none"}\n`;
  s += `  pods added:   ${r.added.length ? r.added.join(", ") : "none"}\n`;
  s += `  rules reloaded on: ${r.reloaded.length ? r.reloaded.join(", ") : "no node (rules unchanged)"}\n`;
  if (r.bgp.length) s += `  BIRD reconfigured on: ${r.bgp.join(", ")}\n`;
  if (r.relistened.length) s += `  pod servers restarted on new listeners: ${r.relistened.join(", ")}\n`;
  if (r.ingress?.reloaded.length)
    s += `  ingress nginx reloaded: ${r.ingress.reloaded.join(", ")} (${r.ingress.reloadMs.join(", ")} ms)\n`;
  if (r.dns.reloaded.length || r.dns.late.length)
    s += `  DNS zones reloaded: ${r.dns.reloaded.length}${r.dns.late.length ? ` (not confirmed: ${r.dns.late.join(", ")})` : ""}\n`;
  return s;
}

/**
 * Where the cluster to change comes from. `delete` and `scale` take it with -f like every
 * other command (--base kept as an alias). `apply` is the one command whose -f is the
 * change itself, as in `kubectl apply -f new.yaml`; the cluster it changes is --base.
 */
function changeOptions(cmd: Command, clusterFlag: "-f" | "--base"): Command {
  const what = "the cluster to change: manifests (file, directory, -); repeatable (default: the embedded example)";
  if (clusterFlag === "-f")
    cmd
      .option("-f, --filename <path>", what, collect, [])
      .option("--base <path>", "the same as -f (the older spelling)", collect, []);
  else cmd.option("--base <path>", what, collect, []);
  return cmd
    .option("--config <file>", "cluster config (kind: Cluster)")
    .option("--seed <seed>", "seed for generated names and allocations")
    .option("-o, --output <format>", "text|json", "text")
    .option(...FAULT_OPTION)
    .option("--name <name>", "change the RUNNING cluster NAME (podnet up): the kernel follows (root)");
}

/** delete/scale: -f and --base both name the cluster's manifests. */
function clusterFiles(o: { filename?: string[]; base?: string[] }): string[] {
  return [...(o.filename ?? []), ...(o.base ?? [])];
}

export function register(program: Command): void {
  registerApply(program);
  registerDelete(program);
  registerScale(program);
}

function registerApply(program: Command): void {
  changeOptions(
    program
      .command("apply")
      .description(
        "apply manifests to the model cluster and show what changes: -f is what to apply (as in kubectl apply -f), --base the cluster",
      )
      .option("-f, --filename <path>", "manifests to apply; repeatable", collect, []),
    "--base",
  ).action(async (o) => {
    if (o.filename.length === 0) throw new UsageError("apply: give the manifests to apply with -f PATH");
    // Changing a running cluster is strict (nothing half-built); the model reads tolerantly.
    const spec = await loadSpecFromArgs({ files: o.filename, mode: o.name === undefined ? "tolerant" : "strict" });
    for (const w of spec.warnings) cliWarn(w.message);
    const objects = spec.objects;
    await change(o, (state) => ({ change: { op: "apply", objects }, message: applyVerbs(state, objects) }));
  });
}

function registerDelete(program: Command): void {
  changeOptions(
    program
      .command("delete")
      .description(
        "delete an object from the model cluster and show what changes (a controller's pod comes back with a new name and IP)",
      )
      .argument("<kind>", "pod, svc, deploy … or KIND/NAME")
      .argument("[name]", "name (pods: any reference of the pod lookup: name, ns/name, workload, unique prefix)")
      .option("-n, --namespace <ns>", "namespace"),
    "-f",
  ).action(async (kindArg: string, nameArg: string | undefined, o) => {
    o.base = clusterFiles(o);
    const k = kindOf(kindArg);
    const name = k.name ?? nameArg;
    if (!name) throw new UsageError(`delete ${kindArg}: a NAME is required`);
    await change(o, (state) => {
      let ns = (o.namespace as string | undefined) ?? "default";
      let n = name;
      if (k.kind === "Pod") {
        let p: ReturnType<typeof findPod>;
        try {
          p = findPod(state, name, o.namespace);
        } catch (e) {
          // kubectl's NotFound when nothing matches; an ambiguous name stays a usage error.
          if (/ not found/.test((e as Error).message)) return notFound(k.kind, name);
          throw e;
        }
        ns = p.namespace;
        n = p.name;
      } else if (!exists(state, k.kind, ns, n)) return notFound(k.kind, n);
      return {
        change: { op: "delete", kind: k.kind, namespace: ns, name: n },
        message: [`${k.kind === "Pod" ? "pod" : k.nameRef} "${n}" deleted`],
      };
    });
  });
}

function registerScale(program: Command): void {
  changeOptions(
    program
      .command("scale")
      .description("scale a Deployment, ReplicaSet or StatefulSet in the model and show what changes")
      .argument("<kind>", "deploy, rs, sts … or KIND/NAME")
      .argument("[name]", "name")
      .requiredOption("--replicas <n>", "the new number of replicas")
      .option("-n, --namespace <ns>", "namespace", "default"),
    "-f",
  ).action(async (kindArg: string, nameArg: string | undefined, o) => {
    o.base = clusterFiles(o);
    const k = kindOf(kindArg);
    const name = k.name ?? nameArg;
    if (!name) throw new UsageError(`scale ${kindArg}: a NAME is required`);
    const replicas = Number(o.replicas);
    if (!/^\d+$/.test(String(o.replicas)))
      throw new UsageError(`--replicas must be a non-negative integer: "${o.replicas}"`);
    await change(o, (state) =>
      exists(state, k.kind, o.namespace, name)
        ? {
            change: { op: "scale", kind: k.kind, namespace: o.namespace, name, replicas },
            message: [`${k.nameRef}/${name} scaled`],
          }
        : notFound(k.kind, name),
    );
  });
}
