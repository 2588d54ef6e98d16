// kube-scheduler's default scoring, with expected nodes worked out by hand from the upstream
// plugins (kubernetes/kubernetes pkg/scheduler/framework/plugins/...; weights in
// apis/config/v1/default_plugins.go: TaintToleration 3, NodeAffinity, PodTopologySpread and
// InterPodAffinity 2, NodeResourcesFit and BalancedAllocation 1).
//
// Common to every case: a kind node has 8 CPUs (8000m) and 16Gi (16384Mi) allocatable; each
// worker runs kube-proxy and kube-flannel-ds, which request nothing, so LeastAllocated
// counts 2 × (100m, 200Mi) = (200m, 400Mi) on each before anything else; the incoming pod
// without requests counts (100m, 200Mi) too. LeastAllocated per resource is
// ⌊(alloc − requested)·100/alloc⌋, the node score the ⌊mean⌋ of cpu and memory.
// BalancedAllocation skips pods that request nothing. No CoreDNS (dns.replicas 0).
import { test } from "node:test";
import assert from "node:assert/strict";
import { numFeasibleNodesToFind } from "./schedule.js";
import { cluster, deployment, podsOf } from "./testing.js";

const workers = (...names: (string | { name: string; [k: string]: unknown })[]) => ({
  name: "demo",
  dns: { replicas: 0 },
  nodes: [
    { name: "control-plane", role: "control-plane" },
    ...names.map((n) => (typeof n === "string" ? { name: n } : n)),
  ],
});

