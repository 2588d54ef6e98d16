// Cilium's datapath for real: podnet's BPF programs (bpf/*.c, compiled into dist/bpf by
// `npm run build:bpf`) loaded per node, their maps pinned in a bpffs podnet mounts for the
// cluster (/run/podnet/<cluster>/bpf, inside the cluster's state directory so that `down`
// and crash cleanup find it; `down` unmounts it), filled from the IR (bpf-maps.ts) with
// `bpftool batch`, and the programs attached with tc (clsact, direct-action) to the links
// the IR gives them (Link.tc), only inside the cluster's namespaces.
// Per-packet load balancing at tc: Cilium's socket LB (cgroup connect4/sendmsg4) is not
// attached; a pod's connect() goes out to the ClusterIP and cil_from_container translates it.

import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { DataplaneIR, NodeNet } from "../ir/types.js";
import { hex, MAP_NAMES, type MapEntry, nodeMapEntries } from "./bpf-maps.js";
import type { Runner } from "./exec.js";
import { nsName, stateDir } from "./names.js";
import { ensureDir } from "./safe-fs.js";

/** The programs podnet builds (IR BpfProg.object → the C file's object). */
export const BPF_OBJECTS = ["bpf_lxc.o", "bpf_overlay.o", "bpf_host.o"] as const;
/** Programs of the IR podnet has in C; the others (cil_to_host, cil_to_overlay, cil_to_netdev) pass everything in Cilium's default configuration and are not attached. */
export const BPF_PROGRAMS = new Set(["cil_from_container", "cil_from_overlay", "cil_from_host", "cil_from_netdev"]);

/** The maps of the datapath's events (bpf/lib/events.h), pinned with the others; read by bpf-events.ts. */
export const EVENT_MAPS = ["cilium_events", "podnet_events_lost"] as const;

/** A node's pinned maps directory. */
export function nodeMapsDir(cluster: string, node: string): string {
  return `${nodeDir(cluster, node)}/maps`;
}

/** dist/bpf (this file is dist/src/linux/bpf.js). */
export function bpfObjectDir(): string {
  return fileURLToPath(new URL("../../bpf/", import.meta.url));
}

/** Why the programs cannot be loaded (objects not built: clang missing at build time), or null. */
export function bpfMissing(): string | null {
  const dir = bpfObjectDir();
  const gone = BPF_OBJECTS.filter((o) => !existsSync(`${dir}${o}`));
  if (gone.length)
    return `the BPF programs are not built (${gone.join(", ")} missing in ${dir}): install clang and libbpf-dev, then run "npm run build:bpf"`;
  return null;
}

/** The cluster's bpffs mount point. */
export function bpfRoot(cluster: string): string {
  return `${stateDir(cluster)}/bpf`;
}

const nodeDir = (cluster: string, node: string) => `${bpfRoot(cluster)}/${node.replace(/[^A-Za-z0-9_.-]/g, "_")}`;

/** Whether `path` is a mount point (bpffs mounted there), from /proc/self/mountinfo. */
export function isMounted(path: string): boolean {
  try {
    return readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .some((l) => l.split(" ")[4] === path);
  } catch {
    return false;
  }
}

/** The link names → ifindex of a namespace (`ip -j link show`). */
async function ifindexes(runner: Runner, ns: string): Promise<Map<string, number>> {
  const r = await runner.run(["ip", "-n", ns, "-j", "link", "show"]);
  const m = new Map<string, number>();
  if (runner.dryRun) return m;
  for (const l of JSON.parse(r.stdout) as { ifindex: number; ifname: string }[]) m.set(l.ifname, l.ifindex);
  return m;
}

function ifindexOf(m: Map<string, number>, name: string, node: string, dry: boolean): number {
  const i = m.get(name);
  if (i === undefined && !dry) throw new Error(`node ${node}: link "${name}" not found in its namespace`);
  return i ?? 0;
}

/** Mount the cluster's bpffs (idempotent). */
export async function mountBpf(runner: Runner, cluster: string): Promise<void> {
  const root = bpfRoot(cluster);
  if (runner.dryRun) {
    await runner.run(["mount", "-t", "bpf", "bpf", root]);
    return;
  }
  ensureDir(root, 0o700, stateDir(cluster));
  if (!isMounted(root)) await runner.run(["mount", "-t", "bpf", "bpf", root]);
}

/** Unmount it (down, rollback): its pins go with it; programs stay only while attached to links. */
export async function unmountBpf(runner: Runner, cluster: string): Promise<void> {
  const root = bpfRoot(cluster);
  if (!runner.dryRun && !isMounted(root)) return;
  await runner.run(["umount", root], "", { allowFail: true });
}

/** Load one node's three objects, the maps pinned once and shared by all three. */
async function loadNode(runner: Runner, cluster: string, node: NodeNet): Promise<void> {
  const dir = nodeDir(cluster, node.name);
  const obj = bpfObjectDir();
  const maps = `${dir}/maps`;
  if (!runner.dryRun) ensureDir(maps, 0o700, bpfRoot(cluster));
  const reuse = [...MAP_NAMES, ...EVENT_MAPS].flatMap((m) => ["map", "name", m, "pinned", `${maps}/${m}`]);
  await runner.run([
    "bpftool",
    "prog",
    "loadall",
    `${obj}bpf_lxc.o`,
    `${dir}/lxc`,
    "type",
    "classifier",
    "pinmaps",
    maps,
  ]);
  for (const [o, sub] of [
    ["bpf_overlay.o", "overlay"],
    ["bpf_host.o", "host"],
  ])
    await runner.run(["bpftool", "prog", "loadall", `${obj}${o}`, `${dir}/${sub}`, "type", "classifier", ...reuse]);
}

