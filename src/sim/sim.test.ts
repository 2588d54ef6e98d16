// The interpreter on hand-made IR fixtures shaped as flannel, the CNI bridge plugin and
// kube-proxy leave the kernel (flannel-io/flannel pkg/backend/vxlan, containernetworking/
// plugins plugins/main/bridge, kubernetes pkg/proxy/iptables/proxier.go). Expected values
// come from how the kernel and kube-proxy behave, not from podnet's output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { traceFlow } from "./flow.js";
import { fixtureIR } from "./testing.js";
import { renderTrace } from "./render.js";
import type { Step, TracePath } from "./trace.js";
import { sepChainName } from "../proxy/hash.js";

const steps = (p: TracePath): Step[] => p.hops.flatMap((h) => h.steps);
const find = (p: TracePath, action: string) => steps(p).filter((s) => s.action === action);
const nsPath = (p: TracePath) => p.hops.map((h) => h.ns);
const sum = (ps: TracePath[]) => ps.reduce((a, p) => a + p.probability, 0);

test("same node pod → pod: veth → cni0 → veth, no encapsulation", () => {
  const ir = fixtureIR({ flavor: "flannel/vxlan" });
  const r = traceFlow(ir, { from: "client", to: "web-0" });
  assert.equal(r.paths.length, 1);
  const p = r.paths[0];
  assert.deepEqual(nsPath(p), ["pod/default/client", "node/worker-1", "pod/default/web-0"]);
  assert.equal(p.disposition.verdict, "DELIVERED");
  assert.equal(p.disposition.container, "web");
  assert.equal(p.disposition.port, 80);
  assert.equal(find(p, "ENCAPSULATED").length, 0);
  assert.ok(find(p, "BRIDGED").some((s) => s.detail.includes("cni0")));
  assert.equal(find(p, "VETH").length, 2);
});

test("cross-node flannel vxlan: route via flannel.1 onlink, neighbour, FDB dst, outer UDP 8472 between node IPs", () => {
  const ir = fixtureIR({ flavor: "flannel/vxlan" });
  const p = traceFlow(ir, { from: "client", to: "web-2" }).paths[0];
  assert.equal(p.disposition.verdict, "DELIVERED");
  const routes = find(p, "ROUTED").map((s) => s.object?.text);
  assert.ok(routes.includes("10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink"));
  assert.ok(
    find(p, "ARP").some((s) => s.object?.text === "10.244.2.0 dev flannel.1 lladdr 7a:00:00:00:00:03 PERMANENT"),
  );
  const enc = find(p, "ENCAPSULATED")[0];
  assert.equal(enc.object?.kind, "fdb");
  assert.equal(enc.packet.outer?.src, "192.168.1.3");
  assert.equal(enc.packet.outer?.dst, "192.168.1.4");
  assert.equal(enc.packet.outer?.protocol, "udp");
  assert.equal(enc.packet.outer?.dport, 8472);
  assert.equal(enc.packet.outer?.vni, 1);
  assert.equal(enc.packet.src, "10.244.1.4");
  assert.equal(enc.packet.dst, "10.244.2.2");
  assert.ok(nsPath(p).includes("underlay"));
  const dec = find(p, "DECAPSULATED")[0];
  assert.ok(dec.detail.includes("flannel.1"));
  assert.equal(dec.packet.outer, undefined);
  // TTL: the pod's packet is routed by worker-1 and worker-2 → 62 on arrival.
  assert.equal(steps(p).at(-1)!.packet.ttl, 62);
  const short = traceFlow(ir, { from: "client", to: "web-2", ttl: 1 }).paths[0];
  assert.equal(short.disposition.verdict, "DROPPED");
  assert.equal(short.disposition.reason, "TTL_EXCEEDED");
  assert.equal(short.disposition.ns, "node/worker-1");
  assert.equal(traceFlow(ir, { from: "client", to: "web-2", ttl: 2 }).paths[0].disposition.reason, "TTL_EXCEEDED");
  assert.equal(traceFlow(ir, { from: "client", to: "web-2", ttl: 3 }).paths[0].disposition.verdict, "DELIVERED");
});

test("flannel host-gw: route to the remote /24 via the node address on eth0, no tunnel", () => {
  const ir = fixtureIR({ flavor: "flannel/host-gw" });
  const p = traceFlow(ir, { from: "client", to: "web-2" }).paths[0];
  assert.equal(p.disposition.verdict, "DELIVERED");
  assert.ok(find(p, "ROUTED").some((s) => s.object?.text === "10.244.2.0/24 via 192.168.1.4 dev eth0"));
  assert.equal(find(p, "ENCAPSULATED").length, 0);
});

