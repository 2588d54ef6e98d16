// The kernel side of `podnet diagnose --name N`: read-only commands and verify's probe
// client, run inside the cluster's namespaces (questions/diagnose-kernel.ts plans and
// compares; nothing here decides anything).

import { randomBytes } from "node:crypto";
import { createRunner, type Runner, type RunResult } from "./exec.js";
import { nsName } from "./names.js";
import { type ProbeRequest, type ProbeResult, runProbes } from "./probe.js";

export interface KernelIO {
  /** A read-only command inside the namespace of IR id `nsId` ("pod/default/web-0", "node/worker-1"). */
  exec(nsId: string, argv: string[]): Promise<RunResult>;
  /** One probe of verify's client from `nsId` (undefined when the client could not run). */
  probe(nsId: string, req: ProbeRequest): Promise<ProbeResult | undefined>;
  /** Many probes (unique ids), one client per source namespace, a few namespaces at once. */
  probeMany(bySrc: Map<string, ProbeRequest[]>): Promise<Map<number, ProbeResult>>;
}

/** At most this many `ip netns exec` at once: a pair to a 280-endpoint Service asks ~950 things. */
const PARALLEL = 8;

const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/**
 * exec, batched: the commands asked for one namespace in the same tick run in one shell in
 * it, one after the other, their outputs split by markers; a few namespaces at once. On a
 * 300-pod cluster one pair spawned ~950 `ip netns exec` at the same time (each one a mount
 * namespace and a /sys mount) and took 140 s on 2 CPUs.
 */
export function batchedExec(cluster: string, runner: Runner): KernelIO["exec"] {
  const queued = new Map<string, { argv: string[]; done: (r: RunResult) => void }[]>();
  const waiting: (() => void)[] = [];
  let running = 0;
  const slot = () => (running < PARALLEL ? (running++, Promise.resolve()) : new Promise<void>((r) => waiting.push(r)));
  const free = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  const flush = async (ns: string) => {
    const cmds = queued.get(ns) ?? [];
    queued.delete(ns);
    await slot();
    try {
      if (cmds.length === 1) {
        cmds[0].done(await runner.run(["ip", "netns", "exec", ns, ...cmds[0].argv], "", { allowFail: true }));
        return;
      }
      const m = `@@podnet-${randomBytes(6).toString("hex")}`;
      const script = cmds
        .map(
          (c, i) =>
            `printf '\\n%s\\n' '${m}:${i}'; printf '\\n%s\\n' '${m}:${i}' >&2; ${c.argv.map(quote).join(" ")}; ` +
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
      cmds.forEach((c, i) => {
        const o = cut(r.stdout, i);
        const e = cut(r.stderr, i);
        const rc = o && o.after >= 0 ? /^\n[^\n]*:rc:(\d+)/.exec(r.stdout.slice(o.after)) : null;
        if (!o || !rc) c.done({ code: r.code || 1, stdout: "", stderr: r.stderr.trim() || "the batch did not run" });
        else c.done({ code: Number(rc[1]), stdout: o.body, stderr: e?.body ?? "" });
      });
    } finally {
      free();
    }
  };
  return (nsId, argv) =>
    new Promise((resolve) => {
      const ns = nsName(cluster, nsId);
      const q = queued.get(ns);
      if (q) q.push({ argv, done: resolve });
      else {
        queued.set(ns, [{ argv, done: resolve }]);
        setImmediate(() => void flush(ns));
      }
    });
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
      return (await runProbes(named, { parallel: 12 })).results;
    },
  };
}
