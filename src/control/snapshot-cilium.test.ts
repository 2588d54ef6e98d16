// A live Cilium cluster's dump as input: the settings are read from cilium-config as the
// Helm chart renders it, and each node's range from its pods, since Cilium's cluster-pool
// IPAM keeps the ranges in CiliumNodes (not in the dump) and ignores the Nodes' podCIDRs.
// Expected values come from Cilium's documentation and the dumps' own facts
// (examples/snapshots/cilium-*.yaml, written after kubectl's and Cilium's documented output):
//   https://docs.cilium.io/en/stable/network/concepts/ipam/cluster-pool/ (default pool
//     10.0.0.0/8, a /24 per node, the Node's podCIDR not used)
//   https://docs.cilium.io/en/stable/network/concepts/routing/ (routing-mode tunnel, vxlan by
//     default, geneve by tunnel-protocol; UDP 8472 and 6081)
//   https://docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/ (kubeProxyReplacement
//     true, kube-proxy not installed: kubeadm init --skip-phases=addon/kube-proxy)
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { loadCluster } from "../load/cluster.js";
import { packageRoot } from "../load/input.js";
import { parseSpec } from "../manifest/parse.js";
import { diagnose } from "../questions/diagnose.js";
import { modelSession } from "../questions/trace.js";
import type { TracePath } from "../sim/trace.js";
import type { ClusterState } from "./state.js";

const snap = (f: string) => join(packageRoot(), "examples", "snapshots", f);
const load = async (f: string) => loadCluster({ files: [snap(f)] });
const steps = (p: TracePath) => p.hops.flatMap((h) => h.steps);
/** `ns/name` of the first pod (by name) of a Deployment. */
const podOf = (s: ClusterState, ns: string, deploy: string) => {
  const p = s.pods
    .filter((x) => x.namespace === ns && x.workload?.name === deploy)
    .sort((a, b) => (a.name < b.name ? -1 : 1))[0];
  return `${p.namespace}/${p.name}`;
};

test("Cilium on kind, Helm defaults: the pool from cilium-config, each node's /24 from its pods", async () => {
  const { spec, state: s } = await load("cilium-kind.yaml");
  const by = new Map(spec.inferred!.map((x) => [x.setting, x]));
  assert.equal(by.get("networking.cni")!.value, "cilium");
  assert.equal(by.get("networking.backend")!.value, "vxlan");
  assert.match(by.get("networking.backend")!.from, /cilium-config routing-mode: tunnel, tunnel-protocol: vxlan/);
  assert.equal(by.get("networking.ciliumIPAM")!.value, "cluster-pool");
  // Not the controller-manager's --cluster-cidr (10.244.0.0/16, kind's), which Cilium does not use.
  assert.equal(by.get("networking.podSubnet")!.value, "10.0.0.0/8");
  assert.match(by.get("networking.podSubnet")!.from, /ConfigMap kube-system\/cilium-config cluster-pool-ipv4-cidr/);
  assert.equal(by.get("networking.nodeCIDRMaskSize")!.value, "24");
  assert.match(by.get("networking.nodeCIDRMaskSize")!.from, /cluster-pool-ipv4-mask-size/);
  // kube-proxy-replacement "false" (the chart's default): kube-proxy's own ConfigMap decides.
  assert.equal(by.get("networking.kubeProxyMode")!.value, "iptables");
  assert.match(by.get("networking.kubeProxyMode")!.from, /ConfigMap kube-system\/kube-proxy/);
  assert.ok(by.get("networking.podSubnet")!.file?.endsWith("cilium-kind.yaml"));
  // The Nodes say 10.244.x.0/24 (kind's range allocator); the pods lie in the pool's /24s.
  assert.deepEqual(
    s.nodes.map((n) => [n.name, n.podCIDR]),
    [
      ["kind-control-plane", "10.0.0.0/24"],
      ["kind-worker", "10.0.1.0/24"],
      ["kind-worker2", "10.0.2.0/24"],
    ],
  );
  // Every pod is the dump's: the agents (hostNetwork), cilium-envoy, the operator, kube-proxy, CoreDNS.
  assert.ok(s.pods.every((p) => p.observed && !p.system));
  assert.equal(s.pods.length, 21);
  const agents = s.pods.filter((p) => p.workload?.name === "cilium" || p.workload?.name === "cilium-envoy");
  assert.equal(agents.length, 6);
  assert.ok(agents.every((p) => p.spec.hostNetwork && p.podIP === s.nodes.find((n) => n.name === p.nodeName)!.address));
  assert.deepEqual(s.warnings, []);
  assert.deepEqual(spec.warnings, []);
});

