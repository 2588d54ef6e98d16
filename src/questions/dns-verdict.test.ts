// DNS is part of every verdict. Expected values from Kubernetes' documented behaviour
// (https://kubernetes.io/docs/concepts/services-networking/network-policies/): a pod whose
// egress policy does not allow port 53 cannot resolve names, so a connection by name fails
// although the same connection by address is allowed; a pod resolves through its
// resolv.conf nameserver, the kube-dns Service IP, on UDP 53
// (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCluster } from "../load/cluster.js";
import { modelSession } from "./trace.js";
import { runCheck } from "./check.js";
import { computeReach } from "./reach.js";
import { planFlows } from "./verify.js";
import type { TracePath } from "../sim/index.js";

const DEMO = fileURLToPath(new URL("../../../examples/demo", import.meta.url));

/** order-app may talk to user-app on 8080 only, plus `extra` egress rules (YAML list items). */
const orderEgress = (extra = "") => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: order-egress
spec:
  podSelector:
    matchLabels: {app: order-app}
  policyTypes: [Egress]
  egress:
    - to:
        - podSelector:
            matchLabels: {app: user-app}
      ports:
        - port: 8080
${extra}`;

async function cluster(...manifests: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "podnet-dnsv-"));
  try {
    manifests.forEach((m, i) => writeFileSync(join(dir, `${i}.yaml`), m));
    const { state } = await loadCluster({ files: [DEMO, dir] });
    return state;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const kubeDns = (state: Awaited<ReturnType<typeof cluster>>) =>
  state.services.find((s) => s.namespace === "kube-system" && s.name === "kube-dns")!.clusterIP!;
const sum = (ps: TracePath[]) => ps.reduce((a, p) => a + p.probability, 0);

test("dns verdict: egress without port 53 — the lookup fails, the trace ends DROPPED naming the policy", async () => {
  const state = await cluster(orderEgress());
  const s = modelSession(state);
  const dns = kubeDns(state);
  const r = s.trace({ from: "order-app", to: "http://user-service" });
  assert.ok(r.paths.length > 0);
  for (const p of r.paths) {
    assert.equal(p.disposition.verdict, "DROPPED");
    // The dropped query is never answered: glibc times out (EAI_AGAIN). The policy that
    // dropped it is the deciding step, inside the query's hops.
    assert.equal(p.disposition.reason, "DNS_TIMEOUT");
    assert.equal(p.disposition.detail, `name lookup failed: query to ${dns}:53 dropped by policy default/order-egress`);
    const decided = p.hops.flatMap((h) => h.steps).filter((x) => x.decided);
    assert.equal(decided.length, 1);
    assert.equal(decided[0].action, "POLICY");
    // The DNS step comes first and is the query: UDP to the kube-dns Service IP, port 53.
    const first = p.hops[0].steps[0];
    assert.equal(first.action, "DNS");
    assert.equal(first.packet.protocol, "udp");
    assert.equal(first.packet.dst, dns);
    assert.equal(first.packet.dport, 53);
    assert.ok(p.choices.every((c) => c.startsWith("DNS query: ")));
  }
  assert.equal(Math.round(sum(r.paths) * 1e6) / 1e6, 1);
  assert.deepEqual(r.dns?.lookup?.status, "failed");
  assert.equal(r.dns?.lookup?.failed, 1);
  assert.equal(r.dns?.lookup?.reason, `name lookup failed: query to ${dns}:53 dropped by policy default/order-egress`);
  // The JSON keeps its fields: the walk and the answer CoreDNS would give, the query's trace.
  const j = JSON.parse(JSON.stringify(r));
  assert.equal(j.dns.nameserver, dns);
  assert.equal(
    j.dns.answer,
    state.services.find((x) => x.name === "user-service" && x.namespace === "default")!.clusterIP,
  );
  assert.ok(j.dns.walk.length > 0 && j.dns.path.length > 0);
  assert.equal(j.dns.lookup.status, "failed");
  assert.equal(j.flow.host, "user-service");
  // The same connection by address is allowed (the policy allows user-app:8080): only the name fails.
  const byIp = s.trace({ from: "order-app", to: `${j.dns.answer}:80` });
  assert.ok(byIp.paths.every((p) => p.disposition.verdict === "DELIVERED"));
});

test("dns verdict: egress that allows UDP 53 — the trace is the one without the query's trace", async () => {
  const state = await cluster(orderEgress("    - ports:\n        - {protocol: UDP, port: 53}\n"));
  const s = modelSession(state);
  const r = s.trace({ from: "order-app", to: "http://user-service" });
  const plain = s.trace({ from: "order-app", to: "http://user-service" }, { noDnsPath: true });
  assert.ok(r.paths.every((p) => p.disposition.verdict === "DELIVERED"));
  assert.equal(r.dns?.lookup, undefined);
  assert.deepEqual(r.paths, plain.paths);
});

test("dns verdict: port 53 allowed to one CoreDNS replica only — the paths say which replica fails", async () => {
  // Where the replicas run is the model's; the rule names the first one's address.
  const base = await cluster();
  const cores = base.pods.filter((p) => p.namespace === "kube-system" && p.labels["k8s-app"] === "kube-dns");
  assert.equal(cores.length, 2);
  const [good, bad] = cores;
  const state = await cluster(
    orderEgress(
      `    - to:\n        - ipBlock: {cidr: ${good.podIP}/32}\n      ports:\n        - {protocol: UDP, port: 53}\n`,
    ),
  );
  const r = modelSession(state).trace({ from: "order-app", to: "http://user-service" });
  const dropped = r.paths.filter((p) => p.disposition.verdict === "DROPPED");
  const delivered = r.paths.filter((p) => p.disposition.verdict === "DELIVERED");
  // kube-proxy picks either replica with probability 1/2 (iptables mode's statistic rule).
  assert.equal(r.dns?.lookup?.status, "partial");
  assert.equal(r.dns?.lookup?.failed, 0.5);
  assert.equal(sum(dropped), 0.5);
  assert.ok(Math.abs(sum(delivered) - 0.5) < 1e-9);
  assert.equal(dropped.length, 1);
  // The failing path went to the other replica; the answering paths carry the query's choice first.
  const last = dropped[0].hops.at(-1)!.steps.at(-1)!.packet;
  assert.equal(last.dst, bad.podIP);
  assert.equal(
    dropped[0].disposition.detail,
    `name lookup failed: query to ${kubeDns(state)}:53 (to kube-system/${bad.name} ${bad.podIP}) dropped by policy default/order-egress`,
  );
  for (const p of delivered) assert.match(p.choices[0], /^DNS query: KUBE-SVC-/);
  assert.notEqual(dropped[0].choices[0], delivered[0].choices[0]);
});

test("dns verdict: CoreDNS isolated for ingress — the reason names the policy and the side", async () => {
  const state = await cluster(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: dns-closed
  namespace: kube-system
spec:
  podSelector:
    matchLabels: {k8s-app: kube-dns}
  policyTypes: [Ingress]
`);
  const r = modelSession(state).trace({ from: "order-app", to: "http://user-service" });
  assert.equal(r.dns?.lookup?.status, "failed");
  for (const p of r.paths) {
    assert.equal(p.disposition.verdict, "DROPPED");
    assert.match(
      p.disposition.detail,
      /^name lookup failed: query to [\d.]+:53 dropped by policy kube-system\/dns-closed \(ingress of kube-system\/coredns-[a-z0-9-]+\)$/,
    );
  }
});