const pod = (name: string, spec: string, labels = `{app: ${name}}`) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: ${labels}}
spec:
${spec}
---`;
const req = (cpu: string, memory: string) =>
  `  containers: [{name: c, image: x, resources: {requests: {cpu: "${cpu}", memory: "${memory}"}}}]`;
const on = (node: string, body: string) => `  nodeName: ${node}\n${body}`;
const nodeOf = (s: ReturnType<typeof cluster>, name: string) => podsOf(s, name)[0]?.nodeName;

test("percentageOfNodesToScore (adaptive): every node below 100, then 50 − n/125 %, at least 5 % and 100 nodes", () => {
  // schedule_one.go numFeasibleNodesToFind
  assert.equal(numFeasibleNodesToFind(3), 3);
  assert.equal(numFeasibleNodesToFind(99), 99);
  assert.equal(numFeasibleNodesToFind(150), 100); // 150·49 % = 73 < 100
  assert.equal(numFeasibleNodesToFind(1000), 420); // 42 %
  assert.equal(numFeasibleNodesToFind(5000), 500); // 10 %
  assert.equal(numFeasibleNodesToFind(6000), 300); // 50 − 48 = 2 % → 5 %
});

test("a 3-replica Deployment on 3 equal nodes lands one per node (default topology spread)", () => {
  // Pod 1: all three score alike → the first examined, w1.
  // Pod 2: the ReplicaSet's selector gives the default constraints; no zone labels, so only
  // hostname (maxSkew 3) scores: 3 feasible nodes → weight ln(3+2) = 1.609;
  // w1: 1·1.609 + 2 = 3.609 → 4, w2 = w3 = 0 + 2 = 2; normalized 100·(max+min−s)/max:
  // w1 ⌊100·2/4⌋ = 50, w2 = w3 = 100 (× 2). LeastAllocated: w1 (400m, 800Mi) → 95, w2/w3
  // (300m, 600Mi) → 96. w2 (296) beats w1 (195); w2 before w3 in node order.
  // Pod 3: w3 is the only node without a replica → w3.
  const s = cluster(deployment("web", 3), workers("w1", "w2", "w3"));
  assert.deepEqual(
    podsOf(s, "web-").map((p) => p.nodeName),
    ["w1", "w2", "w3"],
  );
});

test("default spread across zones: a Service's selector; zone (maxSkew 5) and hostname (maxSkew 3) together", () => {
  // Nodes a1, a2 in zone a, b1, b2 in zone b; the scheduler examines them zone by zone in
  // turn (node_tree.go): control-plane (no zone), a1, b1, a2, b2. web-1 is bound to a1; the
  // Service web gives web-2..4 the default constraints with selector app=web.
  // web-2: 4 feasible nodes: hostname weight ln 6 = 1.792, zone weight ln 4 = 1.386.
  //   a1 = (1.792+2) + (1.386+4) = 9.18 → 9; a2 = 2 + 5.386 → 7; b1 = b2 = 2 + 4 = 6.
  //   → a1 ⌊100·6/9⌋ = 66, a2 ⌊100·8/9⌋ = 88, b1 = b2 = 100: b1.
  //   (Least-loaded alone would take a2: zone a would hold both.)
  // web-3: a1 = b1 = 9, a2 = b2 = 7 → a2 = b2 = 100 > 77: a2 (examined before b2).
  // web-4: a1 = a2 = 1.792+2 + 2·1.386+4 = 10.56 → 11; b1 = 9.18 → 9; b2 = 2+5.386 → 7
  //   → a1 = a2 ⌊100·7/11⌋ = 63, b1 ⌊100·9/11⌋ = 81, b2 100: b2.
  const zone = (z: string) => ({ "topology.kubernetes.io/zone": z });
  const cfg = workers(
    { name: "a1", labels: zone("a") },
    { name: "a2", labels: zone("a") },
    { name: "b1", labels: zone("b") },
    { name: "b2", labels: zone("b") },
  );
  const svc = `
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---`;
  const c = "  containers: [{name: c, image: x}]";
  const s = cluster(
    svc +
      pod("web-1", on("a1", c), "{app: web}") +
      ["web-2", "web-3", "web-4"].map((n) => pod(n, c, "{app: web}")).join(""),
    cfg,
  );
  assert.deepEqual(
    ["web-2", "web-3", "web-4"].map((n) => nodeOf(s, n)),
    ["b1", "a2", "b2"],
  );
});

test("preferred pod anti-affinity outweighs LeastAllocated; without it the emptier node wins", () => {
  // db runs on w1; w2 carries a pod requesting 4 CPUs and 1Gi.
  // LeastAllocated for web: w1 (400m, 800Mi) → ⌊(95+95)/2⌋ = 95;
  //   w2 (200+4000+100 = 4300m, 400+1024+200 = 1624Mi) → cpu 46, memory ⌊90.09⌋ = 90 → 68.
  // InterPodAffinity: the term (weight 100) matches db on w1 → w1 −100, w2 0 → normalized
  //   w1 0, w2 100 (× 2). PodTopologySpread: no web pod yet, 100 (× 2) on both.
  //   Totals: w1 95 + 200 = 295, w2 68 + 200 + 200 = 468; without the term w1 295, w2 268.
  const cfg = workers("w1", "w2");
  const base = pod("db", on("w1", "  containers: [{name: c, image: x}]")) + pod("big", on("w2", req("4", "1Gi")));
  const anti = `      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm: {labelSelector: {matchLabels: {app: db}}, topologyKey: kubernetes.io/hostname}`;
  assert.equal(podsOf(cluster(base + deployment("web", 1, { spec: anti }), cfg), "web-")[0].nodeName, "w2");
  assert.equal(podsOf(cluster(base + deployment("web", 1), cfg), "web-")[0].nodeName, "w1");
  // Preferred affinity to db (+100 on w1) keeps it on w1 even when w1 is the busier node:
  // w1 68 + 200 + 200 = 468, w2 96 + 200 = 296.
  const aff = anti.replace("podAntiAffinity", "podAffinity");
  const busy = pod("db", on("w1", req("4", "1Gi")));
  assert.equal(podsOf(cluster(busy + deployment("web", 1, { spec: aff }), cfg), "web-")[0].nodeName, "w1");
});

test("a PreferNoSchedule taint is avoided when another node fits, taken when none does", () => {
  // w1 has soft=x:PreferNoSchedule; w2 carries a pod requesting 2 CPUs and 64Mi.
  // TaintToleration: w1 1 untolerated taint, w2 0 → reversed: w1 0, w2 100 (× 3).
  // LeastAllocated: w1 (300m, 600Mi) → 96; w2 (2300m, 664Mi) → cpu 71, memory 95 → 83.
  // PodTopologySpread 100 (× 2) on both. Totals: w1 96 + 200 = 296, w2 83 + 300 + 200 = 583
  // → w2. A pod requesting 7 CPUs fits only on w1 (w2 has 6 left).
  const cfg = workers({ name: "w1", taints: [{ key: "soft", value: "x", effect: "PreferNoSchedule" }] }, "w2");
  const s = cluster(
    pod("load", on("w2", req("2", "64Mi"))) + deployment("web", 1) + pod("huge", req("7", "64Mi")),
    cfg,
  );
  assert.equal(podsOf(s, "web-")[0].nodeName, "w2");
  assert.equal(nodeOf(s, "huge"), "w1");
  // Tolerating the taint for PreferNoSchedule makes both nodes equal on that plugin:
  // w1 96 + 300 + 200 = 596 against w2's 583.
  const tol = "      tolerations: [{key: soft, operator: Exists, effect: PreferNoSchedule}]";
  const t = cluster(pod("load", on("w2", req("2", "64Mi"))) + deployment("web", 1, { spec: tol }), cfg);
  assert.equal(podsOf(t, "web-")[0].nodeName, "w1");
});

test("LeastAllocated and BalancedAllocation: a big pod goes to the emptiest node", () => {
  // Bound pods request 3, 1 and 2 CPUs (100Mi each) on w1, w2, w3; the big pod 2 CPUs, 1Gi.
  // LeastAllocated: w1 cpu (200+3000+2000) → 35, memory (400+100+1024 = 1524Mi) → 90 → 62;
  //   w2 cpu 3200 → 60, memory 90 → 75; w3 cpu 4200 → 47, memory 90 → 68.
  // BalancedAllocation (what is requested, kube-proxy and flannel request nothing):
  //   memory fraction 1124/16384 = 0.0686 everywhere; cpu w1 5000/8000 = 0.625 → 1 − 0.278
  //   → 72; w2 0.375 → 84; w3 0.5 → 78. Totals: w1 134, w2 159, w3 146 → w2.
  const cfg = workers("w1", "w2", "w3");
  const s = cluster(
    pod("a", on("w1", req("3", "100Mi"))) +
      pod("b", on("w2", req("1", "100Mi"))) +
      pod("c", on("w3", req("2", "100Mi"))) +
      pod("big", req("2", "1Gi")),
    cfg,
  );
  assert.equal(nodeOf(s, "big"), "w2");
  // Balance can beat emptiness: w1 (2 CPUs, 1Gi used) is the emptiest by LeastAllocated (62
  // against 60 and 59), but w2 (1 CPU, 4Gi) ends at 0.375/0.375 once the pod is added
  // (std 0 → 100) and wins 160 to w1's 146 (w1: 0.5/0.1875 → 84) and w3's 134
  // (3 CPUs, 256Mi: 0.625/0.140625 → 75).
  const u = cluster(
    pod("a", on("w1", req("2", "1Gi"))) +
      pod("b", on("w2", req("1", "4Gi"))) +
      pod("c", on("w3", req("3", "256Mi"))) +
      pod("big", req("2", "2Gi")),
    cfg,
  );
  assert.equal(nodeOf(u, "big"), "w2");
});

test("NodePorts: a hostPort taken on a node rules it out with kube-scheduler's reason", () => {
  const hp = "  containers: [{name: c, image: x, ports: [{containerPort: 80, hostPort: 8080}]}]";
  const s = cluster(pod("p1", hp) + pod("p2", hp) + pod("p3", hp), workers("w1", "w2"));
  assert.deepEqual(
    ["p1", "p2"].map((n) => nodeOf(s, n)),
    ["w1", "w2"],
  );
  assert.equal(
    podsOf(s, "p3")[0].message,
    "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) didn't have free ports for the requested pod ports. " +
      "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.",
  );
});

test("preferred node affinity: the heavier matching term wins over load", () => {
  // NodeAffinity: w1 matches the weight-10 term, w2 the weight-80 term → normalized by the
  // maximum: w1 ⌊100·10/80⌋ = 12, w2 100 (× 2): 24 against 200; w2 also carries a bound pod
  // (LeastAllocated 96 on w1 against 95 on w2). Totals: w1 320, w2 495 (PodTopologySpread
  // 200 on both).
  const cfg = workers({ name: "w1", labels: { disk: "hdd" } }, { name: "w2", labels: { disk: "ssd" } });
  const pref = `      affinity:
        nodeAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - {weight: 10, preference: {matchExpressions: [{key: disk, operator: In, values: [hdd]}]}}
          - {weight: 80, preference: {matchExpressions: [{key: disk, operator: In, values: [ssd]}]}}`;
  const s = cluster(
    pod("x", on("w2", "  containers: [{name: c, image: x}]")) + deployment("web", 1, { spec: pref }),
    cfg,
  );
  assert.equal(podsOf(s, "web-")[0].nodeName, "w2");
});

test("the pod's own ScheduleAnyway constraint replaces the defaults; a node without its key scores 0", () => {
  // Constraint: key zone, maxSkew 1, selector app=s. Nodes w1, w2 (zone a), w3 (zone b),
  // w4 (no zone: ignored, PodTopologySpread 0). Domains a, b → weight ln 4 = 1.386.
  // s-1: all counts 0 → w1..w3 100 (× 2), w4 0 → w1 (LeastAllocated alike, 96).
  // s-2: w1 = w2 = round(1.386) = 1, w3 0 → w1, w2 0, w3 100; totals w1 95, w2 96,
  //   w3 296, w4 96 → w3 (least-loaded alone would take w2).
  // s-3: a = b = 1 → every labelled node 1 → 100 each; LeastAllocated w2 96 beats w1 and
  //   w3 (95); w4 96 + 0 → w2.
  const cfg = workers(
    { name: "w1", labels: { zone: "a" } },
    { name: "w2", labels: { zone: "a" } },
    { name: "w3", labels: { zone: "b" } },
    "w4",
  );
  const spread = `      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: s}}}`;
  const c = (n: string) =>
    `${pod(n, "  containers: [{name: c, image: x}]\n" + spread.replace(/^ {4}/gm, ""), "{app: s}")}`;
  const s = cluster(c("s-1") + c("s-2") + c("s-3"), cfg);
  assert.deepEqual(
    ["s-1", "s-2", "s-3"].map((n) => nodeOf(s, n)),
    ["w1", "w3", "w2"],
  );
});

test("ScheduleAnyway on a key no node has: every node is ignored by the spread score, the pods still land", () => {
  // podtopologyspread/scoring.go: a node without a key of the pod's own constraints is in
  // IgnoredNodes and scores 0 in NormalizeScore; with every node ignored the other plugins
  // decide. (podnet built a normalization table of length -Infinity and stopped.)
  const s = cluster(
    deployment("web", 3, {
      spec: `      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: web}}}`,
    }),
  );
  const pods = podsOf(s, "web-");
  assert.equal(pods.length, 3);
  assert.ok(pods.every((p) => p.phase === "Running" && p.nodeName !== null));
});
