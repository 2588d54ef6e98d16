// A live cluster's dump as input (issue 15 §1): what the cluster holds is kept as observed;
// podnet computes only what the dump lacks. Expected values are the dumps' own facts
// (examples/snapshots/*, written after kubectl's documented output), not podnet's output.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadCluster } from "../load/cluster.js";
import { packageRoot } from "../load/input.js";
import { parseSpec } from "../manifest/parse.js";
import { modelSession } from "../questions/trace.js";
import { serviceObject } from "../views/objects.js";
import { applyObjects, deleteObject, scale } from "./changes.js";
import type { ClusterState } from "./state.js";

const snap = (f: string) => join(packageRoot(), "examples", "snapshots", f);
const load = async (f: string, config?: string) => (await loadCluster({ files: [snap(f)], config })).state;
const pod = (s: ClusterState, ns: string, name: string) => s.pods.find((p) => p.namespace === ns && p.name === name);

test("kind + flannel dump: pods, nodes, slices and ReplicaSets as the cluster holds them", async () => {
  const s = await load("kind-flannel.yaml");
  assert.deepEqual(
    s.nodes.map((n) => [n.name, n.address, n.podCIDR, n.role]),
    [
      ["kind-control-plane", "172.18.0.2", "10.244.0.0/24", "control-plane"],
      ["kind-worker", "172.18.0.3", "10.244.1.0/24", "worker"],
      ["kind-worker2", "172.18.0.4", "10.244.2.0/24", "worker"],
    ],
  );
  const web = s.pods.filter((p) => p.namespace === "default").map((p) => [p.name, p.nodeName, p.podIP, p.phase]);
  assert.deepEqual(web.sort(), [
    ["web-7d77fb55cc-4xk2p", "kind-worker", "10.244.1.2", "Running"],
    ["web-7d77fb55cc-9mzqn", "kind-worker2", "10.244.2.2", "Running"],
    ["web-7d77fb55cc-tqw8b", "kind-worker", "10.244.1.3", "Running"],
  ]);
  const p = pod(s, "default", "web-7d77fb55cc-4xk2p")!;
  assert.equal(p.observed, true);
  assert.deepEqual(p.owner, { kind: "ReplicaSet", name: "web-7d77fb55cc", apiVersion: "apps/v1" });
  assert.deepEqual(p.workload, { kind: "Deployment", namespace: "default", name: "web" });
  // Every pod is one the dump lists: CoreDNS, kube-proxy and flannel are given, none added.
  assert.ok(s.pods.every((x) => x.observed && !x.system));
  assert.equal(s.pods.length, 15);
  // The static pods are owned by their Node (kubelet's mirror pods).
  assert.deepEqual(pod(s, "kube-system", "etcd-kind-control-plane")!.owner?.kind, "Node");
  const slice = s.endpointSlices.find((e) => e.serviceName === "web")!;
  assert.equal(slice.name, "web-x8n2k");
  assert.deepEqual(slice.endpoints.map((e) => e.addresses[0]).sort(), ["10.244.1.2", "10.244.1.3", "10.244.2.2"]);
  assert.deepEqual(
    s.services.map((x) => [x.name, x.clusterIP]),
    [
      ["kubernetes", "10.96.0.1"],
      ["kube-dns", "10.96.0.10"],
      ["web", "10.106.41.203"],
    ].filter(([n]) => s.services.some((y) => y.name === n)),
  );
  assert.ok(
    s.replicaSets?.some(
      (r) => r.name === "web-7d77fb55cc" && r.deployment === "web" && r.podTemplateHash === "7d77fb55cc",
    ),
  );
  assert.deepEqual(s.warnings, []);
});

