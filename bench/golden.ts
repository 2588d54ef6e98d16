// The trace golden hash: a fixed set of traces (flannel and calico, iptables, nftables and
// ipvs, NetworkPolicies, replies, node sources, names through the resolver) whose JSON is
// hashed. A refactor of the model must leave every hash unchanged:
//   npm run build && node dist/bench/golden.js          (one line per case, then the total)
// GOLDEN_DUMP=FILE writes every flow and its trace JSON, one line each, to compare two builds.
// Through the questions layer's trace session, as `podnet trace` asks.
import { createHash } from "node:crypto";
import { appendFileSync, writeFileSync } from "node:fs";
import { buildIR, buildState, loadCluster } from "../src/index.js";
import type { ClusterState, FlowSpec } from "../src/index.js";
import { thresholdCluster } from "./control.js";
import { thresholdPolicies } from "./policy.js";
import { mulberry32 } from "../src/testing/random.js";
import { traceSession } from "../src/questions/trace.js";

type Mode = "iptables" | "nftables" | "ipvs";

function flows(state: ClusterState, n: number, seed: number): FlowSpec[] {
  const rand = mulberry32(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const pods = state.pods.filter((p) => p.phase === "Running" && p.podIP && !p.spec.hostNetwork);
  const svcs = state.services.filter((s) => s.clusterIP && s.clusterIP !== "None" && s.ports.length);
  const out: FlowSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = pick(pods);
    const from = i % 10 === 9 ? `node/${pick(state.nodes).name}` : `${p.namespace}/${p.name}`;
    const s = pick(svcs);
    const port = s.ports[0];
    const reply = i % 2 === 0;
    const protocol = port.protocol.toLowerCase() as "tcp";
    switch (i % 5) {
      case 0: // a Service by name, through the pod's resolver
        out.push(
          from.startsWith("node/")
            ? { from, to: `${s.clusterIP}:${port.port}`, protocol, reply }
            : { from, to: `http://${s.name}.${s.namespace}:${port.port}/`, reply },
        );
        break;
      case 1: {
        const q = pick(pods);
        out.push({ from, to: `${q.namespace}/${q.name}`, port: 8080, protocol: "tcp", reply });
        break;
      }
      default:
        out.push({ from, to: `${s.clusterIP}:${port.port}`, protocol, reply });
    }
  }
  return out;
}

const dump = process.env.GOLDEN_DUMP;
if (dump) writeFileSync(dump, "");

function hashCase(state: ClusterState, mode: Mode, n: number, seed: number, name: string): [string, string] {
  const ir = buildIR(state, { proxyMode: mode });
  const h = createHash("sha256");
  const session = traceSession(state, ir);
  const verdicts = new Map<string, number>();
  const count = (v: string) => verdicts.set(v, (verdicts.get(v) ?? 0) + 1);
  for (const f of flows(state, n, seed)) {
    let out: unknown;
    try {
      const r = session.trace(f, { maxPaths: 64 });
      for (const p of r.paths) count(p.disposition.verdict);
      out = r;
    } catch (e) {
      count("error");
      if (process.env.GOLDEN_DEBUG) console.error(JSON.stringify(f), (e as Error).message);
      out = { error: (e as Error).message };
    }
    const json = JSON.stringify(out);
    if (dump) appendFileSync(dump, `${name}\t${JSON.stringify(f)}\t${json}\n`);
    h.update(json);
  }
  return [h.digest("hex"), [...verdicts].map(([v, c]) => `${v} ${c}`).join(", ")];
}

const total = createHash("sha256");
const line = (name: string, [hex, verdicts]: [string, string]) => {
  total.update(hex);
  console.log(`${hex.slice(0, 16)}  ${name.padEnd(24)} paths: ${verdicts}`);
};
for (const cni of ["flannel", "calico"] as const) {
  const spec = thresholdCluster({ nodes: 40, pods: 1200, services: 120, namespaces: 6, cni });
  spec.objects.push(...thresholdPolicies(spec, 6));
  const state = buildState(spec);
  for (const mode of ["iptables", "nftables", "ipvs"] as Mode[])
    line(`${cni} ${mode}`, hashCase(state, mode, 150, 7, `${cni} ${mode}`));
}
const demo = await loadCluster({ files: ["examples/demo", "examples/policies"] });
for (const mode of ["iptables", "nftables"] as Mode[])
  line(`demo+policies ${mode}`, hashCase(demo.state, mode, 150, 11, `demo+policies ${mode}`));
console.log(`${total.digest("hex").slice(0, 16)}  total`);
