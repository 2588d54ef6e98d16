// Cilium's datapath for real (root): the demo cluster with its NetworkPolicies built as a
// Cilium cluster (kubeProxyMode none: no Service rule in any namespace), over VXLAN, over
// Geneve (cilium_geneve in collect-metadata mode; skipped on a kernel without the driver) and
// with native routing; `verify` must agree on every flow (pod pairs, Services, NodePorts,
// LoadBalancer IPs, a hostPort, DNS), and `down` must leave no bpffs mount, namespace or root change.
// Skips naming what is missing (root, tools, clang-built objects); PODNET_REQUIRE_KERNEL=1
// turns a skip into a failure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { bpfMissing, bpfRoot, isMounted } from "./bpf.js";
import { clusterNamespaces, down, up } from "./cluster.js";
import { netfilterRenderers } from "./netfilter.js";
import { readRecord } from "./state.js";
import { kernelSkip, rootSnapshot } from "./testing.js";

const EXAMPLE = fileURLToPath(new URL("../../../examples/demo", import.meta.url));
const POLICIES = fileURLToPath(new URL("../../../examples/policies", import.meta.url));
const CILIUM_POLICIES = fileURLToPath(new URL("../../../examples/cilium-policies", import.meta.url));

function skip(): string | false {
  const k = kernelSkip(["ip", "tc", "bpftool", "curl", "python3"]);
  if (k) return k;
  const why = bpfMissing();
  if (why && process.env.PODNET_REQUIRE_KERNEL === "1") throw new Error(`PODNET_REQUIRE_KERNEL=1: ${why}`);
  return why ? `kernel test skipped: ${why} (clang)` : false;
}

/** Geneve links need CONFIG_GENEVE (built in, or a module the kernel loads on `ip link add … type geneve`). */
function geneveSkip(): string | false {
  const base = skip();
  if (base || existsSync("/sys/module/geneve")) return base;
  try {
    const cfg = gunzipSync(readFileSync("/proc/config.gz")).toString();
    if (!/^CONFIG_GENEVE=[ym]$/m.test(cfg))
      return "kernel test skipped: this kernel has no geneve driver (CONFIG_GENEVE is not set)";
  } catch {
    /* no /proc/config.gz: try */
  }
  return false;
}

