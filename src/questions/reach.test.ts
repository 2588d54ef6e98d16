import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { conformancePod, conformanceState } from "../policy/testing.js";
import type { ClusterState, OwnerRef, PodState } from "../control/state.js";
import { computeReach, diffReach, ReachTooLargeError, renderReach, renderReachChunks } from "./reach.js";
import { formatConns, allSet, single, union, intersect } from "../policy/portset.js";
import { buildState } from "../control/build.js";
import { parseSpec } from "../manifest/parse.js";

test("connection sets print as policy analysers print them", () => {
  assert.equal(formatConns(allSet()), "All Connections");
  assert.equal(formatConns(single("TCP", 8050, 8050)), "TCP 8050");
  const s = union(union(single("TCP", 1, 79), single("TCP", 81, 65535)), single("UDP", 53, 53));
  assert.equal(formatConns(s), "TCP 1-79,81-65535,UDP 53");
  // protocol order SCTP, TCP, UDP
  assert.equal(formatConns(union(single("UDP", 1, 2), single("SCTP", 9, 9))), "SCTP 9,UDP 1-2");
  assert.equal(formatConns(intersect(single("TCP", 1, 100), single("TCP", 50, 200))), "TCP 50-100");
});

test("without policies every workload pair has All Connections, self pairs left out", () => {
  const r = computeReach(conformanceState([]));
  const pods = r.lines.filter((l) => !l.src.includes("External") && !l.dst.includes("External"));
  assert.equal(pods.length, 9 * 8);
  assert.ok(pods.every((l) => l.text === "All Connections"));
  assert.ok(!pods.some((l) => l.src === l.dst));
  // The outside world (everything but the pod subnet): one peer, its two ranges around
  // 10.244.0.0/16 comma-joined in address order (netpol-analyzer's IPBlock peer names).
  const ext = r.lines.filter((l) => l.src.endsWith("[External]")).map((l) => l.src);
  assert.deepEqual([...new Set(ext)], ["0.0.0.0-10.243.255.255,10.245.0.0-255.255.255.255[External]"]);
  assert.equal(ext.length, 9); // one line into each workload
  // Replicas collapse: pods a,b,c of x with equal labels but distinct names stay distinct workloads (bare pods).
  assert.ok(r.lines.some((l) => l.src === "x/a[Pod]" && l.dst === "y/b[Pod]"));
});

test("an answer past the line cap is refused with what narrows it; --namespace narrows it", () => {
  // 9 workloads without policies: 72 pairs. A cap of 50 refuses the whole question (and the
  // --explain form, which lists denied pairs too), not a crash nor a cut list.
  const st = conformanceState([]);
  for (const opts of [{}, { explain: true, includeDenied: true }])
    assert.throws(
      () => computeReach(st, { ...opts, maxLines: 50 }),
      (e: unknown) =>
        e instanceof ReachTooLargeError &&
        /more than 50 pairs of the cluster's 9 workloads .*--namespace, --from or --to/.test(e.message),
    );
  // One namespace's pairs (either side in it) fit; they are the same lines as unbounded.
  const ns = computeReach(st, { namespace: "x", maxLines: 50 }).lines;
  const all = computeReach(st, { namespace: "x" }).lines;
  assert.deepEqual(ns, all);
  assert.ok(ns.length > 0 && ns.every((l) => l.src.startsWith("x/") || l.dst.startsWith("x/")));
});

test("the cap counts exactly the pairs that would be listed, refused before they are made", () => {
  // Without policies the 9 workloads share a class; with one, some have their own. Either
  // way an answer of exactly the cap is given and one pair more is refused.
  const policed = conformanceState([
    {
      namespace: "x",
      name: "a-80",
      spec: {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }], ports: [{ port: 80 }] }],
      },
    },
  ]);
  for (const st of [conformanceState([]), policed])
    for (const opts of [{}, { explain: true, includeDenied: true }]) {
      const pairs = computeReach(st, opts).lines.filter((l) => !/External/.test(l.src + l.dst)).length;
      assert.equal(computeReach(st, { ...opts, maxLines: pairs }).lines.length > 0, true);
      assert.throws(() => computeReach(st, { ...opts, maxLines: pairs - 1 }), ReachTooLargeError);
    }
});

