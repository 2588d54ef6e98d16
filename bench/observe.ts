// `podnet observe` under a flood (issue 17 §6): new TCP connections between pods on two
// nodes (client on worker-1 -> web's pod on worker-2), target 10,000/s, while the observer
// reads conntrack events and NFLOG on both nodes. Root; one run (under the kernel lock):
//   flock /tmp/podnet-kernel.lock node dist/bench/observe.js [seconds] [rate/s]
// The cluster, the flood and the observer's figures come from bench/observe-flood.ts (shared
// with observe-cilium.ts). The generator is py/observe_flood.c (non-blocking connects, 1024
// in flight, paced to the rate; BENCH_OBSERVE_PROCS processes, default 2, sharing rate and in-flight), against its
// own acceptor (as many processes) in the web pod, both compiled here: a Python client made
// ~1,100/s, one C process ~2,400/s on a busy machine. Each connection is SYN, SYN-ACK, ACK, then RST (SO_LINGER 0: no TIME_WAIT to run
// out of ports; the acceptor closes its socket only after the RST, sending nothing), so
// conntrack reports NEW + 3 UPDATEs (SYN_RECV, ESTABLISHED, CLOSE) on each of the two nodes
// it crosses: printed per connection by state. The flood runs twice: without the observer (what the machine
// can offer) and with it, on another port (the first flood's conntrack entries, CLOSE for
// 10 s, would meet reused source ports, and conntrack may then report no NEW). Prints the
// offered rate, the NEW and ESTABLISHED events seen per node against the connections made, all events, the events lost (conntrack socket overruns and NFLOG
// sequence gaps, both exact), the CPU the readers and the observer used, and the machine's
// idle CPU during each flood.
// 2026-12-05 (session 13), 2 vCPU shared (load average 2.6-5.2), kernel 6.18, flannel VXLAN
// + kube-proxy nftables, 5 s at 10,000/s: observed 9,327-9,999/s (2 processes) and
// 9,998-9,999/s (4), 0 lost, readers ~0.5 s and observer ~0.7 s of CPU (README's observe section).
import { availableParallelism } from "node:os";
import type { ObservedEvent } from "../src/ir/flowlog.js";
import { flood, observedFlood, readFloodEvents, runFloodBench, withFloodCluster } from "./observe-flood.js";
import { machineCpu } from "./proc-cpu.js";

const SECONDS = Number(process.argv[2] ?? 5);
const RATE = Number(process.argv[3] ?? 10000);
const PORT = 9000;
/** Generator (and acceptor) processes: one process got one CPU's scheduler share of a busy machine. */
const PROCS = Number(process.env.BENCH_OBSERVE_PROCS ?? 2);
const RING = 1 << 21;
const CPUS = availableParallelism();
const opts = { seconds: SECONDS, rate: RATE, procs: PROCS };

async function main(): Promise<void> {
  await withFloodCluster("c1", "observe", async (c) => {
    const { web } = c;
    const m0 = machineCpu();
    const [d0, f0, s0] = await flood(c, PORT, opts);
    const idle0 = machineCpu().idle - m0.idle;
    process.stdout.write(
      `flood alone (${PROCS} generator processes): ${d0} connections in ${s0.toFixed(2)} s = ${Math.round(d0 / s0)}/s (target ${RATE}/s; ${f0} failed)\n` +
        `  machine idle ${idle0.toFixed(2)} CPU-s of ${(s0 * CPUS).toFixed(1)}\n`,
    );
    // Another port: the first flood's conntrack entries (CLOSE, 10 s) would take the reused
    // source ports' SYNs, which conntrack then may not report as NEW.
    const o = await observedFlood(c, RING, PORT + 1, opts);
    const { before, after } = o;
    const [done, fail, secs] = o.flood;
    const newPerNode = new Map<string, number>();
    const estPerNode = new Map<string, number>();
    // What each connection of the flood cost in events, by kind and TCP state (both nodes).
    const byState = new Map<string, number>();
    const all = await readFloodEvents(c, o, (e: ObservedEvent) => {
      if (e.proto !== "tcp" || e.orig.dst.ip !== web || e.orig.dst.port !== PORT + 1) return;
      const k = e.kind === "UPDATE" ? (e.state ?? "UPDATE") : e.kind;
      byState.set(k, (byState.get(k) ?? 0) + 1);
      if (e.kind === "NEW") newPerNode.set(e.node, (newPerNode.get(e.node) ?? 0) + 1);
      if (e.kind === "UPDATE" && e.state === "ESTABLISHED") estPerNode.set(e.node, (estPerNode.get(e.node) ?? 0) + 1);
    });
    const perNode = [...newPerNode].map(([n, k]) => `${n} ${k}`).join(", ") || "none";
    const estNode = [...estPerNode].map(([n, k]) => `${n} ${k}`).join(", ") || "none";
    const states = [...byState].map(([k, n]) => `${k} ${(n / Math.max(1, done + fail)).toFixed(2)}`).join(", ");
    const nflog = after.lost - before.lost;
    const ct = (after.conntrackLost ?? 0) - (before.conntrackLost ?? 0);
    const follower = (after.followerLost ?? 0) - (before.followerLost ?? 0);
    const overruns = after.overruns - before.overruns;
    process.stdout.write(
      `observe flood: ${done} connections in ${secs.toFixed(2)} s = ${Math.round(done / secs)}/s (target ${RATE}/s; ${fail} failed)\n` +
        `  NEW events of the flood per node: ${perNode} (expected ${done + fail} on each of 2 nodes); ESTABLISHED ${estNode} (expected ${done})\n` +
        `  the flood's events per connection (both nodes): ${states}\n` +
        `  events seen ${after.seen - before.seen} (read back ${all}; ring ${RING}), ${((after.seen - before.seen) / secs).toFixed(0)}/s\n` +
        `  EVENTS LOST: conntrack ${ct}, NFLOG ${nflog}, followers ${follower} (exact), unknown-size overruns ${overruns}` +
        `${after.readerErrors.length ? `, reader errors: ${after.readerErrors.join("; ")}` : ""}\n` +
        `  CPU during the flood: readers ${o.cpu.readers.toFixed(2)} s, observer (Node) ${o.cpu.observer.toFixed(2)} s over ${secs.toFixed(1)} s` +
        ` (+1.5 s draining); machine idle ${o.idle.toFixed(2)} CPU-s of ${(secs * CPUS).toFixed(1)}\n`,
    );
  });
}

runFloodBench("observe", main);