test("dns verdict: check reports deny with the lookup's reason; allow fails", async () => {
  const state = await cluster(orderEgress());
  const dns = kubeDns(state);
  const base = { from: "deployment/default/order-app", to: "http://user-service", protocol: "tcp" as const, line: 1 };
  const [deny, allow] = runCheck(modelSession(state), [
    { ...base, expect: "deny" },
    { ...base, expect: "allow" },
  ]);
  assert.equal(deny.ok, true);
  assert.equal(deny.verdict, "deny");
  assert.deepEqual(deny.reasons, [`name lookup failed: query to ${dns}:53 dropped by policy default/order-egress`]);
  assert.equal(allow.ok, false);
  assert.ok(allow.details.every((d) => d.includes("name lookup failed")));
});

test("dns verdict: reach stays L3/L4; --explain notes the pairs whose source cannot look names up", async () => {
  const state = await cluster(orderEgress());
  const dns = kubeDns(state);
  const r = computeReach(state, { explain: true });
  const line = r.lines.find(
    (l) => l.src === "default/order-app[Deployment]" && l.dst === "default/user-app[Deployment]",
  )!;
  // The policy's port stays allowed (reach is about policy, not names) …
  assert.equal(line.text, "TCP 8080");
  // … and the note says a connection by name cannot be made.
  assert.deepEqual(line.explain?.slice(2), [
    `DNS: name lookups fail: UDP 53 to ${dns} (kube-system/kube-dns) denied by policy default/order-egress; by name, no connection`,
  ]);
  // Sources whose DNS egress is open get no note.
  for (const l of r.lines.filter((x) => x.src !== "default/order-app[Deployment]"))
    assert.ok(!l.explain?.some((e) => e.startsWith("DNS:")), `${l.src} => ${l.dst}`);
  // Without --explain nothing changes.
  assert.ok(computeReach(state).lines.every((l) => l.explain === undefined));
});

