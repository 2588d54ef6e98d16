import { test } from "node:test";
import assert from "node:assert/strict";
import { SpecError } from "../manifest/errors.js";
import { parseSpec } from "../manifest/parse.js";
import { buildState } from "./build.js";
import { fnv32a, safeEncodeString, templateHash } from "./hash.js";
import { resolvConfFor } from "./resolvconf.js";
import { cluster, deployment, podsOf, statefulSet, THREE_NODES } from "./testing.js";

// utilrand's alphabet: "bcdfghjklmnpqrstvwxz2456789"
const SUFFIX = "[bcdfghjklmnpqrstvwxz2456789]{5}";
// A pod-template-hash is the decimal fnv32a passed through SafeEncodeString: digits map to 4-9, b, c, d, f.
const HASH = "[4-9bcdf]{1,10}";

test("fnv32a and SafeEncodeString follow Go's hash/fnv and k8s rand.SafeEncodeString", () => {
  assert.equal(fnv32a(""), 0x811c9dc5);
  assert.equal(fnv32a("a"), 0xe40c292c);
  assert.equal(fnv32a("foobar"), 0xbf9cf968);
  // '0' is byte 48, 48 % 27 = 21 → '4' … '9' is 57 % 27 = 3 → 'f'
  assert.equal(safeEncodeString("0123456789"), "456789bcdf");
  assert.match(templateHash({ spec: { containers: [] } }, "s"), new RegExp(`^${HASH}$`));
});

test("Deployment → ReplicaSet <deploy>-<pod-template-hash> → pods <rs>-<5 chars>", () => {
  const s = cluster(deployment("web", 3));
  const pods = podsOf(s, "web-");
  assert.equal(pods.length, 3);
  const rs = s.replicaSets!.find((r) => r.deployment === "web")!;
  assert.match(rs.name, new RegExp(`^web-${HASH}$`));
  assert.equal(rs.replicas, 3);
  for (const p of pods) {
    assert.match(p.name, new RegExp(`^${rs.name}-${SUFFIX}$`));
    assert.equal(p.labels["pod-template-hash"], rs.podTemplateHash);
    assert.equal(p.labels.app, "web");
    assert.deepEqual(p.owner, { kind: "ReplicaSet", name: rs.name });
    assert.deepEqual(p.workload, { kind: "Deployment", namespace: "default", name: "web" });
  }
  assert.equal(new Set(pods.map((p) => p.name)).size, 3);
  const created = s.events.filter(
    (e) => e.reason === "SuccessfulCreate" && e.object === `replicaset/default/${rs.name}`,
  );
  assert.deepEqual(created.map((e) => e.message).sort(), pods.map((p) => `Created pod: ${p.name}`).sort());
});

test("StatefulSet pods are <name>-0..N-1 with hostname and subdomain = serviceName", () => {
  const s = cluster(statefulSet("web", 3));
  const pods = podsOf(s, "web-");
  assert.deepEqual(
    pods.map((p) => p.name),
    ["web-0", "web-1", "web-2"],
  );
  for (const p of pods) {
    assert.equal(p.spec.hostname, p.name);
    assert.equal(p.spec.subdomain, "nginx");
    assert.equal(p.labels["statefulset.kubernetes.io/pod-name"], p.name);
    assert.match(p.labels["controller-revision-hash"], new RegExp(`^web-${HASH}$`));
    assert.deepEqual(p.owner, { kind: "StatefulSet", name: "web" });
  }
});

test("DaemonSet: one pod <ds>-<5 chars> per eligible node (taints, nodeSelector)", () => {
  const ds = (name: string, spec: string) => `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ${name}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
${spec}
      containers: [{name: c, image: busybox}]
---`;
  const s = cluster(
    ds("plain", "") +
      ds("everywhere", "      tolerations: [{operator: Exists}]") +
      ds("zone-a", "      nodeSelector: {zone: a}"),
  );
  const nodesOf = (n: string) =>
    podsOf(s, `${n}-`)
      .map((p) => p.nodeName)
      .sort();
  // The control-plane's NoSchedule taint keeps a DaemonSet off it unless tolerated.
  assert.deepEqual(nodesOf("plain"), ["worker-1", "worker-2"]);
  assert.deepEqual(nodesOf("everywhere"), ["control-plane", "worker-1", "worker-2"]);
  assert.deepEqual(nodesOf("zone-a"), ["worker-1"]);
  for (const p of podsOf(s, "everywhere-")) {
    assert.match(p.name, new RegExp(`^everywhere-${SUFFIX}$`));
    assert.match(p.labels["controller-revision-hash"], new RegExp(`^${HASH}$`));
    assert.deepEqual(p.workload, { kind: "DaemonSet", namespace: "default", name: "everywhere" });
  }
});

