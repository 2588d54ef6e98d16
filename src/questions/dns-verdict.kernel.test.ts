// The DNS-blocked case on a real cluster (root): a pod whose egress NetworkPolicy lacks
// port 53 cannot resolve names (https://kubernetes.io/docs/concepts/services-networking/network-policies/),
// so its connection by name fails in the kernel as in the model, while the same
// connection by address works and a pod without the policy connects by name.
// Without root/tools the test skips with a message; with PODNET_REQUIRE_KERNEL=1 it fails.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { kernelSkip } from "../linux/testing.js";
import { clusterNamespaces, down, up } from "../linux/cluster.js";
import { netfilterRenderers } from "../linux/netfilter.js";
import { loadCluster } from "../load/cluster.js";
import { buildIR } from "../dataplane/build.js";
import { formatVerify, verify } from "./verify.js";

const DEMO = fileURLToPath(new URL("../../../examples/demo", import.meta.url));

const POLICY = `apiVersion: networking.k8s.io/v1
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
`;

test("dns verdict in the kernel: egress without port 53 — the connection by name fails in both, by address it works", {
  skip: kernelSkip(["ip", "python3", "nft"]),
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-dnsv-"));
  const cluster = `dnsv-${randomBytes(3).toString("hex")}`;
  try {
    writeFileSync(join(dir, "egress.yaml"), POLICY);
    const files = [DEMO, dir];
    const { state } = await loadCluster({ files });
    const order = state.pods.find((p) => p.labels.app === "order-app" && p.podIP)!;
    const users = state.pods.find((p) => p.labels.app === "users" && p.podIP)!;
    const svc = state.services.find((s) => s.namespace === "default" && s.name === "user-service")!;
    await up({ cluster, ir: buildIR(state), inputs: { files }, render: { netfilter: netfilterRenderers } });
    const rep = await verify({
      cluster,
      flows: [],
      byName: [
        { from: `default/${order.name}`, to: "http://user-service" },
        { from: `default/${users.name}`, to: "http://user-service" },
        { from: `default/${order.name}`, to: `http://${svc.clusterIP}` },
      ],
    });
    const text = formatVerify(rep);
    t.diagnostic(text);
    assert.equal(rep.flows, 3);
    assert.equal(rep.disagree, 0, `model and kernel disagree:\n${text}`);
    const [blocked, open, byIp] = rep.results;
    // The lookup fails: the model ends every path at the DNS step, the kernel's resolver gives up.
    assert.deepEqual(blocked.model.outcomes, ["servfail"]);
    assert.deepEqual(blocked.kernel.outcomes, ["servfail"]);
    assert.ok(blocked.model.paths?.every((p) => p.detail.startsWith("name lookup failed: ")));
    // A pod without the policy connects by name to both user-app pods.
    assert.ok(open.kernel.outcomes.every((o) => o.startsWith("delivered default/user-app-")));
    assert.equal(open.kernel.outcomes.length, 2);
    // By address the policy's own port works: only the name fails.
    assert.ok(byIp.kernel.outcomes.every((o) => o.startsWith("delivered default/user-app-")));
  } finally {
    await down(cluster);
    assert.deepEqual(clusterNamespaces(cluster), []);
    rmSync(dir, { recursive: true, force: true });
  }
});
