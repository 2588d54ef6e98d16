// Bringing a cluster's IR up in the kernel and down again (the real network backend).
// up: record → namespaces + infrastructure (underlay, nodes) → per pod: its namespace,
// CNI ADD, its resolv.conf → one supervisor per node. Any failure rolls back.
// down: stop recorded processes (identity checked), delete the cluster's namespaces
// (recorded ∪ found by prefix), remove /etc/netns dirs and the state. Idempotent.

import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import type { DataplaneIR, NftLayer, PodNet } from "../ir/types.js";
import { applyPlan, createRunner, createShellRunner, listNetns, netnsBatch, type Runner } from "./exec.js";
import { ETC_NETNS, STATE_ROOT, stateDir, clusterOfNs, clusterPrefix, nsName, validateClusterName } from "./names.js";
import { podFacingLinks, renderInfra, renderNamespace, stepCommand, type RenderOptions } from "./render.js";
import { cniAdd, cniDel, isCniError, netConfFor } from "./cni.js";
import { startBird, waitBgp } from "./bird.js";
import { isDnsListener, startDns, startSupervisor, supervisorConfigs, type SupervisorConfig, type SupervisorReady } from "./supervisor.js";
import { identify, procCmdline, readRecord, recordedClusters, removeStateDir, stillOurs, stopProcess, writeRecord, type ClusterRecord, type ProcessRecord } from "./state.js";

export class ClusterExistsError extends Error {}

export interface UpOptions {
  cluster: string;
  ir: DataplaneIR;
  inputs?: ClusterRecord["inputs"];
  render?: RenderOptions;
  runner?: Runner;
  /** Start the per-node supervisors serving the pods' listeners (default true). */
  supervise?: boolean;
  log?: (line: string) => void;
  /** Container names per pod ("ns/name"), for `podnet exec -c` (the IR only knows listening ones). */
  containers?: Map<string, string[]>;
  /** Aborts bring-up between steps (Ctrl-C): what was made is rolled back. */
  signal?: AbortSignal;
  /** CNI ADDs run at once (default 8). */
  parallel?: number;
  /** Tests: called after each pod is attached (crash injection). */
  onPod?: (index: number) => void | Promise<void>;
}

export interface UpReport {
  cluster: string;
  namespaces: number;
  pods: number;
  supervisors: SupervisorReady[];
  ms: number;
}

/** Namespaces of a cluster present in the kernel. */
export function clusterNamespaces(cluster: string): string[] {
  const prefix = clusterPrefix(cluster);
  return listNetns().filter((n) => n.startsWith(prefix));
}

