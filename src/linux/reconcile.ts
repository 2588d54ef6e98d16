// Live apply: a running cluster brought to a new IR, pod by pod (`podnet apply|delete|
// scale --name`, through live.ts). Bringing a cluster up and down is cluster.ts.
// reconcile works from what the record says the kernel holds (pods, processes) towards
// the IR it is given, so the same call undoes a failed change: the previous IR, with
// every node's rules reloaded (live.ts).

import { attachHostNetPod, hostNetAlias } from "./hostnet.js";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { replaceFile } from "./safe-fs.js";
import { updateBpf } from "./bpf.js";
import type { DataplaneIR, Listener, NetNs, NftLayer, PodNet } from "../ir/types.js";
import type { ClusterState } from "../control/state.js";
import {
  isIngressListener,
  nginxBinary,
  stopNginxOf,
  syncIngressProxies,
  type IngressSyncReport,
} from "./ingress-proxy.js";
import { createRunner, netnsBatch, type Runner } from "./exec.js";
import { ETC_NETNS, stateDir, nsName, validateClusterName } from "./names.js";
import { podFacingLinks, renderNamespace, stepCommand, type RenderOptions } from "./render.js";
import { cniDel, netConfFor, type CniContext, type NetConf } from "./cni.js";
import { reconfigureBird } from "./bird.js";
import {
  dnsBase,
  isDnsListener,
  podServices,
  startDns,
  startSupervisor,
  supervisorBase,
  supervisorConfigs,
  type SupervisorConfig,
} from "./supervisor.js";
import { attachPod, containerIdFor, podEntry, writePodFiles, type PodRecord } from "./pod-setup.js";
import { readChanges, readRecord, stillOurs, stopProcess, writeRecord, type ClusterRecord } from "./state.js";

export interface ReconcileReport {
  added: string[];
  removed: string[];
  /** Nodes whose netfilter rules were reloaded (one iptables-restore / nft -f each). */
  reloaded: string[];
  /** Nodes whose BIRD was reconfigured (Calico: their blocks changed). */
  bgp: string[];
  /** Pods kept whose pod servers were restarted on new listeners (a Service's targetPort moved, a port declared). */
  relistened: string[];
  /** DNS servers (CoreDNS pods) that loaded the new state, and those that did not answer in time. */
  dns: { reloaded: string[]; late: string[] };
  /** The ingress controller pods' nginx: started, reloaded (with the reload's ms), stopped. */
  ingress?: IngressSyncReport;
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
  /** Reload every node's rules, whatever `previous` says (a rollback: a node may hold either IR's). */
  reloadAll?: boolean;
  /** Runs the kernel commands (default: a fresh runner); tests pass one that fails on purpose. */
  runner?: Runner;
  /** Nodes whose rules are left as they are (their kube-proxy is down or flushed: `podnet fault`). */
  frozen?: string[];
  /** The model's state behind `ir`: the ingress controller's nginx follows its Ingresses, the pod servers name their Services. */
  state?: ClusterState;
}

/** A step of reconcile failed; `phase` says which (the steps before it were done). */
export class ReconcileError extends Error {
  constructor(
    readonly phase: string,
    override readonly cause: Error,
  ) {
    super(`${phase}: ${cause.message}`);
  }
}

/** Runs one step of reconcile; its error says which step it was. */
async function step<T>(phase: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof ReconcileError) throw e;
    throw new ReconcileError(phase, e instanceof Error ? e : new Error(String(e)));
  }
}

const key = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

/** One reconcile's working set: the record it updates and the tools it uses. */
interface Live {
  cluster: string;
  rec: ClusterRecord;
  dir: string;
  runner: Runner;
  conf: NetConf;
  cni: CniContext;
  log: (s: string) => void;
  save: () => void;
  /** The cluster runs DNS servers (as when the reconcile started: removals stop some). */
  dnsServed: boolean;
  /** nginx serves the ingress controller pods' :80/:443 (the state is known and nginx installed). */
  ingressServed: boolean;
  /** Pod IP → the Services it backs (the new pod servers' answers name them). */
  services?: Map<string, string[]>;
}

