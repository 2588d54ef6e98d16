// Runs kernel commands: every argv passes the safety guard first; batches report the
// failing line and the kernel's message; a dry-run mode records instead of running.
import { spawn, spawnSync } from "node:child_process";
import { guardCommand } from "./names.js";
import { stepCommand } from "./render.js";
export class KernelError extends Error {
    argv;
    stderr;
    line;
    constructor(message, argv, stderr, 
    /** The batch line that failed (ip/bridge -batch), when known. */
    line) {
        super(message);
        this.argv = argv;
        this.stderr = stderr;
        this.line = line;
    }
}
export function createRunner(opts = {}) {
    const log = [];
    return {
        dryRun: !!opts.dryRun,
        log,
        async run(argv, input = "", o = {}) {
            guardCommand(argv, input);
            log.push({ argv, input });
            opts.verbose?.(argv.join(" "));
            if (opts.dryRun)
                return { code: 0, stdout: "", stderr: "" };
            const r = await spawnCollect(argv, input);
            if (r.code !== 0 && !o.allowFail)
                throw kernelError(argv, input, r);
            return r;
        },
    };
}
function spawnCollect(argv, input) {
    return new Promise((resolve) => {
        const p = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
        const out = [];
        const err = [];
        p.stdout.on("data", (b) => out.push(b));
        p.stderr.on("data", (b) => err.push(b));
        p.on("error", (e) => resolve({ code: 127, stdout: "", stderr: `${argv[0]}: ${e.message}` }));
        p.on("close", (code, sig) => resolve({
            code: code ?? (sig ? 128 : 1),
            stdout: Buffer.concat(out).toString(),
            stderr: Buffer.concat(err).toString(),
        }));
        p.stdin.on("error", () => { }); // the tool may exit before reading everything
        p.stdin.end(input);
    });
}
function kernelError(argv, input, r) {
    const stderr = r.stderr.trim();
    // ip/bridge -batch: "Command failed -:N"; iptables-restore: "line N failed"; nft: "-:N:…"
    let lineNo;
    const m = /Command failed -:(\d+)/.exec(stderr) ??
        /line:? (\d+) failed/i.exec(stderr) ??
        /^(?:-|\/dev\/stdin):(\d+):/m.exec(stderr);
    if (m)
        lineNo = Number(m[1]);
    const line = lineNo !== undefined ? input.split("\n")[lineNo - 1] : undefined;
    const kernelMsg = stderr
        .split("\n")
        .filter((s) => !/^Command failed/.test(s))
        .join("; ") || `exit code ${r.code}`;
    const cmd = argv.join(" ").slice(0, 200);
    const msg = line !== undefined ? `${cmd}: line ${lineNo} "${line}" failed: ${kernelMsg}` : `${cmd} failed: ${kernelMsg}`;
    return new KernelError(msg, argv, stderr, line);
}
export function runSync(argv) {
    guardCommand(argv); // no input: a batch here would be refused line by line
    const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
    return { code: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? (r.error ? String(r.error) : "") };
}
/** Creates (or deletes) namespaces with one `ip -batch -` in the root namespace. */
export async function netnsBatch(runner, verb, names, opts = {}) {
    if (names.length === 0)
        return { code: 0, stdout: "", stderr: "" };
    return runner.run(["ip", "-batch", "-"], names.map((n) => `netns ${verb} ${n}\n`).join(""), opts);
}
/** Runs a plan: namespaces (recorded via `onCreated` before they are made), then the steps. */
export async function applyPlan(runner, plan, onCreated, onStep) {
    const names = plan.namespaces.map((n) => n.name);
    onCreated?.(names); // recorded first: a crash right after `add` still leaves a trace
    await netnsBatch(runner, "add", names);
    for (const s of plan.steps) {
        onStep?.(s);
        const { argv, input } = stepCommand(s);
        await runner.run(argv, input);
    }
}
/** `ip netns list` names (without the "(id: N)" suffix). */
export function listNetns() {
    const r = runSync(["ip", "netns", "list"]);
    if (r.code !== 0)
        return [];
    return r.stdout
        .split("\n")
        .map((l) => l.trim().split(/\s+/)[0])
        .filter(Boolean);
}
/**
 * A runner that feeds commands to a few long-lived `sh` processes instead of spawning
 * each one from Node (a fork of the Node process costs ~7 ms; a fork of sh ~1 ms):
 * bring-up of hundreds of pods is dominated by that. Same guard, same errors; stdout
 * and stderr come back merged, so use it for commands whose output is not parsed.
 */
export function createShellRunner(opts = {}) {
    const log = [];
    const token = `__PODNET_${process.pid}_${Math.random().toString(36).slice(2)}`;
    const quote = (a) => "'" + a.replace(/'/g, `'\\''`) + "'";
    let nextId = 0;
    const shells = Array.from({ length: opts.workers ?? 4 }, () => {
        const p = spawn("sh", [], { stdio: ["pipe", "pipe", "ignore"] });
        const pending = [];
        let buf = "";
        p.stdout.setEncoding("utf8");
        p.stdout.on("data", (d) => {
            buf += d;
            for (;;) {
                const i = buf.indexOf(`\n${token} `);
                if (i < 0)
                    break;
                const end = buf.indexOf("\n", i + 1);
                if (end < 0)
                    break;
                const [, id, code] = buf.slice(i + 1, end).split(" ");
                const out = buf.slice(0, i);
                buf = buf.slice(end + 1);
                const job = pending.shift();
                if (!job || job.id !== Number(id))
                    continue; // cannot happen: one shell runs its jobs in order
                const r = { code: Number(code), stdout: "", stderr: out };
                if (r.code !== 0 && !job.allowFail)
                    job.reject(kernelError(job.argv, job.input, r));
                else
                    job.resolve(r);
            }
        });
        p.on("exit", () => {
            for (const j of pending.splice(0))
                j.reject(new KernelError(`shell runner exited before "${j.argv.join(" ")}" finished`, j.argv, ""));
        });
        p.stdin.on("error", () => { });
        p.stdin.write("exec 2>&1\n");
        return { p, pending };
    });
    return {
        dryRun: false,
        log,
        run(argv, input = "", o = {}) {
            guardCommand(argv, input);
            log.push({ argv, input });
            if (input.split("\n").includes(token))
                return Promise.reject(new Error("input contains the runner's delimiter"));
            return new Promise((resolve, reject) => {
                const sh = shells.reduce((a, b) => (b.pending.length < a.pending.length ? b : a));
                const job = { id: nextId++, argv, input, allowFail: !!o.allowFail, resolve, reject };
                sh.pending.push(job);
                const cmd = argv.map(quote).join(" ");
                const stdin = input
                    ? ` <<'${token}'\n${input.endsWith("\n") ? input : input + "\n"}${token}\n`
                    : " </dev/null\n";
                sh.p.stdin.write(`${cmd}${stdin}printf '\\n${token} %s %s\\n' ${job.id} $?\n`);
            });
        },
        close() {
            for (const s of shells)
                s.p.stdin.end();
        },
    };
}
//# sourceMappingURL=exec.js.map