// `podnet diagnose FROM TO --name N`: the model's checklist asked again of the running
// cluster's kernel, from inside its namespaces, the way one would by hand
// (https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/): a lookup through
// the pod's resolver, a connection, `ip route get` on every hop the model routes through,
// the neighbour and VXLAN FDB entries the model uses, and the listener (`ss -l`) at the end.
// Each finding says what the model holds and what the kernel shows; where they differ, the
// model is wrong about this cluster or the cluster is not what podnet built (a fault, a
// process down, a hand edit).
//
// The commands run through `KernelIO` (linux/diagnose-io.ts): read-only, in podnet's
// namespaces. The planning and the comparison here do no I/O.

import type { KernelIO } from "../linux/diagnose-io.js";
import type { ProbeKind, ProbeResult } from "../linux/probe.js";
import type { DataplaneIR } from "../ir/types.js";
import type { Step, TracePath, TraceResult } from "../sim/index.js";
import type { Diagnosis } from "./diagnose-types.js";
import { pathOutcome } from "./verify.js";

export interface KernelFinding {
  /** The model check it tests: "dns.resolve", "connect", "path.route", "path.neigh", "path.fdb", "listener". */
  code: string;
  /** What was asked, and where ("route to 10.96.0.10 in pod/default/web-0"). */
  what: string;
  model: string;
  kernel: string;
  /** null: the kernel's answer does not decide it (an empty neighbour cache, a probe that could not run). */
  agree: boolean | null;
}

export interface KernelDiagnosis {
  cluster: string;
  findings: KernelFinding[];
  /** Findings where model and kernel disagree. */
  differ: number;
  ms: number;
}

interface Ctx {
  ir: DataplaneIR;
  io: KernelIO;
  out: KernelFinding[];
}

/** True when `key` was asked already (several paths share hops). */
const once = (asked: Set<string>, key: string) => asked.has(key) || (asked.add(key), false);
const firstLine = (s: string) => s.trim().split("\n")[0] ?? "";

/** The source namespace of the flow: FROM's pod, or the outside client in the underlay. */
function sourceNs(ir: DataplaneIR, conn: TraceResult | undefined): string | undefined {
  const id = conn?.flow.srcNs;
  if (!id) return undefined;
  if (id === "external") return ir.underlay?.ns.id;
  return id;
}

/** The kernel's most frequent outcome names the pod; a UDP answer names it by hostname. */
function kernelOutcomes(r: ProbeResult | undefined): string[] {
  if (!r) return [];
  return Object.keys(r.counts).sort();
}

/** The kernel's outcomes are among the model's ("delivered" without a pod name matches any delivery). */
export function outcomeAgrees(model: string[], kernel: string[]): boolean {
  const norm = (o: string) => (o.startsWith("name ") ? "delivered" : o === "delivered ?" ? "delivered" : o);
  const m = new Set(model.map((o) => (o.startsWith("delivered") ? "delivered" : o)));
  const exact = new Set(model);
  return kernel.every((k) => exact.has(k) || m.has(norm(k)) || (k.startsWith("delivered") && m.has("delivered")));
}

async function checkConnect(
  c: Ctx,
  d: Diagnosis,
  conn: TraceResult,
  src: string,
  ip: string,
): Promise<KernelFinding[]> {
  const udp = d.protocol === "udp";
  if (d.protocol !== "tcp" && !udp) return [];
  const model = [...new Set(conn.paths.filter((p) => p.probability > 0).map((p) => pathOutcome(c.ir, p)))].sort();
  const kind: ProbeKind = udp ? "udp" : "http";
  const port = conn.flow.port ?? d.port ?? 0;
  const r = await c.io.probe(src, {
    id: 0,
    probe: kind,
    dst: ip,
    port,
    tries: Math.max(3, 2 * model.length),
    expect: [],
  });
  const kernel = kernelOutcomes(r);
  return [
    {
      code: "connect",
      what: `${d.protocol} ${ip}:${port} from ${src}`,
      model: model.join(", "),
      kernel: r ? kernel.map((k) => `${k} ×${r.counts[k]}`).join(", ") : "the probe client did not run",
      agree: r ? outcomeAgrees(model, kernel) : null,
    },
  ];
}

