// `npm run bench:kernel` (Linux, root):
//  1. bring-up and teardown of 3 nodes × 100 pods;
//  2. pod-to-pod TCP throughput (iperf3) on one node, across nodes over VXLAN and across
//     nodes over host-gw, as ratios to a bare veth pair measured in the same run; then the
//     same through Cilium's BPF path (podnet's programs at tc: bpf_lxc redirect on one node,
//     the cilium_vxlan tunnel across nodes) next to a bare veth measured right after;
//  3. the first-packet latency to a ClusterIP when the node holds 1,000, 5,000 and 10,000
//     Services (one endpoint each), kube-proxy in iptables vs nftables mode vs Cilium's BPF
//     service lookup (kube-proxy replacement: the lb4 maps filled with the N Services, the
//     DNAT in cil_from_container at the client's lxc): one node, a
//     client pod and a server pod; the TCP connect time (SYN → SYN-ACK: the SYN is the
//     connection's first packet, the one that walks the NAT rules or the lb4 lookup) over
//     many fresh connections to randomly chosen Services, median and p99, next to a direct
//     connection to the pod IP (no DNAT) as the floor.
//  4. `diagnose --name` on a running cluster of ~300 pods: one pair, and --all (diagnose-kernel.ts).
//  5. the ingress controller's nginx reloaded by `apply --name` under a request loop (ingress-kernel.ts).
//  6. external domain through the LoadBalancer IP and the ingress controller vs the Service's
//     cluster name, from one pod to the same backend: connect + request p50/p99, the ratio
//     (ingress-kernel.ts externalBench).
// `npm run bench:kernel -- diagnose` (or bringup, bpf, services, ingress, external) runs only those
// sections (bpf: section 2's Cilium part).
// Everything runs inside podnet namespaces and is removed at the end (also on failure).
// Bounded: iperf3 runs BENCH_IPERF_SECONDS each; BENCH_CONNECTS connections per case.
// BENCH_SVC_MODES (default iptables,nftables,cilium) picks section 3's modes; BENCH_NAME_PREFIX
// is prepended to every cluster name (parallel developers tell their clusters apart).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ClusterState } from "../src/control/state.js";
import type { DataplaneIR } from "../src/ir/types.js";
import { bpfMissing } from "../src/linux/bpf.js";
import { down, up } from "../src/linux/cluster.js";
import { createRunner } from "../src/linux/exec.js";
import { fixtureIR } from "../src/linux/fixture.js";
import { kernelSkipReason } from "../src/linux/testing.js";
import { guardCommand, nsName } from "../src/linux/names.js";
import { netfilterRenderers } from "../src/linux/netfilter.js";
import { diagnoseBench } from "./diagnose-kernel.js";
import { externalBench, ingressBench } from "./ingress-kernel.js";

const NODES = Number(process.env.BENCH_NODES ?? 3);
const PODS = Number(process.env.BENCH_PODS_PER_NODE ?? 100);
const SECONDS = Number(process.env.BENCH_IPERF_SECONDS ?? 3);
const SVC_SIZES = (process.env.BENCH_SVC_SIZES ?? "1000,5000,10000").split(",").map(Number);
const CONNECTS = Number(process.env.BENCH_CONNECTS ?? 2000);
const SVC_MODES = (process.env.BENCH_SVC_MODES ?? "iptables,nftables,cilium").split(",") as (
  | "iptables"
  | "nftables"
  | "cilium"
)[];
const PREFIX = process.env.BENCH_NAME_PREFIX ?? "";
const cluster = `${PREFIX}bench`;
const runner = createRunner();

async function iperf(serverNs: string, clientNs: string, serverIp: string): Promise<number> {
  const s = ["ip", "netns", "exec", serverNs, "iperf3", "-s", "-1", "-p", "5201"];
  guardCommand(s);
  const server = spawn(s[0], s.slice(1), { stdio: "ignore" });
  try {
    await new Promise((r) => setTimeout(r, 300));
    const c = await runner.run([
      "ip",
      "netns",
      "exec",
      clientNs,
      "iperf3",
      "-c",
      serverIp,
      "-p",
      "5201",
      "-t",
      String(SECONDS),
      "-J",
    ]);
    const j = JSON.parse(c.stdout);
    return j.end.sum_received.bits_per_second as number;
  } finally {
    if (server.exitCode === null) server.kill("SIGKILL"); // ours: spawned just above
  }
}

