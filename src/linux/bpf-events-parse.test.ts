// The Cilium notifications' decoding, on records built here byte by byte after Cilium's
// layouts (pkg/monitor/datapath_trace.go TraceNotify v1, datapath_drop.go DropNotify v2),
// and the Hubble flows they become (pkg/hubble/parser/threefour: identities, event_type,
// TO_ENDPOINT for TraceToLxc, is_reply from the trace reason, a drop's direction unknown).
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadCluster } from "../load/cluster.js";
import { compactLine, flowNames, toFlows } from "../views/flows.js";
import { decodeNotify, DROP_NOTIFY_LEN, TRACE_NOTIFY_LEN } from "./bpf-events-parse.js";
import { parseReaderLine } from "./observe-parse.js";

/** An Ethernet + IPv4 + TCP frame's first 54 bytes (RFC 791, RFC 793 layouts). */
function frame(src: string, dst: string, sport: number, dport: number, flags: number): Buffer {
  const b = Buffer.alloc(54);
  b.writeUInt16BE(0x0800, 12);
  b[14] = 0x45;
  b.writeUInt16BE(40, 16);
  b[22] = 64;
  b[23] = 6;
  src.split(".").forEach((x, i) => (b[26 + i] = Number(x)));
  dst.split(".").forEach((x, i) => (b[30 + i] = Number(x)));
  b.writeUInt16BE(sport, 34);
  b.writeUInt16BE(dport, 36);
  b[46] = 0x50;
  b[47] = flags;
  return b;
}

function trace(point: number, reason: number, srcId: number, dstId: number, f: Buffer): Buffer {
  const h = Buffer.alloc(TRACE_NOTIFY_LEN);
  h[0] = 4; // MessageTypeTrace
  h[1] = point;
  h.writeUInt16LE(7, 2); // source endpoint
  h.writeUInt32LE(f.length, 8); // len_orig
  h.writeUInt16LE(f.length, 12); // len_cap
  h.writeUInt16LE(1, 14); // version
  h.writeUInt32LE(srcId, 16);
  h.writeUInt32LE(dstId, 20);
  h.writeUInt16LE(9, 24); // dst_id
  h[26] = reason;
  h.writeUInt32LE(42, 28); // ifindex
  return Buffer.concat([h, f]);
}

function drop(reason: number, srcId: number, dstId: number, dstEp: number, f: Buffer): Buffer {
  const h = Buffer.alloc(DROP_NOTIFY_LEN);
  h[0] = 1; // MessageTypeDrop
  h[1] = reason;
  h.writeUInt32LE(f.length, 8);
  h.writeUInt16LE(f.length, 12);
  h.writeUInt16LE(2, 14);
  h.writeUInt32LE(srcId, 16);
  h.writeUInt32LE(dstId, 20);
  h.writeUInt32LE(dstEp, 24);
  h.writeUInt32LE(43, 32);
  return Buffer.concat([h, f]);
}

test("a trace notification: the observation point, identities, endpoint, reason, the frame", () => {
  const f = frame("10.244.0.3", "10.244.1.4", 40000, 8080, 0x02);
  const d = decodeNotify(trace(0, 0, 1430, 46281, f))!;
  assert.equal(d.type, 4);
  assert.deepEqual(d.cilium, {
    subType: 0,
    source: 7,
    srcIdentity: 1430,
    dstIdentity: 46281,
    dstId: 9,
    ifindex: 42,
    reason: 0,
  });
  assert.deepEqual(Buffer.from(d.frame), f);
  assert.equal(decodeNotify(Buffer.alloc(10)), null);
  const bad = trace(0, 0, 1, 2, f);
  bad[0] = 9; // another message type
  assert.equal(decodeNotify(bad), null);
});

test("a drop notification: the reason's flow.proto name, dst_id on ingress", () => {
  const f = frame("10.244.0.3", "10.244.1.5", 40001, 5432, 0x02);
  const d = decodeNotify(drop(133, 1430, 61894, 12, f))!;
  assert.equal(d.type, 1);
  assert.equal(d.cilium.dropReason, "POLICY_DENIED");
  assert.equal(d.cilium.dstId, 12);
  assert.equal(d.cilium.ifindex, 43);
  assert.equal(decodeNotify(drop(158, 1, 2, 0, f))!.cilium.dropReason, "SERVICE_BACKEND_NOT_FOUND");
  assert.equal(decodeNotify(drop(200, 1, 2, 0, f))!.cilium.dropReason, "DROP_REASON_UNKNOWN");
});

const dir = fileURLToPath(new URL("../../../src/linux/testdata/bpf-events/", import.meta.url));

