// Changes to a RUNNING cluster (`podnet apply|delete|scale --name NAME`): the control
// plane computes the new state from the recorded one (live-state.ts), the kernel follows
// incrementally (reconcile.ts), and the change is appended to the log so every
// later command recomputes the same state.
//
// A bad request changes nothing: the new state and both IRs are computed, and the change
// checked, before the first kernel call or log write; an invalid manifest, an unknown
// object or a change the running network cannot take (nodes, the underlay) is refused
// with the reason. One change at a time per cluster (a lock in the state dir, lock.ts).
//
// All or nothing: when the kernel refuses a step (a rule set, a CNI ADD, a process that
// does not start), the steps already done are undone — reconcile back to the previous
// IR: the pods the change added go (with their supervisors and DNS servers), the pods
// it removed come back, every node's rules are reloaded from the previous IR (one
// atomic iptables-restore / nft -f per node), BIRD gets its previous blocks — and the
// change log is put back as it was, so the change is not recorded and later changes
// start from the state the kernel holds. A change interrupted for good (kill -9, or a
// rollback that failed) leaves its journal (change.pending.json): the next change
// undoes it first.
import { readFileSync, rmSync } from "node:fs";
import { replaceFile } from "./safe-fs.js";
import { join } from "node:path";
import type { ClusterState } from "../control/state.js";
import type { DataplaneIR } from "../ir/types.js";
import { buildIR } from "../dataplane/build.js";
import { runChange, type Change, type ChangeOutcome } from "../control/changes.js";
import type { Runner } from "./exec.js";
import { acquireLock, changeLockPath, LockBusyError } from "./lock.js";
import { reconcile, type ReconcileReport } from "./reconcile.js";
import { recordedState } from "./live-state.js";
import { stateDir } from "./names.js";
import { netfilterRenderers } from "./netfilter.js";
import { renderInfra, type Step } from "./render.js";
import { readChanges, readRecord, writeChanges, type ChangeEntry, type ClusterRecord } from "./state.js";

/** The change was refused before anything was touched. */
export class RefusedChange extends Error {}

/**
 * The kernel refused a step of the change: what was done is undone (`rollback`: what
 * the undo did; `rollbackError`: why it could not finish) and the change is not recorded.
 */
export class ChangeFailed extends Error {
  constructor(
    message: string,
    readonly failure: Error,
    readonly rollback: ReconcileReport | null,
    readonly rollbackError: Error | null,
  ) {
    super(message);
  }
}

export interface LiveChangeResult extends ChangeOutcome {
  report: ReconcileReport;
  /** The change's position in the log (1 = the first change after `podnet up`). */
  index: number;
}

/** The journal of a change under way: the log's length before it, and the change. */
interface PendingChange {
  before: number;
  entry: ChangeEntry;
}

function pendingPath(cluster: string): string {
  return join(stateDir(cluster), "change.pending.json");
}

function writePending(cluster: string, p: PendingChange): void {
  replaceFile(pendingPath(cluster), JSON.stringify(p) + "\n");
}

/**
 * A change that was interrupted (its process killed, or its rollback failed) is undone
 * before the next one: the log cut back to before it, the kernel reconciled from the
 * record back to the IR of that log. Throws RefusedChange when that fails again.
 */
async function undoInterrupted(cluster: string, rec: ClusterRecord, log?: (s: string) => void): Promise<void> {
  let p: PendingChange;
  try {
    p = JSON.parse(readFileSync(pendingPath(cluster), "utf8")) as PendingChange;
  } catch {
    return;
  }
  const before = readChanges(cluster).slice(0, p.before);
  const prev = await recordedState(rec, before);
  const next = await recordedState(rec, [...before, p.entry]);
  writeChanges(cluster, before);
  const what = `change ${p.before + 1} (${p.entry.change.op}, started ${p.entry.at}) did not finish`;
  const res = await rollBack(cluster, prev, buildIR(prev), buildIR(next), new Error(what), log);
  if (res.rollbackError)
    throw new RefusedChange(
      `${what} and cannot be undone (${res.rollbackError.message}): podnet down --name ${cluster}, then up`,
    );
  rmSync(pendingPath(cluster), { force: true });
  log?.(`${what}: undone before this change`);
}

