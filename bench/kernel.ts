// `npm run bench:kernel` (Linux, root): bring-up and teardown of 3 nodes × 100 pods,
// and pod-to-pod TCP throughput (iperf3) on one node and across nodes over VXLAN,
// as a ratio to a bare veth pair measured in the same run. Everything runs inside
// podnet namespaces and is removed at the end (also on failure).
import { spawn } from "node:child_process";
import { down, up } from "../src/linux/cluster.js";
import { createRunner } from "../src/linux/exec.js";
import { fixtureIR, kernelSkipReason } from "../src/linux/testing.js";
import { guardCommand } from "../src/linux/names.js";

const NODES = Number(process.env.BENCH_NODES ?? 3);
const PODS = Number(process.env.BENCH_PODS_PER_NODE ?? 100);
const SECONDS = Number(process.env.BENCH_IPERF_SECONDS ?? 3);
const cluster = "bench";
const runner = createRunner();

async function iperf(serverNs: string, clientNs: string, serverIp: string): Promise<number> {
  const s = ["ip", "netns", "exec", serverNs, "iperf3", "-s", "-1", "-p", "5201"];
  guardCommand(s);
  const server = spawn(s[0], s.slice(1), { stdio: "ignore" });
  try {
    await new Promise((r) => setTimeout(r, 300));
    const c = await runner.run(["ip", "netns", "exec", clientNs, "iperf3", "-c", serverIp, "-p", "5201", "-t", String(SECONDS), "-J"]);
    const j = JSON.parse(c.stdout);
    return j.end.sum_received.bits_per_second as number;
  } finally {
    if (server.exitCode === null) server.kill("SIGKILL"); // ours: spawned just above
  }
}

async function bareVeth(): Promise<number> {
  const a = `podnet-${cluster}.bare.a`;
  const b = `podnet-${cluster}.bare.b`;
  await runner.run(["ip", "netns", "add", a]);
  await runner.run(["ip", "netns", "add", b]);
  await runner.run(["ip", "-n", a, "-batch", "-"], `link add v0 type veth peer name v1 netns ${b}\naddr add 10.99.0.1/30 dev v0\nlink set lo up\nlink set v0 up\n`);
  await runner.run(["ip", "-n", b, "-batch", "-"], `addr add 10.99.0.2/30 dev v1\nlink set lo up\nlink set v1 up\n`);
  return iperf(a, b, "10.99.0.1");
}

async function main() {
  const why = kernelSkipReason(["ip", "iperf3"]);
  if (why) {
    console.error(`bench:kernel cannot run: ${why}`);
    process.exit(process.env.PODNET_REQUIRE_KERNEL === "1" ? 1 : 0);
  }
  await down(cluster);
  const ir = fixtureIR(cluster, { nodes: NODES, podsPerNode: PODS });
  try {
    let t = performance.now();
    const rep = await up({ cluster, ir, parallel: 16 });
    const upMs = performance.now() - t;
    console.log(`bring-up: ${NODES} nodes × ${PODS} pods = ${rep.pods} pods, ${rep.namespaces} namespaces, ${rep.supervisors.length} pod servers: ${(upMs / 1000).toFixed(2)} s = ${((rep.pods / upMs) * 1000).toFixed(1)} pods/s (target ≥ 50)`);
    const ns = (p: string) => `podnet-${cluster}.pod.default.${p}`;
    const bare = await bareVeth();
    const same = await iperf(ns("web-10"), ns("web-11"), "10.244.1.2");
    const cross = await iperf(ns("web-10"), ns("web-20"), "10.244.1.2");
    const g = (x: number) => `${(x / 1e9).toFixed(2)} Gbit/s`;
    console.log(`iperf3 TCP (${SECONDS} s): bare veth ${g(bare)}; same node (cni0) ${g(same)} = ${(same / bare).toFixed(2)}×; cross node (VXLAN) ${g(cross)} = ${(cross / bare).toFixed(2)}×`);
    t = performance.now();
    await down(cluster);
    console.log(`teardown: ${((performance.now() - t) / 1000).toFixed(2)} s (target ≤ 5 s)`);
  } finally {
    await down(cluster);
  }
}

await main();