test("dns verdict: reach --explain names an allow-DNS rule whose peer misses CoreDNS", async () => {
  // Port 53 to pods labelled k8s-app=kube-dns, with no namespaceSelector: the peer selects
  // pods of the policy's own namespace (default) only, and CoreDNS runs in kube-system
  // (https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors).
  const state = await cluster(
    orderEgress(`    - to:
        - podSelector:
            matchLabels: {k8s-app: kube-dns}
      ports:
        - {protocol: UDP, port: 53}
        - {protocol: TCP, port: 53}
`),
  );
  const r = computeReach(state, { explain: true });
  const line = r.lines.find(
    (l) => l.src === "default/order-app[Deployment]" && l.dst === "default/user-app[Deployment]",
  )!;
  const note = line.explain?.find((e) => e.startsWith("DNS:")) ?? "";
  assert.match(
    note,
    /; nearest: default\/order-egress egress rule 1 allows UDP 53, but it has no namespaceSelector, so it selects pods of default only, and kube-system\/coredns-\S+ runs in kube-system; by name, no connection$/,
  );
});

test("dns verdict: verify plans a connection by name with the lookup's outcome (no kernel needed)", async () => {
  const state = await cluster(orderEgress());
  const ir = modelSession(state).ir;
  const order = state.pods.find((p) => p.labels.app === "order-app")!;
  const users = state.pods.find((p) => p.labels.app === "users")!;
  const plan = planFlows(
    ir,
    state,
    "c",
    [],
    [],
    [
      { from: `default/${order.name}`, to: "http://user-service" },
      { from: `default/${users.name}`, to: "http://user-service" },
    ],
  );
  assert.equal(plan.length, 2);
  // The resolver gets no answer: glibc's getaddrinfo gives up with EAI_AGAIN ("servfail").
  assert.deepEqual(plan[0].flow.model.outcomes, ["servfail"]);
  assert.equal(plan[0].probe.probe, "name-http");
  assert.equal(plan[0].probe.name, "user-service");
  assert.equal(plan[0].probe.tries, 1);
  // Unrestricted: both user-app pods answer by name.
  assert.equal(plan[1].flow.model.outcomes.length, 2);
  assert.ok(plan[1].flow.model.outcomes.every((o) => o.startsWith("delivered default/user-app-")));
});

/** A pod with dnsPolicy None whose only nameserver is `ns` (the dnsConfig example of the docs). */
const dnsConfigPod = (name: string, ns: string, options = "") => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  dnsPolicy: "None"
  dnsConfig:
    nameservers: ["${ns}"]
    searches: [ns1.svc.cluster-domain.example]
${options}
  containers: [{name: c, image: busybox}]
