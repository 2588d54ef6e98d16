// Pods and nodes read from a live cluster, printed as kubectl prints them: the expected
// cells follow kubernetes/kubernetes pkg/printers/internalversion/printers.go (printPod,
// printNode) applied by hand to each status below.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ClusterState, NodeState, PodState } from "../control/state.js";
import { emptyState } from "../testing/fixtures.js";
import { describeNode } from "./describe.js";
import { findResource, getView } from "./get.js";
import { ageSince, observedPodCells, snapshotTime } from "./observed.js";
import { fixtureConfig, node, pod } from "./testing.js";
import { join } from "node:path";
import { loadCluster } from "../load/cluster.js";
import { packageRoot } from "../load/input.js";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { KubeObject } from "../manifest/types.js";

// The newest timestamp in the input: the node's Ready heartbeat.
const NOW = "2026-03-02T10:00:00Z";

function observedNode(
  over: Partial<NonNullable<NodeState["observed"]>> = {},
  base = node("kind-worker", 1),
): NodeState {
  return {
    ...base,
    observed: {
      created: "2026-03-01T08:14:05Z",
      nodeInfo: {
        kubeletVersion: "v1.29.2",
        osImage: "Debian GNU/Linux 12 (bookworm)",
        kernelVersion: "6.1.0-18-amd64",
        containerRuntimeVersion: "containerd://1.7.13",
      },
      addresses: [
        { type: "InternalIP", address: "172.18.0.3" },
        { type: "Hostname", address: base.name },
      ],
      conditions: [
        { type: "MemoryPressure", status: "False", lastHeartbeatTime: "2026-03-02T09:59:00Z" },
        { type: "Ready", status: "True", lastHeartbeatTime: NOW, lastTransitionTime: "2026-03-01T08:14:40Z" },
      ],
      ...over,
    },
  };
}

const running = (startedAt: string) => ({ running: { startedAt } });

function observedPod(name: string, status: Record<string, unknown>, over: Partial<PodState> = {}): PodState {
  return pod("default", name, "10.244.1.2", "kind-worker", { observed: true, status, ...over });
}

/** The pods as the dump gave them (state.objects), each with its creationTimestamp. */
function stateOf(
  pods: PodState[],
  nodes: NodeState[] = [observedNode()],
  created: Record<string, string> = {},
): ClusterState {
  const objects = pods.map((p) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: p.name, namespace: p.namespace, creationTimestamp: created[p.name] },
    spec: p.spec,
    status: p.status,
  }));
  return emptyState(fixtureConfig(), { clock: 99999, nodes, pods, objects });
}

const webStatus = {
  phase: "Running",
  startTime: "2026-03-02T05:00:00Z",
  podIP: "10.244.1.2",
  podIPs: [{ ip: "10.244.1.2" }],
  conditions: [
    { type: "Initialized", status: "True", lastTransitionTime: "2026-03-02T05:00:00Z" },
    { type: "Ready", status: "True", lastTransitionTime: "2026-03-02T05:00:06Z" },
  ],
  containerStatuses: [
    { name: "web", ready: true, started: true, restartCount: 0, state: running("2026-03-02T05:00:05Z") },
  ],
};

test("get pods: an observed Running pod, its age against the snapshot's newest timestamp", () => {
  const s = stateOf([observedPod("web-7d77fb55cc-4xk2p", webStatus)], undefined, {
    "web-7d77fb55cc-4xk2p": "2026-03-02T04:59:58Z",
  });
  assert.equal(snapshotTime(s), Date.parse(NOW));
  const out = getView(s, findResource("pods")!, { output: "wide" });
  assert.equal(
    out.stdout,
    [
      "NAME                   READY   STATUS    RESTARTS   AGE   IP           NODE          NOMINATED NODE   READINESS GATES",
      "web-7d77fb55cc-4xk2p   1/1     Running   0          5h    10.244.1.2   kind-worker   <none>           <none>",
      "",
    ].join("\n"),
  );
});

