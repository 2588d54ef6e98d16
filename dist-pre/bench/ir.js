import { buildContext, buildNodeIR, buildUnderlay } from "../src/dataplane/build.js";
import { renderRoutes } from "../src/ir/render-ip.js";
import { fixtureState } from "../src/plumbing/testing.js";
const pct = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
export function benchIR(state, opts = {}) {
    const samples = Math.min(opts.samples ?? 50, state.nodes.length);
    const gc = globalThis.gc;
    let t = performance.now();
    const ctx = buildContext(state, opts.proxyMode ? { proxyMode: opts.proxyMode } : {});
    ctx.proxyShared();
    const contextMs = performance.now() - t;
    const names = state.nodes.map((n) => n.name);
    t = performance.now();
    const first = buildNodeIR(state, names[names.length >> 1], ctx);
    const firstNodeMs = performance.now() - t;
    t = performance.now();
    renderRoutes(first.node.ns, "all");
    const renderRoutesMs = performance.now() - t;
    gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const keep = [];
    const times = [];
    const step = Math.max(1, Math.floor(names.length / samples));
    for (let i = 0; i < samples; i++) {
        const s = performance.now();
        keep.push(buildNodeIR(state, names[(i * step) % names.length], ctx));
        times.push(performance.now() - s);
    }
    gc?.();
    const heapPerNodeKB = (process.memoryUsage().heapUsed - heap0) / samples / 1024;
    t = performance.now();
    buildUnderlay(state, ctx);
    const underlayMs = performance.now() - t;
    return {
        nodes: state.nodes.length,
        pods: state.pods.length,
        proxyMode: ctx.proxyModeName,
        contextMs,
        firstNodeMs,
        nodeMedianMs: pct(times, 50),
        nodeP99Ms: pct(times, 99),
        renderRoutesMs,
        underlayMs,
        routesPerNode: first.node.ns.routes.length,
        heapPerNodeKB: keep.length ? heapPerNodeKB : 0,
    };
}
export function formatIrBench(r) {
    const f = (x) => x.toFixed(1);
    return [
        `IR (${r.nodes} nodes, ${r.pods} pods, proxy ${r.proxyMode})`,
        `  context (indexes + shared kube-proxy output): ${f(r.contextMs)} ms`,
        `  one node's IR: first ${f(r.firstNodeMs)} ms, median ${f(r.nodeMedianMs)} ms, p99 ${f(r.nodeP99Ms)} ms (${r.routesPerNode} routes)`,
        `  ip route show table all for it: ${f(r.renderRoutesMs)} ms; underlay: ${f(r.underlayMs)} ms`,
        `  heap per retained node IR: ${f(r.heapPerNodeKB)} KB`,
    ].join("\n");
}
if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === "threshold") {
    // The foundation issue's threshold cluster through the real control plane and kube-proxy.
    const { buildState } = await import("../src/control/build.js");
    const { thresholdCluster } = await import("./control.js");
    let t = performance.now();
    const state = buildState(thresholdCluster());
    console.log(`buildState: ${((performance.now() - t) / 1000).toFixed(2)} s`);
    for (const mode of (process.argv[3] ?? "iptables,nftables").split(",")) {
        t = performance.now();
        console.log(formatIrBench(benchIR(state, { proxyMode: mode })));
    }
    console.log(`peak RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`);
}
else if (import.meta.url === `file://${process.argv[1]}`) {
    const nodes = Number(process.argv[2] ?? 5000);
    const per = Number(process.argv[3] ?? 30);
    const t = performance.now();
    const state = fixtureState({ nodes, podsPerNode: per, proxyMode: "none" });
    console.log(`synthetic state: ${((performance.now() - t) / 1000).toFixed(2)} s`);
    console.log(formatIrBench(benchIR(state)));
}
//# sourceMappingURL=ir.js.map