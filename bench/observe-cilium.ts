// `podnet observe` on a Cilium cluster under a flood: the BPF programs' events (ring buffer
// cilium_events, bpf_events_reader.c per node) instead of conntrack and NFLOG. Same flood as
// bench/observe.ts (bench/observe-flood.ts running py/observe_flood.c: new TCP connections
// client on worker-1 → web's pod on worker-2, SYN, SYN-ACK, ACK, RST), on
// src/linux/testdata/bpf-events (Cilium VXLAN, kube-proxy replacement). Root; one run under the kernel lock:
//   flock /tmp/podnet-kernel.lock node dist/bench/observe-cilium.js [seconds] [rate/s]
// Prints the rate, the to-endpoint SYN traces at web's node against the connections made
// (Cilium's default aggregation reports each connection's SYN there once), all events, the
// ring's losses (exact: the programs count what did not fit) and the readers' CPU.
// 2026-12-04, 2 vCPU shared (load average 31-35), kernel 6.18: 10,000/s asked, 1,912/s made:
//   9,767 connections, 9,767 to-endpoint SYN traces, 78,116 events (8 per connection: SYN,
//   SYN-ACK, the acceptor's FIN and the client's RST, each to-overlay and to-endpoint), 0 lost,
//   the readers 0.27 s of CPU. Before the reader's output was non-blocking and the ring 8 MiB
//   (4 MiB, blocking stdout), 7,928/s at load 34 lost 69,546 records, each counted.
// 2026-12-05 (session 13, load average 2.7-3.5): 5,708/s before (readers 4.0 s); after the
//   reader lets records gather 2 ms and the acceptor sends no FIN, 9,458-9,967/s, 6 events
//   a connection (SYN, SYN-ACK, RST, each to-overlay and to-endpoint), 0 lost, readers 0.25-0.30 s.
import type { ObservedEvent } from "../src/ir/flowlog.js";
import { observedFlood, readFloodEvents, runFloodBench, withFloodCluster } from "./observe-flood.js";

const SECONDS = Number(process.argv[2] ?? 5);
const RATE = Number(process.argv[3] ?? 10000);
const PORT = 9000;
const RING = 1 << 21;

async function main(): Promise<void> {
  await withFloodCluster("ebench", "bpf-events", async (c) => {
    const { web } = c;
    const o = await observedFlood(c, RING, PORT, { seconds: SECONDS, rate: RATE, procs: 1 });
    const { before, after } = o;
    const [done, fail, secs] = o.flood;
    let syn = 0;
    const all = await readFloodEvents(c, o, (e: ObservedEvent) => {
      const cil = e.cilium;
      if (cil && e.kind === "TRACE" && cil.subType === 0 && e.orig.dst.ip === web && e.orig.dst.port === PORT)
        if (e.tcpFlags?.length === 1 && e.tcpFlags[0] === "SYN") syn++;
    });
    const lost = (after.bpfLost ?? 0) - (before.bpfLost ?? 0);
    process.stdout.write(
      `observe flood (Cilium): ${done} connections in ${secs.toFixed(2)} s = ${Math.round(done / secs)}/s (target ${RATE}/s; ${fail} failed)\n` +
        `  to-endpoint SYN traces at web's node: ${syn} (connections made: ${done + fail})\n` +
        `  events seen ${after.seen - before.seen} (read back ${all}), ${((after.seen - before.seen) / secs).toFixed(0)}/s\n` +
        `  EVENTS LOST: PERF_EVENT_RING_BUFFER ${lost}, followers ${(after.followerLost ?? 0) - (before.followerLost ?? 0)}` +
        `${after.readerErrors.length ? `, reader errors: ${after.readerErrors.join("; ")}` : ""}\n` +
        `  readers' CPU during the flood: ${o.cpu.readers.toFixed(2)} s over ${secs.toFixed(1)} s\n`,
    );
  });
}

runFloodBench("observe-cilium", main);
