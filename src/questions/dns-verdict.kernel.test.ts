// The DNS-blocked case on a real cluster (root): a pod whose egress NetworkPolicy lacks
// port 53 cannot resolve names (https://kubernetes.io/docs/concepts/services-networking/network-policies/),
// so its connection by name fails in the kernel as in the model, while the same
// connection by address works and a pod without the policy connects by name.
// Without root/tools the test skips with a message; with PODNET_REQUIRE_KERNEL=1 it fails.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
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
import { resolveFromPod } from "../dns/resolver.js";
import { modelSession } from "./trace.js";

const DEMO = fileURLToPath(new URL("../../../examples/demo", import.meta.url));
const PODNET = fileURLToPath(new URL("../../../bin/podnet.js", import.meta.url));

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

// A nameserver nobody serves (a pod's dnsConfig, https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-dns-config):
// nothing in the cluster answers at 1.2.3.4 and the query leaves through the LAN gateway,
// which forwards nothing, so glibc waits `timeout` per server and round (resolv.conf(5);
// resolv/res_send.c) and getaddrinfo fails with EAI_AGAIN, "Temporary failure in name
// resolution" (posix/gai_strerror-strs.h). "foo.example" (1 dot, ndots:1): the name as is,
// then the first search domain (a timeout stops the search list, res_query.c): 2 × 1 s × 2.
const LONELY = `apiVersion: v1
kind: Pod
metadata: {name: lonely}
spec:
  dnsPolicy: "None"
  dnsConfig:
    nameservers: ["1.2.3.4"]
    searches: [example.org, example.net]
    options: [{name: ndots, value: "1"}, {name: timeout, value: "1"}, {name: attempts, value: "2"}]
  containers: [{name: c, image: busybox}]
`;

test("dns verdict in the kernel: a nameserver nobody serves — the lookup times out after timeout × attempts in both", {
  skip: kernelSkip(["ip", "python3", "nft"]),
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-dnst-"));
  const cluster = `dnst-${randomBytes(3).toString("hex")}`;
  try {
    writeFileSync(join(dir, "lonely.yaml"), LONELY);
    const files = [DEMO, dir];
    const { state } = await loadCluster({ files });
    // The model: two queries, each timing out after 1 s × 2 attempts.
    const w = resolveFromPod(state, "default/lonely", "foo.example");
    assert.deepEqual(
      w.queries.map((q) => [q.name, q.rcode, q.waited]),
      [
        ["foo.example.", "TIMEOUT", 2],
        ["foo.example.example.org.", "TIMEOUT", 2],
      ],
    );
    const tr = modelSession(state).trace({ from: "default/lonely", to: "http://foo.example" });
    assert.equal(
      tr.dns?.lookup?.reason,
      "name lookup failed: query to 1.2.3.4:53 timed out after 4 s (options timeout:1 attempts:2, glibc)",
    );
    await up({ cluster, ir: buildIR(state), inputs: { files }, render: { netfilter: netfilterRenderers } });
    // The kernel: the real resolver through `podnet exec`, timed.
    const py =
      "import socket,time\nt=time.time()\ntry:\n socket.getaddrinfo('foo.example',80,socket.AF_INET,socket.SOCK_STREAM);print('answer')\n" +
      "except socket.gaierror as e: print(e.strerror)\nprint(round(time.time()-t,2))";
    const r = spawnSync(process.execPath, [PODNET, "exec", "--name", cluster, "lonely", "--", "python3", "-c", py], {
      encoding: "utf8",
    });
    t.diagnostic(r.stdout + r.stderr);
    const [msg, secs] = r.stdout.trim().split("\n");
    assert.equal(msg, "Temporary failure in name resolution");
    // Roughly the model's 4 s (not a refusal, which fails at once; not the whole search list's 6 s).
    assert.ok(Number(secs) >= 3.5 && Number(secs) < 5.5, `took ${secs} s`);
    const rep = await verify({ cluster, flows: [], byName: [{ from: "default/lonely", to: "http://foo.example" }] });
    t.diagnostic(formatVerify(rep));
    assert.equal(rep.disagree, 0);
    assert.deepEqual(rep.results[0].kernel.outcomes, ["servfail"]);
  } finally {
    await down(cluster);
    assert.deepEqual(clusterNamespaces(cluster), []);
    rmSync(dir, { recursive: true, force: true });
  }
});