/** Takes the cluster's change lock (flock: a crashed holder's lock is free again); faults.ts takes it too. */
export async function lockChanges(cluster: string): Promise<() => void> {
  try {
    const held = await acquireLock(changeLockPath(cluster), "being changed", (h) =>
      h?.what === "being taken down"
        ? `cluster "${cluster}" is being taken down (pid ${h.pid}, since ${h.since}): it takes no changes`
        : `another change to cluster "${cluster}" is in progress${h ? ` (pid ${h.pid}, since ${h.since})` : ""}; try again when it is done`,
    );
    return () => held.release();
  } catch (e) {
    if (e instanceof LockBusyError) throw new RefusedChange(e.message);
    throw e;
  }
}

/** The running cluster's record and state; throws RefusedChange when it cannot take changes. */
export async function runningCluster(cluster: string): Promise<{ rec: ClusterRecord; state: ClusterState }> {
  const rec = readRecord(cluster);
  if (!rec) throw new RefusedChange(`cluster "${cluster}" is not up (podnet up --name ${cluster}; podnet status)`);
  if (rec.phase !== "up") throw new RefusedChange(`cluster "${cluster}" is ${rec.phase}, not up: it takes no changes`);
  if (rec.inputs.fixture)
    throw new RefusedChange(`cluster "${cluster}" runs the backend's test IR: it has no cluster state to change`);
  return { rec, state: await recordedState(rec) };
}

/** Why the running network cannot take IR `next` in place of `prev` (nodes and underlay are built once), or null. */
export function infraChange(cluster: string, prev: DataplaneIR, next: DataplaneIR): string | null {
  const a = prev.nodes.map((n) => `${n.name} ${n.address} ${n.podCIDR}`).join(", ");
  const b = next.nodes.map((n) => `${n.name} ${n.address} ${n.podCIDR}`).join(", ");
  if (a !== b)
    return `the nodes would change (${a} → ${b}); nodes are built by podnet up: podnet down, then up with the new manifests`;
  const nonNf = (s: Step[]) => s.filter((x) => x.kind !== "netfilter");
  const pa = renderInfra(withoutLiveParts(prev), cluster);
  const pb = renderInfra(withoutLiveParts(next), cluster);
  for (let i = 0; i < Math.max(pa.steps.length, pb.steps.length); i++) {
    const x = JSON.stringify(nonNf(pa.steps)[i] ?? null);
    const y = JSON.stringify(nonNf(pb.steps)[i] ?? null);
    if (x !== y) {
      const ns = (nonNf(pb.steps)[i] ?? nonNf(pa.steps)[i])?.ns ?? "?";
      return `the network of ${ns} would change beyond pods and rules (links, addresses, routes or sysctls of a node); podnet down, then up`;
    }
  }
  return null;
}

/**
 * An IR without what a live change may move on a node: the LoadBalancer IPs its MetalLB
 * speaker announces (reconcile.ts moveAnnouncements) and portmap's route_localnet (set
 * when a hostPort pod is attached; left as it is by a live change).
 */
function withoutLiveParts(ir: DataplaneIR): DataplaneIR {
  const nodes = ir.nodes.map((n) => {
    const ann = new Set(n.announces ?? []);
    const ns = n.ns;
    const sysctls: Record<string, string> = {};
    for (const [k, v] of Object.entries(ns.sysctls)) if (!k.endsWith(".route_localnet")) sysctls[k] = v;
    const own = (dev: string | undefined, ip: string) => dev === "eth0" && ann.has(ip);
    return {
      ...n,
      ns: {
        ...ns,
        sysctls,
        addresses: ns.addresses.filter((a) => !(a.cidr.endsWith("/32") && own(a.dev, a.cidr.slice(0, -3)))),
        routes: ns.routes.filter((r) => !(r.table === "local" && own(r.dev, r.dst.split("/")[0]))),
      },
    };
  });
  return { ...ir, nodes, underlay: ir.underlay };
}

export interface LiveChangeOptions {
  /** Runs the change's kernel commands (tests: one that fails on purpose); the rollback always uses a fresh one. */
  runner?: Runner;
}

/**
 * Applies one change to running cluster `cluster`: under the cluster's change lock,
 * recomputes the running state, asks `make` for the change (null: nothing to do, e.g.
 * not found — the caller reports it), computes the new state and IR. Throws SpecError
 * (invalid manifest, unknown object) or RefusedChange before touching anything; when
 * the kernel refuses a step after that, the change is rolled back and not recorded, and
 * ChangeFailed says what failed and what was undone.
 */