test("Cilium with kube-proxy replacement and Geneve: no kube-proxy, ranges in the operator's order", async () => {
  const { spec, state: s } = await load("cilium-kubeadm-kpr.yaml");
  const by = new Map(spec.inferred!.map((x) => [x.setting, x]));
  assert.equal(by.get("networking.backend")!.value, "geneve");
  assert.equal(by.get("networking.kubeProxyMode")!.value, "none");
  assert.match(by.get("networking.kubeProxyMode")!.from, /cilium-config kube-proxy-replacement: "true"/);
  assert.equal(by.get("networking.podSubnet")!.value, "10.0.0.0/8");
  // The Nodes have no podCIDR (kubeadm init without --pod-network-cidr): the operator gave
  // k8s-worker-2 the second /24 and k8s-worker-1 the third, as their pods show.
  assert.deepEqual(
    s.nodes.map((n) => [n.name, n.podCIDR]),
    [
      ["k8s-cp-1", "10.0.0.0/24"],
      ["k8s-worker-1", "10.0.2.0/24"],
      ["k8s-worker-2", "10.0.1.0/24"],
    ],
  );
  // Nothing runs kube-proxy on this cluster, and podnet adds none.
  assert.ok(!s.pods.some((p) => p.name.startsWith("kube-proxy")));
  assert.ok(s.pods.every((p) => p.observed));
  // The tunnel device is cilium_geneve on every node.
  const ir = modelSession(s).ir;
  for (const n of ir.nodes)
    assert.ok(
      n.ns.links.some((l) => l.name === "cilium_geneve"),
      n.name,
    );
});

test("Cilium dumps: pod to Service across nodes is delivered where the NetworkPolicy allows it", async () => {
  for (const [file, tunnel] of [
    ["cilium-kind.yaml", /cilium_vxlan .*:8472,/],
    ["cilium-kubeadm-kpr.yaml", /cilium_geneve .*:6081,/],
  ] as const) {
    const { state } = await load(file);
    const session = modelSession(state);
    // shop/api-allow-frontend admits the frontend's pods on TCP 8080.
    const frontend = podOf(state, "shop", "frontend");
    const r = session.trace({ from: frontend, to: "svc/shop/api", port: 8080 });
    assert.equal(r.paths.length, 2, file);
    for (const p of r.paths) assert.equal(p.disposition.verdict, "DELIVERED", `${file}: ${p.disposition.detail}`);
    const across = r.paths.filter((p) => steps(p).some((x) => x.action === "ENCAPSULATED"));
    assert.equal(across.length, 1, file);
    assert.match(steps(across[0]).find((x) => x.action === "ENCAPSULATED")!.detail, tunnel);
    // Anyone else is denied by the same policy.
    const other = session.trace({ from: podOf(state, "kube-system", "coredns"), to: "svc/shop/api", port: 8080 });
    assert.ok(other.paths.length > 0, file);
    for (const p of other.paths) assert.equal(p.disposition.verdict, "DROPPED", file);
    // diagnose names the same-node path as Cilium takes it: no bridge.
    const d = diagnose(session, { from: frontend, to: "svc/shop/api", port: 8080 });
    const route = d.checks.find((c) => c.code === "path.route")!;
    assert.match(route.evidence, /same node \S+ \(veth, eBPF\)/, file);
    assert.doesNotMatch(route.evidence, /bridge/, file);
  }
});

