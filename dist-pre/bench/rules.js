import { proxyModes } from "../src/proxy/index.js";
import { renderIptables, renderIptablesBytes } from "../src/ir/render-iptables.js";
import { renderNft, renderNftBytes } from "../src/ir/render-nft.js";
import { syntheticState } from "../src/proxy/testing.js";
export function benchRules(state, opts = {}) {
    const mode = proxyModes[opts.mode ?? "iptables"];
    const node = state.nodes.find((n) => n.name === opts.node) ?? state.nodes[state.nodes.length >> 1];
    const cpu0 = process.cpuUsage();
    let t = performance.now();
    const shared = mode.shared(state);
    const sharedMs = performance.now() - t;
    t = performance.now();
    const own = mode.perNode(state, node, shared);
    const perNodeMs = performance.now() - t;
    t = performance.now();
    const text = mode.netfilter === "nftables"
        ? renderNft([shared.nftables, own.nftables])
        : renderIptables([shared.iptables, own.iptables]);
    const renderMs = performance.now() - t;
    const cpu = process.cpuUsage(cpu0);
    const times = [];
    const samples = Math.min(opts.samples ?? 20, state.nodes.length);
    for (let i = 0; i < samples; i++) {
        const n = state.nodes[Math.floor((i * state.nodes.length) / samples)];
        const s = performance.now();
        mode.perNode(state, n, shared);
        times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    let lines = 0;
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1))
        lines++;
    let bytesCpuMs;
    let bytesMs;
    if (opts.bytes) {
        globalThis.gc?.();
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const sh = mode.shared(state);
        const own2 = mode.perNode(state, node, sh);
        const bytes = mode.netfilter === "nftables"
            ? renderNftBytes([sh.nftables, own2.nftables])
            : renderIptablesBytes([sh.iptables, own2.iptables]);
        bytesMs = performance.now() - t0;
        const c = process.cpuUsage(c0);
        bytesCpuMs = (c.user + c.system) / 1000;
        if (bytes.length !== Buffer.byteLength(text))
            throw new Error("bench: the bytes differ in length from the text");
    }
    return {
        mode: mode.name,
        services: state.services.length,
        endpoints: state.endpointSlices.reduce((n, s) => n + s.endpoints.length, 0),
        nodes: state.nodes.length,
        sharedMs,
        perNodeMs,
        renderMs,
        totalMs: sharedMs + perNodeMs + renderMs,
        totalCpuMs: (cpu.user + cpu.system) / 1000,
        perNodeMedianMs: times.length ? times[times.length >> 1] : 0,
        lines,
        megabytes: text.length / 1048576,
        bytesCpuMs,
        bytesMs,
    };
}
export function formatRulesBench(r) {
    const f = (x) => x.toFixed(0);
    return [
        `kube-proxy ${r.mode} (${r.services} services, ${r.endpoints} endpoints, ${r.nodes} nodes)`,
        `  shared rules (once per state): ${f(r.sharedMs)} ms`,
        `  one node's own layer: ${r.perNodeMs.toFixed(2)} ms (median over nodes ${r.perNodeMedianMs.toFixed(2)} ms)`,
        `  render one node: ${f(r.renderMs)} ms, ${r.lines} lines, ${r.megabytes.toFixed(1)} MB`,
        `  total: ${f(r.totalMs)} ms wall, ${f(r.totalCpuMs)} ms CPU (target ≤ 2000 ms)`,
    ].join("\n");
}
function median(xs) {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
/** The threshold cluster (bench/control.ts) built once; shared + one node + render, `runs` times per mode. */
export async function benchRulesThreshold(modes, runs) {
    const { buildState } = await import("../src/control/build.js");
    const { thresholdCluster } = await import("./control.js");
    const gc = globalThis.gc;
    const t = performance.now();
    const state = buildState(thresholdCluster());
    console.log(`threshold state: ${((performance.now() - t) / 1000).toFixed(2)} s (not part of the rules budget)`);
    for (const mode of modes) {
        const rs = [];
        for (let i = 0; i < runs; i++) {
            gc?.();
            rs.push(benchRules(state, { mode, samples: 5, bytes: true }));
            const r = rs[i];
            process.stderr.write(`  ${mode} run ${i + 1}/${runs}: shared ${r.sharedMs.toFixed(0)} + node ${r.perNodeMs.toFixed(0)} + render ${r.renderMs.toFixed(0)} = ${r.totalMs.toFixed(0)} ms wall, ${r.totalCpuMs.toFixed(0)} ms CPU\n`);
        }
        const r = rs[0];
        console.log(`kube-proxy ${mode}, threshold cluster (${r.services} services, ${r.endpoints} endpoints, ${r.nodes} nodes): ${r.lines} lines, ${r.megabytes.toFixed(1)} MB`);
        console.log(`  medians of ${runs}: shared ${median(rs.map((x) => x.sharedMs)).toFixed(0)} ms, node ${median(rs.map((x) => x.perNodeMs)).toFixed(1)} ms, render ${median(rs.map((x) => x.renderMs)).toFixed(0)} ms`);
        // `podnet rules NODE` writes the bytes (cmd-rules.ts): that is the command's cost, the target's measure.
        console.log(`  podnet rules NODE (shared + node + the text as bytes, as the CLI writes it): ${median(rs.map((x) => x.bytesMs)).toFixed(0)} ms wall, ${median(rs.map((x) => x.bytesCpuMs)).toFixed(0)} ms CPU (target ≤ 2000 ms)`);
        console.log(`  the same as one JS string (renderIptables/renderNft, the library): ${median(rs.map((x) => x.totalMs)).toFixed(0)} ms wall, ${median(rs.map((x) => x.totalCpuMs)).toFixed(0)} ms CPU`);
    }
    console.log(`load average ${(await import("node:os")).loadavg()[0].toFixed(2)}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}
if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === "threshold") {
    // `node --expose-gc dist/bench/rules.js threshold [modes] [runs]`
    await benchRulesThreshold((process.argv[3] ?? "iptables,nftables").split(","), Number(process.argv[4] ?? 5));
}
else if (import.meta.url === `file://${process.argv[1]}`) {
    const services = Number(process.argv[2] ?? 10000);
    const eps = Number(process.argv[3] ?? 15);
    const nodes = Number(process.argv[4] ?? 5000);
    const modes = (process.argv[5] ?? "iptables,nftables").split(",");
    const t = performance.now();
    const state = syntheticState(services, eps, nodes);
    console.log(`synthetic state: ${((performance.now() - t) / 1000).toFixed(2)} s`);
    for (const mode of modes)
        console.log(formatRulesBench(benchRules(state, { mode })));
    console.log(`peak RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`);
}
//# sourceMappingURL=rules.js.map