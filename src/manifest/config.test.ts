// The cluster config: kind/kubeadm defaults and the rules for subnets, masks and flavors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultConfig, parseConfig, parsePortRange } from "./config.js";
import { checkSpec } from "./parse.js";
import { SpecError } from "./errors.js";

function configErrors(text: string, file = "cluster.yaml"): string[] {
  return checkSpec([], { file, text })
    .diagnostics.filter((d) => d.severity === "error")
    .map((d) => d.message);
}
const head = "apiVersion: podnet.dev/v1alpha1\nkind: Cluster\nname: demo\n";

test("defaults: kubeadm / kind values", () => {
  const c = defaultConfig();
  assert.equal(c.networking.podSubnet, "10.244.0.0/16");
  assert.equal(c.networking.serviceSubnet, "10.96.0.0/12");
  assert.equal(c.networking.nodeCIDRMaskSize, 24);
  assert.equal(c.networking.dnsDomain, "cluster.local");
  assert.deepEqual(c.networking.nodePortRange, [30000, 32767]);
  assert.equal(c.networking.cni, "flannel");
  assert.equal(c.networking.backend, "vxlan");
  assert.equal(c.networking.kubeProxyMode, "iptables");
  assert.deepEqual(c.dns, { pods: "insecure", ttl: 30, replicas: 2 });
  // One control-plane and two workers, named the way kind names them.
  assert.deepEqual(
    c.nodes.map((n) => [n.name, n.role]),
    [
      ["kind-control-plane", "control-plane"],
      ["kind-worker", "worker"],
      ["kind-worker2", "worker"],
    ],
  );
  const cp = c.nodes[0];
  // kubeadm taints and labels the control plane.
  assert.deepEqual(cp.taints, [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }]);
  assert.equal(cp.labels["node-role.kubernetes.io/control-plane"], "");
  assert.equal(cp.labels["kubernetes.io/hostname"], "kind-control-plane");
  assert.equal(cp.labels["kubernetes.io/os"], "linux");
  assert.deepEqual(c.nodes[1].taints, []);
  assert.equal(c.nodes[1].labels["node-role.kubernetes.io/control-plane"], undefined);
  assert.ok(c.nodes.every((n) => n.maxPods === 110));
  // The host resolver sits inside the node subnet.
  assert.deepEqual(c.hostDNS.nameservers, ["192.168.1.1"]);
});

test("the issue's example config is read field by field", () => {
  const c = parseConfig({
    apiVersion: "podnet.dev/v1alpha1",
    kind: "Cluster",
    name: "demo",
    nodes: [
      { name: "control-plane", role: "control-plane" },
      { name: "worker-1", labels: { zone: "a" }, address: "192.168.1.10" },
    ],
    networking: { nodePortRange: "30000-32767", cni: "flannel", backend: "host-gw", kubeProxyMode: "ipvs" },
  });
  assert.deepEqual(
    c.nodes.map((n) => [n.name, n.role, n.address]),
    [
      ["control-plane", "control-plane", undefined],
      ["worker-1", "worker", "192.168.1.10"],
    ],
  );
  assert.equal(c.nodes[1].labels.zone, "a");
  assert.equal(c.nodes[1].labels["kubernetes.io/hostname"], "worker-1");
  assert.equal(c.networking.backend, "host-gw");
  assert.equal(c.networking.kubeProxyMode, "ipvs");
});

test("nodes without names and a cluster name: kind's naming", () => {
  const c = parseConfig({
    name: "lab",
    nodes: [{ role: "control-plane" }, { role: "worker" }, { role: "worker" }, { role: "worker" }],
  });
  assert.deepEqual(
    c.nodes.map((n) => n.name),
    ["lab-control-plane", "lab-worker", "lab-worker2", "lab-worker3"],
  );
  // A control-plane node with explicit (empty) taints is schedulable.
  const d = parseConfig({ nodes: [{ name: "cp", role: "control-plane", taints: [] }] });
  assert.deepEqual(d.nodes[0].taints, []);
});

test("backend defaults per CNI and valid combinations", () => {
  assert.equal(parseConfig({ networking: { cni: "calico" } }).networking.backend, "bgp");
  assert.equal(parseConfig({ networking: { cni: "cilium" } }).networking.backend, "vxlan");
  assert.equal(parseConfig({ networking: { cni: "calico", backend: "ipip" } }).networking.backend, "ipip");
  assert.deepEqual(configErrors(`${head}networking:\n  cni: flannel\n  backend: bgp\n`), [
    'cluster.yaml:6 (Cluster demo) networking.backend: "bgp" is not a flannel backend (must be one of vxlan, host-gw)',
  ]);
  assert.deepEqual(configErrors(`${head}networking:\n  cni: weave\n`), [
    'cluster.yaml:5 (Cluster demo) networking.cni: "weave" must be one of flannel, calico, cilium',
  ]);
});