test("lines are sorted and the denied pairs are left out", () => {
  const r = computeReach(
    conformanceState([
      {
        namespace: "x",
        name: "a-80",
        spec: {
          podSelector: { matchLabels: { pod: "a" } },
          ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }], ports: [{ port: 80 }] }],
        },
      },
    ]),
  );
  const toXa = r.lines.filter((l) => l.dst === "x/a[Pod]");
  assert.deepEqual(
    toXa.map((l) => `${l.src} : ${l.text}`),
    ["x/b[Pod] : TCP 80"],
  );
  const sorted = [...r.lines].sort((a, b) => (a.src + "\u0000" + a.dst < b.src + "\u0000" + b.dst ? -1 : 1));
  assert.deepEqual(
    r.lines.map((l) => l.src + l.dst),
    sorted.map((l) => l.src + l.dst),
  );
});

test("ipBlock cuts the outside into merged ranges", () => {
  const r = computeReach(
    conformanceState([
      {
        namespace: "x",
        name: "egress-web",
        spec: {
          podSelector: { matchLabels: { pod: "a" } },
          policyTypes: ["Egress"],
          egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }], ports: [{ port: 443 }] }],
        },
      },
    ]),
  );
  const out = r.lines
    .filter((l) => l.src === "x/a[Pod]" && l.dst.endsWith("[External]"))
    .map((l) => `${l.dst} : ${l.text}`);
  // 0.0.0.0/0 except 10.0.0.0/8: one peer of two ranges, as netpol-analyzer prints the block.
  assert.deepEqual(out, ["0.0.0.0-9.255.255.255,11.0.0.0-255.255.255.255[External] : TCP 443"]);
});

test("the outside's denied ranges are one peer too, the pod range cut out", () => {
  const r = computeReach(
    conformanceState([
      {
        namespace: "x",
        name: "egress-web",
        spec: {
          podSelector: { matchLabels: { pod: "a" } },
          policyTypes: ["Egress"],
          egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }], ports: [{ port: 443 }] }],
        },
      },
    ]),
    { explain: true, includeDenied: true },
  );
  const out = r.lines
    .filter((l) => l.src === "x/a[Pod]" && l.dst.endsWith("[External]"))
    .map((l) => `${l.dst} : ${l.text}`);
  assert.deepEqual(out, [
    "0.0.0.0-9.255.255.255,11.0.0.0-255.255.255.255[External] : TCP 443",
    "10.0.0.0-10.243.255.255,10.245.0.0-10.255.255.255[External] : No Connections",
  ]);
});

test("diff shows added, removed and changed connections", () => {
  const before = computeReach(conformanceState([])).lines;
  const after = computeReach(
    conformanceState([
      {
        namespace: "x",
        name: "only-80",
        spec: { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ ports: [{ port: 80 }] }] },
      },
    ]),
  ).lines;
  const d = diffReach(before, after);
  assert.ok(d.length > 0);
  assert.ok(d.every((l) => l.change === "changed" && l.after === "TCP 80" && l.before === "All Connections"));
  assert.ok(d.some((l) => l.src === "y/b[Pod]" && l.dst === "x/a[Pod]"));
});

