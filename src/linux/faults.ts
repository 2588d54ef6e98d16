// Named faults on a RUNNING cluster (`podnet fault add|list|clear --name N`): each fault is
// what that failure really is in the namespaces `podnet up` built — the process stopped,
// the chain flushed, the link down, the sysctl set, the FDB entry deleted, the BIRD
// protocol disabled — and `fault clear` puts back exactly what was there.
//
// How: `add` reads the kernel state the fault will change (routes on the link, the
// sysctl's value, the FDB entry, the MTU) and writes the fault with its actions and their
// undo to <state dir>/faults.json (fault-store.ts) BEFORE it touches anything; then it
// does the actions one by one, counting them. A refused step undoes the ones done and
// drops the entry (all or nothing, as live changes, live.ts); a crash leaves the entry
// pending and the next fault command undoes it. The fault also joins the model of the
// running cluster (live-state.ts adds it to config.faults): the rules that follow from it
// (not-ready endpoints) are reconciled like a live change. One fault or change at a time
// (the cluster's change lock). `down` removes everything, faults included.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ClusterState } from "../control/state.js";
import { buildIR } from "../dataplane/build.js";
import type { DataplaneIR } from "../ir/types.js";
import { formatFault, parseFault } from "../manifest/faults.js";
import { waitBgp } from "./bird.js";
import { createRunner, type Runner } from "./exec.js";
import {
  type ActiveFault,
  type FaultAction,
  type FaultStep,
  kubeProxyFrozen,
  readFaults,
  writeFaults,
} from "./fault-store.js";
import { recordedState } from "./live-state.js";
import { lockChanges, RefusedChange, runningCluster } from "./live.js";
import { stateDir } from "./names.js";
import { netfilterRenderers } from "./netfilter.js";
import { reconcile } from "./reconcile.js";
import { readChanges, readRecord, stillOurs, stopProcess, writeRecord, type ClusterRecord } from "./state.js";
import { startDns } from "./supervisor.js";
import { birdRoutes, type Ctx, planFault } from "./fault-plans.js";

export type { ActiveFault } from "./fault-store.js";

/** The kernel refused a step of a fault: what was done is undone (`undoErrors`: what could not be). */
export class FaultFailed extends Error {}

export interface FaultOptions {
  log?: (s: string) => void;
  /** Runs the fault's kernel commands (tests: one that fails on purpose). */
  runner?: Runner;
}

/** The active faults of running cluster `cluster` (pending ones, being added, left out). */
export function listFaults(cluster: string): ActiveFault[] {
  return readFaults(cluster).filter((f) => !f.pending && !f.clearing);
}

/**
 * Adds fault `words` ("veth-down default/web-0") to running cluster `cluster`, for real.
 * Throws RefusedChange before touching anything (unknown fault, node or pod, a fault the
 * cluster cannot have, already active), FaultFailed when the kernel refused a step (undone).
 */
export async function addFault(
  cluster: string,
  words: string | readonly string[],
  o: FaultOptions = {},
): Promise<ActiveFault> {
  const f = parseFault(words);
  if (typeof f === "string") throw new RefusedChange(f);
  await runningCluster(cluster);
  const unlock = await lockChanges(cluster);
  try {
    const log = o.log ?? (() => {});
    await recoverPending(cluster, log);
    const { rec, state } = await runningCluster(cluster);
    const text = formatFault(f);
    const faults = readFaults(cluster);
    const dup = faults.find((x) => x.fault === text);
    if (dup) throw new RefusedChange(`fault "${text}" is already active (ID ${dup.id}, since ${dup.since})`);
    const prevIR = buildIR(state);
    const ctx: Ctx = { cluster, rec, ir: prevIR, runner: o.runner ?? createRunner(), log };
    const actions = await planFault(ctx, f);
    const entry: ActiveFault = {
      id: Math.max(0, ...faults.map((x) => x.id)) + 1,
      fault: text,
      since: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      afterChanges: readChanges(cluster).length,
      pending: true,
      done: 0,
      actions,
    };
    // The journal first: a crash from here on leaves it, and the next command undoes it.
    writeFaults(cluster, [...faults, entry]);
    let modelled = false;
    try {
      for (const [i, a] of actions.entries()) {
        for (const s of a.does) await runStep(ctx, s);
        entry.done = i + 1;
        writeFaults(cluster, [...faults, entry]);
      }
      modelled = true;
      await followModel(cluster, state, prevIR, log);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      writeFaults(cluster, faults);
      const errs = await undoActions(ctx, actions.slice(0, entry.done));
      if (modelled) await followModel(cluster, state, prevIR, log, true).catch((x: Error) => errs.push(x.message));
      throw new FaultFailed(
        `the kernel refused fault "${text}": ${why}\n` +
          (errs.length
            ? `undoing it failed too (${errs.join("; ")}): podnet down --name ${cluster}, then up, rebuilds the cluster`
            : "undone, nothing recorded: the cluster is as it was before"),
      );
    }
    entry.pending = false;
    writeFaults(cluster, [...faults, entry]);
    return entry;
  } finally {
    unlock();
  }
}

