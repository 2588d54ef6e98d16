// What a pod sees and what happened: `podnet resolvconf|hosts|env|events` on the model.
import type { Command } from "commander";
import type { ClusterState } from "../control/state.js";
import { containerEnv, formatEnv } from "../views/env.js";
import { eventsView } from "../views/events.js";
import { podHostsView } from "../views/hosts.js";
import { addClusterOptions, emit, loadFromFlags } from "./cluster-opts.js";
import { UsageError } from "./errors.js";
import { findPod } from "./resolve-target.js";

/** Exactly the file kubelet writes to the pod's /etc/resolv.conf. */
export function resolvConfText(state: ClusterState, ref: string, namespace?: string): string {
  return findPod(state, ref, namespace).resolvConf;
}

/** Exactly the file kubelet writes to the pod's /etc/hosts. */
export function hostsText(state: ClusterState, ref: string, namespace?: string): string {
  const v = podHostsView(state, findPod(state, ref, namespace));
  if ("error" in v) throw new UsageError(v.error);
  return v.text;
}

export function envText(state: ClusterState, ref: string, namespace?: string, container?: string): string {
  const pod = findPod(state, ref, namespace);
  try {
    return formatEnv(containerEnv(pod, container));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function register(program: Command): void {
  addClusterOptions(
    program
      .command("resolvconf")
      .description("print a pod's /etc/resolv.conf as kubelet writes it")
      .argument("<pod>", "[namespace/]name, a workload's name (its first pod) or a unique prefix")
      .option("-n, --namespace <ns>", "namespace"),
  ).action(async (pod: string, o) => {
    const { state } = await loadFromFlags(o);
    process.stdout.write(resolvConfText(state, pod, o.namespace));
  });

  addClusterOptions(
    program
      .command("hosts")
      .description("print a pod's /etc/hosts as kubelet writes it (hostname, FQDN with a subdomain, hostAliases)")
      .argument("<pod>", "[namespace/]name, a workload's name (its first pod) or a unique prefix")
      .option("-n, --namespace <ns>", "namespace"),
  ).action(async (pod: string, o) => {
    const { state } = await loadFromFlags(o);
    process.stdout.write(hostsText(state, pod, o.namespace));
  });

  addClusterOptions(
    program
      .command("env")
      .description("print a container's environment as kubelet sets it (its own variables, then the Service variables)")
      .argument("<pod>", "[namespace/]name, a workload's name (its first pod) or a unique prefix")
      .option("-n, --namespace <ns>", "namespace")
      .option("-c, --container <name>", "container (default: the first)"),
  ).action(async (pod: string, o) => {
    const { state } = await loadFromFlags(o);
    process.stdout.write(envText(state, pod, o.namespace, o.container));
  });

  addClusterOptions(
    program
      .command("events")
      .description("list events like kubectl get events")
      .option("-n, --namespace <ns>", "namespace", "default")
      .option("-A, --all-namespaces", "all namespaces"),
  ).action(async (o) => {
    const { state } = await loadFromFlags(o);
    emit(eventsView(state, { namespace: o.namespace, allNamespaces: !!o.allNamespaces }));
  });
}