test("calico bgp: proxy ARP answers for 169.254.1.1, /32 host route to the cali interface", () => {
  const ir = fixtureIR({ flavor: "calico/bgp" });
  const p = traceFlow(ir, { from: "client", to: "web-2" }).paths[0];
  assert.equal(p.disposition.verdict, "DELIVERED");
  const arp = find(p, "ARP")[0];
  assert.match(arp.detail, /169\.254\.1\.1.*ee:ee:ee:ee:ee:ee.*proxy ARP/);
  assert.ok(find(p, "ROUTED").some((s) => s.object?.text === "10.244.2.0/26 via 192.168.1.4 dev eth0 proto bird"));
  assert.ok(find(p, "ROUTED").some((s) => /^10\.244\.2\.1 dev cali\w+ scope link$/.test(s.object?.text ?? "")));
});

test("calico: an unallocated address in the node's own block hits the blackhole route", () => {
  const ir = fixtureIR({ flavor: "calico/bgp" });
  const p = traceFlow(ir, { from: "client", to: "10.244.1.50:80" }).paths[0];
  assert.equal(p.disposition.verdict, "DROPPED");
  assert.equal(p.disposition.reason, "FIB_LOOKUP_FAILED");
  assert.equal(p.disposition.object?.text, "blackhole 10.244.1.0/26 proto bird");
  assert.equal(p.disposition.ns, "node/worker-1");
});

test("calico ipip: tunl0 onlink, outer protocol 4 between node addresses, +20 bytes", () => {
  const ir = fixtureIR({ flavor: "calico/ipip" });
  const p = traceFlow(ir, { from: "client", to: "web-2", size: 1000 }).paths[0];
  assert.equal(p.disposition.verdict, "DELIVERED");
  const enc = find(p, "ENCAPSULATED")[0];
  assert.equal(enc.packet.outer?.protocol, "ipip");
  assert.equal(enc.packet.outer?.src, "192.168.1.3");
  assert.equal(enc.packet.outer?.dst, "192.168.1.4");
  assert.equal(enc.packet.outer?.size, 1020);
  assert.ok(find(p, "DECAPSULATED")[0].detail.includes("tunl0"));
});

for (const proxy of ["iptables", "nftables", "ipvs"] as const) {
  test(`${proxy}: pod → ClusterIP with 3 endpoints gives three paths of 1/3`, () => {
    const ir = fixtureIR({ proxy });
    const r = traceFlow(ir, { from: "client", to: "10.96.0.50:80" });
    assert.equal(r.paths.length, 3);
    for (const p of r.paths) {
      assert.ok(Math.abs(p.probability - 1 / 3) < 1e-9, `p=${p.probability}`);
      assert.equal(p.disposition.verdict, "DELIVERED");
      assert.ok(p.choices.length >= 1);
    }
    assert.deepEqual(r.paths.map((p) => p.disposition.ns).sort(), [
      "pod/default/web-0",
      "pod/default/web-1",
      "pod/default/web-2",
    ]);
    assert.ok(Math.abs(sum(r.paths) - 1) < 1e-9);
    // The DNAT happened on the client's node.
    const nat = r.paths.map((p) => steps(p).find((s) => s.action === "NAT" || s.action === "IPVS")!);
    for (const s of nat) assert.equal(s.packet.dst.startsWith("10.244."), true);
  });
}

test("iptables: the DNAT step names the KUBE-SEP rule (kube-proxy's chain name and shape)", () => {
  const ir = fixtureIR();
  const r = traceFlow(ir, { from: "client", to: "10.96.0.50:80" });
  const sep = sepChainName("default/web", "tcp", "10.244.2.2:80");
  const p = r.paths.find((x) => x.disposition.ns === "pod/default/web-2")!;
  const nat = find(p, "NAT")[0];
  assert.equal(nat.object?.chain, sep);
  assert.equal(
    nat.object?.text,
    `-A ${sep} -m comment --comment default/web -m tcp -p tcp -j DNAT --to-destination 10.244.2.2:80`,
  );
  assert.ok(
    steps(p).some(
      (s) => s.object?.text.includes("--probability") === false && s.object?.chain?.startsWith("KUBE-SVC-"),
    ),
  );
});