test("a pod's AGE is its creationTimestamp, not its startTime (printPod)", () => {
  // printers.go printPod: `row.Cells = append(..., translateTimestampSince(pod.CreationTimestamp))`.
  // Restarted on another start time 2 days after creation: AGE still counts from creation.
  const late = { ...webStatus, startTime: "2026-03-02T09:00:00Z" };
  // Pending, not yet started: no startTime, yet kubectl prints its age.
  const pending = { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False" }] };
  const s = stateOf(
    [observedPod("a", late), observedPod("b", pending, { nodeName: null }), observedPod("c", late)],
    undefined,
    {
      a: "2026-02-28T10:00:00Z",
      b: "2026-03-02T07:00:00Z",
    },
  );
  const ages = getView(s, findResource("pods")!)
    .stdout.split("\n")
    .slice(1, -1)
    .map((l) => l.split(/\s+/).at(-1));
  // c has no creationTimestamp: translateTimestampSince of a zero time is "<unknown>".
  assert.deepEqual(ages, ["2d", "3h", "<unknown>"]);
});

test("a Pending pod's creation counts towards the snapshot's time", () => {
  const pending = { phase: "Pending" };
  const s = stateOf([observedPod("b", pending, { nodeName: null })], [], { b: "2026-03-02T07:00:00Z" });
  assert.equal(snapshotTime(s), Date.parse("2026-03-02T07:00:00Z"));
});

test("STATUS, READY and RESTARTS follow printPod for each kind of status", () => {
  const cells = (status: Record<string, unknown>, over: Partial<PodState> = {}) => {
    const p = observedPod("p", status, over);
    const c = observedPodCells(stateOf([p]), p);
    return `${c.ready} ${c.status} ${c.restarts}`;
  };
  const terminated = (reason: string | undefined, exitCode: number, signal = 0) => ({
    terminated: { reason, exitCode, signal, startedAt: "2026-03-02T09:00:00Z", finishedAt: "2026-03-02T09:10:00Z" },
  });
  // A finished Job pod: its container terminated with reason Completed.
  assert.equal(
    cells({
      phase: "Succeeded",
      startTime: "2026-03-02T09:00:00Z",
      containerStatuses: [{ name: "c", ready: false, restartCount: 0, state: terminated("Completed", 0) }],
    }),
    "0/1 Completed 0",
  );
  // Crash-looping: the waiting reason; restarts with the last one's age.
  assert.equal(
    cells({
      phase: "Running",
      containerStatuses: [
        {
          name: "c",
          ready: false,
          restartCount: 5,
          state: { waiting: { reason: "CrashLoopBackOff" } },
          lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: "2026-03-02T09:57:00Z" } },
        },
      ],
    }),
    "0/1 CrashLoopBackOff 5 (3m ago)",
  );
  assert.equal(
    cells({
      phase: "Pending",
      containerStatuses: [
        { name: "c", ready: false, restartCount: 0, state: { waiting: { reason: "ContainerCreating" } } },
      ],
    }),
    "0/1 ContainerCreating 0",
  );
  // Unscheduled: the phase; an evicted pod: status.reason.
  assert.equal(cells({ phase: "Pending" }), "0/1 Pending 0");
  assert.equal(cells({ phase: "Failed", reason: "Evicted" }), "0/1 Evicted 0");
  // Exited without a reason: ExitCode:N, or Signal:N.
  assert.equal(
    cells({ phase: "Failed", containerStatuses: [{ name: "c", restartCount: 0, state: terminated(undefined, 137) }] }),
    "0/1 ExitCode:137 0",
  );
  assert.equal(
    cells({ phase: "Failed", containerStatuses: [{ name: "c", restartCount: 0, state: terminated(undefined, 0, 9) }] }),
    "0/1 Signal:9 0",
  );
  // One container completed, the other still running and ready: Running (Ready condition) or NotReady.
  const two = { containers: [{ name: "a" }, { name: "b" }] };
  const mixed = (ready: string) => ({
    phase: "Running",
    conditions: [{ type: "Ready", status: ready }],
    containerStatuses: [
      { name: "a", ready: true, restartCount: 0, state: running("2026-03-02T09:00:00Z") },
      { name: "b", ready: false, restartCount: 0, state: terminated("Completed", 0) },
    ],
  });
  assert.equal(cells(mixed("True"), { spec: two }), "1/2 Running 0");
  assert.equal(cells(mixed("False"), { spec: two }), "1/2 NotReady 0");
  // Being deleted.
  assert.equal(cells(webStatus, { terminating: true }), "1/1 Terminating 0");
});

