// Pod processes: ONE process per node serves every listener of every pod on that node.
//
// Design. A socket belongs to the network namespace it was created in, whatever
// thread later uses it. Node.js cannot setns(2) in-process, but it can serve a
// listening socket it inherits (`server.listen({fd})`, `dgram bind({fd})`). So:
//   1. a short python3 stub (py/supervisor_binder.py; python3 is in the base system; setns through ctypes)
//      enters each pod's namespace (/run/netns/<ns>), creates and binds the pod's
//      sockets (bind errors, e.g. two containers on one port, become events), returns
//      to the node's namespace and
//   2. runs Node.js on supervisor-main.js as its child with those fds inherited, and
//      stays as its watchdog (the recorded process): it restarts a server that dies,
//      with backoff, and counts the restarts in <base>.restarts (status, verify). It
//      holds the listening sockets as well, so a crash loses only open connections.
// Process count: two per node (300 pods on 3 nodes = 6 processes), and no process
// runs in the root namespace's network: the watchdog and the server sit in the node's.
// Rejected: `ip netns exec <pod> node …` per pod (300 Node processes); passing fds to
// a running Node process over a unix socket (Node has no SCM_RIGHTS API); a native
// addon or a compiled C helper (build step at install time).

import { spawn } from "node:child_process";
import { closeSync, existsSync, readFileSync, rmSync } from "node:fs";
import { openAppend, replaceFile } from "./safe-fs.js";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ClusterState } from "../control/state.js";
import type { DataplaneIR, Listener, PodNet } from "../ir/types.js";
import { intToIp, parseCidr } from "../net/ipv4.js";
import { guardCommand, nsName, shortName, stateDir } from "./names.js";
import { pythonScript } from "./scripts.js";
import { identify, procCmdline, readRecord, stillOurs, type ProcessRecord } from "./state.js";

export interface SupervisorPod {
  namespace: string;
  name: string;
  ip: string;
  node: string;
  /** Kernel namespace name of the pod. */
  netns: string;
  listeners: Listener[];
  /** The Services ("ns/name") whose ready endpoints include the pod: its HTTP answers name them. */
  services?: string[];
  /** A node's own listener (the IR's NodeNet.listeners: kube-apiserver), served by apiserver.ts; the certificate's names. */
  host?: { sans: string[] };
}

export interface SupervisorConfig {
  cluster: string;
  node: string;
  /** Pods added to a running cluster get a supervisor of their own (generation 1, 2, …). */
  generation?: number;
  /** The node's namespace: where the supervisor process itself lives. */
  nodeNetns: string;
  stateDir: string;
  pods: SupervisorPod[];
  /** Retry a bind that finds the address in use this long (a restarted pod's old sockets closing). */
  bindRetryMs?: number;
}

/** What a supervisor reports once it serves: its listeners and the errors (events). */
export interface SupervisorReady {
  pid: number;
  serving: { pod: string; container: string; port: number; protocol: string }[];
  events: { type: "Warning"; reason: string; object: string; message: string }[];
}

/**
 * Listeners served by podnet's DNS server instead of the generic pod server: port 53
 * of pods in kube-system (CoreDNS's container ports "dns"/"dns-tcp"). The IR has no
 * field saying "this pod runs CoreDNS"; this is the one place that decides it.
 */
export function isDnsListener(pod: { namespace: string }, l: Listener): boolean {
  return pod.namespace === "kube-system" && l.port === 53;
}

/** Pod IP → the Services ("ns/name") whose EndpointSlices list it, for the pod servers' answers. */
export function podServices(state: ClusterState): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const sl of state.endpointSlices)
    for (const e of sl.endpoints)
      for (const a of e.addresses) {
        const k = `${sl.namespace}/${sl.serviceName}`;
        const l = out.get(a);
        if (!l) out.set(a, [k]);
        else if (!l.includes(k)) l.push(k);
      }
  return out;
}

