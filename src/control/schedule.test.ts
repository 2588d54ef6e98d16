import { test } from "node:test";
import assert from "node:assert/strict";
import { cluster, deployment, podsOf, THREE_NODES } from "./testing.js";

const NO_DNS = (cfg: object) => ({ ...cfg, dns: { replicas: 0 } });

test("spreading: default scores (spread, least allocated), ties to the first node examined; the tainted control-plane is skipped", () => {
  const s = cluster(deployment("web", 4), NO_DNS(THREE_NODES));
  const on = podsOf(s, "web-").map((p) => p.nodeName);
  assert.deepEqual(on, ["worker-1", "worker-2", "worker-1", "worker-2"]);
  const p = podsOf(s, "web-")[0];
  const ev = s.events.find((e) => e.reason === "Scheduled" && e.object === `pod/default/${p.name}`)!;
  assert.equal(ev.message, `Successfully assigned default/${p.name} to worker-1`);
  assert.equal(ev.source, "default-scheduler");
});

test("nodeSelector and spec.nodeName are honoured", () => {
  const s = cluster(
    deployment("a", 3, { spec: "      nodeSelector: {zone: b}" }) +
      deployment("pinned", 2, { spec: "      nodeName: control-plane" }),
    NO_DNS(THREE_NODES),
  );
  assert.deepEqual(
    podsOf(s, "a-").map((p) => p.nodeName),
    ["worker-2", "worker-2", "worker-2"],
  );
  // nodeName bypasses the scheduler (and so the taint).
  assert.deepEqual(
    podsOf(s, "pinned-").map((p) => p.nodeName),
    ["control-plane", "control-plane"],
  );
});

test("required node affinity: In, NotIn, Exists, DoesNotExist, Gt, Lt", () => {
  const cfg = {
    dns: { replicas: 0 },
    nodes: [
      { name: "cp", role: "control-plane" },
      { name: "w1", labels: { zone: "a", gpu: "true", cores: "8" } },
      { name: "w2", labels: { zone: "b", cores: "32" } },
    ],
  };
  const aff = (expr: string) =>
    `      affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [${expr}]}]}}}`;
  const s = cluster(
    deployment("in", 1, { spec: aff("{key: zone, operator: In, values: [b, c]}") }) +
      deployment("notin", 1, { spec: aff("{key: zone, operator: NotIn, values: [b]}") }) +
      deployment("exists", 1, { spec: aff("{key: gpu, operator: Exists}") }) +
      deployment("dne", 1, { spec: aff("{key: gpu, operator: DoesNotExist}") }) +
      deployment("gt", 1, { spec: aff("{key: cores, operator: Gt, values: ['16']}") }) +
      deployment("lt", 1, { spec: aff("{key: cores, operator: Lt, values: ['16']}") }),
    cfg,
  );
  const on = (n: string) => podsOf(s, `${n}-`)[0].nodeName;
  assert.equal(on("in"), "w2");
  assert.equal(on("notin"), "w1");
  assert.equal(on("exists"), "w1");
  assert.equal(on("dne"), "w2");
  assert.equal(on("gt"), "w2");
  assert.equal(on("lt"), "w1");
});

test("unschedulable: Pending with kube-scheduler's FailedScheduling message", () => {
  const s = cluster(deployment("nowhere", 1, { spec: "      nodeSelector: {zone: mars}" }));
  const p = podsOf(s, "nowhere-")[0];
  assert.equal(p.phase, "Pending");
  assert.equal(p.nodeName, null);
  assert.equal(p.podIP, null);
  assert.equal(p.reason, "Unschedulable");
  const msg =
    "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, " +
    "2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
  assert.equal(p.message, msg);
  const ev = s.events.find((e) => e.reason === "FailedScheduling" && e.object === `pod/default/${p.name}`)!;
  assert.equal(ev.type, "Warning");
  assert.equal(ev.message, msg);
  assert.equal(ev.source, "default-scheduler");
});

