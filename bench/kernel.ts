// `npm run bench:kernel` (Linux, root):
//  1. bring-up and teardown of 3 nodes × 100 pods;
//  2. pod-to-pod TCP throughput (iperf3) on one node, across nodes over VXLAN and across
//     nodes over host-gw, as ratios to a bare veth pair measured in the same run;
//  3. the first-packet latency to a ClusterIP when the node holds 1,000, 5,000 and 10,000
//     Services (one endpoint each), kube-proxy in iptables vs nftables mode: one node, a
//     client pod and a server pod; the TCP connect time (SYN → SYN-ACK: the SYN is the
//     connection's first packet, the one that walks the NAT rules) over many fresh
//     connections to randomly chosen Services, median and p99, next to a direct
//     connection to the pod IP (no DNAT) as the floor.
//  4. `diagnose --name` on a running cluster of ~300 pods: one pair, and --all (diagnose-kernel.ts).
//  5. the ingress controller's nginx reloaded by `apply --name` under a request loop (ingress-kernel.ts).
//  6. external domain through the LoadBalancer IP and the ingress controller vs the Service's
//     cluster name, from one pod to the same backend: connect + request p50/p99, the ratio
//     (ingress-kernel.ts externalBench).
// `npm run bench:kernel -- diagnose` (or bringup, services, ingress, external) runs only those sections.
// Everything runs inside podnet namespaces and is removed at the end (also on failure).
// Bounded: iperf3 runs BENCH_IPERF_SECONDS each; BENCH_CONNECTS connections per case.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClusterState } from "../src/control/state.js";
import type { DataplaneIR } from "../src/ir/types.js";
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
const cluster = "bench";
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
    const { loadCluster } = await import("../src/index.js");
    const { buildIR } = await import("../src/dataplane/build.js");
    let t = performance.now();
    const { state: full } = await loadCluster({ files: [join(dir, "m.yaml")], config: join(dir, "c.yaml") });
    console.log(
      `service scale: cluster state with ${max} Services computed in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    const rows: string[][] = [
      [
        "SERVICES",
        "MODE",
        "UP (rules loaded)",
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
      const sub: ClusterState = {
        ...full,
        services: full.services.filter((s) => keep(s.name)),
        endpointSlices: full.endpointSlices.filter((e) => keep(e.serviceName)),
      };
      const ips = sub.services.filter((s) => /^s\d+$/.test(s.name)).map((s) => s.clusterIP!);
      writeFileSync(join(dir, "ips"), ips.join("\n"));
      const srv = sub.pods.find((p) => p.name === "srv")!;
      writeFileSync(join(dir, "pod"), srv.podIP!);
      // iptables' best case: the Service whose rule comes first in KUBE-SERVICES (the chain is matched rule by rule).
      const ipt = netfilterRenderers.iptables(
        buildIR({
          ...sub,
          config: { ...sub.config, networking: { ...sub.config.networking, kubeProxyMode: "iptables" } },
        }).nodes[0].ns.netfilter.iptables,
      );
      const ipSet = new Set(ips);
      const first = [...ipt.matchAll(/^-A KUBE-SERVICES .*?-d (\d+\.\d+\.\d+\.\d+)\/32/gm)]
        .map((m) => m[1])
        .find((ip) => ipSet.has(ip));
      writeFileSync(join(dir, "best"), first ?? ips[0]);
      for (const mode of ["iptables", "nftables"] as const) {
        const st: ClusterState = {
          ...sub,
          config: { ...sub.config, networking: { ...sub.config.networking, kubeProxyMode: mode } },
        };
        const ir = buildIR(st);
        const name = "bench-svc";
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
      "  RANDOM SVC: a random Service each time; FIRST-RULE SVC: the Service of the first KUBE-SERVICES rule (iptables' best case);\n" +
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
  if (wanted("services")) await serviceScale();
  if (wanted("diagnose")) await diagnoseBench();
  if (wanted("ingress")) await ingressBench();
  if (wanted("external")) await externalBench();
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
  const hg = "bench-hg";
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

await main();
