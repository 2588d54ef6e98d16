// The HorizontalPodAutoscaler's bounds (kubernetes/kubernetes
// pkg/controller/podautoscaler/horizontal.go reconcileAutoscaler): below minReplicas the target
// is scaled to it, above maxReplicas to that, with a SuccessfulRescale event "New size: %d;
// reason: %s"; at 0 replicas scaling is disabled; in between the count follows the metrics.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkSpec } from "../manifest/parse.js";
import { buildState } from "./build.js";
import { scale } from "./changes.js";
import { cluster, deployment, podsOf, statefulSet } from "./testing.js";

function hpa(target: string, bounds: string, kind = "Deployment"): string {
  return `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: ${target}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: ${kind}, name: ${target}}
  ${bounds}
---`;
}

const rescales = (s: ReturnType<typeof cluster>) =>
  s.events.filter((e) => e.reason === "SuccessfulRescale").map((e) => `${e.object} ${e.source} ${e.message}`);

test("a Deployment below minReplicas is scaled up to it, with the autoscaler's event", () => {
  const s = cluster(deployment("web", 1) + hpa("web", "minReplicas: 3\n  maxReplicas: 10"));
  assert.equal(podsOf(s, "web-").length, 3);
  assert.deepEqual(rescales(s), [
    "horizontalpodautoscaler/default/web horizontal-pod-autoscaler New size: 3; reason: Current number of replicas below Spec.MinReplicas",
  ]);
  const d = s.objects!.find((o) => o.kind === "Deployment" && o.metadata.name === "web")!;
  assert.equal(d.spec.replicas, 3, "the autoscaler writes the target's scale: the object says 3");
});

test("above maxReplicas to maxReplicas; a StatefulSet too", () => {
  const s = cluster(statefulSet("db", 5) + hpa("db", "minReplicas: 1\n  maxReplicas: 2", "StatefulSet"));
  assert.deepEqual(
    podsOf(s, "db-").map((p) => p.name),
    ["db-0", "db-1"],
  );
  assert.deepEqual(rescales(s), [
    "horizontalpodautoscaler/default/db horizontal-pod-autoscaler New size: 2; reason: Current number of replicas above Spec.MaxReplicas",
  ]);
});

test("minReplicas defaults to 1; within the bounds and at 0 replicas the count stays", () => {
  // Between the bounds the metrics decide (podnet has none); 0 replicas disables scaling.
  const s = cluster(
    deployment("a", 0) +
      hpa("a", "maxReplicas: 4") +
      deployment("b", 2) +
      hpa("b", "minReplicas: 1\n  maxReplicas: 4") +
      deployment("c", 1) +
      hpa("c", "maxReplicas: 4"),
  );
  assert.equal(podsOf(s, "a-").length, 0);
  assert.equal(podsOf(s, "b-").length, 2);
  assert.equal(podsOf(s, "c-").length, 1);
  assert.deepEqual(rescales(s), []);
});

test("a manual scale below minReplicas is undone by the autoscaler", () => {
  const s = cluster(deployment("web", 2) + hpa("web", "minReplicas: 2\n  maxReplicas: 5"));
  const r = scale(s, "Deployment", "default", "web", 1);
  assert.equal(podsOf(r.state, "web-").length, 2);
  assert.ok(r.events.some((e) => e.reason === "SuccessfulRescale" && e.message.startsWith("New size: 2;")));
});

test("a target read from a live cluster (it has a uid) keeps its observed count; other namespaces are not targets", () => {
  const observed = deployment("web", 1).replace(
    "metadata: {name: web}",
    "metadata: {name: web, uid: 5c1e0d2a-0000-4000-8000-000000000001}",
  );
  const s = cluster(observed + hpa("web", "minReplicas: 3\n  maxReplicas: 10"));
  assert.deepEqual(rescales(s), []);
  const t = cluster(
    deployment("api", 1) +
      hpa("api", "minReplicas: 3\n  maxReplicas: 10").replace("{name: api}", "{name: api, namespace: other}"),
  );
  assert.equal(podsOf(t, "api-").length, 1);
});

test("an autoscaler in a removed version (autoscaling/v2beta2): strict refuses it, reading warns and runs without it", () => {
  const text =
    deployment("web", 1) +
    hpa("web", "minReplicas: 3\n  maxReplicas: 10").replace("autoscaling/v2", "autoscaling/v2beta2");
  // Line 17: the autoscaler's apiVersion (the Deployment's text takes lines 1-16).
  const msg =
    'test.yaml:17 (HorizontalPodAutoscaler web) apiVersion: "autoscaling/v2beta2" no matches for kind "HorizontalPodAutoscaler" in version "autoscaling/v2beta2" (use "autoscaling/v2")';
  const strict = checkSpec([{ file: "test.yaml", text }]).diagnostics;
  assert.deepEqual(
    strict.map((d) => `${d.severity} ${d.message}`),
    [`error ${msg}`],
  );
  const tolerant = checkSpec([{ file: "test.yaml", text }], undefined, "tolerant");
  assert.deepEqual(
    tolerant.diagnostics.map((d) => `${d.severity} ${d.message}`),
    [`warning ${msg}`],
  );
  assert.equal(podsOf(buildState(tolerant.spec), "web-").length, 1);
});

test("an autoscaler the API server would refuse (maxReplicas beyond int32) does not act when read tolerantly", () => {
  const text = deployment("web", 1) + hpa("web", "minReplicas: 2\n  maxReplicas: 99999999999");
  const tolerant = checkSpec([{ file: "test.yaml", text }], undefined, "tolerant");
  assert.deepEqual(
    tolerant.diagnostics.map((d) => d.severity),
    ["warning"],
  );
  assert.equal(podsOf(buildState(tolerant.spec), "web-").length, 1);
});