/** Which pods go and come, and in which of the two removal rounds a removed pod goes. */
interface PodDiff {
  removed: PodRecord[];
  added: PodNet[];
  hostRemoved: PodRecord[];
  hostAdded: PodNet[];
  addedKeys: Set<string>;
  addedIps: Set<string | null>;
  /** Removed before the new pods start: a new pod takes their name or IP. */
  first: PodRecord[];
  /** Removed after the rules no longer point at them. */
  later: PodRecord[];
}

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
  const runner = o.runner ?? createRunner();
  const live: Live = {
    cluster,
    rec,
    dir: stateDir(cluster),
    runner,
    conf: netConfFor(o.ir),
    cni: { cluster, ir: o.ir, runner, render: o.render },
    log: o.log ?? (() => {}),
    save: () => writeRecord(rec),
    dnsServed: rec.processes.some((p) => p.role === "dns"),
    ingressServed: !!o.state && nginxBinary() !== null,
    services: o.state ? podServices(o.state) : undefined,
  };
  const d = diffPods(rec, o.ir);
  await step("removing the pods whose name or IP a new pod takes", () => removePods(live, d.first)); // 1.
  await step("adding pods", () => addPods(live, o, d)); // 2.
  // 2a. kept pods whose listeners changed: their servers restarted on the new ones.
  // (Only with the model's state, as live changes and their rollbacks give it: without it
  // the ingress controllers' ports would look like the pod servers' own.)
  const relistened = o.state
    ? await step("restarting the pod servers of pods whose listeners changed", () => relisten(live, o.ir, d))
    : [];
  const reloaded = await reloadNetfilter(live, o, d); // 3.
  // 3a. Cilium: every node's BPF maps to the new IR (new entries, then the switch, then
  // stale ones deleted: bpf.ts), and the new pods' lxc programs attached.
  await step("updating the BPF maps", () => updateBpf(runner, cluster, o.ir, new Set(d.added.map(key))));
  await step("moving LoadBalancer IP announcements", () => moveAnnouncements(live, o)); // 3b.
  // 3c. the ingress controller's nginx follows the Ingresses and endpoints (before removed pods go).
  const ingress =
    live.ingressServed && o.state
      ? await step("reloading the ingress controller's nginx", () =>
          syncIngressProxies(cluster, o.state!, o.ir, rec, live.save, live.log),
        )
      : undefined;
  await step("removing pods", () => removePods(live, d.later)); // 4.
  const bgp = await reconfigureBgp(live, o); // 5.
  const dns = { reloaded: [] as string[], late: [] as string[] };
  if (o.reloadDns !== false) await reloadDnsServers(live, dns);
  live.save();
  return {
    added: [...d.added, ...d.hostAdded].map(key),
    removed: [...d.removed, ...d.hostRemoved].map(key),
    reloaded,
    bgp,
    relistened,
    dns,
    ...(ingress ? { ingress } : {}),
  };
}

function diffPods(rec: ClusterRecord, ir: DataplaneIR): PodDiff {
  const want = new Map(ir.pods.filter((p) => p.ns && p.node).map((p) => [key(p), p]));
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
  const wantHost = new Map(ir.pods.filter((p) => !p.ns && p.node && p.hostNetwork).map((p) => [key(p), p]));
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
  return { removed, added, hostRemoved, hostAdded, addedKeys, addedIps, first, later };
}

async function removePods(live: Live, pods: PodRecord[]): Promise<void> {
  if (pods.length === 0) return;
  const { rec, runner } = live;
  const gone = new Set(pods.map(key));
  // Close their sockets first (a live socket keeps a namespace alive).
  await releaseListeners(live, gone);
  await stopNginxOf(live.cluster, rec, [...gone]);
  // CoreDNS pods: their DNS server runs inside the pod's namespace.
  for (const proc of rec.processes.filter(
    (p) => p.role === "dns" && pods.some((x) => p.marker === `${live.dir} ${key(x)}`),
  )) {
    await stopProcess(proc);
    rec.processes = rec.processes.filter((p) => p !== proc);
  }
  for (const p of pods) {
    if (p.execNetns && p.execNetns !== p.netns) {
      // A hostNetwork pod's name of its node's namespace: only the name (a mount) goes.
      await runner.run(["ip", "netns", "del", p.execNetns], "", { allowFail: true });
      rmSync(`${ETC_NETNS}/${p.execNetns}`, { recursive: true, force: true });
      rec.namespaces = rec.namespaces.filter((n) => n !== p.execNetns);
    }
    if (!p.netns || !p.ownNetns) continue; // hostNetwork: the node's namespace stays
    await cniDel(
      live.conf,
      { containerID: containerIdFor(p.namespace, p.name), netns: `/run/netns/${p.netns}`, ifName: "eth0" },
      live.cni,
    );
    await runner.run(["ip", "netns", "del", p.netns], "", { allowFail: true });
    rmSync(`${ETC_NETNS}/${p.netns}`, { recursive: true, force: true });
    rec.namespaces = rec.namespaces.filter((n) => n !== p.netns);
  }
  rec.pods = (rec.pods ?? []).filter((p) => !gone.has(key(p)));
  live.save();
  live.log(`${pods.length} pods removed: ${[...gone].join(", ")}`);
}

