// Expected values: Cilium's docs (Routing: https://docs.cilium.io/en/stable/network/concepts/routing/),
// cilium/cilium pkg/datapath/linux/node.go (routes via cilium_host), pkg/mtu/mtu.go (RouteMTU =
// underlay − 50 for VXLAN), plugins/cilium-cni (lxc names, pod routes) and iproute2's formats.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildContext, buildNodeIR } from "../../dataplane/build.js";
import { renderLinks, renderRoutes } from "../../ir/render-ip.js";
import { fixtureState } from "../testing.js";
import { createHash } from "node:crypto";

const state = fixtureState({ cni: "cilium", backend: "vxlan", proxyMode: "none" });
const ctx = buildContext(state, { proxy: null });
const w1 = buildNodeIR(state, "worker-1", ctx);
const link = (name: string) => w1.node.ns.links.find((l) => l.name === name)!;

test("cilium_host/cilium_net veth pair, the router IP /32 on cilium_host, no bridge", () => {
  assert.deepEqual(link("cilium_host").peer, { ns: "node/worker-1", name: "cilium_net" });
  assert.deepEqual(link("cilium_net").peer, { ns: "node/worker-1", name: "cilium_host" });
  assert.deepEqual(
    w1.node.ns.addresses.filter((a) => a.dev === "cilium_host").map((a) => a.cidr),
    ["10.244.1.1/32"],
  );
  assert.equal(w1.node.ns.addresses.filter((a) => a.dev === "cilium_net").length, 0);
  assert.ok(!w1.node.ns.links.some((l) => l.kind === "bridge"));
});

test("cilium_vxlan in collect-metadata mode, UDP 8472, no FDB and no neighbours", () => {
  const v = link("cilium_vxlan");
  assert.equal(v.kind, "vxlan");
  assert.equal(v.vxlan?.external, true);
  assert.equal(v.vxlan?.port, 8472);
  assert.equal(v.mtu, 1500);
  assert.equal(w1.node.ns.fdb.length, 0);
  assert.equal(w1.node.ns.neighbours.length, 0);
  assert.match(renderLinks(w1.node.ns), /vxlan external id 0 srcport 0 0 dstport 8472 nolearning /);
});

test("node routes: every PodCIDR via the router on cilium_host with src; remote ones with mtu 1450", () => {
  const lines = renderRoutes(w1.node.ns)
    .split("\n")
    .filter((l) => l.includes("cilium_host"));
  assert.deepEqual(lines, [
    "10.244.0.0/24 via 10.244.1.1 dev cilium_host proto kernel src 10.244.1.1 mtu 1450 ",
    "10.244.1.0/24 via 10.244.1.1 dev cilium_host proto kernel src 10.244.1.1 ",
    "10.244.1.1 dev cilium_host proto kernel scope link ",
    "10.244.2.0/24 via 10.244.1.1 dev cilium_host proto kernel src 10.244.1.1 mtu 1450 ",
  ]);
});

test("pod: lxc + 12 hex of sha256(container ID), /32, router link route and default via it", () => {
  const p = w1.pods.find((x) => x.ns)!;
  const pod = state.pods.find((x) => x.name === p.name)!;
  const want = `lxc${createHash("sha256").update(pod.containerID).digest("hex").slice(0, 12)}`;
  assert.equal(p.hostIf, want);
  assert.deepEqual(
    p.ns!.addresses.filter((a) => a.dev === "eth0").map((a) => a.cidr),
    [`${pod.podIP}/32`],
  );
  assert.equal(renderRoutes(p.ns!), "default via 10.244.1.1 dev eth0 mtu 1450 \n10.244.1.1 dev eth0 scope link \n");
  assert.equal(link(want).tc?.ingress?.name, "cil_from_container");
});

test("native routing: remote PodCIDRs via the node's IP on eth0, no tunnel device", () => {
  const st = fixtureState({ cni: "cilium", backend: "native", proxyMode: "none" });
  const b = buildNodeIR(st, "worker-1", buildContext(st, { proxy: null }));
  const lines = renderRoutes(b.node.ns).split("\n");
  assert.ok(lines.includes("10.244.2.0/24 via 192.168.1.4 dev eth0 "), lines.join("\n"));
  assert.ok(!b.node.ns.links.some((l) => l.name === "cilium_vxlan" || l.name === "cilium_geneve"));
});

test("geneve: cilium_geneve external, UDP 6081", () => {
  const st = fixtureState({ cni: "cilium", backend: "geneve", proxyMode: "none" });
  const b = buildNodeIR(st, "worker-1", buildContext(st, { proxy: null }));
  const g = b.node.ns.links.find((l) => l.name === "cilium_geneve")!;
  assert.equal(g.kind, "geneve");
  assert.deepEqual(g.geneve, { port: 6081, external: true });
});

test("programs at tc: eth0 from/to-netdev, cilium_host from-host, tunnel from/to-overlay", () => {
  assert.equal(link("eth0").tc?.ingress?.name, "cil_from_netdev");
  assert.equal(link("eth0").tc?.egress?.name, "cil_to_netdev");
  assert.equal(link("cilium_host").tc?.egress?.name, "cil_from_host");
  assert.equal(link("cilium_vxlan").tc?.ingress?.name, "cil_from_overlay");
  assert.equal(link("cilium_vxlan").tc?.egress?.name, "cil_to_overlay");
});