test("Service without endpoints: REJECT in filter KUBE-SERVICES → DROPPED SERVICE_BACKEND_NOT_FOUND naming the rule", () => {
  const r = traceFlow(fixtureIR(), { from: "client", to: "10.96.0.60:80" });
  assert.equal(r.paths.length, 1);
  const d = r.paths[0].disposition;
  assert.equal(d.verdict, "DROPPED");
  assert.equal(d.reason, "SERVICE_BACKEND_NOT_FOUND");
  assert.equal(d.object?.table, "filter");
  assert.equal(d.object?.chain, "KUBE-SERVICES");
  assert.match(d.object!.text, /"default\/empty has no endpoints".*-j REJECT/);
});

test("the drop's reason is the rule's tag, not its text: untagged, the same REJECT is a plain filter", () => {
  const ir = fixtureIR();
  for (const n of ir.nodes)
    for (const l of n.ns.netfilter.iptables)
      for (const c of Object.values(l.tables.filter ?? {})) for (const r of c.rules) delete r.drop;
  const d = traceFlow(ir, { from: "client", to: "10.96.0.60:80" }).paths[0].disposition;
  assert.equal(d.verdict, "DROPPED");
  assert.equal(d.reason, "NETFILTER_DROP");
  assert.match(d.object!.text, /has no endpoints/);
});

test("nftables: Service without endpoints goes to reject-chain via @no-endpoint-services", () => {
  const d = traceFlow(fixtureIR({ proxy: "nftables" }), { from: "client", to: "10.96.0.60:80" }).paths[0].disposition;
  assert.equal(d.verdict, "DROPPED");
  assert.equal(d.object?.chain, "reject-chain");
});

test("externalTrafficPolicy Local: NodePort on a node without local endpoints is dropped; with one, the client IP is kept", () => {
  const ir = fixtureIR();
  const d = traceFlow(ir, { from: "external", to: "192.168.1.3:30081" }).paths[0].disposition;
  assert.equal(d.verdict, "DROPPED");
  assert.equal(d.reason, "SERVICE_BACKEND_NOT_FOUND");
  assert.equal(d.object?.chain, "KUBE-EXTERNAL-SERVICES");
  assert.match(d.object!.text, /has no local endpoints.*-j DROP/);
  const ok = traceFlow(ir, { from: "external", to: "192.168.1.4:30081" });
  assert.equal(ok.paths.length, 1);
  const p = ok.paths[0];
  assert.equal(p.disposition.verdict, "DELIVERED");
  assert.equal(p.disposition.ns, "pod/default/web-2");
  assert.equal(steps(p).at(-1)!.packet.src, "192.168.1.1"); // source preserved
});

test("NodePort from outside: DNAT to every endpoint, masqueraded to the egress interface's address", () => {
  const r = traceFlow(fixtureIR(), { from: "external", to: "192.168.1.3:30080" });
  assert.equal(r.paths.length, 3);
  assert.ok(Math.abs(sum(r.paths) - 1) < 1e-9);
  for (const p of r.paths) assert.equal(p.disposition.verdict, "DELIVERED");
  const remote = r.paths.find((p) => p.disposition.ns === "pod/default/web-2")!;
  // Leaves worker-1 over flannel.1: MASQUERADE picks flannel.1's address.
  assert.equal(steps(remote).at(-1)!.packet.src, "10.244.1.0");
  const local = r.paths.find((p) => p.disposition.ns === "pod/default/web-0")!;
  assert.equal(steps(local).at(-1)!.packet.src, "10.244.1.1");
  assert.equal(r.paths[0].hops[0].ns, "underlay");
});

test("session affinity: the first trace branches and records; a remembered client goes to its endpoint only", () => {
  const ir = fixtureIR();
  const first = traceFlow(ir, { from: "client", to: "10.96.0.70:80" });
  assert.equal(first.paths.length, 2);
  assert.ok(first.paths.every((p) => steps(p).some((s) => s.object?.text.includes("--set"))));
  const sep = sepChainName("default/sticky", "tcp", "10.244.2.2:80");
  const again = traceFlow(ir, { from: "client", to: "10.96.0.70:80" }, { affinity: { [sep]: ["10.244.1.4"] } });
  assert.equal(again.paths.length, 1);
  assert.equal(again.paths[0].probability, 1);
  assert.equal(again.paths[0].disposition.ns, "pod/default/web-2");
  assert.ok(steps(again.paths[0]).some((s) => s.object?.text.includes("--rcheck")));
});

