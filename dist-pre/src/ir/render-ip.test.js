// Formats of iproute2 6.1 (checked against the real tools in render-ip.kernel.test.ts for
// what this kernel can create; VXLAN/IPIP lines follow iproute2's ip/iplink_vxlan.c order).
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatRoute, renderRoutes, renderLinks, renderNeigh, formatFdb, sortRoutes } from "./render-ip.js";
import { emptyNs, addLoopback, addAddress } from "../plumbing/kernel.js";
test("route lines: via/dev/proto/scope/src/metric/onlink in iproute2's order, trailing space", () => {
    const r = (x) => ({ table: "main", type: "unicast", ...x });
    assert.equal(formatRoute(r({ dst: "default", via: "10.244.1.1", dev: "eth0" })), "default via 10.244.1.1 dev eth0 ");
    assert.equal(formatRoute(r({ dst: "10.244.2.0/24", via: "10.244.2.0", dev: "flannel.1", onlink: true })), "10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink ");
    assert.equal(formatRoute(r({ dst: "10.244.3.0/26", type: "blackhole", proto: "bird" })), "blackhole 10.244.3.0/26 proto bird ");
    assert.equal(formatRoute(r({ dst: "10.244.3.0/26", via: "192.168.1.4", dev: "tunl0", proto: "bird", onlink: true })), "10.244.3.0/26 via 192.168.1.4 dev tunl0 proto bird onlink ");
    assert.equal(formatRoute(r({ dst: "10.244.0.128/26", via: "10.244.0.128", dev: "vxlan.calico", proto: 80, onlink: true })), "10.244.0.128/26 via 10.244.0.128 dev vxlan.calico proto 80 onlink ");
    assert.equal(formatRoute(r({ dst: "10.244.1.5/32", dev: "cali0123456789a", scope: "link" })), "10.244.1.5 dev cali0123456789a scope link ");
    assert.equal(formatRoute(r({ dst: "10.0.0.0/8", dev: "eth0", metric: 100 })), "10.0.0.0/8 dev eth0 scope link metric 100 ");
    assert.equal(formatRoute({
        table: "local",
        type: "local",
        dst: "10.244.1.1/32",
        dev: "cni0",
        proto: "kernel",
        scope: "host",
        src: "10.244.1.1",
    }, true), "local 10.244.1.1 dev cni0 table local proto kernel scope host src 10.244.1.1 ");
});
test("route order: by address, longer prefix first, then metric; table all = main then local", () => {
    const ns = emptyNs("t");
    addLoopback(ns);
    addAddress(ns, "eth0", "192.168.1.10/24");
    ns.routes.push({ table: "main", type: "blackhole", dst: "10.244.3.0/24" }, { table: "main", type: "blackhole", dst: "10.244.3.0/26", proto: "bird" });
    ns.routes.push({ table: "main", type: "unicast", dst: "default", via: "192.168.1.1", dev: "eth0" });
    assert.deepEqual(sortRoutes(ns.routes.filter((r) => r.table === "main")).map((r) => r.dst), ["default", "10.244.3.0/26", "10.244.3.0/24", "192.168.1.0/24"]);
    const all = renderRoutes(ns, "all").split("\n");
    assert.equal(all[0], "default via 192.168.1.1 dev eth0 ");
    assert.equal(all[4], "local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1 ");
    assert.equal(renderRoutes(ns, "local").split("\n")[3], "local 192.168.1.10 dev eth0 proto kernel scope host src 192.168.1.10 ");
});
test("ip -d link: the vxlan details line", () => {
    const ns = emptyNs("node/n");
    addLoopback(ns);
    ns.links.push({
        name: "flannel.1",
        kind: "vxlan",
        mtu: 1450,
        mac: "3a:00:00:00:00:01",
        up: true,
        vxlan: { vni: 1, port: 8472, local: "192.168.1.10", dev: "eth0", learning: false },
    });
    const lines = renderLinks(ns).split("\n");
    assert.equal(lines[2], "2: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default");
    assert.match(lines[4], /^ {4}vxlan id 1 local 192\.168\.1\.10 dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 /);
});
test("neighbours and FDB entries", () => {
    const ns = emptyNs("n");
    ns.neighbours.push({ dev: "flannel.1", ip: "10.244.2.0", lladdr: "3a:00:00:00:00:02", state: "PERMANENT" }, { dev: "eth0", ip: "1.2.3.4", lladdr: "00:00:00:00:00:01", state: "NOARP" });
    assert.equal(renderNeigh(ns), "10.244.2.0 dev flannel.1 lladdr 3a:00:00:00:00:02 PERMANENT \n");
    assert.equal(formatFdb({ dev: "flannel.1", mac: "3a:00:00:00:00:02", dst: "192.168.1.11", self: true, state: "permanent" }), "3a:00:00:00:00:02 dev flannel.1 dst 192.168.1.11 self permanent");
    assert.equal(formatFdb({ dev: "veth1a2b3c4d", mac: "0a:58:0a:f4:01:05", master: "cni0", state: "dynamic" }), "0a:58:0a:f4:01:05 dev veth1a2b3c4d master cni0 ");
});
//# sourceMappingURL=render-ip.test.js.map