test("init containers: Init:N/M, Init:<reason>, Init:ExitCode; sidecars count in READY", () => {
  const spec = { containers: [{ name: "app" }], initContainers: [{ name: "i1" }, { name: "i2" }] };
  const cells = (inits: unknown[], over: Partial<PodState> = {}) => {
    const p = observedPod("p", { phase: "Pending", initContainerStatuses: inits }, { spec, ...over });
    const c = observedPodCells(stateOf([p]), p);
    return `${c.ready} ${c.status} ${c.restarts}`;
  };
  const done = { name: "i1", restartCount: 0, state: { terminated: { exitCode: 0, reason: "Completed" } } };
  assert.equal(cells([{ name: "i1", restartCount: 0, state: running("2026-03-02T09:00:00Z") }]), "0/1 Init:0/2 0");
  assert.equal(
    cells([done, { name: "i2", restartCount: 0, state: { waiting: { reason: "PodInitializing" } } }]),
    "0/1 Init:1/2 0",
  );
  assert.equal(
    cells([done, { name: "i2", restartCount: 3, state: { waiting: { reason: "CrashLoopBackOff" } } }]),
    "0/1 Init:CrashLoopBackOff 3",
  );
  assert.equal(
    cells([done, { name: "i2", restartCount: 0, state: { terminated: { exitCode: 1, reason: "Error" } } }]),
    "0/1 Init:Error 0",
  );
  assert.equal(
    cells([{ name: "i1", restartCount: 0, state: { terminated: { exitCode: 2 } } }]),
    "0/1 Init:ExitCode:2 0",
  );
  // A sidecar (restartPolicy: Always) is counted among the containers; started and ready, it is ready.
  const proxy = { name: "proxy", restartPolicy: "Always" };
  const sidecar = { containers: [{ name: "app" }], initContainers: [proxy] };
  const p = observedPod(
    "p",
    {
      phase: "Running",
      conditions: [{ type: "Initialized", status: "True" }],
      initContainerStatuses: [
        { name: "proxy", ready: true, started: true, restartCount: 1, state: running("2026-03-02T09:00:00Z") },
      ],
      containerStatuses: [{ name: "app", ready: true, restartCount: 0, state: running("2026-03-02T09:00:00Z") }],
    },
    { spec: sidecar },
  );
  const c = observedPodCells(stateOf([p]), p);
  assert.equal(`${c.ready} ${c.status} ${c.restarts}`, "2/2 Running 1");
});

test("AGE is <unknown> without a timestamp, as kubectl prints a zero creationTimestamp", () => {
  const s = stateOf([observedPod("p", { phase: "Pending" })], [node("kind-worker", 1)]);
  assert.equal(ageSince(s, undefined), "<unknown>");
  assert.equal(ageSince(s, "2026-03-02T08:00:00Z"), "<unknown>"); // no observed time at all
  assert.equal(getView(s, findResource("pods")!).stdout.split("\n")[1].split(/\s+/)[4], "<unknown>");
});