/**
 * The supervisors stop serving the `gone` pods: one that serves nothing else stops; the
 * others are told (SIGUSR2) to close those pods' sockets, listed in their .removed file.
 */
async function releaseListeners(live: Live, gone: Set<string>): Promise<void> {
  const { rec } = live;
  for (const proc of rec.processes.filter((p) => p.role === "supervisor")) {
    const cfgPath = proc.marker;
    let cfg: SupervisorConfig;
    try {
      cfg = JSON.parse(readFileSync(cfgPath, "utf8")) as SupervisorConfig;
    } catch {
      continue;
    }
    const removedFile = cfgPath.replace(/\.json$/, ".removed");
    const prevRemoved = existsSync(removedFile) ? (JSON.parse(readFileSync(removedFile, "utf8")) as string[]) : [];
    const mine = cfg.pods.map(key).filter((k) => gone.has(k));
    if (mine.length === 0) continue;
    if (cfg.pods.every((p) => gone.has(key(p)) || prevRemoved.includes(key(p)))) {
      await stopProcess(proc);
      rec.processes = rec.processes.filter((p) => p !== proc);
    } else if (stillOurs(proc)) {
      replaceFile(removedFile, JSON.stringify([...new Set([...prevRemoved, ...mine])]));
      signal(proc.pid, "SIGUSR2");
    }
  }
}

/** New pods: namespaces, CNI ADD, then their servers (they listen before any rule points at them). */
async function addPods(live: Live, o: ReconcileOptions, d: PodDiff): Promise<void> {
  const { cluster, rec } = live;
  const names = d.added.map((p) => nsName(cluster, p.ns!.id));
  rec.namespaces.push(...names);
  rec.pods = [
    ...(rec.pods ?? []),
    ...[...d.added, ...d.hostAdded].map((p) => podEntry(cluster, o.ir, p, o.containers)),
  ];
  live.save();
  // A replaced hostNetwork pod binds the node's port its predecessor held: let its sockets close.
  if (d.hostRemoved.length && d.hostAdded.length) await new Promise((r) => setTimeout(r, 300));
  await netnsBatch(live.runner, "add", names);
  d.added.forEach((p, k) => writePodFiles(names[k], p));
  // hostNetwork pods: their name of the node's namespace, with their files (hostnet.ts).
  for (const p of d.hostAdded) {
    rec.namespaces.push(hostNetAlias(cluster, p));
    live.save();
    writePodFiles(await attachHostNetPod(live.runner, cluster, o.ir, p), p);
  }
  for (const [k, p] of d.added.entries())
    await attachPod(
      live.conf,
      p,
      names[k],
      { K8S_POD_NAMESPACE: p.namespace, K8S_POD_NAME: p.name },
      { ...live.cni, fresh: true },
    );
  await startAddedSupervisors(live, o.ir, d.addedKeys);
  if (live.dnsServed) {
    // A new CoreDNS pod loads the recorded state (inputs + change log) before it answers.
    await Promise.all(
      d.added
        .filter((p) => p.listeners.some((l) => isDnsListener(p, l)))
        .map((p) =>
          startDns(cluster, nsName(cluster, p.ns!.id), key(p), (r) => {
            rec.processes.push({ ...r, node: p.node! });
            live.save();
          }),
        ),
    );
  }
  if (d.added.length) live.log(`${d.added.length} pods added: ${d.added.map(key).join(", ")}`);
}

/** The listeners the pod servers should serve (DNS and ingress ports have servers of their own). */
function servedConfigs(live: Live, ir: DataplaneIR): SupervisorConfig[] {
  const skip = (p: PodNet, l: Listener) =>
    (live.dnsServed && isDnsListener(p, l)) || (live.ingressServed && isIngressListener(p, l));
  return supervisorConfigs(ir, live.cluster, skip, live.services);
}

/** What the recorded pod servers serve now, per pod ("ns/name"): the listeners of its latest entry not removed. */
function servingNow(live: Live): Map<string, Listener[]> {
  const out = new Map<string, Listener[]>();
  const gen = (c: SupervisorConfig) => c.generation ?? 0;
  const cfgs: { cfg: SupervisorConfig; removed: Set<string> }[] = [];
  for (const proc of live.rec.processes.filter((p) => p.role === "supervisor")) {
    try {
      const cfg = JSON.parse(readFileSync(proc.marker, "utf8")) as SupervisorConfig;
      const rm = proc.marker.replace(/\.json$/, ".removed");
      cfgs.push({ cfg, removed: new Set(existsSync(rm) ? (JSON.parse(readFileSync(rm, "utf8")) as string[]) : []) });
    } catch {
      /* no config: serves nothing we know of */
    }
  }
  cfgs.sort((a, b) => gen(a.cfg) - gen(b.cfg));
  for (const { cfg, removed } of cfgs)
    for (const p of cfg.pods) if (!p.host && !removed.has(key(p))) out.set(key(p), p.listeners);
  return out;
}