export async function applyLiveChange(
  cluster: string,
  make: (state: ClusterState) => Change | null,
  log?: (s: string) => void,
  opts: LiveChangeOptions = {},
): Promise<LiveChangeResult | null> {
  await runningCluster(cluster); // clear errors before the lock
  const unlock = await lockChanges(cluster);
  try {
    await undoInterrupted(cluster, (await runningCluster(cluster)).rec, log);
    const { state } = await runningCluster(cluster);
    const change = make(state);
    if (!change) return null;
    const out = runChange(state, change);
    const prevIR = buildIR(state);
    const nextIR = buildIR(out.state);
    const why = infraChange(cluster, prevIR, nextIR);
    if (why) throw new RefusedChange(`refused, nothing changed: ${why}`);
    const before = readChanges(cluster);
    const entry = {
      at: new Date().toISOString(),
      change: change as unknown as { op: string } & Record<string, unknown>,
    };
    const entries = [...before, entry];
    // In the log while the kernel follows (a new CoreDNS pod loads the state with it);
    // put back as it was if the kernel refuses. The journal first: a crash leaves it.
    writePending(cluster, { before: before.length, entry });
    writeChanges(cluster, entries);
    let report: ReconcileReport;
    try {
      report = await reconcile({
        cluster,
        ir: nextIR,
        previous: prevIR,
        render: { netfilter: netfilterRenderers },
        containers: containersOf(out.state),
        log,
        runner: opts.runner,
        state: out.state,
      });
    } catch (e) {
      writeChanges(cluster, before);
      const failed = await rollBack(cluster, state, prevIR, nextIR, e instanceof Error ? e : new Error(String(e)), log);
      // A failed rollback keeps the journal: the next change tries again first.
      if (!failed.rollbackError) rmSync(pendingPath(cluster), { force: true });
      throw failed;
    }
    rmSync(pendingPath(cluster), { force: true });
    return { ...out, report, index: entries.length };
  } finally {
    unlock();
  }
}

function containersOf(state: ClusterState): Map<string, string[]> {
  return new Map(state.pods.map((p) => [`${p.namespace}/${p.name}`, (p.spec.containers ?? []).map((c) => c.name)]));
}

/**
 * Undoes a change the kernel refused part of: reconcile from what the record says the
 * kernel holds back to `prevIR`, every node's rules reloaded (`nextIR` as the previous
 * side, so tables only it had are deleted). Returns the error to throw.
 */
async function rollBack(
  cluster: string,
  state: ClusterState,
  prevIR: DataplaneIR,
  nextIR: DataplaneIR,
  failure: Error,
  log?: (s: string) => void,
): Promise<ChangeFailed> {
  log?.(`${failure.message}; rolling back`);
  let rb: ReconcileReport | null = null;
  let rbErr: Error | null = null;
  try {
    rb = await reconcile({
      cluster,
      ir: prevIR,
      previous: nextIR,
      reloadAll: true,
      render: { netfilter: netfilterRenderers },
      containers: containersOf(state),
      log,
      state,
    });
  } catch (e) {
    rbErr = e instanceof Error ? e : new Error(String(e));
  }
  return new ChangeFailed(changeFailedMessage(cluster, failure, rb, rbErr), failure, rb, rbErr);
}

/** What failed, and what the rollback did (or why the kernel is left partly changed). */
export function changeFailedMessage(
  cluster: string,
  failure: Error,
  rb: ReconcileReport | null,
  rbErr: Error | null,
): string {
  if (rbErr)
    return (
      `the kernel refused the change: ${failure.message}\n` +
      `the rollback failed too (${rbErr.message}): the kernel is partly changed. The change is not recorded; ` +
      `podnet verify --name ${cluster} shows where the kernel differs; the next change tries the rollback again ` +
      `first; podnet down --name ${cluster}, then up, rebuilds it`
    );
  const done: string[] = [];
  if (rb?.removed.length) done.push(`pods the change had added removed: ${rb.removed.join(", ")}`);
  if (rb?.added.length) done.push(`pods the change had removed restored: ${rb.added.join(", ")}`);
  if (rb?.reloaded.length) done.push(`rules restored on: ${rb.reloaded.join(", ")}`);
  if (rb?.bgp.length) done.push(`BIRD restored on: ${rb.bgp.join(", ")}`);
  if (rb?.relistened.length) done.push(`pod servers back on their listeners: ${rb.relistened.join(", ")}`);
  return (
    `the kernel refused the change: ${failure.message}\n` +
    `rolled back, nothing recorded: the cluster is as it was before the change${done.length ? ` (${done.join("; ")})` : ""}`
  );
}
