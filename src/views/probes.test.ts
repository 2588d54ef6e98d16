// How views show a container kept unready by a probe that errors (control/probes.ts):
// kubelet's containerStatuses and ContainersReady condition (pkg/kubelet/status/generate.go
// GenerateContainersReadyCondition) and kubectl's READY column (printers.go printPod).
import { test } from "node:test";
import assert from "node:assert/strict";
import { cluster, podsOf, probeApp } from "../control/testing.js";
import { podObject } from "./objects.js";
import { findResource, getView } from "./get.js";

test("a probe that errors: that container unready, the others ready; READY 1/2; ContainersNotReady", () => {
  const s = cluster(probeApp("http"));
  const pods = podsOf(s, "web-");
  const st = podObject(s, pods[0], {}).status as {
    conditions: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses: { name: string; ready: boolean }[];
  };
  const ready = st.conditions.find((c) => c.type === "ContainersReady")!;
  assert.deepEqual(
    [ready.status, ready.reason, ready.message],
    ["False", "ContainersNotReady", "containers with unready status: [web]"],
  );
  assert.deepEqual(
    st.containerStatuses.map((c) => [c.name, c.ready]),
    [
      ["web", false],
      ["log", true],
    ],
  );
  const table = getView(s, findResource("pods")!).stdout;
  assert.match(table, new RegExp(`\\n${pods[0].name} +1/2 +Running `));
});

const SIDECARS = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers:
        - {name: setup, image: busybox}
        - {name: mesh, image: envoy, restartPolicy: Always}
        - name: proxy
          image: envoy
          restartPolicy: Always
          startupProbe: {httpGet: {port: ready, path: /}}
        - {name: late, image: busybox}
      containers: [{name: web, image: nginx, ports: [{name: http, containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}
`;

type Status = {
  phase: string;
  conditions: { type: string; status: string; reason?: string; message?: string }[];
  initContainerStatuses: { name: string; ready: boolean; started: boolean; state: Record<string, unknown> }[];
  containerStatuses: { name: string; ready: boolean; started: boolean; state: Record<string, unknown> }[];
};

test("a sidecar whose startup probe errors holds the pod in Init: the later init containers and the containers wait", () => {
  // https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/: the next container
  // starts once a sidecar has started; kubectl printPod: "Init:<index>/<count>", a started and
  // ready sidecar counts in READY; generate.go: ContainersNotInitialized with the incomplete ones.
  const s = cluster(SIDECARS);
  const [pod] = podsOf(s, "web-");
  assert.equal(pod.phase, "Pending");
  assert.equal(pod.ready, false);
  const eps = s.endpointSlices.find((x) => x.serviceName === "web")!.endpoints;
  assert.deepEqual(
    eps.map((e) => e.conditions.ready),
    [false],
  );
  assert.match(getView(s, findResource("pods")!).stdout, new RegExp(`\\n${pod.name} +1/3 +Init:2/4 `));
  const st = podObject(s, pod, {}).status as Status;
  const cond = (t: string) => st.conditions.find((c) => c.type === t)!;
  assert.deepEqual(
    [cond("Initialized").status, cond("Initialized").reason, cond("Initialized").message],
    ["False", "ContainersNotInitialized", "containers with incomplete status: [proxy late]"],
  );
  assert.equal(cond("ContainersReady").message, "containers with unready status: [proxy web]");
  assert.equal(cond("PodReadyToStartContainers").status, "True");
  assert.deepEqual(
    st.initContainerStatuses.map((c) => [c.name, Object.keys(c.state)[0], c.started, c.ready]),
    [
      ["setup", "terminated", false, true],
      ["mesh", "running", true, true],
      ["proxy", "running", false, false],
      ["late", "waiting", false, false],
    ],
  );
  assert.deepEqual(
    st.containerStatuses.map((c) => [c.name, Object.keys(c.state)[0], c.started]),
    [["web", "waiting", false]],
  );
});

test("a running pod's sidecars run (started), its other init containers completed", () => {
  const s = cluster(SIDECARS.replace("          startupProbe: {httpGet: {port: ready, path: /}}\n", ""));
  const [pod] = podsOf(s, "web-");
  assert.equal(pod.phase, "Running");
  const st = podObject(s, pod, {}).status as Status;
  assert.deepEqual(
    st.initContainerStatuses.map((c) => [c.name, Object.keys(c.state)[0], c.started, c.ready]),
    [
      ["setup", "terminated", false, true],
      ["mesh", "running", true, true],
      ["proxy", "running", true, true],
      ["late", "terminated", false, true],
    ],
  );
  assert.match(getView(s, findResource("pods")!).stdout, new RegExp(`\\n${pod.name} +3/3 +Running `));
});
