// A dump read item by item (files from SPLIT_ABOVE bytes on) leaves what only the whole
// pod's views show for later (manifest/documents.ts inFull): those views must print every
// pod as they do when the same dump is read whole.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sameObject } from "../control/objects.js";
import type { ClusterState } from "../control/state.js";
import { loadCluster } from "../load/cluster.js";
import { packageRoot } from "../load/input.js";
import { SPLIT_ABOVE } from "../manifest/parse.js";
import { buildIR } from "../dataplane/build.js";
import { computeReach } from "../questions/reach.js";
import { describePod } from "./describe.js";
import { findResource, getView } from "./get.js";

/**
 * `body` over the states of `text` (a List) read whole and, padded past SPLIT_ABOVE, item by
 * item (in part); the files stay while it runs (what was left out is read from them).
 */
async function bothWays(text: string, body: (whole: ClusterState, inPart: ClusterState) => void): Promise<void> {
  // The same List past the size from which a file is read item by item (a ConfigMap of padding).
  const line = `      ${"x".repeat(100)}\n`;
  const pad = `- apiVersion: v1\n  data:\n    pad: |\n${line.repeat(SPLIT_ABOVE / 100)}  kind: ConfigMap\n  metadata:\n    name: padding\n    namespace: default\n`;
  const dir = mkdtempSync(join(tmpdir(), "podnet-slim-"));
  try {
    const small = join(dir, "whole.yaml");
    const large = join(dir, "split.yaml");
    writeFileSync(small, text);
    writeFileSync(large, text.replace(/^kind: List$/m, `${pad}kind: List`));
    const a = (await loadCluster({ files: [small], mode: "tolerant" })).state;
    const b = (await loadCluster({ files: [large], mode: "tolerant" })).state;
    body(a, b);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a dump read in part: get -o yaml/json, describe and get -o wide print each pod as read whole", async () => {
  const text = readFileSync(join(packageRoot(), "examples", "snapshots", "kind-flannel.yaml"), "utf8");
  await bothWays(text, (a, b) => {
    const slim = (b.objects ?? []).filter(
      (o) => o.kind === "Pod" && (o as { source?: { later?: unknown } }).source?.later,
    );
    assert.ok(slim.length >= 10, `pods read in part: ${slim.length}`);
    // The reconcile step's "unchanged?" compares a pod read in part with one read whole as whole.
    const given = (a.objects ?? []).find((o) => o.kind === "Pod" && o.metadata.name === slim[0].metadata.name)!;
    assert.ok(sameObject(slim[1], given) === false && sameObject(slim[0], given));
    const pods = findResource("pods")!;
    const wide = (s: typeof a) => getView(s, pods, { output: "wide", allNamespaces: true }).stdout;
    assert.equal(wide(b), wide(a));
    for (const p of a.pods) {
      const q = b.pods.find((x) => x.namespace === p.namespace && x.name === p.name)!;
      for (const output of ["yaml", "json"] as const) {
        const view = (s: typeof a) => getView(s, pods, { output, namespace: p.namespace, names: [p.name] }).stdout;
        assert.equal(view(b), view(a), `${output} ${p.namespace}/${p.name}`);
      }
      assert.equal(describePod(b, q), describePod(a, p), `describe ${p.namespace}/${p.name}`);
    }
    assert.equal(wide(b), wide(a));
    assert.ok(a.pods.length === b.pods.length && a.pods.some((p) => p.observed));
  });
});

