// `podnet describe pod|svc|node NAME`: kubectl describe's layout over the model.
// Like kubectl, a NAME that matches no object exactly describes every object whose
// name starts with it.
import type { Command } from "commander";
import type { ClusterState } from "../control/state.js";
import type { ViewOptions } from "../views/common.js";
import { describeNode, describePod, describeService } from "../views/describe.js";
import type { CommandOutput } from "../views/get.js";
import { addClusterOptions, emit, hostViewOptions, loadFromFlags } from "./cluster-opts.js";
import { UsageError } from "./errors.js";

const KINDS: Record<string, "pod" | "service" | "node"> = {
  pod: "pod",
  pods: "pod",
  po: "pod",
  service: "service",
  services: "service",
  svc: "service",
  node: "node",
  nodes: "node",
  no: "node",
};
const PLURAL = { pod: "pods", service: "services", node: "nodes" } as const;

export function runDescribe(
  state: ClusterState,
  kindArg: string,
  names: string[],
  namespace: string,
  opts: ViewOptions = {},
): CommandOutput {
  let kind = KINDS[kindArg.toLowerCase()];
  if (kindArg.includes("/") && names.length === 0) {
    const [k, n] = [kindArg.slice(0, kindArg.indexOf("/")), kindArg.slice(kindArg.indexOf("/") + 1)];
    kind = KINDS[k.toLowerCase()];
    names = [n];
  }
  if (!kind) throw new UsageError(`describe supports pod, service and node: "${kindArg}"`);
  const all =
    kind === "pod"
      ? state.pods.filter((p) => p.namespace === namespace)
      : kind === "service"
        ? state.services.filter((s) => s.namespace === namespace)
        : state.nodes;
  const chosen: { name: string }[] = [];
  let stderr = "";
  if (names.length === 0) chosen.push(...all);
  for (const n of names) {
    const exact = all.filter((x) => x.name === n);
    const hits = exact.length ? exact : all.filter((x) => x.name.startsWith(n));
    if (hits.length === 0) stderr += `Error from server (NotFound): ${PLURAL[kind]} "${n}" not found\n`;
    chosen.push(...hits);
  }
  const texts = chosen.map((x) =>
    kind === "pod"
      ? describePod(state, x as never, opts)
      : kind === "service"
        ? describeService(state, x as never, opts)
        : describeNode(state, x as never, opts),
  );
  if (names.length === 0 && texts.length === 0) {
    return {
      stdout: "",
      stderr: kind === "node" ? "No resources found\n" : `No resources found in ${namespace} namespace.\n`,
      exitCode: 0,
    };
  }
  // kubectl separates described objects with a blank line.
  return { stdout: texts.join("\n\n"), stderr, exitCode: stderr ? 1 : 0 };
}

export function register(program: Command): void {
  addClusterOptions(
    program
      .command("describe")
      .description("show one object in detail like kubectl describe: pod|svc|node NAME")
      .argument("<kind>", "pod, svc or node (or KIND/NAME)")
      .argument("[names...]", "names or name prefixes")
      .option("-n, --namespace <ns>", "namespace", "default"),
  ).action(async (kind: string, names: string[], o) => {
    const { state } = await loadFromFlags(o);
    emit(runDescribe(state, kind, names, o.namespace, hostViewOptions()));
  });
}
