// The record of a running cluster under /run/podnet/<cluster>/state.json: what was
// created (namespaces, in order), the processes podnet started (PID + identity), and
// the inputs (files, config, seed) so that status/exec recompute the same IR.
// Written after every creation step (atomically) so that a crash leaves a usable record.

import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { ensureDir, replaceFile } from "./safe-fs.js";
import { join } from "node:path";
import { STATE_ROOT, stateDir } from "./names.js";

export interface ProcessRecord {
  pid: number;
  role: "supervisor" | "bird" | "dns" | "observer" | "nginx";
  node?: string;
  /** /proc/<pid>/cmdline when recorded (NULs as spaces), for display. */
  cmdline: string;
  /** A string the cmdline must contain (the config path: cluster + node) before any kill. */
  marker: string;
  /** /proc/<pid>/stat starttime (clock ticks since boot): a reused PID has another. */
  startTime: string;
}

export interface ClusterRecord {
  cluster: string;
  createdAt: string;
  phase: "creating" | "up" | "failed";
  /** The pid of the `podnet up` that made it. */
  upPid: number;
  /** `files`/`config`: what the cluster is recomputed from (podnet up snapshots them under <state dir>/inputs/); `given`: the paths the user named. */
  inputs: { files: string[]; config?: string; seed?: string; fixture?: boolean; given?: string[] };
  namespaces: string[];
  processes: ProcessRecord[];
  /** What status/exec need without recomputing the IR. */
  nodes?: { name: string; address: string; netns: string }[];
  pods?: {
    namespace: string;
    name: string;
    node: string | null;
    ip: string | null;
    netns: string | null;
    containers: string[];
    ownNetns?: boolean;
    /** Where `podnet exec` runs: a hostNetwork pod's alias of its node's namespace (with
     *  the pod's resolv.conf and hosts under /etc/netns/<alias>); else `netns`. */
    execNetns?: string;
    /** What `hostname` prints in the pod (kubelet's; hostNetwork: the node's name). */
    hostname?: string;
  }[];
}

export function statePath(cluster: string): string {
  return join(stateDir(cluster), "state.json");
}

export function readRecord(cluster: string): ClusterRecord | null {
  try {
    return JSON.parse(readFileSync(statePath(cluster), "utf8")) as ClusterRecord;
  } catch {
    return null;
  }
}

export function writeRecord(rec: ClusterRecord): void {
  ensureDir(stateDir(rec.cluster), 0o700, "/run");
  replaceFile(statePath(rec.cluster), JSON.stringify(rec, null, 2) + "\n", 0o600);
}

export function removeStateDir(cluster: string): void {
  rmSync(stateDir(cluster), { recursive: true, force: true });
}

/** Clusters that have a state directory. */
export function recordedClusters(): string[] {
  if (!existsSync(STATE_ROOT)) return [];
  // A directory without state.json is a crash's leftover: down removes it too. Files
  // beside them are the clusters' locks (lock.ts).
  return readdirSync(STATE_ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
}

// ---------------------------------------------------------------------------
// Process identity

export function procCmdline(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0+$/, "").replace(/\0/g, " ");
  } catch {
    return null;
  }
}

export function procStartTime(pid: number): string | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22; the command (field 2) may contain spaces and is in parentheses.
    return s.slice(s.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

export function identify(
  pid: number,
  role: ProcessRecord["role"],
  marker: string,
  node?: string,
): ProcessRecord | null {
  const cmdline = procCmdline(pid);
  const startTime = procStartTime(pid);
  if (cmdline === null || startTime === null || !cmdline.includes(marker)) return null;
  return { pid, role, node, cmdline, marker, startTime };
}

/** Is the recorded process still that very process (marker in its cmdline, same start time)? exec keeps both. */
export function stillOurs(p: ProcessRecord): boolean {
  const c = procCmdline(p.pid);
  return c !== null && c.includes(p.marker) && procStartTime(p.pid) === p.startTime;
}

/** Stops a recorded process: SIGTERM, then SIGKILL; only after checking it is ours. */
export async function stopProcess(p: ProcessRecord, graceMs = 1000): Promise<"stopped" | "gone" | "not-ours"> {
  if (!stillOurs(p)) return procCmdline(p.pid) === null ? "gone" : "not-ours";
  try {
    process.kill(p.pid, "SIGTERM");
  } catch {
    return "gone";
  }
  const until = Date.now() + graceMs;
  while (Date.now() < until) {
    if (!stillOurs(p)) return "stopped";
    await new Promise((r) => setTimeout(r, 20));
  }
  try {
    if (stillOurs(p)) process.kill(p.pid, "SIGKILL");
  } catch {
    /* exited meanwhile */
  }
  return "stopped";
}

// ---------------------------------------------------------------------------
// The change log of a running cluster: `podnet apply|delete|scale --name` append to
// it, so that every later command (status, exec, verify, the DNS servers) recomputes
// the same state: the recorded inputs, then these changes in order (the control
// plane is deterministic for a given seed). Entries are stored resolved (apply: the
// objects themselves, not the file names; delete pod: the pod's full name).

export interface ChangeEntry {
  at: string;
  /** A `Change` of src/views/diff.ts (kept as JSON here: state.ts imports no model code). */
  change: { op: string } & Record<string, unknown>;
}

export function changesPath(cluster: string): string {
  return join(stateDir(cluster), "changes.json");
}

export function readChanges(cluster: string): ChangeEntry[] {
  try {
    return JSON.parse(readFileSync(changesPath(cluster), "utf8")) as ChangeEntry[];
  } catch {
    return [];
  }
}

export function writeChanges(cluster: string, entries: ChangeEntry[]): void {
  ensureDir(stateDir(cluster), 0o700, "/run");
  replaceFile(changesPath(cluster), JSON.stringify(entries, null, 1) + "\n", 0o600);
}
