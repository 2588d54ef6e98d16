// `npm run bench:chaos` (Linux, root): a running cluster under attack from its own pods
// while `verify` checks it (issue 19). The example cluster is brought up, then at once:
//   - one pod sends BENCH_CHAOS_REQUESTS (1,000) malformed requests of the HTTP fuzz corpus
//     (src/testing/http-fuzz.ts) round-robin to every listener of every pod, the CoreDNS
//     pods' DNS servers included;
//   - another pod holds BENCH_CHAOS_SLOW (100) slow TCP clients on the cluster DNS
//     Service (kube-dns:53), each dripping a byte a second, reconnecting when closed;
//   - a third pod asks the cluster DNS an A query every 20 ms, UDP and TCP in turn;
//   - `verify` (pods, services, dns) runs.
// Reported: verify's agreement (it must stay 100 %), pod- and DNS-server restarts (0 needed), the
// DNS answers' p50/p99 during the attack next to the same probe before it, and what the
// attackers saw. Everything runs inside podnet namespaces toward the cluster's own
// addresses, bounded in count and time, and is removed at the end (also on failure).
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { loadCluster } from "../src/index.js";
import { buildIR } from "../src/dataplane/build.js";
import { down, up } from "../src/linux/cluster.js";
import { guardCommand, nsName } from "../src/linux/names.js";
import { netfilterRenderers } from "../src/linux/netfilter.js";
import { readRecord } from "../src/linux/state.js";
import { dnsHealth, supervisorHealth } from "../src/linux/supervisor.js";
import { kernelSkipReason } from "../src/linux/testing.js";
import { formatVerify, verify } from "../src/questions/verify.js";

const REQUESTS = Number(process.env.BENCH_CHAOS_REQUESTS ?? 1000);
const SLOW = Number(process.env.BENCH_CHAOS_SLOW ?? 100);
const BASELINE_S = Number(process.env.BENCH_CHAOS_BASELINE_SECONDS ?? 10);
const EXAMPLE = fileURLToPath(new URL("../../examples/demo", import.meta.url));
const CLIENT = fileURLToPath(new URL("../src/testing/chaos-client.js", import.meta.url));
const cluster = process.env.BENCH_CHAOS_CLUSTER ?? `schaos-${randomBytes(2).toString("hex")}`;

interface Client {
  child: ChildProcess;
  result: Promise<Record<string, unknown>>;
}

/** Every attacker started: stopped by PID at the end, also on failure. */
const started: ChildProcess[] = [];

/** The chaos client in a pod's namespace; `stop()` closes its stdin (timed modes end). */
function attacker(ns: string, arg: Record<string, unknown>): Client & { stop(): void } {
  const argv = ["ip", "netns", "exec", ns, process.execPath, CLIENT, JSON.stringify({ maxSeconds: 600, ...arg })];
  guardCommand(argv);
  const child = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
  started.push(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const result = new Promise<Record<string, unknown>>((resolve, reject) =>
    child.on("close", (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`chaos client ${arg.mode} exit ${code}: ${err}`)),
    ),
  );
  return { child, result, stop: () => child.stdin!.end() };
}

