// Expected values: Calico's documented dataplane (docs.tigera.io, projectcalico/calico
// felix/dataplane/linux) and iproute2's formats.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { buildNodeIR, buildContext } from "../../dataplane/build.js";
import { renderRoutes, renderNeigh, renderFdb } from "../../ir/render-ip.js";
import { fixtureState } from "../testing.js";
function build(backend) {
    const state = fixtureState({ cni: "calico", backend });
    const ctx = buildContext(state, { proxy: null });
    return {
        state,
        w1: buildNodeIR(state, "worker-1", ctx),
        cp: buildNodeIR(state, "control-plane", ctx),
        w2: buildNodeIR(state, "worker-2", ctx),
    };
}
test("calico/bgp: cali veths (sha1 name, ee:ee MAC, proxy_arp) with /32 host routes; no bridge", () => {
    const { w1 } = build("bgp");
    assert.equal(w1.node.ns.links.filter((l) => l.kind === "bridge").length, 0);
    const p = w1.pods.find((x) => x.name === "app-worker-1-0");
    const expectName = "cali" + createHash("sha1").update("default.app-worker-1-0").digest("hex").slice(0, 11);
    assert.equal(p.hostIf, expectName);
    const host = w1.node.ns.links.find((l) => l.name === expectName);
    assert.equal(host.mac, "ee:ee:ee:ee:ee:ee");
    assert.equal(host.mtu, 1500);
    assert.equal(w1.node.ns.sysctls[`net.ipv4.conf.${expectName}.proxy_arp`], "1");
    assert.match(renderRoutes(w1.node.ns), new RegExp(`^${p.ip.replace(/\./g, "\\.")} dev ${expectName} scope link $`, "m"));
});
test("calico pod: /32 address, 169.254.1.1 scope link and default via it", () => {
    for (const [backend, mtu] of [
        ["bgp", 1500],
        ["ipip", 1480],
        ["vxlan", 1450],
    ]) {
        const { w1 } = build(backend);
        const p = w1.pods.find((x) => x.name === "app-worker-1-0");
        assert.equal(renderRoutes(p.ns), "default via 169.254.1.1 dev eth0 \n169.254.1.1 dev eth0 scope link \n");
        assert.deepEqual(p.ns.addresses.filter((a) => a.dev === "eth0").map((a) => a.cidr), [`${p.ip}/32`]);
        assert.equal(p.ns.links.find((l) => l.name === "eth0").mtu, mtu, backend);
    }
});
test("calico/bgp: blackhole for the local block, remote blocks via the node address (proto bird)", () => {
    const { w1 } = build("bgp");
    const main = renderRoutes(w1.node.ns);
    assert.match(main, /^blackhole 10\.244\.0\.64\/26 proto bird $/m);
    assert.match(main, /^10\.244\.0\.0\/26 via 192\.168\.1\.2 dev eth0 proto bird $/m);
    assert.match(main, /^10\.244\.0\.128\/26 via 192\.168\.1\.4 dev eth0 proto bird $/m);
});
test("calico/bgp: BGP full mesh, AS 64512, router ID = node IP, originates the node's blocks", () => {
    const { w1 } = build("bgp");
    assert.deepEqual(w1.node.bgp, {
        asn: 64512,
        routerId: "192.168.1.3",
        peers: [
            { name: "control-plane", address: "192.168.1.2", asn: 64512 },
            { name: "worker-2", address: "192.168.1.4", asn: 64512 },
        ],
        originates: ["10.244.0.64/26"],
    });
});
test("calico/ipip: tunl0 MTU 1480 with the tunnel address; remote blocks via tunl0 onlink", () => {
    const { w1 } = build("ipip");
    const t = w1.node.ns.links.find((l) => l.name === "tunl0");
    assert.equal(t.kind, "ipip");
    assert.equal(t.mtu, 1480);
    assert.deepEqual(w1.node.ns.addresses.filter((a) => a.dev === "tunl0").map((a) => a.cidr), ["10.244.0.64/32"]);
    const main = renderRoutes(w1.node.ns);
    assert.match(main, /^10\.244\.0\.0\/26 via 192\.168\.1\.2 dev tunl0 proto bird onlink $/m);
    assert.match(main, /^blackhole 10\.244\.0\.64\/26 proto bird $/m);
});
test("calico/vxlan: vxlan.calico VNI 4096 port 4789 MTU 1450; Felix routes, neighbours, FDB; no BGP", () => {
    const { w1, w2 } = build("vxlan");
    const v = w1.node.ns.links.find((l) => l.name === "vxlan.calico");
    assert.equal(v.mtu, 1450);
    assert.deepEqual(v.vxlan, { vni: 4096, port: 4789, local: "192.168.1.3", dev: "eth0", learning: false });
    const main = renderRoutes(w1.node.ns);
    assert.match(main, /^10\.244\.0\.128\/26 via 10\.244\.0\.128 dev vxlan\.calico proto 80 onlink $/m);
    const mac2 = w2.node.ns.links.find((l) => l.name === "vxlan.calico").mac;
    assert.match(renderNeigh(w1.node.ns), new RegExp(`^10\\.244\\.0\\.128 dev vxlan\\.calico lladdr ${mac2} PERMANENT $`, "m"));
    assert.match(renderFdb(w1.node.ns), new RegExp(`^${mac2} dev vxlan\\.calico dst 192\\.168\\.1\\.4 self permanent$`, "m"));
    assert.equal(w1.node.bgp, undefined);
});
test("calico netfilter: only the NAT-outgoing masquerade (pool → outside)", () => {
    const { w1 } = build("bgp");
    const l = w1.node.ns.netfilter.iptables.find((x) => x.owner === "calico");
    const r = l.tables.nat["cali-nat-outgoing"].rules[0];
    assert.deepEqual(r.opts, [
        { opt: "-s", args: ["10.244.0.0/16"] },
        { opt: "-d", args: ["10.244.0.0/16"], neg: true },
    ]);
    assert.equal(r.target, "MASQUERADE");
});
//# sourceMappingURL=calico.test.js.map