// Bringing a cluster's IR up in the kernel and down again (the real network backend).
// up: record → namespaces + infrastructure (underlay, nodes) → per pod: its namespace,
// CNI ADD, its resolv.conf → one supervisor per node. Any failure rolls back.
// down: stop recorded processes (identity checked), delete the cluster's namespaces
// (recorded ∪ found by prefix), remove /etc/netns dirs and the state. Idempotent.

import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { DataplaneIR, NetNs, NftLayer, PodNet } from "../ir/types.js";
import { applyPlan, createRunner, createShellRunner, listNetns, netnsBatch, type Runner } from "./exec.js";
import { ETC_NETNS, STATE_ROOT, stateDir, clusterOfNs, clusterPrefix, nsName, validateClusterName } from "./names.js";
import { podFacingLinks, renderInfra, renderNamespace, stepCommand, type RenderOptions } from "./render.js";
import { cniAdd, cniDel, isCniError, netConfFor } from "./cni.js";
import { reconfigureBird, startBird, waitBgp } from "./bird.js";
import {
  isDnsListener,
  startDns,
  startSupervisor,
  supervisorConfigs,
  type SupervisorConfig,
  type SupervisorReady,
} from "./supervisor.js";
import {
  identify,
  procCmdline,
  readChanges,
  readRecord,
  recordedClusters,
  removeStateDir,
  stillOurs,
  stopProcess,
  writeRecord,
  type ClusterRecord,
  type ProcessRecord,
} from "./state.js";

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
        if (isCniError(res))
          throw new Error(`CNI ADD for pod ${pod.namespace}/${pod.name} failed (code ${res.code}): ${res.msg}`);
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

function podEntry(
  cluster: string,
  ir: DataplaneIR,
  p: PodNet,
  containers?: Map<string, string[]>,
): NonNullable<ClusterRecord["pods"]>[number] {
  return {
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

function writeResolvConf(ns: string, text: string) {
  const dir = `${ETC_NETNS}/${ns}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/resolv.conf`, text);
  // The container's own name service switch, as images ship it: without it `ip netns exec`
  // keeps the host's, whose mdns/resolve modules would ask daemons in the root namespace
  // (and answer *.local, cluster.local included, from outside the cluster).
  writeFileSync(`${dir}/nsswitch.conf`, "hosts: files dns\n");
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
  if (!runner.dryRun)
    report.processes = await Promise.all(
      (rec?.processes ?? []).map(async (p) => ({ pid: p.pid, result: await stopProcess(p) })),
    );
  const prefix = clusterPrefix(cluster);
  const present = new Set(listNetns().filter((n) => n.startsWith(prefix)));
  const recorded = (rec?.namespaces ?? []).filter((n) => clusterOfNs(n) === cluster);
  // Pods before nodes before the underlay: reverse creation order, then any found by prefix.
  const order = [...new Set([...recorded.slice().reverse(), ...[...present].sort().reverse()])];
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
  const etc = existsSync(ETC_NETNS) ? readdirSync(ETC_NETNS).filter((d) => d.startsWith(prefix)) : [];
  if (!runner.dryRun)
    for (const ns of new Set([...order, ...etc])) rmSync(`${ETC_NETNS}/${ns}`, { recursive: true, force: true });
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
    processes: (rec?.processes ?? []).map((p) => ({
      pid: p.pid,
      role: p.role,
      node: p.node,
      alive: existsSync(`/proc/${p.pid}`),
    })),
  };
}

export interface ReconcileReport {
  added: string[];
  removed: string[];
  /** Nodes whose netfilter rules were reloaded (one iptables-restore / nft -f each). */
  reloaded: string[];
  /** Nodes whose BIRD was reconfigured (Calico: their blocks changed). */
  bgp: string[];
  /** DNS servers (CoreDNS pods) that loaded the new state, and those that did not answer in time. */
  dns: { reloaded: string[]; late: string[] };
}

export interface ReconcileOptions {
  cluster: string;
  ir: DataplaneIR;
  /** The IR the kernel holds now: only nodes whose netfilter text differs are reloaded, tables that vanished are deleted, BIRD follows changed blocks. Without it every node is reloaded. */
  previous?: DataplaneIR;
  render?: RenderOptions;
  containers?: Map<string, string[]>;
  log?: (s: string) => void;
  /** Tell the running DNS servers to reload the recorded state (inputs + change log) and wait for them (default true when any runs). */
  reloadDns?: boolean;
}

const podKey = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