const progPath = (cluster: string, node: string, prog: string) => {
  const sub = prog === "cil_from_container" ? "lxc" : prog === "cil_from_overlay" ? "overlay" : "host";
  return `${nodeDir(cluster, node)}/${sub}/${prog}`;
};

/** tc lines attaching the node's programs: every link of the node with one (only `devs` if given). */
export function attachLines(cluster: string, node: NodeNet, devs?: Set<string>): string[] {
  const lines: string[] = [];
  for (const l of node.ns.links) {
    if (!l.tc || (devs && !devs.has(l.name))) continue;
    const hooks = (["ingress", "egress"] as const).filter((h) => l.tc![h] && BPF_PROGRAMS.has(l.tc![h]!.name));
    if (!hooks.length) continue;
    lines.push(`qdisc replace dev ${l.name} clsact`);
    for (const h of hooks)
      lines.push(
        `filter replace dev ${l.name} ${h} pref 1 handle 1 bpf da object-pinned ${progPath(cluster, node.name, l.tc[h]!.name)}`,
      );
  }
  return lines;
}

/** Attach programs to links of a node (all, or `devs`: a pod's lxc added later). */
export async function attachNode(runner: Runner, cluster: string, node: NodeNet, devs?: Set<string>): Promise<void> {
  const lines = attachLines(cluster, node, devs);
  if (!lines.length) return;
  const ns = nsName(cluster, node.ns.id);
  await runner.run(["ip", "netns", "exec", ns, "tc", "-batch", "-"], lines.join("\n") + "\n");
}

interface DumpEntry {
  key: string[];
}

/** The keys a pinned map holds (bpftool -j map dump: hex byte arrays). */
async function dumpKeys(runner: Runner, path: string): Promise<string[]> {
  const r = await runner.run(["bpftool", "-j", "map", "dump", "pinned", path]);
  if (runner.dryRun || !r.stdout.trim()) return [];
  return (JSON.parse(r.stdout) as DumpEntry[]).map((e) =>
    e.key.map((b) => Number.parseInt(b, 16).toString(16).padStart(2, "0")).join(" "),
  );
}

/**
 * Bring a node's maps to what the IR says: every entry written first (new backends and
 * slots before the frontends' slot 0 that counts them: the switch), then the entries the
 * IR no longer has deleted. cilium_ct4_global is the datapath's own and left alone.
 */
export async function syncNode(runner: Runner, cluster: string, node: NodeNet): Promise<number> {
  const b = node.bpf!;
  const ns = nsName(cluster, node.ns.id);
  const idx = await ifindexes(runner, ns);
  const dry = runner.dryRun;
  const devs = {
    tunnel: b.tunnel ? ifindexOf(idx, b.tunnel.dev, node.name, dry) : 0,
    host: ifindexOf(idx, "cilium_host", node.name, dry),
  };
  const want = nodeMapEntries(b, node, (n) => ifindexOf(idx, n, node.name, dry), devs);
  const maps = `${nodeDir(cluster, node.name)}/maps`;
  const updates: string[] = [];
  const deletes: string[] = [];
  for (const [name, entries] of want) {
    const path = `${maps}/${name}`;
    const keys = new Set(entries.map((e: MapEntry) => hex(e.key)));
    for (const e of entries) updates.push(`map update pinned ${path} key hex ${hex(e.key)} value hex ${hex(e.value)}`);
    if (name === "podnet_node_cfg") continue; // an array: its one slot is always there
    for (const k of await dumpKeys(runner, path))
      if (!keys.has(k)) deletes.push(`map delete pinned ${path} key hex ${k}`);
  }
  // Stale frontends' slot 0 before their slots (a frontend never counts a slot that is gone).
  deletes.sort((x, y) => Number(y.includes("cilium_lb4_services_v2")) - Number(x.includes("cilium_lb4_services_v2")));
  const lines = [...updates, ...deletes];
  if (lines.length) await runner.run(["bpftool", "batch", "file", "-"], lines.join("\n") + "\n");
  return lines.length;
}

/** `up`: mount, load every node's programs, fill the maps, attach everywhere the IR says. */
export async function loadBpf(runner: Runner, cluster: string, ir: DataplaneIR): Promise<number> {
  const nodes = ir.nodes.filter((n) => n.bpf);
  if (!nodes.length) return 0;
  if (!runner.dryRun) {
    const missing = bpfMissing();
    if (missing) throw new Error(missing);
  }
  await mountBpf(runner, cluster);
  for (const n of nodes) {
    await loadNode(runner, cluster, n);
    // Cilium turns ARP off on cilium_host/cilium_net (pkg/datapath/loader): the stack hands
    // what it routes there to cil_from_host without resolving the router IP.
    await runner.run(
      ["ip", "-n", nsName(cluster, n.ns.id), "-batch", "-"],
      "link set cilium_host arp off\nlink set cilium_net arp off\n",
    );
    await syncNode(runner, cluster, n);
    await attachNode(runner, cluster, n);
  }
  return nodes.length;
}

/** A live change (apply/scale/delete --name): every node's maps again, new pods' lxc attached. */
export async function updateBpf(runner: Runner, cluster: string, ir: DataplaneIR, added: Set<string>): Promise<void> {
  for (const n of ir.nodes) {
    if (!n.bpf) continue;
    await syncNode(runner, cluster, n);
    const devs = new Set(n.bpf.endpoints.filter((e) => added.has(e.pod)).map((e) => e.ifName));
    if (devs.size) await attachNode(runner, cluster, n, devs);
  }
}
