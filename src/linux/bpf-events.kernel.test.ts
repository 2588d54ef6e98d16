// `podnet observe` on a Cilium cluster (root): the flows come from the BPF programs' trace
// and drop notifications (bpf/lib/events.h), read from each node's pinned ring buffer.
// Expected, as Hubble shows Cilium's datapath (api/v1/flow/flow.proto; Cilium's default
// monitor aggregation reports the to-* points of a connection's first packets):
//   - pod → pod on one node: to-endpoint on that node, the client's and server's identities;
//   - pod → pod across nodes over VXLAN: to-overlay on the client's node, to-endpoint on the
//     server's, the client's identity carried in the VNI;
//   - pod → ClusterIP: to-endpoint at the backend (translated at the client's lxc), and the
//     reply to-endpoint at the client from the ClusterIP (reverse NAT), is_reply, REPLY;
//   - a NetworkPolicy's drop: DROPPED, drop_reason 133 POLICY_DENIED, INGRESS, identities;
//   - a Service without endpoints: DROPPED, 158 SERVICE_BACKEND_NOT_FOUND, EGRESS.
// No event lost; after `down` the observer and readers are gone and the root is unchanged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { bpfMissing } from "./bpf.js";
import { listNetns } from "./exec.js";
import { readRecord } from "./state.js";
import { kernelSkip, rootSnapshot } from "./testing.js";

function skip(): string | false {
  const k = kernelSkip(["ip", "tc", "bpftool", "python3"]);
  if (k) return k;
  const why = bpfMissing();
  if (why && process.env.PODNET_REQUIRE_KERNEL === "1") throw new Error(`PODNET_REQUIRE_KERNEL=1: ${why}`);
  return why ? `kernel test skipped: ${why} (clang)` : false;
}

const bin = fileURLToPath(new URL("../../../bin/podnet.js", import.meta.url));
const dir = fileURLToPath(new URL("../../../src/linux/testdata/bpf-events/", import.meta.url));
const files = [`${dir}manifests.yaml`];
const config = `${dir}cluster.yaml`;
const cluster = `ebev${randomBytes(2).toString("hex")}`;
const podnet = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

interface End {
  identity?: number;
  pod_name?: string;
}
interface Flow {
  verdict: string;
  node_name: string;
  IP: { source: string; destination: string };
  l4?: { TCP?: { source_port: number; destination_port: number; flags?: Record<string, boolean> } };
  source: End;
  destination: End;
  event_type?: { type: number; sub_type: number };
  trace_observation_point?: string;
  trace_reason?: string;
  is_reply?: boolean;
  traffic_direction: string;
  drop_reason?: number;
  drop_reason_desc?: string;
}