test("hairpin: a pod reaching itself through its Service is masqueraded (KUBE-SEP -s self → MARK-MASQ)", () => {
  const ir = fixtureIR();
  const r = traceFlow(ir, { from: "web-0", to: "10.96.0.50:80", reply: true });
  const self = r.paths.find((p) => p.disposition.ns === "pod/default/web-0")!;
  assert.equal(self.disposition.verdict, "DELIVERED");
  const last = steps(self).at(-1)!.packet;
  assert.equal(last.src, "10.244.1.1"); // cni0's address
  assert.equal(last.dst, "10.244.1.2");
  assert.ok(steps(self).some((s) => s.action === "BRIDGED" && s.detail.includes("hairpin")));
  assert.equal(self.reply?.disposition.verdict, "DELIVERED");
  const back = steps(self.reply!).at(-1)!.packet;
  assert.equal(back.src, "10.96.0.50");
  assert.equal(back.dst, "10.244.1.2");
  // Without hairpin mode on the port, the frame cannot go back out the way it came.
  const noHp = fixtureIR();
  for (const n of noHp.nodes) for (const l of n.ns.links) l.hairpin = false;
  const r2 = traceFlow(noHp, { from: "web-0", to: "10.96.0.50:80" });
  const p2 = r2.paths.find((p) => p.disposition.reason === "HAIRPIN");
  assert.ok(p2, "a path is dropped for hairpin");
});

test("localhost: 127.0.0.1 reaches only the pod's own listeners; two containers share the namespace", () => {
  const ir = fixtureIR();
  const own = traceFlow(ir, { from: "multi", to: "127.0.0.1:9090" }).paths[0];
  assert.equal(own.disposition.verdict, "DELIVERED");
  assert.equal(own.disposition.container, "sidecar");
  assert.deepEqual(nsPath(own), ["pod/default/multi"]);
  const app = traceFlow(ir, { from: "multi", to: "127.0.0.1:8080" }).paths[0];
  assert.equal(app.disposition.container, "app");
  const other = traceFlow(ir, { from: "client", to: "127.0.0.1:9090" }).paths[0];
  assert.equal(other.disposition.verdict, "REFUSED");
  assert.deepEqual(nsPath(other), ["pod/default/client"]);
  // The sidecar listens on 127.0.0.1 only: from another pod it is refused.
  const remote = traceFlow(ir, { from: "client-2", to: "multi", port: 9090 }).paths[0];
  assert.equal(remote.disposition.verdict, "REFUSED");
  assert.equal(traceFlow(ir, { from: "client-2", to: "multi", port: 8080 }).paths[0].disposition.container, "app");
});

test("1500-byte packet over VXLAN: dropped at the pod (eth0 MTU 1450); 1450 bytes become a 1500-byte outer packet", () => {
  const ir = fixtureIR({ flavor: "flannel/vxlan" });
  const big = traceFlow(ir, { from: "client", to: "web-2", size: 1500 }).paths[0];
  assert.equal(big.disposition.verdict, "DROPPED");
  assert.equal(big.disposition.reason, "MTU_EXCEEDED");
  assert.equal(big.disposition.ns, "pod/default/client");
  assert.match(big.disposition.detail, /1450/);
  const fit = traceFlow(ir, { from: "client", to: "web-2", size: 1450 }).paths[0];
  assert.equal(fit.disposition.verdict, "DELIVERED");
  assert.equal(find(fit, "ENCAPSULATED")[0].packet.outer?.size, 1500);
  // host-gw has no overhead: 1500 goes through.
  assert.equal(
    traceFlow(fixtureIR({ flavor: "flannel/host-gw" }), { from: "client", to: "web-2", size: 1500 }).paths[0]
      .disposition.verdict,
    "DELIVERED",
  );
});

test("reply path: conntrack undoes the DNAT so the client sees the cluster IP", () => {
  for (const proxy of ["iptables", "nftables", "ipvs"] as const) {
    const r = traceFlow(fixtureIR({ proxy }), { from: "client", to: "10.96.0.50:80", reply: true });
    for (const p of r.paths) {
      assert.equal(p.reply?.disposition.verdict, "DELIVERED", `${proxy} ${p.disposition.ns}`);
      const last = steps(p.reply!).at(-1)!.packet;
      assert.equal(last.src, "10.96.0.50", proxy);
      assert.equal(last.sport, 80);
      assert.equal(last.dst, "10.244.1.4");
      assert.equal(last.dport, r.flow.sport);
    }
  }
});