async function checkResolve(c: Ctx, d: Diagnosis, src: string, answer: string | undefined): Promise<KernelFinding[]> {
  const name = d.target.name;
  const r = await c.io.probe(src, { id: 0, probe: "resolve", dst: "", port: 0, name, tries: 1, expect: [] });
  const got = kernelOutcomes(r)[0];
  const resolveCheck = d.checks.find((x) => x.code === "dns.resolve");
  const modelOk = resolveCheck?.ok ?? answer !== undefined;
  const kernelOk = got?.startsWith("answer ") ?? false;
  const rightAnswer = !kernelOk || !answer || (got?.slice(7).split(",").includes(answer) ?? false);
  // A warning: some CoreDNS replicas answer, some cannot be reached. kube-proxy picks one at
  // random per query, so one lookup may get the answer or fail (servfail, or not found when
  // glibc goes on down the search list): either agrees, a wrong address does not.
  const intermittent = resolveCheck !== undefined && !resolveCheck.ok && resolveCheck.severity === "warning";
  return [
    {
      code: "dns.resolve",
      what: `getaddrinfo("${name}") in ${src}`,
      model: intermittent
        ? `answer ${answer ?? "?"} or no answer (intermittent)`
        : modelOk
          ? `answer ${answer ?? "?"}`
          : (resolveCheck?.evidence ?? "no answer"),
      kernel: got ?? "the probe client did not run",
      agree: got === undefined ? null : intermittent ? rightAnswer : modelOk === kernelOk && rightAnswer,
    },
  ];
}

/** "route 10.96.0.10: via 10.244.2.1 dev eth0" / "…: dev cni0 (directly connected)" / "…: local …". */
export function modelRoute(detail: string): { dst: string; via?: string; dev?: string; local: boolean } | undefined {
  const m = /^(?:outer )?route (\S+): (.*)$/.exec(detail);
  if (!m) return undefined;
  if (/^local\b/.test(m[2])) return { dst: m[1], local: true };
  const r = /^(?:via (\S+) )?dev (\S+)/.exec(m[2]);
  return r ? { dst: m[1], ...(r[1] ? { via: r[1] } : {}), dev: r[2], local: false } : undefined;
}

/** `ip -o route get` output: "10.96.0.10 via 10.244.2.1 dev eth0 src …" or "local 10.244.1.5 dev lo …". */
export function kernelRoute(out: string): { via?: string; dev?: string; local: boolean; unreachable: boolean } {
  const l = firstLine(out);
  const via = /\bvia (\S+)/.exec(l)?.[1];
  const dev = /\bdev (\S+)/.exec(l)?.[1];
  return { ...(via ? { via } : {}), ...(dev ? { dev } : {}), local: /^local\b/.test(l), unreachable: !dev };
}

function checkRoutes(c: Ctx, paths: TracePath[]): Promise<KernelFinding[]> {
  const asks: Promise<KernelFinding>[] = [];
  const asked = new Set<string>();
  for (const h of paths.flatMap((p) => p.hops)) {
    if (h.ns === "external") continue;
    for (const s of h.steps) {
      if (s.action !== "ROUTED") continue;
      const m = modelRoute(s.detail);
      if (!m || m.local || once(asked, `${h.ns} ${m.dst}`)) continue;
      asks.push(
        c.io.exec(h.ns, ["ip", "-o", "route", "get", m.dst]).then((r) => {
          const k = kernelRoute(r.code === 0 ? r.stdout : "");
          const said = r.code === 0 ? firstLine(r.stdout).replace(/\s+\\\s+.*$/, "") : firstLine(r.stderr);
          return {
            code: "path.route",
            what: `ip route get ${m.dst} in ${h.ns}`,
            model: `${m.via ? `via ${m.via} ` : ""}dev ${m.dev}`,
            kernel: said || "(no answer)",
            agree: !k.unreachable && k.dev === m.dev && (k.via ?? "") === (m.via ?? ""),
          };
        }),
      );
    }
  }
  return Promise.all(asks);
}

/** The ARP steps' neighbours: a PERMANENT entry must be there as the model has it; a learnt one must not have failed. */
function checkNeighbours(c: Ctx, paths: TracePath[]): Promise<KernelFinding[]> {
  const asks: Promise<KernelFinding>[] = [];
  const asked = new Set<string>();
  for (const h of paths.flatMap((p) => p.hops)) {
    if (h.ns === "external" || h.ns === "underlay") continue;
    for (const s of h.steps) {
      if (s.action !== "ARP" || s.object?.kind !== "neigh") continue;
      const m = /^(?:neigh )?(\S+) dev (\S+) lladdr (\S+) (\S+)/.exec(s.object.text);
      if (!m || once(asked, `${h.ns} ${m[1]} ${m[2]}`)) continue;
      const [, ip, dev, mac, st] = m;
      asks.push(
        c.io.exec(h.ns, ["ip", "neigh", "show", "to", ip, "dev", dev]).then((r) => {
          const line = firstLine(r.stdout);
          const kMac = /lladdr (\S+)/.exec(line)?.[1];
          const kSt = line.split(/\s+/).at(-1) ?? "";
          const permanent = st === "PERMANENT";
          let agree: boolean | null;
          if (permanent) agree = kSt === "PERMANENT" && kMac === mac;
          else if (!line)
            agree = null; // not in the cache (yet): resolved on demand
          else agree = !/FAILED|INCOMPLETE/.test(kSt) && (!kMac || kMac === mac);
          return {
            code: "path.neigh",
            what: `neighbour ${ip} on ${dev} in ${h.ns}`,
            model: `${mac} ${st}`,
            kernel: line || (r.code === 0 ? "(not in the cache)" : firstLine(r.stderr)),
            agree,
          };
        }),
      );
    }
  }
  return Promise.all(asks);
}