test("kind + flannel dump: cluster settings read from the objects that show them", async () => {
  const { spec } = await loadCluster({ files: [snap("kind-flannel.yaml")] });
  const by = new Map(spec.inferred!.map((x) => [x.setting, x]));
  assert.equal(by.get("networking.podSubnet")!.value, "10.244.0.0/16");
  assert.match(by.get("networking.podSubnet")!.from, /kube-controller-manager-kind-control-plane --cluster-cidr/);
  assert.equal(by.get("networking.serviceSubnet")!.value, "10.96.0.0/12");
  assert.match(by.get("networking.serviceSubnet")!.from, /--service-cluster-ip-range/);
  assert.equal(by.get("networking.cni")!.value, "flannel");
  assert.equal(by.get("networking.backend")!.value, "vxlan");
  assert.match(by.get("networking.backend")!.from, /kube-flannel-cfg net-conf.json Backend.Type/);
  assert.equal(by.get("networking.dnsDomain")!.value, "cluster.local");
  assert.equal(by.get("networking.kubeProxyMode")!.value, "iptables");
  assert.equal(by.get("networking.nodeSubnet")!.value, "172.18.0.0/24");
  assert.equal(by.get("name")!.value, "kind");
  assert.ok(by.get("networking.podSubnet")!.file?.endsWith("kind-flannel.yaml"));
  assert.equal(typeof by.get("networking.podSubnet")!.line, "number");
});