test("output formats: csv, md, json and dot", () => {
  const lines = computeReach(conformanceState([])).lines.slice(0, 2);
  assert.match(renderReach(lines, "csv"), /^src,dst,conn\n/);
  assert.match(renderReach(lines, "md"), /^\| src \| dst \| conn \|/);
  assert.equal(JSON.parse(renderReach(lines, "json")).length, 2);
  assert.match(renderReach(lines, "dot"), /^digraph \{[\s\S]*->[\s\S]*\}\n$/);
  // The outside's peer holds commas: one quoted CSV cell (RFC 4180), one JSON string.
  const ext = computeReach(conformanceState([]))
    .lines.filter((l) => l.src.endsWith("[External]"))
    .slice(0, 1);
  assert.equal(
    renderReach(ext, "csv").split("\n")[1],
    '"0.0.0.0-10.243.255.255,10.245.0.0-255.255.255.255[External]",x/a[Pod],All Connections',
  );
  assert.equal(
    JSON.parse(renderReach(ext, "json"))[0].src,
    "0.0.0.0-10.243.255.255,10.245.0.0-255.255.255.255[External]",
  );
});

test("output in pieces: a line each, the same text as whole (json as JSON.stringify with 2 spaces)", () => {
  const lines = computeReach(conformanceState([]), { explain: true, includeDenied: true }).lines.slice(0, 3);
  assert.ok(lines.some((l) => l.explain?.length));
  const json = [...renderReachChunks(lines, "json")];
  assert.equal(json.length, lines.length + 1);
  const objs = lines.map((l) => ({ src: l.src, dst: l.dst, conn: l.text, explanation: l.explain }));
  assert.equal(json.join(""), JSON.stringify(objs, null, 2) + "\n");
  assert.equal(renderReach([], "json"), "[]\n");
  const txt = [...renderReachChunks(lines, "txt")];
  assert.equal(txt.length, lines.length);
  assert.equal(
    txt[0],
    `${lines[0].src} => ${lines[0].dst} : ${lines[0].text}\n${lines[0].explain!.map((e) => `    ${e}\n`).join("")}`,
  );
  assert.equal(renderReach([], "txt"), "");
  assert.equal([...renderReachChunks(lines, "csv")].length, lines.length + 1);
});

test("dot nodes are the peers: one node for the outside", () => {
  const dot = renderReach(computeReach(conformanceState([])).lines, "dot");
  const ext = dot.split("\n").filter((l) => l.includes("[External]") && l.includes("[label="));
  assert.deepEqual(
    ext.filter((l) => !l.includes("->")),
    [
      '\t"0.0.0.0-10.243.255.255,10.245.0.0-255.255.255.255[External]" [label="0.0.0.0-10.243.255.255,10.245.0.0-255.255.255.255[External]" color=red2 fontcolor=red2]',
    ],
  );
});

// Pods as a live cluster's dump gives them: observed, owner = the controlling ownerReference.
function observed(
  ns: string,
  name: string,
  ip: string,
  owner: OwnerRef | null,
  over: Partial<PodState> = {},
): PodState {
  return { ...conformancePod(ns, name, ip), observed: true, owner, labels: { pod: name }, ...over };
}

function dumpState(pods: PodState[], over: Partial<ClusterState> = {}): ClusterState {
  return { ...conformanceState([]), pods, ...over };
}

const wl = (r: { lines: { src: string; dst: string }[] }) =>
  [...new Set(r.lines.flatMap((l) => [l.src, l.dst]))].filter((n) => !n.endsWith("[External]")).sort();

