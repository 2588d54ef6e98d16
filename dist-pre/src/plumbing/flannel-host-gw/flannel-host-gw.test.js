import { test } from "node:test";
import assert from "node:assert/strict";
import { buildNodeIR, buildContext } from "../../dataplane/build.js";
import { renderRoutes, renderNeigh } from "../../ir/render-ip.js";
import { fixtureState } from "../testing.js";
const state = fixtureState({ cni: "flannel", backend: "host-gw" });
const ctx = buildContext(state, { proxy: null });
const w1 = buildNodeIR(state, "worker-1", ctx);
test("host-gw: remote subnets via the remote node's underlay address, no flannel.1", () => {
    const main = renderRoutes(w1.node.ns);
    assert.match(main, /^10\.244\.0\.0\/24 via 192\.168\.1\.2 dev eth0 $/m);
    assert.match(main, /^10\.244\.2\.0\/24 via 192\.168\.1\.4 dev eth0 $/m);
    assert.equal(w1.node.ns.links.find((l) => l.name === "flannel.1"), undefined);
    assert.equal(renderNeigh(w1.node.ns), "");
});
test("host-gw: pods and cni0 keep the underlay MTU", () => {
    assert.equal(w1.node.ns.links.find((l) => l.name === "cni0").mtu, 1500);
    for (const p of w1.pods.filter((p) => p.ns))
        assert.equal(p.ns.links.find((l) => l.name === "eth0").mtu, 1500);
});
test("host-gw: the flannel masquerade layer is the same as with vxlan", () => {
    const l = w1.node.ns.netfilter.iptables.find((x) => x.owner === "flannel");
    assert.equal(l.tables.nat["FLANNEL-POSTRTG"].rules.length, 6);
    assert.equal(l.tables.filter["FLANNEL-FWD"].rules.length, 2);
});
//# sourceMappingURL=flannel-host-gw.test.js.map