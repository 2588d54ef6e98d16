// Zone hints (topology-aware routing), as kube-proxy applies them: kubernetes
// pkg/proxy/topology.go CategorizeEndpoints, canUseTopology, availableForTopology (v1.31), and
// https://kubernetes.io/docs/concepts/services-networking/topology-aware-routing/#safeguards.
// Expected values follow from those rules, not from podnet's output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { clusterEndpointsIn, epStr, nodeZone, reachableEndpoints, localEndpoints, servicePorts } from "./model.js";
import { iptablesMode } from "./iptables/index.js";
import { nftablesMode } from "./nftables/index.js";
import { ipvsMode } from "./ipvs/index.js";
import { portProtoHash, sepChainName } from "./hash.js";
import { renderIptables } from "../ir/render-iptables.js";
import { renderNft } from "../ir/render-nft.js";
import type { ClusterState } from "../control/state.js";
import * as T from "./testing.js";
import { proxyLayers } from "./mode.js";

const ZONES = { "control-plane": "zone-a", "worker-1": "zone-a", "worker-2": "zone-b", "worker-3": "zone-c" };
const NODES = Object.keys(ZONES);

function state(eps: T.EpSpec[], svc: T.SvcOpts = {}, zones: Record<string, string> = ZONES): ClusterState {
  return T.withZones(
    T.clusterState([T.service("default", "web", "10.96.0.40", svc)], [T.slice("default", "web", eps)], NODES),
    zones,
  );
}

/** The endpoints each node's kube-proxy sends Cluster-policy traffic to. */
function perNode(st: ClusterState): Record<string, string[]> {
  const [sp] = servicePorts(st);
  return Object.fromEntries(st.nodes.map((n) => [n.name, clusterEndpointsIn(sp, nodeZone(n)).map(epStr)]));
}

const A1 = { ip: "10.244.1.5", node: "worker-1", zones: ["zone-a"] };
const A2 = { ip: "10.244.1.6", node: "worker-1", zones: ["zone-a"] };
const B1 = { ip: "10.244.2.5", node: "worker-2", zones: ["zone-b"] };
const ALL = ["10.244.1.5:80", "10.244.1.6:80", "10.244.2.5:80"];

test("every ready endpoint hinted: each node takes its zone's; a zone without any takes all", () => {
  assert.deepEqual(perNode(state([A1, A2, B1])), {
    "control-plane": ["10.244.1.5:80", "10.244.1.6:80"],
    "worker-1": ["10.244.1.5:80", "10.244.1.6:80"],
    "worker-2": ["10.244.2.5:80"],
    // "no hints were provided for zone": topology is not used there.
    "worker-3": ALL,
  });
});

test("one ready endpoint without a hint: no node uses topology", () => {
  const { zones: _, ...bare } = B1;
  const r = perNode(state([A1, A2, bare]));
  for (const n of NODES) assert.deepEqual(r[n], ALL, n);
});

test("an unready endpoint without a hint does not count; it is not used either", () => {
  const unready = { ip: "10.244.3.5", node: "worker-3", ready: false };
  const r = perNode(state([A1, A2, B1, unready]));
  assert.deepEqual(r["worker-2"], ["10.244.2.5:80"]);
  assert.deepEqual(r["worker-3"], ALL);
});

test("a node without a zone label uses every ready endpoint", () => {
  const r = perNode(state([A1, A2, B1], {}, { "control-plane": "zone-a", "worker-1": "zone-a", "worker-2": "zone-b" }));
  assert.deepEqual(r["worker-3"], ALL);
  assert.deepEqual(r["worker-2"], ["10.244.2.5:80"]);
});

test("an endpoint hinted for two zones serves both", () => {
  const shared = { ip: "10.244.3.9", node: "worker-3", zones: ["zone-b", "zone-c"] };
  const r = perNode(state([A1, B1, shared]));
  assert.deepEqual(r["worker-2"], ["10.244.2.5:80", "10.244.3.9:80"]);
  assert.deepEqual(r["worker-3"], ["10.244.3.9:80"]);
  assert.deepEqual(r["worker-1"], ["10.244.1.5:80"]);
});

test("internalTrafficPolicy Local: the node's own endpoints, whatever their hints", () => {
  const st = state([A1, A2, B1], { internalTrafficPolicy: "Local" });
  const [sp] = servicePorts(st);
  assert.equal(sp.zoneHinted, false);
  const w2 = st.nodes.find((n) => n.name === "worker-2")!;
  assert.deepEqual(reachableEndpoints(sp, localEndpoints(sp, w2.name)).map(epStr), ["10.244.2.5:80"]);
});

test("externalTrafficPolicy Local: the node's local endpoints, and its zone's for the cluster IP", () => {
  // A local endpoint hinted for another zone still gets its chain (allReachableEndpoints).
  const odd = { ip: "10.244.2.6", node: "worker-2", zones: ["zone-a"] };
  const st = state([A1, B1, odd], { type: "NodePort", externalTrafficPolicy: "Local", ports: [{ nodePort: 30400 }] });
  const [sp] = servicePorts(st);
  const local = localEndpoints(sp, "worker-2");
  const cluster = clusterEndpointsIn(sp, "zone-b");
  assert.deepEqual(cluster.map(epStr), ["10.244.2.5:80"]);
  assert.deepEqual(reachableEndpoints(sp, local, cluster).map(epStr), ["10.244.2.5:80", "10.244.2.6:80"]);
});

