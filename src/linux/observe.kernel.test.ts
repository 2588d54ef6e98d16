// `podnet observe` on a real cluster (root): a request to a Service that succeeds, one a
// NetworkPolicy denies and one to a Service without endpoints; the flow log shows the
// TRANSLATED and FORWARDED flows of the first (Hubble's verdicts, api/v1/flow/flow.proto),
// the DROPPED one naming the policy (POLICY_DENIED, ingress_denied_by) and kube-proxy's
// reject (SERVICE_BACKEND_NOT_FOUND), and its drops for the Local traffic policies without a
// local endpoint (kubernetes pkg/proxy/nftables/proxier.go: the `drop` elements of
// no-endpoint-services and no-endpoint-nodeports), with the same reason. After `down` the observer and its readers are gone,
// as are the namespaces, and the root namespace is as it was.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { listNetns } from "./exec.js";
import { readRecord } from "./state.js";
import { connectFrom, kernelSkip, rootSnapshot } from "./testing.js";

const skip = kernelSkip(["ip", "python3", "conntrack", "nft"]);
const bin = fileURLToPath(new URL("../../../bin/podnet.js", import.meta.url));
const dir = fileURLToPath(new URL("../../../src/linux/testdata/observe/", import.meta.url));
const cluster = `eobs${randomBytes(2).toString("hex")}`;

const podnet = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

/** PIDs whose parent is one of `parents`, transitively (the observer's readers and their conntrack). */
function descendants(parents: number[]): number[] {
  const ppid = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, "utf8");
      ppid.set(Number(d), Number(s.slice(s.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      /* exited */
    }
  }
  const out = new Set<number>(parents);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, pp] of ppid)
      if (out.has(pp) && !out.has(pid)) {
        out.add(pid);
        grew = true;
      }
  }
  return [...out];
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

interface Line {
  flow?: {
    verdict: string;
    drop_reason_desc?: string;
    IP: { destination: string };
    destination: { pod_name?: string };
    destination_service?: { name: string };
    node_name?: string;
    l4?: { TCP?: { destination_port: number } };
    ingress_denied_by?: { name: string }[];
    trace_observation_point?: string;
  };
  lost_events?: unknown;
}

