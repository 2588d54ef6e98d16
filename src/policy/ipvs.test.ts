// NetworkPolicy under kube-proxy's ipvs mode. A pod's packet to a Service's virtual address
// is routed to INPUT (the address is local on kube-ipvs0), IPVS rewrites it to an endpoint
// and sends it out through OUTPUT and POSTROUTING: no `forward` on the client's node.
// Expected values are NetworkPolicy semantics
// (https://kubernetes.io/docs/concepts/services-networking/network-policies/): a pod
// selected for a direction is isolated for it; a connection needs the egress of its source
// and the ingress of its destination pod (the endpoint, not the Service's address); replies
// of an allowed connection are allowed; policy does not depend on how Services are proxied.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildState, loadCluster } from "../index.js";
import type { NodeState } from "../control/state.js";
import type { KubeObject } from "../manifest/types.js";
import type { IpvsVirtualServer, NftStmt } from "../ir/types.js";
import { modelSession } from "../questions/trace.js";
import type { Step, TracePath, TraceResult } from "../sim/trace.js";
import { compileNodePolicy, IPVS_MARK } from "./compile.js";
import { indexPolicies } from "./engine.js";
import { conformanceState } from "./testing.js";

const { spec } = await loadCluster({ files: ["examples/demo", "examples/policies"] });

const policy = (namespace: string, name: string, s: object): KubeObject =>
  ({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace }, spec: s }) as KubeObject;

/** The golden set's allow-dns, for the tasks pods: egress only to kube-dns pods on port 53. */
const ALLOW_DNS = policy("default", "allow-dns", {
  podSelector: { matchLabels: { app: "tasks" } },
  policyTypes: ["Egress"],
  egress: [
    {
      to: [
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
          podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
        },
      ],
      ports: [
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
      ],
    },
  ],
});

const state = buildState(spec);
const withDns = buildState({ ...spec, objects: [...spec.objects, ALLOW_DNS] });
const ipvs = modelSession(state, { proxyMode: "ipvs" });

const policySteps = (p: TracePath, side: string, pod: string): Step[] =>
  p.hops.flatMap((h) => h.steps).filter((s) => s.action === "POLICY" && s.detail.startsWith(`${side} of ${pod}`));
const endpointNode = (p: TracePath) =>
  state.pods.find((x) => `pod/${x.namespace}/${x.name}` === p.hops[p.hops.length - 1].ns)?.nodeName;

test("ipvs: tasks → user-service: the endpoint's ingress denies, also when it is on the client's node", () => {
  const r = ipvs.trace({ from: "tasks-deployment", to: "http://user-service" }, { noDnsPath: true });
  const client = state.pods.find((p) => p.name.startsWith("tasks-deployment-"))!;
  assert.equal(r.paths.length, 2);
  let sameNode = 0;
  for (const p of r.paths) {
    // user-app is selected by backend-from-frontend (tier: backend), which admits tier: frontend only.
    assert.equal(p.disposition.verdict, "DROPPED", p.disposition.detail);
    assert.equal(p.disposition.reason, "POLICY_DENIED");
    assert.match(p.disposition.object?.chain ?? "", /^ingress-default\/user-app-/);
    // Decided once on each side.
    assert.equal(policySteps(p, "ingress", "default/user-app-").length, 1);
    assert.equal(policySteps(p, "egress", "default/tasks-deployment-").length, 1);
    const hop = p.hops.find((h) => h.ns === `node/${client.nodeName}`)!;
    const ipvsAt = hop.steps.findIndex((s) => s.action === "IPVS");
    assert.ok(ipvsAt >= 0, "IPVS picks the endpoint on the client's node");
    // After the rewrite: the policy sees the endpoint, never the cluster IP.
    const eg = hop.steps.findIndex((s) => s.action === "POLICY" && s.detail.startsWith("egress of "));
    assert.ok(eg > ipvsAt, hop.steps.map((s) => s.detail).join("\n"));
    const ep = state.pods.find((x) => p.disposition.object?.chain === `ingress-default/${x.name}`)!;
    if (ep.nodeName === client.nodeName) {
      // No `forward` on this path: the output hook decides, on the client's (and endpoint's) node.
      sameNode++;
      assert.equal(p.disposition.ns, `node/${client.nodeName}`);
    }
  }
  assert.equal(sameNode, 1, "one endpoint is on the client's node, and its ingress is checked there");
});

test("ipvs: order-app → user-service: allowed by backend-from-frontend ingress rule 0, replies too", () => {
  const r = ipvs.trace({ from: "order-app", to: "http://user-service", reply: true }, { noDnsPath: true });
  assert.equal(r.paths.length, 2);
  for (const p of r.paths) {
    assert.equal(p.disposition.verdict, "DELIVERED", p.disposition.detail);
    assert.equal(p.reply?.disposition.verdict, "DELIVERED", p.reply?.disposition.detail);
    const ing = policySteps(p, "ingress", "default/user-app-");
    assert.equal(ing.length, 1);
    assert.match(ing[0].detail, /allowed by default\/backend-from-frontend ingress rule 0$/);
    assert.ok(endpointNode(p));
  }
});

