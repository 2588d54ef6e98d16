// The control plane's faults: readiness (the EndpointSlice controller keeps a not-ready pod's
// endpoint with ready: false, serving: false, terminating: false — kubernetes
// staging/src/k8s.io/endpointslice/utils.go podToEndpoint), kube-proxy-down's record, and
// dns-upstream-down at the resolver (the outside name gets no answer: EAI_AGAIN).
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadSpecFromArgs } from "../load/input.js";
import { parseFault } from "../manifest/faults.js";
import { resolveFromPod } from "../dns/resolver.js";
import { buildState } from "./build.js";
import { runChange } from "./changes.js";
import { faultPod } from "./faults.js";
import type { ClusterState } from "./state.js";

async function build(fs: string[]): Promise<ClusterState> {
  const spec = await loadSpecFromArgs({ files: ["examples/broken/veth-down"], mode: "tolerant" });
  const faults = fs.map((s) => parseFault(s)).filter((f) => typeof f !== "string");
  return buildState({ ...spec, config: { ...spec.config, faults } });
}
const conds = (s: ClusterState, svc: string) =>
  s.endpointSlices.filter((sl) => sl.serviceName === svc).flatMap((sl) => sl.endpoints.map((e) => e.conditions));

test("coredns-down: every CoreDNS pod not ready; kube-dns keeps their endpoints, not ready", async () => {
  const s = await build(["coredns-down"]);
  const dns = s.pods.filter((p) => p.labels["k8s-app"] === "kube-dns");
  assert.equal(dns.length, 2);
  assert.ok(dns.every((p) => !p.ready && p.phase === "Running"));
  const c = conds(s, "kube-dns");
  assert.ok(c.length > 0);
  for (const x of c) assert.deepEqual(x, { ready: false, serving: false, terminating: false });
  // The zone has no ready address for kube-dns: CoreDNS publishes ready endpoints only.
  assert.ok(conds(s, "web").every((x) => x.ready));
});

test("coredns-replica-down and pod-not-ready: only the named pod", async () => {
  const healthy = await build([]);
  const one = healthy.pods.find((p) => p.labels["k8s-app"] === "kube-dns")!;
  const s = await build([`coredns-replica-down kube-system/${one.name}`, "pod-not-ready web"]);
  const dns = s.pods.filter((p) => p.labels["k8s-app"] === "kube-dns");
  assert.deepEqual(
    dns.map((p) => [p.name, p.ready]),
    dns.map((p) => [p.name, p.name !== one.name]),
  );
  assert.deepEqual(conds(s, "web"), [{ ready: false, serving: false, terminating: false }]);
});

test("a fault's pod: exact name, else the one pod of a workload; ambiguity is named", async () => {
  const s = await build([]);
  const web = s.pods.find((p) => p.name.startsWith("web-"))!;
  assert.equal(faultPod(s.pods, "default/web"), web);
  assert.equal(faultPod(s.pods, `default/${web.name}`), web);
  assert.match(String(faultPod(s.pods, "kube-system/coredns")), /is ambiguous: coredns-/);
});

test("kube-proxy-down: the record taken at the build is kept through a change", async () => {
  const s = await build(["kube-proxy-down worker-2"]);
  const rec = s.kubeProxySynced?.["worker-2"];
  assert.ok(rec);
  assert.equal(rec.endpointSlices, s.endpointSlices);
  const after = runChange(s, { op: "scale", kind: "Deployment", namespace: "default", name: "web", replicas: 2 }).state;
  assert.equal(after.kubeProxySynced?.["worker-2"], rec);
  assert.notEqual(after.endpointSlices, s.endpointSlices);
});

test("dns-upstream-down: outside names time out; cluster names still answer", async () => {
  const s = await build(["dns-upstream-down"]);
  const client = s.pods.find((p) => p.name.startsWith("client-"))!;
  const out = resolveFromPod(s, `default/${client.name}`, "api.example.com");
  assert.equal(out.result.status, "TIMEOUT");
  assert.equal(out.queries.at(-1)?.rcode, "TIMEOUT");
  // The search list's names are the cluster zone's: NXDOMAIN from CoreDNS, as before.
  assert.deepEqual(
    out.queries.slice(0, -1).map((q) => q.rcode),
    ["NXDOMAIN", "NXDOMAIN", "NXDOMAIN"],
  );
  assert.equal(resolveFromPod(s, `default/${client.name}`, "web").result.status, "found");
  const healthy = await build([]);
  assert.equal(resolveFromPod(healthy, `default/${client.name}`, "api.example.com").result.status, "found");
});
