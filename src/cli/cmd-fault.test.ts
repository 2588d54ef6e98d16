// `podnet fault` without a running cluster: the config's faults listed, and add/clear
// without --name a usage error that says where faults go on the model. (The faults on a
// running cluster are tested in src/linux/faults.kernel.test.ts.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const run = (...args: string[]) => spawnSync(process.execPath, ["bin/podnet.js", ...args], { encoding: "utf8" });

test("fault list without --name lists the config's faults: ID, FAULT, SINCE", () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-fault-"));
  try {
    const cfg = join(dir, "cluster.yaml");
    writeFileSync(
      cfg,
      "apiVersion: podnet.dev/v1alpha1\nkind: Cluster\nname: demo\nfaults:\n  - kube-proxy-down demo-worker\n  - veth-down web-0\n",
    );
    // The faults name the demo's pod web-0 and a node of the config's (kind's default names).
    const r = run("fault", "list", "--config", cfg, "-f", "examples/demo");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ID +FAULT +SINCE$/m);
    assert.match(r.stdout, /^1 +kube-proxy-down demo-worker +config$/m);
    assert.match(r.stdout, /^2 +veth-down default\/web-0 +config$/m);
    const j = run("fault", "list", "--config", cfg, "-f", "examples/demo", "-o", "json");
    assert.deepEqual(JSON.parse(j.stdout)[1], { id: "2", fault: "veth-down default/web-0", since: "config" });
    assert.equal(run("fault", "list").stdout, "No faults.\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("fault add/clear without --name: a usage error naming the config's faults: and --fault", () => {
  for (const args of [
    ["fault", "add", "coredns-down"],
    ["fault", "clear"],
  ]) {
    const r = run(...args);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^error: fault (add|clear) changes a running cluster \(--name NAME\); .*`faults:`.*--fault/);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
    assert.equal(r.stdout, "");
  }
  const bad = run("fault", "list", "-o", "yaml");
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /-o must be text or json/);
});

test("fault add's pods and nodes: a unique prefix is the one it names, an ambiguous one lists them", async () => {
  const { resolveFaultWords } = await import("./cmd-fault.js");
  const { lookupPod } = await import("./resolve-target.js");
  const pods = [
    { namespace: "default", name: "web-5d8f7-abcde" },
    { namespace: "default", name: "web-5d8f7-fghij" },
    { namespace: "kube-system", name: "coredns-7db6d8ff4d-x2x9q" },
  ];
  const pod = (ref: string) => {
    const p = lookupPod(pods, ref, undefined, { workloadOf: () => undefined, firstOrder: () => 0 });
    return `${p.namespace}/${p.name}`;
  };
  const nodes = ["demo-control-plane", "demo-worker", "demo-worker2"];
  assert.deepEqual(resolveFaultWords(["veth-down", "web-5d8f7-f"], pod, nodes), [
    "veth-down",
    "default/web-5d8f7-fghij",
  ]);
  // Not in default: every namespace, as kubectl-style lookups do after default.
  assert.deepEqual(resolveFaultWords(["coredns-replica-down", "coredns"], pod, nodes), [
    "coredns-replica-down",
    "kube-system/coredns-7db6d8ff4d-x2x9q",
  ]);
  assert.throws(
    () => resolveFaultWords(["veth-down", "web-5d8f7"], pod, nodes),
    /ambiguous: it matches default\/web-5d8f7-abcde, default\/web-5d8f7-fghij/,
  );
  assert.deepEqual(resolveFaultWords(["kube-proxy-down", "demo-control"], pod, nodes), [
    "kube-proxy-down",
    "demo-control-plane",
  ]);
  // An exact node name wins over the longer one it prefixes; a prefix of two is refused.
  assert.deepEqual(resolveFaultWords(["kube-proxy-down", "demo-worker"], pod, nodes), [
    "kube-proxy-down",
    "demo-worker",
  ]);
  assert.throws(
    () => resolveFaultWords(["kube-proxy-down", "demo-w"], pod, nodes),
    /ambiguous: it matches demo-worker, demo-worker2/,
  );
  assert.deepEqual(resolveFaultWords(["no-such-fault", "x"], pod, nodes), ["no-such-fault", "x"]);
});