export function supervisorConfigs(
  ir: DataplaneIR,
  cluster: string,
  skip: (pod: PodNet, l: Listener) => boolean = () => false,
  services?: Map<string, string[]>,
): SupervisorConfig[] {
  const dir = stateDir(cluster);
  return ir.nodes.map((n) => ({
    cluster,
    node: n.name,
    nodeNetns: nsName(cluster, n.ns.id),
    stateDir: dir,
    pods: ir.pods
      // hostNetwork pods listen in their node's namespace, as on a real node.
      .filter((p) => p.node === n.name && p.ip && (p.ns || p.hostNetwork))
      .map((p) => ({
        namespace: p.namespace,
        name: p.name,
        ip: p.ip!,
        node: n.name,
        netns: nsName(cluster, (p.ns ?? n.ns).id),
        listeners: p.listeners.filter((l) => !skip(p, l)),
        ...(services?.get(p.ip!) ? { services: services.get(p.ip!) } : {}),
      }))
      .filter((p) => p.listeners.length > 0)
      .concat(hostEntries(ir, cluster, n)),
  }));
}

/** The node's own listeners as one entry named like kubeadm's static pod (kube-system/kube-apiserver-NODE). */
function hostEntries(ir: DataplaneIR, cluster: string, n: DataplaneIR["nodes"][number]): SupervisorPod[] {
  if (!n.listeners?.length) return [];
  // kubeadm's apiserver certificate names (GetAPIServerAltNames): the node, the `kubernetes`
  // Service's names and first service address, the node address.
  const svcIP = intToIp(parseCidr(ir.serviceSubnet).base + 1);
  // The first pod whose search list names it (not every pod's: 150,000 at scale).
  let domain: string | undefined;
  for (const p of ir.pods) if ((domain = /^search\s.*?\bsvc\.(\S+)/m.exec(p.resolvConf)?.[1])) break;
  const names = ["kubernetes", "kubernetes.default", "kubernetes.default.svc"];
  if (domain) names.push(`kubernetes.default.svc.${domain}`);
  return [
    {
      namespace: "kube-system",
      name: `kube-apiserver-${n.name}`,
      ip: n.address,
      node: n.name,
      netns: nsName(cluster, n.ns.id),
      listeners: n.listeners,
      host: { sans: [n.name, ...names, svcIP, n.address] },
    },
  ];
}

/** Base path of a supervisor's files (.json config, .ready, .log, .removed). */
export function supervisorBase(cfg: Pick<SupervisorConfig, "stateDir" | "node" | "generation">): string {
  // NAME_MAX 255 with the suffixes (".<generation>.removed"): a 253-character node name is cut.
  return join(cfg.stateDir, `supervisor-${shortName(cfg.node, 200)}${cfg.generation ? "." + cfg.generation : ""}`);
}

export function supervisorMainPath(): string {
  return fileURLToPath(new URL("./supervisor-main.js", import.meta.url));
}

/** A node's pod server as its watchdog (the recorded process) reports it. */
export interface ServerHealth {
  /** Times the watchdog restarted the server. */
  restarts: number;
  /** How the last server exited ("signal 9", "exit 70"). */
  lastExit?: string;
  /** The server process serves now (false: the watchdog is gone, or waits to restart it). */
  serving: boolean;
  /** The server's PID (the one to kill to test the watchdog). */
  serverPid?: number;
}

/** The health of a supervisor's server, from its process record (role "supervisor"). */
export function supervisorHealth(p: ProcessRecord): ServerHealth {
  return watchedHealth(p, p.marker.replace(/\.json$/, ""), "supervisor-main.js");
}

