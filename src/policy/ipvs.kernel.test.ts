// The ipvs-mode policy table in the real kernel, against the model. The kernel here has no
// IPVS (CONFIG_IP_VS is not set), so what IPVS does between the table's two hooks is
// played by hand, as ip_vs_nat_send_or_cont does it: the rewritten packet leaves through
// LOCAL_OUT with the client pod's source address and the mark the input chain set (a
// transparent socket with SO_MARK). The table is worker-1's of the demo with its policies
// and an allow-dns egress policy for the tasks pods, as the IR builds it; each case's
// kernel outcome is compared with the model's trace of the same flow in ipvs mode.
// Namespaces podnet-test-<random>-{n,c,e} (node, client pod, endpoint pod), always deleted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { buildState, loadCluster } from "../index.js";
import type { KubeObject } from "../manifest/types.js";
import { renderNft } from "../ir/render-nft.js";
import { modelSession } from "../questions/trace.js";
import type { TracePath } from "../sim/trace.js";
import { IPVS_MARK, POLICY_TABLE } from "./compile.js";
import { requireKernel, runIn } from "../testing/kernel.js";
import { rootSnapshot } from "../linux/testing.js";

const ALLOW_DNS = {
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "allow-dns", namespace: "default" },
  spec: {
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
  },
} as KubeObject;

const { spec } = await loadCluster({ files: ["examples/demo", "examples/policies"] });
const state = buildState({ ...spec, objects: [...spec.objects, ALLOW_DNS] });
const session = modelSession(state, { proxyMode: "ipvs" });
const NODE = "worker-1";
const node = state.nodes.find((n) => n.name === NODE)!;
const pod = (prefix: string) => state.pods.find((p) => p.nodeName === NODE && p.name.startsWith(prefix))!;
const ref = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;
const svc = state.services.find((s) => s.namespace === "default" && s.name === "user-service")!;
const vip = svc.clusterIP!;

function sh(argv: string[]): void {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
  assert.equal(r.status, 0, `${argv.join(" ")}: ${r.stderr}`);
}

