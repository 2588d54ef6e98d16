// The named faults' effects on traces. Expected values come from what the kernel and
// Kubernetes document for each failure, not from podnet's output:
//   ip_forward=0 forwards nothing (kernel Documentation/networking/ip-sysctl.rst, ip_forward);
//   a link that is down sends nothing (ENETDOWN), and a bridge forwards nothing to a
//   disabled port (net/bridge/br_forward.c should_deliver); a pod without a default route
//   gets ENETUNREACH; flannel's VXLAN device does not learn (nolearning), so without the
//   peer's neighbour/FDB entry nothing is encapsulated; DF packets larger than the device
//   MTU are dropped (ICMP fragmentation needed); rp_filter 1 is RFC 3704's strict mode.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadSpecFromArgs } from "../load/input.js";
import { buildState } from "../control/build.js";
import { parseFault, type Fault } from "../manifest/faults.js";
import { SpecError } from "../manifest/errors.js";
import { runChange } from "../control/changes.js";
import type { ClusterState, PodState } from "../control/state.js";
import { modelSession } from "../questions/trace.js";
import type { TraceResult } from "../sim/index.js";
import { findNs } from "./build.js";

const HEALTHY = join("examples/broken", "veth-down"); // client on worker-2, web on worker-1

const faults = (...fs: string[]): Fault[] =>
  fs.map((s) => {
    const f = parseFault(s);
    if (typeof f === "string") throw new Error(f);
    return f;
  });

const pod = (s: ClusterState, name: string): PodState =>
  s.pods.find((p) => p.namespace === "default" && p.name.startsWith(`${name}-`))!;
const ends = (r: TraceResult) => r.paths.map((p) => `${p.disposition.verdict} ${p.disposition.reason ?? ""}`.trim());
const traceTo = (s: ClusterState, from: string, to: string, size?: number) =>
  modelSession(s).trace({ from: `default/${pod(s, from).name}`, to, ...(size ? { size } : {}) }, { noDnsPath: true });

/** The veth-down scenario with the test's faults instead of its own. */
async function withOnly(fs: string[], files = [HEALTHY]): Promise<ClusterState> {
  const spec = await loadSpecFromArgs({ files, mode: "tolerant" });
  return buildState({ ...spec, config: { ...spec.config, faults: faults(...fs) } });
}

test("no fault: client on worker-2 reaches web on worker-1", async () => {
  const s = await withOnly([]);
  assert.equal(pod(s, "client").nodeName, "worker-2");
  assert.equal(pod(s, "web").nodeName, "worker-1");
  assert.deepEqual(ends(traceTo(s, "client", `${pod(s, "web").podIP}:8080`)), ["DELIVERED"]);
});

test("ip-forward-off: the node forwards nothing; its own sysctl says 0", async () => {
  const s = await withOnly(["ip-forward-off worker-1"]);
  const r = traceTo(s, "client", `${pod(s, "web").podIP}:8080`);
  assert.deepEqual(ends(r), ["DROPPED IP_FORWARDING_DISABLED"]);
  assert.equal(r.paths[0].disposition.ns, "node/worker-1");
  const ns = findNs(modelSession(s).ir, "node/worker-1")!;
  assert.equal(ns.sysctls["net.ipv4.ip_forward"], "0");
  assert.equal(findNs(modelSession(s).ir, "node/worker-2")!.sysctls["net.ipv4.ip_forward"], "1");
});

test("cni-bridge-down: the routes through cni0 go with it; the pod's address takes the default route", async () => {
  // ip link set cni0 down: fib_sync_down_dev (torvalds/linux net/ipv4/fib_semantics.c) kills
  // the nexthops on cni0, and the routes whose only nexthop it was are flushed; the local
  // address's host route stays. The pod's address then matches the default route.
  const s = await withOnly(["cni-bridge-down worker-1"]);
  const ns = findNs(modelSession(s).ir, "node/worker-1")!;
  assert.deepEqual(
    ns.routes.filter((r) => r.dev === "cni0").map((r) => r.type),
    ["local"],
  );
  const r = traceTo(s, "client", `${pod(s, "web").podIP}:8080`);
  assert.deepEqual(ends(r), ["EXITS_CLUSTER"]);
  const routed = r.paths[0].hops
    .find((h) => h.ns === "node/worker-1")!
    .steps.filter((x) => x.action === "ROUTED")
    .map((x) => x.object?.text);
  assert.ok(routed.includes("default via 192.168.1.1 dev eth0"), JSON.stringify(routed));
});

test("veth-down, underlay-link-down: LINK_DOWN where the link is", async () => {
  for (const [f, dev] of [
    ["veth-down web", "veth"],
    ["underlay-link-down worker-1", "eth0"],
  ] as const) {
    const s = await withOnly([f]);
    const r = traceTo(s, "client", `${pod(s, "web").podIP}:8080`);
    assert.deepEqual(ends(r), ["DROPPED LINK_DOWN"], f);
    assert.match(r.paths[0].disposition.object?.text ?? "", new RegExp(`^${dev}\\S*: <DOWN>`), f);
  }
  // The web pod's own traffic out is cut too (its veth's far end is down).
  const s = await withOnly(["veth-down web"]);
  assert.deepEqual(ends(traceTo(s, "web", `${pod(s, "client").podIP}:8080`)), ["DROPPED LINK_DOWN"]);
});