/**
 * Brings a running cluster to a new IR, pod by pod (apply/delete/scale), in the order
 * that loses no request a Service could still send to a ready endpoint:
 *   1. removed pods whose name or IP a new pod takes (a StatefulSet pod keeps its name);
 *   2. new pods: namespace, CNI ADD, their servers (a new supervisor generation per node;
 *      CoreDNS pods: a DNS server) — they listen before any rule points at them;
 *   3. netfilter of each node whose rules changed, atomically (iptables-restore replaces
 *      the tables it lists; nft deletes and re-creates its tables in one transaction);
 *      UDP conntrack entries towards removed pods are flushed, as kube-proxy does;
 *   4. the other removed pods (as in Kubernetes: a terminating pod leaves the endpoints,
 *      then it is killed): sockets closed, CNI DEL, namespace deleted;
 *   5. BIRD reconfigured where a node's blocks changed; the DNS servers reload their zone.
 * Nodes and the underlay are not changed here (live.ts refuses changes that would).
 */
export async function reconcile(o: ReconcileOptions): Promise<ReconcileReport> {
  const cluster = validateClusterName(o.cluster);
  const rec = readRecord(cluster);
  if (!rec || rec.phase !== "up") throw new Error(`cluster "${cluster}" is not up`);
  const log = o.log ?? (() => {});
  const runner = createRunner();
  const dir = stateDir(cluster);
  const key = podKey;
  const want = new Map(o.ir.pods.filter((p) => p.ns && p.node).map((p) => [key(p), p]));
  const have = new Map((rec.pods ?? []).filter((p) => p.ownNetns).map((p) => [key(p), p]));
  // A pod whose IP or node changed is a new pod under an old name (the kernel sees a new namespace).
  const removed = [...have.values()].filter((p) => {
    const w = want.get(key(p));
    return !w || w.ip !== p.ip || w.node !== p.node;
  });
  const removedKeys = new Set(removed.map(key));
  const added = [...want.values()].filter((p) => !have.has(key(p)) || removedKeys.has(key(p)));
  const addedKeys = new Set(added.map(key));
  const addedIps = new Set(added.map((p) => p.ip));
  // hostNetwork pods live in their node's namespace: no namespace or CNI of their own, only
  // their listeners (served by their node's supervisor) and their record change.
  const wantHost = new Map(o.ir.pods.filter((p) => !p.ns && p.node && p.hostNetwork).map((p) => [key(p), p]));
  const haveHost = new Map((rec.pods ?? []).filter((p) => !p.ownNetns && p.node).map((p) => [key(p), p]));
  const hostRemoved = [...haveHost.values()].filter((p) => wantHost.get(key(p))?.node !== p.node);
  const hostAdded = [...wantHost.values()].filter(
    (p) => !haveHost.has(key(p)) || hostRemoved.some((r) => key(r) === key(p)),
  );
  for (const p of hostAdded) addedKeys.add(key(p));
  const first = [
    ...removed.filter((p) => addedKeys.has(key(p)) || (p.ip !== null && addedIps.has(p.ip))),
    ...hostRemoved,
  ];
  const later = removed.filter((p) => !first.includes(p));
  const save = () => writeRecord(rec);
  const conf = netConfFor(o.ir);
  const ctx = { cluster, ir: o.ir, runner, render: o.render };
  const dnsServed = rec.processes.some((p) => p.role === "dns");
  const dnsMarker = (k: string) => `${dir} ${k}`;

  const removePods = async (pods: typeof removed) => {
    if (pods.length === 0) return;
    const gone = new Set(pods.map(key));
    // Close their sockets first (a live socket keeps a namespace alive).
    for (const proc of rec.processes.filter((p) => p.role === "supervisor")) {
      const cfgPath = proc.marker;
      let cfg: SupervisorConfig;
      try {
        cfg = JSON.parse(readFileSync(cfgPath, "utf8")) as SupervisorConfig;
      } catch {
        continue;
      }
      const prevRemoved = existsSync(cfgPath.replace(/\.json$/, ".removed"))
        ? (JSON.parse(readFileSync(cfgPath.replace(/\.json$/, ".removed"), "utf8")) as string[])
        : [];
      const mine = cfg.pods.map(key).filter((k) => gone.has(k));
      if (mine.length === 0) continue;
      if (cfg.pods.every((p) => gone.has(key(p)) || prevRemoved.includes(key(p)))) {
        await stopProcess(proc);
        rec.processes = rec.processes.filter((p) => p !== proc);
      } else if (stillOurs(proc)) {
        const file = cfgPath.replace(/\.json$/, ".removed");
        writeFileSync(file, JSON.stringify([...new Set([...prevRemoved, ...mine])]));
        process.kill(proc.pid, "SIGUSR2");
      }
    }
    // CoreDNS pods: their DNS server runs inside the pod's namespace.
    for (const proc of rec.processes.filter(
      (p) => p.role === "dns" && pods.some((x) => p.marker === dnsMarker(key(x))),
    )) {
      await stopProcess(proc);
      rec.processes = rec.processes.filter((p) => p !== proc);
    }
    for (const p of pods) {
      if (!p.netns || !p.ownNetns) continue; // hostNetwork: the node's namespace stays
      await cniDel(
        conf,
        { containerID: containerIdFor(p.namespace, p.name), netns: `/run/netns/${p.netns}`, ifName: "eth0" },
        ctx,
      );
      await runner.run(["ip", "netns", "del", p.netns], "", { allowFail: true });
      rmSync(`${ETC_NETNS}/${p.netns}`, { recursive: true, force: true });
      rec.namespaces = rec.namespaces.filter((n) => n !== p.netns);
    }
    rec.pods = (rec.pods ?? []).filter((p) => !gone.has(key(p)));
    save();
    log(`${pods.length} pods removed: ${[...gone].join(", ")}`);
  };

  // 1.
  await removePods(first);

  // 2. new pods
  const names = added.map((p) => nsName(cluster, p.ns!.id));
  rec.namespaces.push(...names);
  rec.pods = [...(rec.pods ?? []), ...[...added, ...hostAdded].map((p) => podEntry(cluster, o.ir, p, o.containers))];
  save();
  // A replaced hostNetwork pod binds the node's port its predecessor held: let its sockets close.
  if (hostRemoved.length && hostAdded.length) await new Promise((r) => setTimeout(r, 300));
  await netnsBatch(runner, "add", names);
  added.forEach((p, k) => writeResolvConf(names[k], p.resolvConf));
  for (const [k, p] of added.entries()) {
    const res = await cniAdd(
      conf,
      {
        containerID: containerIdFor(p.namespace, p.name),
        netns: `/run/netns/${names[k]}`,
        ifName: p.ns!.links.find((l) => l.peer)?.name ?? "eth0",
        args: { K8S_POD_NAMESPACE: p.namespace, K8S_POD_NAME: p.name },
      },
      { ...ctx, fresh: true },
    );
    if (isCniError(res)) throw new Error(`CNI ADD for pod ${key(p)} failed (code ${res.code}): ${res.msg}`);
  }
  const gen =
    1 +
    Math.max(
      0,
      ...rec.processes
        .filter((p) => p.role === "supervisor")
        .map((p) => Number(/\.(\d+)\.json$/.exec(p.marker)?.[1] ?? 0)),
    );
  for (const cfg of supervisorConfigs(o.ir, cluster, dnsServed ? isDnsListener : undefined)) {
    cfg.pods = cfg.pods.filter((p) => addedKeys.has(key(p)));
    if (cfg.pods.length === 0) continue;
    cfg.generation = gen;
    await startSupervisor(cfg, (p) => {
      rec.processes.push(p);
      save();
    });
  }
  if (dnsServed) {
    // A new CoreDNS pod loads the recorded state (inputs + change log) before it answers.
    await Promise.all(
      added
        .filter((p) => p.listeners.some((l) => isDnsListener(p, l)))
        .map((p) =>
          startDns(cluster, nsName(cluster, p.ns!.id), key(p), (r) => {
            rec.processes.push({ ...r, node: p.node! });
            save();
          }),
        ),
    );
  }
  if (added.length) log(`${added.length} pods added: ${added.map(key).join(", ")}`);

  // 3. netfilter of the nodes whose rules changed (Services' endpoints follow the pods)
  const reloaded: string[] = [];
  if (o.render?.netfilter) {
    const nf = o.render.netfilter;
    const prevNodes = new Map((o.previous?.nodes ?? []).map((n) => [n.name, n]));
    for (const n of o.ir.nodes) {
      const now = netfilterLoads(cluster, n.ns, prevNodes.get(n.name)?.ns, nf);
      if (o.previous) {
        const before = prevNodes.get(n.name);
        const then = before ? netfilterLoads(cluster, before.ns, undefined, nf) : [];
        const same = (a: typeof now, b: typeof now) =>
          JSON.stringify(a.map((x) => [x.tool, x.text])) === JSON.stringify(b.map((x) => [x.tool, x.text]));
        // Compared without the delete prefix (which lists the old tables too).
        if (same(netfilterLoads(cluster, n.ns, undefined, nf), then)) continue;
      }
      for (const s of now) await runner.run(s.argv, s.input);
      if (now.length) reloaded.push(n.name);
    }
    // kube-proxy deletes UDP conntrack entries to endpoints that went away (else a client's
    // flow keeps going to the dead address until it times out).
    const gonePodIps = removed.map((p) => p.ip).filter((ip): ip is string => !!ip && !addedIps.has(ip));
    if (gonePodIps.length) {
      for (const n of o.ir.nodes)
        for (const ip of gonePodIps)
          await runner.run(
            ["ip", "netns", "exec", nsName(cluster, n.ns.id), "conntrack", "-D", "-p", "udp", "--reply-src", ip],
            "",
            { allowFail: true },
          );
    }
    if (reloaded.length) log(`netfilter reloaded on ${reloaded.join(", ")}`);
  }

  // 4.
  await removePods(later);

  // 5. BGP blocks, DNS zones
  const bgp: string[] = [];
  if (o.previous) {
    for (const n of o.ir.nodes) {
      const p = o.previous.nodes.find((x) => x.name === n.name);
      if (
        n.bgp &&
        p?.bgp &&
        JSON.stringify(n.bgp) !== JSON.stringify(p.bgp) &&
        rec.processes.some((x) => x.role === "bird" && x.node === n.name)
      ) {
        await reconfigureBird(cluster, n);
        bgp.push(n.name);
      }
    }
    if (bgp.length) log(`BIRD reconfigured on ${bgp.join(", ")}`);
  }
  const dns = { reloaded: [] as string[], late: [] as string[] };
  if (o.reloadDns !== false) {
    const want = readChanges(cluster).length;
    const servers = rec.processes.filter((p) => p.role === "dns" && stillOurs(p));
    for (const p of servers) process.kill(p.pid, "SIGHUP");
    const until = Date.now() + 15000;
    for (const p of servers) {
      const k = p.marker.slice(dir.length + 1);
      const file = join(dir, `dns-${k.replace(/\//g, "_")}.loaded`);
      let ok = false;
      while (!ok && Date.now() < until) {
        try {
          ok = (JSON.parse(readFileSync(file, "utf8")) as { changes: number }).changes >= want;
        } catch {
          /* not yet written */
        }
        if (!ok) await new Promise((r) => setTimeout(r, 20));
      }
      (ok ? dns.reloaded : dns.late).push(k);
    }
    if (servers.length)
      log(
        `DNS: ${dns.reloaded.length} servers reloaded${dns.late.length ? `, ${dns.late.length} late (${dns.late.join(", ")})` : ""}`,
      );
  }
  save();
  return {
    added: [...added, ...hostAdded].map(key),
    removed: [...removed, ...hostRemoved].map(key),
    reloaded,
    bgp,
    dns,
  };
}