test("taints: NoSchedule and NoExecute need a matching toleration; PreferNoSchedule does not", () => {
  const cfg = {
    dns: { replicas: 0 },
    nodes: [
      { name: "cp", role: "control-plane" },
      { name: "w1", taints: [{ key: "dedicated", value: "db", effect: "NoExecute" }] },
      { name: "w2", taints: [{ key: "soft", effect: "PreferNoSchedule" }] },
    ],
  };
  const s = cluster(
    deployment("db", 1, {
      spec: "      tolerations: [{key: dedicated, operator: Equal, value: db, effect: NoExecute}]\n      nodeSelector: {kubernetes.io/hostname: w1}",
    }) +
      deployment("any", 2) +
      deployment("cpok", 1, {
        spec: "      tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]\n      nodeSelector: {kubernetes.io/hostname: cp}",
      }),
    cfg,
  );
  assert.equal(podsOf(s, "db-")[0].nodeName, "w1");
  assert.deepEqual(
    podsOf(s, "any-").map((p) => p.nodeName),
    ["w2", "w2"],
  );
  assert.equal(podsOf(s, "cpok-")[0].nodeName, "cp");
  const t = cluster(deployment("x", 1, { spec: "      nodeSelector: {kubernetes.io/hostname: w1}" }), cfg);
  assert.match(
    podsOf(t, "x-")[0].message!,
    /^0\/3 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector, 1 node\(s\) had untolerated taint \{dedicated: db\}, 1 node\(s\) had untolerated taint \{node-role.kubernetes.io\/control-plane: \}\./,
  );
});

test("hostNetwork: the pod takes the node's IP; host ports conflict", () => {
  const s = cluster(deployment("hn", 3, { spec: "      hostNetwork: true" }), NO_DNS(THREE_NODES));
  const pods = podsOf(s, "hn-");
  const running = pods.filter((p) => p.phase === "Running");
  assert.deepEqual(
    running.map((p) => p.nodeName),
    ["worker-1", "worker-2"],
  );
  for (const p of running) {
    assert.equal(p.podIP, s.nodes.find((n) => n.name === p.nodeName)!.address);
    assert.equal(p.podIP, p.hostIP);
    assert.equal(p.hostIfName, undefined);
  }
  const pending = pods.find((p) => p.phase === "Pending")!;
  assert.equal(
    pending.message,
    "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) didn't have free ports for the requested pod ports. " +
      "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.",
  );
});

test("max pods per node: Too many pods, and a warning for the full node", () => {
  const cfg = {
    dns: { replicas: 0 },
    nodes: [
      { name: "cp", role: "control-plane" },
      { name: "w1", maxPods: 3 },
    ],
  };
  // kube-proxy and kube-flannel-ds already run on w1: one more pod fits.
  const s = cluster(deployment("web", 2), cfg);
  const pods = podsOf(s, "web-");
  assert.equal(pods.filter((p) => p.nodeName === "w1").length, 1);
  const pending = pods.find((p) => p.phase === "Pending")!;
  assert.equal(
    pending.message,
    "0/2 nodes are available: 1 Too many pods, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. " +
      "preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
  );
  assert.ok(s.warnings.some((w) => /Node w1/.test(w) && /full/.test(w) && /3\/3/.test(w)));
});

test("kubelet's default node labels, the deprecated beta ones too, select nodes (sock shop: beta.kubernetes.io/os: linux)", () => {
  const s = cluster(
    deployment("beta", 2, { spec: "      nodeSelector: {beta.kubernetes.io/os: linux}" }) +
      deployment("arch", 1, { spec: "      nodeSelector: {beta.kubernetes.io/arch: amd64, kubernetes.io/os: linux}" }),
    NO_DNS(THREE_NODES),
  );
  assert.ok(podsOf(s, "beta-").every((p) => p.phase === "Running" && p.nodeName));
  assert.ok(podsOf(s, "arch-").every((p) => p.phase === "Running" && p.nodeName));
  for (const n of s.nodes) {
    assert.equal(n.labels["kubernetes.io/hostname"], n.name);
    assert.equal(n.labels["beta.kubernetes.io/os"], "linux");
    assert.equal(n.labels["beta.kubernetes.io/arch"], "amd64");
  }
});

