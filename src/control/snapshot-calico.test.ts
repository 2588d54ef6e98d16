// Production-shaped dumps (examples/snapshots/calico-operator.yaml, eks-vpc-cni.yaml): Calico
// installed by the Tigera operator (calico-node in calico-system, the pool in the operator's
// Installation), and EKS with the Amazon VPC CNI. Expected values are the dumps' own facts
// and Calico's documented behaviour, not podnet's output:
// - https://docs.tigera.io/calico/latest/reference/installation/api (Installation
//   spec.calicoNetwork.ipPools: cidr, blockSize, encapsulation IPIP | IPIPCrossSubnet | VXLAN |
//   VXLANCrossSubnet | None);
// - https://docs.tigera.io/calico/latest/reference/resources/ippool (crd.projectcalico.org/v1 and
//   projectcalico.org/v3; vxlanMode/ipipMode CrossSubnet: "encapsulate only traffic crossing
//   subnet boundaries"; blockSize default 26);
// - https://docs.tigera.io/calico/latest/reference/configure-calico-node (CALICO_IPV4POOL_IPIP,
//   which calico.yaml sets to Always beside calico_backend: bird).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildIR } from "../dataplane/build.js";
import { packageRoot } from "../load/input.js";
import { parseSpec } from "../manifest/parse.js";
import { modelSession } from "../questions/trace.js";
import { buildState } from "./build.js";
import type { ClusterState } from "./state.js";

const snapText = (f: string) => readFileSync(join(packageRoot(), "examples", "snapshots", f), "utf8");
const OPERATOR = snapText("calico-operator.yaml");

function read(text: string, file = "calico-operator.yaml") {
  const spec = parseSpec([{ file, text }], undefined, "tolerant");
  const by = new Map(spec.inferred!.map((x) => [x.setting, x]));
  return { spec, by, value: (k: string) => by.get(k)?.value, warnings: spec.warnings.map((w) => w.message) };
}
const stateOf = (text: string): ClusterState =>
  buildState(parseSpec([{ file: "c.yaml", text }], undefined, "tolerant"));

/** The operator's dump with its Installation removed: what the README's one-liner fetches. */
function withoutInstallation(text: string): string {
  const at = text.indexOf("- apiVersion: operator.tigera.io/v1\n");
  assert.ok(at > 0);
  return text.slice(0, at) + text.slice(text.indexOf("kind: List\n", at));
}

/** The dump's List with more items (already indented as kubectl prints them) appended. */
const withItems = (text: string, items: string) => text.replace(/\nkind: List\n/, `\n${items}kind: List\n`);

const pool = (apiVersion: string, spec: string) => `- apiVersion: ${apiVersion}
  kind: IPPool
  metadata:
    name: default-ipv4-ippool
    uid: 4f0c2b1e-8d7a-4c3b-9e2f-1a6b5c4d3e2f
  spec:
    blockSize: 26
    cidr: 192.168.0.0/16
${spec}    natOutgoing: true
    nodeSelector: all()
`;

test("operator-installed Calico: calico-node in calico-system, the pool from the Installation", () => {
  const r = read(OPERATOR);
  assert.equal(r.value("networking.cni"), "calico");
  assert.match(r.by.get("networking.cni")!.from, /^DaemonSet calico-system\/calico-node/);
  assert.equal(r.value("networking.backend"), "vxlan");
  assert.match(r.by.get("networking.backend")!.from, /^Installation default .*encapsulation: VXLANCrossSubnet/);
  assert.equal(r.value("networking.calicoCrossSubnet"), "true");
  assert.equal(r.value("networking.calicoBlockSize"), "26");
  assert.match(r.by.get("networking.calicoBlockSize")!.from, /^Installation default/);
  assert.equal(r.value("networking.podSubnet"), "192.168.0.0/16");
  assert.match(r.by.get("networking.podSubnet")!.from, /^Installation default spec.calicoNetwork.ipPools\[0\].cidr/);
  // Read, not ignored; nothing to warn about.
  assert.deepEqual(r.warnings, []);
});

test("operator-installed Calico: nodes keep their /26 blocks (two on one node) and VXLAN tunnel addresses", () => {
  const s = stateOf(OPERATOR);
  assert.deepEqual(
    s.nodes.map((n) => [n.name, n.address, n.blocks, n.tunnelAddress, n.calicoSubnet]),
    [
      ["k8s-cp-1", "10.10.1.10", ["192.168.125.64/26"], "192.168.125.64", "10.10.1.0/24"],
      ["k8s-worker-1", "10.10.1.11", ["192.168.39.0/26"], "192.168.39.0", "10.10.1.0/24"],
      ["k8s-worker-2", "10.10.1.12", ["192.168.200.128/26", "192.168.14.192/26"], "192.168.200.128", "10.10.1.0/24"],
      ["k8s-worker-3", "10.10.2.13", ["192.168.87.192/26"], "192.168.87.192", "10.10.2.0/24"],
    ],
  );
  // calico-node, typha and the operator are the dump's; podnet adds no CNI agent of its own.
  assert.ok(s.pods.every((p) => p.observed));
});

