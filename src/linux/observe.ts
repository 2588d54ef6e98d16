// `podnet observe`'s kernel side: starts the cluster's flow observer (observe-main.ts)
// when it is not running, and reads its ring over <state dir>/observe.sock.
//
// Source choice (issue 17 §4): conntrack events (NEW/UPDATE with both tuples: FORWARDED,
// TRANSLATED when they differ, the TCP state) plus NFLOG for drops (the policy chains' and
// kube-proxy's reject rules log to FLOW_LOG_GROUP with a prefix naming why), both read
// inside each node's namespace. Rejected: nftables `meta nftrace` (every rule of every
// packet: far too much at 10,000 connections/s, and it needs trace rules in the IR) and
// the `skb:kfree_skb` tracepoint (kernel-wide, outside podnet's namespaces).
// The observer is started by the first `podnet observe` of a cluster (not by `up`, which
// stays as fast as it was): flows are recorded from then on, as Hubble's from its start.
import { spawn } from "node:child_process";
import { closeSync, existsSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { ObserveLosses, ObservedEvent } from "../ir/flowlog.js";
import { parseReaderLine } from "./observe-parse.js";
import { lockCluster } from "./cluster.js";
import { guardCommand, stateDir } from "./names.js";
import { openAppend } from "./safe-fs.js";
import { identify, readRecord, stillOurs, writeRecord, type ProcessRecord } from "./state.js";

export interface ObserveStatus extends ObserveLosses {
  /** When the observer started (RFC 3339). */
  since: string;
  /** Events seen since then, and the ring's size. */
  seen: number;
  ring: number;
  nodes: number;
  /** Events lost to conntrack socket overruns (exact; `lost` is NFLOG's sequence gaps). */
  conntrackLost?: number;
  /** Events a follower too slow to read them missed (the observer's, counted per event). */
  followerLost?: number;
  /** Cilium nodes: notifications their BPF ring buffer had no room for (exact). */
  bpfLost?: number;
}

function marker(cluster: string): string {
  return `observe-main.js ${stateDir(cluster)} ${cluster}`;
}

/** The cluster's running observer, if any. */
export function runningObserver(cluster: string): ProcessRecord | null {
  return readRecord(cluster)?.processes.find((p) => p.role === "observer" && stillOurs(p)) ?? null;
}

/**
 * Starts the observer unless it runs; returns whether this call started it. Under the
 * cluster's lock (not during an `up` or `down`), recorded so that `podnet down` stops it.
 */
export async function ensureObserver(cluster: string, timeoutMs = 15000): Promise<boolean> {
  if (runningObserver(cluster)) return false;
  const held = await lockCluster(cluster, "getting its flow observer", 5000);
  try {
    const rec = readRecord(cluster);
    if (!rec) throw new Error(`cluster "${cluster}" is not up (no state in /run/podnet/${cluster})`);
    if (rec.phase !== "up") throw new Error(`cluster "${cluster}" is ${rec.phase}, not up`);
    if (runningObserver(cluster)) return false;
    const first = rec.nodes?.[0];
    if (!first) throw new Error(`cluster "${cluster}" has no recorded nodes`);
    const dir = stateDir(cluster);
    const readyPath = join(dir, "observe.ready");
    const logPath = join(dir, "observe.log");
    rmSync(readyPath, { force: true });
    const main = fileURLToPath(new URL("./observe-main.js", import.meta.url));
    const argv = ["ip", "netns", "exec", first.netns, process.execPath, main, dir, cluster];
    guardCommand(argv);
    const log = openAppend(logPath);
    // Detached: it outlives this command; `podnet down` stops it by its recorded PID.
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ["ignore", log, log] });
    closeSync(log);
    const pid = child.pid;
    if (pid === undefined) throw new Error(`cannot start the flow observer of cluster "${cluster}"`);
    let exited: string | null = null;
    child.on("exit", (code, sig) => (exited = `exited with ${sig ?? code}`));
    child.unref();
    let recorded: ProcessRecord | null = null;
    const until = Date.now() + timeoutMs;
    while (Date.now() < until && !exited) {
      if (!recorded) {
        // `ip netns exec` execs node: same PID, the marker in its command line once it has.
        recorded = identify(pid, "observer", marker(cluster), first.name);
        if (recorded) {
          rec.processes.push(recorded);
          writeRecord(rec);
        }
      }
      if (recorded && existsSync(readyPath)) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    let tail = "";
    try {
      tail = readFileSync(logPath, "utf8").split("\n").slice(-6).join("\n");
    } catch {
      /* no log */
    }
    if (!exited) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        /* gone */
      }
    }
    throw new Error(`the flow observer of cluster "${cluster}" did not start: ${exited ?? "timeout"}\n${tail}`);
  } finally {
    held.release();
  }
}

export interface ObserveRequest {
  last: number;
  follow: boolean;
}

/**
 * Reads the observer: the last `last` events, then (follow) new ones until `signal` aborts.
 * `onStatus` gets the losses and counters, after the backlog and whenever they change.
 */
export function readObserver(
  cluster: string,
  req: ObserveRequest,
  onEvent: (e: ObservedEvent) => void,
  onStatus: (s: ObserveStatus) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect(join(stateDir(cluster), "observe.sock"));
    const stop = () => sock.destroy();
    signal?.addEventListener("abort", stop, { once: true });
    sock.on("error", (e) => reject(new Error(`the flow observer of cluster "${cluster}": ${e.message}`)));
    sock.on("close", () => {
      signal?.removeEventListener("abort", stop);
      resolve();
    });
    sock.write(`${JSON.stringify(req)}\n`);
    createInterface({ input: sock }).on("line", (l) => {
      if (l.charCodeAt(0) !== 123) {
        // "<node>\t<reader line>": an event, parsed here rather than in the observer.
        const tab = l.indexOf("\t");
        const r = tab > 0 ? parseReaderLine(l.slice(tab + 1), l.slice(0, tab)) : null;
        if (r?.kind === "event") onEvent(r.event);
        return;
      }
      const m = JSON.parse(l) as { status?: ObserveStatus; error?: string };
      if (m.status) onStatus(m.status);
      else if (m.error) reject(new Error(m.error));
    });
  });
}
