// `podnet observe` under a flood (issue 17 §6): new TCP connections between pods on two
// nodes as fast as one client can open them (target 10,000/s), while the observer reads
// conntrack and NFLOG on both nodes. Prints the rate reached, the events the observer saw
// against the ones the connections must produce, and the events lost (NFLOG sequence
// gaps, conntrack ENOBUFS overruns, reader errors). Root; one run (under the kernel lock):
//   flock /tmp/podnet-kernel.lock node dist/bench/observe.js [seconds]
// Each connection is SYN, SYN-ACK, ACK, then RST (SO_LINGER 0: no TIME_WAIT to run out of
// ports), so conntrack reports NEW + 3 UPDATEs on each of the two nodes it crosses.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ensureObserver, readObserver, type ObserveStatus } from "../src/linux/observe.js";
import { readRecord } from "../src/linux/state.js";

const SECONDS = Number(process.argv[2] ?? 3);
const bin = fileURLToPath(new URL("../../bin/podnet.js", import.meta.url));
const dir = fileURLToPath(new URL("../../src/linux/testdata/observe/", import.meta.url));
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

// Non-blocking connects in a loop, a bounded number in flight; counts completed handshakes.
const FLOOD = `
import socket, struct, selectors, sys, time
ip, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
sel = selectors.DefaultSelector(); done = 0; fail = 0; t0 = time.time(); end = t0 + secs
linger = struct.pack("ii", 1, 0)
while time.time() < end or len(sel.get_map()):
    while time.time() < end and len(sel.get_map()) < 256:
        s = socket.socket(); s.setblocking(False); s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        s.connect_ex((ip, port)); sel.register(s, selectors.EVENT_WRITE)
    for k, _ in sel.select(0.5):
        s = k.fileobj; sel.unregister(s)
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0: done += 1
        else: fail += 1
        s.close()
print(done, fail, time.time() - t0)
`;

async function main(): Promise<void> {
  podnet("down", "--name", cluster);
  const up = podnet("up", "--name", cluster, "-f", `${dir}manifests.yaml`, "--config", `${dir}cluster.yaml`);
  if (up.status !== 0) throw new Error(up.stderr);
  try {
    await ensureObserver(cluster);
    const web = readRecord(cluster)?.pods?.find((p) => p.name === "web")?.ip;
    if (!web) throw new Error("no web pod");
    const before = await status();
    const r = podnet("exec", "--name", cluster, "client", "--", "python3", "-c", FLOOD, web, "8080", String(SECONDS));
    if (r.status !== 0) throw new Error(r.stderr);
    const [done, fail, secs] = r.stdout.trim().split(/\s+/).map(Number);
    await new Promise((res) => setTimeout(res, 1500)); // the readers drain
    const after = await status();
    const seen = after.seen - before.seen;
    const rate = Math.round(done / secs);
    process.stdout.write(
      `observe flood: ${done} connections in ${secs.toFixed(2)} s = ${rate}/s (target 10000/s; ${fail} failed)\n` +
        `  events seen ${seen}, expected at least ${done * 2 * 3} (NEW + SYN_RECV + ESTABLISHED per node; + CLOSE)\n` +
        `  EVENTS LOST: NFLOG ${after.lost - before.lost}, CONNTRACK overruns ${after.overruns - before.overruns}` +
        `${after.readerErrors.length ? `, reader errors: ${after.readerErrors.join("; ")}` : ""}\n`,
    );
  } finally {
    podnet("down", "--name", cluster);
  }
}

main().catch((e) => {
  process.stderr.write(`bench observe: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
