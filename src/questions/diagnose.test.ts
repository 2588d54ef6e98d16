// `podnet diagnose` on the model: the checklist's codes for the broken examples (expected
// codes come from what Kubernetes does in each situation, written in
// examples/broken/expected.json), and the policy it suggests really allows the flow.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCluster } from "../load/cluster.js";
import { findPod } from "../cli/resolve-target.js";
import type { ClusterState } from "../control/state.js";
import { runChange } from "../control/changes.js";
import { runCheck } from "./check.js";
import { diagnose, DiagnoseInputError, type Diagnosis } from "./diagnose.js";
import { diagnoseAll } from "./diagnose-all.js";
import { minimalSelector } from "./diagnose-policy.js";
import { nearestLabels } from "./diagnose-service.js";
import { modelSession } from "./trace.js";
import { shopSession } from "./testing.js";

const BROKEN = "examples/broken";
interface Expected {
  from: string;
  to: string;
  port?: number;
  code: string;
  failing?: string[];
  severity?: "error" | "warning";
  /** Text the failing check's evidence must hold (a fault's name, as written). */
  evidence?: string;
  /** A scale applied after the build (the fault, then the change: kube-proxy-down's stale rules). */
  scale?: { deployment: string; replicas: number };
}
const expected: Record<string, Expected> = JSON.parse(readFileSync(join(BROKEN, "expected.json"), "utf8"));

const lookup = (state: ClusterState) => (ref: string) => {
  try {
    return findPod(state, ref);
  } catch {
    return undefined;
  }
};

async function run(files: string[], from: string, to: string, port?: number, scale?: Expected["scale"]) {
  let { state } = await loadCluster({ files, mode: "tolerant" });
  if (scale)
    state = runChange(state, {
      op: "scale",
      kind: "Deployment",
      namespace: "default",
      name: scale.deployment,
      replicas: scale.replicas,
    }).state;
  const src = from.startsWith("external") ? from : `${findPod(state, from).namespace}/${findPod(state, from).name}`;
  return { state, d: diagnose(modelSession(state), { from: src, to, port, findPod: lookup(state) }) };
}

test("every scenario directory has an expected code, and every expected scenario a directory", () => {
  const dirs = readdirSync(BROKEN, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  assert.deepEqual(dirs, Object.keys(expected).sort());
});

for (const [name, e] of Object.entries(expected)) {
  test(`broken/${name}: the first failing check is ${e.code}`, async () => {
    const { d } = await run([join(BROKEN, name)], e.from, e.to, e.port, e.scale);
    assert.ok(d.first_failure, JSON.stringify(d.checks, null, 1));
    assert.equal(d.first_failure.code, e.code, JSON.stringify(d.checks.filter((c) => !c.ok)));
    const failed = d.checks.find((c) => c.code === e.code)!;
    assert.equal(failed.severity, e.severity ?? "error");
    assert.ok(d.first_failure.why.length > 0 && d.first_failure.fix.length > 0);
    if (e.evidence) {
      // A fault is named in the evidence, and its fix says how to clear it.
      assert.ok(failed.evidence.includes(e.evidence), failed.evidence);
      assert.ok(d.first_failure.fix.includes(`podnet fault clear '${e.evidence}`), d.first_failure.fix);
    }
    for (const code of e.failing ?? [])
      assert.equal(d.checks.find((c) => c.code === code)?.ok, false, `${code} fails too`);
  });
}

test("the healthy example: every check holds, in the checklist's order", async () => {
  const { d } = await run([], "order-app", "http://user-service");
  assert.equal(d.first_failure, null, JSON.stringify(d.checks.filter((c) => !c.ok)));
  const layers = d.checks.map((c) => c.layer);
  assert.deepEqual([...new Set(layers)], ["dns", "service", "path", "policy", "listener"]);
  const codes = d.checks.map((c) => c.code);
  for (const c of ["dns.resolve", "service.selector", "service.endpoints.ready", "service.targetPort", "path.route"])
    assert.ok(codes.includes(c), c);
  // The resolver walk: the first search domain answered, after one query.
  assert.match(
    d.checks.find((c) => c.code === "dns.resolve")!.evidence,
    /search domain default\.svc\.cluster\.local\) answered after 1 query/,
  );
  // The example's order-app → user-service crosses nodes or not; either way the path says which.
  assert.match(d.checks.find((c) => c.code === "path.route")!.evidence, /^(same node|across nodes)/);
});

