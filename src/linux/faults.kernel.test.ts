// Real-kernel tests (root) of `podnet fault` on a running cluster (the demo: flannel VXLAN,
// kube-proxy iptables): for a link, a sysctl, an FDB entry, a route, kube-proxy's chains
// and the CoreDNS servers, the namespaces' state (links, addresses, routes, permanent
// neighbours and FDB entries, sysctls, iptables-save, nft ruleset) and the cluster's
// processes before `fault add` and after `fault clear` are EQUAL, and while the fault is
// active the failure shows as it does on a real cluster (a connection or a DNS query that
// worked fails). A fault the kernel refuses part of leaves nothing behind; kube-proxy-down
// leaves the node's rules stale through a scale. One cluster for the whole file.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadCluster } from "../load/cluster.js";
import { buildIR } from "../dataplane/build.js";
import { down, up } from "./cluster.js";
import { createRunner, type Runner } from "./exec.js";
import { readFaults, writeFaults } from "./fault-store.js";
import { addFault, clearFaults, listFaults } from "./faults.js";
import { applyLiveChange, RefusedChange } from "./live.js";
import { netfilterRenderers } from "./netfilter.js";
import { readRecord, stillOurs } from "./state.js";
import { kernelSkip, rootSnapshot } from "./testing.js";

const EXAMPLE = fileURLToPath(new URL("../../../examples/demo", import.meta.url));
const skip = kernelSkip(["ip", "bridge", "python3", "iptables-save", "nft", "curl", "dig"]);
const cluster = `dfault-${randomBytes(2).toString("hex")}`;

const sh = (ns: string, cmd: string) => spawnSync("ip", ["netns", "exec", ns, "sh", "-c", cmd], { encoding: "utf8" });

/** What a fault may change and clear must put back, per namespace, dynamic state (timers, counters, learned entries) stripped. */
function snapshot(namespaces: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const ns of namespaces)
    out[ns] = sh(
      ns,
      [
        `ip -d link | sed -E 's/[a-z_]+_timer +[0-9.]+//g'`,
        "ip addr | grep -v lft",
        "ip route show table all",
        "ip neigh | grep PERMANENT | sort",
        "bridge fdb | grep -E 'permanent|static' | sort",
        "cd /proc/sys && grep -H . net/ipv4/ip_forward net/ipv4/conf/*/forwarding net/ipv4/conf/*/rp_filter",
        `iptables-save 2>/dev/null | grep -v '^#' | sed -e 's/\\[[0-9]*:[0-9]*\\]//'`,
        `nft list ruleset 2>/dev/null | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'`,
      ].join("; "),
    ).stdout;
  // The processes: a restarted DNS server has a new PID, the same role, node and marker.
  out.processes = (readRecord(cluster)?.processes ?? [])
    .map((p) => `${p.role} ${p.node ?? ""} ${p.marker} ${stillOurs(p) ? "running" : "gone"}`)
    .sort()
    .join("\n");
  return out;
}

interface Pod {
  key: string;
  ip: string;
  node: string;
  netns: string;
}

let pods: Map<string, Pod>;
let nodeNs: Map<string, string>;
let watched: string[];
let dnsIP: string;

const pod = (name: string) => {
  const p = pods.get(name);
  assert.ok(p, `pod ${name} in the demo`);
  return p;
};
const curl = (from: Pod, to: Pod, port: number) =>
  sh(from.netns, `curl -s -o /dev/null -m 3 http://${to.ip}:${port}/`).status === 0;
/** An A record came back (dig +short prints its errors on stdout too: ";; connection timed out"). */
const dig = (from: Pod) =>
  /^\d+\.\d+\.\d+\.\d+$/m.test(
    sh(from.netns, `dig +time=2 +tries=1 +short @${dnsIP} kubernetes.default.svc.cluster.local A`).stdout,
  );

let rootBefore: Record<string, string>;

/** A live change scaling the demo's user-app Deployment. */
const scale = (replicas: number) => () => ({
  op: "scale" as const,
  kind: "Deployment",
  namespace: "default",
  name: "user-app",
  replicas,
});

before(async () => {
  if (skip) return;
  rootBefore = rootSnapshot();
  const { state } = await loadCluster({ files: [EXAMPLE] });
  const ir = buildIR(state);
  await up({ cluster, ir, inputs: { files: [EXAMPLE] }, render: { netfilter: netfilterRenderers } });
  const rec = readRecord(cluster)!;
  nodeNs = new Map((rec.nodes ?? []).map((n) => [n.name, n.netns]));
  pods = new Map(
    (rec.pods ?? [])
      .filter((p) => p.ownNetns && p.ip && p.node && p.netns)
      .map((p) => [p.name, { key: `${p.namespace}/${p.name}`, ip: p.ip!, node: p.node!, netns: p.netns! }]),
  );
  dnsIP = /nameserver (\S+)/.exec(readFileSync(`/etc/netns/${pod("web-0").netns}/resolv.conf`, "utf8"))![1];
  watched = [...nodeNs.values(), `podnet-${cluster}.underlay`, pod("web-0").netns, pod("web-1").netns];
});

