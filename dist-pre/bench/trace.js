import { buildIR } from "../src/dataplane/build.js";
import { traceFlow } from "../src/sim/flow.js";
import { mulberry32 } from "../src/testing/random.js";
function pct(xs, p) {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
export function benchTrace(state, opts = {}) {
    const n = opts.traces ?? 10000;
    const ir = buildIR(state, opts.mode ? { proxyMode: opts.mode } : {});
    const rand = mulberry32(opts.seed ?? 42);
    const pods = state.pods.filter((p) => p.phase === "Running" && p.podIP && !p.spec.hostNetwork);
    const svcs = state.services.filter((s) => s.clusterIP && s.clusterIP !== "None" && s.ports.length);
    const pairs = Array.from({ length: n }, () => {
        const p = pods[Math.floor(rand() * pods.length)];
        const s = svcs[Math.floor(rand() * svcs.length)];
        return {
            from: `${p.namespace}/${p.name}`,
            to: `${s.clusterIP}:${s.ports[0].port}`,
            protocol: s.ports[0].protocol.toLowerCase(),
        };
    });
    const run = (maxPaths) => {
        const times = [];
        const cpu = [];
        let paths = 0;
        let delivered = 0;
        for (const q of pairs) {
            const c = process.cpuUsage();
            const t = performance.now();
            const r = traceFlow(ir, q, maxPaths ? { maxPaths } : {});
            times.push(performance.now() - t);
            const d = process.cpuUsage(c);
            cpu.push((d.user + d.system) / 1000);
            paths += r.paths.length;
            delivered += r.paths.filter((p) => p.disposition.verdict === "DELIVERED").length;
        }
        return { times, cpu, paths, delivered };
    };
    const cold = run();
    const warm = run();
    const one = run(1);
    const total = warm.times.reduce((a, b) => a + b, 0);
    return {
        mode: ir.proxyMode,
        traces: n,
        meanPaths: warm.paths / n,
        delivered: warm.delivered,
        cold: { p50Ms: pct(cold.times, 50), p99Ms: pct(cold.times, 99), maxMs: Math.max(...cold.times) },
        warm: { p50Ms: pct(warm.times, 50), p99Ms: pct(warm.times, 99), maxMs: Math.max(...warm.times), meanMs: total / n },
        warmCpu: { p50Ms: pct(warm.cpu, 50), p99Ms: pct(warm.cpu, 99) },
        perPathUs: (total * 1000) / warm.paths,
        onePath: {
            p50Ms: pct(one.times, 50),
            p99Ms: pct(one.times, 99),
            cpuP50Ms: pct(one.cpu, 50),
            cpuP99Ms: pct(one.cpu, 99),
        },
    };
}
if (import.meta.url === `file://${process.argv[1]}`) {
    // As bin/podnet.js does: V8's allocation-site pretenuring makes the walk's short-lived
    // objects keep young garbage alive (1.6-1.9x slower traces). `npm run bench` also passes it.
    (await import("node:v8")).setFlagsFromString("--no-allocation-site-pretenuring");
    const { thresholdCluster } = await import("./control.js");
    const { buildState } = await import("../src/control/build.js");
    const nodes = Number(process.argv[2] ?? 5000);
    const pods = Number(process.argv[3] ?? 150000);
    const services = Number(process.argv[4] ?? 10000);
    const traces = Number(process.argv[5] ?? 10000);
    // One mode per process by default: each mode's IR is built on its own (memory).
    const modes = (process.argv[6] ?? "iptables").split(",");
    let t = performance.now();
    const state = buildState(thresholdCluster({ nodes, pods, services }));
    console.log(`cluster: ${state.nodes.length} nodes, ${state.pods.length} pods, ${state.services.length} services (state built in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
    for (const mode of modes) {
        t = performance.now();
        const r = benchTrace(state, { traces, mode });
        const f = (x) => x.toFixed(3);
        console.log(`${mode}: ${r.traces} traces, ${r.meanPaths.toFixed(1)} paths/trace, ${r.delivered} delivered paths (${((performance.now() - t) / 1000).toFixed(1)} s)`);
        console.log(`  cold (IR nodes built on first touch): p50 ${f(r.cold.p50Ms)} ms  p99 ${f(r.cold.p99Ms)} ms  max ${f(r.cold.maxMs)} ms`);
        console.log(`  warm:                                  p50 ${f(r.warm.p50Ms)} ms  p99 ${f(r.warm.p99Ms)} ms  max ${f(r.warm.maxMs)} ms  mean ${f(r.warm.meanMs)} ms  (${r.perPathUs.toFixed(1)} µs per path)   targets p50 ≤ 1 ms, p99 ≤ 10 ms`);
        console.log(`  warm CPU time per trace: p50 ${f(r.warmCpu.p50Ms)} ms  p99 ${f(r.warmCpu.p99Ms)} ms (load average ${(await import("node:os")).loadavg()[0].toFixed(1)})`);
        console.log(`  one path per trace (maxPaths 1): p50 ${f(r.onePath.p50Ms)} ms  p99 ${f(r.onePath.p99Ms)} ms; CPU p50 ${f(r.onePath.cpuP50Ms)} ms  p99 ${f(r.onePath.cpuP99Ms)} ms`);
        console.log(`  peak RSS so far ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (state + IR + the interpreter's caches; target ≤ 6 GB)`);
    }
}
//# sourceMappingURL=trace.js.map