/** A bare veth pair between two namespaces (removed with the cluster `owner`'s down). */
async function bareVeth(owner = cluster): Promise<number> {
  const a = `podnet-${owner}.bare.a`;
  const b = `podnet-${owner}.bare.b`;
  await runner.run(["ip", "netns", "add", a]);
  await runner.run(["ip", "netns", "add", b]);
  await runner.run(
    ["ip", "-n", a, "-batch", "-"],
    `link add v0 type veth peer name v1 netns ${b}\naddr add 10.99.0.1/30 dev v0\nlink set lo up\nlink set v0 up\n`,
  );
  await runner.run(["ip", "-n", b, "-batch", "-"], `addr add 10.99.0.2/30 dev v1\nlink set lo up\nlink set v1 up\n`);
  return iperf(a, b, "10.99.0.1");
}

/**
 * The fixture as flannel host-gw (flannel Documentation/backends.md): no VTEP; each remote
 * node's pod subnet routed `via <node address> dev eth0`; MTU 1500 all along (no
 * encapsulation overhead).
 */
function hostGw(ir: DataplaneIR): DataplaneIR {
  ir.backend = "host-gw";
  for (const n of ir.nodes) {
    const ns = n.ns;
    ns.links = ns.links.filter((l) => l.name !== "flannel.1");
    for (const l of ns.links) if (l.kind !== "loopback") l.mtu = 1500;
    ns.addresses = ns.addresses.filter((a) => a.dev !== "flannel.1");
    ns.neighbours = ns.neighbours.filter((x) => x.dev !== "flannel.1");
    ns.fdb = ns.fdb.filter((x) => x.dev !== "flannel.1");
    ns.routes = ns.routes.flatMap((r) => {
      if (r.dev !== "flannel.1") return [r];
      const other = ir.nodes.find((o) => o.podCIDR === r.dst);
      return other ? [{ table: "main", type: "unicast", dst: r.dst, via: other.address, dev: "eth0" } as typeof r] : [];
    });
  }
  for (const p of ir.pods) for (const l of p.ns?.links ?? []) if (l.kind !== "loopback") l.mtu = 1500;
  return ir;
}

