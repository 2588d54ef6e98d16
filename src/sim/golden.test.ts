// Regression pin for interpreter optimisations: the JSON of a fixed set of traces must not
// change byte for byte. Digests were recorded from the interpreter before the per-path CPU
// work (issue 3 §8); a deliberate behaviour change must re-record them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { loadCluster, buildState } from "../index.js";
import type { ClusterState } from "../control/state.js";
import { buildIR } from "../ir/build.js";
import { ipvsIpsets } from "../proxy/ipvs/index.js";
import { traceFlow, type TraceOptions } from "./flow.js";

const { spec } = await loadCluster({});
const withPolicies = (await loadCluster({ files: ["examples/demo", "examples/policies"] })).spec;
function stateFor(s: typeof spec, cni: string, backend: string, mode: string): ClusterState {
  return buildState({ ...s, config: { ...s.config, networking: { ...s.config.networking, cni: cni as any, backend: backend as any, kubeProxyMode: mode as any } } });
}
const flavors: [string, string][] = [
  ["flannel", "vxlan"],
  ["flannel", "host-gw"],
  ["calico", "bgp"],
  ["calico", "ipip"],
  ["calico", "vxlan"],
];

function digest(s: typeof spec, cni: string, backend: string, mode: string): string {
  const state = stateFor(s, cni, backend, mode);
  const ir = buildIR(state);
  const opts: TraceOptions = { state };
  if (mode === "ipvs") opts.ipsets = (id) => {
    const n = state.nodes.find((x) => `node/${x.name}` === id);
    return n ? (ipvsIpsets(state, n) as unknown as Record<string, (string | number)[]>) : undefined;
  };
  const h = createHash("sha256");
  const pods = state.pods.filter((p) => p.podIP && p.phase === "Running");
  const svcs = state.services.filter((x) => x.clusterIP && x.clusterIP !== "None");
  const add = (q: Parameters<typeof traceFlow>[1], o: TraceOptions = opts) => {
    let out: string;
    try {
      out = JSON.stringify(traceFlow(ir, q, o));
    } catch (e) {
      out = `error: ${(e as Error).message}`;
    }
    h.update(out + "\n");
  };
  for (const p of pods) {
    for (const x of svcs) add({ from: `${p.namespace}/${p.name}`, to: `svc/${x.namespace}/${x.name}`, reply: true });
    for (const q of pods.slice(0, 6)) add({ from: `${p.namespace}/${p.name}`, to: `${q.namespace}/${q.name}`, reply: true });
  }
  add({ from: "order-app", to: "http://user-service/api", reply: true });
  add({ from: "order-app", to: "http://api.example.com/", reply: true });
  add({ from: "order-app", to: "svc/user-service" }, { ...opts, maxPaths: 1 });
  add({ from: "order-app", to: "svc/user-service", reply: true }, { ...opts, replay: true });
  for (const n of state.nodes) add({ from: `node/${n.name}`, to: "svc/default/user-service", reply: true });
  for (const x of svcs) for (const pp of x.ports) if (pp.nodePort) for (const n of state.nodes) add({ from: "external", to: `${n.address}:${pp.nodePort}`, reply: true });
  return h.digest("hex");
}

const expected: Record<string, string> = {
};

test("trace JSON is unchanged (sha256 per flavor × proxy mode × policies)", () => {
  const got: Record<string, string> = {};
  for (const [cni, backend] of flavors)
    for (const mode of ["iptables", "nftables", "ipvs"])
      for (const [tag, s] of [["plain", spec], ["policies", withPolicies]] as const) got[`${cni}/${backend}/${mode}/${tag}`] = digest(s, cni, backend, mode);
  if (process.env.PODNET_GOLDEN_PRINT) console.log(JSON.stringify(got, null, 2));
  assert.deepEqual(got, expected);
});