test("VXLANCrossSubnet: nodes of one subnet route blocks over eth0, other subnets over vxlan.calico", () => {
  const ir = buildIR(stateOf(OPERATOR));
  const routes = (node: string) =>
    ir.nodes
      .find((n) => n.name === node)!
      .ns.routes.filter((r) => r.dst.startsWith("192.168.") && r.type === "unicast" && r.via)
      .map((r) => `${r.dst} via ${r.via} dev ${r.dev}${r.onlink ? " onlink" : ""}`)
      .sort();
  assert.deepEqual(routes("k8s-worker-1"), [
    "192.168.125.64/26 via 10.10.1.10 dev eth0",
    "192.168.14.192/26 via 10.10.1.12 dev eth0",
    "192.168.200.128/26 via 10.10.1.12 dev eth0",
    "192.168.87.192/26 via 192.168.87.192 dev vxlan.calico onlink",
  ]);
  assert.deepEqual(routes("k8s-worker-3"), [
    "192.168.125.64/26 via 192.168.125.64 dev vxlan.calico onlink",
    "192.168.14.192/26 via 192.168.200.128 dev vxlan.calico onlink",
    "192.168.200.128/26 via 192.168.200.128 dev vxlan.calico onlink",
    "192.168.39.0/26 via 192.168.39.0 dev vxlan.calico onlink",
  ]);
});

test("VXLANCrossSubnet traces: encapsulated only when the path crosses from 10.10.2.0/24 to 10.10.1.0/24", () => {
  const session = modelSession(stateOf(OPERATOR));
  const encapsulations = (from: string, toIP: string) => {
    const r = session.trace({ from, to: toIP, port: 8080 });
    assert.ok(r.paths.length > 0);
    return r.paths.map((p) => [
      p.disposition.verdict,
      p.hops.some((h) => h.steps.some((s) => s.action === "ENCAPSULATED")),
    ]);
  };
  // frontend on k8s-worker-1 → api on k8s-worker-2 (its second block): same subnet.
  assert.deepEqual(encapsulations("shop/frontend-5c9d7b8f6c-xbddg", "192.168.14.201"), [["DELIVERED", false]]);
  // frontend on k8s-worker-3 → api on k8s-worker-1: across subnets.
  assert.deepEqual(encapsulations("shop/frontend-5c9d7b8f6c-sklhv", "192.168.39.3"), [["DELIVERED", true]]);
});

