// The kernel side of `podnet diagnose --name N`: read-only commands and verify's probe
// client, run inside the cluster's namespaces (questions/diagnose-kernel.ts plans and
// compares; nothing here decides anything).

import { randomBytes } from "node:crypto";
import { createRunner, type Runner, type RunResult } from "./exec.js";
import { nsName } from "./names.js";
import { PYTHON, type ProbeRequest, type ProbeResult, runProbes } from "./probe.js";
import { pythonScript } from "./scripts.js";

export interface KernelIO {
  /** A read-only command inside the namespace of IR id `nsId` ("pod/default/web-0", "node/worker-1"). */
  exec(nsId: string, argv: string[]): Promise<RunResult>;
  /** One probe of verify's client from `nsId` (undefined when the client could not run). */
  probe(nsId: string, req: ProbeRequest): Promise<ProbeResult | undefined>;
  /** Many probes (unique ids), one client per source namespace, a few namespaces at once. */
  probeMany(bySrc: Map<string, ProbeRequest[]>): Promise<Map<number, ProbeResult>>;
}

/** At most this many processes at once: a pair to a 280-endpoint Service asks ~950 things. */
const PARALLEL = 8;

const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/** A bound on the processes running at once, shared by every kind of batch. */
function limiter(n: number): <T>(f: () => Promise<T>) => Promise<T> {
  const waiting: (() => void)[] = [];
  let running = 0;
  return async (f) => {
    if (running < n) running++;
    else await new Promise<void>((r) => waiting.push(r));
    try {
      return await f();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/** Asks made in the same tick under one key are answered by one `run` of them all. */
function tickBatcher<A, R>(run: (key: string, asks: A[]) => Promise<R[]>): (key: string, ask: A) => Promise<R> {
  const queued = new Map<string, { ask: A; done: (r: R) => void }[]>();
  const flush = async (key: string) => {
    const q = queued.get(key) ?? [];
    queued.delete(key);
    const rs = await run(
      key,
      q.map((x) => x.ask),
    );
    q.forEach((x, i) => x.done(rs[i]));
  };
  return (key, ask) =>
    new Promise((done) => {
      const q = queued.get(key);
      if (q) q.push({ ask, done });
      else {
        queued.set(key, [{ ask, done }]);
        setImmediate(() => void flush(key));
      }
    });
}

const IP_LITERAL = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/;
/** iproute2's route types that `ip route get` prints before the address (ip/iproute.c print_route). */
const ROUTE_TYPE = /^(?:local|broadcast|multicast|anycast|unicast|blackhole|unreachable|prohibit|throw|nat)\s+/;

/**
 * `ip -o -force -batch -` of "route get DST" lines: each success prints one line (-o joins
 * the "cache" continuation), each failure its message then "Command failed -:N" on stderr
 * (iproute2 ip/ip.c batch()). Splits that back into one result per destination.
 */
export function splitRouteBatch(dsts: string[], r: RunResult): RunResult[] {
  const failed = new Map<number, string>();
  let msg: string[] = [];
  for (const l of r.stderr.split("\n")) {
    const m = /^Command failed -:(\d+)$/.exec(l.trim());
    if (m) {
      failed.set(Number(m[1]) - 1, msg.join("\n"));
      msg = [];
    } else if (l.trim()) msg.push(l);
  }
  const lines = r.stdout.split("\n").filter((l) => l.trim());
  let next = 0;
  return dsts.map((dst, i) => {
    const err = failed.get(i);
    if (err !== undefined) return { code: 2, stdout: "", stderr: `${err}\n` };
    const line = lines[next++];
    if (line === undefined || line.replace(ROUTE_TYPE, "").split(/\s/)[0] !== dst)
      return {
        code: 1,
        stdout: "",
        stderr: `ip -batch answered out of step for ${dst}: ${msg.join(" ") || "no line"}\n`,
      };
    return { code: 0, stdout: `${line}\n`, stderr: "" };
  });
}

/** `ip neigh show to IP dev DEV`'s line from the whole table's "IP dev DEV lladdr … STATE" lines. */
export function pickNeighbour(table: string, ip: string, dev: string): string {
  const pre = `${ip} dev ${dev} `;
  const l = table.split("\n").find((x) => x.startsWith(pre) || x === pre.trimEnd());
  return l === undefined ? "" : `${ip} ${l.slice(pre.length)}`.trimEnd() + "\n";
}

interface ListenAsk {
  ns: string;
  proto: "tcp" | "udp";
  port: number;
}

/**
 * exec for diagnose's read-only questions, with few processes. Per namespace and tick:
 * every `ip -o route get DST` is one `ip -n NS -o -force -batch -`, every
 * `ip neigh show to IP dev DEV` is answered from one `ip -n NS neigh show`, and the rest run
 * in one shell, their outputs split by markers; `ss -Hln{t,u} sport = :P` in any number of
 * namespaces is one reader process (py/netns_listeners.py, setns(2) then /proc/net). At most
 * 8 processes at once. On a 300-pod cluster one pair spawned ~950 `ip netns exec` at the
 * same time (each one a mount namespace and a /sys mount) and took 140 s on 2 CPUs; with a
 * shell per namespace, 66 s, most of it the 256 `ss` and the node shells' ~100 `ip` each.
 */
export function batchedExec(cluster: string, runner: Runner): KernelIO["exec"] {
  const limit = limiter(PARALLEL);
  const shell = tickBatcher<string[], RunResult>((ns, cmds) => limit(() => shellBatch(runner, ns, cmds)));
  const routes = tickBatcher<string, RunResult>((ns, dsts) =>
    limit(async () => {
      const uniq = [...new Set(dsts)];
      const r = await runner.run(
        ["ip", "-n", ns, "-o", "-force", "-batch", "-"],
        uniq.map((d) => `route get ${d}\n`).join(""),
        { allowFail: true },
      );
      const by = new Map(splitRouteBatch(uniq, r).map((x, i) => [uniq[i], x]));
      return dsts.map((d) => by.get(d)!);
    }),
  );
  const neigh = tickBatcher<{ ip: string; dev: string }, RunResult>((ns, asks) =>
    limit(async () => {
      const r = await runner.run(["ip", "-n", ns, "neigh", "show"], "", { allowFail: true });
      return asks.map((a) =>
        r.code === 0 ? { code: 0, stdout: pickNeighbour(r.stdout, a.ip, a.dev), stderr: "" } : r,
      );
    }),
  );
  const listen = tickBatcher<ListenAsk, RunResult>((_k, asks) => limit(() => listenBatch(runner, asks)));
  return (nsId, argv) => {
    const ns = nsName(cluster, nsId);
    const [a0, a1, a2, a3, a4, a5, a6] = argv;
    if (argv.length === 5 && a0 === "ip" && a1 === "-o" && a2 === "route" && a3 === "get" && IP_LITERAL.test(a4))
      return routes(ns, a4);
    if (argv.length === 7 && a0 === "ip" && a1 === "neigh" && a2 === "show" && a3 === "to" && a5 === "dev")
      return neigh(ns, { ip: a4, dev: a6 });
    const sp = argv.length === 3 && a0 === "ss" && /^sport = :(\d+)$/.exec(a2);
    if (sp && (a1 === "-Hlnt" || a1 === "-Hlnu"))
      return listen("", { ns, proto: a1 === "-Hlnt" ? "tcp" : "udp", port: Number(sp[1]) });
    return shell(ns, argv);
  };
}

/** The commands for one namespace in one shell in it, one after the other, outputs split by markers. */
async function shellBatch(runner: Runner, ns: string, cmds: string[][]): Promise<RunResult[]> {
  if (cmds.length === 1) return [await runner.run(["ip", "netns", "exec", ns, ...cmds[0]], "", { allowFail: true })];
  const m = `@@podnet-${randomBytes(6).toString("hex")}`;
  const script = cmds
    .map(
      (c, i) =>
        `printf '\\n%s\\n' '${m}:${i}'; printf '\\n%s\\n' '${m}:${i}' >&2; ${c.map(quote).join(" ")}; ` +
        `printf '\\n%s\\n' "${m}:rc:$?"; printf '\\n%s\\n' '${m}:end' >&2`,
    )
    .join("\n");
  const r = await runner.run(["ip", "netns", "exec", ns, "sh", "-c", script], "", { allowFail: true });
  const cut = (text: string, i: number) => {
    const a = text.indexOf(`\n${m}:${i}\n`);
    if (a < 0) return null;
    const from = a + m.length + String(i).length + 3;
    const b = text.indexOf(`\n${m}:`, from - 1);
    return { body: text.slice(from, b < 0 ? text.length : b), after: b };
  };
  return cmds.map((_c, i) => {
    const o = cut(r.stdout, i);
    const e = cut(r.stderr, i);
    const rc = o && o.after >= 0 ? /^\n[^\n]*:rc:(\d+)/.exec(r.stdout.slice(o.after)) : null;
    if (!o || !rc) return { code: r.code || 1, stdout: "", stderr: r.stderr.trim() || "the batch did not run" };
    return { code: Number(rc[1]), stdout: o.body, stderr: e?.body ?? "" };
  });
}

/** Listening sockets in many namespaces: one reader, started inside the first of them. */
async function listenBatch(runner: Runner, asks: ListenAsk[]): Promise<RunResult[]> {
  const argv = ["ip", "netns", "exec", asks[0].ns, PYTHON, pythonScript("netns_listeners.py")];
  const input = JSON.stringify({ asks });
  const r = await runner.run(argv, input, { allowFail: true });
  const got = new Map<number, RunResult>();
  for (const l of r.stdout.split("\n")) {
    if (!l.trim()) continue;
    try {
      const j = JSON.parse(l) as { i: number; code: number; out: string; err: string };
      got.set(j.i, { code: j.code, stdout: j.out, stderr: j.err });
    } catch {
      /* a partial line from a crash: that ask is reported unanswered */
    }
  }
  const why = r.stderr.trim().split("\n").slice(-2).join(" | ") || `the listener reader exited ${r.code}`;
  return asks.map((_a, i) => got.get(i) ?? { code: 1, stdout: "", stderr: why });
}

export function kernelIO(cluster: string): KernelIO {
  const runner = createRunner();
  return {
    exec: batchedExec(cluster, runner),
    probe: async (nsId, req) => {
      const { results } = await runProbes(new Map([[nsName(cluster, nsId), [req]]]));
      return results.get(req.id);
    },
    probeMany: async (bySrc) => {
      const named = new Map([...bySrc].map(([id, reqs]) => [nsName(cluster, id), reqs]));
      // Each client mostly waits (timeouts): more of them at once than verify's default.
      return (await runProbes(named, { parallel: 12, shared: true })).results;
    },
  };
}
