// The forking walk (a random choice forks the walk; the prefix is walked once) must give
// exactly what enumerating whole walks gives, one per choice sequence (opts.replay, the
// reference): same paths, probabilities, choices and steps, byte for byte in JSON.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadCluster, buildState } from "../index.js";
import { modelSession, traceSession } from "../questions/trace.js";
import { fixtureIR } from "./testing.js";
function same(session, q, opts = {}) {
    const fork = JSON.stringify(session.trace(q, opts));
    const replay = JSON.stringify(session.trace(q, { ...opts, replay: true }));
    assert.equal(fork, replay, `${q.from} → ${q.to}`);
    return JSON.parse(fork).paths.length;
}
const { spec } = await loadCluster({});
const withPolicies = (await loadCluster({ files: ["examples/demo", "examples/policies"] })).spec;
function stateFor(s, cni, backend, mode) {
    return buildState({
        ...s,
        config: { ...s.config, networking: { ...s.config.networking, cni, backend, kubeProxyMode: mode } },
    });
}
const flavors = [
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
                // The session brings the cluster's resolver walk and, in ipvs mode, the ipsets.
                const session = modelSession(state);
                const opts = {};
                const pods = state.pods.filter((p) => p.podIP && p.phase === "Running").slice(0, 4);
                const svcs = state.services.filter((x) => x.clusterIP && x.clusterIP !== "None");
                let paths = 0;
                for (const p of pods)
                    for (const x of svcs)
                        paths += same(session, { from: `${p.namespace}/${p.name}`, to: `svc/${x.namespace}/${x.name}`, reply: true }, opts);
                same(session, { from: "order-app", to: "http://user-service/api", reply: true }, opts);
                same(session, { from: "order-app", to: "svc/user-service" }, { ...opts, maxPaths: 1 });
                for (const x of svcs)
                    for (const pp of x.ports)
                        if (pp.nodePort)
                            same(session, { from: "external", to: `${state.nodes[1].address}:${pp.nodePort}`, reply: true }, opts);
                assert.ok(paths > pods.length * svcs.length, "some Services have several endpoints");
            }
        });
    }
}
for (const flavor of ["flannel/vxlan", "calico/ipip"]) {
    for (const proxy of ["iptables", "nftables"]) {
        test(`fork = replay on a fixture with many endpoints, affinity, truncation (${flavor}, ${proxy})`, () => {
            const pods = Array.from({ length: 24 }, (_, i) => ({
                namespace: "default",
                name: `be-${i}`,
                node: 1 + (i % 3),
                containers: [{ name: "app", ports: [{ port: 8080 }] }],
            }));
            pods.push({ namespace: "default", name: "client", node: 1, containers: [{ name: "curl", ports: [] }] });
            const eps = pods.slice(0, 24).map((p) => ({ pod: `default/${p.name}`, port: 8080 }));
            const session = traceSession(undefined, fixtureIR({
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
            }));
            assert.equal(same(session, { from: "default/client", to: "10.96.0.90:80", reply: true }), 24);
            same(session, { from: "default/client", to: "10.96.0.91:80", reply: true });
            same(session, { from: "default/client", to: "10.96.0.91:80" }, { affinity: { "KUBE-SEP-X": ["10.244.1.9"] } });
            for (const max of [1, 5, 23, 24])
                same(session, { from: "default/client", to: "10.96.0.90:80" }, { maxPaths: max });
            const cut = session.trace({ from: "default/client", to: "10.96.0.90:80" }, { maxPaths: 5 });
            assert.equal(cut.paths.length, 5);
            assert.equal(cut.truncated, true);
        });
    }
}
//# sourceMappingURL=fork.test.js.map