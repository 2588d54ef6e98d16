// Node hints (trafficDistribution PreferSameNode), as kube-proxy applies them: kubernetes
// pkg/proxy/topology.go topologyModeFromHints and availableForTopology (v1.34, with
// PreferSameTrafficDistribution beta and on), and
// https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-distribution.
// Expected values follow from those rules, not from podnet's output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { clusterEndpointsOn, epStr, nodeZone, servicePorts } from "./model.js";
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

function state(eps: T.EpSpec[], svc: T.SvcOpts = {}): ClusterState {
  return T.withZones(
    T.clusterState([T.service("default", "web", "10.96.0.40", svc)], [T.slice("default", "web", eps)], NODES),
    ZONES,
  );
}

/** The endpoints each node's kube-proxy sends Cluster-policy traffic to. */
function perNode(st: ClusterState): Record<string, string[]> {
  const [sp] = servicePorts(st);
  return Object.fromEntries(st.nodes.map((n) => [n.name, clusterEndpointsOn(sp, n.name, nodeZone(n)).map(epStr)]));
}

// As the EndpointSlice controller hints them for PreferSameNode: the node and its zone.
const A1 = { ip: "10.244.1.5", node: "worker-1", zones: ["zone-a"], nodes: ["worker-1"] };
const A2 = { ip: "10.244.1.6", node: "worker-1", zones: ["zone-a"], nodes: ["worker-1"] };
const B1 = { ip: "10.244.2.5", node: "worker-2", zones: ["zone-b"], nodes: ["worker-2"] };
const ALL = ["10.244.1.5:80", "10.244.1.6:80", "10.244.2.5:80"];

test("every ready endpoint node-hinted: a node with its own takes those, else its zone's, else all", () => {
  assert.deepEqual(perNode(state([A1, A2, B1])), {
    // No endpoint on the control plane: PreferSameZone's answer for zone-a.
    "control-plane": ["10.244.1.5:80", "10.244.1.6:80"],
    "worker-1": ["10.244.1.5:80", "10.244.1.6:80"],
    "worker-2": ["10.244.2.5:80"],
    // Neither a node nor a zone hint for worker-3: every ready endpoint.
    "worker-3": ALL,
  });
  const cp = { ip: "10.244.0.5", node: "control-plane", zones: ["zone-a"], nodes: ["control-plane"] };
  const r = perNode(state([A1, B1, cp]));
  assert.deepEqual(r["control-plane"], ["10.244.0.5:80"]);
  assert.deepEqual(r["worker-1"], ["10.244.1.5:80"]);
});

test("node hints alone: a node without an endpoint of its own takes every ready one", () => {
  const bare = (e: T.EpSpec) => ({ ip: e.ip, node: e.node, nodes: e.nodes });
  const r = perNode(state([bare(A1), bare(B1)]));
  assert.deepEqual(r["worker-1"], ["10.244.1.5:80"]);
  assert.deepEqual(r["control-plane"], ["10.244.1.5:80", "10.244.2.5:80"]);
});

test("one ready endpoint without a node hint: node hints are not used, zone hints still are", () => {
  const { nodes: _, ...zoneOnly } = B1;
  const r = perNode(state([A1, zoneOnly]));
  assert.deepEqual(r["worker-1"], ["10.244.1.5:80"]);
  assert.deepEqual(r["worker-2"], ["10.244.2.5:80"]);
  const [sp] = servicePorts(state([A1, zoneOnly]));
  assert.equal(sp.nodeHinted, false);
  assert.equal(sp.zoneHinted, true);
});

test("an unready endpoint hinted for the node is not used: the node falls back to its zone", () => {
  const down = { ...A2, ip: "10.244.3.5", node: "worker-3", zones: ["zone-c"], nodes: ["worker-3"], ready: false };
  const r = perNode(state([A1, B1, down]));
  assert.deepEqual(r["worker-3"], ["10.244.1.5:80", "10.244.2.5:80"]);
});

test("internalTrafficPolicy Local: no topology (the node's own endpoints)", () => {
  const [sp] = servicePorts(state([A1, B1], { internalTrafficPolicy: "Local" }));
  assert.equal(sp.nodeHinted, false);
  assert.equal(sp.hinted, false);
});

const svcChain = "KUBE-SVC-" + portProtoHash("default/web", "tcp");
const sep = (ep: string) => sepChainName("default/web", "tcp", ep);

test("iptables: each node's KUBE-SVC chain holds its own endpoints; the others' KUBE-SEP chains are not there", () => {
  const st = state([A1, A2, B1]);
  const shared = iptablesMode.shared(st);
  const text = (node: string) =>
    renderIptables(
      proxyLayers(shared, iptablesMode.perNode(st, st.nodes.find((n) => n.name === node)!, shared)).iptables,
    );
  const svcRules = (t: string) => t.split("\n").filter((l) => l.startsWith(`-A ${svcChain} `));
  const w2 = text("worker-2");
  assert.deepEqual(svcRules(w2), [
    `-A ${svcChain} -m comment --comment "default/web cluster IP" -m tcp -p tcp -d 10.96.0.40/32 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`,
    `-A ${svcChain} -m comment --comment "default/web -> 10.244.2.5:80" -j ${sep("10.244.2.5:80")}`,
  ]);
  assert.equal(w2.split("\n").filter((l) => l === `:${svcChain} - [0:0]`).length, 1, "one KUBE-SVC chain");
  assert.ok(!w2.includes(sep("10.244.1.5:80")));
  const w1 = text("worker-1");
  assert.equal(svcRules(w1).length, 3);
  assert.ok(!w1.includes(sep("10.244.2.5:80")));
  // worker-3: no hint for it or its zone: all three.
  assert.equal(svcRules(text("worker-3")).length, 4);
});

test("nftables: each node's service chain maps to its own endpoint chains", () => {
  const st = state([A1, A2, B1]);
  const shared = nftablesMode.shared(st);
  const text = (node: string) =>
    renderNft(proxyLayers(shared, nftablesMode.perNode(st, st.nodes.find((n) => n.name === node)!, shared)).nftables);
  const w2 = text("worker-2");
  assert.match(w2, /numgen random mod 1 vmap \{ 0 : goto endpoint-\w{8}-default\/web\/tcp\/__10\.244\.2\.5\/80 \}/);
  assert.ok(!w2.includes("__10.244.1.5/80"));
  assert.match(text("worker-1"), /numgen random mod 2 vmap/);
});

test("ipvs: the cluster IP's real servers are the node's own", () => {
  const st = state([A1, A2, B1]);
  const shared = ipvsMode.shared(st);
  const servers = (node: string) =>
    ipvsMode
      .perNode(st, st.nodes.find((x) => x.name === node)!, shared)
      .ipvs!.filter((v) => v.address === "10.96.0.40")
      .map((v) => v.reals.map((r) => `${r.address}:${r.port}`).sort());
  assert.deepEqual(servers("worker-2"), [["10.244.2.5:80"]]);
  assert.deepEqual(servers("worker-1"), [["10.244.1.5:80", "10.244.1.6:80"]]);
  assert.deepEqual(servers("worker-3"), [ALL]);
});