/** The health of a CoreDNS pod's DNS server, from its watchdog's record (role "dns"). */
export function dnsHealth(p: ProcessRecord): ServerHealth {
  // The marker is "<state dir> <namespace>/<pod>".
  const cut = p.marker.indexOf(" ");
  const base = dnsBase(p.marker.slice(0, cut), p.marker.slice(cut + 1));
  const h = watchedHealth(p, base, "dns-main.js");
  // A restarted server loads the cluster before it binds :53: serving once it says so.
  if (h.serving) {
    try {
      const ready = JSON.parse(readFileSync(`${base}.ready`, "utf8")) as { pid?: number };
      h.serving = ready.pid === h.serverPid;
    } catch {
      h.serving = false;
    }
  }
  return h;
}

/** What a watchdog wrote to <base>.restarts, checked against the live server it names. */
function watchedHealth(p: ProcessRecord, base: string, main: string): ServerHealth {
  let r: { restarts?: number; lastExit?: string; serverPid?: number } = {};
  try {
    r = JSON.parse(readFileSync(`${base}.restarts`, "utf8"));
  } catch {
    /* not written yet */
  }
  const server = r.serverPid ? procCmdline(r.serverPid) : null;
  const serving = stillOurs(p) && !!server && server.includes(main) && server.includes(p.marker);
  return {
    restarts: r.restarts ?? 0,
    ...(r.lastExit ? { lastExit: r.lastExit } : {}),
    serving,
    ...(r.serverPid ? { serverPid: r.serverPid } : {}),
  };
}

/** Base path of a CoreDNS pod's DNS server files (.ready, .loaded, .restarts, .log). */
export function dnsBase(dir: string, podKey: string): string {
  return join(dir, `dns-${shortName(podKey.replace(/\//g, "_"), 200)}`);
}

/**
 * Pods ("ns/name") whose listeners are not served now, with why: their node's pod server
 * is not running (gone, or waiting to be restarted), or their DNS server is gone.
 */
export function listenersDown(cluster: string): Map<string, string> {
  const down = new Map<string, string>();
  // A CoreDNS pod has both (port 53 by its DNS server, the others by its node's pod
  // server): the DNS reason first, as verify reads it for lookups.
  const add = (key: string, why: string) => {
    const had = down.get(key);
    down.set(key, !had ? why : why.startsWith("DNS") ? `${why}, and ${had}` : `${had}, and ${why}`);
  };
  for (const p of readRecord(cluster)?.processes ?? []) {
    if (p.role === "supervisor") {
      const h = supervisorHealth(p);
      if (h.serving) continue;
      let cfg: SupervisorConfig;
      try {
        cfg = JSON.parse(readFileSync(p.marker, "utf8")) as SupervisorConfig;
      } catch {
        continue;
      }
      const why = `pod server not running${h.restarts ? `; ${h.restarts} restarts, last ${h.lastExit}` : ""}`;
      for (const pod of cfg.pods) add(`${pod.namespace}/${pod.name}`, why);
    } else if (p.role === "dns") {
      const h = dnsHealth(p);
      if (h.serving) continue;
      // Its watchdog alive: the server is being restarted (backoff); gone: nothing restarts it.
      const why = `${stillOurs(p) ? "restarting" : "not running"}${h.restarts ? `; ${h.restarts} restarts, last ${h.lastExit}` : ""}`;
      add(p.marker.slice(p.marker.indexOf(" ") + 1), `DNS server down: ${why}`);
    }
  }
  return down;
}

