// Expected values: flannel-io/flannel Documentation/backends.md (vxlan), the CNI bridge plugin
// and iproute2's formats.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildIR, buildNodeIR, buildContext } from "../../dataplane/build.js";
import { renderRoutes, renderNeigh, renderFdb } from "../../ir/render-ip.js";
import { fixtureState } from "../testing.js";
const state = fixtureState({ cni: "flannel", backend: "vxlan" });
const ctx = buildContext(state, { proxy: null });
const w1 = buildNodeIR(state, "worker-1", ctx);
const cp = buildNodeIR(state, "control-plane", ctx);
const w2 = buildNodeIR(state, "worker-2", ctx);
const link = (b, name) => b.node.ns.links.find((l) => l.name === name);
test("flannel.1: VNI 1, UDP 8472, nolearning, MTU underlay-50, local node IP, address <subnet>.0/32", () => {
    const f = link(w1, "flannel.1");
    assert.equal(f.kind, "vxlan");
    assert.equal(f.mtu, 1450);
    assert.deepEqual(f.vxlan, { vni: 1, port: 8472, local: "192.168.1.3", dev: "eth0", learning: false });
    assert.deepEqual(w1.node.ns.addresses.filter((a) => a.dev === "flannel.1").map((a) => a.cidr), ["10.244.1.0/32"]);
});
test("one route, one permanent neighbour and one FDB entry per remote node", () => {
    const mac0 = link(cp, "flannel.1").mac;
    const mac2 = link(w2, "flannel.1").mac;
    const routes = renderRoutes(w1.node.ns)
        .split("\n")
        .filter((l) => l.includes("flannel.1"));
    assert.deepEqual(routes, [
        "10.244.0.0/24 via 10.244.0.0 dev flannel.1 onlink ",
        "10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink ",
    ]);
    assert.equal(renderNeigh(w1.node.ns), `10.244.0.0 dev flannel.1 lladdr ${mac0} PERMANENT \n10.244.2.0 dev flannel.1 lladdr ${mac2} PERMANENT \n`);
    const fdb = renderFdb(w1.node.ns)
        .split("\n")
        .filter((l) => l.includes("flannel.1"));
    assert.deepEqual(fdb, [
        `${mac0} dev flannel.1 dst 192.168.1.2 self permanent`,
        `${mac2} dev flannel.1 dst 192.168.1.4 self permanent`,
    ]);
});
test("cni0 holds the gateway .1/24 with MTU 1450; veths veth+8hex enslaved with hairpin", () => {
    const br = link(w1, "cni0");
    assert.equal(br.kind, "bridge");
    assert.equal(br.mtu, 1450);
    const main = renderRoutes(w1.node.ns);
    assert.match(main, /^10\.244\.1\.0\/24 dev cni0 proto kernel scope link src 10\.244\.1\.1 $/m);
    assert.match(renderRoutes(w1.node.ns, "local"), /^local 10\.244\.1\.1 dev cni0 proto kernel scope host src 10\.244\.1\.1 $/m);
    assert.match(renderRoutes(w1.node.ns, "local"), /^broadcast 10\.244\.1\.255 dev cni0 proto kernel scope link src 10\.244\.1\.1 $/m);
    const veths = w1.node.ns.links.filter((l) => l.master === "cni0");
    assert.equal(veths.length, 2);
    for (const v of veths) {
        assert.match(v.name, /^veth[0-9a-f]{8}$/);
        assert.equal(v.hairpin, true);
        assert.equal(v.mtu, 1450);
    }
});
test("pod: eth0 MTU 1450, address in the node's /24, default via the gateway", () => {
    const p = w1.pods.find((x) => x.name === "app-worker-1-0");
    const eth0 = p.ns.links.find((l) => l.name === "eth0");
    assert.equal(eth0.mtu, 1450);
    assert.equal(eth0.peer.ns, "node/worker-1");
    assert.equal(eth0.peer.name, p.hostIf);
    assert.equal(renderRoutes(p.ns), "default via 10.244.1.1 dev eth0 \n10.244.0.0/16 via 10.244.1.1 dev eth0 \n10.244.1.0/24 dev eth0 proto kernel scope link src 10.244.1.2 \n");
    assert.deepEqual(p.listeners, [
        { container: "app", port: 8080, protocol: "TCP", address: "0.0.0.0", portName: "http" },
    ]);
});
test("FDB: bridge and port MACs permanent, pod MACs learned on their port", () => {
    const p = w1.pods.find((x) => x.name === "app-worker-1-0");
    const podMac = p.ns.links.find((l) => l.name === "eth0").mac;
    const hostMac = link(w1, p.hostIf).mac;
    const fdb = renderFdb(w1.node.ns);
    assert.match(fdb, new RegExp(`^${link(w1, "cni0").mac} dev cni0 master cni0 permanent$`, "m"));
    assert.ok(fdb.includes(`${podMac} dev ${p.hostIf} master cni0 \n${hostMac} dev ${p.hostIf} master cni0 permanent\n`));
});
test("hostNetwork pods get no namespace; their listeners stay on the pod", () => {
    const kp = w1.pods.find((x) => x.name === "kube-proxy-worker-1");
    assert.equal(kp.ns, undefined);
    assert.equal(kp.hostNetwork, true);
    assert.equal(kp.listeners[0].port, 10256);
});
test("flanneld's masquerade chain (iptables): FLANNEL-POSTRTG as flannel writes it", () => {
    const layer = w1.node.ns.netfilter.iptables.find((l) => l.owner === "flannel");
    const post = layer.tables.nat["FLANNEL-POSTRTG"].rules;
    const c = { opt: "-m", args: ["comment"] };
    const cm = { opt: "--comment", args: ["flanneld masq"] };
    assert.deepEqual(post[0].opts, [{ opt: "-m", args: ["mark"] }, { opt: "--mark", args: ["0x4000/0x4000"] }, c, cm]);
    assert.equal(post[0].target, "RETURN");
    assert.deepEqual(post[1].opts.slice(0, 2), [
        { opt: "-s", args: ["10.244.1.0/24"] },
        { opt: "-d", args: ["10.244.0.0/16"] },
    ]);
    assert.deepEqual(post[4].opts.slice(0, 2), [
        { opt: "-s", args: ["10.244.0.0/16"] },
        { opt: "-d", args: ["224.0.0.0/4"], neg: true },
    ]);
    assert.equal(post[4].target, "MASQUERADE");
    assert.deepEqual(post[4].targetOpts, [{ opt: "--random-fully", args: [] }]);
    assert.equal(layer.tables.nat.POSTROUTING.rules[0].target, "FLANNEL-POSTRTG");
});
test("buildIR: every node, every pod; the underlay holds the gateway and one port per node", () => {
    const ir = buildIR(state, { proxy: null });
    assert.equal(ir.nodes.length, 3);
    assert.equal(ir.underlay.externalClient, "192.168.1.1");
    assert.deepEqual(ir.underlay.ns.links.filter((l) => l.master === "podnet0").map((l) => l.peer), [
        { ns: "node/control-plane", name: "eth0" },
        { ns: "node/worker-1", name: "eth0" },
        { ns: "node/worker-2", name: "eth0" },
    ]);
    const n = ir.nodes[1];
    assert.match(renderRoutes(n.ns), /^default via 192\.168\.1\.1 dev eth0 $/m);
    assert.match(renderRoutes(n.ns), /^192\.168\.1\.0\/24 dev eth0 proto kernel scope link src 192\.168\.1\.3 $/m);
    assert.equal(n.ns.sysctls["net.ipv4.ip_forward"], "1");
    assert.equal(n.ns.sysctls["net.bridge.bridge-nf-call-iptables"], "1");
    // JSON sees plain data
    const j = JSON.parse(JSON.stringify(ir));
    assert.equal(j.pods.find((p) => p.name === "app-worker-2-1").ns.links[1].name, "eth0");
});
//# sourceMappingURL=flannel-vxlan.test.js.map