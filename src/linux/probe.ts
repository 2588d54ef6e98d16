// `podnet verify`'s kernel side: the flows run for real from inside their source's
// network namespace, and the running cluster's IR recomputed from what `podnet up`
// recorded. The planning, the model's expectations and the comparison live in
// questions/verify.ts (no I/O there).
//
// ONE python3 client per source namespace (`ip netns exec NS python3 py/verify_client.py`)
// runs all of that source's flows on a thread pool and prints JSON lines; a few sources
// run at once. Drops cost a bounded timeout (TCP connect 0.5 s, UDP 0.3 s). Traffic goes
// only to pod, Service, node and DNS addresses of the cluster, from inside its namespaces.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import type { ClusterState } from "../control/state.js";
import type { DataplaneIR } from "../ir/types.js";
import { guardCommand } from "./names.js";
import { pythonScript } from "./scripts.js";
import { readRecord } from "./state.js";

/** What the client does for one flow ("name-http": resolve `name`, then HTTP to its first address). */
export type ProbeKind = "http" | "udp" | "dns-udp" | "dns-tcp" | "resolve" | "name-http";

/** One flow as the client runs it (py/verify_client.py reads these fields). */
export interface ProbeRequest {
  id: number;
  probe: ProbeKind;
  dst: string;
  port: number;
  /** At most this many tries; the client stops once it has seen every `expect`ed outcome. */
  tries: number;
  expect: string[];
  /** "resolve", "name-http": the name asked through the pod's resolver. */
  name?: string;
  /** DNS probes: the name queried (any answer with the query's id counts). */
  qname?: string;
}

/** The client's observations of one flow: outcome → count. */
export interface ProbeResult {
  counts: Record<string, number>;
  tries: number;
}

export interface ProbeRunOptions {
  /** Defaults: TCP connect 500 ms, UDP 300 ms. */
  tcpTimeoutMs?: number;
  udpTimeoutMs?: number;
  /** Source namespaces probed at once (default 6). */
  parallel?: number;
  /**
   * The socket probes (http, udp, dns-*) of all sources in a couple of clients, each flow's
   * thread entering its source namespace (py/verify_client.py "netns"), instead of one
   * `ip netns exec … python3` per source: `diagnose --all` asks from every pod.
   */
  shared?: boolean;
}

const SOCKET_PROBES = new Set<ProbeKind>(["http", "udp", "dns-udp", "dns-tcp"]);
/** Shared clients at once, and the threads of each. */
const SHARED_CLIENTS = 2;
const SHARED_WORKERS = 64;

/** Runs every source namespace's probes; a client that failed leaves its error per namespace. */
export async function runProbes(
  bySrc: Map<string, ProbeRequest[]>,
  o: ProbeRunOptions = {},
): Promise<{ results: Map<number, ProbeResult>; errors: Map<string, string> }> {
  const results = new Map<number, ProbeResult>();
  const errors = new Map<string, string>();
  const tcpS = (o.tcpTimeoutMs ?? 500) / 1000;
  const udpS = (o.udpTimeoutMs ?? 300) / 1000;
  const shared = o.shared ? [...bySrc].filter(([, fs]) => fs.every((f) => SOCKET_PROBES.has(f.probe))) : [];
  const sharedNs = new Set(shared.map(([ns]) => ns));
  const srcs = [...bySrc.keys()].filter((ns) => !sharedNs.has(ns));
  const groups: [string, ProbeRequest][][] = Array.from({ length: Math.min(SHARED_CLIENTS, shared.length) }, () => []);
  shared.forEach(([ns, fs], i) => {
    for (const f of fs) groups[i % groups.length].push([ns, f]);
  });
  const sharedRuns = groups.map(async (g) => {
    try {
      const flows = g.map(([ns, f]) => ({ ...f, netns: ns }));
      const m = await runClient(g[0][0], flows, tcpS, udpS, SHARED_WORKERS);
      for (const [k, v] of m) results.set(k, v);
    } catch (e) {
      for (const [ns] of g) errors.set(ns, (e as Error).message);
    }
  });
  let next = 0;
  const worker = async () => {
    while (next < srcs.length) {
      const ns = srcs[next++];
      try {
        const m = await runClient(ns, bySrc.get(ns)!, tcpS, udpS);
        for (const [k, v] of m) results.set(k, v);
      } catch (e) {
        errors.set(ns, (e as Error).message);
      }
    }
  };
  await Promise.all([...sharedRuns, ...Array.from({ length: Math.min(o.parallel ?? 6, srcs.length) }, worker)]);
  return { results, errors };
}

/**
 * The system's python3 (the Debian package the tests install) as the supervisor starts it:
 * a `python3` found first on PATH may be a version manager's shim (pyenv's costs ~2 s a
 * start on a loaded machine, and diagnose --name starts one per probe).
 */
export const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

function runClient(
  netns: string,
  probes: (ProbeRequest & { netns?: string })[],
  tcpS: number,
  udpS: number,
  workers = 24,
): Promise<Map<number, ProbeResult>> {
  const argv = ["ip", "netns", "exec", netns, PYTHON, pythonScript("verify_client.py")];
  guardCommand(argv);
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    c.stdout.on("data", (d) => (out += d));
    c.stderr.on("data", (d) => (err += d));
    c.on("error", reject);
    c.on("close", (code) => {
      const m = new Map<number, ProbeResult>();
      for (const line of out.split("\n")) {
        if (!line.trim()) continue;
        try {
          const j = JSON.parse(line) as { id: number } & ProbeResult;
          m.set(j.id, j);
        } catch {
          /* a partial line from a crash: the flow is reported missing */
        }
      }
      if (code !== 0 && m.size === 0)
        reject(
          new Error(`probe client in ${netns} failed (exit ${code}): ${err.trim().split("\n").slice(-3).join(" | ")}`),
        );
      else resolve(m);
    });
    c.stdin.end(JSON.stringify({ tcp: tcpS, udp: udpS, workers, flows: probes }));
  });
}

/** The IR and state of a running cluster, recomputed from what `podnet up` recorded. */
export async function recompute(cluster: string): Promise<{ ir: DataplaneIR; state?: ClusterState }> {
  const rec = readRecord(cluster);
  if (!rec) throw new Error(`cluster "${cluster}" has no state in /run/podnet/${cluster} (is it up? podnet status)`);
  if (rec.phase !== "up") throw new Error(`cluster "${cluster}" is not up (phase ${rec.phase})`);
  if (rec.inputs.fixture) {
    const { fixtureIR } = await import("./fixture.js");
    return { ir: fixtureIR(cluster) };
  }
  // The cluster as it is now: the recorded inputs, then every live change since `up`.
  const { recordedState } = await import("./live-state.js");
  const { buildIR } = await import("../dataplane/build.js");
  const state = await recordedState(rec);
  return { ir: buildIR(state), state };
}