/**
 * Pods kept by the change whose listeners differ from what their pod server serves (a
 * Service's new targetPort a container that declares no ports is taken to listen on, a
 * declared port changed): their sockets are closed in the server that holds them and a
 * new supervisor generation binds the new ones (binding retries while the old sockets
 * close). A rollback runs the same with the previous IR: the old listeners come back.
 */
async function relisten(live: Live, ir: DataplaneIR, d: PodDiff): Promise<string[]> {
  const now = servingNow(live);
  const want = new Map<string, Listener[]>();
  for (const c of servedConfigs(live, ir)) for (const p of c.pods) if (!p.host) want.set(key(p), p.listeners);
  const gone = new Set([...d.removed, ...d.hostRemoved].map(key));
  const kept = new Set((live.rec.pods ?? []).map(key).filter((k) => !gone.has(k) && !d.addedKeys.has(k)));
  const changed = new Set<string>();
  for (const k of kept) if (socketsOf(now.get(k)) !== socketsOf(want.get(k))) changed.add(k);
  if (changed.size === 0) return [];
  await releaseListeners(live, changed);
  await startAddedSupervisors(live, ir, changed, 3000);
  live.log(`pod servers restarted on new listeners: ${[...changed].join(", ")}`);
  return [...changed];
}

/** A pod's listeners as the server binds and answers them (not which Service assumed one). */
function socketsOf(ls: Listener[] = []): string {
  return ls
    .map((l) => `${l.protocol} ${l.address}:${l.port} ${l.container} ${l.portName ?? ""}`)
    .sort()
    .join("\n");
}

/** A new supervisor generation per node serves the added pods' listeners. */
async function startAddedSupervisors(live: Live, ir: DataplaneIR, addedKeys: Set<string>, bindRetryMs?: number) {
  const { rec } = live;
  const gen =
    1 +
    Math.max(
      0,
      ...rec.processes
        .filter((p) => p.role === "supervisor")
        .map((p) => Number(/\.(\d+)\.json$/.exec(p.marker)?.[1] ?? 0)),
    );
  for (const cfg of servedConfigs(live, ir)) {
    cfg.pods = cfg.pods.filter((p) => addedKeys.has(key(p)));
    if (cfg.pods.length === 0) continue;
    cfg.generation = gen;
    if (bindRetryMs) cfg.bindRetryMs = bindRetryMs;
    // A generation number can come back once its supervisor is gone: not its removals.
    rmSync(`${supervisorBase(cfg)}.removed`, { force: true });
    await startSupervisor(cfg, (p) => {
      rec.processes.push(p);
      live.save();
    });
  }
}

/** Netfilter of the nodes whose rules changed (Services' endpoints follow the pods); returns those nodes. */
async function reloadNetfilter(live: Live, o: ReconcileOptions, d: PodDiff): Promise<string[]> {
  const reloaded: string[] = [];
  if (!o.render?.netfilter) return reloaded;
  const { cluster, runner } = live;
  const nf = o.render.netfilter;
  const prevNodes = new Map((o.previous?.nodes ?? []).map((n) => [n.name, n]));
  for (const n of o.ir.nodes) {
    // kube-proxy stopped there: its rules no longer follow (stale endpoints after a scale).
    if (o.frozen?.includes(n.name)) continue;
    const now = netfilterLoads(cluster, n.ns, prevNodes.get(n.name)?.ns, nf);
    if (o.previous && !o.reloadAll) {
      const before = prevNodes.get(n.name);
      const then = before ? netfilterLoads(cluster, before.ns, undefined, nf) : [];
      const same = (a: typeof now, b: typeof now) =>
        JSON.stringify(a.map((x) => [x.tool, x.text])) === JSON.stringify(b.map((x) => [x.tool, x.text]));
      // Compared without the delete prefix (which lists the old tables too).
      if (same(netfilterLoads(cluster, n.ns, undefined, nf), then)) continue;
    }
    await step(`loading the rules of node ${n.name}`, async () => {
      for (const s of now) await runner.run(s.argv, s.input);
    });
    if (now.length) reloaded.push(n.name);
  }
  // kube-proxy deletes UDP conntrack entries to endpoints that went away (else a client's
  // flow keeps going to the dead address until it times out).
  const gonePodIps = d.removed.map((p) => p.ip).filter((ip): ip is string => !!ip && !d.addedIps.has(ip));
  if (gonePodIps.length) {
    for (const n of o.ir.nodes)
      for (const ip of gonePodIps)
        await runner.run(
          ["ip", "netns", "exec", nsName(cluster, n.ns.id), "conntrack", "-D", "-p", "udp", "--reply-src", ip],
          "",
          { allowFail: true },
        );
  }
  if (reloaded.length) live.log(`netfilter reloaded on ${reloaded.join(", ")}`);
  return reloaded;
}