/** A Cilium dump's settings by name, and its warnings, for a cilium-config with `data`. */
function inferred(data: Record<string, string>, extra = "") {
  const cm = Object.entries(data)
    .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)
    .join("\n");
  const text = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: n1}
  spec: {podCIDR: 10.244.1.0/24}
  status: {addresses: [{type: InternalIP, address: 192.168.5.11}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: web, namespace: default}
  spec: {nodeName: n1, containers: [{name: c, image: nginx}]}
  status: {phase: Running, podIP: 10.8.3.7, hostIP: 192.168.5.11}
- apiVersion: apps/v1
  kind: DaemonSet
  metadata: {name: cilium, namespace: kube-system}
  spec:
    selector: {matchLabels: {k8s-app: cilium}}
    template: {metadata: {labels: {k8s-app: cilium}}, spec: {hostNetwork: true, containers: [{name: cilium-agent, image: quay.io/cilium/cilium:v1.16.1}]}}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: cilium-config, namespace: kube-system}
  data:
${cm}
${extra}`;
  const spec = parseSpec([{ file: "cilium.yaml", text }], undefined, "tolerant");
  return {
    by: new Map(spec.inferred!.map((x) => [x.setting, x.value])),
    from: new Map(spec.inferred!.map((x) => [x.setting, x.from])),
    texts: spec.warnings.map((w) => w.message),
  };
}

const KUBE_PROXY = `- apiVersion: v1
  kind: ConfigMap
  metadata: {name: kube-proxy, namespace: kube-system}
  data:
    config.conf: "mode: ipvs\\n"
`;

test("cilium-config: routing mode and tunnel protocol, the ≥ 1.14 keys and the older `tunnel`", () => {
  const backend = (data: Record<string, string>) => inferred(data).by.get("networking.backend");
  assert.equal(backend({ "routing-mode": "tunnel", "tunnel-protocol": "geneve" }), "geneve");
  assert.equal(backend({ "routing-mode": "tunnel" }), "vxlan"); // tunnel-protocol defaults to vxlan
  assert.equal(backend({ "routing-mode": "native", "tunnel-protocol": "vxlan" }), "native");
  assert.equal(backend({ tunnel: "geneve" }), "geneve");
  assert.equal(backend({ tunnel: "vxlan" }), "vxlan");
  assert.equal(backend({ tunnel: "disabled" }), "native");
  // A protocol podnet does not model is not taken: the default, and the row says so.
  const odd = inferred({ "routing-mode": "tunnel", "tunnel-protocol": "gre" });
  assert.equal(odd.by.get("networking.backend"), "vxlan");
  assert.equal(odd.from.get("networking.backend"), "default");
});

test("cilium-config: kube-proxy replacement decides kubeProxyMode; a kube-proxy beside it is noted", () => {
  const mode = (v: string | undefined, extra = "") =>
    inferred(v === undefined ? {} : { "kube-proxy-replacement": v }, extra);
  assert.equal(mode("true").by.get("networking.kubeProxyMode"), "none");
  assert.equal(mode("strict").by.get("networking.kubeProxyMode"), "none"); // before 1.14
  // "false" (the chart's default) and the older partial modes leave Services to kube-proxy.
  for (const v of ["false", "partial", "disabled", undefined])
    assert.equal(mode(v, KUBE_PROXY).by.get("networking.kubeProxyMode"), "ipvs", String(v));
  const both = mode("true", KUBE_PROXY);
  assert.equal(both.by.get("networking.kubeProxyMode"), "none");
  assert.ok(
    both.texts.some((t) => /kube-proxy's configuration is in the dump, but .*kube-proxy-replacement: "true"/.test(t)),
    both.texts.join("\n"),
  );
});

test("cilium-config: cluster-pool gives the pod subnet and mask; kubernetes IPAM keeps the Nodes' podCIDRs", async () => {
  const pool = inferred({
    ipam: "cluster-pool",
    "cluster-pool-ipv4-cidr": "10.8.0.0/16 10.9.0.0/16",
    "cluster-pool-ipv4-mask-size": "25",
  });
  assert.equal(pool.by.get("networking.podSubnet"), "10.8.0.0/16"); // the chart joins the list with spaces
  assert.equal(pool.by.get("networking.nodeCIDRMaskSize"), "25");
  assert.equal(pool.by.get("networking.ciliumIPAM"), "cluster-pool");
  // No ipam key: the agent's default, cluster-pool.
  assert.equal(inferred({ "cluster-pool-ipv4-cidr": "10.8.0.0/16" }).by.get("networking.ciliumIPAM"), "cluster-pool");
  const k8s = inferred({ ipam: "kubernetes" });
  assert.equal(k8s.by.get("networking.ciliumIPAM"), "kubernetes");
  assert.equal(k8s.by.get("networking.nodeCIDRMaskSize"), "24"); // the Node's podCIDR
  const multi = inferred({ ipam: "multi-pool" });
  assert.equal(multi.by.get("networking.ciliumIPAM"), "kubernetes");
  assert.ok(multi.texts.some((t) => /IPAM mode multi-pool is not one podnet models/.test(t)));
});

test("networking.ciliumIPAM in a cluster config: cluster-pool ranges come from the pods, not the Node", async () => {
  const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "podnet-cilium-"));
  try {
    writeFileSync(
      join(dir, "dump.yaml"),
      `apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Node, metadata: {name: n1}, spec: {podCIDR: 10.244.1.0/24}, status: {addresses: [{type: InternalIP, address: 192.168.5.11}]}}
