import { test } from "node:test";
import assert from "node:assert/strict";
import { fixtureIR } from "./testing.js";
import { isKernelRoute, podFacingLinks, renderInfra, renderPlan, renderPodAttach, stepCommand, sysctlPath, sysctlDev, } from "./render.js";
import { guardBatchLine, guardCommand } from "./names.js";
const ir = fixtureIR("t");
const infra = renderInfra(ir, "t");
const lines = (s, ns, kind = "ip-batch") => s.filter((x) => x.ns === ns && x.kind === kind).flatMap((x) => ("lines" in x ? x.lines : []));
test("infrastructure: underlay first, then nodes; every command passes the guard", () => {
    assert.deepEqual(infra.namespaces.map((n) => n.name), ["podnet-t.underlay", "podnet-t.node.worker-1", "podnet-t.node.worker-2"]);
    for (const s of infra.steps) {
        const { argv, input } = stepCommand(s);
        guardCommand(argv);
        if (argv.includes("-batch"))
            for (const l of input.split("\n").filter(Boolean))
                guardBatchLine(l);
    }
});
test("veth pairs are created once, inside a podnet namespace, the peer moved to the other one", () => {
    const u = lines(infra.steps, "podnet-t.underlay");
    assert.ok(u.includes("link add n-worker-1 address 02:00:c0:a8:00:01 mtu 1500 type veth peer name eth0 address 02:00:c0:a8:01:0b mtu 1500 netns podnet-t.node.worker-1"));
    const n1 = lines(infra.steps, "podnet-t.node.worker-1");
    assert.ok(!n1.some((l) => l.startsWith("link add eth0")), "the node's eth0 comes from the underlay's pair");
    // Pod-facing veths are the CNI ADD's, not the infrastructure's.
    assert.ok(!n1.some((l) => l.includes("veth0100beef")));
    assert.deepEqual([...podFacingLinks(ir.nodes[0].ns)].sort(), ["veth0100beef", "veth0101beef"]);
});
test("flannel VXLAN node: flannel.1 (VNI 1, UDP 8472, nolearning), one route, one neighbour, one FDB entry per remote node", () => {
    const n1 = lines(infra.steps, "podnet-t.node.worker-1");
    assert.ok(n1.includes("link add flannel.1 address 02:fe:00:00:00:01 mtu 1450 type vxlan id 1 local 192.168.1.11 dstport 8472 nolearning dev eth0"));
    assert.ok(n1.includes("route add 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink"));
    assert.ok(n1.includes("neigh replace 10.244.2.0 lladdr 02:fe:00:00:00:02 dev flannel.1 nud permanent"));
    assert.deepEqual(lines(infra.steps, "podnet-t.node.worker-1", "bridge-batch"), [
        "fdb replace 02:fe:00:00:00:02 dev flannel.1 dst 192.168.1.12 self permanent",
    ]);
    // Kernel-made routes (proto kernel, local table) are not added by hand.
    assert.ok(!n1.some((l) => l.includes("proto kernel") || l.includes("table local")));
});
test("order inside a namespace: create, master, addresses, up, routes, neighbours", () => {
    const n1 = lines(infra.steps, "podnet-t.node.worker-1");
    const idx = (p) => n1.findIndex((l) => p.test(l));
    const lastIdx = (p) => n1.length - 1 - [...n1].reverse().findIndex((l) => p.test(l));
    assert.ok(lastIdx(/^link add/) < idx(/^addr add/));
    assert.ok(lastIdx(/^addr add/) < idx(/^link set .* up$/));
    assert.ok(lastIdx(/^link set .* up$/) < idx(/^route add/));
    assert.ok(lastIdx(/^route add/) < idx(/^neigh/));
    assert.ok(idx(/^link add cni0/) < idx(/^link add flannel.1/));
});
test("a pod's attach: host veth in the node with the pod end moved in, master cni0, then the pod's addresses and routes", () => {
    const pod = ir.pods[0];
    const steps = renderPodAttach("t", ir.nodes[0].ns, pod.ns);
    assert.deepEqual(lines(steps, "podnet-t.node.worker-1"), [
        "link add veth0100beef address 02:aa:00:01:00:00 mtu 1450 type veth peer name eth0 address 02:bb:00:01:00:00 mtu 1450 netns podnet-t.pod.default.web-10",
        "link set veth0100beef master cni0",
        "link set veth0100beef up",
    ]);
    assert.deepEqual(lines(steps, "podnet-t.pod.default.web-10"), [
        "addr add 10.244.1.2/24 dev eth0",
        "link set lo up",
        "link set eth0 up",
        "route add default via 10.244.1.1 dev eth0",
        "route add 10.244.0.0/16 via 10.244.1.1 dev eth0",
    ]);
    assert.ok(steps.findIndex((s) => s.ns.includes(".node.")) < steps.findIndex((s) => s.ns.includes(".pod.")));
});
test("whole-namespace plans create each veth pair exactly once", () => {
    const all = renderPlan("t", [ir.underlay.ns, ...ir.nodes.map((n) => n.ns), ...ir.pods.map((p) => p.ns)]);
    const adds = all.steps.flatMap((s) => ("lines" in s ? s.lines : [])).filter((l) => / type veth /.test(l));
    assert.equal(adds.length, 2 + 4); // two node uplinks, four pods
});
test("sysctl keys map to /proc/sys, interface names with dots included", () => {
    assert.equal(sysctlPath("net.ipv4.ip_forward"), "/proc/sys/net/ipv4/ip_forward");
    assert.equal(sysctlPath("net.bridge.bridge-nf-call-iptables"), "/proc/sys/net/bridge/bridge-nf-call-iptables");
    assert.equal(sysctlPath("net.ipv4.conf.flannel.1.forwarding"), "/proc/sys/net/ipv4/conf/flannel.1/forwarding");
    assert.equal(sysctlPath("net.ipv4.conf.flannel/1.forwarding"), "/proc/sys/net/ipv4/conf/flannel.1/forwarding");
    assert.equal(sysctlPath("net.ipv4.conf.cali0123456789a.proxy_arp"), "/proc/sys/net/ipv4/conf/cali0123456789a/proxy_arp");
    assert.equal(sysctlDev("net.ipv4.conf.cali0123456789a.proxy_arp"), "cali0123456789a");
    assert.equal(sysctlDev("net.ipv4.conf.all.forwarding"), null);
    const sys = infra.steps.find((s) => s.kind === "sysctl" && s.ns === "podnet-t.node.worker-1");
    assert.ok(sys && sys.kind === "sysctl");
    assert.deepEqual(sys.keys, ["net.bridge.bridge-nf-call-iptables", "net.ipv4.ip_forward"]);
    assert.ok(stepCommand(sys).argv.slice(0, 4).join(" ") === "ip netns exec podnet-t.node.worker-1");
});
test("sysctls outside the namespace's own network settings are refused", () => {
    const p = fixtureIR("t").pods[0].ns;
    for (const k of ["kernel.pid_max", "vm.swappiness", "net/../kernel/pid_max"]) {
        p.sysctls = { [k]: "1" };
        assert.throws(() => renderPlan("t", [p]), /refusing/, k);
    }
});
test("kernel routes are recognised: proto kernel and the local table's local/broadcast entries", () => {
    assert.ok(isKernelRoute({ table: "main", type: "unicast", dst: "10.244.1.0/24", dev: "cni0", proto: "kernel" }));
    assert.ok(isKernelRoute({ table: "local", type: "local", dst: "10.244.1.1", dev: "cni0" }));
    assert.ok(!isKernelRoute({ table: "main", type: "blackhole", dst: "10.244.1.0/26", proto: "bird" }));
});
test("calico-shaped routes: a link-scope gateway route comes before the default route using it", () => {
    const p = fixtureIR("t").pods[0].ns;
    p.routes = [
        { table: "main", type: "unicast", dst: "default", via: "169.254.1.1", dev: "eth0" },
        { table: "main", type: "unicast", dst: "169.254.1.1", dev: "eth0", scope: "link" },
    ];
    const l = renderPlan("t", [p])
        .steps.flatMap((s) => ("lines" in s ? s.lines : []))
        .filter((x) => x.startsWith("route"));
    assert.deepEqual(l, ["route add 169.254.1.1 dev eth0 scope link", "route add default via 169.254.1.1 dev eth0"]);
});
//# sourceMappingURL=render.test.js.map