// The flow observer of a running cluster (the process behind `podnet observe`, as the
// Hubble server is behind `hubble observe`): one reader per node (py/observe_reader.c,
// compiled here at start, or py/observe_reader.py without a C compiler; in the node's
// namespace) feeds a bounded ring of events in memory; clients connect
// to <state dir>/observe.sock and ask for the last N events, and/or to follow. The socket
// carries the readers' event lines prefixed with the node ("<node>\t<line>", parsed by
// the client) and JSON lines for the status.
// Runs in the first node's namespace (started by observe.ts through `ip netns exec`), so
// it is never in the root namespace's network and `podnet down` finds it there.
// argv: state dir, cluster.
import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { FLOW_LOG_GROUP, type ObserveLosses } from "../ir/flowlog.js";
import { bpfEventsReader } from "./bpf-events.js";
import { compileObserve } from "./observe-cc.js";
import { parseReaderLine } from "./observe-parse.js";
import { type Block, EventRing, prefixLines, text } from "./observe-ring.js";
import { pythonScript } from "./scripts.js";
import { replaceFile } from "./safe-fs.js";
import { readRecord } from "./state.js";

const [dir, cluster] = process.argv.slice(2);
/** Events kept (Hubble's default ring holds 4095 flows per node; ours is cluster-wide). */
const RING = Number(process.env.PODNET_OBSERVE_RING) || 65536;
/**
 * The netlink receive buffers: 128 MiB (the kernel doubles it, net/core/sock.c
 * sk_setsockopt SO_RCVBUFFORCE), taken only while events wait. At 4,100 connections/s (54,000
 * events/s) on a busy 2-CPU machine a reader starved of CPU overran 32 MiB (2,743 events lost
 * in 5 s); 128 MiB holds ~5 s of such a flood.
 */
const RCVBUF = 128 << 20;

// The ring keeps the readers' lines as they come, "<node>\t<line>", unparsed: at 10,000
// connections/s (~80,000 events/s on two nodes) parsing each into an object here took
// more CPU than the readers; clients parse what they ask for (readObserver in observe.ts).
// It holds them in the blocks they were read in (observe-ring.ts).
const ring = new EventRing(RING);
const losses: ObserveLosses = { lost: 0, overruns: 0, readerErrors: [] };
/** Exact losses by where: conntrack socket overruns, and events a too-slow follower missed. */
let conntrackLost = 0;
let followerLost = 0;
/** Cilium nodes: records their BPF ring buffer had no room for (exact). */
let bpfLost = 0;
const followers = new Set<Socket>();
const readers: ChildProcess[] = [];
const since = new Date().toISOString();

/** Hands a batch of new events (lines, each ending in "\n") to the followers. */
function follow(batch: string, n: number): void {
  for (const s of followers) {
    // A follower that cannot keep up loses events, counted (never silently).
    if (s.writableLength > 8 << 20) followerLost += n;
    else s.write(batch);
  }
}

function status(): string {
  const st = {
    since,
    seen: ring.head,
    ring: RING,
    nodes: readers.length,
    ...losses,
    conntrackLost,
    followerLost,
    bpfLost,
  };
  return `${JSON.stringify({ status: st })}\n`;
}

/** The C reader, built once for all nodes; null: the Python one (it loses events sooner). */
let cReader: string | null | undefined;