test("the reader's lines become Hubble's flows", async () => {
  const { state } = await loadCluster({ files: [`${dir}manifests.yaml`], config: `${dir}cluster.yaml` });
  const names = flowNames(state);
  const ip = (n: string) => state.pods.find((p) => p.name === n)!.podIP!;
  const svc = (n: string) => state.services.find((s) => s.name === n)!.clusterIP!;
  const line = (b: Buffer) => `B\t1796397464.199548\t${b.toString("hex")}`;

  // The ClusterIP's reply at the client (reverse NAT done): SYN-ACK, TraceToLxc, CT reply.
  const r = parseReaderLine(
    line(trace(0, 2, 46281, 1430, frame(svc("web"), ip("client"), 80, 40000, 0x12))),
    "worker-1",
  );
  assert.ok(r?.kind === "event");
  assert.equal(r.event.kind, "TRACE");
  assert.equal(r.event.time, "2026-12-04T15:17:44.199548Z");
  const [t] = toFlows(r.event, names);
  assert.equal(t.verdict, "FORWARDED");
  assert.deepEqual(t.event_type, { type: 4, sub_type: 0 });
  assert.equal(t.trace_observation_point, "TO_ENDPOINT");
  assert.equal(t.traffic_direction, "INGRESS");
  assert.equal(t.trace_reason, "REPLY");
  assert.equal(t.is_reply, true);
  assert.equal(t.source.identity, 46281);
  assert.equal(t.destination.pod_name, "client");
  assert.deepEqual(t.l4?.TCP?.flags, { SYN: true, ACK: true });
  assert.match(
    compactLine(t, names),
    /\[worker-1\]: default\/client:40000 \(ID:1430\) <- default\/web:80 \(ID:46281\) to-endpoint FORWARDED \(TCP Flags: SYN, ACK\)$/,
  );

  // To the overlay: TraceToOverlay 4, a new connection, egress.
  const o = parseReaderLine(
    line(trace(4, 0, 1430, 46281, frame(ip("client"), ip("web"), 40002, 8080, 0x02))),
    "worker-1",
  );
  assert.ok(o?.kind === "event");
  const [of] = toFlows(o.event, names);
  assert.equal(of.trace_observation_point, "TO_OVERLAY");
  assert.equal(of.traffic_direction, "EGRESS");
  assert.equal(of.trace_reason, "NEW");
  assert.equal(of.is_reply, false);

  // A policy drop at the destination: 133, ingress, no is_reply (hubble prints "<>").
  const d = parseReaderLine(
    line(drop(133, 1430, 61894, 12, frame(ip("client"), ip("db"), 40001, 5432, 0x02))),
    "worker-2",
  );
  assert.ok(d?.kind === "event");
  const [df] = toFlows(d.event, names);
  assert.equal(df.verdict, "DROPPED");
  assert.equal(df.drop_reason, 133);
  assert.equal(df.drop_reason_desc, "POLICY_DENIED");
  assert.deepEqual(df.event_type, { type: 1, sub_type: 133 });
  assert.equal(df.traffic_direction, "INGRESS");
  assert.equal(df.is_reply, undefined);
  assert.match(
    compactLine(df, names),
    /default\/client:40001 \(ID:1430\) <> default\/db:5432 \(ID:61894\) Policy denied DROPPED \(TCP Flags: SYN\)$/,
  );
  // A deny entry's drop: 181, flow.proto POLICY_DENY, "Policy denied by denylist" (pkg/monitor/api/drop.go).
  const dd = parseReaderLine(
    line(drop(181, 1430, 61894, 12, frame(ip("client"), ip("db"), 40002, 5432, 0x02))),
    "worker-2",
  );
  assert.ok(dd?.kind === "event");
  const [ddf] = toFlows(dd.event, names);
  assert.equal(ddf.drop_reason, 181);
  assert.equal(ddf.drop_reason_desc, "POLICY_DENY");
  assert.deepEqual(ddf.event_type, { type: 1, sub_type: 181 });
  assert.match(compactLine(ddf, names), /\(ID:61894\) Policy denied by denylist DROPPED \(TCP Flags: SYN\)$/);
  // A SYN on a tuple whose connection ended (FIN/RST seen): conntrack's reason 4, reopened.
  const re = parseReaderLine(
    line(trace(0, 4, 1430, 46281, frame(ip("client"), ip("web"), 40004, 8080, 0x02))),
    "worker-2",
  );
  assert.ok(re?.kind === "event");
  const [rf] = toFlows(re.event, names);
  assert.equal(rf.trace_reason, "REOPENED");
  assert.equal(rf.is_reply, false);
  // The world's reserved identity names an address outside the cluster.
  const w = parseReaderLine(line(trace(3, 0, 1430, 2, frame(ip("client"), "192.0.2.1", 40003, 443, 0x02))), "worker-1");
  assert.ok(w?.kind === "event");
  assert.deepEqual(toFlows(w.event, names)[0].destination, { identity: 2, labels: ["reserved:world"] });
});
