// `podnet get cluster`: the cluster settings podnet works with, and where each came from:
// read from a live cluster's dump (manifest/infer.ts), the --config file, or the defaults.
// -o yaml|json prints them as a cluster config that `--config` takes back.
import type { ClusterConfig } from "../manifest/config.js";
import type { InferredSetting } from "../manifest/infer.js";
import type { CommandOutput } from "./get.js";
import { toJson, toYaml } from "./objects.js";

/** The settings as rows: the inferred ones with their sources, else the config's own. */
export function clusterSettings(config: ClusterConfig, inferred?: InferredSetting[]): InferredSetting[] {
  if (inferred) return inferred;
  const net = config.networking;
  const from = config.source ? `cluster config ${config.source.file}` : "default";
  const row = (setting: string, value: string): InferredSetting => ({ setting, value, from });
  return [
    row("networking.cni", net.cni),
    row("networking.backend", net.backend),
    row("networking.podSubnet", net.podSubnet),
    row("networking.serviceSubnet", net.serviceSubnet),
    row("networking.nodeCIDRMaskSize", String(net.nodeCIDRMaskSize)),
    row("networking.dnsDomain", net.dnsDomain),
    row("networking.kubeProxyMode", net.kubeProxyMode),
    row("networking.nodePortRange", `${net.nodePortRange[0]}-${net.nodePortRange[1]}`),
    row("networking.nodeSubnet", net.nodeSubnet),
    row("name", config.name),
  ];
}

/** The config as a `kind: Cluster` document (nodes only when the config lists them). */
export function clusterDocument(config: ClusterConfig): Record<string, unknown> {
  const { nodePortRange, ...net } = config.networking;
  const doc: Record<string, unknown> = {
    apiVersion: config.apiVersion,
    kind: "Cluster",
    name: config.name,
    networking: { ...net, nodePortRange: `${nodePortRange[0]}-${nodePortRange[1]}` },
    dns: config.dns,
    hostDNS: config.hostDNS,
  };
  if (config.externalDNS.length > 0) doc.externalDNS = config.externalDNS;
  if (config.nodes.length > 0 && !config.defaultNodes)
    doc.nodes = config.nodes.map((n) => ({
      name: n.name,
      role: n.role,
      ...(n.address ? { address: n.address } : {}),
      ...(Object.keys(n.labels).length ? { labels: n.labels } : {}),
      ...(n.taints.length ? { taints: n.taints } : {}),
      maxPods: n.maxPods,
    }));
  return doc;
}

export function clusterView(
  config: ClusterConfig,
  inferred: InferredSetting[] | undefined,
  output: string,
): CommandOutput {
  if (output === "yaml") return { stdout: toYaml(clusterDocument(config)), stderr: "", exitCode: 0 };
  if (output === "json") return { stdout: toJson(clusterDocument(config)), stderr: "", exitCode: 0 };
  const rows = clusterSettings(config, inferred).map((s) => [
    s.setting,
    s.value,
    s.file ? `${s.from} (${s.file}:${s.line})` : s.from,
  ]);
  const table = [["SETTING", "VALUE", "FROM"], ...rows];
  const w0 = Math.max(...table.map((r) => r[0].length));
  const w1 = Math.max(...table.map((r) => r[1].length));
  const stdout = table.map((r) => `${r[0].padEnd(w0)}   ${r[1].padEnd(w1)}   ${r[2]}`.trimEnd()).join("\n") + "\n";
  return { stdout, stderr: "", exitCode: 0 };
}