function startReader(node: string, netns: string, onReady: () => void): void {
  if (cReader === undefined) {
    const c = compileObserve("observe_reader", dir);
    cReader = c.path;
    if (c.error) process.stderr.write(`observe: the C reader: ${c.error}; using observe_reader.py\n`);
  }
  const reader = cReader ? [cReader] : ["python3", pythonScript("observe_reader.py")];
  // A Cilium node: its programs' events (bpf-events.ts) instead.
  const bpf = bpfEventsReader(dir, cluster, node);
  const argv = ["netns", "exec", netns, ...(bpf ?? [...reader, String(FLOW_LOG_GROUP), String(RCVBUF)])];
  const child = spawn("ip", argv, { stdio: ["ignore", "pipe", "pipe"] });
  readers.push(child);
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-400);
  });
  // Bytes, not strings: see observe-ring.ts. A line cut by a read waits for the next.
  let partial: Buffer | null = null;
  const prefix = `${node}\t`;
  /** A line that is not an event: the ready mark, a loss, a reader's complaint. */
  const other = (line: string) => {
    const r = parseReaderLine(line, node);
    if (r?.kind === "ready") onReady();
    else if (r?.kind !== "lost") return;
    else if (r.why === "ENOBUFS" && r.count === 0)
      return; // NFLOG: the sequence gap counts it
    else if (r.why === "ENOBUFS")
      losses.overruns += r.count; // conntrack -E: of unknown size
    else if (r.why === "sequence gap")
      losses.lost += r.count; // NFLOG: exact
    else if (r.why === "overrun")
      conntrackLost += r.count; // the C reader's socket drops: exact
    else if (r.why === "ring buffer full")
      bpfLost += r.count; // bpf_events_reader.c: exact
    else losses.readerErrors.push(`${node}: ${r.source}: ${r.why}`);
  };
  child.stdout?.on("data", (chunk: Buffer) => {
    const s = partial ? Buffer.concat([partial, chunk]) : chunk;
    const end = s.lastIndexOf(10);
    if (end < 0) {
      partial = s;
      return;
    }
    partial = end + 1 < s.length ? Buffer.from(s.subarray(end + 1)) : null;
    // The complete lines, s[0, end), go to the ring as one block when all are events: C
    // (conntrack), N (NFLOG) or B (a Cilium node's BPF notification). Otherwise (a loss
    // report, the ready mark: rare) the events are picked out and the rest handled here.
    let n = 0;
    let others = false;
    for (let i = 0; i < end; i = s.indexOf(10, i) + 1) {
      const tag = s[i];
      if (tag === 67 || tag === 78 || tag === 66) n++;
      else others = true;
    }
    let block: Block = s.subarray(0, end);
    if (others) {
      const events: string[] = [];
      for (const line of text(block).split("\n")) {
        const tag = line.charCodeAt(0);
        if (tag === 67 || tag === 78 || tag === 66) events.push(line);
        else other(line);
      }
      block = events.join("\n");
    }
    if (!n) return;
    ring.push(prefix, block, n);
    if (followers.size) follow(prefixLines(prefix, text(block)), n);
  });
  child.on("exit", (code, sig) => {
    if (!stopping) losses.readerErrors.push(`${node}: reader exited with ${sig ?? code}: ${err.trim()}`);
  });
}

let stopping = false;
/** Stops the readers and waits for them (at most 800 ms: `down` gives us 1 s), so nothing outlives us. */
function stop(): void {
  if (stopping) return;
  stopping = true;
  rmSync(join(dir, "observe.sock"), { force: true });
  const running = readers.filter((c) => c.exitCode === null && c.signalCode === null);
  let left = running.length;
  if (left === 0) process.exit(0);
  for (const c of running) {
    c.once("exit", () => {
      if (--left === 0) process.exit(0);
    });
    c.kill("SIGTERM");
  }
  setTimeout(() => process.exit(0), 800).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

/** A client's one request line: {"last": N, "follow": bool}. */
function serve(sock: Socket): void {
  const rl = createInterface({ input: sock });
  rl.once("line", (l) => {
    let req: { last?: number; follow?: boolean } = {};
    try {
      req = JSON.parse(l) as typeof req;
    } catch {
      sock.end(`${JSON.stringify({ error: "bad request" })}\n`);
      return;
    }
    const backlog = ring.last(req.last ?? 0);
    if (backlog) sock.write(backlog);
    sock.write(status());
    if (!req.follow) {
      sock.end();
      return;
    }
    followers.add(sock);
    let lastStatus = "";
    const tick = setInterval(() => {
      const s = status();
      if (s !== lastStatus) sock.write(s);
      lastStatus = s;
    }, 1000);
    sock.on("close", () => {
      followers.delete(sock);
      clearInterval(tick);
    });
  });
  sock.on("error", () => followers.delete(sock));
}

const rec = readRecord(cluster);
if (!rec?.nodes?.length) {
  process.stderr.write(`cluster "${cluster}" has no recorded nodes\n`);
  process.exit(1);
}
let ready = 0;
const nodes = rec.nodes;
const sockPath = join(dir, "observe.sock");
rmSync(sockPath, { force: true });
createServer(serve).listen(sockPath, () => {
  for (const n of nodes)
    startReader(n.name, n.netns, () => {
      if (++ready === nodes.length) replaceFile(join(dir, "observe.ready"), String(process.pid));
    });
});