export async function up(o: UpOptions): Promise<UpReport> {
  const t0 = Date.now();
  const cluster = validateClusterName(o.cluster);
  const runner = o.runner ?? createRunner();
  const log = o.log ?? (() => {});
  const dry = runner.dryRun;
  if (!dry) {
    const existing = clusterNamespaces(cluster);
    if (readRecord(cluster) || existing.length) {
      throw new ClusterExistsError(
        `cluster "${cluster}" exists (${existing.length} namespaces${readRecord(cluster) ? ", state in /run/podnet/" + cluster : ""}); run "podnet down --name ${cluster}" first`,
      );
    }
  }
  const rec: ClusterRecord = {
    cluster,
    createdAt: new Date().toISOString(),
    phase: "creating",
    upPid: process.pid,
    inputs: o.inputs ?? { files: [] },
    namespaces: [],
    processes: [],
    nodes: o.ir.nodes.map((n) => ({ name: n.name, address: n.address, netns: nsName(cluster, n.ns.id) })),
    pods: o.ir.pods.map((p) => podEntry(cluster, o.ir, p, o.containers)),
  };
  const save = () => {
    if (!dry) writeRecord(rec);
  };
  let shellRunner: ReturnType<typeof createShellRunner> | undefined;
  save();
  try {
    // 1. underlay and nodes
    const infra = renderInfra(o.ir, cluster, o.render);
    await applyPlan(runner, infra, (names) => {
      rec.namespaces.push(...names);
      save();
    });
    log(`underlay and ${o.ir.nodes.length} nodes: ${infra.steps.length} batches`);
    o.signal?.throwIfAborted();
    // 2. pods: the runtime's part (namespaces in one batch, resolv.conf), then CNI ADD
    // per pod, several at once (each ADD touches only its pod's veth and namespace).
    const conf = netConfFor(o.ir);
    // Many small commands: fed to a few long-lived shells unless a runner was given.
    const podRunner = o.runner ?? (shellRunner = createShellRunner());
    const ctx = { cluster, ir: o.ir, runner: podRunner, render: o.render, fresh: true };
    const pods = o.ir.pods.filter((p) => p.ns && p.node); // hostNetwork pods live in their node
    const podNs = pods.map((p) => nsName(cluster, p.ns!.id));
    rec.namespaces.push(...podNs);
    save();
    await netnsBatch(runner, "add", podNs);
    if (!dry) pods.forEach((p, k) => writeResolvConf(podNs[k], p.resolvConf));
    log(`${podNs.length} pod namespaces created`);
    let i = 0;
    let next = 0;
    const worker = async () => {
      while (next < pods.length) {
        o.signal?.throwIfAborted();
        const k = next++;
        const pod = pods[k];
        const ifName = pod.ns!.links.find((l) => l.peer)?.name ?? "eth0";
        const res = await cniAdd(
          conf,
          {
            containerID: containerIdFor(pod.namespace, pod.name),
            netns: `/run/netns/${podNs[k]}`,
            ifName,
            args: { IgnoreUnknown: "1", K8S_POD_NAMESPACE: pod.namespace, K8S_POD_NAME: pod.name },
          },
          ctx,
        );
        if (isCniError(res)) throw new Error(`CNI ADD for pod ${pod.namespace}/${pod.name} failed (code ${res.code}): ${res.msg}`);
        i++;
        await o.onPod?.(k);
      }
    };
    const results = await Promise.allSettled(Array.from({ length: Math.min(o.parallel ?? 8, pods.length) }, worker));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    shellRunner?.close();
    if (failed) throw failed.reason;
    log(`${i} pods attached`);
    // 3. pod processes
    const supervisors: SupervisorReady[] = [];
    o.signal?.throwIfAborted();
    // 3. BGP (Calico): BIRD per node; the routes to other nodes' blocks come from it.
    const bgpNodes = o.ir.nodes.filter((n) => n.bgp);
    if (bgpNodes.length && !dry) {
      for (const n of bgpNodes)
        await startBird(cluster, n, (p) => {
          rec.processes.push(p);
          save();
        });
      await waitBgp(cluster, bgpNodes);
      log(`BGP: ${bgpNodes.length} BIRD speakers, full mesh established`);
    }
    // DNS: only when the cluster can be recomputed from recorded inputs (not for bare IR fixtures).
    const dns = o.supervise !== false && !dry && !!o.inputs && !o.inputs.fixture;
    if (dns) {
      // In parallel: each loads the cluster before it answers.
      await Promise.all(
        o.ir.pods
          .filter((pod) => pod.ns && pod.node && pod.listeners.some((l) => isDnsListener(pod, l)))
          .map((pod) =>
            startDns(cluster, nsName(cluster, pod.ns!.id), `${pod.namespace}/${pod.name}`, (p) => {
              rec.processes.push({ ...p, node: pod.node! });
              save();
            }),
          ),
      );
      log(`DNS servers started`);
    }
    o.signal?.throwIfAborted();
    if (o.supervise !== false && !dry) {
      for (const cfg of supervisorConfigs(o.ir, cluster, dns ? isDnsListener : undefined)) {
        if (cfg.pods.length === 0) continue;
        const { ready } = await startSupervisor(cfg, (p) => {
          rec.processes.push(p);
          save();
        });
        supervisors.push(ready);
      }
    }
    rec.phase = "up";
    save();
    return { cluster, namespaces: rec.namespaces.length, pods: i, supervisors, ms: Date.now() - t0 };
  } catch (e) {
    shellRunner?.close();
    log(`failed: ${(e as Error).message}; rolling back`);
    if (!dry) await down(cluster).catch(() => {});
    throw e;
  }
}