after(async () => {
  if (skip) return;
  await down(cluster);
  assert.deepEqual(rootSnapshot(), rootBefore, "the root namespace is as it was");
});

/** Adds the fault, checks `broken` while it is active, clears it, and compares the state with before. */
async function roundTrip(t: { diagnostic: (s: string) => void }, fault: string, broken: () => void) {
  const was = snapshot(watched);
  const f = await addFault(cluster, fault);
  assert.deepEqual(
    listFaults(cluster).map((x) => x.fault),
    [f.fault],
  );
  try {
    broken();
  } finally {
    const cleared = await clearFaults(cluster);
    assert.deepEqual(
      cleared.map((x) => x.fault),
      [f.fault],
    );
  }
  assert.deepEqual(readFaults(cluster), [], "no fault left");
  const now = snapshot(watched);
  for (const k of Object.keys(was)) assert.equal(now[k], was[k], `${fault}: ${k} as before the fault`);
  t.diagnostic(`${fault}: ${f.actions.length} actions, state after clear equal to before`);
}

test("a fault is real while active and clear puts back exactly what was there", { skip }, async (t) => {
  const web0 = pod("web-0");
  const web1 = pod("web-1");
  assert.notEqual(web0.node, web1.node, "web-0 and web-1 on two nodes");
  assert.ok(curl(web1, web0, 80) && curl(web0, web1, 80), "web-0 and web-1 reach each other");
  assert.ok(dig(web0), "the cluster DNS answers");

  // A link: the pod's veth (node end) down — nothing reaches the pod.
  await roundTrip(t, `veth-down ${web0.key}`, () => assert.ok(!curl(web1, web0, 80), "web-0 unreachable"));
  // A sysctl: the node forwards nothing — web-1 cannot reach web-0 behind it.
  await roundTrip(t, `ip-forward-off ${web0.node}`, () =>
    assert.ok(!curl(web1, web0, 80), "no forwarding on web-0's node"),
  );
  // An FDB entry: web-0's node has no VTEP for web-1's node — no VXLAN towards it.
  await roundTrip(t, `vxlan-fdb-missing ${web0.node} ${web1.node}`, () =>
    assert.ok(!curl(web0, web1, 80), "no VXLAN from web-0's node to web-1's"),
  );
  // A route: web-0 has no default route — the Service range is unreachable from it.
  await roundTrip(t, `pod-route-missing ${web0.key}`, () => {
    const r = sh(web0.netns, `ip route get ${dnsIP}`);
    assert.notEqual(r.status, 0, `ip route get ${dnsIP} fails: ${r.stdout}`);
    assert.ok(!dig(web0), "no DNS through the Service IP");
  });
  // kube-proxy's chains flushed on web-0's node: the Service IP is not translated there.
  await roundTrip(t, `kube-proxy-flushed ${web0.node}`, () => {
    assert.ok(!dig(web0), "kube-dns's ClusterIP does not answer from web-0's node");
    assert.ok(curl(web0, web1, 80), "pod to pod still works");
  });
  // CoreDNS down: the DNS servers stopped.
  await roundTrip(t, "coredns-down", () => {
    assert.ok(!dig(web0), "no DNS answer");
    assert.equal(readRecord(cluster)?.processes.filter((p) => p.role === "dns").length, 0, "no DNS server recorded");
  });
  assert.ok(dig(web0) && curl(web1, web0, 80), "the cluster works after the clears");
});

