// `podnet check`: expectations for CI over the full model (DNS, Service NAT, policy).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const run = (...args: string[]) => spawnSync(process.execPath, ["bin/podnet.js", ...args], { encoding: "utf8" });

test("check: the example's expectations hold (exit 0) and JUnit XML is written", () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-check-"));
  try {
    const junit = join(dir, "out.xml");
    const r = run(
      "check",
      "examples/policy-checks.yaml",
      "-f",
      "examples/demo",
      "-f",
      "examples/policies",
      "--junit",
      junit,
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^5 passed, 0 failed$/m);
    const xml = readFileSync(junit, "utf8");
    assert.match(xml, /<testsuite name="podnet check" tests="5" failures="0">/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("check: a broken expectation fails (exit 3) naming the policy that decided", () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-check-"));
  try {
    const f = join(dir, "c.yaml");
    writeFileSync(
      f,
      "expectations:\n  - from: deployment/default/tasks-deployment\n    to: http://user-service\n    expect: allow\n",
    );
    const junit = join(dir, "out.xml");
    const r = run("check", f, "-f", "examples/demo", "-f", "examples/policies", "--junit", junit);
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /^FAIL /m);
    assert.match(r.stdout, /DROPPED POLICY_DENIED/);
    assert.match(r.stdout, /podnet-policy ingress-default\/user-app-/);
    assert.match(readFileSync(junit, "utf8"), /<failure message=/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("check: a bad expectations file is exit 2 with file, line, field and value", () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-check-"));
  try {
    const f = join(dir, "c.yaml");
    writeFileSync(
      f,
      "expectations:\n  - from: default/order-app\n    to: http://user-service\n    port: 70000\n    expect: allow\n",
    );
    const r = run("check", f);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /c\.yaml:4 expectations\[0\]\.port: 70000 is not a valid port \(1-65535\)/);
    writeFileSync(f, "- from: default/order-app\n  to: http://user-service\n  expect: maybe\n");
    const r2 = run("check", f);
    assert.equal(r2.status, 2);
    assert.match(r2.stderr, /c\.yaml:3 expectations\[0\]\.expect: "maybe" is not allow\|deny/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A pod whose egress policy lacks port 53 cannot resolve names
// (https://kubernetes.io/docs/concepts/services-networking/network-policies/): a connection
// by name is denied although its port is allowed. 10.96.0.10 is kube-dns's Service IP
// (kubeadm's: the 10th address of the default service subnet 10.96.0.0/12).
test("check: an egress policy without port 53 denies a connection by name, with the lookup as the reason", () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-check-"));
  try {
    const pol = join(dir, "egress.yaml");
    writeFileSync(
      pol,
      [
        "apiVersion: networking.k8s.io/v1",
        "kind: NetworkPolicy",
        "metadata: {name: order-egress}",
        "spec:",
        "  podSelector: {matchLabels: {app: order-app}}",
        "  policyTypes: [Egress]",
        "  egress:",
        "    - to: [{podSelector: {matchLabels: {app: user-app}}}]",
        "      ports: [{port: 8080}]",
        "",
      ].join("\n"),
    );
    const f = join(dir, "c.yaml");
    writeFileSync(
      f,
      "expectations:\n  - name: no DNS, no backend\n    from: deployment/default/order-app\n    to: http://user-service\n    expect: deny\n",
    );
    const r = run("check", f, "-f", "examples/demo", "-f", pol);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^PASS no DNS, no backend \(line 2\)$/m);
    assert.match(
      r.stdout,
      /^ {4}denied: name lookup failed: query to 10\.96\.0\.10:53 dropped by policy default\/order-egress$/m,
    );
    // The same flow expected to work fails, each path with the lookup's reason: the dropped
    // query is never answered (DNS_TIMEOUT).
    writeFileSync(f, "- from: deployment/default/order-app\n  to: http://user-service\n  expect: allow\n");
    const r2 = run("check", f, "-f", "examples/demo", "-f", pol);
    assert.equal(r2.status, 3, r2.stdout + r2.stderr);
    assert.match(
      r2.stdout,
      /FAIL .* DROPPED DNS_TIMEOUT: name lookup failed: query to 10\.96\.0\.10:53 dropped by policy default\/order-egress/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("check -o json: per path the verdict, drop_reason and drop_reason_desc, as Hubble's JSON", () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-check-"));
  try {
    const f = join(dir, "c.yaml");
    writeFileSync(
      f,
      "expectations:\n  - from: deployment/default/tasks-deployment\n    to: http://user-service\n    expect: allow\n",
    );
    const r = run("check", f, "-f", "examples/demo", "-f", "examples/policies", "-o", "json");
    assert.equal(r.status, 3, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.failed, 1);
    const paths = j.results[0].paths;
    assert.ok(paths.length > 0);
    // flow.proto: POLICY_DENIED = 133 (no policy rule allowed it).
    for (const p of paths)
      assert.deepEqual([p.verdict, p.drop_reason, p.drop_reason_desc], ["DROPPED", 133, "POLICY_DENIED"]);
    assert.equal(run("check", f, "-o", "yaml").status, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
