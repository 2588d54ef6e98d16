// Real-kernel test (root) of Calico's own policies: the demo on Calico (VXLAN) with a tier
// whose GlobalNetworkPolicy denies and passes, a GlobalNetworkPolicy of the default tier and
// a namespaced Calico NetworkPolicy beside the Kubernetes ones (examples/policies). Built
// for real, every flow `verify` runs must end in the kernel as the model says: the tiered
// nftables chains (policy/compile.ts calicoTierChains) and the engine agree.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadCluster } from "../load/cluster.js";
import { buildIR } from "../dataplane/build.js";
import { clusterNamespaces, down, up } from "./cluster.js";
import { netfilterRenderers } from "./netfilter.js";
import { kernelSkip, rootSnapshot } from "./testing.js";

const EXAMPLE = fileURLToPath(new URL("../../../examples/demo", import.meta.url));
const POLICIES = fileURLToPath(new URL("../../../examples/policies", import.meta.url));
const CALICO_EXAMPLE = fileURLToPath(new URL("../../../examples/calico-policies", import.meta.url));
const skip = kernelSkip(["ip", "python3", "iptables-save", "nft", "curl"]);

// Expectations follow Calico's tiers (https://docs.tigera.io/calico/latest/network-policy/policy-tiers/tiered-policy):
// the security tier denies the frontend's connections to tasks and passes the rest on.
const CALICO = `apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.frontend-not-to-tasks}
spec:
  tier: security
  selector: app == 'tasks'
  ingress:
  - action: Deny
    source: {selector: tier == 'frontend'}
  - action: Pass
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: auth-from-users-and-tasks, namespace: default}
spec:
  order: 10
  selector: app == 'auth'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    source: {selector: "app in {'users', 'tasks'}"}
    destination: {ports: [http]}
`;

/** The demo on Calico with `extra` built for real; verify's flows must all agree. */
async function calicoRun(
  t: { diagnostic: (s: string) => void },
  extra: (dir: string) => string[],
  check: (rep: Awaited<ReturnType<typeof import("../questions/verify.js").verify>>) => void,
) {
  const { verify, formatVerify } = await import("../questions/verify.js");
  const before = rootSnapshot();
  const dir = mkdtempSync(join(tmpdir(), "podnet-calpol-"));
  const cluster = `cp-${randomBytes(3).toString("hex")}`;
  try {
    const config = join(dir, "cluster.yaml");
    writeFileSync(config, readFileSync(join(EXAMPLE, "cluster.yaml"), "utf8").replace("cni: flannel", "cni: calico"));
    const files = [EXAMPLE, ...extra(dir)];
    const { state } = await loadCluster({ files, config });
    assert.ok(state.calico?.policies.length || state.adminPolicies?.length, "Calico's or admin policies were read");
    await up({ cluster, ir: buildIR(state), inputs: { files, config }, render: { netfilter: netfilterRenderers } });
    const rep = await verify({ cluster });
    const text = formatVerify(rep);
    t.diagnostic(text.split("\n").slice(0, 8).join("\n"));
    assert.ok((rep.byKind.pod?.flows ?? 0) > 0, "pod flows were run");
    assert.equal(rep.disagree, 0, `model and kernel disagree:\n${text}`);
    check(rep);
  } finally {
    await down(cluster);
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(clusterNamespaces(cluster), []);
  assert.deepEqual(rootSnapshot(), before, "the root namespace is unchanged");
}

type Report = Awaited<ReturnType<typeof import("../questions/verify.js").verify>>;
/** Pod flows the model drops by a Calico rule whose action is Deny. */
const deniedByRule = (rep: Report) =>
  rep.results.filter(
    (f) =>
      f.kind === "pod" &&
      f.model.paths?.some((x) => x.reason === "POLICY_DENIED" && /\(action Deny\)/.test(x.detail ?? "")),
  );

test("Calico's tiered policies: the kernel agrees with the model on every flow", { skip }, async (t) => {
  await calicoRun(
    t,
    (dir) => {
      const calico = join(dir, "calico.yaml");
      writeFileSync(calico, CALICO);
      return [POLICIES, calico];
    },
    (rep) => {
      const denied = deniedByRule(rep);
      assert.ok(
        denied.length > 0 && denied.every((f) => f.from.startsWith("default/order-app") && f.agree),
        `order-app's flows to tasks denied by the security tier's Deny rule: ${denied.length}`,
      );
    },
  );
});

// examples/calico-policies: a GlobalNetworkSet, Deny on a port for every pod, a default-tier
// allow-list ending in the tier's deny.
test("examples/calico-policies: the kernel agrees with the model on every flow", { skip }, async (t) => {
  await calicoRun(
    t,
    () => [CALICO_EXAMPLE],
    (rep) => {
      const denied = deniedByRule(rep);
      assert.ok(
        denied.length > 0 && denied.every((f) => f.port === 2020 && f.agree),
        `flows to the sidecars' :2020 denied by the security tier: ${denied.length}`,
      );
    },
  );
});

// AdminNetworkPolicy before the NetworkPolicies, the baseline after them, in Calico's tiers
// for them (https://network-policy-api.sigs.k8s.io/reference/spec/).
const ADMIN = `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: no-frontend-to-tasks}
spec:
  priority: 10
  subject:
    pods:
      namespaceSelector: {}
      podSelector: {matchLabels: {app: tasks}}
  ingress:
  - name: deny-frontend
    action: Deny
    from:
    - pods:
        namespaceSelector: {}
        podSelector: {matchLabels: {tier: frontend}}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: production}}}
  ingress:
  - action: Deny
    from:
    - namespaces: {matchLabels: {kubernetes.io/metadata.name: default}}
`;

test("AdminNetworkPolicy and the baseline: the kernel agrees with the model on every flow", { skip }, async (t) => {
  await calicoRun(
    t,
    (dir) => {
      const admin = join(dir, "admin.yaml");
      writeFileSync(admin, ADMIN);
      return [admin];
    },
    (rep) => {
      const denied = deniedByRule(rep);
      assert.ok(
        denied.some((f) => f.from.startsWith("default/order-app") && f.to.startsWith("default/tasks") && f.agree) &&
          denied.some((f) => f.from.startsWith("default/") && f.to.startsWith("production/") && f.agree),
        `flows denied by the AdminNetworkPolicy and the baseline: ${denied.length}`,
      );
    },
  );
});