test("a fault the kernel refuses part of leaves nothing behind; bad faults are refused", { skip }, async () => {
  const web0 = pod("web-0");
  const web1 = pod("web-1");
  const was = snapshot(watched);
  // vxlan-fdb-missing is two steps (FDB entry, then neighbour): the second one refused.
  const real = createRunner();
  const failing: Runner = {
    dryRun: false,
    log: real.log,
    run(argv, input, o) {
      if (argv.includes("neigh") && argv.includes("del")) argv = [...argv.slice(0, -1), "no-such-dev"];
      return real.run(argv, input, o);
    },
  };
  await assert.rejects(
    addFault(cluster, `vxlan-fdb-missing ${web0.node} ${web1.node}`, { runner: failing }),
    (e: Error) => /refused fault .*undone, nothing recorded/s.test(e.message),
  );
  assert.deepEqual(readFaults(cluster), []);
  const now = snapshot(watched);
  for (const k of Object.keys(was)) assert.equal(now[k], was[k], `after a failed add: ${k} as before`);
  assert.ok(curl(web0, web1, 80), "VXLAN works");

  await assert.rejects(
    addFault(cluster, "ip-forward-off no-such-node"),
    (e: Error) => e instanceof RefusedChange && /no node "no-such-node".*nodes: /.test(e.message),
  );
  await assert.rejects(addFault(cluster, "veth-down"), /takes 1 argument/);
  await assert.rejects(addFault(cluster, `cni-bridge-down ${web0.node} extra`), /takes 1 argument/);
  await addFault(cluster, `rp-filter-strict ${web0.node}`);
  await assert.rejects(addFault(cluster, `rp-filter-strict ${web0.node}`), /already active \(ID \d+/);
  await assert.rejects(clearFaults(cluster, "99"), /no active fault "99".*active: \d+ rp-filter-strict/);
  await clearFaults(cluster, `rp-filter-strict ${web0.node}`);
  assert.deepEqual(readFaults(cluster), []);

  // An add or a clear interrupted for good (kill -9) leaves its journal: the next fault
  // command undoes the add / finishes the clear.
  const rp = () => sh(nodeNs.get(web0.node)!, "cat /proc/sys/net/ipv4/conf/all/rp_filter").stdout.trim();
  const rp0 = rp();
  for (const mark of [{ pending: true }, { clearing: true }]) {
    const f = await addFault(cluster, `rp-filter-strict ${web0.node}`);
    assert.equal(rp(), "1");
    writeFaults(cluster, [{ ...f, ...mark }]);
    assert.deepEqual(listFaults(cluster), [], "not listed while interrupted");
    assert.deepEqual(await clearFaults(cluster), []);
    assert.deepEqual(readFaults(cluster), [], `${Object.keys(mark)[0]}: journal done`);
    assert.equal(rp(), rp0, `${Object.keys(mark)[0]}: rp_filter as before`);
  }
});

test("kube-proxy-down: a scale of user-app leaves the node's rules stale until clear", { skip }, async () => {
  const web1 = pod("web-1");
  const stale = web1.node;
  const other = pod("web-0").node;
  const rules = (n: string) =>
    sh(nodeNs.get(n)!, `iptables-save | grep -v '^#' | sed -e 's/\\[[0-9]*:[0-9]*\\]//'`).stdout;
  const before = { stale: rules(stale), other: rules(other) };
  await addFault(cluster, `kube-proxy-down ${stale}`);
  const res = await applyLiveChange(cluster, scale(3));
  assert.ok(res && !res.report.reloaded.includes(stale), `${stale}'s rules not reloaded`);
  assert.equal(rules(stale), before.stale, `${stale}: kube-proxy's rules as before the scale (stale)`);
  assert.notEqual(rules(other), before.other, `${other}: kube-proxy's rules follow the scale`);
  await clearFaults(cluster);
  assert.notEqual(rules(stale), before.stale, `${stale}: synced again after clear`);
  await applyLiveChange(cluster, scale(2));
});

test("kube-proxy-down: the node keeps the rules of when it stopped; its policy rules follow", { skip }, async () => {
  const stale = pod("web-1").node;
  const ns = nodeNs.get(stale)!;
  // user-service's endpoint DNATs on the node (kube-proxy's KUBE-SEP chains, iptables-save's text).
  const dnats = () =>
    sh(ns, `iptables-save -t nat | grep -E '^-A KUBE-SEP-.*default/user-service' | grep -- '--to-destination' | sort`)
      .stdout.trim()
      .split("\n")
      .filter(Boolean);
  const policyOn = () => /ingress-default\/web-1/.test(sh(ns, "nft list table inet podnet-policy").stdout);
  await applyLiveChange(cluster, scale(3)); // before the fault: every node follows
  const atFault = dnats();
  assert.equal(atFault.length, 3, "three user-app endpoints before the fault");
  await addFault(cluster, `kube-proxy-down ${stale}`);
  try {
    await applyLiveChange(cluster, scale(2));
    assert.deepEqual(dnats(), atFault, "stale at the fault's three endpoints (not up's two)");
    const deny = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "web-1-deny", namespace: "default" },
      spec: {
        podSelector: { matchLabels: { "statefulset.kubernetes.io/pod-name": "web-1" } },
        policyTypes: ["Ingress"],
      },
    };
    assert.equal(policyOn(), false, "web-1 not isolated yet");
    await applyLiveChange(cluster, () => ({ op: "apply" as const, objects: [deny] }));
    assert.ok(policyOn(), `${stale}: the NetworkPolicy reached the node whose kube-proxy is down`);
    assert.deepEqual(dnats(), atFault, "kube-proxy's rules still stale after the policy's reload");
    await applyLiveChange(cluster, () => ({
      op: "delete" as const,
      kind: "NetworkPolicy",
      namespace: "default",
      name: "web-1-deny",
    }));
  } finally {
    await clearFaults(cluster);
  }
  assert.equal(dnats().length, 2, `${stale}: synced to two endpoints after clear`);
});
