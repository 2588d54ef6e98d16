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
