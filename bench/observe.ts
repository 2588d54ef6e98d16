// `podnet observe` under a flood (issue 17 §6): new TCP connections between pods on two
// nodes (client on worker-1 -> web's pod on worker-2), target 10,000/s, while the observer
// reads conntrack events and NFLOG on both nodes. Root; one run (under the kernel lock):
//   flock /tmp/podnet-kernel.lock node dist/bench/observe.js [seconds] [rate/s]   (cluster BENCH_OBSERVE_CLUSTER, default c1)
// The generator is py/observe_flood.c (non-blocking connects, 1024 in flight, paced to the
// rate; BENCH_OBSERVE_PROCS processes, default 2, sharing rate and in-flight), against its
// own acceptor (as many processes) in the web pod, both compiled here: a Python client made
// ~1,100/s, one C process ~2,400/s on a busy machine. Each connection is SYN, SYN-ACK, ACK, then RST (SO_LINGER 0: no TIME_WAIT to run
// out of ports), so conntrack reports NEW + 3 UPDATEs (SYN_RECV, ESTABLISHED, CLOSE) on each
// of the two nodes it crosses. The flood runs twice: without the observer (what the machine
// can offer) and with it, on another port (the first flood's conntrack entries, CLOSE for
// 10 s, would meet reused source ports, and conntrack may then report no NEW). Prints the
// offered rate, the NEW and ESTABLISHED events seen per node against the connections made, all events, the events lost (conntrack socket overruns and NFLOG
// sequence gaps, both exact), and the CPU the readers and the observer used.
// 2026-12-04, 2 vCPU, kernel 6.18, flannel VXLAN + kube-proxy nftables, 5 s at 10,000/s:
//   (figures in README's observe section)
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ObservedEvent } from "../src/ir/flowlog.js";
import { compileObserve } from "../src/linux/observe-cc.js";
import { ensureObserver, readObserver, type ObserveStatus } from "../src/linux/observe.js";
import { readRecord } from "../src/linux/state.js";

const SECONDS = Number(process.argv[2] ?? 5);
const RATE = Number(process.argv[3] ?? 10000);
const PORT = 9000;
/** Generator (and acceptor) processes: one process got one CPU's scheduler share of a busy machine. */
const PROCS = Number(process.env.BENCH_OBSERVE_PROCS ?? 2);
const RING = 1 << 21;
const bin = fileURLToPath(new URL("../../bin/podnet.js", import.meta.url));
const dir = fileURLToPath(new URL("../../src/linux/testdata/observe/", import.meta.url));
const cluster = process.env.BENCH_OBSERVE_CLUSTER ?? "c1";
const podnet = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

async function status(): Promise<ObserveStatus> {
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

/** CPU seconds (user + system) of the processes whose parent chain reaches `root`, with it. */
function treeCpu(root: number): { self: number; children: number } {
  const ppid = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, "utf8");
      const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
      ppid.set(Number(d), Number(f[1]));
      cpu.set(Number(d), (Number(f[11]) + Number(f[12])) / 100); // utime, stime (USER_HZ 100)
    } catch {
      /* exited */
    }
  }
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [p, pp] of ppid)
      if (tree.has(pp) && !tree.has(p)) {
        tree.add(p);
        grew = true;
      }
  }
  let children = 0;
  for (const p of tree) if (p !== root) children += cpu.get(p) ?? 0;
  return { self: cpu.get(root) ?? 0, children };
}