/**
 * MetalLB layer 2 after a change: a LoadBalancer IP whose election moved (or ended) leaves
 * the old node's eth0 and goes to the new one's (dataplane/build.ts says why it is an
 * address there). The LAN's cached neighbour entry for it is dropped, which is what the new
 * speaker's gratuitous ARP does (metallb internal/layer2/arp.go gratuitous), so the next
 * packet asks again and the new node answers.
 */
async function moveAnnouncements(live: Live, o: ReconcileOptions): Promise<void> {
  const { cluster, runner } = live;
  const before = new Map((o.previous?.nodes ?? []).map((n) => [n.name, new Set(n.announces ?? [])]));
  const all = new Set<string>();
  for (const n of [...o.ir.nodes, ...(o.previous?.nodes ?? [])]) for (const ip of n.announces ?? []) all.add(ip);
  const moved = new Set<string>();
  for (const n of o.ir.nodes) {
    const now = new Set(n.announces ?? []);
    const had = before.get(n.name);
    const ns = nsName(cluster, n.ns.id);
    for (const ip of all) {
      const was = had ? had.has(ip) : undefined; // unknown without the previous IR
      if (now.has(ip) && was !== true) {
        await runner.run(["ip", "-n", ns, "addr", "replace", `${ip}/32`, "dev", "eth0"]);
        moved.add(ip);
      } else if (!now.has(ip) && was !== false) {
        await runner.run(["ip", "-n", ns, "addr", "del", `${ip}/32`, "dev", "eth0"], "", { allowFail: true });
        moved.add(ip);
      }
    }
  }
  const lan = nsName(cluster, o.ir.underlay.ns.id);
  const br = o.ir.underlay.ns.links.find((l) => l.kind === "bridge")?.name;
  if (br)
    for (const ip of moved) await runner.run(["ip", "-n", lan, "neigh", "del", ip, "dev", br], "", { allowFail: true });
  if (moved.size) live.log(`LoadBalancer IPs re-announced: ${[...moved].join(", ")}`);
}

/** BIRD follows the nodes whose blocks changed (Calico); returns those nodes. */
async function reconfigureBgp(live: Live, o: ReconcileOptions): Promise<string[]> {
  const bgp: string[] = [];
  if (!o.previous) return bgp;
  for (const n of o.ir.nodes) {
    const p = o.previous.nodes.find((x) => x.name === n.name);
    if (
      n.bgp &&
      p?.bgp &&
      JSON.stringify(n.bgp) !== JSON.stringify(p.bgp) &&
      live.rec.processes.some((x) => x.role === "bird" && x.node === n.name)
    ) {
      await step(`reconfiguring BIRD on node ${n.name}`, () => reconfigureBird(live.cluster, n));
      bgp.push(n.name);
    }
  }
  if (bgp.length) live.log(`BIRD reconfigured on ${bgp.join(", ")}`);
  return bgp;
}

/** The DNS servers reload the recorded state (SIGHUP); waits until each says it loaded every change. */
async function reloadDnsServers(live: Live, dns: ReconcileReport["dns"]): Promise<void> {
  const { dir } = live;
  const want = readChanges(live.cluster).length;
  const servers = live.rec.processes.filter((p) => p.role === "dns" && stillOurs(p));
  for (const p of servers) signal(p.pid, "SIGHUP");
  const until = Date.now() + 15000;
  for (const p of servers) {
    const k = p.marker.slice(dir.length + 1);
    const file = `${dnsBase(dir, k)}.loaded`;
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
    live.log(
      `DNS: ${dns.reloaded.length} servers reloaded${dns.late.length ? `, ${dns.late.length} late (${dns.late.join(", ")})` : ""}`,
    );
}

/** A signal to a process checked as ours a moment ago (it may have exited since). */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* exited meanwhile */
  }
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