/**
 * Clears fault `which` (its ID or its text; all when absent) of running cluster
 * `cluster`: each fault's undo, latest first, then the rules the model without it
 * says. Returns the faults cleared.
 */
export async function clearFaults(cluster: string, which?: string, o: FaultOptions = {}): Promise<ActiveFault[]> {
  await runningCluster(cluster);
  const unlock = await lockChanges(cluster);
  try {
    const log = o.log ?? (() => {});
    await recoverPending(cluster, log);
    const { rec, state } = await runningCluster(cluster);
    const faults = readFaults(cluster);
    const targets = which === undefined ? faults : faults.filter((f) => matches(f, which));
    if (which !== undefined && targets.length === 0)
      throw new RefusedChange(
        `no active fault "${which.slice(0, 80)}" in cluster "${cluster}"` +
          (faults.length ? ` (active: ${faults.map((f) => `${f.id} ${f.fault}`).join(", ")})` : " (none is active)"),
      );
    const prevIR = buildIR(state);
    // Out of the model first (a rules reload of an undo, kube-proxy back, computes without
    // it), still journaled: a crash leaves them `clearing`, and the next command finishes.
    for (const t of targets) t.clearing = true;
    writeFaults(cluster, faults);
    const ctx: Ctx = { cluster, rec, ir: prevIR, runner: o.runner ?? createRunner(), log };
    const errs: string[] = [];
    let left = faults;
    for (const t of [...targets].reverse()) {
      const e = await undoActions(ctx, t.actions.slice(0, t.done));
      // One whose undo failed stays listed (active): clear tries again.
      if (e.length) {
        t.clearing = undefined;
        errs.push(`${t.fault}: ${e.join("; ")}`);
      } else left = left.filter((f) => f !== t);
      writeFaults(cluster, left);
    }
    await followModel(cluster, state, prevIR, log);
    if (errs.length)
      throw new FaultFailed(
        `could not clear every fault: ${errs.join("\n")}\nthose stay listed; podnet down --name ${cluster}, then up, rebuilds the cluster`,
      );
    return targets;
  } finally {
    unlock();
  }
}

const matches = (f: ActiveFault, which: string): boolean =>
  String(f.id) === which.trim() || f.fault === which.trim().split(/\s+/).join(" ") || faultText(which) === f.fault;

function faultText(which: string): string | null {
  const p = parseFault(which);
  return typeof p === "string" ? null : formatFault(p);
}

/**
 * A fault add or clear interrupted for good (kill -9): the add's actions done so far (and the
 * one under way) are undone, the clear's undo is finished; the entry is dropped.
 */
async function recoverPending(cluster: string, log: (s: string) => void): Promise<void> {
  const faults = readFaults(cluster);
  const pending = faults.filter((f) => f.pending || f.clearing);
  if (pending.length === 0) return;
  const rec = readRecord(cluster);
  if (!rec) return;
  writeFaults(
    cluster,
    faults.filter((f) => !pending.includes(f)),
  );
  const state = await recordedState(rec);
  const ctx: Ctx = { cluster, rec, ir: buildIR(state), runner: createRunner(), log };
  for (const p of pending) {
    const errs = await undoActions(ctx, p.actions.slice(0, p.clearing ? p.done : p.done + 1));
    log(`fault "${p.fault}" was not finished: undone${errs.length ? ` (with errors: ${errs.join("; ")})` : ""}`);
  }
}

/** Undoes actions, latest first; every step is tried: returns the errors. */
async function undoActions(ctx: Ctx, actions: FaultAction[]): Promise<string[]> {
  const errs: string[] = [];
  for (const a of [...actions].reverse())
    for (const s of a.undo) {
      try {
        await runStep(ctx, s);
      } catch (e) {
        errs.push(e instanceof Error ? e.message.split("\n")[0] : String(e));
      }
    }
  return errs;
}

/**
 * The model of the running cluster after the faults changed: the rules that follow from
 * it (a not-ready endpoint leaves kube-proxy's rules) on the nodes whose kube-proxy runs,
 * and the DNS servers reload (an upstream that stopped answering is in their zone).
 * BIRD is left alone: its protocols are the bgp-down fault's own (birdc), not a new config.
 */