test("observed pods are named by their controlling owner, as netpol-analyzer names them", () => {
  const r = computeReach(
    dumpState([
      observed("ns", "web-7d77fb55cc-4xk2p", "10.244.1.2", { kind: "ReplicaSet", name: "web-7d77fb55cc" }),
      observed("ns", "web-7d77fb55cc-tqw8b", "10.244.1.3", { kind: "ReplicaSet", name: "web-7d77fb55cc" }),
      observed("ns", "agent-x7k2d", "10.244.1.4", { kind: "DaemonSet", name: "agent" }),
      observed("ns", "db-0", "10.244.1.5", { kind: "StatefulSet", name: "db" }),
      observed("ns", "report-28612340-x7k2d", "10.244.1.6", { kind: "Job", name: "report-28612340" }),
      observed("ns", "redis-master-5q2kn", "10.244.1.7", { kind: "ReplicationController", name: "redis-master" }),
      observed("ns", "etcd-cp", "10.244.1.8", { kind: "Node", name: "cp" }),
      observed("ns", "debug", "10.244.1.9", null),
      observed("ns", "rollout-abc12", "10.244.1.10", {
        kind: "Rollout",
        name: "rollout",
        apiVersion: "argoproj.io/v1alpha1",
      }),
    ]),
  );
  assert.deepEqual(wl(r), [
    "ns/agent[DaemonSet]",
    "ns/db[StatefulSet]",
    "ns/debug[Pod]",
    "ns/etcd-cp[Pod]",
    "ns/redis-master[ReplicationController]",
    "ns/report-28612340[Job]",
    "ns/rollout[Rollout]",
    "ns/web-7d77fb55cc[ReplicaSet]",
  ]);
  // Two pods of one ReplicaSet are one workload: no line from it to itself.
  assert.ok(!r.lines.some((l) => l.src === l.dst));
});

test("pods podnet made keep their workload names; observed ones beside them use their owner", () => {
  const made = conformancePod("ns", "web-6759d464bd-q5z7g", "10.244.2.2");
  made.owner = { kind: "ReplicaSet", name: "web-6759d464bd" };
  made.workload = { kind: "Deployment", namespace: "ns", name: "web" };
  const r = computeReach(
    dumpState([
      observed("ns", "web-7d77fb55cc-4xk2p", "10.244.1.2", { kind: "ReplicaSet", name: "web-7d77fb55cc" }),
      made,
    ]),
  );
  assert.deepEqual(wl(r), ["ns/web-7d77fb55cc[ReplicaSet]", "ns/web[Deployment]"]);
});

test("--owner deployment climbs from a ReplicaSet to its Deployment", () => {
  const rsPod = (name: string, rs: string, hash: string, ip: string) =>
    observed("ns", name, ip, { kind: "ReplicaSet", name: rs }, { labels: { pod: name, "pod-template-hash": hash } });
  const pods = [
    // The state knows the ReplicaSet's Deployment (its ownerReference in the dump).
    rsPod("web-7d77fb55cc-4xk2p", "web-7d77fb55cc", "7d77fb55cc", "10.244.1.2"),
    // Not in the state: the Deployment controller's naming, <deployment>-<pod-template-hash>.
    rsPod("api-5c9f7d8b6-hk4zr", "api-5c9f7d8b6", "5c9f7d8b6", "10.244.1.3"),
    // A ReplicaSet given without a Deployment stays one, whatever its name looks like.
    rsPod("solo-6b7c8d9f5-abcde", "solo-6b7c8d9f5", "6b7c8d9f5", "10.244.1.4"),
    // Its name does not end in the hash: no Deployment to climb to.
    rsPod("odd-x1y2z", "odd", "6f5e4d3c2b", "10.244.1.5"),
    observed("ns", "agent-x7k2d", "10.244.1.6", { kind: "DaemonSet", name: "agent" }),
  ];
  const replicaSets = [
    { namespace: "ns", name: "web-7d77fb55cc", deployment: "frontend", podTemplateHash: "7d77fb55cc", replicas: 1 },
    { namespace: "ns", name: "solo-6b7c8d9f5", deployment: null, podTemplateHash: "6b7c8d9f5", replicas: 1 },
  ];
  const state = dumpState(pods, { replicaSets });
  assert.deepEqual(wl(computeReach(state, { owner: "deployment" })), [
    "ns/agent[DaemonSet]",
    "ns/api[Deployment]",
    "ns/frontend[Deployment]",
    "ns/odd[ReplicaSet]",
    "ns/solo-6b7c8d9f5[ReplicaSet]",
  ]);
  assert.deepEqual(wl(computeReach(state)), [
    "ns/agent[DaemonSet]",
    "ns/api-5c9f7d8b6[ReplicaSet]",
    "ns/odd[ReplicaSet]",
    "ns/solo-6b7c8d9f5[ReplicaSet]",
    "ns/web-7d77fb55cc[ReplicaSet]",
  ]);
});

