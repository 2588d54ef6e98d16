import assert from "node:assert/strict";
import { test } from "node:test";
import { isoMicros, parseConntrackLine, parseIpv4, parseReaderLine } from "./observe-parse.js";

// Lines as conntrack-tools 1.4.7 prints them with `conntrack -E -o timestamp` (recorded).
const NEW =
  "[1796397464.199548]\t    [NEW] tcp      6 120 SYN_SENT src=10.244.0.3 dst=10.108.180.131 sport=56684 dport=80 [UNREPLIED] src=10.244.1.3 dst=10.244.0.3 sport=8080 dport=56684";
const UPD =
  "[1796397464.199761]\t [UPDATE] tcp      6 432000 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=56684 dport=8080 src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=56684 [ASSURED]";
const UDP =
  "[1796397464.5]\t    [NEW] udp      17 30 src=10.244.0.3 dst=10.96.0.10 sport=40000 dport=53 [UNREPLIED] src=10.244.1.2 dst=10.244.0.3 sport=53 dport=40000";

test("conntrack NEW: both tuples, the state, microsecond time", () => {
  const e = parseConntrackLine(NEW, "worker-1");
  assert.deepEqual(e, {
    time: "2026-12-04T15:17:44.199548Z",
    node: "worker-1",
    proto: "tcp",
    kind: "NEW",
    state: "SYN_SENT",
    orig: { src: { ip: "10.244.0.3", port: 56684 }, dst: { ip: "10.108.180.131", port: 80 } },
    reply: { src: { ip: "10.244.1.3", port: 8080 }, dst: { ip: "10.244.0.3", port: 56684 } },
  });
});

test("conntrack UPDATE and UDP (no state word)", () => {
  assert.equal(parseConntrackLine(UPD, "n")?.state, "ESTABLISHED");
  const u = parseConntrackLine(UDP, "n");
  assert.equal(u?.state, undefined);
  assert.equal(u?.proto, "udp");
  assert.deepEqual(u?.reply?.src, { ip: "10.244.1.2", port: 53 });
  assert.equal(parseConntrackLine("conntrack v1.4.7 (conntrack-tools): 8 flow events have been shown.", "n"), null);
});

test("isoMicros keeps conntrack's microseconds", () => {
  assert.equal(isoMicros("0.5"), "1970-01-01T00:00:00.500000Z");
});

// An IPv4 TCP SYN 10.244.0.3:50682 -> 10.244.1.4:5432 (RFC 791 header, RFC 793 flags at byte 13).
const SYN_HEX =
  "45000028000040004006000a0af40003" + "0af40104" + "c5fa1538" + "00000000" + "00000000" + "5002faf0" + "00000000";

test("an NFLOG payload: addresses, ports, TCP flags", () => {
  const p = parseIpv4(SYN_HEX);
  assert.deepEqual(p, {
    proto: "tcp",
    orig: { src: { ip: "10.244.0.3", port: 50682 }, dst: { ip: "10.244.1.4", port: 5432 } },
    tcpFlags: ["SYN"],
  });
  assert.equal(parseIpv4("60000000"), null); // IPv6: not read
});

test("reader lines: event, loss, ready", () => {
  const n = parseReaderLine(`N\t1796397464.250000\t7\t"POLICY_DENIED ingress default/db-deny-all"\t${SYN_HEX}`, "w2");
  assert.equal(n?.kind, "event");
  if (n?.kind === "event") {
    assert.equal(n.event.kind, "NFLOG");
    assert.equal(n.event.prefix, "POLICY_DENIED ingress default/db-deny-all");
    assert.equal(n.event.node, "w2");
  }
  assert.deepEqual(parseReaderLine("L\tnflog\t12\tsequence gap", "w"), {
    kind: "lost",
    source: "nflog",
    count: 12,
    why: "sequence gap",
  });
  assert.deepEqual(parseReaderLine("R", "w"), { kind: "ready" });
  assert.equal(parseReaderLine("garbage", "w"), null);
});

// Lines as py/observe_reader.c prints them (recorded from a flood between two nodes): the
// conntrack text shape with single spaces, and its exact overrun count.
test("the C reader's lines: conntrack's shape, and socket overruns", () => {
  const c = parseReaderLine(
    "C\t[1796411356.624169]\t[UPDATE] tcp 6 432000 ESTABLISHED src=10.244.0.3 dst=10.244.1.3 sport=47950 dport=9000 src=10.244.1.3 dst=10.244.0.3 sport=9000 dport=47950 [ASSURED]",
    "worker-2",
  );
  assert.deepEqual(c, {
    kind: "event",
    event: {
      time: "2026-12-04T19:09:16.624169Z",
      node: "worker-2",
      proto: "tcp",
      kind: "UPDATE",
      state: "ESTABLISHED",
      orig: { src: { ip: "10.244.0.3", port: 47950 }, dst: { ip: "10.244.1.3", port: 9000 } },
      reply: { src: { ip: "10.244.1.3", port: 9000 }, dst: { ip: "10.244.0.3", port: 47950 } },
    },
  });
  const u = parseReaderLine(
    "C\t[1796411356.624169]\t[NEW] udp 17 30 src=192.168.1.2 dst=192.168.1.3 sport=46882 dport=8472 [UNREPLIED] src=192.168.1.3 dst=192.168.1.2 sport=8472 dport=46882",
    "w",
  );
  assert.equal(u?.kind === "event" && u.event.state, undefined);
  assert.equal(u?.kind === "event" && u.event.orig.dst.port, 8472);
  assert.deepEqual(parseReaderLine("L\tconntrack\t3\toverrun", "w"), {
    kind: "lost",
    source: "conntrack",
    count: 3,
    why: "overrun",
  });
});
