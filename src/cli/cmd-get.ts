// `podnet get`: kubectl get over the model's ClusterState.
import type { Command } from "commander";
import { clusterView } from "../views/cluster.js";
import {
  findResource,
  getObjectsView,
  getView,
  RESOURCES,
  type CommandOutput,
  type GetOptions,
  type Resource,
} from "../views/get.js";
import { addClusterOptions, emit, hostViewOptions, loadFromFlags } from "./cluster-opts.js";
import { UsageError } from "./errors.js";
import { SelectorError, parseSelector } from "../manifest/selector.js";

const OUTPUTS = ["", "wide", "yaml", "json", "name"];
/** `podnet get cluster`: the cluster settings and where each came from. */
const CLUSTER_WORDS = new Set(["cluster", "clusters"]);

/**
 * `all`: the resources in the API's "all" category, in the order kubectl lists them (discovery
 * order: core, apps, autoscaling, then batch). Upstream, each such resource's storage says so
 * (kubernetes/kubernetes pkg/registry/core/pod/storage/storage.go `Categories()` returns
 * ["all"], and likewise for replicationcontrollers, services, daemonsets, deployments,
 * replicasets, statefulsets, horizontalpodautoscalers, cronjobs, jobs), and kubectl expands a
 * category through discovery (k8s.io/cli-runtime
 * pkg/resource CategoryExpander). Within a group, discovery lists resources sorted by name
 * (k8s.io/apiserver pkg/endpoints/installer.go): cronjobs before jobs.
 */
const ALL = [
  "pods",
  "replicationcontrollers",
  "services",
  "daemonsets",
  "deployments",
  "replicasets",
  "statefulsets",
  "horizontalpodautoscalers",
  "cronjobs",
  "jobs",
];

/** Split kubectl's argument forms: `pods`, `pods a b`, `po,svc`, `pod/a svc/b`, `all`. */
export function parseGetArgs(args: string[]): { resource: string; names: string[] }[] {
  if (args.length === 0)
    throw new UsageError(
      `you must specify the type of resource to get: ${[...new Set(RESOURCES.map((r) => r.plural))].join(", ")}`,
    );
  if (args.every((a) => a.includes("/"))) {
    const out: { resource: string; names: string[] }[] = [];
    for (const a of args) {
      const [r, n] = [a.slice(0, a.indexOf("/")), a.slice(a.indexOf("/") + 1)];
      const prev = out.find((x) => x.resource === r);
      if (prev) prev.names.push(n);
      else out.push({ resource: r, names: [n] });
    }
    return out;
  }
  if (args.slice(1).some((a) => a.includes("/")))
    throw new UsageError(
      "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form",
    );
  const types = args[0]
    .split(",")
    .filter(Boolean)
    .flatMap((t) => (t === "all" ? ALL : [t]));
  if (types.length > 1 && args.length > 1)
    throw new UsageError("names cannot be given with more than one resource type; use TYPE/NAME");
  return types.map((t) => ({ resource: t, names: args.slice(1) }));
}

export function runGet(state: Parameters<typeof getView>[0], args: string[], o: GetOptions): CommandOutput {
  const parts = parseGetArgs(args);
  if (o.selector)
    try {
      parseSelector(o.selector);
    } catch (e) {
      if (e instanceof SelectorError) return { stdout: "", stderr: `error: ${e.message}\n`, exitCode: 1 };
      throw e;
    }
  const found: { res: Resource; names: string[] }[] = [];
  for (const p of parts) {
    const res = findResource(p.resource, state.config.networking.cni);
    if (!res)
      return { stdout: "", stderr: `error: the server doesn't have a resource type "${p.resource}"\n`, exitCode: 1 };
    found.push({ res, names: p.names });
  }
  // -o json|yaml: one List over every type (kubectl's printGeneric).
  if (o.output === "json" || o.output === "yaml") return getObjectsView(state, found, o);
  const outs = found.map((p) => getView(state, p.res, { ...o, names: p.names, prefixNames: parts.length > 1 }));
  const shown = outs.filter((x) => x.stdout);
  const table = !o.output || o.output === "wide";
  return {
    stdout: shown.map((x) => x.stdout).join(table ? "\n" : ""),
    // kubectl says "No resources found" once, when nothing at all was printed.
    stderr: [...new Set(outs.map((x) => (shown.length && !x.exitCode ? "" : x.stderr)))].join(""),
    exitCode: Math.max(0, ...outs.map((x) => x.exitCode)),
  };
}

export function register(program: Command): void {
  addClusterOptions(
    program
      .command("get")
      .description(
        "list objects like kubectl get (po, svc, ep, endpointslices, no, netpol, cnp, ccnp, networkpolicies.projectcalico.org, gnp, netsets, globalnetworksets, tiers, anp, banp, ing, ns, deploy, rs, sts, ds, rc, hpa, cj, job, all)",
      )
      .argument("<resource...>", "TYPE [NAME...], TYPE1,TYPE2, or TYPE/NAME...")
      .option("-n, --namespace <ns>", "namespace", "default")
      .option("-A, --all-namespaces", "list across all namespaces")
      .option("-o, --output <format>", "wide|yaml|json|name", "")
      .option("--show-labels", "add a LABELS column")
      .option(
        "-L, --label-columns <keys>",
        "a column per label key (comma-separated, or the flag again)",
        (v: string, prev: string[] = []) => [...prev, ...v.split(",").filter(Boolean)],
      )
      .option("-l, --selector <selector>", "label selector (a=b,c!=d,e in (x,y))"),
  ).action(async (args: string[], o) => {
    if (!OUTPUTS.includes(o.output))
      throw new UsageError(
        `unable to match a printer suitable for the output format "${o.output}", allowed formats are: json,name,wide,yaml`,
      );
    const { spec, state } = await loadFromFlags(o);
    if (args.length === 1 && CLUSTER_WORDS.has(args[0])) {
      // Not a Kubernetes resource: the settings podnet read or was given (views/cluster.ts).
      emit(clusterView(state.config, spec.inferred, o.output));
      return;
    }
    let out: CommandOutput;
    try {
      out = runGet(state, args, {
        ...hostViewOptions(),
        namespace: o.namespace,
        allNamespaces: !!o.allNamespaces,
        output: o.output,
        showLabels: !!o.showLabels,
        labelColumns: o.labelColumns,
        selector: o.selector,
      });
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError((e as Error).message);
    }
    emit(out);
  });
}