test("workloads podnet added itself are left out unless includeSystem", () => {
  const dns = conformancePod("kube-system", "coredns-6f6b679f8f-abcde", "10.244.0.2");
  dns.system = true;
  dns.workload = { kind: "Deployment", namespace: "kube-system", name: "coredns" };
  const user = observed("kube-system", "coredns-76f75df574-x2k9p", "10.244.0.3", {
    kind: "ReplicaSet",
    name: "coredns-76f75df574",
  });
  const app = observed("ns", "debug", "10.244.1.9", null);
  const state = dumpState([dns, user, app]);
  assert.deepEqual(wl(computeReach(state)), ["kube-system/coredns-76f75df574[ReplicaSet]", "ns/debug[Pod]"]);
  assert.deepEqual(wl(computeReach(state, { includeSystem: true })), [
    "kube-system/coredns-76f75df574[ReplicaSet]",
    "kube-system/coredns[Deployment]",
    "ns/debug[Pod]",
  ]);
});

test("--owner deployment climbs from a Job to its CronJob: every run is one workload", () => {
  const jobPod = (name: string, job: string, ip: string) => observed("ns", name, ip, { kind: "Job", name: job });
  const obj = (kind: string, name: string, owner?: { kind: string; name: string }) => ({
    apiVersion: "batch/v1",
    kind,
    metadata: {
      namespace: "ns",
      name,
      ...(owner ? { ownerReferences: [{ apiVersion: "batch/v1", ...owner, uid: "u", controller: true }] } : {}),
    },
  });
  const state = dumpState(
    [
      // Given Jobs: their ownerReference says whose run they are (or that they are nobody's).
      jobPod("report-29147520-x7k2d", "report-29147520", "10.244.1.2"),
      jobPod("report-29147580-q9w8e", "report-29147580", "10.244.1.3"),
      jobPod("migrate-29147520-abcde", "migrate-29147520", "10.244.1.4"),
      // Not given: the CronJob controller's naming, <cronjob>-<minutes>, of a given CronJob.
      jobPod("backup-29147600-mn3op", "backup-29147600", "10.244.1.5"),
      // Neither the Job nor a CronJob of that name: the Job stays.
      jobPod("orphan-29147600-zz9yy", "orphan-29147600", "10.244.1.6"),
    ],
    {
      objects: [
        obj("CronJob", "report"),
        obj("CronJob", "backup"),
        obj("CronJob", "migrate"),
        obj("Job", "report-29147520", { kind: "CronJob", name: "report" }),
        obj("Job", "report-29147580", { kind: "CronJob", name: "report" }),
        // Named like a run of migrate, but made by hand: no controller.
        obj("Job", "migrate-29147520"),
      ],
    },
  );
  assert.deepEqual(wl(computeReach(state, { owner: "deployment" })), [
    "ns/backup[CronJob]",
    "ns/migrate-29147520[Job]",
    "ns/orphan-29147600[Job]",
    "ns/report[CronJob]",
  ]);
  // By default (netpol-analyzer's naming) each run is its own Job.
  assert.deepEqual(wl(computeReach(state)), [
    "ns/backup-29147600[Job]",
    "ns/migrate-29147520[Job]",
    "ns/orphan-29147600[Job]",
    "ns/report-29147520[Job]",
    "ns/report-29147580[Job]",
  ]);
});