`;

test("dns verdict: a dnsConfig nameserver nobody serves — the lookup times out, the trace ends DROPPED", async () => {
  // https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-dns-config:
  // the nameserver is used as given; nothing in the cluster answers at 1.2.3.4, so the
  // resolver waits timeout × attempts (resolv.conf(5) defaults 5 s × 2) and gives up.
  const state = await cluster(dnsConfigPod("lonely", "1.2.3.4"));
  const s = modelSession(state);
  const r = s.trace({ from: "lonely", to: "http://api.example.com" });
  assert.deepEqual(
    r.dns?.walk.map((q) => q.rcode),
    ["TIMEOUT", "TIMEOUT"],
  );
  const why = "name lookup failed: query to 1.2.3.4:53 timed out after 20 s (options timeout:5 attempts:2, glibc)";
  assert.equal(r.dns?.lookup?.status, "failed");
  assert.equal(r.dns?.lookup?.reason, why);
  assert.ok(r.paths.length > 0);
  for (const p of r.paths) {
    assert.equal(p.disposition.verdict, "DROPPED");
    assert.equal(p.disposition.detail, why);
    assert.equal(p.disposition.reason, "DNS_TIMEOUT");
    assert.equal(p.hops[0].steps[0].action, "DNS");
    // Nothing dropped the query: the wait at its end decided.
    const last = p.hops.at(-1)!.steps.at(-1)!;
    assert.equal(last.action, "DNS");
    assert.equal(last.decided, true);
  }
  const [deny] = runCheck(s, [
    { from: "lonely", to: "http://api.example.com", protocol: "tcp", expect: "deny", line: 1 },
  ]);
  assert.equal(deny.ok, true);
  assert.equal(deny.verdict, "deny");
  assert.equal(deny.reasons[0], why);
});

test("dns verdict: resolv.conf's timeout and attempts set how long the lookup waits", async () => {
  const opts = `    options: [{name: timeout, value: "1"}, {name: attempts, value: "3"}, {name: ndots, value: "1"}]`;
  const state = await cluster(dnsConfigPod("lonely", "1.2.3.4", opts));
  const r = modelSession(state).trace({ from: "lonely", to: "http://api.example.com" });
  // 2 dots ≥ ndots:1: the name as is, then the first search domain; 1 s × 3 each.
  assert.equal(
    r.dns?.lookup?.reason,
    "name lookup failed: query to 1.2.3.4:53 timed out after 6 s (options timeout:1 attempts:3, glibc)",
  );
});

test("dns verdict: a CoreDNS pod's own IP as the nameserver answers like the Service", async () => {
  const base = await cluster();
  const coredns = base.pods.find((p) => p.namespace === "kube-system" && p.labels["k8s-app"] === "kube-dns")!;
  const state = await cluster(dnsConfigPod("direct", coredns.podIP!));
  const r = modelSession(state).trace({ from: "direct", to: "http://user-service.default.svc.cluster.local" });
  assert.equal(r.dns?.lookup, undefined);
  assert.ok(r.dns?.answer);
  assert.ok(r.paths.every((p) => p.disposition.verdict === "DELIVERED"));
});

test("dns verdict: a name that does not exist ends DNS_NXDOMAIN at the nameserver's answer", async () => {
  // glibc walks the search list (ndots:5) and the name as is; CoreDNS answers NXDOMAIN for
  // each: getaddrinfo fails with EAI_NONAME, no connection is attempted.
  const state = await cluster();
  const s = modelSession(state);
  const r = s.trace({ from: "order-app", to: "http://no-such-service" });
  assert.ok(r.dns!.walk.length > 1 && r.dns!.walk.every((q) => q.rcode === "NXDOMAIN"));
  assert.ok(r.paths.length > 0);
  assert.equal(Math.round(sum(r.paths) * 1e6) / 1e6, 1);
  for (const p of r.paths) {
    assert.equal(p.disposition.verdict, "DROPPED");
    assert.equal(p.disposition.reason, "DNS_NXDOMAIN");
    const steps = p.hops.flatMap((h) => h.steps);
    // The query's hops to a CoreDNS pod, then the answer, which decided.
    assert.ok(steps.some((x) => x.action === "DELIVERED" && /53/.test(x.detail)));
    assert.deepEqual(
      steps.filter((x) => x.decided).map((x) => x.action),
      ["DNS"],
    );
    assert.equal(steps.at(-1)!.decided, true);
  }
  // check counts the name's failure once per path, as a deny.
  const [deny] = runCheck(s, [
    { from: "order-app", to: "http://no-such-service", protocol: "tcp", expect: "deny", line: 1 },
  ]);
  assert.equal(deny.ok, true);
  assert.equal(deny.verdict, "deny");
});

test("dns verdict: a nameserver that answers REFUSED ends DNS_REFUSED", async () => {
  const state = await cluster();
  const s = modelSession(state);
  // A resolver whose nameserver refuses (as CoreDNS does for a zone it does not serve
  // without a forward plugin): the walk stops at the REFUSED answer.
  const refusing = (ns: string) => () => ({
    nameserver: ns,
    walk: [{ name: "db.internal", type: "A" as const, rcode: "REFUSED", answers: [] }],
  });
  const { traceSession } = await import("./trace.js");
  const r0 = s.trace({ from: "order-app", to: "http://no-such-service" });
  const t = traceSession(state, s.ir, { resolve: refusing(r0.dns!.nameserver) });
  const r = t.trace({ from: "order-app", to: "http://db.internal" });
  assert.ok(r.paths.length > 0);
  for (const p of r.paths) assert.equal(p.disposition.reason, "DNS_REFUSED");
});
