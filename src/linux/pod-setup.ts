// What `podnet up` and a live change (reconcile.ts) both do for a pod: its record entry,
// its container ID, the runtime's files (resolv.conf, hosts, nsswitch.conf) and the CNI ADD.
import type { DataplaneIR, PodNet } from "../ir/types.js";
import { cniAdd, isCniError, type CniArgs, type CniContext, type NetConf } from "./cni.js";
import { hostNetAlias } from "./hostnet.js";
import { ETC_NETNS, nsName } from "./names.js";
import { ensureDir, writeNewFile } from "./safe-fs.js";
import type { ClusterRecord } from "./state.js";

export type PodRecord = NonNullable<ClusterRecord["pods"]>[number];

export function podEntry(cluster: string, ir: DataplaneIR, p: PodNet, containers?: Map<string, string[]>): PodRecord {
  const extra: Partial<PodRecord> = {};
  if (p.hostname) extra.hostname = p.hostname;
  if (!p.ns && p.node && p.hostNetwork) extra.execNetns = hostNetAlias(cluster, p);
  return {
    ...extra,
    namespace: p.namespace,
    name: p.name,
    node: p.node,
    ip: p.ip,
    // hostNetwork pods live in their node's namespace
    netns: p.ns
      ? nsName(cluster, p.ns.id)
      : p.node
        ? nsName(cluster, ir.nodes.find((n) => n.name === p.node)?.ns.id ?? `node/${p.node}`)
        : null,
    ownNetns: !!p.ns && !!p.node,
    containers: containers?.get(`${p.namespace}/${p.name}`) ?? [...new Set(p.listeners.map((l) => l.container))],
  };
}

/** A stable container ID for a pod (the CNI spec wants one; the runtime would make it). */
export function containerIdFor(namespace: string, name: string): string {
  let h = 0x811c9dc5;
  for (const c of `${namespace}/${name}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return `podnet${h.toString(16).padStart(8, "0")}`;
}

/**
 * The files the runtime gives the pod, for namespace `ns`: `ip netns exec` bind-mounts
 * /etc/netns/<ns>/<file> over /etc/<file> (ip-netns(8)). Created afresh, never through a
 * link (safe-fs.ts).
 */
export function writePodFiles(ns: string, pod: { resolvConf: string; hosts?: string }) {
  const dir = `${ETC_NETNS}/${ns}`;
  ensureDir(dir, 0o755, "/etc");
  writeNewFile(`${dir}/resolv.conf`, pod.resolvConf);
  // kubelet's hosts file (control/hosts.ts); glibc and musl read it before DNS.
  if (pod.hosts !== undefined) writeNewFile(`${dir}/hosts`, pod.hosts);
  // The container's own name service switch, as images ship it: without it `ip netns exec`
  // keeps the host's, whose mdns/resolve modules would ask daemons in the root namespace
  // (and answer *.local, cluster.local included, from outside the cluster).
  writeNewFile(`${dir}/nsswitch.conf`, "hosts: files dns\n");
}

/** CNI ADD of a pod into its (just created) namespace `netns`; throws on a CNI error. */
export async function attachPod(
  conf: NetConf,
  pod: PodNet,
  netns: string,
  args: CniArgs["args"],
  ctx: CniContext,
): Promise<void> {
  const res = await cniAdd(
    conf,
    {
      containerID: containerIdFor(pod.namespace, pod.name),
      netns: `/run/netns/${netns}`,
      ifName: pod.ns!.links.find((l) => l.peer)?.name ?? "eth0",
      args,
    },
    ctx,
  );
  if (isCniError(res))
    throw new Error(`CNI ADD for pod ${pod.namespace}/${pod.name} failed (code ${res.code}): ${res.msg}`);
}
