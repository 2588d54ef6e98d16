// Hubble's fields on Cilium traces. Expected values from Cilium's sources and docs:
// api/v1/flow/flow.proto (TraceObservationPoint names, Flow.Type L3_L4, DropReason
// POLICY_DENIED = 133, SERVICE_BACKEND_NOT_FOUND = 158), pkg/monitor/api/types.go
// (MessageTypeDrop 1, MessageTypeTrace 4, MessageTypePolicyVerdict 5; TraceToLxc 0,
// TraceToOverlay 4, TraceFromLxc 5, TraceFromOverlay 9), docs "Inspecting Network Flows
// with the CLI" (a cross-node flow: from-endpoint, to-overlay on the sender; from-overlay,
// to-endpoint on the receiver).
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSpec } from "../manifest/parse.js";
import { clusterYaml, WEB_AND_CLIENT } from "../testing/manifests.js";
import { buildState } from "../control/build.js";
import { buildIR } from "../dataplane/build.js";
import { traceFlow, traceJson, renderTrace } from "./index.js";
import type { Step, TracePath } from "./trace.js";

const cfg = (cni: string) => clusterYaml("hh", { networking: { cni } });
const APPS = `${WEB_AND_CLIENT}apiVersion: v1
kind: Pod
metadata: {name: other, labels: {app: other}}
spec:
  containers: [{name: c, image: curl}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-client}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {matchLabels: {app: client}}}]}]
`;

function setup(cni: string) {
  const st = buildState(parseSpec([{ file: "a.yaml", text: APPS }], { file: "c.yaml", text: cfg(cni) }), {});
  return { st, ir: buildIR(st) };
}
const { st, ir } = setup("cilium");
const events = (p: TracePath) =>
  p.hops.flatMap((h) => h.steps).filter((s): s is Step & { hubble: NonNullable<Step["hubble"]> } => !!s.hubble);
const idOf = (pod: string) => {
  for (const n of ir.nodes) {
    const e = n.bpf?.endpoints.find((x) => x.pod === pod);
    if (e) return e.identity;
  }
  throw new Error(pod);
};

test("a cross-node flow: from-endpoint, to-overlay, from-overlay, to-endpoint with both identities", () => {
  const client = st.pods.find((p) => p.name === "client")!;
  const web = st.pods.find((p) => p.labels.app === "web" && p.nodeName !== client.nodeName)!;
  const r = traceFlow(ir, { from: "default/client", to: `default/${web.name}`, port: 8080 }, { state: st });
  const p = r.paths[0];
  assert.equal(p.disposition.verdict, "DELIVERED");
  const ev = events(p);
  const points = ev.filter((e) => e.hubble.trace_observation_point).map((e) => e.hubble.trace_observation_point);
  assert.deepEqual(points, ["FROM_ENDPOINT", "TO_OVERLAY", "FROM_OVERLAY", "TO_ENDPOINT"]);
  const subs = ev.filter((e) => e.hubble.event_type.type === 4).map((e) => e.hubble.event_type.sub_type);
  assert.deepEqual(subs, [5, 4, 9, 0]);
  const cid = idOf("default/client");
  const wid = idOf(`default/${web.name}`);
  for (const e of ev.slice(1)) {
    assert.equal(e.hubble.source.identity, cid);
    assert.equal(e.hubble.destination.identity, wid);
    assert.equal(e.hubble.Type, "L3_L4");
  }
  assert.ok(cid >= 256 && wid >= 256 && cid !== wid, "cluster identities are from 256, one per label set");
  assert.equal(ev[0].hubble.node_name, client.nodeName);
  assert.equal(ev.at(-1)!.hubble.node_name, web.nodeName);
  // The web pod is selected for ingress: the receiver sends a policy verdict (INGRESS, allowed).
  const pv = ev.find((e) => e.hubble.event_type.type === 5)!;
  assert.equal(pv.hubble.traffic_direction, "INGRESS");
  assert.equal(pv.hubble.verdict, "FORWARDED");
  // -o json: the flow's Hubble fields on the path.
  const j = (traceJson(r) as { paths: Record<string, unknown>[] }).paths[0];
  assert.equal(j.Type, "L3_L4");
  assert.equal(j.trace_observation_point, "TO_ENDPOINT");
  assert.deepEqual((j.source as { identity: number; pod_name: string }).pod_name, "client");
  assert.equal((j.destination as { identity: number }).identity, wid);
  assert.ok((j.destination as { labels: string[] }).labels.includes("k8s:app=web"));
  assert.equal(j.is_reply, false);
  // Text: the compact Hubble line with the identities.
  const text = renderTrace(r);
  assert.match(
    text,
    new RegExp(
      `\\[hubble\\] default/client:\\d+ \\(ID:${cid}\\) -> default/${web.name}:8080 \\(ID:${wid}\\) to-overlay FORWARDED`,
    ),
  );
});

test("a policy drop is a drop event 133 with its direction", () => {
  const other = st.pods.find((p) => p.name === "other")!;
  const web = st.pods.find((p) => p.labels.app === "web")!;
  const r = traceFlow(ir, { from: "default/other", to: `default/${web.name}`, port: 8080 }, { state: st });
  const p = r.paths[0];
  assert.equal(p.disposition.reason, "POLICY_DENIED");
  const ev = events(p);
  const d = ev.at(-1)!;
  assert.equal(d.decided, true);
  assert.deepEqual(d.hubble.event_type, { type: 1, sub_type: 133 });
  assert.equal(d.hubble.drop_reason, 133);
  assert.equal(d.hubble.drop_reason_desc, "POLICY_DENIED");
  assert.equal(d.hubble.traffic_direction, "INGRESS");
  assert.equal(d.hubble.source.identity, idOf(`default/${other.name}`));
  assert.match(renderTrace(r), /Policy denied DROPPED/);
});

test("reply paths are is_reply: true", () => {
  const web = st.pods.find((p) => p.labels.app === "web")!;
  const r = traceFlow(
    ir,
    { from: "default/client", to: `default/${web.name}`, port: 8080, reply: true },
    { state: st },
  );
  const j = (traceJson(r) as { paths: { reply: Record<string, unknown> }[] }).paths[0];
  assert.equal(j.reply.is_reply, true);
  assert.equal(j.reply.Type, "L3_L4");
});

test("other flavors' JSON has no Hubble fields", () => {
  const f = setup("flannel");
  const web = f.st.pods.find((p) => p.labels.app === "web")!;
  const r = traceFlow(f.ir, { from: "default/client", to: `default/${web.name}`, port: 8080 }, { state: f.st });
  const s = JSON.stringify(traceJson(r));
  assert.ok(!s.includes("hubble") && !s.includes("L3_L4") && !s.includes("trace_observation_point"));
});
