// `podnet diagnose`: the table, the first failure and its fix, -o json, exit codes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

const run = (...args: string[]) => spawnSync(process.execPath, ["bin/podnet.js", ...args], { encoding: "utf8" });

test("diagnose: the healthy example passes every check (exit 0)", () => {
  const r = run("diagnose", "order-app", "http://user-service");
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^LAYER +CHECK +EVIDENCE$/m);
  assert.match(r.stdout, /^dns +dns\.resolve +✓ /m);
  assert.match(r.stdout, /^listener +listener +✓ /m);
  assert.match(r.stdout, /every check holds/);
});

test("diagnose -o json: a failing flow names its first failure and exits 3 (a check failed)", () => {
  const r = run("diagnose", "client", "http://web", "-f", "examples/broken/ingress-deny", "-o", "json");
  assert.equal(r.status, 3, r.stderr);
  const d = JSON.parse(r.stdout);
  assert.equal(d.first_failure.code, "policy.ingress");
  assert.equal(d.first_failure.layer, "policy");
  assert.match(d.allow_policy, /kind: NetworkPolicy/);
  assert.ok(
    d.checks.every(
      (c: { code: string; ok: boolean; evidence: string }) => c.code && typeof c.ok === "boolean" && c.evidence,
    ),
  );
  // The flow's paths in Hubble's fields: a policy's drop is flow.proto's POLICY_DENIED = 133.
  assert.ok(d.paths.length > 0);
  for (const p of d.paths) {
    assert.equal(p.verdict, "DROPPED");
    assert.equal(p.drop_reason, 133);
    assert.equal(p.drop_reason_desc, "POLICY_DENIED");
  }
});

test("diagnose: the text names the first failure, why and the fix, with the policy to apply", () => {
  const r = run("diagnose", "client", "http://web", "-f", "examples/broken/policy-both-ends");
  assert.equal(r.status, 3);
  assert.match(r.stdout, /^first failure: policy \(policy\.egress\)$/m);
  assert.match(r.stdout, /^ {2}why: /m);
  assert.match(r.stdout, /^ {2}fix: /m);
  assert.match(r.stdout, /kubectl apply -f -/);
});

test("diagnose: a bad command line is a usage error, on stderr with no table", () => {
  for (const args of [
    ["order-app", "user-service", "-o", "yaml"],
    ["order-app", "svc/nope"],
    ["external", "user-service"],
  ]) {
    const r = run("diagnose", ...args);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^error: /);
  }
});

test("diagnose --all: exit 0 on the example, 3 with the finding on a broken one, 1 for usage", () => {
  const ok = run("diagnose", "--all");
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^result: nothing broken$/m);
  const bad = run("diagnose", "--all", "-f", "examples/broken/selector-typo", "-o", "json");
  assert.equal(bad.status, 3);
  // The selector matches no pod: the Service has no endpoints at all.
  assert.equal(JSON.parse(bad.stdout).findings[0].code, "service.endpoints");
  assert.equal(run("diagnose", "--all", "order-app").status, 1);
});

test("--fault: a named fault on the model, repeatable; diagnose names it and --all lists it first", () => {
  const r = run(
    "diagnose",
    "client",
    "http://web",
    "-f",
    "examples/broken/selector-typo",
    "--fault",
    "ip-forward-off worker-1",
    "--fault",
    "coredns-down",
    "-o",
    "json",
  );
  assert.equal(r.status, 3, r.stderr); // a failed check
  const d = JSON.parse(r.stdout);
  assert.equal(d.first_failure.code, "dns.coredns");
  assert.match(d.first_failure.fix, /podnet fault clear 'coredns-down'/);
  const all = run("diagnose", "--all", "-f", "examples/broken/ip-forward-off", "-o", "json");
  const j = JSON.parse(all.stdout);
  assert.deepEqual(j.findings[0], {
    code: "fault",
    subject: "ip-forward-off worker-1",
    evidence: "net.ipv4.ip_forward=0 on the node: it forwards nothing (podnet fault clear 'ip-forward-off worker-1')",
  });
  assert.ok(j.findings.some((f: { code: string }) => f.code === "path.route"));
});

test("--fault: an unknown fault or one naming nothing in the cluster is an error naming it", () => {
  const bad = run("trace", "client", "web", "-f", "examples/broken/selector-typo", "--fault", "nope x");
  assert.equal(bad.status, 1, bad.stderr); // a usage error
  assert.match(bad.stderr, /^error: --fault "nope x": unknown fault "nope"/m);
  const missing = run("rules", "worker-1", "-f", "examples/broken/selector-typo", "--fault", "veth-down ghost");
  assert.equal(missing.status, 2); // bad input, as a config error is
  assert.match(missing.stderr, /fault "veth-down default\/ghost": no pod default\/ghost/);
  assert.doesNotMatch(missing.stderr, /at .*\.js/);
});
