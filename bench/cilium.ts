// Cilium at the threshold cluster (issue 20 §7): the BPF maps of a node for 10,000 Services
// (target ≤ 2 s, the first node: the cluster-wide parts — identities, the lb4 frontends and
// backends — included) and random pod → Service traces through the eBPF datapath (targets
// like the other flavors: p50 ≤ 1 ms, p99 ≤ 10 ms). Cilium's defaults: vxlan tunnel,
// kube-proxy replacement (Services in the lb4 maps, no kube-proxy rules).
// Run: `node --expose-gc dist/bench/cilium.js [nodes] [pods] [services] [traces]`.
// Figures (session 12, `npm run bench -- cilium`, the threshold cluster, shared 2-core machine;
// two runs, at load average 5.8 and 10–12): maps of the first node 1.49 / 1.45 s of CPU (1.3 /
// 2.9 s wall), 6.6 / 7.0 ms per further node; 10,000 traces, 35.4 paths each: warm p50
// 0.536 / 0.540 ms, p99 9.38 / 9.27 ms of CPU (12.3 / 19.4 ms wall: the process shared its
// cores), 42.5 / 62.0 µs per path, one path p50 0.11 / 0.12 ms; peak RSS 6.1 / 5.9 GB.
// Quiet machine (session 12, load average ~2, one run): maps of the first node 1.12 s wall,
// 1.31 s of CPU, 1.7 ms per further node; warm p50 0.536 ms, p99 8.11 ms (CPU 8.13 ms), one
// path 0.11 ms, peak RSS 5.96 GB.
// Before (session 11): maps 2.5–2.9 s of CPU (~9 ms per further node); the cold pass never
// finished at 5,000 nodes (at 1,000: p99 13.6 ms of CPU).
import { loadavg } from "node:os";
import { buildContext, buildNodeIR } from "../src/dataplane/build.js";
import { buildState } from "../src/control/build.js";
import { thresholdCluster } from "./control.js";
import { benchTrace } from "./trace.js";

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

(await import("node:v8")).setFlagsFromString("--no-allocation-site-pretenuring");
const nodes = Number(process.argv[2] ?? 5000);
const pods = Number(process.argv[3] ?? 150000);
const services = Number(process.argv[4] ?? 10000);
const traces = Number(process.argv[5] ?? 10000);
let t = performance.now();
const state = buildState(thresholdCluster({ nodes, pods, services, cni: "cilium" }));
const net = state.config.networking;
console.log(
  `cluster: ${state.nodes.length} nodes, ${state.pods.length} pods, ${state.services.length} services, ${net.cni} ${net.backend} kubeProxyMode ${net.kubeProxyMode} (state built in ${((performance.now() - t) / 1000).toFixed(1)} s)`,
);

// BPF maps: the first node (cluster-wide parts included), then the median of 20 more.
t = performance.now();
const c0 = process.cpuUsage();
const ctx = buildContext(state, {});
const names = state.nodes.map((n) => n.name);
const first = buildNodeIR(state, names[names.length >> 1], ctx);
const firstMs = performance.now() - t;
const c1 = process.cpuUsage(c0);
const firstCpuMs = (c1.user + c1.system) / 1000;
const b = first.node.bpf!;
const per: number[] = [];
for (let i = 1; i <= 20; i++) {
  const s = performance.now();
  buildNodeIR(state, names[(i * 97) % names.length], ctx);
  per.push(performance.now() - s);
}
console.log(
  `bpf maps: ${b.services.cluster.length} + ${b.services.local.length} lb4 frontends (cluster-wide + the node's), ${b.backends.length} backends, ${b.revNat.cluster.length + b.revNat.local.length} reverse NAT, ${b.ipcache.cluster.length} ipcache (+ ${b.ipcache.local.length} of the node's own), ${b.endpoints.length} endpoints, ${b.identities.length} identities`,
);
console.log(
  `  first node (with the context and cluster-wide maps) ${(firstMs / 1000).toFixed(3)} s, CPU ${(firstCpuMs / 1000).toFixed(3)} s (target ≤ 2 s; load average ${loadavg()[0].toFixed(1)}); each further node: median ${pct(per, 50).toFixed(1)} ms  p99 ${pct(per, 99).toFixed(1)} ms`,
);

if (traces === 0) process.exit(0);
t = performance.now();
const r = benchTrace(state, { traces });
const f = (x: number) => x.toFixed(3);
console.log(
  `cilium traces: ${r.traces}, ${r.meanPaths.toFixed(1)} paths/trace, ${r.delivered} delivered paths (${((performance.now() - t) / 1000).toFixed(1)} s)`,
);
console.log(
  `  cold (IR nodes built on first touch): p50 ${f(r.cold.p50Ms)} ms  p99 ${f(r.cold.p99Ms)} ms  max ${f(r.cold.maxMs)} ms`,
);
console.log(
  `  warm:                                  p50 ${f(r.warm.p50Ms)} ms  p99 ${f(r.warm.p99Ms)} ms  max ${f(r.warm.maxMs)} ms  mean ${f(r.warm.meanMs)} ms  (${r.perPathUs.toFixed(1)} µs per path)   targets p50 ≤ 1 ms, p99 ≤ 10 ms`,
);
console.log(`  warm CPU time per trace: p50 ${f(r.warmCpu.p50Ms)} ms  p99 ${f(r.warmCpu.p99Ms)} ms`);
console.log(
  `  one path per trace (maxPaths 1): p50 ${f(r.onePath.p50Ms)} ms  p99 ${f(r.onePath.p99Ms)} ms; CPU p50 ${f(r.onePath.cpuP50Ms)} ms  p99 ${f(r.onePath.cpuP99Ms)} ms`,
);
console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
