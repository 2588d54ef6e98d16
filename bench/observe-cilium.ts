// `podnet observe` on a Cilium cluster under a flood: the BPF programs' events (ring buffer
// cilium_events, bpf_events_reader.c per node) instead of conntrack and NFLOG. Same flood as
// bench/observe.ts (py/observe_flood.c: new TCP connections client on worker-1 → web's pod on
// worker-2, SYN, SYN-ACK, ACK, RST), on src/linux/testdata/bpf-events (Cilium VXLAN, kube-proxy
// replacement). Root; one run under the kernel lock:
//   flock /tmp/podnet-kernel.lock node dist/bench/observe-cilium.js [seconds] [rate/s]
// Prints the rate, the to-endpoint SYN traces at web's node against the connections made
// (Cilium's default aggregation reports each connection's SYN there once), all events, the
// ring's losses (exact: the programs count what did not fit) and the readers' CPU.
// 2026-12-04, 2 vCPU shared (load average 31-35), kernel 6.18: 10,000/s asked, 1,912/s made:
//   9,767 connections, 9,767 to-endpoint SYN traces, 78,116 events (8 per connection: SYN,
//   SYN-ACK, the acceptor's FIN and the client's RST, each to-overlay and to-endpoint), 0 lost,
//   the readers 0.27 s of CPU. Before the reader's output was non-blocking and the ring 8 MiB
//   (4 MiB, blocking stdout), 7,928/s at load 34 lost 69,546 records, each counted.
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
const RING = 1 << 21;
const bin = fileURLToPath(new URL("../../bin/podnet.js", import.meta.url));
const dir = fileURLToPath(new URL("../../src/linux/testdata/bpf-events/", import.meta.url));
const cluster = "ebench";
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

/** CPU seconds (user + system) of `root`'s descendants (the readers). */
function childCpu(root: number): number {
  const ppid = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, "utf8");
      const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
      ppid.set(Number(d), Number(f[1]));
      cpu.set(Number(d), (Number(f[11]) + Number(f[12])) / 100);
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
  let n = 0;
  for (const p of tree) if (p !== root) n += cpu.get(p) ?? 0;
  return n;
}

async function flood(tool: string, web: string): Promise<[number, number, number]> {
  const exec = (pod: string, args: string[]) =>
    spawn(process.execPath, [bin, "exec", "--name", cluster, pod, "--", tool, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
  const acc = exec("web", ["accept", String(PORT), String(SECONDS + 6)]);
  let accOut = "";
  acc.stdout.on("data", (d: Buffer) => (accOut += d.toString()));
  for (let i = 0; i < 100 && !accOut.includes("listening"); i++) await new Promise((r) => setTimeout(r, 50));
  if (!accOut.includes("listening")) throw new Error("the acceptor did not start");
  const gen = exec("client", ["connect", web, String(PORT), String(SECONDS), String(RATE), "1024"]);
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
  const tmp = mkdtempSync(join(tmpdir(), "podnet-observe-cilium-"));
  const up = podnet("up", "--name", cluster, "-f", `${dir}manifests.yaml`, "--config", `${dir}cluster.yaml`);
  if (up.status !== 0) throw new Error(up.stderr);
  try {
    const tool = compileObserve("observe_flood", tmp);
    if (!tool.path) throw new Error(tool.error);
    const web = readRecord(cluster)?.pods?.find((p) => p.name === "web")?.ip;
    if (!web) throw new Error("no web pod");
    process.env.PODNET_OBSERVE_RING = String(RING);
    await ensureObserver(cluster);
    const obs = readRecord(cluster)?.processes.find((p) => p.role === "observer");
    if (!obs) throw new Error("no observer recorded");
    const before = await status();
    const cpu0 = childCpu(obs.pid);
    const [done, fail, secs] = await flood(tool.path, web);
    await new Promise((res) => setTimeout(res, 1500)); // the readers drain
    const after = await status();
    const cpu1 = childCpu(obs.pid);
    let syn = 0;
    let all = 0;
    await readObserver(
      cluster,
      { last: after.seen - before.seen, follow: false },
      (e: ObservedEvent) => {
        all++;
        const c = e.cilium;
        if (c && e.kind === "TRACE" && c.subType === 0 && e.orig.dst.ip === web && e.orig.dst.port === PORT)
          if (e.tcpFlags?.length === 1 && e.tcpFlags[0] === "SYN") syn++;
      },
      () => {},
    );
    const lost = (after.bpfLost ?? 0) - (before.bpfLost ?? 0);
    process.stdout.write(
      `observe flood (Cilium): ${done} connections in ${secs.toFixed(2)} s = ${Math.round(done / secs)}/s (target ${RATE}/s; ${fail} failed)\n` +
        `  to-endpoint SYN traces at web's node: ${syn} (connections made: ${done + fail})\n` +
        `  events seen ${after.seen - before.seen} (read back ${all}), ${((after.seen - before.seen) / secs).toFixed(0)}/s\n` +
        `  EVENTS LOST: PERF_EVENT_RING_BUFFER ${lost}, followers ${(after.followerLost ?? 0) - (before.followerLost ?? 0)}` +
        `${after.readerErrors.length ? `, reader errors: ${after.readerErrors.join("; ")}` : ""}\n` +
        `  readers' CPU during the flood: ${(cpu1 - cpu0).toFixed(2)} s over ${secs.toFixed(1)} s\n`,
    );
  } finally {
    podnet("down", "--name", cluster);
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench observe-cilium: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
