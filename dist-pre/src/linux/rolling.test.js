// Real-kernel test (root) of changes to a RUNNING cluster: the example comes up, a
// client pod sends HTTP requests to user-service's ClusterIP without pause while the
// backend pods are replaced one by one (kubectl delete pod → the ReplicaSet's
// replacement, new name and IP) and the Deployment is scaled up then down
// (`podnet delete|scale --name` → live.ts → reconcile). Expected (Kubernetes: a
// Service keeps answering during a rolling replacement; kube-proxy programs the new
// endpoints and a terminating pod leaves the endpoints before it is killed):
//   - window W_i = [rules of change i loaded, change i+1 starts): every request that
//     STARTS in W_i succeeds and is answered by a ready endpoint of the Service in state i
//     (the baseline before the first change is W_0);
//   - requests started while a change is being applied (before its rules are loaded)
//     are counted and reported, not required (one in flight to a pod being removed may break);
//   - every replacement pod answers; the deleted pods' addresses answer no more;
//   - a bad request (invalid manifest, unknown pod) changes nothing: change log and rules equal.
// Runs in iptables and nftables mode. Unique cluster names; always `down` in finally.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { clusterNamespaces, down, up } from "./cluster.js";
import { applyLiveChange } from "./live.js";
import { liveState } from "./live-state.js";
import { nsName } from "./names.js";
import { netfilterRenderers } from "./netfilter.js";
import { readChanges } from "./state.js";
import { kernelSkip } from "./testing.js";
const EXAMPLE = fileURLToPath(new URL("../../../examples/demo", import.meta.url));
const BIN = fileURLToPath(new URL("../../../bin/podnet.js", import.meta.url));
const skip = kernelSkip(["ip", "curl", "python3", "iptables-save", "nft", "conntrack"]);
// One fresh TCP connection per request until the stop file exists (testdata/rolling_client.py).
const CLIENT = fileURLToPath(new URL("../../../src/linux/testdata/rolling_client.py", import.meta.url));
/** Ready endpoint pod names of a Service (what the requests may be answered by). */
function endpointPods(state, ns, svc) {
    const out = new Set();
    for (const sl of state.endpointSlices)
        if (sl.namespace === ns && sl.serviceName === svc)
            for (const e of sl.endpoints)
                if (e.conditions.ready !== false && e.targetRef?.name)
                    out.add(e.targetRef.name);
    return out;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (const mode of ["iptables", "nftables"]) {
    test(`kernel: rolling replacement behind a Service (${mode}) — no request started after the new rules are loaded is lost`, {
        skip,
        timeout: 240_000,
    }, async () => {
        const cluster = `roll-${mode.slice(0, 3)}-${randomBytes(3).toString("hex")}`;
        const dir = mkdtempSync(join(tmpdir(), "podnet-roll-"));
        const config = join(dir, "cluster.yaml");
        writeFileSync(config, readFileSync(join(EXAMPLE, "cluster.yaml"), "utf8").replace("kubeProxyMode: iptables", `kubeProxyMode: ${mode}`));
        const stop = join(dir, "stop");
        const started = join(dir, "started");
        let client;
        try {
            const { loadCluster } = await import("../index.js");
            const { buildIR } = await import("../dataplane/build.js");
            const { state } = await loadCluster({ files: [EXAMPLE], config });
            await up({
                cluster,
                ir: buildIR(state),
                inputs: { files: [EXAMPLE], config },
                render: { netfilter: netfilterRenderers },
            });
            const svc = state.services.find((s) => s.namespace === "default" && s.name === "user-service");
            const from = state.pods.find((p) => p.namespace === "default" && p.name.startsWith("order-app-"));
            const clientNs = nsName(cluster, `pod/${from.namespace}/${from.name}`);
            // --- a bad request changes nothing (checked before the traffic starts)
            const node = nsName(cluster, "node/worker-1");
            const rules = () => mode === "iptables"
                ? spawnSync("ip", ["netns", "exec", node, "iptables-save"], { encoding: "utf8" })
                    .stdout.replace(/^#.*\n/gm, "")
                    .replace(/\[\d+:\d+\]/g, "")
                : spawnSync("ip", ["netns", "exec", node, "nft", "list", "ruleset"], { encoding: "utf8" }).stdout;
            const rules0 = rules();
            const bad = join(dir, "bad.yaml");
            writeFileSync(bad, "apiVersion: v1\nkind: Service\nmetadata: {name: extra}\nspec:\n  selector: {app: user-app}\n  ports: [{port: 99999, targetPort: 8080}]\n");
            const r = spawnSync(process.execPath, [BIN, "apply", "-f", bad, "--name", cluster], { encoding: "utf8" });
            assert.notEqual(r.status, 0, "an invalid manifest is refused");
            assert.match(r.stderr, /bad\.yaml:6.*port.*99999/, r.stderr);
            const nf = spawnSync(process.execPath, [BIN, "delete", "pod", "no-such-pod", "--name", cluster], {
                encoding: "utf8",
            });
            assert.notEqual(nf.status, 0);
            assert.match(nf.stderr, /NotFound/);
            assert.deepEqual(readChanges(cluster), [], "no change recorded");
            assert.equal(rules(), rules0, "the node's rules are untouched");
            // --- traffic to the Service IP, continuously
            client = spawn("ip", ["netns", "exec", clientNs, "python3", CLIENT, svc.clusterIP, String(svc.ports[0].port), stop, started], { stdio: ["ignore", "pipe", "pipe"] });
            let out = "";
            let err = "";
            client.stdout.on("data", (b) => (out += b));
            client.stderr.on("data", (b) => (err += b));
            const done = new Promise((res) => client.on("close", () => res()));
            // The baseline window: 1 s of requests once the client runs (python's start-up alone
            // can take most of a second on a loaded machine).
            for (const until = Date.now() + 15000; !existsSync(started) && Date.now() < until;)
                await sleep(20);
            await sleep(1000);
            // --- the changes: each records when it began and when its rules were loaded
            const t0 = Date.now();
            const steps = [];
            const run = async (what, make) => {
                const begin = Date.now();
                let rulesAt = 0;
                const res = await applyLiveChange(cluster, make, (line) => {
                    if (line.startsWith("netfilter reloaded"))
                        rulesAt = Date.now();
                });
                assert.ok(res, what);
                assert.ok(rulesAt > 0, `${what}: the rules were reloaded`);
                const removedIps = res.diff.podsRemoved.map((p) => p.ip).filter(Boolean);
                steps.push({ what, begin, rulesAt, end: Date.now(), state: res.state, removedIps });
                await sleep(1500);
            };
            const backends = (s) => s.pods
                .filter((p) => p.namespace === "default" && p.name.startsWith("user-app-"))
                .map((p) => p.name)
                .sort();
            const initial = backends(state);
            assert.equal(initial.length, 2);
            await run(`delete pod ${initial[0]}`, () => ({
                op: "delete",
                kind: "Pod",
                namespace: "default",
                name: initial[0],
            }));
            await run(`delete pod ${initial[1]}`, () => ({
                op: "delete",
                kind: "Pod",
                namespace: "default",
                name: initial[1],
            }));
            await run("scale deploy user-app --replicas 4", () => ({
                op: "scale",
                kind: "Deployment",
                namespace: "default",
                name: "user-app",
                replicas: 4,
            }));
            await run("scale deploy user-app --replicas 1", () => ({
                op: "scale",
                kind: "Deployment",
                namespace: "default",
                name: "user-app",
                replicas: 1,
            }));
            writeFileSync(stop, "");
            await done;
            client = undefined;
            const reqs = JSON.parse(out);
            assert.ok(reqs.length > 200, `the client sent requests (${reqs.length}; ${err})`);
            // --- the windows
            const windows = [{ from: 0, to: steps[0].begin, state, label: "before any change" }];
            steps.forEach((s, i) => windows.push({
                from: s.rulesAt,
                to: steps[i + 1]?.begin ?? Infinity,
                state: s.state,
                label: `after "${s.what}"`,
            }));
            const lines = [];
            let inWindows = 0;
            for (const w of windows) {
                const mine = reqs.filter(([start]) => start >= w.from && start < w.to);
                const allowed = endpointPods(w.state, "default", "user-service");
                const failed = mine.filter((q) => !q[2]);
                const stray = mine.filter((q) => q[2] && !allowed.has(q[3]));
                const by = new Map();
                for (const q of mine)
                    if (q[2])
                        by.set(q[3], (by.get(q[3]) ?? 0) + 1);
                lines.push(`${w.label}: ${mine.length} requests, ${failed.length} failed, answered by ${[...by].map(([k, v]) => `${k}×${v}`).join(" ")}`);
                assert.ok(mine.length > 0, `${w.label}: requests were sent in the window`);
                assert.deepEqual(failed.slice(0, 3), [], `${w.label}: no request started in the window fails`);
                assert.deepEqual(stray.slice(0, 3), [], `${w.label}: answered only by the Service's ready endpoints (${[...allowed].join(", ")})`);
                // Every endpoint of the window's state answers (hundreds of requests over 2–4 endpoints).
                for (const p of allowed)
                    assert.ok(by.has(p), `${w.label}: endpoint ${p} answered`);
                inWindows += mine.length;
            }
            const during = steps.map((s) => reqs.filter(([start]) => start >= s.begin && start < s.rulesAt));
            const duringFailed = during.flat().filter((q) => !q[2]).length;
            const applyMs = steps.map((s) => `${s.what}: rules after ${s.rulesAt - s.begin} ms, done after ${s.end - s.begin} ms`);
            process.stderr.write(`rolling (${mode}): ${reqs.length} requests in ${((reqs[reqs.length - 1][0] - reqs[0][0]) / 1000).toFixed(1)} s; ${inWindows} in the windows, 0 lost; ` +
                `${during.flat().length} started while a change was applied (${duringFailed} failed)\n  ${lines.join("\n  ")}\n  ${applyMs.join("\n  ")}\n`);
            assert.ok(t0 > 0);
            // The deleted pods' addresses answer no more; the state is recomputable from the log.
            for (const ip of steps.slice(0, 2).flatMap((s) => s.removedIps)) {
                const c = spawnSync("ip", ["netns", "exec", clientNs, "curl", "-s", "-m", "2", `http://${ip}:8080/hostname`], {
                    encoding: "utf8",
                });
                assert.notEqual(c.status, 0, `deleted pod ${ip} does not answer`);
            }
            assert.equal(readChanges(cluster).length, 4);
            const again = await liveState(cluster);
            assert.deepEqual(backends(again), backends(steps[3].state), "status/exec/verify recompute the same state from the change log");
        }
        finally {
            if (client && client.exitCode === null)
                client.kill("SIGKILL"); // ours: spawned above
            await down(cluster);
            rmSync(dir, { recursive: true, force: true });
        }
        assert.deepEqual(clusterNamespaces(cluster), []);
    });
}
//# sourceMappingURL=rolling.test.js.map