/** Node, client and endpoint namespaces joined by veths (addresses /32, routes per pod). */
function withNamespaces(t: { skip: (m: string) => void }, body: (n: string, c: string, e: string) => void): void {
  if (!requireKernel(t, ["ip", "nft", "python3"])) return;
  const id = randomBytes(3).toString("hex");
  const [n, c, e] = ["n", "c", "e"].map((x) => `podnet-test-${id}-${x}`);
  const root = rootSnapshot();
  try {
    for (const ns of [n, c, e]) sh(["ip", "netns", "add", ns]);
    const gw = "10.244.1.1";
    for (const [ns, ip, dev] of [
      [c, pod("tasks-deployment-").podIP!, "vc"],
      [e, pod("user-app-").podIP!, "ve"],
    ] as const) {
      sh(["ip", "-n", n, "link", "add", dev, "type", "veth", "peer", "name", "eth0", "netns", ns]);
      sh(["ip", "-n", n, "addr", "add", `${gw}/32`, "dev", dev]);
      sh(["ip", "-n", n, "link", "set", dev, "up"]);
      sh(["ip", "-n", n, "route", "add", `${ip}/32`, "dev", dev]);
      sh(["ip", "-n", ns, "addr", "add", `${ip}/32`, "dev", "eth0"]);
      sh(["ip", "-n", ns, "link", "set", "eth0", "up"]);
      sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
      sh(["ip", "-n", ns, "route", "add", gw, "dev", "eth0"]);
      sh(["ip", "-n", ns, "route", "add", "default", "via", gw]);
      sh([
        "ip",
        "netns",
        "exec",
        ns,
        "sysctl",
        "-qw",
        "net.ipv4.conf.all.rp_filter=0",
        "net.ipv4.conf.eth0.rp_filter=0",
      ]);
    }
    sh(["ip", "-n", n, "link", "set", "lo", "up"]);
    // The node's address and the Service's virtual address (on kube-ipvs0 in kube-proxy's ipvs
    // mode, a dummy device; this kernel has no dummy driver, and lo makes them local alike).
    sh(["ip", "-n", n, "addr", "add", `${node.address}/32`, "dev", "lo"]);
    sh(["ip", "-n", n, "addr", "add", `${vip}/32`, "dev", "lo"]);
    sh(["ip", "netns", "exec", n, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    body(n, c, e);
  } finally {
    for (const ns of [n, c, e]) spawnSync("ip", ["netns", "del", ns]);
  }
  assert.deepEqual(rootSnapshot(), root, "the root namespace is as it was");
}

/** A TCP connect from `ns`: "refused" (RST: the packet passed every hook), "dropped" (no answer) or "connected". */
const CONNECT = `
import socket, sys
src, dst, port, mark = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4], 0)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
if src != "-":
    s.setsockopt(socket.SOL_IP, 19, 1)  # IP_TRANSPARENT: send with a source this namespace does not own
    s.bind((src, 0))
if mark:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, mark)
s.settimeout(1.5)
try:
    s.connect((dst, port)); print("connected")
except ConnectionRefusedError:
    print("refused")
except (socket.timeout, TimeoutError, PermissionError):
    print("dropped")
`;
function connect(ns: string, src: string, dst: string, port: number, mark = 0): string {
  return runIn(ns, ["python3", "-c", CONNECT, src, dst, String(port), String(mark)]).stdout.trim();
}

/** SYNs to the endpoint's port seen in the endpoint's namespace (an nft counter there). */
function synCounter(e: string, port: number): () => number {
  const r = runIn(
    e,
    ["nft", "-f", "-"],
    `table inet syns {\n chain in {\n  type filter hook input priority -300;\n  tcp dport ${port} tcp flags syn counter\n }\n}\n`,
  );
  assert.equal(r.status, 0, r.stderr);
  return () => {
    const j = JSON.parse(runIn(e, ["nft", "-j", "list", "table", "inet", "syns"]).stdout).nftables as any[];
    const rule = j.find((o) => o.rule)?.rule;
    return rule.expr.find((x: any) => x.counter).counter.packets as number;
  };
}

/** The model's path of `from` → user-service that IPVS sends to the endpoint on worker-1. */
function sameNodePath(from: string): TracePath {
  const ep = pod("user-app-");
  const r = session.trace({ from, to: `${vip}:${svc.ports[0].port}`, protocol: "tcp" }, { noDnsPath: true });
  const p = r.paths.find((x) =>
    x.hops.some((h) => h.steps.some((s) => s.action === "IPVS" && s.detail.includes(`→ ${ep.podIP}:`))),
  );
  assert.ok(p, `${from}: no path to ${ep.podIP}`);
  return p;
}
const modelOutcome = (p: TracePath) => (p.disposition.verdict === "DELIVERED" ? "delivered" : "dropped");

test("kernel: ipvs-mode policy tables of every node load with nft -f and read back as the IR holds them", (t) => {
  withNamespaces(t, (n) => {
    for (const nn of session.ir.nodes) {
      const layer = nn.ns.netfilter.nftables.find((l) => l.owner === "podnet-policy");
      if (!layer) continue;
      const r = runIn(n, ["nft", "-f", "-"], renderNft([layer]));
      assert.equal(r.status, 0, `${nn.name}: ${r.stderr}`);
      const back = JSON.parse(runIn(n, ["nft", "-j", "list", "table", "inet", POLICY_TABLE]).stdout).nftables as any[];
      const tb = layer.tables[0];
      const want = Object.values(tb.chains).reduce((k, ch) => k + ch.rules.length, 0);
      assert.equal(back.filter((o) => o.rule).length, want, `${nn.name}: rules`);
      const vs = back.find((o) => o.set?.name === "ipvs-services")?.set;
      assert.equal(vs?.elem?.length, tb.sets["ipvs-services"].elem.length, `${nn.name}: ipvs-services`);
      assert.deepEqual(
        back.filter((o) => o.chain?.hook).map((o) => `${o.chain.name} ${o.chain.hook} ${o.chain.prio}`),
        ["forward forward -1", "input input -1", "output output -1"],
      );
      runIn(n, ["nft", "delete", "table", "inet", POLICY_TABLE]);
    }
  });
});

test("kernel: input defers policy for a virtual server; output decides what IPVS sends on, as the model says", (t) => {
  withNamespaces(t, (n, c, e) => {
    const layer = session.ir.nodes
      .find((x) => x.name === NODE)!
      .ns.netfilter.nftables.find((l) => l.owner === "podnet-policy")!;
    const load = runIn(n, ["nft", "-f", "-"], renderNft([layer]));
    assert.equal(load.status, 0, load.stderr);
    const tasks = pod("tasks-deployment-");
    const ep = pod("user-app-");

    // INPUT. tasks (egress isolated by allow-dns) → the virtual address: the policy chain
    // accepts it for IPVS (no IPVS here: the node's stack answers with a RST). Model: the
    // input chain's virtual-server rule accepts, and the egress check comes after IPVS.
    assert.equal(connect(c, "-", vip, svc.ports[0].port), "refused");
    const mp = sameNodePath(ref(tasks));
    const hop = mp.hops.find((h) => h.ns === `node/${NODE}`)!;
    const acc = hop.steps.findIndex(
      (s) => s.action === "POLICY" && s.detail.includes("IPVS virtual server") && s.detail.endsWith("accept"),
    );
    const ipvsAt = hop.steps.findIndex((s) => s.action === "IPVS");
    const egress = hop.steps.findIndex((s) => s.action === "POLICY" && s.detail.startsWith("egress of "));
    assert.ok(acc >= 0 && acc < ipvsAt && ipvsAt < egress, hop.steps.map((s) => s.detail).join("\n"));
    // tasks → the node's own address (not a virtual server): egress is checked in input.
    const own = session.trace({ from: ref(tasks), to: `${node.address}:10250`, protocol: "tcp" });
    assert.equal(own.paths[0].disposition.reason, "POLICY_DENIED");
    assert.equal(connect(c, "-", node.address, 10250), "dropped");

    // OUTPUT, what IPVS sends on to the endpoint on this node (source: the client pod; mark
    // from input). The model's same-node path of each client says what must happen.
    const syns = synCounter(e, 8080);
    const cases: [string, string, number][] = [
      [ref(tasks), tasks.podIP!, IPVS_MARK], // egress: allow-dns admits kube-dns only
      [ref(pod("order-app-")), pod("order-app-").podIP!, IPVS_MARK], // tier frontend: backend-from-frontend admits it
      [ref(pod("coredns-")), pod("coredns-").podIP!, IPVS_MARK], // not frontend: user-app's ingress denies
    ];
    for (const [from, src, mark] of cases) {
      const before = syns();
      connect(n, src, ep.podIP!, 8080, mark);
      const kernel = syns() > before ? "delivered" : "dropped";
      assert.equal(kernel, modelOutcome(sameNodePath(from)), `${from} (${src}) → ${ep.podIP}:8080`);
    }
    // Unmarked: the node's own traffic, which policy leaves alone (model: node → user-service).
    const before = syns();
    connect(n, "-", ep.podIP!, 8080);
    assert.ok(syns() > before, "the node's own connection reaches the pod");
    const fromNode = session.trace(
      { from: `node/${NODE}`, to: `${vip}:${svc.ports[0].port}`, protocol: "tcp" },
      { noDnsPath: true },
    );
    assert.ok(fromNode.paths.some((p) => p.disposition.verdict === "DELIVERED"));
    assert.deepEqual(
      cases.map(([from]) => modelOutcome(sameNodePath(from))),
      ["dropped", "delivered", "dropped"],
      "NetworkPolicy semantics: allow-dns isolates tasks' egress; backend-from-frontend admits frontends",
    );
  });
});
