// In-process A/B of the packet interpreter: two builds of podnet loaded into one process
// run the same random pod → Service traces over the same cluster, alternating which goes
// first, so that the machine's drift and the heap's layout weigh on both alike. Separate
// processes on a small VM swing ±10 % for the same code; this comparison does not.
//   npm run build && rm -rf dist-base && cp -r dist dist-base   (the build to compare against;
//   inside the checkout, so that it finds node_modules)
//   … change, npm run build …
//   node --expose-gc --max-semi-space-size=128 --no-allocation-site-pretenuring \
//     dist/bench/ab.js dist-base dist [nodes=1000] [passes=5]
// Each build is reached only through its library face (dist/src/index.js), so builds of
// different layouts compare.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { thresholdCluster } from "./control.js";
import { mulberry32 } from "../src/testing/random.js";
const [dirA, dirB, nodesArg, passesArg] = process.argv.slice(2);
if (!dirA || !dirB) {
    console.error("usage: node dist/bench/ab.js DIST_A DIST_B [nodes] [passes]");
    process.exit(2);
}
const load = async (dir) => (await import(pathToFileURL(resolve(dir, "src/index.js")).href));
const [a, b] = [await load(dirA), await load(dirB)];
const nodes = Number(nodesArg ?? 1000);
const passes = Number(passesArg ?? 5);
const state = a.buildState(thresholdCluster({ nodes, pods: nodes * 30, services: nodes * 2 }));
const rand = mulberry32(42);
const pods = state.pods.filter((p) => p.phase === "Running" && p.podIP && !p.spec.hostNetwork);
const svcs = state.services.filter((s) => s.clusterIP && s.clusterIP !== "None" && s.ports.length);
const flows = Array.from({ length: 4000 }, () => {
    const p = pods[Math.floor(rand() * pods.length)];
    const s = svcs[Math.floor(rand() * svcs.length)];
    return { from: `${p.namespace}/${p.name}`, to: `${s.clusterIP}:${s.ports[0].port}` };
});
const irs = [a.buildIR(state), b.buildIR(state)];
const libs = [a, b];
const time = [0, 0];
const perPass = [[], []];
let paths = 0;
// Warm both (builds each node's IR lazily, compiles the rules) before timing, trace by
// trace, so that neither build's objects all sit after the other's in the heap.
for (const f of flows)
    for (const i of [0, 1])
        libs[i].traceFlow(irs[i], f);
for (let pass = 0; pass < passes; pass++) {
    const pass0 = [time[0], time[1]];
    for (let k = 0; k < flows.length; k++) {
        const order = (k + pass) % 2 === 0 ? [0, 1] : [1, 0];
        for (const i of order) {
            const t = performance.now();
            const r = libs[i].traceFlow(irs[i], flows[k]);
            time[i] += performance.now() - t;
            if (i === 0)
                paths += r.paths.length;
        }
    }
    for (const i of [0, 1])
        perPass[i].push(time[i] - pass0[i]);
}
const pathsPerPass = paths / passes;
const us = (ms) => (ms * 1000) / pathsPerPass;
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
for (const i of [0, 1]) {
    const name = i === 0 ? `A ${dirA}` : `B ${dirB}`;
    console.log(`${name}: per path min ${us(Math.min(...perPass[i])).toFixed(2)} µs, median ${us(median(perPass[i])).toFixed(2)} µs`);
}
const ratios = perPass[0].map((t, k) => perPass[1][k] / t);
console.log(`B/A per pass: ${ratios.map((r) => r.toFixed(3)).join(" ")}; median ${median(ratios).toFixed(3)} (${nodes} nodes, ${flows.length} traces × ${passes} passes, ${pathsPerPass} paths per pass)`);
//# sourceMappingURL=ab.js.map