async function ciliumCluster(
  t: { diagnostic: (s: string) => void },
  backend: "vxlan" | "geneve" | "native",
  kubeProxy: "none" | "iptables" = "none",
  extra: string[] = [],
) {
  const { loadCluster } = await import("../index.js");
  const { buildIR } = await import("../dataplane/build.js");
  const { verify, formatVerify } = await import("../questions/verify.js");
  const dir = mkdtempSync(join(tmpdir(), "podnet-cilium-"));
  const config = join(dir, "cluster.yaml");
  writeFileSync(
    config,
    readFileSync(join(EXAMPLE, "cluster.yaml"), "utf8")
      .replace("cni: flannel", "cni: cilium")
      .replace("backend: vxlan", `backend: ${backend}`)
      .replace("kubeProxyMode: iptables", `kubeProxyMode: ${kubeProxy}`),
  );
  const cluster = `e${backend[0]}-${randomBytes(3).toString("hex")}`;
  // A second Service in front of tasks' one pod: two frontends, one backend (see reusedPort).
  const alias = join(dir, "tasks-alias.yaml");
  writeFileSync(
    alias,
    "apiVersion: v1\nkind: Service\nmetadata: {name: tasks-alias, namespace: default}\n" +
      "spec: {selector: {app: tasks}, ports: [{port: 80, targetPort: 8000}]}\n",
  );
  // A pod with a hostPort: the kube-proxy replacement serves it as HostPort frontends, no
  // portmap chains (docs.cilium.io, Kubernetes Without kube-proxy: Container HostPort Support).
  const hostPort = join(dir, "hostport.yaml");
  writeFileSync(
    hostPort,
    "apiVersion: v1\nkind: Pod\nmetadata: {name: hostport-web, namespace: default, labels: {app: hostport-web}}\n" +
      "spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80, hostPort: 8081}]}]}\n",
  );
  const files = [EXAMPLE, POLICIES, alias, hostPort, ...extra];
  const { state } = await loadCluster({ files, config });
  assert.equal(state.config.networking.cni, "cilium");
  const ir = buildIR(state);
  const before = rootSnapshot();
  try {
    await up({ cluster, ir, inputs: { files, config }, render: { netfilter: netfilterRenderers } });
    assert.ok(isMounted(bpfRoot(cluster)), "the cluster's bpffs is mounted");
    // Kube-proxy replacement: no Service or hostPort rule in any namespace of the cluster;
    // without it, kube-proxy's rules and the portmap plugin's chains in front of Cilium.
    const rules = clusterNamespaces(cluster).map((ns) => ({
      ns,
      ipt: spawnSync("ip", ["netns", "exec", ns, "iptables-save"], { encoding: "utf8" }).stdout,
      nft: spawnSync("ip", ["netns", "exec", ns, "nft", "list", "ruleset"], { encoding: "utf8" }).stdout,
    }));
    if (kubeProxy === "none")
      for (const { ns, ipt, nft } of rules) {
        assert.doesNotMatch(ipt, /KUBE-SVC|KUBE-SERVICES|CNI-HOSTPORT/, `${ns}: iptables Service or hostPort rules`);
        assert.doesNotMatch(nft, /kube-proxy|service-ips/, `${ns}: nftables Service rules`);
      }
    else assert.ok(rules.some((r) => /KUBE-SERVICES/.test(r.ipt) && /CNI-HOSTPORT-DNAT/.test(r.ipt)));
    const rep = await verify({ cluster });
    const text = formatVerify(rep);
    t.diagnostic(text.split("\n").slice(0, 8).join("\n"));
    for (const kind of ["pod", "service", "nodeport", "external", "hostport", "dns"])
      assert.ok((rep.byKind[kind]?.flows ?? 0) > 0, `${kind} flows were run`);
    assert.equal(rep.disagree, 0, `model and kernel disagree:\n${text}`);
    if (extra.includes(CILIUM_POLICIES)) {
      // The deny rule (no pod reaches a sidecar's metrics port) and order-app's egress
      // allow-list decided flows, in the model and the kernel alike.
      const reasons = (p: string) =>
        rep.results.filter((f) => f.kind === "pod" && f.model.paths?.some((x) => x.reason === p));
      const denied = reasons("POLICY_DENY");
      assert.ok(
        denied.length > 0 && denied.every((f) => f.port === 2020 && f.agree),
        `flows to :2020 denied by the denylist: ${denied.length}`,
      );
      assert.ok(
        reasons("POLICY_DENIED").some((f) => f.from.startsWith("default/order-app") && f.agree),
        "order-app's egress outside its allow-list is dropped",
      );
    }
    reusedPort(cluster, state.services);
  } finally {
    await down(cluster);
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(clusterNamespaces(cluster), []);
  assert.ok(!isMounted(bpfRoot(cluster)) && !existsSync(bpfRoot(cluster)), "down removed the bpffs");
  assert.deepEqual(rootSnapshot(), before, "the root namespace is unchanged");
}

/**
 * One client port, two Services, one backend, one after the other: the second connection's
 * SYN meets the first one's conntrack entry (same tuple after the DNAT), which must be
 * recreated with the new Service's reverse NAT, or the SYN-ACK comes back from the first
 * ClusterIP and the connect fails (cilium bpf/bpf_lxc.c: "stale non-service entry").
 */
function reusedPort(
  cluster: string,
  services: readonly { namespace: string; name: string; clusterIP: string | null }[],
) {
  // users: tasks admits it under every policy set these runs use (examples/cilium-policies lets only users in).
  const client = readRecord(cluster)?.pods?.find((p) => p.name.startsWith("users-deployment") && p.netns);
  assert.ok(client?.netns, "a users pod");
  const vip = (name: string) => services.find((s) => s.namespace === "default" && s.name === name)?.clusterIP ?? "";
  const py = [
    "import socket, sys",
    "for vip in sys.argv[1:]:",
    "    s = socket.socket()",
    "    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
    "    s.bind(('', 41234))",
    "    s.settimeout(3)",
    "    s.connect((vip, 80))",
    "    s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')",
    "    assert s.recv(12).startswith(b'HTTP/'), vip",
    "    s.close()",
    "print('ok')",
  ].join("\n");
  const r = spawnSync(
    "ip",
    ["netns", "exec", client.netns, "python3", "-c", py, vip("tasks-service"), vip("tasks-alias")],
    {
      encoding: "utf8",
      timeout: 20_000,
    },
  );
  assert.equal(r.stdout.trim(), "ok", `one client port to two Services of one backend: ${r.stderr.slice(-300)}`);
}

test("Cilium over VXLAN: the BPF datapath agrees with the model on every flow", { skip: skip() }, async (t) => {
  await ciliumCluster(t, "vxlan");
});

test("Cilium over Geneve: the BPF datapath agrees with the model on every flow", { skip: geneveSkip() }, async (t) => {
  await ciliumCluster(t, "geneve");
});

// Cilium's Helm default: kube-proxy in front (kubeProxyReplacement=false); a pod's packet
// to a ClusterIP leaves through kube-proxy's DNAT and cilium_host's encapsulation.
test("Cilium over VXLAN behind kube-proxy: the BPF datapath agrees with the model on every flow", {
  skip: skip(),
}, async (t) => {
  await ciliumCluster(t, "vxlan", "iptables");
});

// With examples/cilium-policies too: CiliumNetworkPolicy allow-lists and a clusterwide deny
// rule (policy map deny entries, DROP_POLICY_DENY 181).
test("Cilium with native routing and Cilium's policies: the BPF datapath agrees with the model on every flow", {
  skip: skip(),
}, async (t) => {
  await ciliumCluster(t, "native", "none", [CILIUM_POLICIES]);
});