test("CIDRs: invalid, host bits set, IPv6", () => {
  assert.deepEqual(
    configErrors(
      `${head}networking:\n  podSubnet: 10.300.0.0/16\n  serviceSubnet: 10.244.1.0/15\n  nodeSubnet: fd00::/64\n`,
    ),
    [
      'cluster.yaml:5 (Cluster demo) networking.podSubnet: "10.300.0.0/16" is not a valid CIDR',
      'cluster.yaml:6 (Cluster demo) networking.serviceSubnet: "10.244.1.0/15" has host bits set (the network address is 10.244.0.0/15)',
      'cluster.yaml:7 (Cluster demo) networking.nodeSubnet: "fd00::/64" IPv6 is not supported (podnet models single-stack IPv4 clusters)',
    ],
  );
});

test("pod, service and node subnets must not overlap", () => {
  assert.deepEqual(configErrors(`${head}networking:\n  podSubnet: 10.0.0.0/8\n`), [
    'cluster.yaml:5 (Cluster demo) networking.podSubnet: "10.0.0.0/8" overlaps networking.serviceSubnet 10.96.0.0/12',
  ]);
  assert.deepEqual(configErrors(`${head}networking:\n  nodeSubnet: 10.244.200.0/24\n`), [
    'cluster.yaml:5 (Cluster demo) networking.nodeSubnet: "10.244.200.0/24" overlaps networking.podSubnet 10.244.0.0/16',
  ]);
  assert.deepEqual(configErrors(`${head}networking:\n  serviceSubnet: 192.168.0.0/16\n`), [
    'cluster.yaml:5 (Cluster demo) networking.serviceSubnet: "192.168.0.0/16" overlaps networking.nodeSubnet 192.168.1.0/24',
  ]);
});

test("the node CIDR mask must fit the pod subnet (kube-controller-manager's cidrset)", () => {
  assert.deepEqual(configErrors(`${head}networking:\n  podSubnet: 10.244.0.0/16\n  nodeCIDRMaskSize: 15\n`), [
    "cluster.yaml:6 (Cluster demo) networking.nodeCIDRMaskSize: 15 does not fit the pod subnet 10.244.0.0/16 (must be >= 16)",
  ]);
  // At most 16 bits longer than the cluster CIDR's prefix.
  assert.deepEqual(
    configErrors(
      `${head}networking:\n  podSubnet: 10.0.0.0/12\n  serviceSubnet: 10.96.0.0/12\n  nodeCIDRMaskSize: 29\n`,
    ),
    [
      "cluster.yaml:7 (Cluster demo) networking.nodeCIDRMaskSize: 29 is more than 16 bits longer than the pod subnet 10.0.0.0/12 prefix (must be <= 28)",
    ],
  );
  assert.deepEqual(configErrors(`${head}networking:\n  podSubnet: 10.244.0.0/24\n  nodeCIDRMaskSize: 31\n`), [
    "cluster.yaml:6 (Cluster demo) networking.nodeCIDRMaskSize: 31 leaves no room for pods (must be <= 30)",
  ]);
  assert.deepEqual(configErrors(`${head}networking:\n  podSubnet: 10.244.0.0/16\n  nodeCIDRMaskSize: 26\n`), []);
});

test("service range limits of kube-apiserver (mask >= 12 for IPv4)", () => {
  assert.deepEqual(configErrors(`${head}networking:\n  serviceSubnet: 10.96.0.0/11\n`), [
    'cluster.yaml:5 (Cluster demo) networking.serviceSubnet: "10.96.0.0/11" is too large; for 32-bit addresses, the mask must be >= 12',
  ]);
});

test("node ports range, unknown fields, node addresses", () => {
  assert.deepEqual(parsePortRange("30000-32767"), [30000, 32767]);
  assert.deepEqual(parsePortRange("30000+100"), [30000, 30100]);
  assert.equal(parsePortRange("high"), undefined);
  assert.deepEqual(configErrors(`${head}networking:\n  nodePortRange: 32767-30000\n  podSubnett: 10.0.0.0/8\n`), [
    "cluster.yaml:6 (Cluster demo) networking.podSubnett: unknown field",
    'cluster.yaml:5 (Cluster demo) networking.nodePortRange: "32767-30000" must lie within 1-65535 with the first port <= the last',
  ]);
  assert.deepEqual(
    configErrors(`${head}nodes:\n  - name: w1\n    address: 10.0.0.5\n  - name: w1\n    address: 192.168.1.255\n`),
    [
      'cluster.yaml:6 (Cluster demo) nodes[0].address: "10.0.0.5" is outside networking.nodeSubnet 192.168.1.0/24',
      'cluster.yaml:7 (Cluster demo) nodes[1].name: "w1" is a duplicate node name (first at nodes[0])',
      'cluster.yaml:8 (Cluster demo) nodes[1].address: "192.168.1.255" is the network or broadcast address of 192.168.1.0/24',
    ],
  );
});

