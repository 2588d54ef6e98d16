// npm run bench: times buildState on a cluster at Kubernetes' scalability thresholds and
// reports medians over several runs plus peak RSS. Run with --expose-gc (npm run bench does).
import { buildState } from "../src/control/build.js";
import { deleteObject } from "../src/control/changes.js";
import { thresholdCluster } from "./control.js";
const RUNS = Number(process.env.PODNET_BENCH_RUNS ?? 5);
const gc = globalThis.gc;
function median(xs) {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const mb = (b) => (b / 1048576).toFixed(0);
// The kernel's high-water mark (getrusage ru_maxrss) sees the peak inside buildState too.
let peakRss = 0;
const sample = () => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
};
const t0 = performance.now();
const spec = thresholdCluster();
const genMs = performance.now() - t0;
const times = [];
const cpus = [];
const heaps = [];
let summary = "";
let last;
for (let i = 0; i < RUNS; i++) {
    last = undefined;
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    const state = buildState(spec);
    const ms = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    cpus.push((cpu.user + cpu.system) / 1000);
    sample();
    times.push(ms);
    heaps.push(process.memoryUsage().heapUsed - before);
    if (i === 0) {
        const running = state.pods.filter((p) => p.phase === "Running").length;
        const eps = state.endpointSlices.reduce((n, s) => n + s.endpoints.length, 0);
        summary =
            `nodes ${state.nodes.length}, pods ${state.pods.length} (${running} running), services ${state.services.length}, ` +
                `namespaces ${state.namespaces.length}, endpoint slices ${state.endpointSlices.length} (${eps} endpoints), ` +
                `events ${state.events.length}, dns records ${state.dns.records.length}`;
    }
    if (i === RUNS - 1)
        last = state;
    process.stderr.write(`  run ${i + 1}/${RUNS}: ${(ms / 1000).toFixed(2)} s wall, ${(cpus[i] / 1000).toFixed(2)} s CPU\n`);
}
sample();
// One change at that scale: delete a Deployment's pod (its replacement, the Service's
// endpoints, DNS and env follow).
const changeMs = [];
if (last) {
    const victims = last.pods
        .filter((p) => p.workload.kind === "Deployment" && p.namespace.startsWith("ns-"))
        .slice(0, RUNS);
    for (const v of victims) {
        const t = performance.now();
        deleteObject(last, "Pod", v.namespace, v.name);
        changeMs.push(performance.now() - t);
    }
    last = undefined;
}
const rows = [
    [
        "control plane: buildState",
        `${(median(times) / 1000).toFixed(2)} s (median of ${RUNS}; min ${(Math.min(...times) / 1000).toFixed(2)}, max ${(Math.max(...times) / 1000).toFixed(2)})`,
        "≤ 10 s",
    ],
    ["  CPU time (user+sys, all threads)", `${(median(cpus) / 1000).toFixed(2)} s (median)`, ""],
    ["heap retained by one state", `${mb(median(heaps))} MB (median)`, ""],
    ["peak RSS (whole process)", `${mb(peakRss)} MB`, "≤ 4096 MB"],
    [
        "one change: delete a pod",
        changeMs.length ? `${(median(changeMs) / 1000).toFixed(2)} s (median of ${changeMs.length})` : "-",
        "",
    ],
    ["generate the manifests", `${(genMs / 1000).toFixed(2)} s`, ""],
];
const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
console.log(`podnet control-plane benchmark (Kubernetes scalability thresholds)`);
console.log(summary);
console.log(`node ${process.version}, ${gc ? "--expose-gc" : "no --expose-gc (heap figures include garbage)"}\n`);
console.log(`${"measure".padEnd(w0)}  ${"podnet".padEnd(w1)}  target`);
console.log(`${"-".repeat(w0)}  ${"-".repeat(w1)}  ------`);
for (const r of rows)
    console.log(`${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`);
const load = (await import("node:os")).loadavg()[0];
console.log(`\nload average during the run: ${load.toFixed(2)} (wall time is only meaningful on an idle machine)`);
console.log(`reference: kube-proxy needs ~5-13 s to program a 5,000-node cluster (KEP-3453).`);
//# sourceMappingURL=run.js.map