test("Job pods are <job>-<5 chars>, min(parallelism, completions) at once, with job-name labels", () => {
  const s = cluster(`
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  completions: 5
  parallelism: 2
  template:
    spec: {containers: [{name: pi, image: perl}], restartPolicy: Never}
`);
  const pods = podsOf(s, "pi-");
  assert.equal(pods.length, 2);
  for (const p of pods) {
    assert.match(p.name, new RegExp(`^pi-${SUFFIX}$`));
    assert.equal(p.labels["job-name"], "pi");
    assert.equal(p.labels["batch.kubernetes.io/job-name"], "pi");
  }
});

// https://kubernetes.io/docs/concepts/workloads/controllers/job/#completion-mode: an Indexed
// Job's pods carry their index (annotation and label batch.kubernetes.io/job-completion-index,
// env JOB_COMPLETION_INDEX), are named <job>-<index>-<suffix> and have hostname <job>-<index>.
test("Indexed Job: one pod per pending index, lowest first, with its index, name and hostname", () => {
  const job = (extra: string) => `
apiVersion: batch/v1
kind: Job
metadata: {name: train}
spec:
  completionMode: Indexed
  completions: 4
  parallelism: 3
  template:
    spec:
      subdomain: workers
      restartPolicy: Never
      containers: [{name: trainer, image: pytorch}]
${extra}`;
  const s = cluster(job(""));
  const pods = podsOf(s, "train-").sort((a, b) => (a.name < b.name ? -1 : 1));
  assert.deepEqual(
    pods.map((p) => [
      p.name.replace(/-[^-]+$/, ""),
      p.labels["batch.kubernetes.io/job-completion-index"],
      p.spec.hostname,
    ]),
    [
      ["train-0", "0", "train-0"],
      ["train-1", "1", "train-1"],
      ["train-2", "2", "train-2"],
    ],
  );
  for (const p of pods) {
    assert.match(p.name, new RegExp(`^train-\\d-${SUFFIX}$`));
    assert.equal(
      p.annotations["batch.kubernetes.io/job-completion-index"],
      p.labels["batch.kubernetes.io/job-completion-index"],
    );
    assert.deepEqual(p.spec.containers[0].env, [
      {
        name: "JOB_COMPLETION_INDEX",
        valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']" } },
      },
    ]);
  }
  // A dump's Job with 0 and 2 done runs the pending 1 and 3 (completions 4 - 2 succeeded).
  const later = cluster(
    job(`status:
  completedIndexes: 0,2
  succeeded: 2
  active: 2
  startTime: "2025-06-02T08:00:00Z"
`),
  );
  assert.deepEqual(
    podsOf(later, "train-")
      .map((p) => p.labels["batch.kubernetes.io/job-completion-index"])
      .sort(),
    ["1", "3"],
  );
});

// The job controller's wantActive (pkg/controller/job/job_controller.go manageJob), for a
// Job given with its status as a dump has it.
test("a dumped Job runs completions less succeeded, at most parallelism; none once finishing", () => {
  const job = (name: string, status: string, extra = "") => `
apiVersion: batch/v1
kind: Job
metadata: {name: ${name}, namespace: default}
spec:
  completions: 3
  parallelism: 3
${extra}  template:
    spec: {containers: [{name: c, image: busybox}], restartPolicy: Never}
status:
${status}`;
  const s = cluster(
    [
      job("two-done", "  succeeded: 2\n  active: 1\n"),
      job("none-done", "  active: 3\n"),
      job("failing", '  conditions: [{type: FailureTarget, status: "True"}]\n  active: 1\n'),
      job("meeting", '  conditions: [{type: SuccessCriteriaMet, status: "True"}]\n  succeeded: 1\n'),
      job("not-yet", '  conditions: [{type: Failed, status: "False"}]\n'),
    ].join("---"),
  );
  const count = (name: string) => s.pods.filter((p) => p.labels["job-name"] === name).length;
  assert.deepEqual(["two-done", "none-done", "failing", "meeting", "not-yet"].map(count), [1, 3, 0, 0, 3]);
});

