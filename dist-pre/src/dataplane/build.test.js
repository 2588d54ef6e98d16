// The demo cluster (examples/demo) through the real control plane and kube-proxy modes,
// in every flavor, changing only networking.cni/backend.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadCluster } from "../index.js";
import { buildState } from "../control/build.js";
import { buildContext, buildIR, buildNodeIR, chooseExternalClient } from "./build.js";
import { renderRoutes } from "../ir/render-ip.js";
import { fixtureState } from "../plumbing/testing.js";
const { spec } = await loadCluster({});
const flavors = [
    ["flannel", "vxlan"],
    ["flannel", "host-gw"],
    ["calico", "bgp"],
    ["calico", "ipip"],
    ["calico", "vxlan"],
];
for (const [cni, backend] of flavors) {
    test(`demo cluster as ${cni}/${backend}: every running pod has an address in its namespace and a route home`, () => {
        const state = buildState({
            ...spec,
            config: { ...spec.config, networking: { ...spec.config.networking, cni, backend } },
        });
        const ir = buildIR(state);
        for (const p of ir.pods) {
            if (!p.node || p.hostNetwork || !p.ip)
                continue;
            assert.ok(p.ns, `${p.namespace}/${p.name} has a namespace`);
            assert.ok(p.ns.addresses.some((a) => a.cidr.split("/")[0] === p.ip));
            assert.match(renderRoutes(p.ns), /^default via \S+ dev eth0 $/m);
            const node = ir.nodes.find((n) => n.name === p.node);
            assert.ok(node.ns.links.some((l) => l.name === p.hostIf && l.peer?.ns === p.ns.id));
        }
    });
}
for (const mode of ["iptables", "nftables", "ipvs", "none"]) {
    test(`kube-proxy ${mode}: layers in merge order (kube-proxy shared, per node, flavor), shared layer identical across nodes`, () => {
        const state = buildState(spec);
        const ctx = buildContext(state, { proxyMode: mode });
        const a = buildNodeIR(state, "worker-1", ctx).node.ns.netfilter;
        const b = buildNodeIR(state, "worker-2", ctx).node.ns.netfilter;
        const layers = a.mode === "iptables" ? a.iptables : a.nftables;
        const other = b.mode === "iptables" ? b.iptables : b.nftables;
        assert.equal(layers[layers.length - 1].owner, "flannel");
        if (mode !== "none") {
            assert.ok(layers[0].owner.startsWith("kube-proxy"));
            assert.equal(layers[0], other[0], "the shared layer is one object");
        }
    });
}
test("the underlay gateway / outside client: .1 unless a node or the LoadBalancer pool has it", () => {
    const s = fixtureState();
    assert.equal(chooseExternalClient(s), "192.168.1.1");
    s.nodes[0].address = "192.168.1.1";
    assert.equal(chooseExternalClient(s), "192.168.1.239"); // .240/28 is the LoadBalancer pool
});
//# sourceMappingURL=build.test.js.map