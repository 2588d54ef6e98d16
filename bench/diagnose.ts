// `podnet diagnose` on the embedded example (issue 17 §6: ≤ 1 s). Each run does what the
// command does after reading the files: build the state, the trace session, and run the
// checklist for order-app → http://user-service; and, on a warm session, the checklist
// alone, for the healthy flow and for broken ones (a policy denial with its YAML).
// Run directly: `node dist/bench/diagnose.js [runs]` (default 20). Medians, in ms.
import { loadCluster } from "../src/load/cluster.js";
import { diagnose } from "../src/questions/diagnose.js";
import { diagnoseAll } from "../src/questions/diagnose-all.js";
import { modelSession } from "../src/questions/trace.js";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchDiagnose(runs = 20) {
  const full: number[] = [];
  const all: number[] = [];
  const alone: Record<string, number[]> = {};
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const { state } = await loadCluster({ mode: "tolerant" });
    const s = modelSession(state);
    const from = state.pods.find((p) => p.name.startsWith("order-app-"))!;
    const src = `${from.namespace}/${from.name}`;
    const d = diagnose(s, { from: src, to: "http://user-service" });
    full.push(performance.now() - t0);
    if (d.first_failure) throw new Error(`the example's flow should pass: ${d.first_failure.code}`);
    const ta = performance.now();
    diagnoseAll(s);
    all.push(performance.now() - ta);
    for (const to of [
      "http://user-service",
      "http://user-service.production",
      "api.example.com",
      "svc/kube-system/kube-dns",
    ]) {
      const t = performance.now();
      diagnose(s, { from: src, to });
      (alone[to] ??= []).push(performance.now() - t);
    }
  }
  return {
    runs,
    loadAndDiagnoseMs: median(full),
    allMs: median(all),
    diagnoseOnlyMs: Object.fromEntries(Object.entries(alone).map(([k, v]) => [k, median(v)])),
  };
}

if (process.argv[1]?.endsWith("diagnose.js")) {
  const r = await benchDiagnose(Number(process.argv[2] ?? 20));
  console.log(`diagnose on the example (${r.runs} runs, medians; target ≤ 1000 ms):`);
  console.log(`  load + session + diagnose order-app → http://user-service: ${r.loadAndDiagnoseMs.toFixed(1)} ms`);
  console.log(`  diagnose --all (warm session): ${r.allMs.toFixed(1)} ms`);
  for (const [k, v] of Object.entries(r.diagnoseOnlyMs))
    console.log(`  diagnose only (warm session) → ${k}: ${v.toFixed(2)} ms`);
  if (r.loadAndDiagnoseMs > 1000) process.exitCode = 1;
}
