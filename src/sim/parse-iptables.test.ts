// Parsing a hand-written `iptables-save` dump in kube-proxy's normalised form and
// tracing through it (the file sits in src/sim/testdata/).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { parseIptablesSave, IptablesParseError, splitWords } from "./parse-iptables.js";
import { fixtureIR } from "./testing.js";
import { traceFlow } from "./flow.js";
import { withNodeRules } from "./index.js";

const here = dirname(fileURLToPath(import.meta.url));
// dist/src/ir → src/sim/testdata
const dump = readFileSync(join(here, "../../../src/sim/testdata/worker-1.iptables-save"), "utf8");

test("splitWords handles iptables-save quoting", () => {
  assert.deepEqual(splitWords(`-A X -m comment --comment "a \\"b\\" c" -j Y`), [
    "-A",
    "X",
    "-m",
    "comment",
    "--comment",
    'a "b" c',
    "-j",
    "Y",
  ]);
});

test("parse a real dump: chains, policies, negation, target options, line numbers", () => {
  const l = parseIptablesSave(dump, "worker-1.iptables-save");
  const nat = l.tables.nat!;
  assert.equal(nat.PREROUTING.policy, "ACCEPT");
  assert.equal(nat["KUBE-SERVICES"].rules.length, 2);
  const pr = nat["KUBE-POSTROUTING"].rules[0];
  assert.deepEqual(pr.opts[1], { opt: "--mark", args: ["0x4000/0x4000"], neg: true });
  assert.equal(pr.target, "RETURN");
  const mm = nat["KUBE-MARK-MASQ"].rules[0];
  assert.deepEqual(mm.targetOpts, [{ opt: "--set-xmark", args: ["0x4000/0x4000"] }]);
  assert.ok(mm.line! > 40);
});

test("trace through the parsed rules of worker-1: two endpoints at 1/2, the no-endpoints REJECT, the mark arithmetic", () => {
  const ir = withNodeRules(fixtureIR(), "worker-1", parseIptablesSave(dump, "worker-1.iptables-save"));
  const r = traceFlow(ir, { from: "client", to: "10.96.0.50:80", reply: true });
  assert.equal(r.paths.length, 2);
  for (const p of r.paths) {
    assert.equal(p.probability, 0.5);
    assert.equal(p.disposition.verdict, "DELIVERED");
    assert.equal(p.reply?.disposition.verdict, "DELIVERED");
    const nat = p.hops.flatMap((h) => h.steps).find((s) => s.action === "NAT")!;
    assert.ok((nat.object?.line ?? 0) > 0);
  }
  assert.deepEqual(r.paths.map((p) => p.disposition.ns).sort(), ["pod/default/web-0", "pod/default/web-2"]);
  const gone = traceFlow(ir, { from: "client", to: "10.96.0.99:80" }).paths[0].disposition;
  assert.equal(gone.reason, "SERVICE_BACKEND_NOT_FOUND");
  assert.ok(gone.object?.line);
  // NodePort from outside: KUBE-MARK-MASQ (--set-xmark 0x4000/0x4000) then KUBE-POSTROUTING
  // clears it (--set-xmark 0x4000/0x0 is an xor) and masquerades.
  const np = traceFlow(ir, { from: "external", to: "192.168.1.3:30080" });
  assert.equal(np.paths.length, 2);
  for (const p of np.paths) {
    const last = p.hops.flatMap((h) => h.steps).at(-1)!.packet;
    assert.notEqual(last.src, "192.168.1.1");
    assert.equal(last.mark, undefined);
  }
});

test("an unsupported match or target is an error naming its line", () => {
  const bad = `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m owner --uid-owner 0 -j ACCEPT\nCOMMIT\n`;
  assert.throws(
    () => parseIptablesSave(bad, "bad.rules"),
    (e: unknown) =>
      e instanceof IptablesParseError && e.line === 3 && /bad\.rules:3: unsupported match "-m owner"/.test(e.message),
  );
  const badT = `*nat\n:OUTPUT ACCEPT [0:0]\n\n-A OUTPUT -p tcp -j REDIRECT --to-ports 15001\nCOMMIT\n`;
  assert.throws(() => parseIptablesSave(badT, "t"), /t:4: unsupported target "REDIRECT"/);
  const undef = `*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j KUBE-NOPE\nCOMMIT\n`;
  assert.throws(() => parseIptablesSave(undef, "u"), /u:3: jump to chain "KUBE-NOPE"/);
  assert.throws(() => parseIptablesSave(`*nat\n-A FOO -j ACCEPT\nCOMMIT\n`, "c"), /c:2: chain "FOO" is not declared/);
});

test("a loop of jumps reachable from a built-in chain is refused at the rule that closes it", () => {
  // The kernel refuses such a table (net/ipv4/netfilter/ip_tables.c mark_source_chains: ELOOP).
  const loop = `*nat
:PREROUTING ACCEPT [0:0]
:A - [0:0]
:B - [0:0]
:C - [0:0]
-A PREROUTING -j A
-A A -j B
-A B -j C
-A C -j A
COMMIT
`;
  assert.throws(
    () => parseIptablesSave(loop, "loop.rules"),
    (e: Error) =>
      e instanceof IptablesParseError &&
      e.message ===
        'loop.rules:9: jump to chain "A" makes a loop in table nat (A -> B -> C -> A): the kernel refuses it (ELOOP)\n  -A C -j A',
  );
  // Two jumps to one chain, and a long chain of jumps, are no loop.
  const chains = Array.from({ length: 5000 }, (_, i) => `:K${i} - [0:0]`).join("\n");
  const jumps = Array.from({ length: 4999 }, (_, i) => `-A K${i} -j K${i + 1}`).join("\n");
  const ok = `*nat\n:PREROUTING ACCEPT [0:0]\n${chains}\n:D - [0:0]\n-A PREROUTING -j K0\n-A PREROUTING -j D\n-A K0 -j D\n${jumps}\nCOMMIT\n`;
  assert.doesNotThrow(() => parseIptablesSave(ok, "ok.rules"));
});
