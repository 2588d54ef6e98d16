import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadCluster } from "../load/cluster.js";
import type { ObservedEvent } from "../ir/flowlog.js";
import { compactLine, flowMatches, flowNames, stampMilli, toFlows } from "./flows.js";

const dir = fileURLToPath(new URL("../../../src/linux/testdata/observe/", import.meta.url));

async function setup() {
  const { state } = await loadCluster({ files: [`${dir}manifests.yaml`], config: `${dir}cluster.yaml` });
  const ip = (name: string) => state.pods.find((p) => p.name === name)!.podIP!;
  const svc = (name: string) => state.services.find((s) => s.name === name)!.clusterIP!;
  const node = (name: string) => state.nodes.find((n) => n.name === name)!.address;
  const names = flowNames(state, { nodes: ["worker-1", "worker-2"], udpPorts: [8472] });
  return { state, ip, svc, node, names };
}

const T = "2026-12-04T15:45:35.324123Z";

test("a NEW connection to a Service: TRANSLATED (DNAT to the backend) then FORWARDED to-overlay", async () => {
  const { ip, svc, names } = await setup();
  const e: ObservedEvent = {
    time: T,
    node: "worker-1",
    proto: "tcp",
    kind: "NEW",
    state: "SYN_SENT",
    orig: { src: { ip: ip("client"), port: 40000 }, dst: { ip: svc("web"), port: 80 } },
    reply: { src: { ip: ip("web"), port: 8080 }, dst: { ip: ip("client"), port: 40000 } },
  };
  const [t, f] = toFlows(e, names);
  assert.equal(t.verdict, "TRANSLATED");
  assert.deepEqual(t.destination_service, { namespace: "default", name: "web" });
  assert.equal(t.IP.destination, svc("web"));
  assert.equal(f.verdict, "FORWARDED");
  assert.equal(f.IP.destination, ip("web"));
  assert.equal(f.trace_observation_point, "TO_OVERLAY"); // web runs on worker-2, and worker-1 tunnels
  assert.equal(f.traffic_direction, "EGRESS");
  assert.equal(f.is_reply, false);
  assert.deepEqual(f.l4, { TCP: { source_port: 40000, destination_port: 8080, flags: { SYN: true } } });
  assert.deepEqual(f.source, {
    namespace: "default",
    pod_name: "client",
    labels: ["k8s:app=client", "k8s:io.kubernetes.pod.namespace=default"],
  });
  assert.equal(
    compactLine(f, names),
    "Dec  4 15:45:35.324 [worker-1]: default/client:40000 -> default/web:8080 to-overlay FORWARDED (TCP Flags: SYN)",
  );
});

test("SYN_RECV is the server's SYN-ACK: a reply, printed client first with <-; ESTABLISHED's direction is unknown: <>", async () => {
  const { ip, names } = await setup();
  const base = {
    time: T,
    node: "worker-2",
    proto: "tcp",
    kind: "UPDATE" as const,
    orig: { src: { ip: ip("client"), port: 40000 }, dst: { ip: ip("web"), port: 8080 } },
    reply: { src: { ip: ip("web"), port: 8080 }, dst: { ip: ip("client"), port: 40000 } },
  };
  const [r] = toFlows({ ...base, state: "SYN_RECV" }, names);
  assert.equal(r.is_reply, true);
  assert.equal(r.IP.source, ip("web"));
  assert.match(
    compactLine(r, names),
    /default\/client:40000 <- default\/web:8080 to-overlay FORWARDED \(TCP Flags: SYN, ACK\)$/,
  );
  const [a] = toFlows({ ...base, state: "ESTABLISHED" }, names);
  assert.equal(a.is_reply, undefined);
  assert.match(
    compactLine(a, names),
    /default\/client:40000 <> default\/web:8080 to-endpoint FORWARDED \(TCP Flags: ACK\)$/,
  );
});

test("an NFLOG drop names the policy: DROPPED, POLICY_DENIED, ingress_denied_by", async () => {
  const { ip, names } = await setup();
  const [d] = toFlows(
    {
      time: T,
      node: "worker-2",
      proto: "tcp",
      kind: "NFLOG",
      prefix: "POLICY_DENIED ingress default/db-deny-all",
      orig: { src: { ip: ip("client"), port: 50682 }, dst: { ip: ip("db"), port: 5432 } },
      tcpFlags: ["SYN"],
    },
    names,
  );
  assert.equal(d.verdict, "DROPPED");
  assert.equal(d.drop_reason_desc, "POLICY_DENIED");
  assert.equal(d.traffic_direction, "INGRESS");
  assert.deepEqual(d.ingress_denied_by, [{ namespace: "default", name: "db-deny-all" }]);
  assert.equal(
    compactLine(d, names),
    "Dec  4 15:45:35.324 [worker-2]: default/client:50682 -> default/db:5432 Policy denied by default/db-deny-all DROPPED (TCP Flags: SYN)",
  );
  assert.ok(flowMatches(d, { verdict: "DROPPED", from: "client", to: "default/db" }));
  assert.ok(!flowMatches(d, { verdict: "FORWARDED" }));
  assert.ok(!flowMatches(d, { namespace: "kube-system" }));
});

test("the tunnel's own packets (VXLAN UDP between nodes) are not flows", async () => {
  const { node, names } = await setup();
  const e: ObservedEvent = {
    time: T,
    node: "worker-1",
    proto: "udp",
    kind: "NEW",
    orig: { src: { ip: node("worker-1"), port: 59019 }, dst: { ip: node("worker-2"), port: 8472 } },
    reply: { src: { ip: node("worker-2"), port: 8472 }, dst: { ip: node("worker-1"), port: 59019 } },
  };
  assert.deepEqual(toFlows(e, names), []);
});

test("--to a Service matches its translated and forwarded flows", async () => {
  const { ip, svc, names } = await setup();
  const flows = toFlows(
    {
      time: T,
      node: "worker-1",
      proto: "tcp",
      kind: "NEW",
      state: "SYN_SENT",
      orig: { src: { ip: ip("client"), port: 1 }, dst: { ip: svc("web"), port: 80 } },
      reply: { src: { ip: ip("web"), port: 8080 }, dst: { ip: ip("client"), port: 1 } },
    },
    names,
  );
  assert.equal(flows.filter((f) => flowMatches(f, { to: "web" })).length, 2);
});

test("time as Go's time.StampMilli (hubble's compact printer)", () => {
  assert.equal(stampMilli("2026-01-05T03:04:05.006789Z"), "Jan  5 03:04:05.006");
});