test("kube-proxy's masqueradeAll and clusterCIDR read from its ConfigMap (nftables mode: nftables.masqueradeAll)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-snap-"));
  try {
    const text = readFileSync(snap("kind-flannel.yaml"), "utf8");
    const at = text.indexOf("      iptables:\n        localhostNodePorts: null\n        masqueradeAll: false\n");
    assert.ok(at > 0, "kind's kube-proxy ConfigMap");
    const edit = (f: string, t: string) => {
      writeFileSync(join(dir, f), t);
      return join(dir, f);
    };
    const on = edit("on.yaml", text.replace("        masqueradeAll: false\n", "        masqueradeAll: true\n"));
    const a = await loadCluster({ files: [on] });
    assert.equal(a.state.config.networking.masqueradeAll, true);
    const setting = a.spec.inferred!.find((x) => x.setting === "networking.masqueradeAll")!;
    assert.match(setting.from, /ConfigMap kube-system\/kube-proxy config.conf iptables.masqueradeAll/);
    // nftables mode reads the nftables section, which kind's ConfigMap does not hold: false.
    const nft = edit(
      "nft.yaml",
      text
        .replace("        masqueradeAll: false\n", "        masqueradeAll: true\n")
        .replace("      mode: iptables\n", "      mode: nftables\n"),
    );
    const b = await loadCluster({ files: [nft] });
    assert.equal(b.state.config.networking.kubeProxyMode, "nftables");
    assert.equal(b.state.config.networking.masqueradeAll, false);
    assert.equal(b.spec.inferred!.find((x) => x.setting === "networking.masqueradeAll")!.from, "default");
    // clusterCIDR: kind's 10.244.0.0/16 is the pod range (kept unset); empty: no local detector.
    assert.equal(a.state.config.networking.kubeProxyClusterCIDR, undefined);
    const none = edit("none.yaml", text.replace("      clusterCIDR: 10.244.0.0/16\n", '      clusterCIDR: ""\n'));
    const n = await loadCluster({ files: [none] });
    assert.equal(n.state.config.networking.kubeProxyClusterCIDR, "");
    assert.match(
      n.spec.inferred!.find((x) => x.setting === "networking.kubeProxyClusterCIDR")!.from,
      /config.conf clusterCIDR: "" \(no local detector\)/,
    );
    // detectLocalMode other than ClusterCIDR: podnet says it models ClusterCIDR.
    const node = edit("node.yaml", text.replace('      detectLocalMode: ""\n', "      detectLocalMode: NodeCIDR\n"));
    const c = await loadCluster({ files: [node] });
    assert.ok(
      c.spec.warnings.some((w) =>
        /detectLocalMode is NodeCIDR \(config.conf detectLocalMode\); podnet models ClusterCIDR/.test(w.message),
      ),
      c.spec.warnings.map((w) => w.message).join("\n"),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("Calico dump: pod IPs from the /26 blocks, not the Nodes' podCIDRs; pool and kube-proxy mode read", async () => {
  const { spec, state: s } = await loadCluster({ files: [snap("calico-ippools.yaml")] });
  assert.equal(s.config.networking.cni, "calico");
  assert.equal(s.config.networking.backend, "ipip");
  assert.equal(s.config.networking.kubeProxyMode, "ipvs");
  assert.equal(s.config.networking.calicoBlockSize, 26);
  assert.equal(s.config.networking.podSubnet, "192.168.0.0/16");
  assert.ok(
    spec.inferred!.some((x) => x.setting === "networking.backend" && /IPPool default-ipv4-ippool/.test(x.from)),
  );
  assert.deepEqual(
    s.nodes.map((n) => [n.name, n.address, n.blocks, n.tunnelAddress]),
    [
      ["k8s-cp-1", "10.0.0.10", ["192.168.34.128/26"], "192.168.34.128"],
      ["k8s-worker-1", "10.0.0.11", ["192.168.171.64/26"], "192.168.171.64"],
      ["k8s-worker-2", "10.0.0.12", ["192.168.226.64/26"], "192.168.226.64"],
    ],
  );
  assert.equal(pod(s, "shop", "db-0")!.podIP, "192.168.226.67");
  assert.equal(pod(s, "shop", "frontend-5c9f7d8b6-hk4zr")!.podIP, "192.168.171.65");
  // calico-node, not a flannel DaemonSet, is the CNI agent; no kind-* nodes appear.
  assert.ok(!s.pods.some((p) => p.name.startsWith("kube-flannel")));
  assert.ok(!s.nodes.some((n) => n.name.startsWith("kind-")));
});

test("Pods-only dump: nodes implied from the pods, with one warning; pending and finished pods as observed", async () => {
  const { spec, state: s } = await loadCluster({ files: [snap("no-nodes/pods.yaml")] });
  // The pods' namespaces exist on the cluster they were read from: no "not declared" warnings.
  assert.deepEqual(spec.warnings, []);
  assert.deepEqual(
    s.nodes.map((n) => [n.name, n.address, n.podCIDR, n.implied]),
    [
      ["worker-a", "192.168.56.11", "10.244.1.0/24", true],
      ["worker-b", "192.168.56.12", "10.244.2.0/24", true],
    ],
  );
  assert.equal(s.warnings.filter((w) => /worker-a, worker-b: named by pods/.test(w)).length, 1);
  const pending = pod(s, "shop", "cart-5f6d7c8b9-w2hbn")!;
  assert.deepEqual(
    [pending.phase, pending.nodeName, pending.podIP, pending.reason],
    ["Pending", null, null, "Unschedulable"],
  );
  assert.match(pending.message ?? "", /^0\/2 nodes are available: 2 Insufficient cpu\./);
  const done = pod(s, "batch", "report-28612340-x7k2d")!;
  assert.deepEqual([done.phase, done.nodeName, done.podIP], ["Succeeded", "worker-a", null]);
  const exporter = pod(s, "monitoring", "node-exporter-8fj2q")!;
  assert.equal(exporter.podIP, "192.168.56.12");
  assert.deepEqual(exporter.owner?.kind, "DaemonSet");
  // What the dump lacks and every cluster has (kube-proxy, CoreDNS, the CNI agent) is added, marked.
  assert.ok(s.pods.some((p) => p.system && p.name.startsWith("kube-proxy-")));
  assert.ok(s.pods.filter((p) => !p.system).every((p) => p.observed));
});

test("applying manifests on top of a dump: the existing pods keep their names, nodes and IPs", async () => {
  const before = await load("kind-flannel.yaml");
  const spec = parseSpec([
    {
      file: "new.yaml",
      text: `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: nginx, ports: [{containerPort: 80}]}]}
`,
    },
  ]);
  const { state: after } = applyObjects(before, spec.objects);
  for (const p of before.pods) {
    const q = pod(after, p.namespace, p.name);
    assert.ok(q, `${p.namespace}/${p.name} kept`);
    assert.deepEqual([q.nodeName, q.podIP], [p.nodeName, p.podIP]);
  }
  const api = after.pods.filter((p) => p.name.startsWith("api-"));
  assert.equal(api.length, 2);
  const taken = new Set(before.pods.filter((p) => !p.spec.hostNetwork).map((p) => p.podIP));
  for (const p of api) {
    assert.ok(p.podIP && !taken.has(p.podIP), `new pod ${p.name} got a free address (${p.podIP})`);
    assert.ok(["kind-worker", "kind-worker2"].includes(p.nodeName!));
  }
});

test("a cluster config over a dump overrides the settings; its default nodes give way to the dump's", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-snap-"));
  try {
    const cfg = join(dir, "cluster.yaml");
    writeFileSync(
      cfg,
      "apiVersion: podnet.dev/v1alpha1\nkind: Cluster\nname: kind\nnetworking:\n  kubeProxyMode: nftables\n",
    );
    const { state: s, spec } = await loadCluster({ files: [snap("kind-flannel.yaml")], config: cfg });
    assert.equal(spec.inferred, undefined);
    assert.equal(s.config.networking.kubeProxyMode, "nftables");
    // kind's defaults would put the three nodes at 192.168.1.2-4: the dump's addresses win.
    assert.deepEqual(
      s.nodes.map((n) => [n.name, n.address]),
      [
        ["kind-control-plane", "172.18.0.2"],
        ["kind-worker", "172.18.0.3"],
        ["kind-worker2", "172.18.0.4"],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("scaling a dump's Deployment: new pods under its ReplicaSet, or the observed ones removed; delete → replacement", async () => {
  const s = await load("kind-flannel.yaml");
  const web = (st: ClusterState) => st.pods.filter((p) => p.namespace === "default" && p.name.startsWith("web-"));
  const observed = web(s).map((p) => p.name);

  const up = scale(s, "Deployment", "default", "web", 5).state;
  assert.equal(web(up).length, 5);
  for (const n of observed) assert.ok(pod(up, "default", n)?.observed, `${n} kept as observed`);
  for (const p of web(up).filter((x) => !x.observed)) {
    // The ReplicaSet controller names pods <rs>-<5 chars> and labels them with the hash.
    assert.match(p.name, /^web-7d77fb55cc-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(p.owner, { kind: "ReplicaSet", name: "web-7d77fb55cc" });
    assert.equal(p.labels["pod-template-hash"], "7d77fb55cc");
    assert.equal(p.phase, "Running");
  }
  assert.ok(up.events.some((e) => e.reason === "ScalingReplicaSet" && /web-7d77fb55cc to 5 from 3/.test(e.message)));

  const down = scale(s, "Deployment", "default", "web", 1).state;
  assert.equal(web(down).length, 1);
  assert.equal((down.objects ?? []).filter((o) => o.kind === "Pod" && o.metadata.name.startsWith("web-")).length, 1);
  // ...and a later unrelated change does not bring the removed ones back.
  const again = applyObjects(down, []).state;
  assert.equal(web(again).length, 1);

  const del = deleteObject(s, "Pod", "default", "web-7d77fb55cc-4xk2p").state;
  assert.equal(pod(del, "default", "web-7d77fb55cc-4xk2p"), undefined);
  assert.equal(web(del).length, 3);
  assert.equal(web(del).filter((p) => !p.observed).length, 1);
});

test("settings a dump shows but podnet cannot use are not taken (a /64 node mask, a /40 Calico block)", async () => {
  const text = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: kube-controller-manager-cp, namespace: kube-system}
  spec:
    nodeName: cp
    hostNetwork: true
    containers: [{name: c, image: x, command: [kube-controller-manager, --cluster-cidr=10.244.0.0/16, --node-cidr-mask-size=64]}]
  status: {phase: Running, podIP: 10.0.0.5, hostIP: 10.0.0.5}
- apiVersion: crd.projectcalico.org/v1
  kind: IPPool
  metadata: {name: p}
  spec: {cidr: 10.244.0.0/16, blockSize: 40, ipipMode: Always}
- apiVersion: apps/v1
  kind: DaemonSet
  metadata: {name: calico-node, namespace: kube-system}
  spec:
    selector: {matchLabels: {a: b}}
    template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: calico/node}]}}
`;
  const spec = parseSpec([{ file: "dump.yaml", text }], undefined, "tolerant");
  const by = new Map(spec.inferred!.map((x) => [x.setting, x]));
  assert.deepEqual(
    [by.get("networking.cni")!.value, by.get("networking.podSubnet")!.value],
    ["calico", "10.244.0.0/16"],
  );
  // Calico's IPv4 block sizes are 20-32; a node mask is longer than the cluster CIDR's and usable.
  assert.deepEqual(
    [by.get("networking.calicoBlockSize")!.value, by.get("networking.calicoBlockSize")!.from],
    ["26", "default"],
  );
  assert.deepEqual(
    [by.get("networking.nodeCIDRMaskSize")!.value, by.get("networking.nodeCIDRMaskSize")!.from],
    ["24", "default"],
  );
});

// A dual-stack cluster (https://kubernetes.io/docs/concepts/services-networking/dual-stack/):
// one address per family in podIPs, podCIDRs and a Service's clusterIPs (the primary family
// first, equal to clusterIP), ranges comma-joined in the control plane's flags. podnet models
// the IPv4 family: the IPv6 entries are noted, not errors.
function dualStack(primaryV6: boolean): string {
  let y = readFileSync(snap("kind-flannel.yaml"), "utf8");
  const v4 = "    clusterIP: 10.106.41.203\n    clusterIPs:\n    - 10.106.41.203\n";
  const v6 = "fd00:10:96::a1b2";
  assert.ok(y.includes(v4));
  y = y.replace(
    v4,
    primaryV6 ? `    clusterIP: ${v6}\n    clusterIPs:\n    - ${v6}\n    - 10.106.41.203\n` : `${v4}    - ${v6}\n`,
  );
  y = y.replace(
    "    podIPs:\n    - ip: 10.244.1.2\n",
    "    podIPs:\n    - ip: 10.244.1.2\n    - ip: fd00:10:244:1::2\n",
  );
  y = y.replace("--service-cluster-ip-range=10.96.0.0/12", "--service-cluster-ip-range=fd00:10:96::/112,10.96.0.0/12");
  y = y.replace("--cluster-cidr=10.244.0.0/16", "--cluster-cidr=fd00:10:244::/56,10.244.0.0/16");
  return y;
}

test("dual-stack dump: the IPv4 family is modelled, the IPv6 entries are warnings", async () => {
  for (const primaryV6 of [false, true]) {
    const dir = mkdtempSync(join(tmpdir(), "podnet-dual-"));
    try {
      writeFileSync(join(dir, "dump.yaml"), dualStack(primaryV6));
      const warnings: string[] = [];
      const { spec, state } = await loadCluster({
        files: [join(dir, "dump.yaml")],
        mode: "tolerant",
        warn: (m) => warnings.push(m),
      });
      const web = state.services.find((s) => s.name === "web")!;
      assert.equal(web.clusterIP, "10.106.41.203");
      assert.equal(pod(state, "default", "web-7d77fb55cc-4xk2p")!.podIP, "10.244.1.2");
      const by = new Map(spec.inferred!.map((x) => [x.setting, x.value]));
      assert.equal(by.get("networking.serviceSubnet"), "10.96.0.0/12");
      assert.equal(by.get("networking.podSubnet"), "10.244.0.0/16");
      // `get svc -o yaml` shows the Service as the cluster holds it: both families, its time.
      const o = serviceObject(state, web) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
      assert.deepEqual(
        o.spec.clusterIPs,
        primaryV6 ? ["fd00:10:96::a1b2", "10.106.41.203"] : ["10.106.41.203", "fd00:10:96::a1b2"],
      );
      assert.equal(o.spec.clusterIP, primaryV6 ? "fd00:10:96::a1b2" : "10.106.41.203");
      assert.equal(o.metadata.creationTimestamp, "2025-06-02T08:21:37Z");
      const field = primaryV6 ? "spec.clusterIP" : "spec.clusterIPs[1]";
      assert.ok(
        warnings.some((w) => w.includes(`${field}: "fd00:10:96::a1b2" is the IPv6 family's address`)),
        warnings.join("\n"),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test("an IPv6 single-stack Service cannot be modelled: an error naming the field", () => {
  const svc = `apiVersion: v1
kind: Service
metadata: {name: v6only}
spec:
  clusterIP: fd00:10:96::10
  clusterIPs: [fd00:10:96::10]
  ipFamilies: [IPv6]
  ports: [{port: 80}]
`;
  assert.throws(
    () => parseSpec([{ file: "v6.yaml", text: svc }], undefined, "tolerant"),
    /v6\.yaml:5 \(Service default\/v6only\) spec\.clusterIP: "fd00:10:96::10" is an IPv6 address, and the Service has no IPv4 cluster IP/,
  );
});

// What managed and dev clusters run (https://docs.aws.amazon.com/eks/latest/userguide/managing-vpc-cni.html:
// DaemonSet kube-system/aws-node, image amazon-k8s-cni; https://kind.sigs.k8s.io: DaemonSet
// kube-system/kindnet, image kindest/kindnetd): podnet says what it models instead.
function agentDump(ds: string, image: string, podIP: string): string {
  return `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: n1}
  status: {addresses: [{type: InternalIP, address: 192.168.10.5}]}
- apiVersion: v1
  kind: Node
  metadata: {name: n2}
  status: {addresses: [{type: InternalIP, address: 192.168.40.7}]}
- apiVersion: apps/v1
  kind: DaemonSet
  metadata: {name: ${ds}, namespace: kube-system}
  spec:
    selector: {matchLabels: {k8s-app: ${ds}}}
    template: {metadata: {labels: {k8s-app: ${ds}}}, spec: {hostNetwork: true, containers: [{name: c, image: ${image}}]}}
- apiVersion: v1
  kind: Pod
  metadata: {name: web, namespace: default}
  spec: {nodeName: n1, containers: [{name: c, image: nginx}]}
  status: {phase: Running, podIP: ${podIP}, hostIP: 192.168.10.5}
`;
}

/** The state loaded (tolerant, as the reading commands load) from a dump's text written to a file. */
async function loadText(file: string, text: string): Promise<ClusterState> {
  const dir = mkdtempSync(join(tmpdir(), "podnet-dump-"));
  try {
    writeFileSync(join(dir, file), text);
    return (await loadCluster({ files: [join(dir, file)], mode: "tolerant" })).state;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A Service's endpoint addresses in its EndpointSlices. */
const sliceAddresses = (s: ClusterState, ns: string, name: string) =>
  s.endpointSlices
    .filter((e) => e.namespace === ns && e.serviceName === name)
    .flatMap((e) => e.endpoints.flatMap((x) => x.addresses));

/** A dump's inferred settings by name, and its warnings' texts. */
function inferredOf(file: string, text: string): { by: Map<string, string>; texts: string[] } {
  const spec = parseSpec([{ file, text }], undefined, "tolerant");
  return {
    by: new Map(spec.inferred!.map((x) => [x.setting, x.value])),
    texts: spec.warnings.map((w) => w.message),
  };
}

test("a CNI podnet does not model is named in a warning; pods on the node network are noted", () => {
  const eks = inferredOf(
    "eks.yaml",
    agentDump("aws-node", "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.18.1", "192.168.12.34"),
  );
  assert.deepEqual([eks.by.get("networking.cni"), eks.by.get("networking.backend")], ["flannel", "vxlan"]);
  const has = (texts: string[], re: RegExp) =>
    assert.ok(
      texts.some((t) => re.test(t)),
      texts.join("\n"),
    );
  has(eks.texts, /^eks\.yaml:\d+ \(DaemonSet kube-system\/aws-node\) the Amazon VPC CNI is not a CNI podnet models/);
  has(eks.texts, /pods' addresses \(192\.168\.0\.0\/16\) overlap the nodes'/);

  const kind = inferredOf(
    "kind.yaml",
    agentDump("kindnet", "docker.io/kindest/kindnetd:v20240202-8f1494ea", "10.244.1.5"),
  );
  assert.deepEqual([kind.by.get("networking.cni"), kind.by.get("networking.backend")], ["flannel", "host-gw"]);
  has(kind.texts, /\(DaemonSet kube-system\/kindnet\) kindnet is modelled as flannel's host-gw/);
  assert.ok(!kind.texts.some((t) => /overlap/.test(t)), kind.texts.join("\n"));
});

test("kindnet or a CNI podnet does not model: no flannel agent of podnet's beside it", async () => {
  for (const [file, ds, image, podIP] of [
    ["kind.yaml", "kindnet", "docker.io/kindest/kindnetd:v20240202-8f1494ea", "10.244.1.5"],
    ["eks.yaml", "aws-node", "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.18.1", "192.168.12.34"],
  ]) {
    const state = await loadText(file, agentDump(ds, image, podIP));
    assert.equal(state.config.networking.cni, "flannel");
    const pods = state.pods.map((p) => `${p.namespace}/${p.name}`);
    assert.ok(!pods.some((n) => /flannel/.test(n)), `${file}: ${pods.join(" ")}`);
    assert.ok(
      pods.some((n) => n.startsWith(`kube-system/${ds}-`)),
      `${file}: ${pods.join(" ")}`,
    );
  }
});

// GKE runs kube-dns (https://cloud.google.com/kubernetes-engine/docs/how-to/kube-dns: pods
// labelled k8s-app=kube-dns behind Service kube-system/kube-dns) and kube-proxy as static pods
// (component=kube-proxy); Dataplane V2's agent is DaemonSet anetd, a Cilium image.
test("a dump's own cluster DNS, kube-proxy and CNI agent: podnet adds none of its own", async () => {
  const text = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: n1}
  spec: {podCIDR: 10.8.0.0/24}
  status: {addresses: [{type: InternalIP, address: 10.128.0.10}]}
- apiVersion: apps/v1
  kind: DaemonSet
  metadata: {name: anetd, namespace: kube-system}
  spec:
    selector: {matchLabels: {k8s-app: cilium}}
    template: {metadata: {labels: {k8s-app: cilium}}, spec: {hostNetwork: true, containers: [{name: cilium-agent, image: gke.gcr.io/cilium/cilium:v1.14.6-gke.1}]}}
- apiVersion: v1
  kind: Pod
  metadata: {name: kube-dns-5bfd847c64-abcde, namespace: kube-system, labels: {k8s-app: kube-dns}}
  spec:
    nodeName: n1
    containers: [{name: dnsmasq, image: gke.gcr.io/k8s-dns-dnsmasq-nanny:1.23.0, ports: [{containerPort: 53, protocol: UDP}, {containerPort: 53, protocol: TCP}]}]
  status: {phase: Running, podIP: 10.8.0.5, hostIP: 10.128.0.10, conditions: [{type: Ready, status: "True"}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: kube-proxy-n1, namespace: kube-system, labels: {component: kube-proxy, tier: node}}
  spec: {nodeName: n1, hostNetwork: true, containers: [{name: kube-proxy, image: gke.gcr.io/kube-proxy-amd64:v1.30.5-gke.1}]}
  status: {phase: Running, podIP: 10.128.0.10, hostIP: 10.128.0.10}
- apiVersion: v1
  kind: Service
  metadata: {name: kube-dns, namespace: kube-system}
  spec:
    clusterIP: 10.12.0.10
    selector: {k8s-app: kube-dns}
    ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]
`;
  const state = await loadText("gke.yaml", text);
  assert.equal(state.config.networking.cni, "cilium");
  // The given pods, and one of anetd's (a controller without its pods in the dump).
  const names = state.pods.map((p) => `${p.namespace}/${p.name}`).sort();
  assert.equal(names.length, 3, names.join(" "));
  assert.match(names[0], /^kube-system\/anetd-[a-z0-9]{5}$/);
  assert.deepEqual(names.slice(1), ["kube-system/kube-dns-5bfd847c64-abcde", "kube-system/kube-proxy-n1"]);
  assert.deepEqual(sliceAddresses(state, "kube-system", "kube-dns"), ["10.8.0.5"]);
});

// k3s runs kube-proxy and flannel inside its own process (https://docs.k3s.io/architecture);
// its Nodes say so with providerID k3s://… and k3s.io/ annotations.
test("a k3s dump: no kube-proxy or flannel pods of podnet's; Services still reach their pods", async () => {
  const text = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: k3s-server, annotations: {flannel.alpha.coreos.com/backend-type: vxlan, k3s.io/node-args: '["server"]'}}
  spec: {podCIDR: 10.42.0.0/24, providerID: "k3s://k3s-server"}
  status: {addresses: [{type: InternalIP, address: 192.168.64.2}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: web, namespace: default, labels: {app: web}}
  spec: {nodeName: k3s-server, containers: [{name: c, image: nginx, ports: [{containerPort: 80}]}]}
  status: {phase: Running, podIP: 10.42.0.7, hostIP: 192.168.64.2, conditions: [{type: Ready, status: "True"}]}
- apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: default}
  spec: {clusterIP: 10.43.152.10, selector: {app: web}, ports: [{port: 80}]}
`;
  const state = await loadText("k3s.yaml", text);
  const names = state.pods.map((p) => p.name);
  assert.ok(!names.some((n) => n.startsWith("kube-proxy-") || n.startsWith("kube-flannel-ds-")), names.join(" "));
  // k3s deploys CoreDNS as pods (none in this dump: podnet's own).
  assert.ok(
    names.some((n) => n.startsWith("coredns-")),
    names.join(" "),
  );
  // Without the kubernetes Service the range is the /16 around the cluster IPs, and kube-dns
  // its 10th address: k3s's defaults (https://docs.k3s.io/cli/server: --service-cidr
  // 10.43.0.0/16, --cluster-dns 10.43.0.10), not a /24 whose .10 is the given Service's.
  assert.equal(state.config.networking.serviceSubnet, "10.43.0.0/16");
  assert.equal(state.services.find((x) => x.name === "kube-dns")?.clusterIP, "10.43.0.10");
  assert.deepEqual(sliceAddresses(state, "default", "web"), ["10.42.0.7"]);
});

// EKS-style: pods take addresses from the nodes' own subnet (the Amazon VPC CNI). Modelled as
// flannel, the route to the other node's VTEP leads back into flannel.1: the kernel drops such
// a packet ("circular route", -ELOOP in udp_tunnel_dst_lookup); the model said so by
// recursing until the stack overflowed.
test("pods on the node network: a trace between nodes ends in a circular-route drop, not a crash", async () => {
  const pod = (name: string, node: string, host: string, ip: string) => `- apiVersion: v1
  kind: Pod
  metadata: {name: ${name}, namespace: shop, labels: {app: ${name}}}
  spec: {nodeName: ${node}, containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}
  status: {phase: Running, podIP: ${ip}, hostIP: ${host}, conditions: [{type: Ready, status: "True"}]}
`;
  const text = `apiVersion: v1
kind: List
items:
${pod("web", "ip-10-0-1-42", "10.0.1.42", "10.0.1.77")}${pod("api", "ip-10-0-3-17", "10.0.3.17", "10.0.3.201")}`;
  const state = await loadText("eks.yaml", text);
  const r = modelSession(state).trace({ from: "shop/web", to: "shop/api", port: 80 });
  assert.ok(r.paths.length > 0);
  for (const p of r.paths) {
    assert.equal(p.disposition.verdict, "DROPPED");
    assert.equal(p.disposition.reason, "FIB_LOOKUP_FAILED");
    assert.match(p.disposition.detail ?? "", /circular route to 10\.0\.3\.17: .* leaves through flannel\.1 itself/);
  }
});

test("kube-proxy run by flags, without --config (a static pod's `sh -c`): its flags are its settings", async () => {
  // cmd/kube-proxy/app/server.go Options.Complete: without --config the flags are the
  // configuration. The pod below is shaped like a static kube-proxy pod whose command line is
  // a shell script (as managed node images run it); no kube-proxy ConfigMap is in the dump.
  const dir = mkdtempSync(join(tmpdir(), "podnet-snap-"));
  try {
    const pod = (cmd: string) => `apiVersion: v1
kind: List
metadata: {resourceVersion: ""}
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: kube-proxy-node-a
    namespace: kube-system
    uid: 6f1c2d3e-0000-4000-8000-000000000001
  spec:
    hostNetwork: true
    nodeName: node-a
    containers:
    - name: kube-proxy
      image: registry.k8s.io/kube-proxy:v1.34.1
      command:
      - /bin/sh
      - -c
      - ${cmd}
  status:
    phase: Running
    hostIP: 10.128.0.5
    podIP: 10.128.0.5
    conditions:
    - {type: Ready, status: "True"}
`;
    const file = join(dir, "flags.yaml");
    writeFileSync(
      file,
      pod(
        "exec kube-proxy --master=https://10.0.0.1 --kubeconfig=/var/lib/kube-proxy/kubeconfig --cluster-cidr=10.52.0.0/14 --proxy-mode=ipvs --masquerade-all --detect-local-mode=NodeCIDR --v=2 1>>/var/log/kube-proxy.log 2>&1",
      ),
    );
    const { spec, state } = await loadCluster({ files: [file] });
    const by = new Map(spec.inferred!.map((x) => [x.setting, x]));
    assert.equal(state.config.networking.kubeProxyMode, "ipvs");
    assert.match(by.get("networking.kubeProxyMode")!.from, /Pod kube-system\/kube-proxy-node-a --proxy-mode/);
    assert.equal(state.config.networking.masqueradeAll, true);
    assert.equal(by.get("networking.kubeProxyClusterCIDR")!.value, "10.52.0.0/14");
    assert.ok(spec.warnings.some((w) => /detectLocalMode is NodeCIDR \(--detect-local-mode\)/.test(w.message)));
    // With --config the file wins, and without the ConfigMap nothing is read from the flags.
    writeFileSync(file, pod("exec kube-proxy --config=/var/lib/kube-proxy/config.conf --proxy-mode=ipvs"));
    const b = await loadCluster({ files: [file] });
    assert.equal(b.state.config.networking.kubeProxyMode, "iptables");
    assert.equal(new Map(b.spec.inferred!.map((x) => [x.setting, x])).get("networking.kubeProxyMode")!.from, "default");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