async function followModel(
  cluster: string,
  before: ClusterState,
  prevIR: DataplaneIR,
  log: (s: string) => void,
  back = false,
): Promise<void> {
  const rec = readRecord(cluster);
  if (!rec) return;
  const nextIR = back ? prevIR : buildIR(await recordedState(rec));
  const from = back ? buildIR(before) : prevIR;
  const bgpOf = new Map(nextIR.nodes.map((n) => [n.name, n.bgp]));
  await reconcile({
    cluster,
    ir: nextIR,
    previous: { ...from, nodes: from.nodes.map((n) => ({ ...n, bgp: bgpOf.get(n.name) })) },
    reloadAll: back,
    render: { netfilter: netfilterRenderers },
    log,
    reloadDns: false,
    frozen: kubeProxyFrozen(cluster),
  });
  await reloadDns(cluster, rec);
}

/** SIGHUP to every running DNS server; waits (≤ 5 s) until each rewrote its .loaded file. */
async function reloadDns(cluster: string, rec: ClusterRecord): Promise<void> {
  const dir = stateDir(cluster);
  const servers = rec.processes.filter((p) => p.role === "dns" && stillOurs(p));
  const loaded = (marker: string) => join(dir, `dns-${marker.slice(dir.length + 1).replace(/\//g, "_")}.loaded`);
  const stamp = (f: string) => {
    try {
      return `${statSync(f).mtimeMs} ${readFileSync(f, "utf8")}`;
    } catch {
      return "";
    }
  };
  const was = servers.map((p) => stamp(loaded(p.marker)));
  for (const p of servers) {
    try {
      process.kill(p.pid, "SIGHUP");
    } catch {
      /* exited meanwhile */
    }
  }
  const until = Date.now() + 5000;
  while (Date.now() < until && servers.some((p, i) => stamp(loaded(p.marker)) === was[i]))
    await new Promise((r) => setTimeout(r, 20));
}

// ---------------------------------------------------------------------------
// Steps

async function runStep(ctx: Ctx, s: FaultStep): Promise<void> {
  const { cluster } = ctx;
  switch (s.t) {
    case "run": {
      const r = await ctx.runner.run(s.argv, s.input ?? "");
      // birdc exits 0 on a refused command: its answer says.
      if (s.expect && !new RegExp(s.expect).test(r.stdout))
        throw new Error(`${s.argv.join(" ")}: ${(r.stdout + r.stderr).trim().slice(0, 300)}`);
      return;
    }
    case "dns-stop": {
      const rec = readRecord(cluster)!;
      const marker = `${stateDir(cluster)} ${s.pod}`;
      for (const p of rec.processes.filter((x) => x.role === "dns" && x.marker === marker)) await stopProcess(p);
      rec.processes = rec.processes.filter((x) => !(x.role === "dns" && x.marker === marker));
      writeRecord(rec);
      return;
    }
    case "dns-start": {
      const rec = readRecord(cluster)!;
      // An interrupted add may not have stopped it: one server per pod.
      const marker = `${stateDir(cluster)} ${s.pod}`;
      if (rec.processes.some((x) => x.role === "dns" && x.marker === marker && stillOurs(x))) return;
      await startDns(cluster, s.netns, s.pod, (r) => {
        rec.processes.push({ ...r, node: s.node });
        writeRecord(rec);
      });
      return;
    }
    case "rules": {
      // kube-proxy back on the node: a full sync of its rules to the current model.
      const rec = readRecord(cluster)!;
      const ir = buildIR(await recordedState(rec));
      await reconcile({
        cluster,
        ir,
        previous: ir,
        reloadAll: true,
        render: { netfilter: netfilterRenderers },
        log: ctx.log,
        reloadDns: false,
        frozen: ir.nodes.map((n) => n.name).filter((n) => n !== s.node),
      });
      return;
    }
    case "bgp-wait": {
      await waitBgp(
        cluster,
        ctx.ir.nodes.filter((n) => n.bgp),
      );
      // BIRD exports the learned routes to the kernel on its own schedule.
      const until = Date.now() + 30000;
      for (const r of s.routes) {
        let now = "";
        while ((now = await birdRoutes(ctx, r.ns)) !== r.text && Date.now() < until)
          await new Promise((x) => setTimeout(x, 100));
        if (now !== r.text) throw new Error(`BIRD's routes in ${r.ns} did not come back:\n${now}`);
      }
      return;
    }
  }
}
