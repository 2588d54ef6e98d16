// The forking walk (a random choice forks the walk; the prefix is walked once) must give
// exactly what enumerating whole walks gives, one per choice sequence (opts.replay, the
// reference): same paths, probabilities, choices and steps, byte for byte in JSON.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadCluster, buildState } from "../index.js";
import type { ClusterState } from "../control/state.js";
import { buildIR } from "../dataplane/build.js";
import { ipvsIpsets } from "../proxy/ipvs/index.js";
import { traceFlow, type FlowSpec, type TraceOptions } from "./flow.js";
import { fixtureIR, type Flavor } from "./testing.js";
import type { DataplaneIR } from "../ir/types.js";

function same(ir: DataplaneIR, q: FlowSpec, opts: TraceOptions = {}): number {
  const fork = JSON.stringify(traceFlow(ir, q, opts));
  const replay = JSON.stringify(traceFlow(ir, q, { ...opts, replay: true }));
  assert.equal(fork, replay, `${q.from} → ${q.to}`);
  return (JSON.parse(fork) as { paths: unknown[] }).paths.length;
}

const { spec } = await loadCluster({});
const withPolicies = (await loadCluster({ files: ["examples/demo", "examples/policies"] })).spec;
function stateFor(s: typeof spec, cni: string, backend: string, mode: string): ClusterState {
  return buildState({
    ...s,
    config: {
      ...s.config,
      networking: { ...s.config.networking, cni: cni as any, backend: backend as any, kubeProxyMode: mode as any },
    },
  });
}
const flavors: [string, string][] = [
  ["flannel", "vxlan"],
  ["flannel", "host-gw"],
  ["calico", "bgp"],
  ["calico", "ipip"],
  ["calico", "vxlan"],
];

for (const [cni, backend] of flavors) {
  for (const mode of ["iptables", "nftables", "ipvs"]) {
    test(`fork = replay on the demo (${cni}/${backend}, ${mode}), with and without policies`, () => {
      for (const s of [spec, withPolicies]) {
        const state = stateFor(s, cni, backend, mode);
        const ir = buildIR(state);
        const opts: TraceOptions = { state };
        if (mode === "ipvs")
          opts.ipsets = (id) => {
            const n = state.nodes.find((x) => `node/${x.name}` === id);
            return n ? (ipvsIpsets(state, n) as unknown as Record<string, (string | number)[]>) : undefined;
          };
        const pods = state.pods.filter((p) => p.podIP && p.phase === "Running").slice(0, 4);
        const svcs = state.services.filter((x) => x.clusterIP && x.clusterIP !== "None");
        let paths = 0;
        for (const p of pods)
          for (const x of svcs)
            paths += same(
              ir,
              { from: `${p.namespace}/${p.name}`, to: `svc/${x.namespace}/${x.name}`, reply: true },
              opts,
            );
        same(ir, { from: "order-app", to: "http://user-service/api", reply: true }, opts);
        same(ir, { from: "order-app", to: "svc/user-service" }, { ...opts, maxPaths: 1 });
        for (const x of svcs)
          for (const pp of x.ports)
            if (pp.nodePort)
              same(ir, { from: "external", to: `${state.nodes[1].address}:${pp.nodePort}`, reply: true }, opts);
        assert.ok(paths > pods.length * svcs.length, "some Services have several endpoints");
      }
    });
  }
}

for (const flavor of ["flannel/vxlan", "calico/ipip"] as Flavor[]) {
  for (const proxy of ["iptables", "nftables"] as const) {
    test(`fork = replay on a fixture with many endpoints, affinity, truncation (${flavor}, ${proxy})`, () => {
      const pods = Array.from({ length: 24 }, (_, i) => ({
        namespace: "default",
        name: `be-${i}`,
        node: 1 + (i % 3),
        containers: [{ name: "app", ports: [{ port: 8080 }] }],
      }));
      pods.push({ namespace: "default", name: "client", node: 1, containers: [{ name: "curl", ports: [] }] });
      const eps = pods.slice(0, 24).map((p) => ({ pod: `default/${p.name}`, port: 8080 }));
      const ir = fixtureIR({
        flavor,
        proxy,
        nodes: 4,
        pods,
        services: [
          { namespace: "default", name: "big", clusterIP: "10.96.0.90", port: 80, endpoints: eps },
          {
            namespace: "default",
            name: "sticky",
            clusterIP: "10.96.0.91",
            port: 80,
            affinity: 10800,
            endpoints: eps.slice(0, 5),
          },
        ],
      });
      assert.equal(same(ir, { from: "default/client", to: "10.96.0.90:80", reply: true }), 24);
      same(ir, { from: "default/client", to: "10.96.0.91:80", reply: true });
      same(ir, { from: "default/client", to: "10.96.0.91:80" }, { affinity: { "KUBE-SEP-X": ["10.244.1.9"] } });
      for (const max of [1, 5, 23, 24]) same(ir, { from: "default/client", to: "10.96.0.90:80" }, { maxPaths: max });
      const cut = traceFlow(ir, { from: "default/client", to: "10.96.0.90:80" }, { maxPaths: 5 });
      assert.equal(cut.paths.length, 5);
      assert.equal(cut.truncated, true);
    });
  }
}
