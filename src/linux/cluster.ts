// Bringing a cluster's IR up in the kernel and down again (the real network backend);
// changes to a running cluster are reconcile.ts.
// up: record → namespaces + infrastructure (underlay, nodes) → per pod: its namespace,
// CNI ADD, its resolv.conf → one supervisor per node. Any failure rolls back what this
// run created (it records each object before making it). The cluster's lock (lock.ts) is
// held from the existence check to the end of bring-up: two `up` of one name never both
// pass the check, and one's rollback never removes the other's namespaces.
// down: under the same lock, stop recorded processes (identity checked), delete the
// cluster's namespaces (recorded ∪ found by prefix), remove /etc/netns dirs and the
// state. Idempotent.

import { attachHostNetPod, hostNetAlias } from "./hostnet.js";
import { existsSync, readdirSync, readlinkSync, rmSync, rmdirSync, statSync } from "node:fs";
import type { DataplaneIR, Listener, PodNet } from "../ir/types.js";
import { ingressPods, isIngressListener, nginxBinary, syncIngressProxies } from "./ingress-proxy.js";
import { recordedState } from "./live-state.js";
import { applyPlan, createRunner, createShellRunner, listNetns, netnsBatch, type Runner } from "./exec.js";
import { ETC_NETNS, STATE_ROOT, stateDir, clusterOfNs, clusterPrefix, nsName, validateClusterName } from "./names.js";
import { renderInfra, type RenderOptions } from "./render.js";
import { acquireLock, changeLockPath, clusterLockPath, LockBusyError, type HeldLock, type LockHolder } from "./lock.js";
import { netConfFor } from "./cni.js";
import { startBird, waitBgp } from "./bird.js";
import {
  isDnsListener,
  podServices,
  type ServerHealth,
  startDns,
  startSupervisor,
  supervisorConfigs,
  supervisorHealth,
  dnsHealth,
  type SupervisorReady,
} from "./supervisor.js";
import { attachPod, podEntry, writePodFiles } from "./pod-setup.js";
import { loadBpf, unmountBpf } from "./bpf.js";
import {
  identify,
  procCmdline,
  readRecord,
  recordedClusters,
  removeStateDir,
  stopProcess,
  writeRecord,
  type ClusterRecord,
  type ProcessRecord,
} from "./state.js";

export class ClusterExistsError extends Error {}
/** Another podnet command (up or down) holds the cluster's lock. */
export class ClusterBusyError extends ClusterExistsError {}

/** How long `down` waits for a running `up` (or `down`) of the cluster before it gives up. */
const DOWN_WAIT_MS = 10_000;
/** How long `down` waits for a live change under way (`apply|scale|delete --name`) to finish or roll back. */
const CHANGE_WAIT_MS = 120_000;

/**
 * Takes cluster NAME's lock (`doing`: "being brought up", "being taken down", for the
 * other side's message); throws ClusterBusyError naming the holder.
 */
export async function lockCluster(cluster: string, doing: string, waitMs = 0): Promise<HeldLock> {
  try {
    return await acquireLock(
      clusterLockPath(cluster),
      doing,
      (h) =>
        h
          ? `cluster "${cluster}" is ${h.what} by PID ${h.pid} (since ${h.since}); wait for it, or stop that process and run "podnet down --name ${cluster}"`
          : `cluster "${cluster}" is being brought up or taken down by another podnet process; try again when it is done`,
      { waitMs },
    );
  } catch (e) {
    if (e instanceof LockBusyError) throw new ClusterBusyError(e.message);
    throw e;
  }
}

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
  /** The cluster's lock, taken by the caller (lockCluster) before its own existence check; else up takes it. */
  lock?: HeldLock;
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

/** What bring-up holds while it runs: the record it grows and saves as it goes. */
interface Bringup {
  cluster: string;
  o: UpOptions;
  rec: ClusterRecord;
  runner: Runner;
  dry: boolean;
  log: (line: string) => void;
  save: () => void;
  /** Records a started process at once (before waiting for it): a crash leaves it findable. */
  started: (p: ProcessRecord) => void;
}

export async function up(o: UpOptions): Promise<UpReport> {
  const t0 = Date.now();
  const cluster = validateClusterName(o.cluster);
  const runner = o.runner ?? createRunner();
  const dry = runner.dryRun;
  const lock = dry ? undefined : (o.lock ?? (await lockCluster(cluster, "being brought up")));
  try {
    if (!dry) refuseExisting(cluster);
    return await bringUp(cluster, o, runner, t0);
  } finally {
    if (lock !== o.lock) lock?.release();
  }
}