// Connect-time client (runs in the client pod): CONNECTS fresh TCP connections, each to a
// random address of the list; prints the connect times in microseconds.
const CONNECT = String.raw`
import json, random, socket, sys, time
ips = open(sys.argv[1]).read().split()
port, n = int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(1)
out, fails = [], 0
for i in range(n + 50):
    ip = ips[rnd.randrange(len(ips))]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.settimeout(2)
    t = time.perf_counter_ns()
    try:
        s.connect((ip, port))
        dt = (time.perf_counter_ns() - t) / 1000
        if i >= 50: out.append(dt)  # the first 50: warm-up
    except OSError:
        fails += 1
    s.close()
print(json.dumps({"us": out, "fails": fails}))
`;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function serviceScale(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "podnet-bench-svc-"));
  const max = Math.max(...SVC_SIZES);
  try {
    let y = `apiVersion: v1\nkind: Pod\nmetadata: {name: srv, labels: {app: srv}}\nspec:\n  containers: [{name: srv, image: agnhost, ports: [{containerPort: 8080}]}]\n`;
    y += `---\napiVersion: v1\nkind: Pod\nmetadata: {name: client}\nspec:\n  containers: [{name: c, image: agnhost}]\n`;
    for (let i = 0; i < max; i++)
      y += `---\napiVersion: v1\nkind: Service\nmetadata: {name: s${i}}\nspec:\n  selector: {app: srv}\n  ports: [{port: 80, targetPort: 8080}]\n`;
    writeFileSync(join(dir, "m.yaml"), y);
    writeFileSync(
      join(dir, "c.yaml"),
      "apiVersion: podnet.dev/v1alpha1\nkind: Cluster\nname: bench-svc\nnodes:\n  - name: node-1\n",
    );
    // The same cluster as Cilium (kube-proxy replacement: its default, kubeProxyMode none).
    writeFileSync(
      join(dir, "c-cilium.yaml"),
      "apiVersion: podnet.dev/v1alpha1\nkind: Cluster\nname: bench-svc\nnodes:\n  - name: node-1\nnetworking:\n  cni: cilium\n",
    );
    const { loadCluster } = await import("../src/index.js");
    const { buildIR } = await import("../src/dataplane/build.js");
    let t = performance.now();
    const { state: full } = await loadCluster({ files: [join(dir, "m.yaml")], config: join(dir, "c.yaml") });
    const fullCilium = SVC_MODES.includes("cilium")
      ? (await loadCluster({ files: [join(dir, "m.yaml")], config: join(dir, "c-cilium.yaml") })).state
      : full;
    console.log(
      `service scale: cluster state with ${max} Services computed in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    const rows: string[][] = [
      [
        "SERVICES",
        "MODE",
        "UP (rules / maps loaded)",
        "RANDOM SVC p50",
        "RANDOM SVC p99",
        "FIRST-RULE SVC p50",
        "POD IP p50",
        "FAILS",
      ],
    ];
    for (const n of SVC_SIZES) {
      // The first n Services (the control plane's result for n would be the same objects).
      const keep = (name: string) => !/^s\d+$/.test(name) || Number(name.slice(1)) < n;
      const subOf = (f: ClusterState): ClusterState => ({
        ...f,
        services: f.services.filter((s) => keep(s.name)),
        endpointSlices: f.endpointSlices.filter((e) => keep(e.serviceName)),
      });
      const sub = subOf(full);
      const subCilium = subOf(fullCilium);
      // The client's targets: the Services' ClusterIPs, the server pod's IP, the best case.
      const targets = (st: ClusterState, best?: string) => {
        const ips = st.services.filter((s) => /^s\d+$/.test(s.name)).map((s) => s.clusterIP!);
        writeFileSync(join(dir, "ips"), ips.join("\n"));
        writeFileSync(join(dir, "pod"), st.pods.find((p) => p.name === "srv")!.podIP!);
        writeFileSync(join(dir, "best"), best ?? ips[0]);
        return ips;
      };
      // iptables' best case: the Service whose rule comes first in KUBE-SERVICES (the chain is matched rule by rule).
      const ipt = netfilterRenderers.iptables(
        buildIR({
          ...sub,
          config: { ...sub.config, networking: { ...sub.config.networking, kubeProxyMode: "iptables" } },
        }).nodes[0].ns.netfilter.iptables,
      );
      const ipSet = new Set(targets(sub));
      const first = [...ipt.matchAll(/^-A KUBE-SERVICES .*?-d (\d+\.\d+\.\d+\.\d+)\/32/gm)]
        .map((m) => m[1])
        .find((ip) => ipSet.has(ip));
      for (const mode of SVC_MODES) {
        if (mode === "cilium" && bpfMissing()) {
          console.log(`  ${n} Services, cilium skipped: ${bpfMissing()}`);
          continue;
        }
        // Cilium: a hash lookup (lb4_lookup_service) has no first rule: "best" is just the first Service.
        if (mode === "cilium") targets(subCilium);
        else targets(sub, first);
        const st: ClusterState =
          mode === "cilium"
            ? subCilium
            : { ...sub, config: { ...sub.config, networking: { ...sub.config.networking, kubeProxyMode: mode } } };
        const ir = buildIR(st);
        const name = `${PREFIX}bench-svc`;
        await down(name);
        try {
          t = performance.now();
          await up({ cluster: name, ir, render: { netfilter: netfilterRenderers } });
          const upS = (performance.now() - t) / 1000;
          const clientNs = nsName(name, "pod/default/client");
          const measure = async (file: string) => {
            const r = await runner.run([
              "ip",
              "netns",
              "exec",
              clientNs,
              "python3",
              "-c",
              CONNECT,
              join(dir, file),
              file === "pod" ? "8080" : "80",
              String(CONNECTS),
            ]);
            return JSON.parse(r.stdout) as { us: number[]; fails: number };
          };
          const floor = await measure("pod");
          const svc = await measure("ips");
          const best = await measure("best");
          const us = (x: number) => `${x.toFixed(0)} µs`;
          rows.push([
            String(n),
            mode,
            `${upS.toFixed(1)} s`,
            us(quantile(svc.us, 0.5)),
            us(quantile(svc.us, 0.99)),
            us(quantile(best.us, 0.5)),
            us(quantile(floor.us, 0.5)),
            String(svc.fails + floor.fails + best.fails),
          ]);
          console.log(
            `  ${n} Services, ${mode}: random Service p50 ${us(quantile(svc.us, 0.5))} p99 ${us(quantile(svc.us, 0.99))}; first-rule Service p50 ${us(quantile(best.us, 0.5))}; pod IP p50 ${us(quantile(floor.us, 0.5))}; up ${upS.toFixed(1)} s`,
          );
        } finally {
          await down(name);
        }
      }
    }
    const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    console.log(`\nfirst-packet latency to a ClusterIP (TCP connect time, ${CONNECTS} fresh connections per column):`);
    for (const r of rows)
      console.log(
        "  " +
          r
            .map((c, i) => c.padEnd(w[i] + 2))
            .join("")
            .trimEnd(),
      );
    console.log(
      "  RANDOM SVC: a random Service each time; FIRST-RULE SVC: the Service of the first KUBE-SERVICES rule (iptables' best case; cilium: the first Service);\n" +
        "  POD IP: the server pod directly, no DNAT (iptables still walks all of KUBE-SERVICES for it: its worst case).",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ONLY = process.argv.slice(2);
const wanted = (section: string) => ONLY.length === 0 || ONLY.includes(section);

async function main() {
  const why = kernelSkipReason(["ip", "iperf3", "python3", "iptables-restore", "nft", "ping"]);
  if (why) {
    console.error(`bench:kernel cannot run: ${why}`);
    process.exit(process.env.PODNET_REQUIRE_KERNEL === "1" ? 1 : 0);
  }
  if (wanted("bringup")) await bringupAndThroughput();
  if (wanted("bpf")) await ciliumThroughput();
  if (wanted("services")) await serviceScale();
  if (wanted("diagnose")) await diagnoseBench();
  if (wanted("ingress")) await ingressBench();
  if (wanted("external")) await externalBench();
  if (wanted("observe")) observeFloods();
}

/**
 * `podnet observe` under 10,000 new connections/s (issue 17 §6): the conntrack/NFLOG flow log
 * and a Cilium node's BPF events, each bench in its own process (its own cluster).
 */
function observeFloods(): void {
  for (const b of ["observe.js", "observe-cilium.js"]) {
    console.log(`\n--- ${b.replace(".js", "")}: 5 s at 10,000 connections/s ---`);
    const r = spawnSync(process.execPath, [fileURLToPath(new URL(b, import.meta.url)), "5", "10000"], {
      stdio: "inherit",
    });
    if (r.status !== 0) console.log(`(${b} exited with ${r.status ?? r.signal})`);
  }
}

async function bringupAndThroughput() {
  const g = (x: number) => `${(x / 1e9).toFixed(2)} Gbit/s`;
  await down(cluster);
  const ir = fixtureIR(cluster, { nodes: NODES, podsPerNode: PODS });
  let bare = 0;
  try {
    let t = performance.now();
    const rep = await up({ cluster, ir, parallel: 16 });
    const upMs = performance.now() - t;
    console.log(
      `bring-up: ${NODES} nodes × ${PODS} pods = ${rep.pods} pods, ${rep.namespaces} namespaces, ${rep.supervisors.length} pod servers: ${(upMs / 1000).toFixed(2)} s = ${((rep.pods / upMs) * 1000).toFixed(1)} pods/s (target ≥ 50)`,
    );
    const ns = (p: string) => `podnet-${cluster}.pod.default.${p}`;
    bare = await bareVeth();
    const same = await iperf(ns("web-10"), ns("web-11"), "10.244.1.2");
    const cross = await iperf(ns("web-10"), ns("web-20"), "10.244.1.2");
    console.log(
      `iperf3 TCP (${SECONDS} s): bare veth ${g(bare)}; same node (cni0) ${g(same)} = ${(same / bare).toFixed(2)}×; cross node (VXLAN) ${g(cross)} = ${(cross / bare).toFixed(2)}×`,
    );
    t = performance.now();
    await down(cluster);
    console.log(`teardown: ${((performance.now() - t) / 1000).toFixed(2)} s (target ≤ 5 s)`);
  } finally {
    await down(cluster);
  }
  // Cross node over host-gw: the same fixture, routed through the node addresses.
  const hg = `${PREFIX}bench-hg`;
  await down(hg);
  try {
    await up({ cluster: hg, ir: hostGw(fixtureIR(hg, { nodes: 2, podsPerNode: 1 })), supervise: false });
    const cross = await iperf(`podnet-${hg}.pod.default.web-10`, `podnet-${hg}.pod.default.web-20`, "10.244.1.2");
    // The machine may be shared: a bare veth measured again right next to it.
    const bare2 = await bareVeth(hg);
    console.log(
      `iperf3 TCP (${SECONDS} s): cross node (host-gw) ${g(cross)} = ${(cross / bare).toFixed(2)}× the first bare veth, ${(cross / bare2).toFixed(2)}× a bare veth measured just after (${g(bare2)})`,
    );
  } finally {
    await down(hg);
  }
}

/**
 * Section 2 through Cilium's BPF path: two nodes, two pods on the first and one on the second
 * (spec.nodeName), Cilium over VXLAN with kube-proxy replacement; iperf3 pod to pod on one
 * node (cil_from_container → the peer's lxc, bpf_lxc's local delivery) and across nodes
 * (cil_from_container → cilium_vxlan with the ipcache's tunnel endpoint → cil_from_overlay),
 * each as a ratio to a bare veth pair measured in the same cluster right after.
 */
async function ciliumThroughput(): Promise<void> {
  const missing = bpfMissing();
  if (missing) return void console.log(`Cilium throughput skipped: ${missing}`);
  const g = (x: number) => `${(x / 1e9).toFixed(2)} Gbit/s`;
  const dir = mkdtempSync(join(tmpdir(), "podnet-bench-bpf-"));
  const name = `${PREFIX}bench-bpf`;
  try {
    const pod = (p: string, node: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata: {name: ${p}}\nspec:\n  nodeName: ${node}\n  containers: [{name: c, image: agnhost}]\n`;
    writeFileSync(join(dir, "m.yaml"), [pod("a1", "node-1"), pod("a2", "node-1"), pod("b1", "node-2")].join("---\n"));
    writeFileSync(
      join(dir, "c.yaml"),
      "apiVersion: podnet.dev/v1alpha1\nkind: Cluster\nname: bench-bpf\nnodes:\n  - name: node-1\n  - name: node-2\nnetworking:\n  cni: cilium\n  backend: vxlan\n",
    );
    const { loadCluster } = await import("../src/index.js");
    const { buildIR } = await import("../src/dataplane/build.js");
    const { state } = await loadCluster({ files: [join(dir, "m.yaml")], config: join(dir, "c.yaml") });
    const ip = (p: string) => state.pods.find((x) => x.name === p)!.podIP!;
    await down(name);
    try {
      await up({ cluster: name, ir: buildIR(state), supervise: false, render: { netfilter: netfilterRenderers } });
      const ns = (p: string) => nsName(name, `pod/default/${p}`);
      const same = await iperf(ns("a1"), ns("a2"), ip("a1"));
      const cross = await iperf(ns("a1"), ns("b1"), ip("a1"));
      const bare = await bareVeth(name);
      console.log(
        `iperf3 TCP (${SECONDS} s) through Cilium's BPF path: same node (lxc → lxc) ${g(same)} = ${(same / bare).toFixed(2)}×; cross node (cilium_vxlan) ${g(cross)} = ${(cross / bare).toFixed(2)}× a bare veth measured just after (${g(bare)})`,
      );
    } finally {
      await down(name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
