// The walk through Cilium's datapath. Expected behaviour from Cilium's docs and sources:
// "Kubernetes Without kube-proxy" (per-packet LB, NodePort SNAT mode, externalTrafficPolicy
// Local drops N-S traffic on nodes without local backends), bpf/bpf_lxc.c (egress policy in
// cil_from_container, reverse NAT of replies), bpf/lib/encap.h (VNI = source identity),
// bpf/bpf_overlay.c (identity from the VNI), bpf/lib/local_delivery.h (redirect to the peer).
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSpec } from "../manifest/parse.js";
import { clusterYaml, WEB_AND_CLIENT } from "../testing/manifests.js";
import { buildState } from "../control/build.js";
import { buildIR } from "../dataplane/build.js";
import { traceFlow } from "./index.js";
import type { ClusterState } from "../control/state.js";

const CLUSTER = clusterYaml("hc", { networking: { cni: "cilium" } });

const APPS = `${WEB_AND_CLIENT}apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-local}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: web}
  ports: [{port: 81, targetPort: 8080, nodePort: 30081}]
---
apiVersion: v1
kind: Service
metadata: {name: empty}
spec:
  selector: {app: nothing}
  ports: [{port: 80}]
`;

function cluster(extra = ""): ClusterState {
  return buildState(
    parseSpec([{ file: "apps.yaml", text: APPS + extra }], { file: "cluster.yaml", text: CLUSTER }),
    {},
  );
}

const st = cluster();
const ir = buildIR(st);
const pod = (prefix: string) => st.pods.find((p) => p.name.startsWith(prefix) && p.namespace === "default")!;
const steps = (path: { hops: { steps: { action: string; detail: string }[] }[] }) => path.hops.flatMap((h) => h.steps);

test("kubeProxyMode defaults to none for cilium: no kube-proxy rules, the lb maps hold the Services", () => {
  assert.equal(st.config.networking.kubeProxyMode, "none");
  const n = ir.nodes.find((x) => x.name === "worker-1")!;
  assert.ok(n.bpf!.services.cluster.some((s) => s.flags.includes("ClusterIP") && s.port === 80));
  assert.equal(n.ns.netfilter.iptables.filter((l) => l.role === "kube-proxy").length, 0);
});

test("pod to pod on another node: from-container, VXLAN with the source identity as VNI, from-overlay, redirect", () => {
  const client = pod("client");
  const web = st.pods.find((p) => p.labels.app === "web" && p.nodeName !== client.nodeName)!;
  const r = traceFlow(ir, { from: "default/client", to: `default/${web.name}`, port: 8080 }, { state: st });
  assert.equal(r.paths.length, 1);
  const p = r.paths[0];
  assert.equal(p.disposition.verdict, "DELIVERED", p.disposition.detail);
  const s = steps(p);
  const clientNode = ir.nodes.find((n) => n.name === client.nodeName)!;
  const id = clientNode.bpf!.endpoints.find((e) => e.pod === "default/client")!.identity;
  const enc = s.find((x) => x.action === "ENCAPSULATED")!;
  assert.match(enc.detail, new RegExp(`VNI ${id} = source identity`));
  assert.ok(s.some((x) => x.detail.startsWith("cil_from_overlay")));
  assert.ok(s.some((x) => x.action === "VETH" && x.detail.includes("bpf_redirect_peer")));
  assert.ok(!s.some((x) => x.action === "BRIDGED" && !x.detail.startsWith("podnet0")), "no bridge on the nodes");
});

test("ClusterIP: one path per backend slot, DNAT in cil_from_container, the reply reverse-NATed to the VIP", () => {
  const svc = st.services.find((s) => s.name === "web")!;
  const r = traceFlow(ir, { from: "default/client", to: "svc/default/web", reply: true }, { state: st });
  assert.equal(r.paths.length, 2);
  for (const p of r.paths) {
    assert.equal(p.probability, 0.5);
    assert.equal(p.disposition.verdict, "DELIVERED", p.disposition.detail);
    assert.ok(steps(p).some((x) => x.action === "NAT" && x.detail.includes(`DNAT ${svc.clusterIP}:80 →`)));
    assert.equal(p.reply?.disposition.verdict, "DELIVERED", p.reply?.disposition.detail);
    assert.ok(steps(p.reply!).some((x) => x.action === "NAT" && x.detail.includes(`→ ${svc.clusterIP}:80`)));
  }
});

test("a Service without backends: dropped with SERVICE_BACKEND_NOT_FOUND", () => {
  const r = traceFlow(ir, { from: "default/client", to: "svc/default/empty" }, { state: st });
  assert.equal(r.paths[0].disposition.verdict, "DROPPED");
  assert.equal(r.paths[0].disposition.reason, "SERVICE_BACKEND_NOT_FOUND");
});

test("NodePort from outside (SNAT mode): delivered, and the reply leaves from the node's IP and node port", () => {
  const n = st.nodes.find((x) => x.name === "worker-1")!;
  const r = traceFlow(ir, { from: "external", to: `${n.address}:30080`, reply: true }, { state: st });
  assert.ok(r.paths.length >= 1);
  for (const p of r.paths) {
    assert.equal(p.disposition.verdict, "DELIVERED", p.disposition.detail);
    assert.equal(p.reply?.disposition.verdict, "DELIVERED", p.reply?.disposition.detail);
    const last = p.reply!.hops.at(-1)!.steps.at(-1)!.packet;
    assert.equal(`${last.src}:${last.sport}`, `${n.address}:30080`);
  }
});

test("externalTrafficPolicy Local: N-S traffic to a node without a local backend is dropped", () => {
  const with_ = new Set(st.pods.filter((p) => p.labels.app === "web").map((p) => p.nodeName));
  const without = st.nodes.find((n) => !with_.has(n.name))!;
  const r = traceFlow(ir, { from: "external", to: `${without.address}:30081` }, { state: st });
  assert.equal(r.paths[0].disposition.reason, "SERVICE_BACKEND_NOT_FOUND", r.paths[0].disposition.detail);
  const withNode = st.nodes.find((n) => with_.has(n.name))!;
  const ok = traceFlow(ir, { from: "external", to: `${withNode.address}:30081` }, { state: st });
  for (const p of ok.paths) assert.equal(p.disposition.verdict, "DELIVERED", p.disposition.detail);
});

test("NetworkPolicy: denied at the destination's policy program, by identity, with POLICY_DENIED", () => {
  const pol = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
`;
  const s2 = cluster(pol);
  const ir2 = buildIR(s2);
  const r = traceFlow(ir2, { from: "default/client", to: "svc/default/web" }, { state: s2 });
  for (const p of r.paths) {
    assert.equal(p.disposition.reason, "POLICY_DENIED");
    assert.match(p.disposition.detail, /^cil_lxc_policy .*Policy denied: ingress of default\/web-/);
  }
});