async function main() {
  const why = kernelSkipReason(["ip", "python3"]);
  if (why) {
    process.stdout.write(`bench:chaos skipped: ${why}\n`);
    return;
  }
  const { state } = await loadCluster({ files: [EXAMPLE] });
  const ir = buildIR(state);
  const dnsIP = state.services.find((s) => s.namespace === "kube-system" && s.name === "kube-dns")?.clusterIP;
  if (!dnsIP) throw new Error("the example has no kube-dns Service");
  const qname = `kubernetes.default.svc.${state.config.networking.dnsDomain}`;
  const pods = ir.pods.filter((p) => p.ip && p.ns && p.node && p.namespace !== "kube-system");
  if (pods.length < 3) throw new Error("the example needs three pods to attack from");
  const ns = (i: number) => nsName(cluster, pods[i].ns!.id);
  const targets = ir.pods
    .filter((p) => p.ip && p.ns && p.node)
    .flatMap((p) =>
      p.listeners
        .filter((l) => l.protocol === "TCP" || l.protocol === "UDP")
        .map((l) => ({ host: p.ip!, port: l.port, proto: l.protocol.toLowerCase() })),
    );
  const t0 = Date.now();
  try {
    await up({ cluster, ir, inputs: { files: [EXAMPLE] }, render: { netfilter: netfilterRenderers } });
    process.stdout.write(
      `cluster ${cluster}: ${ir.nodes.length} nodes, ${ir.pods.length} pods, ${targets.length} listeners (up in ${Date.now() - t0} ms)\n`,
    );

    // The DNS probe alone first: the figure to compare with.
    const base = attacker(ns(2), { mode: "dnsprobe", host: dnsIP, port: 53, name: qname, seconds: BASELINE_S });
    const baseline = (await base.result) as unknown as DnsProbe;

    // The probe while verify runs alone: verify's own load on this machine's CPUs.
    const quiet = attacker(ns(2), {
      mode: "dnsprobe",
      host: dnsIP,
      port: 53,
      name: qname,
      seconds: 600,
      untilStdinEnds: true,
    });
    const tq = Date.now();
    const repQuiet = await verify({ cluster });
    const quietMs = Date.now() - tq;
    quiet.stop();
    const verifyAlone = (await quiet.result) as unknown as DnsProbe;

    const probe = attacker(ns(2), {
      mode: "dnsprobe",
      host: dnsIP,
      port: 53,
      name: qname,
      seconds: 600,
      untilStdinEnds: true,
    });
    const slow = attacker(ns(1), {
      mode: "slowdns",
      host: dnsIP,
      port: 53,
      clients: SLOW,
      seconds: 600,
      untilStdinEnds: true,
    });
    const http = attacker(ns(0), { mode: "http", targets, cases: REQUESTS, concurrency: 16 });
    // Let the slow clients take their slots before verify starts.
    await new Promise((r) => setTimeout(r, 1500));
    const tv = Date.now();
    const rep = await verify({ cluster });
    const verifyMs = Date.now() - tv;
    const httpResult = await http.result;
    probe.stop();
    slow.stop();
    const during = (await probe.result) as unknown as DnsProbe;
    const slowResult = await slow.result;
    const procs = readRecord(cluster)!.processes;
    const health = procs.filter((p) => p.role === "supervisor").map((p) => ({ node: p.node, ...supervisorHealth(p) }));
    const restarts = health.reduce((a, h) => a + h.restarts, 0);
    // The CoreDNS pods' DNS servers have a watchdog too: the slow clients target them.
    const dnsHealths = procs
      .filter((p) => p.role === "dns")
      .map((p) => ({ pod: p.marker.slice(p.marker.indexOf(" ") + 1), ...dnsHealth(p) }));
    const dnsRestarts = dnsHealths.reduce((a, h) => a + h.restarts, 0);

    const pct = rep.flows ? ((100 * rep.agree) / rep.flows).toFixed(1) : "0";
    const fmt = (d: DnsProbe["udp"]) =>
      `p50 ${d.p50 ?? "-"} ms, p99 ${d.p99 ?? "-"} ms, max ${d.max ?? "-"} ms (${d.n} queries, ${d.failed} unanswered)`;
    process.stdout.write(
      [
        `attack: ${REQUESTS} malformed requests to ${targets.length} listeners, ${SLOW} slow TCP DNS clients on ${dnsIP}:53, during verify`,
        `  malformed requests: ${JSON.stringify(httpResult)}`,
        `  slow DNS clients:   ${JSON.stringify(slowResult)}`,
        `verify during the attack: ${rep.flows} flows, ${rep.agree} agree (${pct} %), ${rep.disagree} disagree, ${rep.listenerDown} listener down (${(verifyMs / 1000).toFixed(1)} s)`,
        `pod-server restarts: ${restarts}; serving: ${
          health.every((h) => h.serving)
            ? "all"
            : health
                .filter((h) => !h.serving)
                .map((h) => h.node)
                .join(", ")
        }`,
        `DNS server restarts: ${dnsRestarts}; serving: ${
          dnsHealths.every((h) => h.serving)
            ? "all"
            : dnsHealths
                .filter((h) => !h.serving)
                .map((h) => h.pod)
                .join(", ")
        }`,
        `DNS answers before the attack (${BASELINE_S} s):`,
        `  UDP ${fmt(baseline.udp)}`,
        `  TCP ${fmt(baseline.tcp)}`,
        `DNS answers while verify runs alone (${repQuiet.agree}/${repQuiet.flows} agree, ${(quietMs / 1000).toFixed(1)} s):`,
        `  UDP ${fmt(verifyAlone.udp)}`,
        `  TCP ${fmt(verifyAlone.tcp)}`,
        `DNS answers during the attack (and verify):`,
        `  UDP ${fmt(during.udp)}`,
        `  TCP ${fmt(during.tcp)}`,
        "",
      ].join("\n"),
    );
    if (rep.disagree || rep.listenerDown) process.stdout.write(formatVerify(rep));
    if (rep.disagree || rep.listenerDown || restarts || dnsRestarts) process.exitCode = 1;
  } finally {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await down(cluster);
  }
}

interface DnsProbe {
  udp: { n: number; failed: number; p50: number | null; p99: number | null; max: number | null };
  tcp: DnsProbe["udp"];
}

main().catch((e) => {
  process.stderr.write(`bench:chaos: ${e?.stack ?? e}\n`);
  process.exitCode = 1;
});
