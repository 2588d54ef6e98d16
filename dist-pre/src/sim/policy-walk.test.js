// A trace through the podnet-policy table reads like a walkthrough of both sides
// (issue 5 §2): egress of the source pod on its node, ingress of the destination pod on
// its node; "not isolated", or "isolated by <policies>; allowed by <policy> <dir> rule
// <i>" / "no rule allowed it". Semantics from the NetworkPolicy reference: a pod is
// isolated for a direction when a policy selects it for that direction; connections
// must be allowed on both ends.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadCluster, buildState } from "../index.js";
import { buildIR } from "../dataplane/build.js";
import { traceFlow } from "./flow.js";
const { spec } = await loadCluster({ files: ["examples/demo", "examples/policies"] });
const policySteps = (p) => p.hops.flatMap((h) => h.steps).filter((s) => s.action === "POLICY");
for (const mode of ["iptables", "nftables"]) {
    const state = buildState({
        ...spec,
        config: { ...spec.config, networking: { ...spec.config.networking, kubeProxyMode: mode } },
    });
    const ir = buildIR(state);
    test(`${mode}: tasks → user-service: egress not isolated, ingress isolated by backend-from-frontend and denied`, () => {
        const r = traceFlow(ir, { from: "tasks-deployment", to: "http://user-service" }, { state });
        assert.ok(r.paths.length >= 1);
        for (const p of r.paths) {
            const st = policySteps(p);
            assert.match(st[0].detail, /^egress of default\/tasks-deployment-\S+: not isolated \(/);
            const ing = st.find((s) => s.detail.startsWith("ingress of default/user-app-"));
            assert.ok(ing, JSON.stringify(st.map((s) => s.detail)));
            assert.match(ing.detail, /: isolated by default\/backend-from-frontend; no rule allowed it$/);
            assert.equal(p.disposition.verdict, "DROPPED");
            assert.equal(p.disposition.reason, "POLICY_DENIED");
            assert.match(p.disposition.detail, /ingress-default\/user-app-/);
            assert.equal(p.disposition.object?.table, "inet podnet-policy");
            assert.match(p.disposition.object?.chain ?? "", /^ingress-default\/user-app-/);
        }
    });
    test(`${mode}: order-app → user-service: ingress allowed by backend-from-frontend ingress rule 0`, () => {
        const r = traceFlow(ir, { from: "order-app", to: "http://user-service" }, { state });
        for (const p of r.paths) {
            assert.equal(p.disposition.verdict, "DELIVERED", p.disposition.detail);
            const st = policySteps(p);
            assert.match(st[0].detail, /^egress of default\/order-app-\S+: not isolated/);
            const ing = st.find((s) => s.detail.startsWith("ingress of default/user-app-"));
            assert.match(ing.detail, /isolated by default\/backend-from-frontend; allowed by default\/backend-from-frontend ingress rule 0$/);
            assert.equal(ing.object?.chain?.startsWith("ingress-default/user-app-"), true);
            // The other node's pods are decided there: one egress and one ingress step in all.
            assert.equal(st.filter((s) => / of default\/user-app-/.test(s.detail)).length, 1);
        }
    });
}
test("default-deny egress: the source side denies at the source node", () => {
    const deny = {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "tasks-deny-egress", namespace: "default" },
        spec: { podSelector: { matchLabels: { app: "tasks" } }, policyTypes: ["Egress"] },
    };
    const state = buildState({ ...spec, objects: [...spec.objects, deny] });
    const ir = buildIR(state);
    const src = state.pods.find((p) => p.name.startsWith("tasks-deployment-"));
    const r = traceFlow(ir, { from: "tasks-deployment", to: "svc/user-service" }, { state, noDnsPath: true });
    for (const p of r.paths) {
        const st = policySteps(p);
        assert.match(st[0].detail, /^egress of default\/tasks-deployment-\S+: isolated by default\/tasks-deny-egress; no rule allowed it$/);
        assert.equal(p.disposition.reason, "POLICY_DENIED");
        assert.equal(p.disposition.ns, `node/${src.nodeName}`);
        assert.match(p.disposition.object?.chain ?? "", /^egress-default\/tasks-deployment-/);
    }
    // Another pod of that node is not isolated for egress: its IP is not in @egress-pods.
    const other = state.pods.find((p) => p.nodeName === src.nodeName &&
        p.podIP &&
        !p.spec.hostNetwork &&
        !p.name.startsWith("tasks-deployment-") &&
        p.namespace === "default");
    if (other) {
        const o = traceFlow(ir, { from: `default/${other.name}`, to: "svc/user-service" }, { state, noDnsPath: true });
        const st = policySteps(o.paths[0]);
        assert.equal(st[0].detail, `egress of default/${other.name}: not isolated (its IP ${other.podIP} is not in @egress-pods)`);
    }
});
//# sourceMappingURL=policy-walk.test.js.map