const pod = (name: string, spec: string, labels = `{app: ${name}}`) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: ${labels}}
spec:
${spec}
---`;
const requests = (cpu: string, memory = "64Mi") =>
  `  containers: [{name: c, image: x, resources: {requests: {cpu: "${cpu}", memory: "${memory}"}}}]`;
const TAINT = "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }";

test("NodeResourcesFit: requests against allocatable (kind default 8 CPUs, 16Gi); both reasons, no victims", () => {
  const s = cluster(pod("huge", requests("500", "1Ti")) + pod("ok", requests("7500m")), NO_DNS(THREE_NODES));
  const huge = podsOf(s, "huge")[0];
  assert.equal(huge.phase, "Pending");
  assert.equal(
    huge.message,
    `0/3 nodes are available: ${TAINT}, 2 Insufficient cpu, 2 Insufficient memory. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.`,
  );
  assert.equal(podsOf(s, "ok")[0].phase, "Running");
  const never = cluster(pod("never", `  preemptionPolicy: Never\n${requests("500")}`), NO_DNS(THREE_NODES));
  assert.equal(
    podsOf(never, "never")[0].message,
    `0/3 nodes are available: ${TAINT}, 2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.`,
  );
});

test("NodeResourcesFit: allocatable from the config fills up; limits stand in for missing requests", () => {
  const cfg = {
    ...THREE_NODES,
    nodes: THREE_NODES.nodes.map((n) => (n.role ? n : { ...n, capacity: { cpu: "1", memory: "1Gi" } })),
  };
  const lim = `  containers: [{name: c, image: x, resources: {limits: {cpu: 600m, memory: 100Mi}}}]`;
  const s = cluster(pod("a", lim) + pod("b", lim) + pod("c", lim), NO_DNS(cfg));
  assert.deepEqual(
    ["a", "b", "c"].map((n) => podsOf(s, n)[0].nodeName),
    ["worker-1", "worker-2", null],
  );
  assert.match(podsOf(s, "c")[0].message ?? "", /, 2 Insufficient cpu\. preemption/);
});

test("InterPodAffinity: required anti-affinity on hostname spreads one per node, the rest Pending", () => {
  const anti = `      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector: {matchLabels: {app: anti}}
            topologyKey: kubernetes.io/hostname`;
  const s = cluster(deployment("anti", 3, { spec: anti }), NO_DNS(THREE_NODES));
  const pods = podsOf(s, "anti-");
  assert.deepEqual(
    pods
      .map((p) => p.nodeName)
      .filter(Boolean)
      .sort(),
    ["worker-1", "worker-2"],
  );
  const pending = pods.find((p) => !p.nodeName)!;
  assert.equal(
    pending.message,
    `0/3 nodes are available: ${TAINT}, 2 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.`,
  );
});

test("InterPodAffinity: an existing pod's anti-affinity keeps others out; affinity needs a matching pod (unresolvable)", () => {
  const guard = `  nodeName: worker-1
  affinity:
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector: {matchLabels: {team: noisy}}
        topologyKey: zone
  containers: [{name: c, image: x}]`;
  const noisy = `  containers: [{name: c, image: x}]`;
  const lonely = `  affinity:
    podAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector: {matchLabels: {app: db}}
        topologyKey: zone
  containers: [{name: c, image: x}]`;
  const s = cluster(
    pod("guard", guard) + pod("noisy", noisy, "{team: noisy}") + pod("lonely", lonely),
    NO_DNS(THREE_NODES),
  );
  assert.equal(podsOf(s, "noisy")[0].nodeName, "worker-2");
  const l = podsOf(s, "lonely")[0];
  assert.equal(l.phase, "Pending");
  assert.equal(
    l.message,
    `0/3 nodes are available: ${TAINT}, 2 node(s) didn't match pod affinity rules. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.`,
  );
});

test("PodTopologySpread DoNotSchedule: skew within maxSkew across zones; a node without the key is unresolvable", () => {
  const cfg = {
    name: "demo",
    nodes: [
      { name: "w1", labels: { zone: "a" } },
      { name: "w2", labels: { zone: "a" } },
      { name: "w3", labels: { zone: "b" } },
    ],
  };
  const spread = `      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: s}}}`;
  const s = cluster(deployment("s", 4, { spec: spread }), NO_DNS(cfg));
  const zones = podsOf(s, "s-").map((p) => cfg.nodes.find((n) => n.name === p.nodeName)!.labels.zone);
  assert.deepEqual(zones.sort(), ["a", "a", "b", "b"]);
  // A tainted zone still counts as a domain (nodeTaintsPolicy Ignore): zone a may run one
  // pod ahead of it, no more; a node without the key cannot take the pod at all.
  const cfg2 = {
    name: "demo",
    nodes: [
      { name: "w1", labels: { zone: "a" } },
      { name: "w2", labels: { zone: "b" }, taints: [{ key: "dedicated", value: "x", effect: "NoSchedule" }] },
      { name: "w4", labels: {} },
    ],
  };
  const s2 = cluster(deployment("s", 2, { spec: spread }), NO_DNS(cfg2));
  const pending = podsOf(s2, "s-").filter((p) => !p.nodeName);
  assert.equal(pending.length, 1);
  assert.equal(
    pending[0].message,
    "0/3 nodes are available: 1 node(s) didn't match pod topology spread constraints, 1 node(s) didn't match pod topology spread constraints (missing required label), 1 node(s) had untolerated taint {dedicated: x}. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.",
  );
});