async function bringUp(cluster: string, o: UpOptions, runner: Runner, t0: number): Promise<UpReport> {
  const dry = runner.dryRun;
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
  const b: Bringup = {
    cluster,
    o,
    rec,
    runner,
    dry,
    log: o.log ?? (() => {}),
    save,
    started: (p) => {
      rec.processes.push(p);
      save();
    },
  };
  save();
  try {
    // 1. underlay and nodes
    const infra = renderInfra(o.ir, cluster, o.render);
    await applyPlan(runner, infra, (names) => {
      rec.namespaces.push(...names);
      save();
    });
    b.log(`underlay and ${o.ir.nodes.length} nodes: ${infra.steps.length} batches`);
    o.signal?.throwIfAborted();
    // 2. pods
    const pods = await createPods(b);
    o.signal?.throwIfAborted();
    // 2b. eBPF (Cilium): programs loaded, maps filled, attached to the nodes' and pods' links
    const bpfNodes = await loadBpf(runner, cluster, o.ir);
    if (bpfNodes) b.log(`eBPF: programs attached and maps filled on ${bpfNodes} nodes`);
    o.signal?.throwIfAborted();
    // 3. pod processes: BGP speakers, DNS servers, the nodes' supervisors
    const supervisors = await startProcesses(b);
    rec.phase = "up";
    save();
    return { cluster, namespaces: rec.namespaces.length, pods, supervisors, ms: Date.now() - t0 };
  } catch (e) {
    b.log(`failed: ${(e as Error).message}; rolling back`);
    // Only what this run recorded (and so created): the lock kept everyone else out.
    if (!dry) await removeCluster(cluster, runner, rec).catch(() => {});
    throw e;
  }
}

function refuseExisting(cluster: string): void {
  const existing = clusterNamespaces(cluster);
  if (readRecord(cluster) || existing.length) {
    throw new ClusterExistsError(
      `cluster "${cluster}" exists (${existing.length} namespaces${readRecord(cluster) ? ", state in /run/podnet/" + cluster : ""}); run "podnet down --name ${cluster}" first`,
    );
  }
}

/**
 * The runtime's part (namespaces in one batch, resolv.conf), then CNI ADD per pod,
 * several at once (each ADD touches only its pod's veth and namespace). Returns the
 * number of pods attached.
 */
async function createPods(b: Bringup): Promise<number> {
  const { cluster, o, rec } = b;
  const conf = netConfFor(o.ir);
  // Many small commands: fed to a few long-lived shells unless a runner was given.
  const shellRunner = o.runner ? undefined : createShellRunner();
  const ctx = { cluster, ir: o.ir, runner: o.runner ?? shellRunner!, render: o.render, fresh: true };
  try {
    const pods = o.ir.pods.filter((p) => p.ns && p.node); // hostNetwork pods live in their node
    const podNs = pods.map((p) => nsName(cluster, p.ns!.id));
    rec.namespaces.push(...podNs);
    b.save();
    await netnsBatch(b.runner, "add", podNs);
    if (!b.dry) pods.forEach((p, k) => writePodFiles(podNs[k], p));
    b.log(`${podNs.length} pod namespaces created`);
    // hostNetwork pods: a name of their node's namespace with their own files (hostnet.ts).
    const hostPods = o.ir.pods.filter((p) => !p.ns && p.node && p.hostNetwork);
    if (hostPods.length) {
      rec.namespaces.push(...hostPods.map((p) => hostNetAlias(cluster, p)));
      b.save();
      for (const p of hostPods) {
        const alias = await attachHostNetPod(b.runner, cluster, o.ir, p);
        if (!b.dry) writePodFiles(alias, p);
      }
      b.log(`${hostPods.length} hostNetwork pods given their resolv.conf and hosts`);
    }
    let attached = 0;
    let next = 0;
    const worker = async () => {
      while (next < pods.length) {
        o.signal?.throwIfAborted();
        const k = next++;
        const pod = pods[k];
        const args = { IgnoreUnknown: "1", K8S_POD_NAMESPACE: pod.namespace, K8S_POD_NAME: pod.name };
        await attachPod(conf, pod, podNs[k], args, ctx);
        attached++;
        await o.onPod?.(k);
      }
    };
    const results = await Promise.allSettled(Array.from({ length: Math.min(o.parallel ?? 8, pods.length) }, worker));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    b.log(`${attached} pods attached`);
    return attached;
  } finally {
    shellRunner?.close();
  }
}