test("a CronJob is a workload by its job template, before any Job has run (as netpol-analyzer lists it)", () => {
  const dep = (name: string, port?: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: c
        image: nginx${port ? `\n        ports: [{containerPort: ${port}}]` : ""}
`;
  const text = [
    dep("db", 5432),
    dep("web"),
    `apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        metadata:
          labels: {app: backup}
        spec:
          restartPolicy: OnFailure
          containers:
          - name: c
            image: busybox
`,
    `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db
spec:
  podSelector:
    matchLabels: {app: db}
  ingress:
  - from:
    - podSelector:
        matchLabels: {app: backup}
    ports:
    - port: 5432
`,
  ].join("---\n");
  const state = buildState(parseSpec([{ file: "m.yaml", text }]));
  const into = (dst: string) =>
    computeReach(state)
      .lines.filter((l) => l.dst === dst)
      .map((l) => `${l.src} : ${l.text}`);
  // db admits only the CronJob's pods, on 5432; nothing else reaches it.
  assert.deepEqual(into("default/db[Deployment]"), ["default/backup[CronJob] : TCP 5432"]);
  // Nothing isolates the CronJob's pods: every other workload and the outside reach them.
  assert.deepEqual(into("default/backup[CronJob]"), [
    "0.0.0.0-10.243.255.255,10.245.0.0-255.255.255.255[External] : All Connections",
    "default/db[Deployment] : All Connections",
    "default/web[Deployment] : All Connections",
  ]);
  // It has no pod: nothing runs until 03:00.
  assert.ok(!state.pods.some((p) => p.labels.app === "backup"));
});

test("a Pending pod is a workload by its labels; a finished one is not", () => {
  const text = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: db
spec:
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      nodeSelector: {disk: ssd}
      containers:
      - name: c
        image: postgres
---
apiVersion: v1
kind: Pod
metadata:
  name: client
  labels: {app: client}
spec:
  containers:
  - name: c
    image: busybox
`;
  const state = buildState(parseSpec([{ file: "m.yaml", text }]));
  // No node has disk=ssd: the scheduler leaves db's pod Pending, without an address.
  const db = state.pods.find((p) => p.labels.app === "db")!;
  assert.deepEqual([db.phase, db.podIP], ["Pending", null]);
  const pairs = (s: typeof state) =>
    computeReach(s)
      .lines.filter((l) => !l.src.includes("External") && !l.dst.includes("External"))
      .map((l) => `${l.src} => ${l.dst}`);
  assert.deepEqual(pairs(state), [
    "default/client[Pod] => default/db[Deployment]",
    "default/db[Deployment] => default/client[Pod]",
  ]);
  // Finished (a Job's pod that succeeded): its sandbox is gone, it talks no more.
  const done = { ...state, pods: state.pods.map((p) => (p === db ? { ...p, phase: "Succeeded" as const } : p)) };
  assert.deepEqual(pairs(done), []);
});

/** An example directory's manifests (cluster.yaml left out), and the demo's config text. */
const ex = (d: string) => fileURLToPath(new URL(`../../../examples/${d}`, import.meta.url));
const dir = (d: string) =>
  readdirSync(d)
    .filter((f) => f.endsWith(".yaml") && f !== "cluster.yaml")
    .map((f) => ({ file: `${d}/${f}`, text: readFileSync(`${d}/${f}`, "utf8") }));

test("Cilium's policies in reach: allow-lists, the policy's namespace, a deny rule subtracted", async () => {
  // The demo with examples/cilium-policies on a Cilium cluster; expectations from Cilium's
  // policy language (https://docs.cilium.io/en/stable/security/policy/language/).
  const config = {
    file: "cluster.yaml",
    text: readFileSync(`${ex("demo")}/cluster.yaml`, "utf8")
      .replace("cni: flannel", "cni: cilium")
      .replace("kubeProxyMode: iptables", "kubeProxyMode: none"),
  };
  const spec = parseSpec([...dir(ex("demo")), ...dir(ex("cilium-policies"))], config);
  const lines = computeReach(buildState(spec)).lines.map((l) => `${l.src} => ${l.dst} : ${l.text}`);
  const has = (l: string) => assert.ok(lines.includes(l), `missing: ${l}`);
  // order-app's egress allow-list: the backends' named port http in its own namespace only.
  has("default/order-app[Deployment] => default/user-app[Deployment] : TCP 8080");
  assert.ok(!lines.some((l) => l.startsWith("default/order-app[Deployment] => production/")));
  assert.ok(!lines.some((l) => l.startsWith("default/order-app[Deployment] => default/auth")));
  // tasks admits users on 8000 only, and nothing from outside.
  has("default/users-deployment[Deployment] => default/tasks-deployment[Deployment] : TCP 8000");
  assert.ok(!lines.some((l) => l.endsWith("=> default/tasks-deployment[Deployment] : All Connections")));
  // The clusterwide deny: no pod reaches TCP 2020, anything else stays open (enableDefaultDeny false).
  has(
    "default/auth-deployment[Deployment] => default/user-app[Deployment] : SCTP 1-65535,TCP 1-2019,2021-65535,UDP 1-65535",
  );
  has("0.0.0.0-10.243.255.255,10.245.0.0-255.255.255.255[External] => default/user-app[Deployment] : All Connections");
});

test("Calico's policies in reach: a tier's Deny and Pass, an allow-list, a GlobalNetworkSet", async () => {
  // The demo with examples/calico-policies on a Calico cluster; expectations derived by hand
  // from Calico's semantics (https://docs.tigera.io/calico/latest/network-policy/policy-tiers/tiered-policy):
  // tier security first, first match wins, Pass to the next tier, a tier that selects the pod
  // ends in a deny, a pod no policy of the default tier selects falls to the profile (allow).
  const config = {
    file: "cluster.yaml",
    text: readFileSync(`${ex("demo")}/cluster.yaml`, "utf8").replace("cni: flannel", "cni: calico"),
  };
  const { checkSpec } = await import("../manifest/parse.js");
  // Read strictly (as `up` reads), without an error or a warning on the example.
  const { spec, diagnostics } = checkSpec([...dir(ex("demo")), ...dir(ex("calico-policies"))], config);
  assert.deepEqual(diagnostics, []);
  const lines = computeReach(buildState(spec)).lines.map((l) => `${l.src} => ${l.dst} : ${l.text}`);
  const has = (l: string) => assert.ok(lines.includes(l), `missing: ${l}`);
  const notMetrics = "SCTP 1-65535,TCP 1-2019,2021-65535,UDP 1-65535";
  // tasks: TCP 2020 denied in tier security, the rest passed; in the default tier tasks-allow
  // admits users and auth (its namespace) and production's pods with an app label on 8000;
  // the tier's end denies the rest, order-app and the world outside included.
  has("default/users-deployment[Deployment] => default/tasks-deployment[Deployment] : TCP 8000");
  has("default/auth-deployment[Deployment] => default/tasks-deployment[Deployment] : TCP 8000");
  has("production/user-app[Deployment] => default/tasks-deployment[Deployment] : TCP 8000");
  assert.ok(!lines.some((l) => l.startsWith("default/order-app[Deployment] => default/tasks-deployment")));
  assert.ok(!lines.some((l) => l.includes("[External] => default/tasks-deployment")));
  // Other pods: no default-tier policy selects them, so what security passes the profile allows.
  has(`default/order-app[Deployment] => default/user-app[Deployment] : ${notMetrics}`);
  has(`0.0.0.0-10.243.255.255,10.245.0.0-255.255.255.255[External] => production/user-app[Deployment] : ${notMetrics}`);
  // Egress: the GlobalNetworkSet's nets are denied to every pod, everything else passes.
  has(
    "default/order-app[Deployment] => 0.0.0.0-10.243.255.255,10.245.0.0-198.51.99.255,198.51.101.0-203.0.112.255,203.0.114.0-255.255.255.255[External] : All Connections",
  );
});
