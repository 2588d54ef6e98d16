// npm run bench: every model benchmark at Kubernetes' scalability thresholds, each in its
// own process so that one's memory does not weigh on the next:
//   control plane (buildState), kube-proxy rules for one node, the IR, traces, NetworkPolicy reach,
//   loading a `kubectl get -A -o yaml` snapshot of that cluster (snapshot), `diagnose` on the example
//   and on the threshold cluster (diagnose-threshold),
//   and `podnet route` over 5,000 Ingress rules (route).
// `npm run bench -- control policy` runs only the named ones. Kernel and DNS benchmarks
// are `npm run bench:kernel` and `npm run bench:dns`.
import { spawnSync } from "node:child_process";

const benches = {
  control: ["--expose-gc", "dist/bench/run.js"],
  rules: ["--expose-gc", "--max-old-space-size=8192", "dist/bench/rules.js", "threshold", "iptables,nftables", "3"],
  ir: ["--expose-gc", "--max-old-space-size=8192", "dist/bench/ir.js", "threshold"],
  // Young generation of 128 MB: a 250-path trace's output outlives the default one (p99 23.6 → 19.3 ms, measured).
  trace: [
    "--expose-gc",
    "--max-old-space-size=6144",
    "--max-semi-space-size=128",
    "--no-allocation-site-pretenuring",
    "dist/bench/trace.js",
    "5000",
    "150000",
    "10000",
    "10000",
    "iptables",
  ],
  policy: ["--expose-gc", "--max-old-space-size=8192", "dist/bench/policy.js", "10000", "3"],
  // Cilium (issue 20 §7): a node's BPF maps for 10,000 Services (≤ 2 s) and traces through the eBPF datapath.
  cilium: [
    "--expose-gc",
    "--max-old-space-size=8192",
    "--max-semi-space-size=128",
    "--no-allocation-site-pretenuring",
    "dist/bench/cilium.js",
    "5000",
    "150000",
    "10000",
    "10000",
  ],
  // podnet diagnose on the embedded example (issue 17: ≤ 1 s), median of 20 runs.
  diagnose: ["dist/bench/diagnose.js", "20"],
  // ... and on the threshold cluster after it is built (issue 17: ≤ 5 s): first run and warm median.
  "diagnose-threshold": [
    "--max-old-space-size=12000",
    "--no-allocation-site-pretenuring",
    "dist/bench/diagnose-threshold.js",
    "5",
  ],
  // podnet route: 5,000 Ingress rules, route() per request after load (issue 18: ≤ 1 ms).
  route: ["dist/bench/route.js", "1000", "20000"],
  // Writes the dump (~1 GB) to the temp directory, then times loadCluster on it in a child process.
  snapshot: ["--expose-gc", "--max-old-space-size=8192", "dist/bench/snapshot.js"],
};
const only = process.argv.slice(2);
let failed = 0;
for (const [name, args] of Object.entries(benches)) {
  if (only.length && !only.includes(name)) continue;
  console.log(`\n=== ${name} ===`);
  const r = spawnSync(process.execPath, args, { stdio: "inherit" });
  if (r.status !== 0) {
    failed++;
    console.log(`(${name} exited with ${r.status ?? r.signal})`);
  }
}
process.exit(failed ? 1 : 0);