- {apiVersion: v1, kind: Node, metadata: {name: n2}, status: {addresses: [{type: InternalIP, address: 192.168.5.12}]}}
- apiVersion: v1
  kind: Pod
  metadata: {name: web, namespace: default}
  spec: {nodeName: n1, containers: [{name: c, image: nginx}]}
  status: {phase: Running, podIP: 10.0.7.9, hostIP: 192.168.5.11}
`,
    );
    const config = (ipam: string, svc = "") => {
      const f = join(dir, `${ipam}${svc ? "-svc" : ""}.yaml`);
      writeFileSync(
        f,
        `apiVersion: podnet.dev/v1alpha1\nkind: Cluster\nname: c\nnetworking: {cni: cilium, podSubnet: 10.0.0.0/8, nodeSubnet: 192.168.5.0/24, ciliumIPAM: ${ipam}${svc}}\n`,
      );
      return f;
    };
    const ranges = async (ipam: string, svc = "") =>
      (
        await loadCluster({ files: [join(dir, "dump.yaml")], config: config(ipam, svc), mode: "tolerant" })
      ).state.nodes.map((n) => [n.name, n.podCIDR]);
    // n2 has neither a podCIDR nor pods: the first free /24 of the pool, as the operator hands out.
    assert.deepEqual(await ranges("cluster-pool"), [
      ["n1", "10.0.7.0/24"],
      ["n2", "10.0.0.0/24"],
    ]);
    // The pool overlaps the default Service range (10.96.0.0/12), as Cilium's default does
    // kubeadm's: accepted with cluster-pool; refused otherwise, as for any pod subnet.
    await assert.rejects(
      loadCluster({ files: [join(dir, "dump.yaml")], config: config("kubernetes") }),
      /networking\.podSubnet: "10\.0\.0\.0\/8" overlaps networking\.serviceSubnet 10\.96\.0\.0\/12/,
    );
    const k8s = await ranges("kubernetes", ", serviceSubnet: 172.20.0.0/16");
    assert.deepEqual(k8s[0], ["n1", "10.244.1.0/24"]);
    await assert.rejects(
      loadCluster({ files: [join(dir, "dump.yaml")], config: config("crd") }),
      /networking\.ciliumIPAM.*must be one of kubernetes, cluster-pool/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
