// `podnet bpf NODE lb|ct|ipcache|policy [ENDPOINT]|endpoints`: a Cilium node's BPF maps as
// `cilium-dbg bpf lb list`, `bpf ct list global`, `bpf ipcache list`, `bpf policy get`
// and `endpoint list` print them (src/ir/render-bpf.ts). Only the node asked for is built.

import type { Command } from "commander";
import { buildContext, buildNodeIR } from "../dataplane/build.js";
import { renderEndpointList, renderIpcache, renderLbList, renderPolicyGet } from "../ir/render-bpf.js";
import { addClusterOptions, loadFromFlags } from "./cluster-opts.js";
import type { ClusterFlags } from "./cluster-opts.js";
import { UsageError } from "./errors.js";
import { findNode, findPod } from "./resolve-target.js";

const MAPS = ["lb", "ct", "ipcache", "policy", "endpoints"];

interface BpfFlags extends ClusterFlags {
  numeric?: boolean;
  namespace?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command("bpf <node> <map> [endpoint]")
    .description(
      "a Cilium node's BPF maps as cilium-dbg prints them: lb | ct | ipcache | policy ENDPOINT (id or pod) | endpoints",
    );
  addClusterOptions(cmd);
  cmd.option("-n, --numeric", "policy: identities as numbers (cilium-dbg bpf policy get -n)");
  cmd.option("--namespace <ns>", "policy: the namespace of a pod given as ENDPOINT");
  cmd.action(async (nodeArg: string, map: string, endpoint: string | undefined, o: BpfFlags) => {
    if (!MAPS.includes(map)) throw new UsageError(`MAP must be one of ${MAPS.join("|")}: "${map}"`);
    const { state } = await loadFromFlags(o);
    const node = findNode(state, nodeArg.startsWith("node/") ? nodeArg.slice(5) : nodeArg);
    const ctx = buildContext(state);
    const bpf = buildNodeIR(state, node.name, ctx).node.bpf;
    if (!bpf)
      throw new UsageError(
        `node ${node.name} has no BPF maps: networking.cni is ${state.config.networking.cni} (only cilium forwards in eBPF)`,
      );
    if (map === "lb") {
      if (!bpf.kubeProxyReplacement)
        process.stderr.write(
          `# kubeProxyMode is ${state.config.networking.kubeProxyMode}: the lb maps hold the ClusterIPs pods reach (bpf_lxc); kube-proxy serves NodePorts, external IPs and the host's connections\n`,
        );
      return void process.stdout.write(renderLbList(bpf));
    }
    if (map === "ipcache") return void process.stdout.write(renderIpcache(bpf));
    if (map === "endpoints") return void process.stdout.write(renderEndpointList(bpf));
    if (map === "ct") {
      // Conntrack entries are made by packets; the model's are per trace (`podnet trace --reply`).
      process.stderr.write(
        "# cilium_ct4_global is empty until packets flow: `podnet trace` shows the entries a flow makes\n",
      );
      return;
    }
    if (!endpoint) throw new UsageError("policy needs an ENDPOINT: an endpoint id (see `endpoints`) or a pod");
    let id = /^\d+$/.test(endpoint) ? Number(endpoint) : undefined;
    if (id === undefined) {
      const pod = findPod(state, endpoint, o.namespace);
      const ep = bpf.endpoints.find((e) => e.pod === `${pod.namespace}/${pod.name}`);
      if (!ep) throw new UsageError(`pod ${pod.namespace}/${pod.name} is not an endpoint of node ${node.name}`);
      id = ep.id;
    }
    if (!bpf.policy[id])
      throw new UsageError(
        `endpoint ${id} does not exist on node ${node.name} (endpoints: ${bpf.endpoints.map((e) => e.id).join(", ") || "none"})`,
      );
    process.stdout.write(renderPolicyGet(bpf, id, !!o.numeric));
  });
}
