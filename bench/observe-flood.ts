// What bench/observe.ts (conntrack + NFLOG) and bench/observe-cilium.ts (Cilium's ring
// buffer) share: a cluster up from a testdata folder with py/observe_flood.c compiled, the
// flood itself (its acceptor in the web pod, its generator in the client pod), the observer
// started with a ring that holds the whole flood, its status and CPU around one flood, and
// reading the flood's events back. BENCH_OBSERVE_CLUSTER names the cluster instead of the
// bench's own name (two people measuring on one machine).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ObservedEvent } from "../src/ir/flowlog.js";
import { compileObserve } from "../src/linux/observe-cc.js";
import { ensureObserver, readObserver, type ObserveStatus } from "../src/linux/observe.js";
import { readRecord } from "../src/linux/state.js";
import { machineCpu, treeCpu } from "./proc-cpu.js";

const bin = fileURLToPath(new URL("../../bin/podnet.js", import.meta.url));
const podnet = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

/** What one flood asks: its length, its rate, how many generator (and acceptor) processes. */
export interface FloodOptions {
  seconds: number;
  rate: number;
  procs: number;
}

/** One flood's result: connections completed, failed, and the generator's seconds. */
export type FloodResult = [done: number, fail: number, secs: number];

/** A cluster up for a flood: its name, the compiled flood tool and the web pod's IP. */
export interface FloodCluster {
  cluster: string;
  tool: string;
  web: string;
}

/**
 * `podnet up --name NAME` from `testdata`'s manifests.yaml and cluster.yaml (a folder of
 * src/linux/testdata/), the flood tool compiled into a temporary folder, then `body`;
 * `down` and the folder removed after it, also when it throws.
 */
export async function withFloodCluster(
  name: string,
  testdata: string,
  body: (c: FloodCluster) => Promise<void>,
): Promise<void> {
  const cluster = process.env.BENCH_OBSERVE_CLUSTER || name;
  const dir = fileURLToPath(new URL(`../../src/linux/testdata/${testdata}/`, import.meta.url));
  podnet("down", "--name", cluster);
  const tmp = mkdtempSync(join(tmpdir(), `podnet-${cluster}-flood-`));
  const up = podnet("up", "--name", cluster, "-f", `${dir}manifests.yaml`, "--config", `${dir}cluster.yaml`);
  if (up.status !== 0) throw new Error(up.stderr);
  try {
    const tool = compileObserve("observe_flood", tmp);
    if (!tool.path) throw new Error(tool.error);
    const web = readRecord(cluster)?.pods?.find((p) => p.name === "web")?.ip;
    if (!web) throw new Error("no web pod");
    await body({ cluster, tool: tool.path, web });
  } finally {
    podnet("down", "--name", cluster);
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** One flood to web:port: the acceptor in web, the generator in client. */
export async function flood(c: FloodCluster, port: number, o: FloodOptions): Promise<FloodResult> {
  const exec = (pod: string, args: string[]) =>
    spawn(process.execPath, [bin, "exec", "--name", c.cluster, pod, "--", c.tool, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
  const acc = exec("web", ["accept", String(port), String(o.seconds + 6), String(o.procs)]);
  let accOut = "";
  acc.stdout.on("data", (d: Buffer) => (accOut += d.toString()));
  for (let i = 0; i < 100 && !accOut.includes("listening"); i++) await new Promise((r) => setTimeout(r, 50));
  if (!accOut.includes("listening")) throw new Error("the acceptor did not start");
  // Async, as the acceptor: this process reads the acceptor meanwhile.
  const gen = exec("client", [
    "connect",
    c.web,
    String(port),
    String(o.seconds),
    String(o.rate),
    "1024",
    String(o.procs),
  ]);
  let out = "";
  gen.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((res) => gen.on("exit", res));
  acc.kill("SIGTERM");
  if (code !== 0) throw new Error(`the generator exited with ${code}`);
  const [done, fail, secs] = out.trim().split(/\s+/).map(Number);
  return [done, fail, secs];
}

/** The observer's status (seen, lost, overruns, reader errors). */
async function status(cluster: string): Promise<ObserveStatus> {
  let s: ObserveStatus | undefined;
  await readObserver(
    cluster,
    { last: 0, follow: false },
    () => {},
    (x) => (s = x),
  );
  if (!s) throw new Error("the observer sent no status");
  return s;
}

/** One flood under the observer: its status before and after, and the CPU it used meanwhile. */
export interface ObservedFlood {
  flood: FloodResult;
  before: ObserveStatus;
  after: ObserveStatus;
  /** CPU seconds during the flood: the readers (the observer's children) and the observer (Node). */
  cpu: { readers: number; observer: number };
  /** The machine's CPU seconds left idle during the flood (its generator's seconds; all CPUs). */
  idle: number;
}

/**
 * The observer started with a ring of `ring` events (one that holds the whole flood, read
 * after it: a follower parsing every event on the same 2 CPUs fell behind, its misses
 * counted as OBSERVER losses), then one flood, then 1.5 s for the readers to drain.
 */
export async function observedFlood(
  c: FloodCluster,
  ring: number,
  port: number,
  o: FloodOptions,
): Promise<ObservedFlood> {
  process.env.PODNET_OBSERVE_RING = String(ring);
  await ensureObserver(c.cluster);
  const obs = readRecord(c.cluster)?.processes.find((p) => p.role === "observer");
  if (!obs) throw new Error("no observer recorded");
  const before = await status(c.cluster);
  const cpu0 = treeCpu(obs.pid);
  const m0 = machineCpu();
  const result = await flood(c, port, o);
  const m1 = machineCpu();
  await new Promise((res) => setTimeout(res, 1500)); // the readers drain
  const after = await status(c.cluster);
  const cpu1 = treeCpu(obs.pid);
  return {
    flood: result,
    before,
    after,
    cpu: { readers: cpu1.children - cpu0.children, observer: cpu1.self - cpu0.self },
    idle: m1.idle - m0.idle,
  };
}

/** Every event the observer saw during the flood, read back from its ring; how many. */
export async function readFloodEvents(
  c: FloodCluster,
  f: ObservedFlood,
  onEvent: (e: ObservedEvent) => void,
): Promise<number> {
  let all = 0;
  await readObserver(
    c.cluster,
    { last: f.after.seen - f.before.seen, follow: false },
    (e) => {
      all++;
      onEvent(e);
    },
    () => {},
  );
  return all;
}

/** Runs a bench's main; an error is printed as `bench NAME: message` with exit code 1. */
export function runFloodBench(name: string, main: () => Promise<void>): void {
  main().catch((e) => {
    process.stderr.write(`bench ${name}: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