test("the README's one-liner (no Installation, no IPPool): VXLAN from the Nodes, the pool from the pods", () => {
  const r = read(withoutInstallation(OPERATOR));
  assert.equal(r.value("networking.backend"), "vxlan");
  assert.match(
    r.by.get("networking.backend")!.from,
    /^Node k8s-cp-1 annotation projectcalico.org\/IPv4VXLANTunnelAddr/,
  );
  // Calico's default block size; the /16 holding every pod address.
  assert.equal(r.value("networking.calicoBlockSize"), "26");
  assert.equal(r.value("networking.podSubnet"), "192.168.0.0/16");
  assert.match(r.by.get("networking.podSubnet")!.from, /the pods' IPs/);
  // Always or CrossSubnet: the dump does not say, and podnet says so once.
  assert.equal(r.warnings.length, 1, r.warnings.join("\n"));
  assert.match(
    r.warnings[0],
    /^calico-operator\.yaml:\d+ \(Node k8s-cp-1\) the Nodes' tunnel addresses show VXLAN but not whether/,
  );
  assert.match(r.warnings[0], /add ippools\.crd\.projectcalico\.org, or installations\.operator\.tigera\.io/);
});

test("an IPPool of the Calico API server (projectcalico.org/v3) is read as the CRD's; it wins over the Installation", () => {
  const v3 = read(
    withItems(OPERATOR, pool("projectcalico.org/v3", "    ipipMode: CrossSubnet\n    vxlanMode: Never\n")),
  );
  assert.equal(v3.value("networking.backend"), "ipip");
  assert.match(v3.by.get("networking.backend")!.from, /^IPPool default-ipv4-ippool spec.ipipMode: CrossSubnet/);
  assert.equal(v3.value("networking.calicoCrossSubnet"), "true");
  assert.ok(!v3.warnings.some((w) => /ignored kind/.test(w)), v3.warnings.join("\n"));
  const always = read(
    withItems(OPERATOR, pool("crd.projectcalico.org/v1", "    ipipMode: Never\n    vxlanMode: Always\n")),
  );
  assert.equal(always.value("networking.backend"), "vxlan");
  assert.equal(always.value("networking.calicoCrossSubnet"), "false");
});

test("the Installation's encapsulation: None is BGP, IPIP encapsulates between every pair, unset is the operator's default", () => {
  const enc = (line: string) => read(OPERATOR.replace("        encapsulation: VXLANCrossSubnet\n", line));
  assert.deepEqual(
    [
      enc("        encapsulation: None\n"),
      enc("        encapsulation: IPIP\n"),
      enc("        encapsulation: IPIPCrossSubnet\n"),
      enc(""), // bgp: Enabled → IPIP
    ].map((r) => [r.value("networking.backend"), r.value("networking.calicoCrossSubnet")]),
    [
      ["bgp", "false"],
      ["ipip", "false"],
      ["ipip", "true"],
      ["ipip", "false"],
    ],
  );
  const noBgp = read(
    OPERATOR.replace("        encapsulation: VXLANCrossSubnet\n", "").replace("bgp: Enabled", "bgp: Disabled"),
  );
  assert.equal(noBgp.value("networking.backend"), "vxlan");
});

test("IPIPCrossSubnet: a node whose subnet holds the others routes to them on eth0; they tunnel to it", () => {
  const text = OPERATOR.replace("encapsulation: VXLANCrossSubnet", "encapsulation: IPIPCrossSubnet")
    .replaceAll("IPv4VXLANTunnelAddr", "IPv4IPIPTunnelAddr")
    .replace("projectcalico.org/IPv4Address: 10.10.2.13/24", "projectcalico.org/IPv4Address: 10.10.2.13/16");
  // 10.10.2.13/16 holds every other node: k8s-worker-3 reaches them directly; they (in /24s) do not.
  const ir = buildIR(stateOf(text));
  const devs = (node: string) => [
    ...new Set(
      ir.nodes
        .find((n) => n.name === node)!
        .ns.routes.filter((r) => r.dst.startsWith("192.168.") && r.via)
        .map((r) => r.dev),
    ),
  ];
  assert.deepEqual(devs("k8s-worker-3"), ["eth0"]);
  assert.deepEqual(devs("k8s-worker-1").sort(), ["eth0", "tunl0"]);
});

test("a calico.yaml install without the IPPool: CALICO_IPV4POOL_IPIP Always is IPIP, not calico_backend's BGP", () => {
  const text = snapText("calico-ippools.yaml");
  const at = text.indexOf("- apiVersion: crd.projectcalico.org/v1\n");
  assert.ok(at > 0);
  const noPool = text.slice(0, at) + text.slice(text.indexOf("kind: List\n", at));
  // Its calico-node DaemonSet has calico.yaml's env: CALICO_IPV4POOL_IPIP Always, CALICO_IPV4POOL_CIDR.
  const r = read(noPool, "calico-ippools.yaml");
  assert.equal(r.value("networking.backend"), "ipip");
  assert.match(
    r.by.get("networking.backend")!.from,
    /^DaemonSet kube-system\/calico-node env CALICO_IPV4POOL_IPIP: Always/,
  );
  assert.equal(r.value("networking.podSubnet"), "192.168.0.0/16");
  assert.match(r.by.get("networking.podSubnet")!.from, /env CALICO_IPV4POOL_CIDR/);
});

test("EKS with the Amazon VPC CNI: one warning naming it and what podnet models instead; kube-proxy-config read", () => {
  const r = read(snapText("eks-vpc-cni.yaml"), "eks-vpc-cni.yaml");
  assert.deepEqual([r.value("networking.cni"), r.value("networking.backend")], ["flannel", "vxlan"]);
  assert.equal(r.warnings.length, 1, r.warnings.join("\n"));
  const w = r.warnings[0];
  assert.match(w, /\(DaemonSet kube-system\/aws-node\) the Amazon VPC CNI is not a CNI podnet models/);
  assert.match(w, /modelled as flannel vxlan instead/);
  assert.match(w, /pods' addresses \(192\.168\.0\.0\/16\) overlap the nodes'/);
  assert.match(w, /reach, check\) still hold/);
  // EKS's kube-proxy add-on: KubeProxyConfiguration in ConfigMap kube-proxy-config, key config.
  assert.equal(r.value("networking.kubeProxyMode"), "iptables");
  assert.match(r.by.get("networking.kubeProxyMode")!.from, /^ConfigMap kube-system\/kube-proxy-config config mode/);
  const ipvs = read(snapText("eks-vpc-cni.yaml").replace('mode: "iptables"', 'mode: "ipvs"'));
  assert.equal(ipvs.value("networking.kubeProxyMode"), "ipvs");
});