/** BIRD per node (Calico), the CoreDNS pods' DNS servers, then one supervisor per node. */
async function startProcesses(b: Bringup): Promise<SupervisorReady[]> {
  const { cluster, o } = b;
  const supervisors: SupervisorReady[] = [];
  // BGP (Calico): BIRD per node; the routes to other nodes' blocks come from it.
  const bgpNodes = o.ir.nodes.filter((n) => n.bgp);
  if (bgpNodes.length && !b.dry) {
    for (const n of bgpNodes) await startBird(cluster, n, b.started);
    await waitBgp(cluster, bgpNodes);
    b.log(`BGP: ${bgpNodes.length} BIRD speakers, full mesh established`);
  }
  // DNS: only when the cluster can be recomputed from recorded inputs (not for bare IR fixtures).
  const dns = o.supervise !== false && !b.dry && !!o.inputs && !o.inputs.fixture;
  if (dns) {
    // In parallel: each loads the cluster before it answers.
    await Promise.all(
      o.ir.pods
        .filter((pod) => pod.ns && pod.node && pod.listeners.some((l) => isDnsListener(pod, l)))
        .map((pod) =>
          startDns(cluster, nsName(cluster, pod.ns!.id), `${pod.namespace}/${pod.name}`, (p) =>
            b.started({ ...p, node: pod.node! }),
          ),
        ),
    );
    b.log(`DNS servers started`);
  }
  o.signal?.throwIfAborted();
  // The model's state: the pod servers name the Services they back; nginx needs the Ingresses.
  const state = dns ? await recordedState(b.rec) : undefined;
  // Ingress controller pods: nginx on their :80/:443 (when nginx is installed).
  const nginx = !!state && nginxBinary() !== null && ingressPods(o.ir).length > 0;
  if (state && nginx) {
    await syncIngressProxies(cluster, state, o.ir, b.rec, b.save, b.log);
  } else if (state && ingressPods(o.ir).length)
    b.log("ingress controller: nginx is not installed (apt-get install nginx-light); the pod server answers its ports");
  o.signal?.throwIfAborted();
  if (o.supervise !== false && !b.dry) {
    const skip = (p: PodNet, l: Listener) => (dns && isDnsListener(p, l)) || (nginx && isIngressListener(p, l));
    for (const cfg of supervisorConfigs(o.ir, cluster, skip, state ? podServices(state) : undefined)) {
      if (cfg.pods.length === 0) continue;
      const { ready } = await startSupervisor(cfg, b.started);
      supervisors.push(ready);
    }
  }
  return supervisors;
}

export interface DownReport {
  cluster: string;
  namespaces: string[];
  processes: { pid: number; result: string }[];
  leftovers: string[];
}

/**
 * Removes everything of a cluster; safe to run repeatedly and after a crash. Waits for a
 * running `up` of it, and for a live change under way (`onWait` hears that it waits).
 */
export async function down(
  cluster: string,
  runner: Runner = createRunner(),
  onWait?: (why: string) => void,
): Promise<DownReport> {
  validateClusterName(cluster);
  if (runner.dryRun) return removeCluster(cluster, runner, null);
  const lock = await lockCluster(cluster, "being taken down", DOWN_WAIT_MS);
  let change: HeldLock | undefined;
  try {
    // A change under way finishes (or rolls back) first: its journal and rollback must
    // not race the removal; none starts after this.
    if (existsSync(stateDir(cluster))) change = await lockChanges(cluster, onWait);
    return await removeCluster(cluster, runner, null);
  } finally {
    change?.release();
    lock.release();
  }
}

/** Takes cluster NAME's change lock for `down`, waiting up to CHANGE_WAIT_MS for a change under way. */
async function lockChanges(cluster: string, onWait?: (why: string) => void): Promise<HeldLock> {
  const busy = (h: LockHolder | null) =>
    `cluster "${cluster}" is being changed${h ? ` by PID ${h.pid} (since ${h.since})` : ""}; wait for it, or stop that process and run "podnet down --name ${cluster}" again`;
  try {
    return await acquireLock(changeLockPath(cluster), "being taken down", busy);
  } catch (e) {
    if (!(e instanceof LockBusyError)) throw e;
    onWait?.(`waiting for the change in progress${e.holder ? ` (PID ${e.holder.pid}, since ${e.holder.since})` : ""}`);
  }
  try {
    return await acquireLock(changeLockPath(cluster), "being taken down", busy, { waitMs: CHANGE_WAIT_MS });
  } catch (e) {
    if (e instanceof LockBusyError) throw new ClusterBusyError(e.message);
    throw e;
  }
}