test("ipvs: allow-dns lets the DNS query to kube-dns's cluster IP through to a CoreDNS pod", () => {
  const s = modelSession(withDns, { proxyMode: "ipvs" });
  const dns = withDns.services.find((x) => x.namespace === "kube-system" && x.name === "kube-dns")!;
  for (const protocol of ["udp", "tcp"] as const) {
    const r = s.trace({ from: "tasks-deployment", to: `${dns.clusterIP}:53`, protocol, reply: true });
    assert.ok(r.paths.length >= 1);
    for (const p of r.paths) {
      assert.equal(p.disposition.verdict, "DELIVERED", `${protocol}: ${p.disposition.detail}`);
      assert.match(p.hops[p.hops.length - 1].ns, /^pod\/kube-system\/coredns-/);
      assert.equal(p.reply?.disposition.verdict, "DELIVERED");
      const eg = policySteps(p, "egress", "default/tasks-deployment-");
      assert.equal(eg.length, 1);
      assert.match(eg[0].detail, /isolated by default\/allow-dns; allowed by default\/allow-dns egress rule 0$/);
    }
  }
  // The name resolves; the connection to user-service is then the egress policy's to deny.
  const r: TraceResult = s.trace({ from: "tasks-deployment", to: "http://user-service" });
  assert.equal(
    r.dns?.answer,
    withDns.services.find((x) => x.name === "user-service" && x.namespace === "default")!.clusterIP,
  );
  for (const p of r.paths) {
    assert.equal(p.disposition.reason, "POLICY_DENIED", p.disposition.detail);
    assert.match(p.disposition.object?.chain ?? "", /^egress-default\/tasks-deployment-/);
  }
});

test("ipvs and iptables modes agree on every flow of the demo with policies (replies, NodePorts, nodes)", () => {
  const st = withDns;
  const sessions = [modelSession(st, { proxyMode: "iptables" }), modelSession(st, { proxyMode: "ipvs" })];
  const pods = st.pods.filter((p) => p.podIP && !p.spec.hostNetwork);
  type Flow = Parameters<typeof ipvs.trace>[0];
  const flows: Flow[] = [];
  for (const s of st.services) {
    if (!s.clusterIP || s.clusterIP === "None") continue;
    for (const port of s.ports) {
      const protocol = port.protocol.toLowerCase() as "tcp";
      for (const p of pods)
        flows.push({ from: `${p.namespace}/${p.name}`, to: `${s.clusterIP}:${port.port}`, protocol, reply: true });
      for (const n of st.nodes) {
        flows.push({ from: `node/${n.name}`, to: `${s.clusterIP}:${port.port}`, protocol, reply: true });
        if (port.nodePort) flows.push({ from: "external", to: `${n.address}:${port.nodePort}`, protocol, reply: true });
      }
    }
  }
  const key = (r: TraceResult) =>
    r.paths
      .map(
        (p) =>
          `${p.disposition.verdict} ${p.disposition.reason ?? ""} ${p.hops.at(-1)?.ns} ${p.reply?.disposition.verdict}`,
      )
      .sort()
      .join(" | ");
  for (const f of flows) {
    const [a, b] = sessions.map((s) => key(s.trace(f, { maxPaths: 64 })));
    assert.equal(b, a, JSON.stringify(f));
  }
  assert.ok(flows.length > 100);
});

const vs = (address: string, protocol: "TCP" | "UDP", port: number): IpvsVirtualServer => ({
  protocol,
  address,
  port,
  scheduler: "rr",
  reals: [],
  service: "x/s:p",
});

test("compile: with IPVS the input hook marks traffic to a virtual server; the output hook checks marked packets", () => {
  const st = conformanceState([{ namespace: "x", name: "deny", spec: { podSelector: {}, policyTypes: ["Ingress"] } }]);
  const node: NodeState = {
    name: "worker-1",
    role: "worker",
    labels: {},
    taints: [],
    address: "192.168.1.3",
    podCIDR: "10.244.1.0/24",
    blocks: [],
    maxPods: 110,
    index: 0,
  };
  const ix = indexPolicies(st);
  const list = [vs("10.96.0.10", "UDP", 53), vs("10.96.0.10", "TCP", 53), vs("10.96.0.10", "UDP", 53)];
  const t = compileNodePolicy(ix, st, node, st.pods, list)!.tables[0];
  assert.deepEqual(
    t.sets["ipvs-services"].elem.map((e) => e.key),
    [{ concat: ["10.96.0.10", "udp", 53] }, { concat: ["10.96.0.10", "tcp", 53] }],
  );
  assert.deepEqual(t.sets["ipvs-services"].type, ["ipv4_addr", "inet_proto", "inet_service"]);
  // Both maps exist (egress-pods empty: no pod is isolated for egress), so output can name them.
  assert.equal(t.sets["egress-pods"].elem.length, 0);
  const mark: NftStmt = {
    mangle: { key: { meta: { key: "mark" } }, value: { "|": [{ meta: { key: "mark" } }, IPVS_MARK] } },
  };
  const input = t.chains.input.rules;
  assert.deepEqual(input[1].expr.slice(1), [mark, { accept: null }]);
  assert.equal(t.chains.output.hook, "output");
  assert.equal(t.chains.output.prio, -1);
  const out = t.chains.output.rules;
  assert.deepEqual(out[0].expr, [
    { match: { op: "==", left: { "&": [{ meta: { key: "mark" } }, IPVS_MARK] }, right: 0 } },
    { return: null },
  ]);
  assert.deepEqual(
    out.slice(1).map((r) => r.expr[0].vmap?.data),
    ["@egress-pods", "@ingress-pods"],
  );
  // Without IPVS the table is as it always was: no output hook, no virtual servers.
  const plain = compileNodePolicy(ix, st, node, st.pods)!.tables[0];
  assert.equal(plain.chains.output, undefined);
  assert.equal(plain.sets["ipvs-services"], undefined);
  assert.equal(plain.sets["egress-pods"], undefined);
});