test("nothing listening → REFUSED; node-namespace listeners belong to hostNetwork pods", () => {
  const ir = fixtureIR();
  const p = traceFlow(ir, { from: "client", to: "web-2", port: 81 }).paths[0];
  assert.equal(p.disposition.verdict, "REFUSED");
  assert.match(p.disposition.detail, /TCP RST/);
  const h = traceFlow(ir, { from: "client-2", to: "192.168.1.3:10256" }).paths[0];
  assert.equal(h.disposition.verdict, "DELIVERED");
  assert.equal(h.disposition.ns, "node/worker-1");
  assert.match(h.disposition.container!, /kube-proxy/);
});

test("JSON is the TraceResult and the text rendering numbers hops", () => {
  const r = traceFlow(fixtureIR(), { from: "client", to: "10.96.0.50:80" });
  const back = JSON.parse(JSON.stringify(r));
  assert.deepEqual(back, r);
  const t = renderTrace(r);
  assert.match(t, /^trace client → 10\.96\.0\.50:80/);
  assert.match(t, /path 1 of 3 \(probability 33\.33%\)/);
  assert.match(t, /1\. pod\/default\/client/);
});

test("a cluster IP on a protocol the Service lacks: no kube-proxy rule matches, the packet goes nowhere", () => {
  // iptables mode matches `-p tcp --dport 80` only (pkg/proxy/iptables/proxier.go) and has no
  // reject for other ports, unlike nftables' cluster-ips-check (KEP-3866): the packet keeps
  // the cluster IP, leaves by the default route, and nothing routes the Service range.
  const p = traceFlow(fixtureIR(), { from: "client", to: "10.96.0.50:80", protocol: "udp" }).paths[0];
  assert.equal(p.disposition.verdict, "DROPPED");
  assert.equal(p.disposition.reason, "FIB_LOOKUP_FAILED");
  assert.equal(p.disposition.ns, "underlay");
  assert.equal(find(p, "NAT").filter((s) => /DNAT/.test(s.detail)).length, 0);
  assert.equal(p.hops.at(-1)!.steps.at(-1)!.packet.dst, "10.96.0.50");
});

test("a pod reaching outside: flannel masquerades to the node address and the packet exits the cluster", () => {
  const p = traceFlow(fixtureIR(), { from: "client", to: "8.8.8.8:53", protocol: "udp" }).paths[0];
  assert.equal(p.disposition.verdict, "EXITS_CLUSTER");
  assert.equal(p.disposition.ns, "underlay");
  assert.equal(steps(p).at(-1)!.packet.src, "192.168.1.3");
  assert.ok(steps(p).some((s) => s.action === "NAT" && s.object?.chain === "FLANNEL-POSTRTG"));
});

test("TTL: each routed hop decrements; a forwarded packet at TTL 1 is dropped", () => {
  const ir = fixtureIR();
  // Two routed hops (worker-1, worker-2) between pods on different nodes.
  const p = traceFlow(ir, { from: "client", to: "web-2" }).paths[0];
  assert.equal(steps(p).at(-1)!.packet.ttl, 62);
  const short = traceFlow(ir, { from: "client", to: "web-2", ttl: 1 }).paths[0];
  assert.equal(short.disposition.verdict, "DROPPED");
  assert.equal(short.disposition.reason, "TTL_EXCEEDED");
  assert.equal(short.disposition.ns, "node/worker-1");
  assert.equal(traceFlow(ir, { from: "client", to: "web-2", ttl: 2 }).paths[0].disposition.reason, "TTL_EXCEEDED");
  assert.equal(traceFlow(ir, { from: "client", to: "web-2", ttl: 3 }).paths[0].disposition.verdict, "DELIVERED");
});

test("nftables session affinity: update @affinity-… on the first trace; a remembered client skips numgen", () => {
  const ir = fixtureIR({ proxy: "nftables" });
  const first = traceFlow(ir, { from: "client", to: "10.96.0.70:80" });
  assert.equal(first.paths.length, 2);
  const upd = steps(first.paths[0]).find((s) => s.detail.includes("update @affinity-"))!;
  assert.ok(upd);
  const set = /update @(affinity-\S+)/.exec(upd.detail)![1];
  const target = first.paths[0].disposition.ns;
  const again = traceFlow(ir, { from: "client", to: "10.96.0.70:80" }, { affinity: { [set]: ["10.244.1.4"] } });
  assert.equal(again.paths.length, 1);
  assert.equal(again.paths[0].disposition.ns, target);
});