test("pod-route-missing: only the default route goes; what only it led to is unreachable", async () => {
  const s = await withOnly(["pod-route-missing client"]);
  const ns = findNs(modelSession(s).ir, `pod/default/${pod(s, "client").name}`)!;
  assert.equal(
    ns.routes.some((r) => r.dst === "default"),
    false,
  );
  assert.ok(ns.routes.length > 0, "the connected route stays");
  // flannel's pod also has the cluster CIDR's route (the CNI bridge's): pods stay reachable,
  // the Service range was behind the default route only.
  assert.deepEqual(ends(traceTo(s, "client", `${pod(s, "web").podIP}:8080`)), ["DELIVERED"]);
  const svc = s.services.find((x) => x.name === "web")!;
  const r = traceTo(s, "client", `${svc.clusterIP}:80`);
  assert.deepEqual(ends(r), ["DROPPED FIB_LOOKUP_FAILED"]);
  assert.match(r.paths[0].disposition.detail, /Network is unreachable/);
});

test("node-partition: the LAN drops what the two nodes send each other, both ways; a third node still talks to both", async () => {
  const s = await withOnly(["node-partition worker-1 worker-2"]);
  const r = traceTo(s, "client", `${pod(s, "web").podIP}:8080`);
  assert.deepEqual(ends(r), ["DROPPED NETFILTER_DROP"]);
  assert.equal(r.paths[0].disposition.ns, "underlay");
  assert.deepEqual(ends(traceTo(s, "web", `${pod(s, "client").podIP}:8080`)), ["DROPPED NETFILTER_DROP"]);
  const dns = s.pods.find((p) => p.name.startsWith("coredns-") && p.nodeName === "control-plane")!;
  assert.deepEqual(ends(traceTo(s, "client", `${dns.podIP}:53`)), ["DELIVERED"]);
});

test("vxlan-fdb-missing: no neighbour/FDB for the peer's VTEP on that node; the other direction still works", async () => {
  const s = await withOnly(["vxlan-fdb-missing worker-2 worker-1"]);
  const ir = modelSession(s).ir;
  const w1 = s.nodes.find((n) => n.name === "worker-1")!;
  const ns = findNs(ir, "node/worker-2")!;
  assert.equal(
    ns.fdb.some((e) => e.dev === "flannel.1" && e.dst === w1.address),
    false,
  );
  assert.deepEqual(ends(traceTo(s, "client", `${pod(s, "web").podIP}:8080`)), ["DROPPED TUNNEL_ENDPOINT_MISSING"]);
  // Back the other way the packet reaches the client pod (which has nothing on 8080: RST).
  assert.deepEqual(ends(traceTo(s, "web", `${pod(s, "client").podIP}:8080`)), ["REFUSED NO_LISTENER"]);
});

test("mtu-mismatch: the pods keep the underlay MTU; full-size DF packets are dropped at the VXLAN device, small ones pass", async () => {
  const s = await withOnly(["mtu-mismatch worker-2"]);
  const ir = modelSession(s).ir;
  const eth0 = findNs(ir, `pod/default/${pod(s, "client").name}`)!.links.find((l) => l.name === "eth0")!;
  assert.equal(eth0.mtu, 1500);
  const vx = findNs(ir, "node/worker-2")!.links.find((l) => l.name === "flannel.1")!;
  assert.equal(vx.mtu, 1450); // flannel: the underlay's 1500 minus VXLAN's 50
  const big = traceTo(s, "client", `${pod(s, "web").podIP}:8080`, 1500);
  assert.deepEqual(ends(big), ["DROPPED MTU_EXCEEDED"]);
  assert.match(big.paths[0].disposition.detail, /1500 bytes exceeds the MTU 1450 of flannel\.1/);
  assert.deepEqual(ends(traceTo(s, "client", `${pod(s, "web").podIP}:8080`, 1400)), ["DELIVERED"]);
});

