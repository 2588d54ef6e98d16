// hostNetwork pods on a running cluster. They live in their node's network namespace, but
// kubelet still gives them their own /etc/resolv.conf (the one their dnsPolicy gives:
// ClusterFirstWithHostNet → the cluster DNS; kubernetes/kubernetes
// pkg/kubelet/network/dns/dns.go) and /etc/hosts (the node's, under kubelet's header;
// pkg/kubelet/kubelet_pods.go nodeHostsFileContent). `ip netns exec NAME` bind-mounts
// /etc/netns/NAME/* over /etc/*, so each such pod gets a second name for its node's
// namespace, `podnet-<cluster>.hostnet.<ns>.<pod>` (a bind mount of the node's
// /run/netns file, as `ip netns attach` makes one), with its files under that name.
// The name carries the cluster's prefix: `podnet down` removes it (also after a crash),
// `ip netns del` of it only unmounts the name; it never names the root namespace: the
// mount's source is the node's podnet namespace, checked by the guard.
import { existsSync } from "node:fs";
import type { DataplaneIR, PodNet } from "../ir/types.js";
import type { Runner } from "./exec.js";
import { nsName } from "./names.js";
import { writeNewFile } from "./safe-fs.js";

export function hostNetAlias(cluster: string, pod: { namespace: string; name: string }): string {
  return nsName(cluster, `hostnet/${pod.namespace}/${pod.name}`);
}

/** The alias of `pod`'s node namespace (made; returns its name). */
export async function attachHostNetPod(runner: Runner, cluster: string, ir: DataplaneIR, pod: PodNet): Promise<string> {
  const node = ir.nodes.find((n) => n.name === pod.node);
  if (!node) throw new Error(`hostNetwork pod ${pod.namespace}/${pod.name}: node ${pod.node} not in the IR`);
  const alias = hostNetAlias(cluster, pod);
  const target = `/run/netns/${alias}`;
  if (!runner.dryRun) {
    if (!existsSync(`/run/netns/${nsName(cluster, node.ns.id)}`))
      throw new Error(`hostNetwork pod ${pod.namespace}/${pod.name}: its node's namespace is not there`);
    writeNewFile(target, "", 0o444);
  }
  await runner.run(["mount", "--bind", `/run/netns/${nsName(cluster, node.ns.id)}`, target]);
  return alias;
}
