// Drop reasons and the deciding step. Expected reasons follow what the kernel does and how
// Hubble names it (cilium/cilium api/v1/flow/flow.proto DropReason): a TCP SYN to a port
// with no socket gets a RST (no socket: NO_LISTENER), a VXLAN device with no FDB entry for
// the inner MAC has no remote VTEP to send to (NO_TUNNEL_OR_ENCAPSULATION_ENDPOINT = 160),
// kube-proxy's REJECT for a Service without endpoints is SERVICE_BACKEND_NOT_FOUND = 158.
import { readFileSync } from "node:fs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { traceFlow } from "./flow.js";
import { fixtureIR } from "./testing.js";
import { renderTrace } from "./render.js";
import { DROP_REASONS, dropReasonCode } from "./drop-reasons.js";
import type { DropReason, Step, TracePath } from "./trace.js";

const steps = (p: TracePath): Step[] => p.hops.flatMap((h) => h.steps);
const decided = (p: TracePath) => steps(p).filter((s) => s.decided);

test("the table: Hubble's numbers where flow.proto has the reason, 0 (DROP_REASON_UNKNOWN) elsewhere", () => {
  // flow.proto: POLICY_DENIED = 133, SERVICE_BACKEND_NOT_FOUND = 158,
  // NO_TUNNEL_OR_ENCAPSULATION_ENDPOINT = 160, FIB_LOOKUP_FAILED = 169, TTL_EXCEEDED = 196.
  assert.equal(dropReasonCode("POLICY_DENIED"), 133);
  assert.equal(dropReasonCode("POLICY_DENY"), 181); // flow.proto POLICY_DENY = 181
  assert.equal(dropReasonCode("SERVICE_BACKEND_NOT_FOUND"), 158);
  assert.equal(dropReasonCode("TUNNEL_ENDPOINT_MISSING"), 160);
  assert.equal(DROP_REASONS.TUNNEL_ENDPOINT_MISSING.hubble, "NO_TUNNEL_OR_ENCAPSULATION_ENDPOINT");
  assert.equal(dropReasonCode("FIB_LOOKUP_FAILED"), 169);
  assert.equal(dropReasonCode("TTL_EXCEEDED"), 196);
  for (const r of ["NO_LISTENER", "DNS_NXDOMAIN", "DNS_TIMEOUT", "DNS_REFUSED", "LINK_DOWN"] as DropReason[])
    assert.equal(dropReasonCode(r), 0, r);
  for (const [name, info] of Object.entries(DROP_REASONS)) {
    assert.ok(info.desc.length > 10 && !info.desc.includes("\n"), `${name}: one-line description`);
    assert.ok(info.code === 0 || (info.code >= 130 && info.code < 256), `${name}: a flow.proto number`);
  }
});

test("no listener: TCP RST and UDP port unreachable are REFUSED with NO_LISTENER, the last step decided", () => {
  const ir = fixtureIR();
  for (const protocol of ["tcp", "udp"] as const) {
    const p = traceFlow(ir, { from: "client", to: "web-2", port: 81, protocol }).paths[0];
    assert.equal(p.disposition.verdict, "REFUSED");
    assert.equal(p.disposition.reason, "NO_LISTENER");
    assert.match(p.disposition.detail, protocol === "tcp" ? /TCP RST/ : /ICMP port unreachable/);
    const d = decided(p);
    assert.equal(d.length, 1);
    assert.equal(d[0], steps(p).at(-1));
    assert.equal(d[0].action, "REFUSED");
  }
});

test("VXLAN without an FDB entry for the remote VTEP: TUNNEL_ENDPOINT_MISSING, not NO_NEIGHBOUR", () => {
  const ir = fixtureIR({ flavor: "flannel/vxlan" });
  const w1 = ir.nodes.find((n) => n.name === "worker-1")!;
  w1.ns.fdb = w1.ns.fdb.filter((f) => f.dev !== "flannel.1");
  const p = traceFlow(ir, { from: "client", to: "web-2" }).paths[0];
  assert.equal(p.disposition.verdict, "DROPPED");
  assert.equal(p.disposition.reason, "TUNNEL_ENDPOINT_MISSING");
  assert.equal(p.disposition.ns, "node/worker-1");
  assert.equal(decided(p).length, 1);
});

test("Service without endpoints: kube-proxy's REJECT rule is the deciding step", () => {
  const r = traceFlow(fixtureIR(), { from: "client", to: "10.96.0.60:80" });
  const p = r.paths[0];
  assert.equal(p.disposition.reason, "SERVICE_BACKEND_NOT_FOUND");
  const d = decided(p);
  assert.equal(d.length, 1);
  // The rule's own step, not the path's last: it carries the rule that rejected.
  assert.notEqual(d[0], steps(p).at(-1));
  assert.equal(d[0].action, "NETFILTER");
  assert.equal(d[0].object, p.disposition.object);
  assert.match(renderTrace(r), /\n +✗ NETFILTER +filter KUBE-SERVICES/);
});

test("delivered paths mark nothing; every other path marks exactly one step", () => {
  const ir = fixtureIR();
  for (const to of ["10.96.0.50:80", "web-0", "10.96.0.60:80", "192.168.1.4:30081"]) {
    for (const p of traceFlow(ir, { from: "client", to, reply: true }).paths) {
      const n = decided(p).length;
      assert.equal(n, p.disposition.verdict === "DELIVERED" ? 0 : 1, `${to}: ${p.disposition.detail}`);
      assert.ok(p.disposition.verdict === "DELIVERED" || p.disposition.reason, "a reason on every other path");
      if (p.reply) assert.equal(decided(p.reply).length, p.reply.disposition.verdict === "DELIVERED" ? 0 : 1);
    }
  }
});

test("the README's table lists every reason with its number", () => {
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("### Drop reasons"));
  for (const [name, info] of Object.entries(DROP_REASONS))
    assert.match(section, new RegExp(`\\| \`${name}\` \\| ${info.code}\\b`), name);
});
