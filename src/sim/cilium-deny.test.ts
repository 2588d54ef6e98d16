// Deny entries in Cilium's policy map, as the interpreter walks them. Expected behaviour from
// Cilium's docs and sources: deny rules take precedence over allow rules and apply even where
// no allow policy isolates the endpoint (https://docs.cilium.io/en/stable/security/policy/language/#deny-policies);
// a matching deny entry drops with DROP_POLICY_DENY, flow.proto's POLICY_DENY = 181,
// "Policy denied by denylist" (pkg/monitor/api/drop.go), where no entry on an enforced
// endpoint is POLICY_DENIED = 133 (bpf/lib/policy.h).
// The policy layer's deny rules are the oracle's part; here a fake one hands them over.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSpec } from "../manifest/parse.js";
import { clusterYaml, WEB_AND_CLIENT } from "../testing/manifests.js";
import { buildState } from "../control/build.js";
import { buildContext, buildIR } from "../dataplane/build.js";
import type { PolicyOracle, PortRanges } from "../plumbing/flavor.js";
import type { PodState } from "../control/state.js";
import { renderTrace, traceFlow } from "./index.js";
import type { TracePath } from "./trace.js";

const CLUSTER = clusterYaml("hd", { networking: { cni: "cilium" } });
const ALLOW_CLIENT = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-client}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {matchLabels: {app: client}}}]}]
`;

const tcp = (a: number, b: number): PortRanges => ({ TCP: [[a, b]], UDP: [], SCTP: [] });

/** The cluster with the builder's oracle plus a deny rule: `lockdown` denies TCP `ports` from the client to web. */
function cluster(extra: string, ports: [number, number]) {
  const st = buildState(
    parseSpec([{ file: "apps.yaml", text: WEB_AND_CLIENT + extra }], { file: "cluster.yaml", text: CLUSTER }),
    {},
  );
  const ctx = buildContext(st); // cached per state: buildIR below uses it
  const real = ctx.policy!;
  const isWeb = (p: PodState) => p.labels.app === "web";
  const oracle: PolicyOracle = {
    allowed: (dir, s, peer) => real.allowed(dir, s, peer),
    deniesAny: (dir, s) => dir === "ingress" && isWeb(s),
    denied: (dir, s, peer) =>
      dir === "ingress" && isWeb(s) && typeof peer !== "string" && peer.labels.app === "client"
        ? [{ policy: "default/lockdown", rule: 0, conns: tcp(...ports) }]
        : [],
  };
  ctx.policy = oracle;
  return { st, ir: buildIR(st) };
}

const steps = (p: TracePath) => p.hops.flatMap((h) => h.steps);

function check(extra: string) {
  const { st, ir } = cluster(extra, [9000, 9100]);
  const web = st.pods.find((p) => p.labels.app === "web")!;
  const to = `default/${web.name}`;
  // The denied port: dropped at web's policy program with 181, the step naming the deny rule.
  const r = traceFlow(ir, { from: "default/client", to, port: 9090 }, { state: st });
  const p = r.paths[0];
  assert.equal(p.disposition.verdict, "DROPPED");
  assert.equal(p.disposition.reason, "POLICY_DENY");
  assert.match(p.disposition.detail, /^cil_lxc_policy .*Policy denied by denylist: ingress of default\/web-/);
  assert.match(p.disposition.detail, /default\/lockdown ingressDeny rule 0/);
  const d = steps(p).filter((s) => s.decided);
  assert.equal(d.length, 1);
  assert.match(d[0].object?.text ?? "", /^cilium_policy_v2_\d{5} Deny Ingress identity \d+ 9000-9100\/TCP/);
  assert.equal(d[0].hubble?.drop_reason, 181);
  assert.equal(d[0].hubble?.drop_reason_desc, "POLICY_DENY");
  assert.deepEqual(d[0].hubble?.event_type, { type: 1, sub_type: 181 });
  assert.equal(d[0].hubble?.traffic_direction, "INGRESS");
  assert.match(renderTrace(r), /Policy denied by denylist DROPPED/);
  // Another port of the same peer passes the policy program and is delivered.
  const ok = traceFlow(ir, { from: "default/client", to, port: 8080 }, { state: st }).paths[0];
  assert.equal(ok.disposition.verdict, "DELIVERED", ok.disposition.detail);
  assert.ok(steps(ok).some((s) => s.action === "POLICY" && /identity \d+ tcp\/8080 allowed/.test(s.detail)));
}

test("deny without an allow policy: the denied port drops with POLICY_DENY 181, the rest is allowed", () => {
  check("");
});

test("deny beside an allow of every port: deny wins on its ports, the allow holds elsewhere", () => {
  check(ALLOW_CLIENT);
});

test("an enforced endpoint: no entry is still POLICY_DENIED 133, a deny entry 181", () => {
  // web isolated by a policy that allows only the client; the client's denied port is 181,
  // a peer no rule allows (web's other replica) 133.
  const { st, ir } = cluster(ALLOW_CLIENT, [8080, 8080]);
  const [w1, w2] = st.pods.filter((p) => p.labels.app === "web");
  const denied = traceFlow(ir, { from: "default/client", to: `default/${w1.name}`, port: 8080 }, { state: st });
  assert.equal(denied.paths[0].disposition.reason, "POLICY_DENY");
  const none = traceFlow(ir, { from: `default/${w2.name}`, to: `default/${w1.name}`, port: 8080 }, { state: st });
  assert.equal(none.paths[0].disposition.reason, "POLICY_DENIED");
});