/**
 * The netfilter loads of a node: iptables-restore of its text, nft -f of its text
 * prefixed with deletes of its tables (and of the tables it had before) in the same
 * transaction, so the swap is atomic and a vanished table (the last NetworkPolicy gone) goes.
 */
function netfilterLoads(
  cluster: string,
  ns: NetNs,
  before: NetNs | undefined,
  nf: NonNullable<RenderOptions["netfilter"]>,
): { tool: string; argv: string[]; input: string; text: string }[] {
  const out: { tool: string; argv: string[]; input: string; text: string }[] = [];
  const steps = renderNamespace(cluster, ns, { netfilter: nf }, { devs: podFacingLinks(ns), mode: "except" });
  const prevTables = before?.netfilter.nftables ?? [];
  let nftDone = false;
  for (const s of steps) {
    if (s.kind !== "netfilter") continue;
    const { argv } = stepCommand(s);
    if (s.tool === "nft") {
      nftDone = true;
      out.push({
        tool: s.tool,
        argv,
        text: s.text,
        input: nftReplacePrefix([...prevTables, ...ns.netfilter.nftables]) + s.text,
      });
    } else out.push({ tool: s.tool, argv, text: s.text, input: s.text });
  }
  if (!nftDone && prevTables.some((l) => l.tables.length)) {
    out.push({
      tool: "nft",
      argv: ["ip", "netns", "exec", nsName(cluster, ns.id), "nft", "-f", "-"],
      text: "",
      input: nftReplacePrefix(prevTables),
    });
  }
  return out;
}

/** nft: delete-and-recreate each table in the same transaction (a table must exist to be deleted). */
function nftReplacePrefix(layers: NftLayer[]): string {
  const ids = [...new Set(layers.flatMap((l) => l.tables.map((t) => `${t.family} ${t.name}`)))];
  return ids.map((id) => `table ${id}\ndelete table ${id}\n`).join("");
}