test("Indexed Job: the template's hostname gives way, failed and completed indexes are not run again", () => {
  const s = cluster(`
apiVersion: batch/v1
kind: Job
metadata: {name: sweep}
spec:
  completionMode: Indexed
  completions: 2147483647
  parallelism: 3
  backoffLimitPerIndex: 1
  template:
    spec:
      hostname: custom
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
status:
  completedIndexes: 0-2147483640,2147483642
  failedIndexes: 2147483643,x,7-3
  succeeded: 2147483642
`);
  // Ranges, not one entry per index: this ends at once. Left: 41, 44, 45, 46 (3 at a time).
  const pods = podsOf(s, "sweep-").sort((a, b) => (a.name < b.name ? -1 : 1));
  assert.deepEqual(
    pods.map((p) => [p.labels["batch.kubernetes.io/job-completion-index"], p.spec.hostname]),
    [
      ["2147483641", "sweep-2147483641"],
      ["2147483644", "sweep-2147483644"],
      ["2147483645", "sweep-2147483645"],
    ],
  );
});

test("system objects: namespaces, kubernetes at .1, kube-dns at .10, CoreDNS, kube-proxy, the CNI DaemonSet", () => {
  const s = cluster("");
  for (const n of ["default", "kube-system", "kube-public", "kube-node-lease", "kube-flannel"]) {
    const ns = s.namespaces.find((x) => x.name === n);
    assert.ok(ns, n);
    assert.equal(ns.labels["kubernetes.io/metadata.name"], n);
  }
  const k = s.services.find((x) => x.name === "kubernetes" && x.namespace === "default")!;
  assert.equal(k.clusterIP, "10.96.0.1");
  assert.deepEqual(k.ports, [{ name: "https", protocol: "TCP", port: 443, targetPort: 6443 }]);
  assert.equal(k.selector, null);
  const ks = s.endpointSlices.find((x) => x.name === "kubernetes")!;
  assert.deepEqual(ks.ports, [{ name: "https", port: 6443, protocol: "TCP" }]);
  assert.deepEqual(
    ks.endpoints.map((e) => e.addresses[0]),
    [s.nodes.find((n) => n.role === "control-plane")!.address],
  );

  const dns = s.services.find((x) => x.name === "kube-dns" && x.namespace === "kube-system")!;
  assert.equal(dns.clusterIP, "10.96.0.10");
  assert.deepEqual(dns.selector, { "k8s-app": "kube-dns" });
  assert.equal(dns.labels["k8s-app"], "kube-dns");
  assert.deepEqual(
    dns.ports.map((p) => `${p.name} ${p.port}/${p.protocol}`),
    ["dns 53/UDP", "dns-tcp 53/TCP", "metrics 9153/TCP"],
  );
  const coredns = podsOf(s, "coredns-", "kube-system");
  assert.equal(coredns.length, 2); // kubeadm's default replicas
  assert.equal(coredns[0].spec.dnsPolicy, "Default");
  const dnsSlice = s.endpointSlices.find((x) => x.serviceName === "kube-dns")!;
  assert.deepEqual(dnsSlice.endpoints.map((e) => e.addresses[0]).sort(), coredns.map((p) => p.podIP).sort());

  for (const [ns, prefix] of [
    ["kube-system", "kube-proxy-"],
    ["kube-flannel", "kube-flannel-ds-"],
  ]) {
    const ds = podsOf(s, prefix, ns);
    assert.deepEqual(ds.map((p) => p.nodeName).sort(), ["control-plane", "worker-1", "worker-2"]);
    for (const p of ds) assert.equal(p.podIP, s.nodes.find((n) => n.name === p.nodeName)!.address); // hostNetwork
  }
  const calico = cluster("", { ...THREE_NODES, networking: { cni: "calico" } });
  assert.equal(podsOf(calico, "calico-node-", "kube-system").length, 3);
});

test("a user manifest overrides a system object of the same name", () => {
  const s = cluster(`
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system}
spec:
  clusterIP: 10.96.0.10
  selector: {k8s-app: kube-dns}
  ports: [{name: dns, port: 53, protocol: UDP}]
`);
  const dns = s.services.filter((x) => x.name === "kube-dns");
  assert.equal(dns.length, 1);
  assert.deepEqual(
    dns[0].ports.map((p) => p.name),
    ["dns"],
  );
});