test("kernel: observe shows a Service request TRANSLATED and FORWARDED, a policy's and kube-proxy's drops by name", {
  skip,
  timeout: 120_000,
}, async () => {
  const before = rootSnapshot();
  podnet("down", "--name", cluster);
  let observer: number[] = [];
  const cmdlines = new Map<number, string>();
  try {
    const u = podnet("up", "--name", cluster, "-f", `${dir}manifests.yaml`, "--config", `${dir}cluster.yaml`);
    assert.equal(u.status, 0, u.stderr);
    // The first observe starts the observer; flows are recorded from then on.
    const start = podnet("observe", "--name", cluster, "--last", "0");
    assert.equal(start.status, 0, start.stderr);
    assert.match(start.stderr, /flow observer of .* started/);
    const rec = readRecord(cluster)!;
    const obs = rec.processes.find((p) => p.role === "observer");
    assert.ok(obs, "the observer is recorded");
    observer = descendants([obs.pid]);
    for (const p of observer) cmdlines.set(p, readFileSync(`/proc/${p}/cmdline`, "utf8").replace(/\0/g, " "));
    // The C reader: observer + 2 readers; the Python one adds a conntrack per reader.
    assert.ok(observer.length >= 3, `observer and 2 readers: ${observer}`); // ip netns exec execs
    const svc = (n: string) => {
      const g = podnet("get", "svc", n, "-f", `${dir}manifests.yaml`, "--config", `${dir}cluster.yaml`);
      return g.stdout.split("\n")[1].split(/\s+/)[2];
    };
    const [web, db, nowhere, webLocal] = [svc("web"), svc("db"), svc("nowhere"), svc("web-local")];
    const probe = connectFrom(
      cluster,
      "client",
      [
        [web, 80],
        [db, 5432],
        [nowhere, 80],
        [webLocal, 80],
      ],
      { request: true },
    );
    assert.deepEqual(probe, ["ok", "TimeoutError", "ConnectionRefusedError", "TimeoutError"]);
    // From outside worker-1 (worker-2's host) to its NodePort of web-ext: no local endpoint there.
    const [w1, w2] = ["worker-1", "worker-2"].map((n) => rec.nodes!.find((x) => x.name === n)!);
    const ext = spawnSync(
      "ip",
      [
        "netns",
        "exec",
        w2.netns,
        "python3",
        "-c",
        `import socket
s = socket.socket(); s.settimeout(1.5)
try:
    s.connect(("${w1.address}", 30080)); print("ok")
except Exception as e:
    print(type(e).__name__)`,
      ],
      { encoding: "utf8" },
    );
    assert.equal(ext.stdout.trim(), "TimeoutError", ext.stderr);
    const isExtDrop = (f: NonNullable<Line["flow"]>) =>
      f.verdict === "DROPPED" && f.IP.destination === w1.address && f.l4?.TCP?.destination_port === 30080;
    // The readers hand events over in batches (NFLOG's, the observer's): read until the three
    // requests' events are in, a few seconds at most.
    let o = podnet("observe", "--name", cluster, "--last", "500", "-o", "json");
    let lines: Line[] = [];
    let flows: NonNullable<Line["flow"]>[] = [];
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 300));
      o = podnet("observe", "--name", cluster, "--last", "500", "-o", "json");
      assert.equal(o.status, 0, o.stderr);
      lines = o.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Line);
      flows = lines.flatMap((l) => (l.flow ? [l.flow] : []));
      const seen = (name: string, verdict: string) =>
        flows.some((f) => f.verdict === verdict && (f.destination_service?.name ?? f.destination.pod_name) === name);
      if (
        seen("web", "TRANSLATED") &&
        seen("db", "DROPPED") &&
        seen("nowhere", "DROPPED") &&
        seen("web-local", "DROPPED") &&
        flows.some(isExtDrop)
      )
        break;
    }
    assert.deepEqual(
      lines.filter((l) => l.lost_events),
      [],
      "no events lost",
    );
    const translated = flows.find((f) => f.verdict === "TRANSLATED" && f.destination_service?.name === "web");
    assert.ok(translated, o.stdout);
    assert.equal(translated.IP.destination, web);
    assert.ok(
      flows.some(
        (f) =>
          f.verdict === "FORWARDED" && f.destination.pod_name === "web" && f.trace_observation_point === "TO_ENDPOINT",
      ),
    );
    const denied = flows.find((f) => f.verdict === "DROPPED" && f.destination.pod_name === "db");
    assert.ok(denied, o.stdout);
    assert.equal(denied.drop_reason_desc, "POLICY_DENIED");
    assert.deepEqual(denied.ingress_denied_by, [{ namespace: "default", name: "db-deny-all" }]);
    const rejected = flows.find((f) => f.verdict === "DROPPED" && f.destination_service?.name === "nowhere");
    assert.ok(rejected, o.stdout);
    assert.equal(rejected.drop_reason_desc, "SERVICE_BACKEND_NOT_FOUND");
    // Dropped, not rejected, with the same reason as iptables mode's "has no local endpoints" rules.
    const local = flows.find((f) => f.verdict === "DROPPED" && f.destination_service?.name === "web-local");
    assert.ok(local, o.stdout);
    assert.equal(local.drop_reason_desc, "SERVICE_BACKEND_NOT_FOUND");
    assert.equal(local.node_name, "worker-1");
    const extDrop = flows.find(isExtDrop);
    assert.ok(extDrop, o.stdout);
    assert.equal(extDrop.drop_reason_desc, "SERVICE_BACKEND_NOT_FOUND");
    assert.equal(extDrop.node_name, "worker-1");
    // The compact line names the policy; filters apply.
    const c = podnet("observe", "--name", cluster, "--verdict", "DROPPED", "--to", "db", "--last", "1");
    assert.equal(c.status, 0, c.stderr);
    assert.match(
      c.stdout,
      /default\/client:\d+ -> default\/db:5432 Policy denied by default\/db-deny-all DROPPED \(TCP Flags: SYN\)\n$/,
    );
  } finally {
    const d = podnet("down", "--name", cluster);
    assert.equal(d.status, 0, d.stderr);
  }
  // down waited for the observer, which waited for its readers; a reaped child may take a moment to vanish.
  for (let i = 0; i < 100 && observer.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(
    observer.filter(alive).map((p) => `${p} ${cmdlines.get(p)}`),
    [],
    "observer and readers stopped",
  );
  assert.deepEqual(
    listNetns().filter((n) => n.includes(cluster)),
    [],
  );
  assert.deepEqual(rootSnapshot(), before);
});