test("JSON: stable field names", async () => {
  const { d } = await run([join(BROKEN, "selector-typo")], "client", "http://web");
  const j = JSON.parse(JSON.stringify(d)) as Diagnosis;
  assert.deepEqual(Object.keys(j).sort(), [
    "checks",
    "first_failure",
    "from",
    "paths",
    "port",
    "protocol",
    "target",
    "to",
  ]);
  // The selector matches no pod: kube-proxy rejects the Service without endpoints, Hubble's
  // SERVICE_BACKEND_NOT_FOUND = 158 (flow.proto).
  for (const p of j.paths!)
    assert.deepEqual([p.verdict, p.drop_reason, p.drop_reason_desc], ["DROPPED", 158, "SERVICE_BACKEND_NOT_FOUND"]);
  for (const c of j.checks)
    for (const k of ["code", "layer", "title", "ok", "severity", "evidence"]) assert.ok(k in c, k);
  assert.deepEqual(Object.keys(j.first_failure!).sort(), ["code", "fix", "layer", "why"]);
});

test("wrong namespace: the name exists only in another namespace, and diagnose says how to call it", async () => {
  const { d } = await run([join(BROKEN, "wrong-namespace")], "client", "http://web");
  assert.match(d.first_failure!.fix, /web\.shop\b/);
  // Called by its namespaced name, it works.
  const ok = await run([join(BROKEN, "wrong-namespace")], "client", "http://web.shop");
  assert.equal(ok.d.first_failure, null, JSON.stringify(ok.d.checks.filter((c) => !c.ok)));
});

test("wrong namespace, called as an app's NAME:PORT or a bare name: a DNS name, never the pod of that name", async () => {
  // An app configured with "web:80" (as REDIS_ADDR=redis-cart:6379) looks the name up through
  // its search list (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#namespaces-of-services):
  // web.default.svc.cluster.local does not exist, so the lookup fails, whatever pod is named
  // web in namespace shop. A pod's name has no ':', so NAME:PORT names no pod.
  for (const to of ["web:80", "web"]) {
    const { d } = await run([join(BROKEN, "wrong-namespace")], "client", to);
    assert.equal(d.target.kind, "name", `${to}: ${JSON.stringify(d.target)}`);
    assert.equal(d.first_failure?.code, "dns.resolve", `${to}: ${JSON.stringify(d.checks.filter((c) => !c.ok))}`);
    assert.match(d.first_failure!.fix, /web\.shop\b/);
  }
  const ok = await run([join(BROKEN, "wrong-namespace")], "client", "web.shop:80");
  assert.equal(ok.d.first_failure, null, JSON.stringify(ok.d.checks.filter((c) => !c.ok)));
});

test("DNS across a fault: each query meets one CoreDNS replica, so lookups fail intermittently or always", async () => {
  // ip-forward-off on worker-1: one CoreDNS replica runs there. kube-proxy sends each query
  // to one endpoint at random (https://kubernetes.io/docs/reference/networking/virtual-ips/):
  // those sent to worker-1 are not forwarded, the others are answered.
  const { state, d } = await run([join(BROKEN, "ip-forward-off")], "client", "http://web");
  const r = d.checks.find((c) => c.code === "dns.resolve")!;
  assert.equal(r.ok, false);
  assert.equal(r.severity, "warning");
  const behind = state.pods.find((p) => p.name.startsWith("coredns-") && p.nodeName === "worker-1")!;
  assert.ok(r.why!.includes(`${behind.namespace}/${behind.name} ${behind.podIP}`), r.why);
  assert.match(r.why!, /intermittently/);
  const other = state.pods.find((p) => p.name.startsWith("coredns-") && p.nodeName !== "worker-1")!;
  assert.ok(!r.why!.includes(other.name), r.why);
  // kube-proxy flushed on the client's node: nothing translates 10.96.0.10, the query
  // leaves the cluster and no query is answered.
  const flushed = await run([join(BROKEN, "kube-proxy-flushed")], "client", "http://web");
  const f = flushed.d.checks.find((c) => c.code === "dns.resolve")!;
  assert.equal([f.ok, f.severity].join(), "false,error");
  assert.match(f.why!, /EAI_AGAIN/);
  assert.ok(f.evidence.includes("kube-proxy-flushed worker-2"), f.evidence);
});

test("selector typo: the nearest labels name the pod and the differing value", async () => {
  const { state, d } = await run([join(BROKEN, "selector-typo")], "client", "http://web");
  assert.match(d.first_failure!.fix, /app=wbe \(the pod has app=web\)/);
  const svc = state.services.find((s) => s.name === "web")!;
  assert.match(nearestLabels(svc, state.pods)!, /^nearest: default\/web-/);
});

