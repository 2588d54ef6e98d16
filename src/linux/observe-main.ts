// The flow observer of a running cluster (the process behind `podnet observe`, as the
// Hubble server is behind `hubble observe`): one reader per node (py/observe_reader.py,
// in the node's namespace) feeds a bounded ring of events in memory; clients connect
// to <state dir>/observe.sock and ask for the last N events, and/or to follow.
// Runs in the first node's namespace (started by observe.ts through `ip netns exec`), so
// it is never in the root namespace's network and `podnet down` finds it there.
// argv: state dir, cluster.
import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { FLOW_LOG_GROUP, type ObserveLosses, type ObservedEvent } from "../ir/flowlog.js";
import { parseReaderLine } from "./observe-parse.js";
import { pythonScript } from "./scripts.js";
import { replaceFile } from "./safe-fs.js";
import { readRecord } from "./state.js";

const [dir, cluster] = process.argv.slice(2);
/** Events kept (Hubble's default ring holds 4095 flows per node; ours is cluster-wide). */
const RING = Number(process.env.PODNET_OBSERVE_RING) || 65536;
/** The netlink receive buffers: 32 MiB, so a burst of 10,000 connections/s fits. */
const RCVBUF = 32 << 20;

const ring: (ObservedEvent | undefined)[] = new Array(RING);
let head = 0; // total events pushed
const losses: ObserveLosses = { lost: 0, overruns: 0, readerErrors: [] };
const followers = new Set<Socket>();
const readers: ChildProcess[] = [];
const since = new Date().toISOString();

function push(e: ObservedEvent): void {
  ring[head % RING] = e;
  head++;
  if (followers.size === 0) return;
  const line = `${JSON.stringify({ event: e })}\n`;
  for (const s of followers) {
    // A follower that cannot keep up loses events, counted (never silently).
    if (s.writableLength > 4 << 20) losses.lost++;
    else s.write(line);
  }
}

function status(): string {
  return `${JSON.stringify({ status: { since, seen: head, ring: RING, nodes: readers.length, ...losses } })}\n`;
}

function startReader(node: string, netns: string, onReady: () => void): void {
  const argv = [
    "netns",
    "exec",
    netns,
    "python3",
    pythonScript("observe_reader.py"),
    String(FLOW_LOG_GROUP),
    String(RCVBUF),
  ];
  const child = spawn("ip", argv, { stdio: ["ignore", "pipe", "pipe"] });
  readers.push(child);
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-400);
  });
  const rl = createInterface({ input: child.stdout! });
  rl.on("line", (l) => {
    const r = parseReaderLine(l, node);
    if (!r) return;
    if (r.kind === "event") push(r.event);
    else if (r.kind === "ready") onReady();
    else if (r.why === "ENOBUFS" && r.count === 0)
      return; // NFLOG: the sequence gap counts it
    else if (r.why === "ENOBUFS") losses.overruns += r.count;
    else if (r.why === "sequence gap") losses.lost += r.count;
    else losses.readerErrors.push(`${node}: ${r.source}: ${r.why}`);
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
    const n = Math.min(Math.max(0, req.last ?? 0), RING, head);
    for (let i = head - n; i < head; i++) sock.write(`${JSON.stringify({ event: ring[i % RING] })}\n`);
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
