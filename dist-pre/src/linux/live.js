// Changes to a RUNNING cluster (`podnet apply|delete|scale --name NAME`): the control
// plane computes the new state from the recorded one (live-state.ts), the kernel follows
// incrementally (reconcile.ts), and the change is appended to the log so every
// later command recomputes the same state.
//
// A bad request changes nothing: the new state and both IRs are computed, and the change
// checked, before the first kernel call or log write; an invalid manifest, an unknown
// object or a change the running network cannot take (nodes, the underlay) is refused
// with the reason. One change at a time per cluster (a lock file in the state dir).
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { buildIR } from "../dataplane/build.js";
import { runChange } from "../control/changes.js";
import { reconcile } from "./reconcile.js";
import { recordedState } from "./live-state.js";
import { stateDir } from "./names.js";
import { netfilterRenderers } from "./netfilter.js";
import { renderInfra } from "./render.js";
import { procCmdline, readChanges, readRecord, writeChanges } from "./state.js";
/** The change was refused before anything was touched. */
export class RefusedChange extends Error {
}
function lockPath(cluster) {
    return join(stateDir(cluster), "change.lock");
}
/** Takes the cluster's change lock (a stale one, whose holder is gone, is taken over). */
function lock(cluster) {
    const p = lockPath(cluster);
    for (let i = 0; i < 2; i++) {
        try {
            const fd = openSync(p, "wx");
            writeSync(fd, String(process.pid));
            closeSync(fd);
            return () => rmSync(p, { force: true });
        }
        catch (e) {
            if (e.code !== "EEXIST")
                throw e;
            const holder = Number(readFileSync(p, "utf8"));
            if (holder && procCmdline(holder) !== null)
                throw new RefusedChange(`another change to cluster "${cluster}" is in progress (pid ${holder}); try again when it is done`);
            rmSync(p, { force: true });
        }
    }
    throw new RefusedChange(`cannot take the change lock ${p}`);
}
/** The running cluster's record and state; throws RefusedChange when it cannot take changes. */
export async function runningCluster(cluster) {
    const rec = readRecord(cluster);
    if (!rec)
        throw new RefusedChange(`cluster "${cluster}" is not up (podnet up --name ${cluster}; podnet status)`);
    if (rec.phase !== "up")
        throw new RefusedChange(`cluster "${cluster}" is ${rec.phase}, not up: it takes no changes`);
    if (rec.inputs.fixture)
        throw new RefusedChange(`cluster "${cluster}" runs the backend's test IR: it has no cluster state to change`);
    return { rec, state: await recordedState(rec) };
}
/** Why the running network cannot take IR `next` in place of `prev` (nodes and underlay are built once), or null. */
export function infraChange(cluster, prev, next) {
    const a = prev.nodes.map((n) => `${n.name} ${n.address} ${n.podCIDR}`).join(", ");
    const b = next.nodes.map((n) => `${n.name} ${n.address} ${n.podCIDR}`).join(", ");
    if (a !== b)
        return `the nodes would change (${a} → ${b}); nodes are built by podnet up: podnet down, then up with the new manifests`;
    const nonNf = (s) => s.filter((x) => x.kind !== "netfilter");
    const pa = renderInfra(prev, cluster);
    const pb = renderInfra(next, cluster);
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
 * Applies one change to running cluster `cluster`: under the cluster's change lock,
 * recomputes the running state, asks `make` for the change (null: nothing to do, e.g.
 * not found — the caller reports it), computes the new state and IR. Throws SpecError
 * (invalid manifest, unknown object) or RefusedChange before touching anything; a
 * kernel error after that leaves the change in the log (the error says the kernel is
 * partly changed).
 */
export async function applyLiveChange(cluster, make, log) {
    await runningCluster(cluster); // clear errors before the lock
    const unlock = lock(cluster);
    try {
        const { state } = await runningCluster(cluster);
        const change = make(state);
        if (!change)
            return null;
        const out = runChange(state, change);
        const prevIR = buildIR(state);
        const nextIR = buildIR(out.state);
        const why = infraChange(cluster, prevIR, nextIR);
        if (why)
            throw new RefusedChange(`refused, nothing changed: ${why}`);
        const entries = readChanges(cluster);
        entries.push({
            at: new Date().toISOString(),
            change: change,
        });
        writeChanges(cluster, entries);
        const containers = new Map(out.state.pods.map((p) => [`${p.namespace}/${p.name}`, (p.spec.containers ?? []).map((c) => c.name)]));
        let report;
        try {
            report = await reconcile({
                cluster,
                ir: nextIR,
                previous: prevIR,
                render: { netfilter: netfilterRenderers },
                containers,
                log,
            });
        }
        catch (e) {
            throw new Error(`the kernel is partly changed (change ${entries.length} is recorded; podnet status --name ${cluster}): ${e.message}`);
        }
        return { ...out, report, index: entries.length };
    }
    finally {
        unlock();
    }
}
//# sourceMappingURL=live.js.map