test("kernel: observe on a Cilium cluster reads the BPF programs' trace and drop events", {
  skip: skip(),
  timeout: 180_000,
}, async () => {
  const { loadCluster } = await import("../index.js");
  const { buildIR } = await import("../dataplane/build.js");
  const { state } = await loadCluster({ files, config });
  const ir = buildIR(state);
  const eps = ir.nodes.flatMap((n) => n.bpf?.endpoints ?? []);
  const ep = (pod: string) => eps.find((e) => e.pod === `default/${pod}`)!;
  const ids = ir.nodes.flatMap((n) => n.bpf?.identities ?? []);
  // The identity Cilium gives a pod is the one of its labels (pkg/identity: one per label set).
  const idOf = (app: string) => ids.find((i) => i.labels.includes(`k8s:app=${app}`))!.id;
  const svcIP = (n: string) => state.services.find((s) => s.name === n)!.clusterIP;
  const [client, near, web, db] = ["client", "near", "web", "db"].map(ep);
  const before = rootSnapshot();
  let observer = 0;
  try {
    const u = podnet("up", "--name", cluster, "-f", files[0], "--config", config);
    assert.equal(u.status, 0, u.stderr);
    const start = podnet("observe", "--name", cluster, "--last", "0");
    assert.equal(start.status, 0, start.stderr);
    observer = readRecord(cluster)!.processes.find((p) => p.role === "observer")!.pid;
    // Each connection prints its source port (to tell the direct and the ClusterIP one apart).
    const probe = podnet(
      "exec",
      "--name",
      cluster,
      "client",
      "--",
      "python3",
      "-c",
      `import socket
for ip, port in (("${near.ip}", 8080), ("${web.ip}", 8080), ("${svcIP("web")}", 80), ("${svcIP("db")}", 5432), ("${svcIP("nowhere")}", 80)):
    s = socket.socket(); s.settimeout(1.5); s.bind(("", 0)); sp = s.getsockname()[1]
    try:
        s.connect((ip, port)); s.send(b"GET / HTTP/1.0\\r\\n\\r\\n"); s.recv(100); print(sp, "ok")
    except Exception as e:
        print(sp, type(e).__name__)
    s.close()`,
    );
    assert.equal(probe.status, 0, probe.stderr);
    const res = probe.stdout.trim().split("\n");
    assert.deepEqual(res.map((l) => l.split(" ")[1]).slice(0, 4), ["ok", "ok", "ok", "TimeoutError"], probe.stdout);
    const [pNear, pWeb, pSvc, pDb, pNowhere] = res.map((l) => Number(l.split(" ")[0]));
    let flows: Flow[] = [];
    let out = "";
    const sport = (f: Flow) => f.l4?.TCP?.source_port;
    const dport = (f: Flow) => f.l4?.TCP?.destination_port;
    const find = (p: (f: Flow) => boolean) => flows.find(p);
    const want = {
      near: (f: Flow) => f.trace_observation_point === "TO_ENDPOINT" && sport(f) === pNear,
      overlay: (f: Flow) => f.trace_observation_point === "TO_OVERLAY" && sport(f) === pWeb,
      web: (f: Flow) => f.trace_observation_point === "TO_ENDPOINT" && sport(f) === pWeb,
      nearReply: (f: Flow) => f.trace_observation_point === "TO_ENDPOINT" && dport(f) === pNear,
      svc: (f: Flow) => f.trace_observation_point === "TO_ENDPOINT" && sport(f) === pSvc,
      svcReply: (f: Flow) => f.trace_observation_point === "TO_ENDPOINT" && dport(f) === pSvc,
      db: (f: Flow) => f.verdict === "DROPPED" && sport(f) === pDb,
      nowhere: (f: Flow) => f.verdict === "DROPPED" && sport(f) === pNowhere,
    };
    let lost: string[] = [];
    for (let i = 0; i < 30; i++) {
      const o = podnet("observe", "--name", cluster, "--last", "1000", "-o", "json");
      assert.equal(o.status, 0, o.stderr);
      out = o.stdout;
      const lines = out
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { flow?: Flow; lost_events?: unknown });
      flows = lines.flatMap((l) => (l.flow ? [l.flow] : []));
      lost = lines.filter((l) => l.lost_events).map((l) => JSON.stringify(l));
      if (Object.values(want).every((p) => find(p))) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.deepEqual(lost, [], "no events lost");
    const [w1, w2] = ["worker-1", "worker-2"];

    const n = find(want.near);
    assert.ok(n, `pod → pod on one node:\n${out}`);
    assert.equal(n.verdict, "FORWARDED");
    assert.equal(n.node_name, w1);
    assert.deepEqual(n.event_type, { type: 4, sub_type: 0 }); // TraceToLxc
    assert.deepEqual([n.IP.source, n.IP.destination], [client.ip, near.ip]);
    assert.deepEqual([n.source.identity, n.destination.identity], [idOf("client"), idOf("near")]);
    assert.deepEqual([n.source.pod_name, n.destination.pod_name], ["client", "near"]);
    assert.equal(n.traffic_direction, "INGRESS");
    assert.equal(n.trace_reason, "NEW");
    assert.equal(n.is_reply, false);
    assert.deepEqual(n.l4?.TCP?.flags, { SYN: true });

    // Its reply, on the same node: reported once (one node's pods share the conntrack map).
    const nr = find(want.nearReply)!;
    assert.ok(nr, `the reply on one node:\n${out}`);
    assert.deepEqual([nr.IP.source, nr.IP.destination], [near.ip, client.ip]);
    assert.equal(nr.is_reply, true);
    assert.equal(nr.trace_reason, "REPLY");
    assert.deepEqual(nr.source.identity, idOf("near"));

    const ov = find(want.overlay)!;
    assert.ok(ov, `pod → pod across nodes, to-overlay:\n${out}`);
    assert.equal(ov.node_name, w1);
    assert.deepEqual(ov.event_type, { type: 4, sub_type: 4 }); // TraceToOverlay
    assert.deepEqual([ov.source.identity, ov.destination.identity], [idOf("client"), idOf("web")]);
    assert.equal(ov.traffic_direction, "EGRESS");
    const wb = find(want.web)!;
    assert.ok(wb, `pod → pod across nodes, to-endpoint:\n${out}`);
    assert.equal(wb.node_name, w2);
    assert.deepEqual([wb.source.identity, wb.destination.identity], [idOf("client"), idOf("web")]);

    const sv = find(want.svc)!;
    assert.ok(sv, `pod → ClusterIP at the backend:\n${out}`);
    assert.equal(sv.node_name, w2);
    assert.deepEqual([sv.IP.source, sv.IP.destination], [client.ip, web.ip]);
    assert.equal(dport(sv), 8080);
    const rp = find(want.svcReply)!;
    assert.ok(rp, `the ClusterIP's reply at the client:\n${out}`);
    assert.equal(rp.node_name, w1);
    assert.deepEqual([rp.IP.source, rp.IP.destination], [svcIP("web"), client.ip]);
    assert.equal(sport(rp), 80);
    assert.equal(rp.is_reply, true);
    assert.equal(rp.trace_reason, "REPLY");
    assert.deepEqual(rp.l4?.TCP?.flags, { SYN: true, ACK: true });

    const d = find(want.db)!;
    assert.ok(d, `the policy's drop:\n${out}`);
    assert.equal(d.node_name, w2);
    assert.deepEqual(d.event_type, { type: 1, sub_type: 133 });
    assert.equal(d.drop_reason, 133);
    assert.equal(d.drop_reason_desc, "POLICY_DENIED");
    assert.equal(d.traffic_direction, "INGRESS");
    assert.deepEqual([d.IP.source, d.IP.destination], [client.ip, db.ip]);
    assert.deepEqual([d.source.identity, d.destination.identity], [idOf("client"), idOf("db")]);
    assert.equal(d.is_reply, undefined);

    const x = find(want.nowhere)!;
    assert.ok(x, `the Service without endpoints:\n${out}`);
    assert.equal(x.node_name, w1);
    assert.equal(x.drop_reason, 158);
    assert.equal(x.drop_reason_desc, "SERVICE_BACKEND_NOT_FOUND");
    assert.equal(x.traffic_direction, "EGRESS");
    assert.equal(x.IP.destination, svcIP("nowhere"));

    // hubble's compact line: identities, "<>" for a drop (its direction unknown), the reason.
    const c = podnet("observe", "--name", cluster, "--verdict", "DROPPED", "--to", "db", "--last", "1");
    assert.equal(c.status, 0, c.stderr);
    assert.match(
      c.stdout,
      new RegExp(
        `default/client:\\d+ \\(ID:${idOf("client")}\\) <> default/db:5432 \\(ID:${idOf("db")}\\) Policy denied DROPPED \\(TCP Flags: SYN\\)\\n$`,
      ),
    );
  } finally {
    const dn = podnet("down", "--name", cluster);
    assert.equal(dn.status, 0, dn.stderr);
  }
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 100 && observer && alive(observer); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(!observer || !alive(observer), "the observer stopped");
  assert.deepEqual(
    listNetns().filter((n) => n.includes(cluster)),
    [],
  );
  assert.deepEqual(rootSnapshot(), before);
});