/** The VXLAN FDB entries the encapsulation used: MAC → VTEP. */
function checkFdb(c: Ctx, paths: TracePath[]): Promise<KernelFinding[]> {
  const asks: Promise<KernelFinding>[] = [];
  const asked = new Set<string>();
  for (const h of paths.flatMap((p) => p.hops))
    for (const s of h.steps) {
      if (s.action !== "ENCAPSULATED" || s.object?.kind !== "fdb") continue;
      const m = /^(?:fdb )?(\S+) dev (\S+) dst (\S+)/.exec(s.object.text);
      if (!m || once(asked, `${h.ns} ${m[1]} ${m[2]}`)) continue;
      const [, mac, dev, dst] = m;
      asks.push(
        c.io.exec(h.ns, ["bridge", "fdb", "show", "dev", dev]).then((r) => {
          const line = r.stdout.split("\n").find((l) => l.startsWith(`${mac} `)) ?? "";
          return {
            code: "path.fdb",
            what: `FDB ${mac} on ${dev} in ${h.ns}`,
            model: `dst ${dst}`,
            kernel: line.trim() || (r.code === 0 ? "(no entry)" : firstLine(r.stderr)),
            agree: new RegExp(`\\bdst ${dst.replace(/\./g, "\\.")}\\b`).test(line),
          };
        }),
      );
    }
  return Promise.all(asks);
}

/** Where the model's paths end: a listener (DELIVERED) or nothing listening (REFUSED) in a pod. */
function checkListeners(c: Ctx, d: Diagnosis, conn: TraceResult): Promise<KernelFinding[]> {
  const ends = new Map<string, { port: number; listens: boolean }>();
  for (const p of conn.paths) {
    const disp = p.disposition;
    const last = p.hops.at(-1);
    if (!last || !last.ns.startsWith("pod/")) continue;
    const port = lastDport(last.steps);
    if (port === undefined) continue;
    if (disp.verdict === "DELIVERED") ends.set(last.ns, { port: disp.port ?? port, listens: true });
    else if (disp.verdict === "REFUSED") ends.set(last.ns, { port, listens: false });
  }
  const flag = d.protocol === "udp" ? "-Hlnu" : "-Hlnt";
  return Promise.all(
    [...ends].map(([ns, e]) =>
      c.io.exec(ns, ["ss", flag, `sport = :${e.port}`]).then((r) => {
        const listens = r.code === 0 && r.stdout.trim() !== "";
        return {
          code: "listener",
          what: `ss ${flag} sport = :${e.port} in ${ns}`,
          model: e.listens ? `listens on ${e.port}` : `nothing listens on ${e.port}`,
          kernel:
            r.code !== 0 ? firstLine(r.stderr) : listens ? firstLine(r.stdout).replace(/\s+/g, " ") : "(no socket)",
          agree: r.code !== 0 ? null : listens === e.listens,
        };
      }),
    ),
  );
}

function lastDport(steps: Step[]): number | undefined {
  for (let i = steps.length - 1; i >= 0; i--) if (steps[i].packet.dport !== undefined) return steps[i].packet.dport;
  return undefined;
}

/**
 * Asks the kernel what the model's diagnosis `d` relied on. `conn` and `ip` are what the
 * checklist traced (diagnose's `seen`); without a connection trace only DNS is asked.
 */
export async function diagnoseKernel(
  cluster: string,
  ir: DataplaneIR,
  d: Diagnosis,
  seen: { conn?: TraceResult; ip?: string },
  io: KernelIO,
): Promise<KernelDiagnosis> {
  const t0 = Date.now();
  const c: Ctx = { ir, io, out: [] };
  const src = sourceNs(ir, seen.conn) ?? (d.from.includes("/") ? `pod/${d.from}` : undefined);
  const dns = src && d.target.kind === "name" && !d.from.startsWith("external") ? checkResolve(c, d, src, seen.ip) : [];
  const conn = seen.conn;
  if (!(conn && src && seen.ip)) c.out.push(...(await dns));
  else {
    // The connection first: it fills the neighbour caches the path checks then read.
    const [asked, connected] = await Promise.all([dns, checkConnect(c, d, conn, src, seen.ip)]);
    const paths = conn.paths.filter((p) => p.probability > 0);
    const found = await Promise.all([
      checkRoutes(c, paths),
      checkNeighbours(c, paths),
      checkFdb(c, paths),
      checkListeners(c, d, conn),
    ]);
    c.out.push(...asked, ...connected, ...found.flat());
  }
  return { cluster, findings: c.out, differ: c.out.filter((f) => f.agree === false).length, ms: Date.now() - t0 };
}