test("node addresses: given, else .2, .3 … of nodeSubnet; pod CIDRs: the i-th /24 of podSubnet", () => {
  const s = cluster("", {
    nodes: [
      { name: "cp", role: "control-plane" },
      { name: "w1", address: "192.168.1.3" },
      { name: "w2" },
      { name: "w3" },
    ],
  });
  assert.deepEqual(
    s.nodes.map((n) => [n.name, n.address, n.podCIDR]),
    [
      ["cp", "192.168.1.2", "10.244.0.0/24"],
      ["w1", "192.168.1.3", "10.244.1.0/24"],
      ["w2", "192.168.1.4", "10.244.2.0/24"],
      ["w3", "192.168.1.5", "10.244.3.0/24"],
    ],
  );
  assert.equal(s.nodes[0].labels["kubernetes.io/hostname"], "cp");
  assert.ok("node-role.kubernetes.io/control-plane" in s.nodes[0].labels);
});

test("more nodes than node CIDRs is an error", () => {
  assert.throws(
    () =>
      cluster("", {
        nodes: [{ name: "a", role: "control-plane" }, { name: "b" }, { name: "c" }],
        networking: { podSubnet: "10.244.0.0/23" },
      }),
    (e: unknown) =>
      e instanceof SpecError && /nodeCIDRMaskSize/.test(e.message) && /2 \/24 node ranges/.test(e.message),
  );
});

test("every pod gets kubelet's resolv.conf and a container ID", () => {
  const s = cluster(deployment("web", 1));
  const p = podsOf(s, "web-")[0];
  assert.equal(p.resolvConf, resolvConfFor(s.config, "default", p.spec).text);
  assert.match(p.containerID, /^[0-9a-f]{64}$/);
  assert.match(p.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test("determinism: same seed → same state; another seed → other names", () => {
  const m = deployment("web", 3);
  const a = cluster(m, THREE_NODES, "one");
  const b = cluster(m, THREE_NODES, "one");
  assert.deepEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
  const c = cluster(m, THREE_NODES, "two");
  const names = (s: typeof a) =>
    podsOf(s, "web-")
      .map((p) => p.name)
      .sort();
  assert.notDeepEqual(names(a), names(c));
  assert.notEqual(
    a.replicaSets!.find((r) => r.deployment === "web")!.name,
    c.replicaSets!.find((r) => r.deployment === "web")!.name,
  );
});

test("a kubectl dump: ReplicaSets and pods whose controller is given are left to the controller", () => {
  const s = cluster(
    deployment("web", 2) +
      `
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d59d67564
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, controller: true}]
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, pod-template-hash: 5d59d67564}}
    spec: {containers: [{name: web, image: example/web:1}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-5d59d67564-abcde
  labels: {app: web, pod-template-hash: 5d59d67564}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d59d67564, controller: true}]
spec: {containers: [{name: web, image: example/web:1}]}
`,
  );
  assert.equal(podsOf(s, "web-").length, 2);
  assert.ok(!s.pods.some((p) => p.name === "web-5d59d67564-abcde"));
  assert.equal(s.warnings.filter((w) => /is controlled by/.test(w)).length, 2);
});

test("the input's own kube-dns (GKE: dnsmasq, no metrics port): the Service podnet adds serves 53 only", () => {
  // GKE's kube-dns Deployment serves DNS on 53 and no CoreDNS metrics on 9153: a Service port
  // there would have no listener behind it (a fault podnet made itself).
  const kubeDns = `apiVersion: apps/v1
kind: Deployment
metadata: {name: kube-dns, namespace: kube-system}
spec:
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      containers:
      - {name: kubedns, image: gke.gcr.io/k8s-dns-kube-dns, ports: [{containerPort: 10053, protocol: UDP, name: dns-local}]}
      - {name: dnsmasq, image: gke.gcr.io/k8s-dns-dnsmasq-nanny, ports: [{containerPort: 53, protocol: UDP, name: dns}, {containerPort: 53, protocol: TCP, name: dns-tcp}]}
`;
  const ports = (text: string) =>
    buildState(parseSpec([{ file: "m.yaml", text }]))
      .services.find((x) => x.name === "kube-dns")!
      .ports.map((p) => `${p.port}/${p.protocol}`);
  assert.deepEqual(ports(kubeDns), ["53/UDP", "53/TCP"]);
  // Its own CoreDNS, declaring the metrics port, and podnet's CoreDNS keep 9153.
  assert.deepEqual(
    ports(kubeDns.replace("containerPort: 10053, protocol: UDP", "containerPort: 9153, protocol: TCP")),
    ["53/UDP", "53/TCP", "9153/TCP"],
  );
  assert.deepEqual(ports("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"), ["53/UDP", "53/TCP", "9153/TCP"]);
});