function podEntry(cluster: string, ir: DataplaneIR, p: PodNet, containers?: Map<string, string[]>): NonNullable<ClusterRecord["pods"]>[number] {
  return {
    namespace: p.namespace,
    name: p.name,
    node: p.node,
    ip: p.ip,
    // hostNetwork pods live in their node's namespace
    netns: p.ns ? nsName(cluster, p.ns.id) : p.node ? nsName(cluster, ir.nodes.find((n) => n.name === p.node)?.ns.id ?? `node/${p.node}`) : null,
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

function writeResolvConf(ns: string, text: string) {
  const dir = `${ETC_NETNS}/${ns}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/resolv.conf`, text);
}

export interface DownReport {
  cluster: string;
  namespaces: string[];
  processes: { pid: number; result: string }[];
  leftovers: string[];
}

/** Removes everything of a cluster; safe to run repeatedly and after a crash. */
export async function down(cluster: string, runner: Runner = createRunner()): Promise<DownReport> {
  validateClusterName(cluster);
  const rec = readRecord(cluster);
  const report: DownReport = { cluster, namespaces: [], processes: [], leftovers: [] };
  // Processes first: a live socket keeps a deleted namespace (and its links) alive.
  if (!runner.dryRun) report.processes = await Promise.all((rec?.processes ?? []).map(async (p) => ({ pid: p.pid, result: await stopProcess(p) })));
  const prefix = clusterPrefix(cluster);
  const present = new Set(listNetns().filter((n) => n.startsWith(prefix)));
  const recorded = (rec?.namespaces ?? []).filter((n) => clusterOfNs(n) === cluster);
  // Pods before nodes before the underlay: reverse creation order, then any found by prefix.
  const order = [...new Set([...recorded.slice().reverse(), ...[...present].sort().reverse()])];
  const toDelete = order.filter((ns) => present.has(ns));
  // Processes podnet started but could not record (a crash between fork and record):
  // found inside the cluster's namespaces, and only if their command line is one of ours.
  if (!runner.dryRun) {
    for (const ns of toDelete) {
      const r = await runner.run(["ip", "netns", "pids", ns], "", { allowFail: true });
      for (const pid of r.stdout.split("\n").filter(Boolean).map(Number)) {
        if (report.processes.some((p) => p.pid === pid)) continue;
        const role = ourProgram(cluster, procCmdline(pid) ?? "");
        const me = role ? identify(pid, role, stateDir(cluster)) : null;
        if (me) report.processes.push({ pid, result: await stopProcess(me) });
      }
    }
  }
  // One batch; if a line fails (ip stops there), the rest one by one to report each.
  const b = await netnsBatch(runner, "del", toDelete, { allowFail: true });
  if (b.code === 0) report.namespaces.push(...toDelete);
  else {
    const still = new Set(listNetns());
    for (const ns of toDelete) {
      if (!still.has(ns)) {
        report.namespaces.push(ns);
        continue;
      }
      const r = await runner.run(["ip", "netns", "del", ns], "", { allowFail: true });
      if (r.code === 0) report.namespaces.push(ns);
      else report.leftovers.push(`${ns}: ${r.stderr.trim()}`);
    }
  }
  // resolv.conf dirs: the known names, and any of this cluster's left by a crash.
  const etc = existsSync(ETC_NETNS) ? readdirSync(ETC_NETNS).filter((d) => d.startsWith(prefix)) : [];
  if (!runner.dryRun) for (const ns of new Set([...order, ...etc])) rmSync(`${ETC_NETNS}/${ns}`, { recursive: true, force: true });
  if (!runner.dryRun) {
    removeStateDir(cluster);
    // Leave no empty directories of ours behind either.
    for (const d of [STATE_ROOT, ETC_NETNS]) {
      try {
        rmdirSync(d);
      } catch {
        /* not empty or absent */
      }
    }
  }
  return report;
}

/** Every podnet cluster: by state directory and by namespace prefix. */
export function knownClusters(): string[] {
  const s = new Set<string>(recordedClusters());
  for (const n of listNetns()) {
    const c = clusterOfNs(n);
    if (c) s.add(c);
  }
  return [...s].sort();
}

/** Which of podnet's programs a command line is, for this cluster (null: not ours). */
export function ourProgram(cluster: string, cmdline: string): ProcessRecord["role"] | null {
  const dir = stateDir(cluster);
  const w = cmdline.split(" ");
  if (/(^|\/)bird$/.test(w[0]) && w.includes("-c") && w[w.indexOf("-c") + 1]?.startsWith(`${dir}/bird-`)) return "bird";
  if (w.some((a) => a.endsWith("/supervisor-main.js")) && w.some((a) => a.startsWith(`${dir}/supervisor-`))) return "supervisor";
  if (w.some((a) => a.endsWith("/dns-main.js")) && w.includes(dir)) return "dns";
  return null;
}

export async function downAll(runner?: Runner): Promise<DownReport[]> {
  const out: DownReport[] = [];
  for (const c of knownClusters()) {
    try {
      validateClusterName(c);
    } catch {
      continue;
    }
    out.push(await down(c, runner));
  }
  return out;
}

export interface StatusReport {
  cluster: string;
  phase: string;
  createdAt?: string;
  namespaces: { name: string; present: boolean }[];
  processes: { pid: number; role: string; node?: string; alive: boolean }[];
}

export function status(cluster: string): StatusReport {
  const rec = readRecord(cluster);
  const present = new Set(clusterNamespaces(cluster));
  const names = [...new Set([...(rec?.namespaces ?? []), ...present])];
  return {
    cluster,
    phase: rec?.phase ?? (present.size ? "orphaned (no state file)" : "absent"),
    createdAt: rec?.createdAt,
    namespaces: names.map((n) => ({ name: n, present: present.has(n) })),
    processes: (rec?.processes ?? []).map((p) => ({ pid: p.pid, role: p.role, node: p.node, alive: existsSync(`/proc/${p.pid}`) })),
  };
}

export interface ReconcileReport {
  added: string[];
  removed: string[];
  /** Nodes whose netfilter rules were reloaded. */
  reloaded: string[];
}

/**
 * Brings a running cluster to a new IR, pod by pod (apply/delete/scale): removed pods
 * lose their sockets (their supervisor is told), their CNI DEL runs and their namespace
 * goes; added pods get a namespace, CNI ADD and a new supervisor generation on their
 * node; every node's netfilter is reloaded atomically (iptables-restore replaces the
 * tables it lists; nft deletes and re-creates its tables in one transaction). Nodes,
 * the underlay and BGP are not changed here (a pod change does not touch them).
 */
export async function reconcile(o: { cluster: string; ir: DataplaneIR; render?: RenderOptions; containers?: Map<string, string[]>; log?: (s: string) => void }): Promise<ReconcileReport> {
  const cluster = validateClusterName(o.cluster);
  const rec = readRecord(cluster);
  if (!rec || rec.phase !== "up") throw new Error(`cluster "${cluster}" is not up`);
  const log = o.log ?? (() => {});
  const runner = createRunner();
  const key = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;
  const want = new Map(o.ir.pods.filter((p) => p.ns && p.node).map((p) => [key(p), p]));
  const have = new Map((rec.pods ?? []).filter((p) => p.ownNetns).map((p) => [key(p), p]));
  // A pod whose IP or node changed is a new pod under an old name (the kernel sees a new namespace).
  const removed = [...have.values()].filter((p) => {
    const w = want.get(key(p));
    return !w || w.ip !== p.ip || w.node !== p.node;
  });
  const added = [...want.values()].filter((p) => !have.has(key(p)) || removed.some((r) => key(r) === key(p)));
  const save = () => writeRecord(rec);

  // 1. removed pods: close their sockets first (a live socket keeps a namespace alive)
  const gone = new Set(removed.map(key));
  for (const proc of rec.processes.filter((p) => p.role === "supervisor")) {
    const cfgPath = proc.marker;
    let cfg: SupervisorConfig;
    try {
      cfg = JSON.parse(readFileSync(cfgPath, "utf8")) as SupervisorConfig;
    } catch {
      continue;
    }
    const mine = cfg.pods.map(key).filter((k) => gone.has(k));
    if (mine.length === 0) continue;
    if (mine.length === cfg.pods.length) {
      await stopProcess(proc);
      rec.processes = rec.processes.filter((p) => p !== proc);
    } else if (stillOurs(proc)) {
      const file = cfgPath.replace(/\.json$/, ".removed");
      const prev = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as string[]) : [];
      writeFileSync(file, JSON.stringify([...new Set([...prev, ...mine])]));
      process.kill(proc.pid, "SIGUSR2");
    }
  }
  const conf = netConfFor(o.ir);
  const ctx = { cluster, ir: o.ir, runner, render: o.render };
  for (const p of removed) {
    if (!p.netns) continue;
    await cniDel(conf, { containerID: containerIdFor(p.namespace, p.name), netns: `/run/netns/${p.netns}`, ifName: "eth0" }, ctx);
    await runner.run(["ip", "netns", "del", p.netns], "", { allowFail: true });
    rmSync(`${ETC_NETNS}/${p.netns}`, { recursive: true, force: true });
    rec.namespaces = rec.namespaces.filter((n) => n !== p.netns);
  }
  rec.pods = (rec.pods ?? []).filter((p) => !gone.has(key(p)));
  save();
  log(`${removed.length} pods removed`);

  // 2. added pods
  const names = added.map((p) => nsName(cluster, p.ns!.id));
  rec.namespaces.push(...names);
  rec.pods.push(...added.map((p) => podEntry(cluster, o.ir, p, o.containers)));
  save();
  await netnsBatch(runner, "add", names);
  added.forEach((p, k) => writeResolvConf(names[k], p.resolvConf));
  for (const [k, p] of added.entries()) {
    const res = await cniAdd(
      conf,
      { containerID: containerIdFor(p.namespace, p.name), netns: `/run/netns/${names[k]}`, ifName: p.ns!.links.find((l) => l.peer)?.name ?? "eth0", args: { K8S_POD_NAMESPACE: p.namespace, K8S_POD_NAME: p.name } },
      { ...ctx, fresh: true },
    );
    if (isCniError(res)) throw new Error(`CNI ADD for pod ${key(p)} failed (code ${res.code}): ${res.msg}`);
  }
  log(`${added.length} pods added`);

  // 3. netfilter of every node (Services' endpoints follow the pods)
  const reloaded: string[] = [];
  if (o.render?.netfilter) {
    for (const n of o.ir.nodes) {
      const steps = renderNamespace(cluster, n.ns, o.render, { devs: podFacingLinks(n.ns), mode: "except" }).filter((s) => s.kind === "netfilter");
      for (const s of steps) {
        if (s.kind !== "netfilter") continue;
        const text = s.tool === "nft" ? nftReplacePrefix(n.ns.netfilter.nftables) + s.text : s.text;
        const { argv } = stepCommand(s);
        await runner.run(argv, text);
      }
      if (steps.length) reloaded.push(n.name);
    }
  }

  // 4. the new pods' processes: a new supervisor generation per node
  const addedKeys = new Set(added.map(key));
  const gen = 1 + Math.max(0, ...rec.processes.filter((p) => p.role === "supervisor").map((p) => Number(/\.(\d+)\.json$/.exec(p.marker)?.[1] ?? 0)));
  const dnsServed = rec.processes.some((p) => p.role === "dns");
  for (const cfg of supervisorConfigs(o.ir, cluster, dnsServed ? isDnsListener : undefined)) {
    cfg.pods = cfg.pods.filter((p) => addedKeys.has(key(p)));
    if (cfg.pods.length === 0) continue;
    cfg.generation = gen;
    await startSupervisor(cfg, (p) => {
      rec.processes.push(p);
      save();
    });
  }
  save();
  return { added: added.map(key), removed: removed.map(key), reloaded };
}

/** nft: delete-and-recreate each table in the same transaction (a table must exist to be deleted). */
function nftReplacePrefix(layers: NftLayer[]): string {
  const ids = [...new Set(layers.flatMap((l) => l.tables.map((t) => `${t.family} ${t.name}`)))];
  return ids.map((id) => `table ${id}\ndelete table ${id}\n`).join("");
}