function python(): string {
  return existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

/**
 * Starts a node's supervisor and waits until it serves. `onSpawn` gets the PID at
 * once (to record it before waiting). Returns the process record and what it serves.
 */
export async function startSupervisor(
  cfg: SupervisorConfig,
  onSpawn?: (record: ProcessRecord) => void,
  timeoutMs = 15000,
): Promise<{ record: ProcessRecord; ready: SupervisorReady }> {
  const base = supervisorBase(cfg);
  const cfgPath = `${base}.json`;
  const readyPath = `${base}.ready`;
  const logPath = `${base}.log`;
  rmSync(readyPath, { force: true });
  replaceFile(cfgPath, JSON.stringify(cfg));
  const log = openAppend(logPath);
  // Detached: it outlives `podnet up`; `podnet down` stops it by recorded PID.
  const child = spawn(
    python(),
    [pythonScript("supervisor_binder.py"), cfgPath, process.execPath, supervisorMainPath()],
    {
      detached: true,
      stdio: ["ignore", log, log],
    },
  );
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start the supervisor of node ${cfg.node}`);
  // Recorded at once (the python stub's cmdline carries the same marker as the Node it becomes).
  // Between fork and exec the child's cmdline is still ours: retry until it carries the marker.
  let recorded = false;
  const tryRecord = () => {
    if (recorded) return;
    const early = identify(pid, "supervisor", cfgPath, cfg.node);
    if (early) {
      recorded = true;
      onSpawn?.(early);
    }
  };
  tryRecord();
  let exited: string | null = null;
  child.on("exit", (code, sig) => (exited = `exited with ${sig ?? code}`));
  child.unref();
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    tryRecord();
    if (existsSync(readyPath)) {
      const ready = JSON.parse(readFileSync(readyPath, "utf8")) as SupervisorReady;
      const record = identify(pid, "supervisor", cfgPath, cfg.node);
      if (!record) throw new Error(`supervisor of node ${cfg.node} (pid ${pid}) vanished`);
      return { record, ready };
    }
    if (exited) break;
    await new Promise((r) => setTimeout(r, 15));
  }
  let tail = "";
  try {
    tail = readFileSync(logPath, "utf8").split("\n").slice(-8).join("\n");
  } catch {
    /* no log */
  }
  throw new Error(`supervisor of node ${cfg.node} (pid ${pid}) did not start: ${exited ?? "timeout"}\n${tail}`);
}

/**
 * Starts podnet's DNS server in a (CoreDNS) pod's namespace under its watchdog
 * (py/dns_watchdog.py: restarts it with backoff, as the pod servers'); waits until it
 * answers. The watchdog is the recorded process; `onSpawn` gets it at once.
 */
export async function startDns(
  cluster: string,
  netns: string,
  podKey: string,
  onSpawn?: (record: ProcessRecord) => void,
  timeoutMs = 20000,
): Promise<ProcessRecord> {
  const dir = stateDir(cluster);
  const base = dnsBase(dir, podKey);
  const readyPath = `${base}.ready`;
  const logPath = `${base}.log`;
  rmSync(readyPath, { force: true });
  rmSync(`${base}.restarts`, { force: true });
  const argv = [
    "ip",
    "netns",
    "exec",
    netns,
    python(),
    pythonScript("dns_watchdog.py"),
    base,
    dir,
    process.execPath,
    fileURLToPath(new URL("./dns-main.js", import.meta.url)),
    dir,
    podKey,
  ];
  guardCommand(argv);
  const log = openAppend(logPath);
  const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ["ignore", log, log] });
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start the DNS server of ${podKey}`);
  let exited: string | null = null;
  child.on("exit", (code, sig) => (exited = `exited with ${sig ?? code}`));
  child.unref();
  // `ip netns exec` execs the watchdog: same PID; the marker is in both command lines (and the server's).
  const marker = `${dir} ${podKey}`;
  let recorded: ProcessRecord | null = null;
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!recorded) {
      recorded = identify(pid, "dns", marker);
      if (recorded) onSpawn?.(recorded);
    }
    if (existsSync(readyPath) && recorded) return identify(pid, "dns", marker) ?? recorded;
    if (exited) break;
    await new Promise((r) => setTimeout(r, 15));
  }
  let tail = "";
  try {
    tail = readFileSync(logPath, "utf8").split("\n").slice(-8).join("\n");
  } catch {
    /* no log */
  }
  throw new Error(`DNS server of ${podKey} (pid ${pid}) did not start: ${exited ?? "timeout"}\n${tail}`);
}
