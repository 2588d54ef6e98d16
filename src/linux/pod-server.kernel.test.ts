// Fault isolation on a running cluster (issue 19), root: the example cluster is brought
// up, a pod sends the HTTP fuzz corpus to every built-in server (every pod's TCP and UDP
// listeners, the CoreDNS pods' DNS servers on TCP and UDP 53) and 100,000 hostile DNS
// messages to the cluster DNS, then every pod still answers (`verify`: 100 %, no restarts). Then the servers' own failures: a killed pod
// server is restarted by its watchdog and `status` counts it; with the watchdog killed
// too, `verify` reports "listener down" for that node's pods, not model disagreements;
// `down` removes everything.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { formatVerify, verify } from "../questions/verify.js";
import { clusterNamespaces, down, status, up } from "./cluster.js";
import { guardCommand, nsName, stateDir } from "./names.js";
import { netfilterRenderers } from "./netfilter.js";
import { procCmdline, readRecord } from "./state.js";
import { dnsHealth, supervisorHealth } from "./supervisor.js";
import { kernelSkip, rootSnapshot } from "./testing.js";

const EXAMPLE = fileURLToPath(new URL("../../../examples/demo", import.meta.url));
const CLIENT = fileURLToPath(new URL("../testing/chaos-client.js", import.meta.url));
const skip = kernelSkip(["ip", "curl", "python3"]);

/** Runs the chaos client in a namespace of the cluster; its JSON result. */
function inNetns(ns: string, arg: Record<string, unknown>): Promise<Record<string, unknown>> {
  const argv = ["ip", "netns", "exec", ns, process.execPath, CLIENT, JSON.stringify(arg)];
  guardCommand(argv);
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    c.stdout.on("data", (d) => (out += d));
    c.stderr.on("data", (d) => (err += d));
    c.on("close", (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`chaos client exit ${code}: ${err}`)),
    );
  });
}