test("a suggested policy is the smallest selector of the workload", async () => {
  const { state } = await loadCluster({});
  const pod = state.pods.find((p) => p.name.startsWith("user-app-") && p.namespace === "default")!;
  // app=user-app alone selects the workload's pods in default (tier=backend would too, but app comes first).
  assert.deepEqual(minimalSelector(state, pod), { app: "user-app" });
});

// Applying the YAML diagnose prints must make the flow allowed, as `podnet check` sees it.
for (const name of ["ingress-deny", "policy-both-ends", "egress-deny-without-dns"]) {
  test(`broken/${name}: applying the suggested policy makes podnet check allow the flow`, async () => {
    const e = expected[name];
    const { d } = await run([join(BROKEN, name)], e.from, e.to);
    assert.ok(d.allow_policy, "a policy is suggested");
    const dir = mkdtempSync(join(tmpdir(), "podnet-diag-"));
    try {
      const fix = join(dir, "allow.yaml");
      writeFileSync(fix, d.allow_policy);
      const { state } = await loadCluster({ files: [join(BROKEN, name), fix] });
      const [out] = runCheck(modelSession(state), [
        { from: e.from, to: e.to, protocol: "tcp", expect: "allow", line: 1 },
      ]);
      assert.ok(out.ok, out.details.join("\n"));
      const after = diagnose(modelSession(state), {
        from: `${findPod(state, e.from).namespace}/${findPod(state, e.from).name}`,
        to: e.to,
        findPod: lookup(state),
      });
      assert.equal(after.first_failure, null, JSON.stringify(after.checks.filter((c) => !c.ok)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** diagnose `to` from `from` over a broken scenario with `extra` manifests added. */
async function withExtra(name: string, extra: string, from: string, to: string) {
  const dir = mkdtempSync(join(tmpdir(), "podnet-diag-"));
  try {
    writeFileSync(join(dir, "extra.yaml"), extra);
    return await run([join(BROKEN, name), join(dir, "extra.yaml")], from, to);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const dnsRule = (peer: string) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-dns
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to:
${peer}
      ports:
        - {protocol: UDP, port: 53}
        - {protocol: TCP, port: 53}
`;

test("an allow-DNS rule that misses CoreDNS is named, with why its peer misses", async () => {
  // CoreDNS runs in kube-system with k8s-app=kube-dns. A podSelector without a
  // namespaceSelector selects pods of the policy's own namespace only, and both selectors
  // in one peer must match (https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors);
  // policies match the pod's address after the Service's DNAT, not kube-dns's cluster IP.
  const cases: [string, RegExp][] = [
    [
      "        - podSelector: {matchLabels: {k8s-app: kube-dns}}",
      /default\/allow-dns egress rule 0 allows UDP 53, but it has no namespaceSelector, so it selects pods of default only, and kube-system\/coredns-\S+ runs in kube-system/,
    ],
    [
      "        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}\n          podSelector: {matchLabels: {app: coredns}}",
      /default\/allow-dns egress rule 0 allows UDP 53, but its podSelector app=coredns does not match kube-system\/coredns-\S+ \(labels k8s-app=kube-dns\)/,
    ],
    [
      "        - namespaceSelector: {matchLabels: {name: kube-system}}",
      /its namespaceSelector name=kube-system does not match namespace kube-system \(labels kubernetes\.io\/metadata\.name=kube-system\)/,
    ],
    [
      "        - ipBlock: {cidr: 10.96.0.10/32}",
      /its ipBlock 10\.96\.0\.10\/32 does not contain 10\.244\.\d+\.\d+ \(10\.96\.0\.10 is Service kube-system\/kube-dns's cluster IP/,
    ],
  ];
  for (const [peer, want] of cases) {
    const { d } = await withExtra("egress-deny-without-dns", dnsRule(peer), "client", "http://web");
    const c = d.checks.find((x) => x.code === "dns.policy")!;
    assert.equal(c.ok, false, peer);
    assert.match(c.evidence, want);
    assert.match(d.first_failure!.why, want);
  }
  // UDP only: TCP 53 is the near miss, a warning (answers that fit UDP still resolve).
  const udp = dnsRule("        - namespaceSelector: {}").replace("        - {protocol: TCP, port: 53}\n", "");
  const { d } = await withExtra("egress-deny-without-dns", udp, "client", "http://web");
  const c = d.checks.find((x) => x.code === "dns.policy")!;
  assert.equal(c.severity, "warning");
  assert.match(c.evidence, /default\/allow-dns egress rule 0 allows UDP 53 to kube-system\/coredns-\S+, not TCP 53/);
});

test("an ingress rule on the Service's port, not the pod's: named, as policy sees the port after DNAT", async () => {
  // web: Service port 80 → targetPort http (8080). NetworkPolicy ports are the pod's
  // (https://kubernetes.io/docs/concepts/services-networking/network-policies/: policies act
  // on the connection to the pod, after kube-proxy's DNAT), so a rule on port 80 allows nothing here.
  const pol = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-from-client
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
    - from: [{podSelector: {matchLabels: {app: client}}}]
      ports: [{protocol: TCP, port: 80}]
`;
  const r = await withExtra("ingress-deny", pol, "client", "http://web");
  const c = r.d.checks.find((x) => x.code === "policy.ingress")!;
  assert.equal(c.ok, false);
  assert.match(
    c.evidence,
    /default\/web-from-client ingress rule 0 allows TCP 80 from default\/client-\S+, not TCP 8080 \(80 is the Service's port: policies see the pod's port, 8080, after the Service's DNAT\)/,
  );
});

test("egress to the API server through default/kubernetes: policy is checked at its endpoint, not skipped", async () => {
  // default/kubernetes has no selector: its endpoint is the API server's address and port
  // (192.168.1.2:6443 on the control-plane node), not a pod. An egress-isolated pod's
  // connections are allowed only by its egress rules, and they match the destination after
  // kube-proxy's DNAT (https://kubernetes.io/docs/concepts/services-networking/network-policies/),
  // so 443 to the cluster IP needs a rule for 6443 to that address: cert-manager's webhook
  // chart allows TCP 6443 to 0.0.0.0/0 for this (cert-manager deploy/charts/cert-manager/
  // templates/networkpolicy-egress.yaml).
  const egress = (ports: string) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: client-dns-and-api
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
    - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
      ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}, ${ports}]
`;
  const denied = await withExtra(
    "egress-deny-without-dns",
    egress("{protocol: TCP, port: 6444}"),
    "client",
    "kubernetes.default:443",
  );
  const c = denied.d.checks.find((x) => x.code === "policy.egress");
  assert.equal(c?.ok, false, JSON.stringify(denied.d.checks.map((x) => x.code)));
  assert.equal(denied.d.first_failure?.code, "policy.egress");
  assert.match(c!.evidence, /no rule allows TCP 6443 to 192\.168\.1\.2/);
  // The trace of the same flow is dropped by policy: diagnose agrees with it.
  assert.ok(
    denied.d.paths?.length &&
      denied.d.paths.every((p) => p.verdict === "DROPPED" && p.drop_reason_desc === "POLICY_DENIED"),
    JSON.stringify(denied.d.paths),
  );
  const allowed = await withExtra(
    "egress-deny-without-dns",
    egress("{protocol: TCP, port: 6443}"),
    "client",
    "kubernetes.default:443",
  );
  assert.equal(allowed.d.checks.find((x) => x.code === "policy.egress")?.ok, true);
  assert.equal(allowed.d.first_failure, null);
});

test("VXLAN MTU: TCP to a peer with the right MTU is bounded by its MSS; to a peer at 1500 it is dropped", async () => {
  // A TCP sender never sends a segment larger than the MSS the peer advertised, its MTU
  // less 40 (RFC 9293 3.7.1): the client at 1500 talking to web at 1450 sends 1450-byte
  // packets, which fit flannel.1. With both pods at 1500 (the fault on both nodes) the
  // 1500-byte segments meet flannel.1's 1450 and are dropped (ICMP fragmentation needed).
  const dir = join(BROKEN, "vxlan-mtu");
  const pods = async (faults: { kind: "mtu-mismatch"; node: string }[]) => {
    const { state } = await loadCluster({ files: [dir], mode: "tolerant", faults });
    const src = findPod(state, "client");
    return diagnose(modelSession(state), {
      from: `${src.namespace}/${src.name}`,
      to: "http://web",
      findPod: lookup(state),
    });
  };
  const one = (await pods([])).checks.find((c) => c.code === "path.mtu")!;
  assert.deepEqual([one.ok, one.severity], [false, "warning"]);
  assert.match(one.evidence, /advertises MSS 1410 \(its MTU 1450 − 40\)/);
  const both = (await pods([{ kind: "mtu-mismatch", node: "worker-1" }])).checks.find((c) => c.code === "path.mtu")!;
  assert.deepEqual([both.ok, both.severity], [false, "error"]);
  assert.match(both.why!, /ICMP fragmentation needed/);
});

test("inputs diagnose cannot start from are DiagnoseInputError", async () => {
  const { state } = await loadCluster({});
  const s = modelSession(state);
  assert.throws(() => diagnose(s, { from: "external", to: "user-service" }), DiagnoseInputError);
  assert.throws(() => diagnose(s, { from: "default/nope", to: "user-service" }), DiagnoseInputError);
  const src = state.pods.find((p) => p.name.startsWith("order-app-"))!;
  assert.throws(() => diagnose(s, { from: `default/${src.name}`, to: "svc/nope" }), DiagnoseInputError);
});

test("from outside through a NodePort: SNAT hides the client, the fix keeps its address", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-diag-"));
  try {
    const deny = join(dir, "deny.yaml");
    writeFileSync(
      deny,
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: order-deny}\nspec:\n  podSelector: {matchLabels: {app: order-app}}\n  policyTypes: [Ingress]\n",
    );
    const { state } = await loadCluster({ files: ["examples/demo", deny] });
    const node = state.nodes.find((n) => n.name === "worker-1")!;
    const to = `${node.address}:30080`;
    const session = modelSession(state);
    const d = diagnose(session, { from: "external", to });
    assert.equal(d.first_failure?.code, "policy.ingress");
    // externalTrafficPolicy Cluster masquerades outside clients (KUBE-EXT-… → KUBE-MARK-MASQ):
    // a pod on another node sees an address of worker-1. Keeping the client's address is
    // externalTrafficPolicy Local (https://kubernetes.io/docs/tutorials/services/source-ip/).
    assert.match(d.checks.find((c) => c.code === "policy.ingress")!.evidence, /worker-1's address after SNAT/);
    assert.match(d.first_failure!.fix, /externalTrafficPolicy: Local on Service default\/order-service/);
    // The rule allows the client, not the node that masqueraded it.
    const client = session.trace({ from: "external", to }).flow.src;
    assert.match(d.allow_policy!, new RegExp(`cidr: ${client.replaceAll(".", "\\.")}/32`));
    const fix = join(dir, "allow.yaml");
    writeFileSync(fix, d.allow_policy!);
    const { state: fixed } = await loadCluster({ files: ["examples/demo", deny, fix] });
    const local = {
      ...fixed,
      services: fixed.services.map((s) =>
        s.name === "order-service" ? { ...s, externalTrafficPolicy: "Local" as const } : s,
      ),
    };
    const [out] = runCheck(modelSession(local), [{ from: "external", to, protocol: "tcp", expect: "allow", line: 1 }]);
    assert.ok(out.ok, out.details.join("\n"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("from outside to a NodePort on the pod's own node: policy sees the client before SNAT", async () => {
  // The pod's node checks policy in the forward hook, before POSTROUTING where kube-proxy
  // masquerades (KUBE-POSTROUTING): an ipBlock of the client admits it there. Through the
  // other node it arrives from that node's address: the fix is externalTrafficPolicy Local
  // (https://kubernetes.io/docs/tutorials/services/source-ip/), the policy needs nothing.
  const dir = mkdtempSync(join(tmpdir(), "podnet-diag-"));
  try {
    const office = join(dir, "office.yaml");
    writeFileSync(
      office,
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: office}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n  ingress: [{from: [{ipBlock: {cidr: 203.0.113.0/24}}]}]\n",
    );
    const { state: loaded } = await loadCluster({ files: [join(BROKEN, "external-traffic-policy-local"), office] });
    const state = {
      ...loaded,
      services: loaded.services.map((s) =>
        s.name === "web" ? { ...s, externalTrafficPolicy: "Cluster" as const } : s,
      ),
    };
    assert.equal(findPod(state, "web").nodeName, "worker-1");
    const at = (n: string) => `${state.nodes.find((x) => x.name === n)!.address}:30080`;
    const session = modelSession(state);
    const same = diagnose(session, { from: "external:203.0.113.7", to: at("worker-1") });
    assert.equal(same.first_failure, null, JSON.stringify(same.checks.filter((c) => !c.ok)));
    const other = diagnose(session, { from: "external:203.0.113.7", to: at("worker-2") });
    assert.equal(other.first_failure?.code, "policy.ingress");
    assert.match(other.first_failure!.fix, /externalTrafficPolicy: Local/);
    assert.equal(other.allow_policy, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("externalTrafficPolicy Local: a pod's own node's NodePort takes the Cluster path (iptables, not IPVS)", async () => {
  // kube-proxy's KUBE-EXT chain of a Local Service starts with "pod traffic for … external
  // destinations" (`-s <clusterCIDR>` → KUBE-SVC; kubernetes pkg/proxy/iptables/proxier.go,
  // https://kubernetes.io/docs/reference/networking/virtual-ips/#external-traffic-policy):
  // a pod reaches any ready endpoint. IPVS syncs the NodePort's real servers with
  // svcInfo.ExternalPolicyLocal() (pkg/proxy/ipvs/proxier.go): local ones only, for any source.
  const dir = mkdtempSync(join(tmpdir(), "podnet-diag-"));
  try {
    const pin = join(dir, "client.yaml");
    writeFileSync(
      pin,
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: pinned}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: pinned}}\n  template:\n    metadata: {labels: {app: pinned}}\n    spec:\n      nodeSelector: {kubernetes.io/hostname: worker-2}\n      containers: [{name: curl, image: curlimages/curl:8.8.0}]\n",
    );
    const { state } = await loadCluster({ files: [join(BROKEN, "external-traffic-policy-local"), pin] });
    const client = findPod(state, "pinned");
    assert.equal(client.nodeName, "worker-2");
    const worker2 = state.nodes.find((n) => n.name === "worker-2")!.address;
    const input = { from: `default/${client.name}`, to: `${worker2}:30080` };
    const d = diagnose(modelSession(state), input);
    assert.equal(d.first_failure, null, JSON.stringify(d.checks.filter((c) => !c.ok)));
    assert.equal(d.checks.find((c) => c.code === "service.trafficPolicy")?.ok, true);
    const ipvs = diagnose(modelSession(state, { proxyMode: "ipvs" }), input);
    assert.equal(ipvs.first_failure?.code, "service.trafficPolicy");
    // Without a local detector (kube-proxy's clusterCIDR empty) the short-cut rule is not
    // written (localDetector.IsImplemented()): the pod is held to the Local policy too.
    const none = diagnose(
      modelSession({
        ...state,
        config: { ...state.config, networking: { ...state.config.networking, kubeProxyClusterCIDR: "" } },
      }),
      input,
    );
    assert.equal(none.first_failure?.code, "service.trafficPolicy");
    assert.match(none.first_failure!.why, /kube-proxy's clusterCIDR is empty \(no local detector\)/);
    assert.match(none.first_failure!.fix, /give kube-proxy the pod range as its clusterCIDR/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("http:// to a Service whose port is UDP: curl connects over TCP, and no TCP port 80 exists", async () => {
  // A URL's http/https scheme is TCP; kube-proxy's rules for a UDP Service port match
  // `-p udp` only (pkg/proxy/iptables/proxier.go), so a TCP connection matches none.
  const dir = mkdtempSync(join(tmpdir(), "podnet-diag-"));
  try {
    const udp = join(dir, "udp.yaml");
    writeFileSync(
      udp,
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx:1.27, ports: [{name: http, containerPort: 8080}]}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: 8080, protocol: UDP}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: client}\nspec:\n  containers: [{name: curl, image: curlimages/curl:8.8.0}]\n",
    );
    const { state } = await loadCluster({ files: [join(BROKEN, "selector-typo", "cluster.yaml"), udp] });
    const d = diagnose(modelSession(state), { from: "default/client", to: "http://web" });
    assert.equal(d.protocol, "tcp");
    assert.equal(d.first_failure?.code, "service.port");
    assert.match(d.checks.find((c) => c.code === "service.port")!.evidence, /no port 80\/TCP/);
    assert.match(d.first_failure!.fix, /protocol: TCP/);
    for (const p of d.paths!) assert.notEqual(p.verdict, "EXITS_CLUSTER");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("TO as NAME:PORT is a host and a port; a pod IP without one is its first container port", async () => {
  // A headless StatefulSet db (pg 5432 first) with a client in namespace shop.
  const s = shopSession();
  const state = s.state!;
  // "db:5432" as an app's connection string means host db, port 5432; db-0.db is the
  // StatefulSet pod's own name under its headless Service
  // (https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#stable-network-id).
  for (const to of ["db:5432", "db-0.db:5432", "svc/db"]) {
    const d = diagnose(s, { from: "shop/client", to, findPod: lookup(state) });
    assert.deepEqual([d.target.kind, d.port, d.protocol], ["name", 5432, "tcp"], to);
    assert.equal(d.first_failure, null, `${to}: ${JSON.stringify(d.checks.filter((c) => !c.ok))}`);
  }
  const db0 = state.pods.find((p) => p.name === "db-0")!;
  const byIp = diagnose(s, { from: "shop/client", to: db0.podIP! });
  assert.equal(byIp.port, 5432);
  assert.equal(byIp.first_failure, null);
});

test("a pod whose nameserver is not the cluster DNS: diagnose says so rather than blaming the name", async () => {
  const { state } = await loadCluster({});
  const dns = state.pods.find((p) => p.name.startsWith("coredns-"))!;
  const d = diagnose(modelSession(state), {
    from: `${dns.namespace}/${dns.name}`,
    to: "user-service",
    namespace: "default",
  });
  assert.equal(d.first_failure?.code, "dns.resolve");
  assert.match(d.first_failure!.fix, /dnsPolicy: ClusterFirst/);
});

test("diagnose --all on a kind cluster's dump: CoreDNS (dnsPolicy Default) does not ask for names", async () => {
  // kube-system's only pods are CoreDNS and the agents: CoreDNS reads the node's resolv.conf
  // (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-dns-policy),
  // where no cluster name resolves, so its Service names are asked from a pod that uses the
  // cluster DNS: nothing is broken.
  const { state } = await loadCluster({
    files: [join(BROKEN, "..", "snapshots", "kind-flannel.yaml")],
    mode: "tolerant",
  });
  const coredns = state.pods.find((p) => p.name.startsWith("coredns-") && !p.system);
  assert.equal(coredns?.spec.dnsPolicy, "Default");
  const d = diagnoseAll(modelSession(state));
  assert.ok(d.checked.serviceNames > 0);
  assert.deepEqual(d.findings, []);
});

test("diagnose --all on a Pods-only dump: the API server the input does not show is not reported broken", async () => {
  // No Node objects, no control-plane pods, no EndpointSlice for default/kubernetes: the
  // API server keeps that Service's endpoints on a real cluster, the dump just does not say
  // where. The other Services are still checked.
  const { state } = await loadCluster({ files: [join(BROKEN, "..", "snapshots", "no-nodes", "pods.yaml")] });
  assert.ok(!state.nodes.some((n) => n.role === "control-plane"));
  const d = diagnoseAll(modelSession(state));
  assert.ok(d.checked.servicePorts > 0);
  assert.deepEqual(d.findings, []);
  // Where the input shows the control plane, a kubernetes Service without endpoints still is.
  const kind = await loadCluster({ files: [join(BROKEN, "..", "snapshots", "kind-flannel.yaml")] });
  const cut = {
    ...kind.state,
    endpointSlices: kind.state.endpointSlices.filter((s) => s.serviceName !== "kubernetes"),
  };
  assert.deepEqual(
    diagnoseAll(modelSession(cut)).findings.map((f) => [f.code, f.subject]),
    [["service.endpoints", "default/kubernetes:443/TCP"]],
  );
});

test("diagnose --all on EKS pods (on the node network): the stand-in's paths are not checked, and it says so", async () => {
  // The Amazon VPC CNI gives pods addresses of the nodes' own subnets; podnet models another
  // dataplane there, whose routes between those nodes loop: no finding may come from them.
  const { state } = await loadCluster({ files: [join(BROKEN, "..", "snapshots", "no-nodes", "podlist.json")] });
  const d = diagnoseAll(modelSession(state));
  assert.equal(d.checked.nodePairs, 0);
  assert.deepEqual(d.findings, []);
  assert.equal(d.not_checked?.length, 1);
  assert.match(d.not_checked![0], /^paths between nodes and Services' answers: .* on the node network/);
  const kind = await loadCluster({ files: [join(BROKEN, "..", "snapshots", "kind-flannel.yaml")] });
  assert.equal(diagnoseAll(modelSession(kind.state)).not_checked, undefined);
});

test("diagnose --all: the example has nothing broken; broken examples list what is, worst first", async () => {
  const healthy = diagnoseAll(modelSession((await loadCluster({})).state));
  assert.deepEqual(healthy.findings, []);
  assert.equal(healthy.checked.nodePairs, 6); // three nodes, both ways
  // No endpoint at all (a selector that matches nothing, a named targetPort no pod has: the
  // EndpointSlice controller lists no address) is service.endpoints; listed but not ready
  // (ready: false, https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#conditions)
  // is service.endpoints.ready, as diagnose FROM TO names them.
  const all = async (name: string) =>
    diagnoseAll(modelSession((await loadCluster({ files: [join(BROKEN, name)] })).state)).findings;
  const typo = await all("selector-typo");
  assert.deepEqual(
    typo.map((f) => [f.code, f.subject]),
    [["service.endpoints", "default/web:80/TCP"]],
  );
  assert.match(typo[0].evidence, /^no endpoints: selector app=wbe matches no pod/);
  const named = await all("named-port-missing");
  assert.deepEqual(
    named.map((f) => f.code),
    ["service.endpoints"],
  );
  assert.match(named[0].evidence, /targetPort "[^"]+" is no TCP container port/);
  assert.deepEqual(
    (await all("not-ready-endpoints")).map((f) => f.code),
    ["service.endpoints.ready"],
  );
  const dns = diagnoseAll(
    modelSession((await loadCluster({ files: [join(BROKEN, "egress-deny-without-dns")] })).state),
  );
  assert.deepEqual(
    dns.findings.map((f) => f.code),
    ["dns.policy"],
  );
  assert.match(dns.findings[0].subject, /^default\/client-/);
});

test("from outside, svc/NAME is reached at its NodePort (or LoadBalancer IP), never at its cluster IP", async () => {
  // A client outside the cluster has no route to the Service range: it connects to a
  // node's address and the NodePort, or to the LoadBalancer IP
  // (https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport), as
  // `trace external svc/NAME` does. The broken example's NodePort Service (Local) with its
  // pod on worker-1 answers there.
  const { state } = await loadCluster({ files: [join(BROKEN, "external-traffic-policy-local")] });
  const d = diagnose(modelSession(state), { from: "external:203.0.113.7", to: "svc/web" });
  assert.equal(d.first_failure, null, JSON.stringify(d.checks.filter((c) => !c.ok)));
  assert.equal(d.port, 30080);
  assert.equal(d.checks.find((c) => c.code === "service.proxy")?.ok, true);
  assert.equal(d.checks.find((c) => c.code === "listener")?.ok, true);
  // A ClusterIP Service has nothing a client outside can connect to.
  const web = state.services.find((s) => s.name === "web")!;
  const ports = web.ports.map(({ nodePort: _, ...p }) => p);
  const inner = { ...web, name: "inner", type: "ClusterIP" as const, externalTrafficPolicy: "Cluster" as const, ports };
  const withInner = { ...state, services: [...state.services, inner] };
  assert.throws(
    () => diagnose(modelSession(withInner), { from: "external", to: "svc/inner" }),
    (e: Error) => e instanceof DiagnoseInputError && /type ClusterIP: outside the cluster/.test(e.message),
  );
});

test("a Service whose selector also matches a Pending replica: the evidence names it and the scheduler's reason", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-diag-"));
  try {
    // Three replicas that each want host port 8080, on two schedulable workers (the
    // control-plane node is tainted): the third finds no node with the port free
    // (the scheduler's NodePorts filter), so the Service has two endpoints, not three.
    writeFileSync(
      join(dir, "m.yaml"),
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 8080, hostPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec: {containers: [{name: c, image: busybox}]}
`,
    );
    const { d } = await run(
      [join(BROKEN, "hostnetwork-port-clash", "cluster.yaml"), join(dir, "m.yaml")],
      "client",
      "http://web",
    );
    const sel = d.checks.find((c) => c.code === "service.selector")!;
    assert.equal(sel.ok, true);
    assert.match(
      sel.evidence,
      /matches 2 running pod\(s\): .*; 1 more not running: default\/web-\S+ Pending: 0\/3 nodes are available: .*didn't have free ports for the requested pod ports/,
    );
    assert.equal(d.first_failure, null, "the flow reaches the two that run");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("path.route names each way a Service's connections go when its endpoints sit on several nodes", async () => {
  // The embedded example: user-service's two endpoints, one on order-app's node, one across.
  const { state } = await loadCluster({});
  const from = findPod(state, "order-app");
  const d = diagnose(modelSession(state), { from: `${from.namespace}/${from.name}`, to: "http://user-service" });
  const ev = d.checks.find((c) => c.code === "path.route")!.evidence;
  const parts = ev.split("; ");
  assert.equal(parts.length, 2, ev);
  assert.ok(
    parts.some((x) => /^same node \S+ \(veth, bridge\): 50 % of connections$/.test(x)),
    ev,
  );
  assert.ok(
    parts.some((x) => /^across nodes \S+ → \S+ \(VXLAN .*\): 50 % of connections$/.test(x)),
    ev,
  );
});