test("hostDNS follows the node subnet unless given", () => {
  assert.deepEqual(parseConfig({ networking: { nodeSubnet: "172.18.0.0/16" } }).hostDNS.nameservers, ["172.18.0.1"]);
  const c = parseConfig({
    hostDNS: { nameservers: ["192.168.1.53"], searches: ["corp.example.com"], options: ["ndots:2"] },
  });
  assert.deepEqual(c.hostDNS, { nameservers: ["192.168.1.53"], searches: ["corp.example.com"], options: ["ndots:2"] });
});

test("a kind config (kind.x-k8s.io/v1alpha4) is accepted; its other fields are ignored with a warning", () => {
  const r = checkSpec([], {
    file: "kind.yaml",
    text: "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n  - role: control-plane\n  - role: worker\n    extraMounts: []\nnetworking:\n  disableDefaultCNI: true\n",
  });
  assert.deepEqual(
    r.spec.config.nodes.map((n) => n.name),
    ["kind-control-plane", "kind-worker"],
  );
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.severity}: ${d.message}`),
    [
      "warning: kind.yaml:8 (document 1, kind Cluster) networking.disableDefaultCNI: is not used by podnet (ignored)",
      "warning: kind.yaml:6 (document 1, kind Cluster) nodes[1].extraMounts: is not used by podnet (ignored)",
    ],
  );
});

test("parseConfig without a collector throws one SpecError", () => {
  assert.throws(
    () => parseConfig({ networking: { mtu: 10 } }),
    (e: unknown) =>
      e instanceof SpecError && /networking\.mtu: 10 must be an integer between 68 and 65535/.test(e.message),
  );
});

test("faults: the CLI's words, pods defaulting to namespace default, duplicates once", () => {
  const cfg = parseConfig({
    apiVersion: "podnet.dev/v1alpha1",
    kind: "Cluster",
    faults: ["kube-proxy-down worker-1", "pod-not-ready web-0", "node-partition a b", "pod-not-ready default/web-0"],
  });
  assert.deepEqual(cfg.faults, [
    { kind: "kube-proxy-down", node: "worker-1" },
    { kind: "pod-not-ready", pod: "default/web-0" },
    { kind: "node-partition", node: "a", peer: "b" },
  ]);
  assert.deepEqual(defaultConfig().faults, []);
});

test("faults: an unknown name or a wrong argument count names the entry", () => {
  assert.throws(
    () =>
      parseConfig({ apiVersion: "podnet.dev/v1alpha1", kind: "Cluster", faults: ["coredns-gone", "ip-forward-off"] }),
    (e: unknown) => {
      const m = String((e as Error).message);
      return (
        /faults\[0\].*unknown fault "coredns-gone"/.test(m) &&
        /faults\[1\].*takes 1 argument: ip-forward-off NODE/.test(m)
      );
    },
  );
});

test("networking.calicoCrossSubnet: a boolean, unset by default (Calico encapsulates between every pair)", () => {
  assert.equal(defaultConfig().networking.calicoCrossSubnet, undefined);
  const ok = `${head}networking: {cni: calico, backend: vxlan, calicoCrossSubnet: true}\n`;
  assert.deepEqual(configErrors(ok), []);
  assert.equal(
    parseConfig({ networking: { cni: "calico", backend: "vxlan", calicoCrossSubnet: true } }).networking
      .calicoCrossSubnet,
    true,
  );
  assert.ok(
    configErrors(`${head}networking: {cni: calico, calicoCrossSubnet: CrossSubnet}\n`).some((m) =>
      /networking\.calicoCrossSubnet.*must be true or false/.test(m),
    ),
  );
});

test('networking.kubeProxyClusterCIDR: unset follows podSubnet; "" is none; a CIDR, normalised', () => {
  assert.equal(defaultConfig().networking.kubeProxyClusterCIDR, undefined);
  assert.equal(parseConfig({ networking: { kubeProxyClusterCIDR: "" } }).networking.kubeProxyClusterCIDR, "");
  assert.equal(
    parseConfig({ networking: { kubeProxyClusterCIDR: "10.244.0.0/16" } }).networking.kubeProxyClusterCIDR,
    "10.244.0.0/16",
  );
  for (const bad of ["10.244.0.0", "fd00::/8", "yes"])
    assert.ok(
      configErrors(`${head}networking: {kubeProxyClusterCIDR: "${bad}"}\n`).some((m) =>
        /networking\.kubeProxyClusterCIDR.*must be an IPv4 CIDR, or "" for none/.test(m),
      ),
      bad,
    );
});