// Pods as `kubectl get pods -o yaml` writes them (keys sorted, status from the kubelet): one
// whose sidecar crash-loops, one the scheduler could not place (its tolerations and node
// selector are why), one dual-stack with IPv6 first on an IPv6-first node.
const pod = (name: string, uid: string, spec: string, status: string) => `- apiVersion: v1
  kind: Pod
  metadata:
    creationTimestamp: "2025-06-02T08:14:02Z"
    labels:
      app: ${name}
    name: ${name}
    namespace: default
    resourceVersion: "1${uid.slice(-3)}"
    uid: 8f0c6f8e-3c38-4a1b-9c2e-2f5c1c2b7${uid}
  spec:
${spec}  status:
${status}`;
const containers = `    containers:
    - image: nginx
      imagePullPolicy: Always
      name: web
      ports:
      - containerPort: 80
        protocol: TCP
    - image: busybox
      name: side
      ports:
      - containerPort: 81
        protocol: TCP
`;
const running = (
  ip: string,
  ips: string,
  host = "    hostIP: 172.18.0.2\n    hostIPs:\n    - ip: 172.18.0.2\n",
) => `    conditions:
    - lastProbeTime: null
      lastTransitionTime: "2025-06-02T08:14:07Z"
      status: "False"
      type: Ready
    containerStatuses:
    - containerID: containerd://aa
      image: docker.io/library/busybox:latest
      lastState:
        terminated:
          exitCode: 1
          finishedAt: "2025-06-02T09:10:00Z"
          reason: Error
          startedAt: "2025-06-02T09:09:58Z"
      name: side
      ready: false
      restartCount: 12
      started: false
      state:
        waiting:
          message: back-off 5m0s restarting failed container
          reason: CrashLoopBackOff
    - containerID: containerd://bb
      image: docker.io/library/nginx:latest
      name: web
      ready: true
      restartCount: 0
      started: true
      state:
        running:
          startedAt: "2025-06-02T08:14:06Z"
${host}    phase: Running
    podIP: ${ip}
    podIPs:
${ips}    qosClass: BestEffort
    startTime: "2025-06-02T08:14:02Z"
`;
const DUMP = `apiVersion: v1
items:
- apiVersion: v1
  kind: Node
  metadata:
    labels:
      kubernetes.io/hostname: kind-worker
    name: kind-worker
    uid: 0b1c6f8e-3c38-4a1b-9c2e-2f5c1c2b7d10
  spec:
    podCIDR: 10.244.1.0/24
  status:
    addresses:
    - address: 172.18.0.2
      type: InternalIP
    conditions:
    - lastHeartbeatTime: "2025-06-02T09:12:00Z"
      lastTransitionTime: "2025-06-02T08:13:00Z"
      message: kubelet is posting ready status
      reason: KubeletReady
      status: "True"
      type: Ready
${pod(
  "crash",
  "d11",
  `${containers}    dnsPolicy: ClusterFirst
    nodeName: kind-worker
    tolerations:
    - effect: NoExecute
      key: node.kubernetes.io/not-ready
      operator: Exists
      tolerationSeconds: 300
`,
  running("10.244.1.5", "    - ip: 10.244.1.5\n"),
)}
${pod(
  "dual",
  "d12",
  `${containers}    dnsPolicy: ClusterFirst
    nodeName: kind-worker
`,
  running(
    "fd00:10:244:1::7",
    "    - ip: fd00:10:244:1::7\n    - ip: 10.244.1.7\n",
    "    hostIP: fd00:172:18::2\n    hostIPs:\n    - ip: fd00:172:18::2\n    - ip: 172.18.0.2\n",
  ),
)}
${pod(
  "pending",
  "d13",
  `${containers}    dnsPolicy: ClusterFirst
    nodeSelector:
      disktype: ssd
    tolerations:
    - effect: NoSchedule
      key: dedicated
      operator: Equal
      value: gpu
`,
  `    conditions:
    - lastProbeTime: null
      lastTransitionTime: "2025-06-02T08:14:02Z"
      message: '0/1 nodes are available: 1 node(s) didn''t match Pod''s node affinity/selector.'
      reason: Unschedulable
      status: "False"
      type: PodScheduled
    phase: Pending
    qosClass: BestEffort
`,
)}
kind: List
metadata:
  resourceVersion: ""
`;

test("a dump read in part: the model, its network and the questions are those of the dump read whole", async () => {
  await bothWays(DUMP, (a, b) => {
    const inPart = (b.objects ?? []).filter(
      (o) => o.kind === "Pod" && o.source && "later" in o.source && o.source.later,
    );
    // The pending pod was read whole when the state was built (what it was read without,
    // the questions ask of it).
    assert.deepEqual(
      inPart.map((o) => o.metadata.name),
      ["crash", "dual"],
    );
    const pods = (s: typeof a) =>
      s.pods
        .filter((p) => p.observed)
        .map((p) => [p.name, p.phase, p.ready, p.nodeName, p.podIP, p.hostIP, p.reason, p.message]);
    assert.deepEqual(pods(b), pods(a));
    assert.deepEqual(
      pods(a).map((p) => p.slice(0, 5)),
      [
        ["crash", "Running", false, "kind-worker", "10.244.1.5"],
        ["dual", "Running", false, "kind-worker", "10.244.1.7"],
        ["pending", "Pending", false, null, null],
      ],
    );
    // The crash-looping sidecar listens nowhere (dataplane/build.ts notRunning).
    const ir = (s: typeof a) => JSON.stringify(buildIR(s).pods.filter((p) => p.namespace === "default"));
    assert.equal(ir(b), ir(a));
    assert.match(ir(a), /"stopped"/);
    assert.deepEqual(computeReach(b).lines, computeReach(a).lines);
    const get = findResource("pods")!;
    for (const output of ["wide", "yaml"] as const) {
      const view = (s: typeof a) => getView(s, get, { output, allNamespaces: true }).stdout;
      assert.equal(view(b), view(a), output);
    }
    for (const p of a.pods.filter((x) => x.observed)) {
      const q = b.pods.find((x) => x.name === p.name && x.namespace === p.namespace)!;
      assert.equal(describePod(b, q), describePod(a, p), `describe ${p.name}`);
    }
  });
});