/**
 * `created` null: everything of the cluster (recorded ∪ found by prefix, leftovers of a
 * crash included). A record: only its namespaces and processes (a failed `up`'s own).
 */
async function removeCluster(cluster: string, runner: Runner, created: ClusterRecord | null): Promise<DownReport> {
  const rec = created ?? readRecord(cluster);
  const report: DownReport = { cluster, namespaces: [], processes: [], leftovers: [] };
  // Processes first: a live socket keeps a deleted namespace (and its links) alive.
  if (!runner.dryRun)
    report.processes = await Promise.all(
      (rec?.processes ?? []).map(async (p) => ({ pid: p.pid, result: await stopProcess(p) })),
    );
  const prefix = clusterPrefix(cluster);
  const present = new Set(listNetns().filter((n) => n.startsWith(prefix)));
  const recorded = (rec?.namespaces ?? []).filter((n) => clusterOfNs(n) === cluster);
  // Pods before nodes before the underlay: reverse creation order, then any found by prefix.
  const order = [...new Set([...recorded.slice().reverse(), ...(created ? [] : [...present].sort().reverse())])];
  const toDelete = order.filter((ns) => present.has(ns));
  // Processes podnet started but could not record (a crash between fork and record):
  // found inside the cluster's namespaces, and only if their command line is one of ours.
  if (!runner.dryRun) {
    // One pass over /proc (what `ip netns pids` does per namespace, without 300 spawns).
    for (const pid of pidsInNamespaces(toDelete)) {
      if (report.processes.some((p) => p.pid === pid)) continue;
      const role = ourProgram(cluster, procCmdline(pid) ?? "");
      const me = role ? identify(pid, role, stateDir(cluster)) : null;
      if (me) report.processes.push({ pid, result: await stopProcess(me) });
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
  const etc = !created && existsSync(ETC_NETNS) ? readdirSync(ETC_NETNS).filter((d) => d.startsWith(prefix)) : [];
  if (!runner.dryRun)
    for (const ns of new Set([...order, ...etc])) rmSync(`${ETC_NETNS}/${ns}`, { recursive: true, force: true });
  if (!runner.dryRun) {
    // The cluster's bpffs (Cilium): its pins go with the mount; the programs went with the links.
    await unmountBpf(runner, cluster);
    removeStateDir(cluster);
    removeEmptyRoots();
  }
  return report;
}

/** Leaves no empty directories of ours behind. */
function removeEmptyRoots(): void {
  for (const d of [STATE_ROOT, ETC_NETNS]) {
    try {
      rmdirSync(d);
    } catch {
      /* not empty or absent */
    }
  }
}

/** PIDs whose network namespace is one of the named ones (matched by nsfs inode). */
function pidsInNamespaces(names: string[]): number[] {
  const inodes = new Set<number>();
  for (const ns of names) {
    try {
      inodes.add(statSync(`/run/netns/${ns}`).ino);
    } catch {
      /* gone meanwhile */
    }
  }
  const out: number[] = [];
  if (inodes.size === 0) return out;
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${d}/ns/net`));
      if (m && inodes.has(Number(m[1]))) out.push(Number(d));
    } catch {
      /* exited, or not ours to read */
    }
  }
  return out;
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
  if (w.some((a) => a.endsWith("/supervisor-main.js")) && w.some((a) => a.startsWith(`${dir}/supervisor-`)))
    return "supervisor";
  if (w.some((a) => a.endsWith("/dns-main.js")) && w.includes(dir)) return "dns";
  if (w.some((a) => a.endsWith("/observe-main.js")) && w.includes(dir)) return "observer";
  if (w.some((a) => a.startsWith(`${dir}/nginx-`) && a.endsWith("/nginx.conf"))) return "nginx";
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
    try {
      out.push(await down(c, runner));
    } catch (e) {
      // One cluster being brought up does not keep the others.
      if (!(e instanceof ClusterBusyError)) throw e;
      out.push({ cluster: c, namespaces: [], processes: [], leftovers: [e.message] });
    }
  }
  return out;
}

export interface StatusReport {
  cluster: string;
  phase: string;
  createdAt?: string;
  namespaces: { name: string; present: boolean }[];
  processes: { pid: number; role: string; node?: string; alive: boolean; health?: ServerHealth }[];
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
    processes: (rec?.processes ?? []).map((p) => ({
      pid: p.pid,
      role: p.role,
      node: p.node,
      alive: existsSync(`/proc/${p.pid}`),
      ...(p.role === "supervisor" ? { health: supervisorHealth(p) } : p.role === "dns" ? { health: dnsHealth(p) } : {}),
    })),
  };
}
