// Probes that cannot pass from the spec alone. Expected values follow kubelet's code:
// kubernetes pkg/probe/util.go ResolveContainerPort (a name among the container's own
// ports, else strconv.Atoi of it, then 0 < port < 65536), pkg/kubelet/prober/prober.go
// (an error is a failure; the Unhealthy event), pkg/kubelet/status/generate.go (the
// ContainersReady condition's reason and message) and kubectl's printPod READY column.
import { test } from "node:test";
import assert from "node:assert/strict";
import { probeFailures } from "./probes.js";
import { cluster, podsOf, probeApp } from "./testing.js";
import type { PodSpec } from "../manifest/types.js";

const spec = (containers: unknown[], initContainers: unknown[] = []) =>
  ({ containers, initContainers }) as unknown as PodSpec;
const web = (probe: unknown, ports = [{ name: "web", containerPort: 8080 }]) => ({
  name: "web",
  ports,
  readinessProbe: probe,
});

test("a probe's named port: the container's own, else parsed as a number (ResolveContainerPort)", () => {
  assert.deepEqual(probeFailures(spec([web({ httpGet: { port: "web" } })])), []);
  assert.deepEqual(probeFailures(spec([web({ httpGet: { port: 8080 } })])), []);
  assert.deepEqual(probeFailures(spec([web({ tcpSocket: { port: "8080" } })])), [], "a number as text");
  assert.deepEqual(probeFailures(spec([web({ exec: { command: ["true"] } })])), []);
  assert.deepEqual(probeFailures(spec([web({ httpGet: { port: "http" } })])), [
    { container: "web", probe: "Readiness", port: "http", error: 'strconv.Atoi: parsing "http": invalid syntax' },
  ]);
  assert.deepEqual(
    probeFailures(spec([web({ tcpSocket: { port: "0" } })])).map((f) => f.error),
    ["invalid port number: 0"],
  );
  assert.deepEqual(
    probeFailures(spec([web({ tcpSocket: { port: "70000" } })])).map((f) => f.error),
    ["invalid port number: 70000"],
  );
  assert.deepEqual(
    probeFailures(spec([web({ tcpSocket: { port: "99999999999999999999" } })])).map((f) => f.error),
    ['strconv.Atoi: parsing "99999999999999999999": value out of range'],
  );
});

test("the name is looked up in the probing container only, not in the pod's other containers", () => {
  const side = { name: "metrics", ports: [{ name: "http", containerPort: 9090 }] };
  assert.deepEqual(
    probeFailures(spec([web({ httpGet: { port: "http" } }), side])).map((f) => f.container),
    ["web"],
  );
});

test("startup probe first; sidecars (restartable init containers) count, other init containers do not", () => {
  const c = { name: "web", startupProbe: { tcpSocket: { port: "boot" } }, readinessProbe: { httpGet: { port: "x" } } };
  assert.deepEqual(
    probeFailures(spec([c])).map((f) => [f.probe, f.port]),
    [["Startup", "boot"]],
  );
  const sidecar = { name: "proxy", restartPolicy: "Always", readinessProbe: { httpGet: { port: "admin" } } };
  const init = { name: "setup", readinessProbe: { httpGet: { port: "admin" } } };
  assert.deepEqual(
    probeFailures(spec([web({ httpGet: { port: "web" } })], [init, sidecar])).map((f) => f.container),
    ["proxy"],
  );
});

test("a pod whose probe errors runs unready: endpoints ready: false, an Unhealthy event", () => {
  const s = cluster(probeApp("http"));
  const pods = podsOf(s, "web-");
  assert.equal(pods.length, 2);
  for (const p of pods) {
    assert.equal(p.phase, "Running");
    assert.equal(p.ready, false);
  }
  const eps = s.endpointSlices.find((x) => x.serviceName === "web")!.endpoints;
  assert.equal(eps.length, 2);
  assert.ok(eps.every((e) => e.conditions.ready === false && e.conditions.serving === false));
  const events = s.events.filter((e) => e.reason === "Unhealthy");
  assert.equal(events.length, 2);
  assert.equal(
    events[0].message,
    'Readiness probe errored and resulted in unknown state: strconv.Atoi: parsing "http": invalid syntax',
  );
  assert.equal(events[0].type, "Warning");
  // The same app with the declared name: ready.
  assert.ok(podsOf(cluster(probeApp("web")), "web-").every((p) => p.ready));
});