/** One flood: the acceptor in web, the generator in client; returns [completed, failed, seconds]. */
async function flood(tool: string, web: string, port: number): Promise<[number, number, number]> {
  const acc = spawn(
    process.execPath,
    [bin, "exec", "--name", cluster, "web", "--", tool, "accept", String(port), String(SECONDS + 6), String(PROCS)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let accOut = "";
  acc.stdout.on("data", (d: Buffer) => (accOut += d.toString()));
  for (let i = 0; i < 100 && !accOut.includes("listening"); i++) await new Promise((r) => setTimeout(r, 50));
  if (!accOut.includes("listening")) throw new Error("the acceptor did not start");
  // Async, as the acceptor: this process reads the acceptor meanwhile.
  const gen = spawn(
    process.execPath,
    [
      bin,
      "exec",
      "--name",
      cluster,
      "client",
      "--",
      tool,
      "connect",
      web,
      String(port),
      String(SECONDS),
      String(RATE),
      "1024",
      String(PROCS),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  gen.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((res) => gen.on("exit", res));
  acc.kill("SIGTERM");
  if (code !== 0) throw new Error(`the generator exited with ${code}`);
  const [done, fail, secs] = out.trim().split(/\s+/).map(Number);
  return [done, fail, secs];
}

async function main(): Promise<void> {
  podnet("down", "--name", cluster);
  const tmp = mkdtempSync(join(tmpdir(), "podnet-observe-bench-"));
  const up = podnet("up", "--name", cluster, "-f", `${dir}manifests.yaml`, "--config", `${dir}cluster.yaml`);
  if (up.status !== 0) throw new Error(up.stderr);
  try {
    const tool = compileObserve("observe_flood", tmp);
    if (!tool.path) throw new Error(tool.error);
    const rec = readRecord(cluster);
    const web = rec?.pods?.find((p) => p.name === "web")?.ip;
    if (!web) throw new Error("no web pod");
    const [d0, f0, s0] = await flood(tool.path, web, PORT);
    process.stdout.write(
      `flood alone (${PROCS} generator processes): ${d0} connections in ${s0.toFixed(2)} s = ${Math.round(d0 / s0)}/s (target ${RATE}/s; ${f0} failed)\n`,
    );

    // A ring that holds the whole flood, read after it: a follower parsing every event on
    // the same 2 CPUs fell behind (its misses are counted, as OBSERVER losses).
    process.env.PODNET_OBSERVE_RING = String(RING);
    await ensureObserver(cluster);
    const obs = readRecord(cluster)?.processes.find((p) => p.role === "observer");
    if (!obs) throw new Error("no observer recorded");
    const before = await status();
    const cpu0 = treeCpu(obs.pid);
    // Another port: the first flood's conntrack entries (CLOSE, 10 s) would take the reused
    // source ports' SYNs, which conntrack then may not report as NEW.
    const [done, fail, secs] = await flood(tool.path, web, PORT + 1);
    await new Promise((res) => setTimeout(res, 1500)); // the readers drain
    const after = await status();
    const cpu1 = treeCpu(obs.pid);
    const newPerNode = new Map<string, number>();
    const estPerNode = new Map<string, number>();
    let all = 0;
    await readObserver(
      cluster,
      { last: after.seen - before.seen, follow: false },
      (e: ObservedEvent) => {
        all++;
        if (e.proto !== "tcp" || e.orig.dst.ip !== web || e.orig.dst.port !== PORT + 1) return;
        if (e.kind === "NEW") newPerNode.set(e.node, (newPerNode.get(e.node) ?? 0) + 1);
        if (e.kind === "UPDATE" && e.state === "ESTABLISHED") estPerNode.set(e.node, (estPerNode.get(e.node) ?? 0) + 1);
      },
      () => {},
    );
    const perNode = [...newPerNode].map(([n, c]) => `${n} ${c}`).join(", ") || "none";
    const estNode = [...estPerNode].map(([n, c]) => `${n} ${c}`).join(", ") || "none";
    const nflog = after.lost - before.lost;
    const ct = (after.conntrackLost ?? 0) - (before.conntrackLost ?? 0);
    const follower = (after.followerLost ?? 0) - (before.followerLost ?? 0);
    const overruns = after.overruns - before.overruns;
    process.stdout.write(
      `observe flood: ${done} connections in ${secs.toFixed(2)} s = ${Math.round(done / secs)}/s (target ${RATE}/s; ${fail} failed)\n` +
        `  NEW events of the flood per node: ${perNode} (expected ${done + fail} on each of 2 nodes); ESTABLISHED ${estNode} (expected ${done})\n` +
        `  events seen ${after.seen - before.seen} (read back ${all}; ring ${RING}), ${((after.seen - before.seen) / secs).toFixed(0)}/s\n` +
        `  EVENTS LOST: conntrack ${ct}, NFLOG ${nflog}, followers ${follower} (exact), unknown-size overruns ${overruns}` +
        `${after.readerErrors.length ? `, reader errors: ${after.readerErrors.join("; ")}` : ""}\n` +
        `  CPU during the flood: readers ${(cpu1.children - cpu0.children).toFixed(2)} s, observer (Node) ${(cpu1.self - cpu0.self).toFixed(2)} s over ${secs.toFixed(1)} s\n`,
    );
  } finally {
    podnet("down", "--name", cluster);
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench observe: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