test("rp-filter-strict: set on the node; symmetric paths pass, an asymmetric one is dropped (strict), loose lets it by", async () => {
  const s = await withOnly(["rp-filter-strict worker-1"]);
  const session = modelSession(s);
  const ns = findNs(session.ir, "node/worker-1")!;
  assert.equal(ns.sysctls["net.ipv4.conf.all.rp_filter"], "1");
  assert.deepEqual(ends(traceTo(s, "client", `${pod(s, "web").podIP}:8080`)), ["DELIVERED"]);
  // Make the route back to worker-2's pods leave by eth0 while they arrive on flannel.1.
  const w2 = s.nodes.find((n) => n.name === "worker-2")!;
  const asym = (mode: string) => {
    const x = modelSession(s);
    const n = findNs(x.ir, "node/worker-1")!;
    n.sysctls = { ...n.sysctls, "net.ipv4.conf.all.rp_filter": mode };
    n.routes = n.routes.map((r) => (r.dst === w2.podCIDR ? { ...r, dev: "eth0", via: w2.address, onlink: false } : r));
    return x.trace(
      { from: `default/${pod(s, "client").name}`, to: `${pod(s, "web").podIP}:8080` },
      { noDnsPath: true },
    );
  };
  const strict = asym("1");
  assert.deepEqual(ends(strict), ["DROPPED RP_FILTER"]);
  assert.match(strict.paths[0].disposition.detail, /leaves by eth0, not flannel\.1/);
  assert.deepEqual(ends(asym("2")), ["DELIVERED"]);
});

test("kube-proxy-flushed: that node's Service rules are gone; another node still translates", async () => {
  const s = await withOnly(["kube-proxy-flushed worker-2"]);
  const svc = s.services.find((x) => x.name === "web")!;
  const r = traceTo(s, "client", `${svc.clusterIP}:80`);
  assert.ok(
    r.paths.every((p) => !p.hops.some((h) => h.steps.some((st) => st.action === "NAT" && /DNAT/.test(st.detail)))),
  );
  assert.ok(r.paths.every((p) => p.disposition.verdict !== "DELIVERED"));
  const dns = s.pods.find((p) => p.name.startsWith("coredns-") && p.nodeName === "worker-1")!;
  const other = modelSession(s).trace(
    { from: `kube-system/${dns.name}`, to: `${svc.clusterIP}:80` },
    { noDnsPath: true },
  );
  assert.deepEqual(ends(other), ["DELIVERED"]);
});

test("kube-proxy-down then a scale: the stopped node's rules keep the old endpoints, the others follow", async () => {
  const before = await withOnly(["kube-proxy-down worker-2"], ["examples/broken/kube-proxy-stale-after-scale"]);
  const old = before.pods.filter((p) => p.name.startsWith("web-")).map((p) => p.podIP);
  assert.equal(old.length, 3);
  const after = runChange(before, {
    op: "scale",
    kind: "Deployment",
    namespace: "default",
    name: "web",
    replicas: 1,
  }).state;
  const kept = after.pods.filter((p) => p.name.startsWith("web-")).map((p) => p.podIP);
  assert.equal(kept.length, 1);
  const svc = after.services.find((x) => x.name === "web")!;
  const dnatTargets = (from: PodState) =>
    new Set(
      modelSession(after)
        .trace({ from: `${from.namespace}/${from.name}`, to: `${svc.clusterIP}:80` }, { noDnsPath: true })
        .paths.flatMap((p) =>
          p.hops.flatMap((h) =>
            h.steps.filter((st) => st.action === "NAT" && /DNAT/.test(st.detail)).map((st) => st.packet.dst),
          ),
        ),
    );
  // worker-2 (kube-proxy down): still all three; worker-1: the one left.
  const client = pod(after, "client");
  assert.equal(client.nodeName, "worker-2");
  assert.deepEqual([...dnatTargets(client)].sort(), [...old].sort());
  const onW1 = after.pods.find((p) => p.nodeName === "worker-1" && p.podIP && !p.spec.hostNetwork)!;
  assert.deepEqual([...dnatTargets(onW1)], kept);
});

test("bgp-down (Calico): the node loses its peers' routes and they lose its; its own blackholes stay", async () => {
  const st = await withOnly(["bgp-down worker-1"], ["examples/broken/bgp-down"]);
  const ir = modelSession(st).ir;
  const w1 = st.nodes.find((n) => n.name === "worker-1")!;
  const w1ns = findNs(ir, "node/worker-1")!;
  assert.equal(
    w1ns.routes.some((r) => r.proto === "bird" && r.via),
    false,
  );
  assert.ok(w1ns.routes.some((r) => r.type === "blackhole"));
  const w2ns = findNs(ir, "node/worker-2")!;
  assert.equal(
    w2ns.routes.some((r) => r.via === w1.address),
    false,
  );
  assert.ok(
    w2ns.routes.some((r) => r.proto === "bird" && r.via),
    "worker-2 keeps its route to control-plane",
  );
});

test("a fault naming a node or pod the cluster lacks, or a backend it does not apply to, is an error naming it", async () => {
  for (const [f, msg] of [
    [
      "ip-forward-off worker-9",
      /fault "ip-forward-off worker-9": no node worker-9 \(nodes: control-plane, worker-1, worker-2\)/,
    ],
    ["veth-down nope", /fault "veth-down default\/nope": no pod default\/nope/],
    ["bgp-down worker-1", /needs Calico with BGP/],
    ["node-partition worker-1 worker-1", /the two nodes must differ/],
  ] as const)
    await assert.rejects(withOnly([f]), (e: unknown) => e instanceof SpecError && msg.test(e.message), f);
});