const waitFor = async (what: string, f: () => boolean, ms = 8000) => {
  const until = Date.now() + ms;
  while (!f()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** Processes whose command line names the cluster's state directory (ours, whatever their state). */
function ourProcesses(cluster: string): number[] {
  const dir = stateDir(cluster);
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => pid !== process.pid && (procCmdline(pid) ?? "").includes(`${dir}/`));
}

test("every built-in server survives the HTTP fuzz corpus; a dead server is restarted or reported", {
  skip,
}, async (t) => {
  const { loadCluster } = await import("../index.js");
  const { buildIR } = await import("../dataplane/build.js");
  const cluster = `sfz-${randomBytes(3).toString("hex")}`;
  const { state } = await loadCluster({ files: [EXAMPLE] });
  const ir = buildIR(state);
  const before = rootSnapshot();
  try {
    await up({ cluster, ir, inputs: { files: [EXAMPLE] }, render: { netfilter: netfilterRenderers } });
    const targets = ir.pods
      .filter((p) => p.ip && p.ns && p.node)
      .flatMap((p) =>
        p.listeners
          .filter((l) => l.protocol === "TCP" || l.protocol === "UDP")
          .map((l) => ({ host: p.ip!, port: l.port, proto: l.protocol.toLowerCase() })),
      );
    assert.ok(
      targets.some((x) => x.port === 53 && x.proto === "tcp"),
      "the DNS servers are targets",
    );
    const src = ir.pods.find((p) => p.ns && p.node && p.namespace === "default")!;
    const corpusSize = 110;
    const r = (await inNetns(nsName(cluster, src.ns!.id), {
      mode: "http",
      targets,
      cases: targets.length * corpusSize,
      concurrency: 32,
      maxSeconds: 240,
    })) as { sent: number; timeout: number; error: number; statuses: Record<string, number> };
    t.diagnostic(`${targets.length} listeners, ${r.sent} malformed requests: ${JSON.stringify(r)}`);
    assert.equal(r.error, 0, "no connection refused or reset before sending");
    assert.equal(r.timeout, 0, "every server closed its connections (held heads at their deadline)");
    for (const p of readRecord(cluster)!.processes.filter((x) => x.role === "supervisor"))
      assert.deepEqual(
        { ...supervisorHealth(p), serverPid: 0 },
        { restarts: 0, serving: true, serverPid: 0 },
        `${p.node}: no restart needed`,
      );
    let rep = await verify({ cluster, flows: ["pods", "dns"] });
    assert.equal(rep.disagree + rep.listenerDown, 0, formatVerify(rep));

    // 100,000 hostile DNS messages over UDP and 200 TCP connections of hostile frames, from a
    // pod to the cluster DNS's ClusterIP (through kube-proxy, as a pod's resolver sends them):
    // no DNS server falls over or needs a restart, every reply is a well-formed response, and
    // the names still resolve.
    const kubeDns = state.services.find((s) => s.namespace === "kube-system" && s.name === "kube-dns")!;
    const dnsRecs = readRecord(cluster)!.processes.filter((x) => x.role === "dns");
    const dnsPids = dnsRecs.map((p) => dnsHealth(p).serverPid);
    const fz = (await inNetns(nsName(cluster, src.ns!.id), {
      mode: "dnsfuzz",
      host: kubeDns.clusterIP,
      port: 53,
      packets: 100_000,
      tcp: 200,
      maxSeconds: 240,
    })) as Record<string, number>;
    t.diagnostic(`DNS fuzz against ${kubeDns.clusterIP}:53: ${JSON.stringify(fz)}`);
    assert.equal(fz.sent, 100_000);
    assert.equal(fz.malformed + fz.tcpMalformed, 0, "every reply is a well-formed DNS response");
    assert.ok(fz.replies > 10_000, `the servers kept answering (${fz.replies} replies)`);
    assert.equal(fz.tcpRefused, 0, "TCP 53 kept accepting");
    for (const [i, p] of dnsRecs.entries())
      assert.deepEqual(
        { restarts: dnsHealth(p).restarts, serverPid: dnsHealth(p).serverPid, serving: dnsHealth(p).serving },
        { restarts: 0, serverPid: dnsPids[i], serving: true },
        `${p.marker}: the same server, never restarted`,
      );
    rep = await verify({ cluster, flows: ["dns"] });
    assert.equal(rep.disagree + rep.listenerDown, 0, formatVerify(rep));

    // A DNS server killed (kill -9, by the PID its watchdog recorded): restarted with the
    // state, it answers again within a bound; status counts the restart.
    const dnsRec = readRecord(cluster)!.processes.find((x) => x.role === "dns")!;
    const dnsKey = dnsRec.marker.slice(dnsRec.marker.indexOf(" ") + 1);
    const dnsPod = ir.pods.find((p) => `${p.namespace}/${p.name}` === dnsKey)!;
    assert.equal(dnsHealth(dnsRec).serving, true);
    const dnsPid = dnsHealth(dnsRec).serverPid!;
    const killedAt = Date.now();
    process.kill(dnsPid, "SIGKILL");
    await waitFor(
      "the DNS server's restart",
      () => {
        const h = dnsHealth(dnsRec);
        return h.restarts === 1 && h.serving;
      },
      20_000,
    );
    const q = (await inNetns(nsName(cluster, src.ns!.id), {
      mode: "dnsprobe",
      host: dnsPod.ip,
      port: 53,
      name: "kubernetes.default.svc.cluster.local",
      seconds: 1,
    })) as { udp: { n: number; failed: number }; tcp: { n: number; failed: number } };
    const backMs = Date.now() - killedAt;
    t.diagnostic(`DNS server ${dnsKey} killed: answering again after ${backMs} ms (${JSON.stringify(q)})`);
    assert.equal(q.udp.failed + q.tcp.failed, 0, JSON.stringify(q));
    assert.ok(q.udp.n > 0 && q.tcp.n > 0);
    // 0.5 s backoff + loading the cluster + the probe's second (~3-6 s on a shared machine).
    assert.ok(backMs < 20_000, `answered again after ${backMs} ms`);
    assert.equal(dnsHealth(dnsRec).lastExit, "signal 9");
    assert.equal(status(cluster).processes.find((p) => p.pid === dnsRec.pid)?.health?.restarts, 1);
    rep = await verify({ cluster, flows: ["dns"] });
    assert.equal(rep.disagree + rep.listenerDown, 0, formatVerify(rep));

    // A server killed: its watchdog restarts it; its pods answer again.
    const sup = readRecord(cluster)!.processes.find((x) => x.role === "supervisor")!;
    const { serverPid } = JSON.parse(readFileSync(sup.marker.replace(/\.json$/, ".restarts"), "utf8")) as {
      serverPid: number;
    };
    process.kill(serverPid, "SIGKILL");
    await waitFor("the restart", () => {
      const h = supervisorHealth(sup);
      return h.restarts === 1 && h.serving;
    });
    assert.equal(supervisorHealth(sup).lastExit, "signal 9");
    assert.equal(status(cluster).processes.find((p) => p.pid === sup.pid)?.health?.restarts, 1);
    rep = await verify({ cluster, flows: ["pods"] });
    assert.equal(rep.disagree + rep.listenerDown, 0, formatVerify(rep));

    // The watchdog killed as well: nothing restarts; verify says which listeners are down.
    process.kill(sup.pid, "SIGKILL");
    await waitFor("the server to follow its watchdog", () => !supervisorHealth(sup).serving);
    rep = await verify({ cluster, flows: ["pods"] });
    const text = formatVerify(rep);
    t.diagnostic(text.split("\n").slice(0, 3).join("\n"));
    assert.ok(rep.listenerDown > 0, text);
    assert.equal(rep.disagree, 0, text);
    assert.match(text, /listener down \(pod server not running; 1 restarts, last signal 9\)/);

    // The DNS server's watchdog killed too: verify says the DNS server is down.
    process.kill(dnsRec.pid, "SIGKILL");
    await waitFor("the DNS server to follow its watchdog", () => !dnsHealth(dnsRec).serving);
    rep = await verify({ cluster, flows: ["dns"] });
    const dnsText = formatVerify(rep);
    t.diagnostic(dnsText.split("\n").slice(0, 3).join("\n"));
    assert.equal(rep.disagree, 0, dnsText);
    assert.ok(rep.listenerDown > 0, dnsText);
    assert.match(dnsText, /listener down \(DNS server down: not running; 1 restarts, last signal 9[),]/);
  } finally {
    const d = await down(cluster);
    assert.deepEqual(d.leftovers, []);
    assert.deepEqual(clusterNamespaces(cluster), []);
    assert.deepEqual(ourProcesses(cluster), [], "no process of the cluster is left");
  }
  assert.deepEqual(rootSnapshot(), before);
});
