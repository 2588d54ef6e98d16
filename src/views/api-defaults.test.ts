// Expected values: kubernetes/kubernetes pkg/apis/core/v1/defaults.go (SetDefaults_Container,
// SetDefaults_Probe, SetDefaults_HTTPGetAction, SetDefaults_PodSpec) and the Priority
// admission plugin (plugin/pkg/admission/priority/admission.go, pkg/apis/scheduling/types.go).
import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultPullPolicy } from "./api-defaults.js";
import { podObject } from "./objects.js";
import { cluster } from "../control/testing.js";

test("imagePullPolicy: Always for :latest or no tag and no digest, else IfNotPresent", () => {
  const cases: [string, string][] = [
    ["nginx", "Always"],
    ["nginx:latest", "Always"],
    ["nginx:1.27", "IfNotPresent"],
    ["registry.local:5000/team/app", "Always"],
    ["registry.local:5000/team/app:v2", "IfNotPresent"],
    [`nginx@sha256:${"0".repeat(64)}`, "IfNotPresent"],
    [`nginx:latest@sha256:${"0".repeat(64)}`, "Always"],
  ];
  for (const [image, want] of cases) assert.equal(defaultPullPolicy(image), want, image);
});

const PODS = `
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: web
    image: nginx:1.27
    ports: [{containerPort: 80, name: http}]
    readinessProbe: {httpGet: {port: http}}
    livenessProbe: {tcpSocket: {port: 80}, periodSeconds: 5, failureThreshold: 6}
    lifecycle: {preStop: {httpGet: {port: 80, path: /drain}}}
  initContainers:
  - {name: init, image: busybox, imagePullPolicy: Never, terminationMessagePolicy: FallbackToLogsOnError}
---
apiVersion: v1
kind: Pod
metadata: {name: agent}
spec: {priorityClassName: system-node-critical, containers: [{name: a, image: busybox}]}
---
apiVersion: v1
kind: Pod
metadata: {name: batch}
spec: {priorityClassName: low, containers: [{name: a, image: busybox}]}
---
apiVersion: v1
kind: Pod
metadata: {name: hostnet}
spec:
  hostNetwork: true
  containers: [{name: a, image: busybox, ports: [{containerPort: 9100}, {containerPort: 53, hostPort: 53, protocol: UDP}]}]
---`;

function specOf(name: string) {
  const s = cluster(PODS);
  return podObject(s, s.pods.find((p) => p.name === name)!).spec as Record<string, unknown> & {
    containers: Record<string, unknown>[];
    initContainers: Record<string, unknown>[];
  };
}

test("get pod -o yaml: a pod podnet made carries the API server's container and probe defaults", () => {
  const spec = specOf("web");
  const c = spec.containers[0]!;
  assert.equal(c.imagePullPolicy, "IfNotPresent");
  assert.equal(c.terminationMessagePath, "/dev/termination-log");
  assert.equal(c.terminationMessagePolicy, "File");
  assert.deepEqual(c.resources, {});
  assert.deepEqual(c.readinessProbe, {
    httpGet: { port: "http", path: "/", scheme: "HTTP" },
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  });
  // Given values stay.
  assert.deepEqual(c.livenessProbe, {
    tcpSocket: { port: 80 },
    timeoutSeconds: 1,
    periodSeconds: 5,
    successThreshold: 1,
    failureThreshold: 6,
  });
  assert.deepEqual(c.lifecycle, { preStop: { httpGet: { port: 80, path: "/drain", scheme: "HTTP" } } });
  const init = spec.initContainers[0]!;
  assert.equal(init.imagePullPolicy, "Never");
  assert.equal(init.terminationMessagePolicy, "FallbackToLogsOnError");
  assert.equal(init.terminationMessagePath, "/dev/termination-log");
  assert.equal(spec.schedulerName, "default-scheduler");
  assert.deepEqual(spec.securityContext, {});
  assert.equal(spec.terminationGracePeriodSeconds, 30);
  assert.equal(spec.priority, 0);
  assert.equal(spec.preemptionPolicy, "PreemptLowerPriority");
});

test("get pod -o yaml: priority from the system classes; another class's stays unknown", () => {
  assert.equal(specOf("agent").priority, 2_000_001_000);
  assert.equal(specOf("agent").preemptionPolicy, "PreemptLowerPriority");
  assert.equal(specOf("batch").priority, undefined);
  assert.equal(specOf("batch").preemptionPolicy, undefined);
});

test("get pod -o yaml: a hostNetwork pod's ports carry their containerPort as hostPort", () => {
  assert.deepEqual(specOf("hostnet").containers[0]!.ports, [
    { containerPort: 9100, protocol: "TCP", hostPort: 9100 },
    { containerPort: 53, hostPort: 53, protocol: "UDP" },
  ]);
  assert.deepEqual(specOf("web").containers[0]!.ports, [{ containerPort: 80, name: "http", protocol: "TCP" }]);
});
