// The trace golden hash: a fixed set of traces (flannel and calico, iptables, nftables and
// ipvs, NetworkPolicies, replies, node sources, names through the resolver) whose JSON is
// hashed. A refactor of the model must leave every hash unchanged:
//   npm run build && node dist/bench/golden.js          (one line per case, then the total)
// Through the questions layer's trace session, as `podnet trace` asks.
import { createHash } from "node:crypto";
import { buildIR, buildState, loadCluster } from "../src/index.js";
import { thresholdCluster } from "./control.js";
import { thresholdPolicies } from "./policy.js";
import { mulberry32 } from "../src/testing/random.js";
import { traceSession } from "../src/questions/trace.js";
function flows(state, n, seed) {
    const rand = mulberry32(seed);
    const pick = (xs) => xs[Math.floor(rand() * xs.length)];
    const pods = state.pods.filter((p) => p.phase === "Running" && p.podIP && !p.spec.hostNetwork);
    const svcs = state.services.filter((s) => s.clusterIP && s.clusterIP !== "None" && s.ports.length);
    const out = [];
    for (let i = 0; i < n; i++) {
        const p = pick(pods);
        const from = i % 10 === 9 ? `node/${pick(state.nodes).name}` : `${p.namespace}/${p.name}`;
        const s = pick(svcs);
        const port = s.ports[0];
        const reply = i % 2 === 0;
        const protocol = port.protocol.toLowerCase();
        switch (i % 5) {
            case 0: // a Service by name, through the pod's resolver
                out.push(from.startsWith("node/")
                    ? { from, to: `${s.clusterIP}:${port.port}`, protocol, reply }
                    : { from, to: `http://${s.name}.${s.namespace}:${port.port}/`, reply });
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
function hashCase(state, mode, n, seed) {
    const ir = buildIR(state, { proxyMode: mode });
    const h = createHash("sha256");
    const session = traceSession(state, ir);
    const verdicts = new Map();
    const count = (v) => verdicts.set(v, (verdicts.get(v) ?? 0) + 1);
    for (const f of flows(state, n, seed)) {
        let out;
        try {
            const r = session.trace(f, { maxPaths: 64 });
            for (const p of r.paths)
                count(p.disposition.verdict);
            out = r;
        }
        catch (e) {
            count("error");
            if (process.env.GOLDEN_DEBUG)
                console.error(JSON.stringify(f), e.message);
            out = { error: e.message };
        }
        h.update(JSON.stringify(out));
    }
    return [h.digest("hex"), [...verdicts].map(([v, c]) => `${v} ${c}`).join(", ")];
}
const total = createHash("sha256");
const line = (name, [hex, verdicts]) => {
    total.update(hex);
    console.log(`${hex.slice(0, 16)}  ${name.padEnd(24)} paths: ${verdicts}`);
};
for (const cni of ["flannel", "calico"]) {
    const spec = thresholdCluster({ nodes: 40, pods: 1200, services: 120, namespaces: 6, cni });
    spec.objects.push(...thresholdPolicies(spec, 6));
    const state = buildState(spec);
    for (const mode of ["iptables", "nftables", "ipvs"])
        line(`${cni} ${mode}`, hashCase(state, mode, 150, 7));
}
const demo = await loadCluster({ files: ["examples/demo", "examples/policies"] });
for (const mode of ["iptables", "nftables"])
    line(`demo+policies ${mode}`, hashCase(demo.state, mode, 150, 11));
console.log(`${total.digest("hex").slice(0, 16)}  total`);
//# sourceMappingURL=golden.js.map