// The same cluster in every flavor, changing only networking.cni/backend.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildIR, buildNodeIR, buildContext } from "../dataplane/build.js";
import { fixtureState } from "./testing.js";
import { flavorFor, flavors } from "./index.js";
const variants = [
    ["flannel", "vxlan", 1450],
    ["flannel", "host-gw", 1500],
    ["calico", "bgp", 1500],
    ["calico", "ipip", 1480],
    ["calico", "vxlan", 1450],
];
for (const [cni, backend, mtu] of variants) {
    test(`${cni}/${backend}: every pod has its namespace wired to its node, pod MTU ${mtu}`, () => {
        const state = fixtureState({ cni, backend });
        const ir = buildIR(state, { proxy: null });
        assert.equal(ir.cni, cni);
        assert.equal(ir.backend, backend);
        for (const p of ir.pods) {
            if (p.hostNetwork) {
                assert.equal(p.ns, undefined);
                continue;
            }
            const eth0 = p.ns.links.find((l) => l.name === "eth0");
            assert.equal(eth0.mtu, mtu);
            const node = ir.nodes.find((n) => n.name === p.node);
            const host = node.ns.links.find((l) => l.name === p.hostIf);
            assert.deepEqual(host.peer, { ns: p.ns.id, name: "eth0" });
            assert.deepEqual(eth0.peer, { ns: node.ns.id, name: p.hostIf });
            assert.ok(p.ns.addresses.some((a) => a.cidr.startsWith(p.ip + "/")));
        }
        // every node reaches every other node's pod range with some route
        for (const n of ir.nodes) {
            for (const o of state.nodes) {
                if (o.name === n.name)
                    continue;
                const dsts = new Set(n.ns.routes.map((r) => r.dst));
                const want = cni === "calico" ? o.blocks : [o.podCIDR];
                for (const d of want)
                    assert.ok(dsts.has(d), `${n.name} has a route to ${d}`);
            }
        }
    });
}
test("flavorFor: unknown backends are errors naming the field and value", () => {
    const state = fixtureState();
    assert.throws(() => flavorFor({ ...state.config, networking: { ...state.config.networking, backend: "bgp" } }), /networking\.backend: "bgp" is not a backend of flannel/);
    assert.ok(Object.keys(flavors).length >= 5);
});
test("IR sharing: two nodes' netfilter reference the same shared kube-proxy layer", () => {
    const state = fixtureState();
    const sharedLayer = {
        owner: "kube-proxy",
        tables: { nat: { "KUBE-SERVICES": { name: "KUBE-SERVICES", rules: [] } } },
    };
    let sharedCalls = 0;
    const proxy = {
        name: "iptables",
        netfilter: "iptables",
        shared: () => {
            sharedCalls++;
            return { iptables: sharedLayer };
        },
        perNode: (_s, node) => ({
            iptables: { owner: "kube-proxy", tables: { nat: { [`KUBE-SVL-${node.name}`]: { name: "x", rules: [] } } } },
        }),
    };
    const ctx = buildContext(state, { proxy });
    const a = buildNodeIR(state, "worker-1", ctx).node.ns.netfilter;
    const b = buildNodeIR(state, "worker-2", ctx).node.ns.netfilter;
    assert.equal(a.iptables[0], b.iptables[0]);
    assert.equal(a.iptables[0], sharedLayer);
    assert.equal(sharedCalls, 1);
    // order: shared, per-node, flavor
    assert.deepEqual(a.iptables.map((l) => l.owner), ["kube-proxy", "kube-proxy", "flannel"]);
    assert.notEqual(a.iptables[1], b.iptables[1]);
});
test("nftables mode: flannel writes table ip flannel-ipv4 (postrtg srcnat, forward)", () => {
    const state = fixtureState({ proxyMode: "nftables" });
    const proxy = { name: "nftables", netfilter: "nftables", shared: () => ({}), perNode: () => ({}) };
    const ns = buildNodeIR(state, "worker-1", buildContext(state, { proxy })).node.ns;
    assert.equal(ns.netfilter.mode, "nftables");
    const t = ns.netfilter.nftables[0].tables[0];
    assert.equal(`${t.family} ${t.name}`, "ip flannel-ipv4");
    assert.equal(t.chains.postrtg.hook, "postrouting");
    assert.equal(t.chains.postrtg.prio, 100);
    assert.deepEqual(t.chains.postrtg.rules[4].expr[2], { masquerade: { flags: "fully-random" } });
});
test("ipvs: kube-ipvs0 and its addresses come from the proxy output (local routes added)", () => {
    const state = fixtureState();
    const proxy = {
        name: "ipvs",
        netfilter: "iptables",
        shared: () => ({
            links: [{ name: "kube-ipvs0", kind: "dummy", mtu: 1500, mac: "02:00:00:00:00:01", up: false }],
            addresses: [{ dev: "kube-ipvs0", cidr: "10.96.0.1/32" }],
            ipvs: [],
        }),
        perNode: () => ({}),
    };
    const nn = buildNodeIR(state, "worker-1", buildContext(state, { proxy })).node;
    assert.ok(nn.ns.links.some((l) => l.name === "kube-ipvs0"));
    assert.ok(nn.ns.routes.some((r) => r.table === "local" && r.dst === "10.96.0.1/32" && r.dev === "kube-ipvs0"));
    assert.deepEqual(nn.ipvs, []);
});
test("scale: a route to another node's subnet is one object shared by every other node", () => {
    for (const backend of ["vxlan", "host-gw"]) {
        const state = fixtureState({ backend, nodes: 4 });
        const ctx = buildContext(state, { proxy: null });
        const a = buildNodeIR(state, "worker-1", ctx).node.ns;
        const b = buildNodeIR(state, "worker-2", ctx).node.ns;
        const ra = a.routes.find((r) => r.dst === "10.244.3.0/24");
        const rb = b.routes.find((r) => r.dst === "10.244.3.0/24");
        assert.equal(ra, rb);
    }
});
//# sourceMappingURL=flavors.test.js.map