const svcChain = "KUBE-SVC-" + portProtoHash("default/web", "tcp");
const sep = (ep: string) => sepChainName("default/web", "tcp", ep);

function iptables(st: ClusterState, node: string): string {
  const shared = iptablesMode.shared(st);
  const own = iptablesMode.perNode(st, st.nodes.find((n) => n.name === node)!, shared);
  return renderIptables(proxyLayers(shared, own).iptables);
}

test("iptables: the node's KUBE-SVC chain holds its zone's endpoints, and only their KUBE-SEP chains exist", () => {
  const st = state([A1, A2, B1]);
  const w2 = iptables(st, "worker-2");
  assert.deepEqual(
    w2.split("\n").filter((l) => l.startsWith(`-A ${svcChain} `)),
    [
      `-A ${svcChain} -m comment --comment "default/web cluster IP" -m tcp -p tcp -d 10.96.0.40/32 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`,
      `-A ${svcChain} -m comment --comment "default/web -> 10.244.2.5:80" -j ${sep("10.244.2.5:80")}`,
    ],
  );
  assert.ok(w2.includes(`:${sep("10.244.2.5:80")} - [0:0]`));
  assert.ok(!w2.includes(sep("10.244.1.5:80")) && !w2.includes(sep("10.244.1.6:80")));
  const w1 = iptables(st, "worker-1");
  assert.deepEqual(
    w1.split("\n").filter((l) => l.startsWith(`-A ${svcChain} `) && !l.includes("KUBE-MARK-MASQ")),
    [
      `-A ${svcChain} -m comment --comment "default/web -> 10.244.1.5:80" -m statistic --mode random --probability 0.5000000000 -j ${sep("10.244.1.5:80")}`,
      `-A ${svcChain} -m comment --comment "default/web -> 10.244.1.6:80" -j ${sep("10.244.1.6:80")}`,
    ],
  );
  assert.ok(!w1.includes(sep("10.244.2.5:80")));
  // zone-c has no endpoint hinted for it: all three, one chain each.
  const w3 = iptables(st, "worker-3");
  assert.equal(w3.split("\n").filter((l) => l.startsWith(`-A ${svcChain} `)).length, 4);
  for (const ep of ALL) assert.ok(w3.includes(`:${sep(ep)} - [0:0]`), ep);
});

test("nftables: the node's service chain maps to its zone's endpoint chains", () => {
  const st = state([A1, A2, B1]);
  const shared = nftablesMode.shared(st);
  const text = (node: string) =>
    renderNft(proxyLayers(shared, nftablesMode.perNode(st, st.nodes.find((n) => n.name === node)!, shared)).nftables);
  const vmapOf = (t: string) => {
    const body = t.slice(t.indexOf("chain service-"), t.indexOf("}", t.indexOf("numgen random")) + 1);
    return /numgen random mod (\d+) vmap \{ (.*) \}/.exec(body)!.slice(1);
  };
  const [n2, m2] = vmapOf(text("worker-2"));
  assert.equal(n2, "1");
  assert.match(m2, /^0 : goto endpoint-\w{8}-default\/web\/tcp\/__10\.244\.2\.5\/80$/);
  const [n1, m1] = vmapOf(text("worker-1"));
  assert.equal(n1, "2");
  assert.ok(m1.includes("__10.244.1.5/80") && m1.includes("__10.244.1.6/80") && !m1.includes("10.244.2.5"));
  assert.ok(!text("worker-1").includes("__10.244.2.5/80"));
  assert.ok(text("worker-3").includes("__10.244.2.5/80"));
});

test("ipvs: the cluster IP's real servers are the node's zone's", () => {
  const st = state([A1, A2, B1], { type: "NodePort", ports: [{ nodePort: 30401 }] });
  const shared = ipvsMode.shared(st);
  const servers = (node: string, addr: string) => {
    const n = st.nodes.find((x) => x.name === node)!;
    const all = ipvsMode.perNode(st, n, shared).ipvs!;
    return all
      .filter((v) => v.address === addr)
      .map((v) => v.reals.map((r) => `${r.address}:${r.port}`).sort())
      .sort();
  };
  assert.deepEqual(servers("worker-2", "10.96.0.40"), [["10.244.2.5:80"]]);
  assert.deepEqual(servers("worker-1", "10.96.0.40"), [["10.244.1.5:80", "10.244.1.6:80"]]);
  assert.deepEqual(servers("worker-3", "10.96.0.40"), [ALL]);
  // NodePort (eTP Cluster) takes the same endpoints as the cluster IP.
  const w2 = st.nodes.find((n) => n.name === "worker-2")!;
  assert.deepEqual(servers("worker-2", w2.address), [["10.244.2.5:80"]]);
});

test("the nodes of one zone share their zone's layer (built once per zone, not per node)", () => {
  const st = state([A1, A2, B1]);
  const byName = (n: string) => st.nodes.find((x) => x.name === n)!;
  for (const mode of [iptablesMode, nftablesMode]) {
    const shared = mode.shared(st);
    const [cp, w1, w2] = ["control-plane", "worker-1", "worker-2"].map((n) => mode.perNode(st, byName(n), shared));
    assert.ok(cp.zone && cp.zone === w1.zone, `${mode.name}: zone-a's nodes share one layer`);
    assert.notEqual(w2.zone, w1.zone);
  }
  const shared = ipvsMode.shared(st);
  const vsOf = (n: string) => ipvsMode.perNode(st, byName(n), shared).ipvs!.find((v) => v.address === "10.96.0.40");
  assert.equal(vsOf("control-plane"), vsOf("worker-1"));
});
