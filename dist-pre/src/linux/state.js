// The record of a running cluster under /run/podnet/<cluster>/state.json: what was
// created (namespaces, in order), the processes podnet started (PID + identity), and
// the inputs (files, config, seed) so that status/exec recompute the same IR.
// Written after every creation step (atomically) so that a crash leaves a usable record.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { STATE_ROOT, stateDir } from "./names.js";
export function statePath(cluster) {
    return join(stateDir(cluster), "state.json");
}
export function readRecord(cluster) {
    try {
        return JSON.parse(readFileSync(statePath(cluster), "utf8"));
    }
    catch {
        return null;
    }
}
export function writeRecord(rec) {
    const dir = stateDir(rec.cluster);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `.state.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(rec, null, 2) + "\n");
    renameSync(tmp, statePath(rec.cluster));
}
export function removeStateDir(cluster) {
    rmSync(stateDir(cluster), { recursive: true, force: true });
}
/** Clusters that have a state directory. */
export function recordedClusters() {
    if (!existsSync(STATE_ROOT))
        return [];
    return readdirSync(STATE_ROOT); // a directory without state.json is a crash's leftover: down removes it too
}
// ---------------------------------------------------------------------------
// Process identity
export function procCmdline(pid) {
    try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0+$/, "").replace(/\0/g, " ");
    }
    catch {
        return null;
    }
}
export function procStartTime(pid) {
    try {
        const s = readFileSync(`/proc/${pid}/stat`, "utf8");
        // Field 22; the command (field 2) may contain spaces and is in parentheses.
        return s.slice(s.lastIndexOf(")") + 2).split(" ")[19] ?? null;
    }
    catch {
        return null;
    }
}
export function identify(pid, role, marker, node) {
    const cmdline = procCmdline(pid);
    const startTime = procStartTime(pid);
    if (cmdline === null || startTime === null || !cmdline.includes(marker))
        return null;
    return { pid, role, node, cmdline, marker, startTime };
}
/** Is the recorded process still that very process (marker in its cmdline, same start time)? exec keeps both. */
export function stillOurs(p) {
    const c = procCmdline(p.pid);
    return c !== null && c.includes(p.marker) && procStartTime(p.pid) === p.startTime;
}
/** Stops a recorded process: SIGTERM, then SIGKILL; only after checking it is ours. */
export async function stopProcess(p, graceMs = 1000) {
    if (!stillOurs(p))
        return procCmdline(p.pid) === null ? "gone" : "not-ours";
    try {
        process.kill(p.pid, "SIGTERM");
    }
    catch {
        return "gone";
    }
    const until = Date.now() + graceMs;
    while (Date.now() < until) {
        if (!stillOurs(p))
            return "stopped";
        await new Promise((r) => setTimeout(r, 20));
    }
    try {
        if (stillOurs(p))
            process.kill(p.pid, "SIGKILL");
    }
    catch {
        /* exited meanwhile */
    }
    return "stopped";
}
export function changesPath(cluster) {
    return join(stateDir(cluster), "changes.json");
}
export function readChanges(cluster) {
    try {
        return JSON.parse(readFileSync(changesPath(cluster), "utf8"));
    }
    catch {
        return [];
    }
}
export function writeChanges(cluster, entries) {
    const dir = stateDir(cluster);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `.changes.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(entries, null, 1) + "\n");
    renameSync(tmp, changesPath(cluster));
}
//# sourceMappingURL=state.js.map