test("get nodes -o wide: an observed node's status, version, addresses and system info", () => {
  const cp = observedNode({}, node("kind-control-plane", 0, "control-plane"));
  cp.observed!.addresses = [
    { type: "InternalIP", address: "172.18.0.2" },
    { type: "ExternalIP", address: "203.0.113.7" },
  ];
  const notReady = observedNode({
    conditions: [{ type: "Ready", status: "Unknown", lastHeartbeatTime: "2026-03-02T09:00:00Z" }],
    nodeInfo: { kubeletVersion: "v1.29.2" },
  });
  const cordoned = observedNode({}, node("kind-worker2", 2));
  cordoned.taints = [{ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" }];
  const noConditions = observedNode({ conditions: [], addresses: [] }, node("kind-worker3", 3));
  const s = stateOf([], [cp, { ...notReady }, cordoned, noConditions]);
  assert.equal(
    getView(s, findResource("nodes")!, { output: "wide" }).stdout,
    [
      "NAME                 STATUS                     ROLES           AGE   VERSION   INTERNAL-IP   EXTERNAL-IP   OS-IMAGE                         KERNEL-VERSION   CONTAINER-RUNTIME",
      "kind-control-plane   Ready                      control-plane   25h   v1.29.2   172.18.0.2    203.0.113.7   Debian GNU/Linux 12 (bookworm)   6.1.0-18-amd64   containerd://1.7.13",
      "kind-worker          NotReady                   <none>          25h   v1.29.2   172.18.0.3    <none>        <unknown>                        <unknown>        <unknown>",
      "kind-worker2         Ready,SchedulingDisabled   <none>          25h   v1.29.2   172.18.0.3    <none>        Debian GNU/Linux 12 (bookworm)   6.1.0-18-amd64   containerd://1.7.13",
      "kind-worker3         Unknown                    <none>          25h   v1.29.2   <none>        <none>        Debian GNU/Linux 12 (bookworm)   6.1.0-18-amd64   containerd://1.7.13",
      "",
    ].join("\n"),
  );
});

test("-o json and describe show what an observed node and pod reported", () => {
  const p = observedPod("web-7d77fb55cc-4xk2p", webStatus, {
    owner: { kind: "ReplicaSet", name: "web-7d77fb55cc", apiVersion: "apps/v1" },
  });
  const n = observedNode();
  n.observed!.addresses!.push({ type: "ExternalIP", address: "203.0.113.9" });
  const s = stateOf([p], [n]);
  const nodeJson = JSON.parse(getView(s, findResource("nodes")!, { output: "json", names: ["kind-worker"] }).stdout);
  assert.equal(nodeJson.metadata.creationTimestamp, "2026-03-01T08:14:05Z");
  assert.equal(nodeJson.status.nodeInfo.kubeletVersion, "v1.29.2");
  assert.deepEqual(nodeJson.status.addresses.at(-1), { type: "ExternalIP", address: "203.0.113.9" });
  assert.equal(nodeJson.status.conditions.find((c: { type: string }) => c.type === "Ready").lastHeartbeatTime, NOW);
  const podJson = JSON.parse(getView(s, findResource("pods")!, { output: "json", names: [p.name] }).stdout);
  assert.deepEqual(podJson.status, webStatus);
  const d = describeNode(s, n);
  assert.match(d, /Kubelet Version:\s+v1\.29\.2\n/);
  assert.match(d, /Kernel Version:\s+6\.1\.0-18-amd64\n/);
  assert.match(d, /ExternalIP:\s+203\.0\.113\.9\n/);
});

test("a node only implied by its pods reports nothing: Unknown, <unknown> age and system info", () => {
  const implied: NodeState = { ...node("worker-a", 4), address: "10.0.1.17", implied: true };
  const s = stateOf([], [observedNode(), implied]);
  const rows = getView(s, findResource("nodes")!, { output: "wide" }).stdout.split("\n");
  assert.deepEqual(rows[2].split(/\s{2,}/), [
    "worker-a",
    "Unknown",
    "<none>",
    "<unknown>",
    "10.0.1.17",
    "<none>",
    "<unknown>",
    "<unknown>",
    "<unknown>",
  ]);
});

test("a dump's Services, Endpoints, slices, workloads and Namespaces: AGE from their creationTimestamp", async () => {
  // examples/snapshots/kind-flannel.yaml: the newest timestamp is a node heartbeat at
  // 09:02:11; Service web was created at 08:21:37 (40m34s before: printers.go HumanDuration
  // prints "40m"), kube-dns at 08:14:06 (48m05s: "48m"); the dump has no Endpoints objects,
  // so those count from their Service, as the endpoints controller makes them at once.
  const { state } = await loadCluster({
    files: [join(packageRoot(), "examples", "snapshots", "kind-flannel.yaml")],
    mode: "tolerant",
  });
  const rows = (kind: string) =>
    getView(state, findResource(kind)!, { allNamespaces: true })
      .stdout.split("\n")
      .slice(1)
      .filter(Boolean)
      .map((l) => l.split(/\s+/));
  const age = (kind: string, name: string) =>
    rows(kind)
      .find((r) => r[1] === name)
      ?.at(-1);
  assert.equal(age("svc", "web"), "40m");
  assert.equal(age("svc", "kube-dns"), "48m");
  assert.equal(age("ep", "web"), "40m");
  assert.equal(age("deploy", "web"), "40m");
  // Namespaces are cluster-scoped: NAME is the first column; kube-flannel at 08:14:41.
  const ns = new Map(rows("ns").map((r) => [r[0], r.at(-1)]));
  assert.equal(ns.get("default"), "48m");
  assert.equal(ns.get("kube-flannel"), "47m");
});

test("get pod -o yaml: a dump's pod as the API server returned it", async () => {
  // kubectl get -o yaml prints the object the API server returns, without managedFields
  // unless --show-managed-fields (kubernetes/kubectl pkg/cmd/get/get.go). podnet invented a
  // creationTimestamp and dropped the ownerReference's uid, generateName, resourceVersion.
  const file = join(packageRoot(), "examples", "snapshots", "kind-flannel.yaml");
  const { state } = await loadCluster({ files: [file], mode: "tolerant" });
  const items = (parse(readFileSync(file, "utf8")) as { items: KubeObject[] }).items;
  const given = items.filter((o) => o.kind === "Pod" && o.metadata.ownerReferences);
  assert.ok(given.length > 0);
  for (const o of given) {
    const out = getView(state, findResource("pods")!, {
      output: "yaml",
      namespace: o.metadata.namespace,
      names: [o.metadata.name],
    });
    const { managedFields: _m, ...metadata } = o.metadata as KubeObject["metadata"] & { managedFields?: unknown };
    assert.deepEqual(parse(out.stdout), { ...o, metadata }, o.metadata.name);
  }
});

test("describe node and get node -o yaml: a dump's Node as it says itself", () => {
  // kubernetes/kubectl pkg/describe/describe.go describeNode: CreationTimestamp, Lease,
  // Conditions ("%v \t%v \t%s \t%s \t%v \t%v"), Capacity/Allocatable as given (sorted),
  // System Info from Machine ID to Kube-Proxy Version, PodCIDR(s) and ProviderID when set.
  const n = observedNode();
  const given = {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: n.name, uid: "u-1", resourceVersion: "9", creationTimestamp: "2026-03-01T08:14:05Z" },
    spec: { podCIDR: "10.244.1.0/24", podCIDRs: ["10.244.1.0/24"], providerID: "kind://docker/kind/kind-worker" },
    status: {
      capacity: { cpu: "8", "ephemeral-storage": "102625208Ki", memory: "16283932Ki", pods: "110" },
      allocatable: { cpu: "8", "ephemeral-storage": "102625208Ki", memory: "16283932Ki", pods: "110" },
      conditions: [
        {
          type: "Ready",
          status: "True",
          lastHeartbeatTime: NOW,
          lastTransitionTime: "2026-03-01T08:14:40Z",
          reason: "KubeletReady",
          message: "kubelet is posting ready status",
        },
      ],
      nodeInfo: {
        machineID: "3f1e8c5a",
        systemUUID: "3f1e8c5a-1b2c",
        bootID: "5d2a1f77",
        kernelVersion: "6.1.0-18-amd64",
        osImage: "Debian GNU/Linux 12 (bookworm)",
        operatingSystem: "linux",
        architecture: "amd64",
        containerRuntimeVersion: "containerd://1.7.13",
        kubeletVersion: "v1.29.2",
        kubeProxyVersion: "v1.29.2",
      },
    },
  };
  const lease = {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: n.name, namespace: "kube-node-lease" },
    spec: { holderIdentity: n.name, renewTime: "2026-03-02T09:59:58.000000Z" },
  };
  const s = emptyState(fixtureConfig(), { clock: 99999, nodes: [n], pods: [], objects: [given, lease] });
  const lines = describeNode(s, n).split("\n");
  const from = (head: string, count: number) => {
    const i = lines.findIndex((l) => l.startsWith(head));
    return lines.slice(i, i + count).map((l) => l.replace(/\s+/g, " ").trimEnd());
  };
  assert.deepEqual(from("CreationTimestamp:", 1), ["CreationTimestamp: Sun, 01 Mar 2026 08:14:05 +0000"]);
  assert.deepEqual(from("Lease:", 4), [
    "Lease:",
    " HolderIdentity: kind-worker",
    " AcquireTime: <unset>",
    " RenewTime: Mon, 02 Mar 2026 09:59:58 +0000",
  ]);
  assert.deepEqual(from("Conditions:", 4), [
    "Conditions:",
    " Type Status LastHeartbeatTime LastTransitionTime Reason Message",
    " ---- ------ ----------------- ------------------ ------ -------",
    " Ready True Mon, 02 Mar 2026 10:00:00 +0000 Sun, 01 Mar 2026 08:14:40 +0000 KubeletReady kubelet is posting ready status",
  ]);
  assert.deepEqual(from("Capacity:", 5), [
    "Capacity:",
    " cpu: 8",
    " ephemeral-storage: 102625208Ki",
    " memory: 16283932Ki",
    " pods: 110",
  ]);
  assert.deepEqual(from("System Info:", 14), [
    "System Info:",
    " Machine ID: 3f1e8c5a",
    " System UUID: 3f1e8c5a-1b2c",
    " Boot ID: 5d2a1f77",
    " Kernel Version: 6.1.0-18-amd64",
    " OS Image: Debian GNU/Linux 12 (bookworm)",
    " Operating System: linux",
    " Architecture: amd64",
    " Container Runtime Version: containerd://1.7.13",
    " Kubelet Version: v1.29.2",
    " Kube-Proxy Version: v1.29.2",
    "PodCIDR: 10.244.1.0/24",
    "PodCIDRs: 10.244.1.0/24",
    "ProviderID: kind://docker/kind/kind-worker",
  ]);
  // kubectl get -o yaml prints the object as the API server returned it: no hugepages or
  // 100Gi ephemeral storage of podnet's defaults.
  const out = getView(s, findResource("nodes")!, { output: "yaml", names: [n.name] }).stdout;
  assert.deepEqual(parse(out), given);
});
