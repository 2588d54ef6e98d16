// `podnet reach` on the embedded example with the seed's policies (examples/policies):
// the expectations follow from the policies' text and NetworkPolicy semantics.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

const run = (...args: string[]) => spawnSync(process.execPath, ["bin/podnet.js", ...args], { encoding: "utf8" });

test("reach: frontends reach the backend only on its named port; others not at all", () => {
  const r = run("reach", "-f", "examples/demo", "-f", "examples/policies");
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  // user-app's container port named http is 8080: the policy's `port: http` resolves to it.
  assert.ok(lines.includes("default/order-app[Deployment] => default/user-app[Deployment] : TCP 8080"));
  // no other workload reaches default/user-app (it is isolated for ingress)
  assert.deepEqual(lines.filter((l) => / => default\/user-app\[/.test(l)).length, 1);
  // auth accepts only users and tasks, on TCP 80
  assert.deepEqual(
    lines.filter((l) => / => default\/auth-deployment\[/.test(l) && !l.includes("[External]")),
    [
      "default/tasks-deployment[Deployment] => default/auth-deployment[Deployment] : TCP 80",
      "default/users-deployment[Deployment] => default/auth-deployment[Deployment] : TCP 80",
    ],
  );
  // production: only default's frontends get in (namespace AND pod selector in one peer)
  assert.deepEqual(
    lines.filter((l) => / => production\//.test(l) && !l.includes("[External]")),
    ["default/order-app[Deployment] => production/user-app[Deployment] : All Connections"],
  );
  // the outside world is isolated from production too
  assert.ok(!lines.some((l) => l.includes("[External] => production/")));
  // sorted
  assert.deepEqual(lines, [...lines].sort());
});

test("reach --diff shows what the policies change", () => {
  const r = run("reach", "--diff", "-f", "examples/demo", "-f2", "examples/demo", "-f2", "examples/policies");
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /^changed: default\/order-app\[Deployment\] => default\/user-app\[Deployment\] : All Connections -> TCP 8080$/m,
  );
  assert.match(
    r.stdout,
    /^removed: default\/auth-deployment\[Deployment\] => default\/user-app\[Deployment\] : All Connections$/m,
  );
});

test("reach -o dot renders a Graphviz graph", () => {
  const r = run("reach", "-o", "dot");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^digraph \{/);
  const dot = spawnSync("dot", ["-Tsvg"], { input: r.stdout, encoding: "utf8" });
  if (dot.error) return; // graphviz not installed here: the text shape above is still checked
  assert.equal(dot.status, 0, dot.stderr);
});

test("reach --from/--to select workloads by their pods' labels; -n keeps pairs touching the namespace; --explain names the rule", () => {
  const r = run(
    "reach",
    "-f",
    "examples/demo",
    "-f",
    "examples/policies",
    "--from",
    "tier=frontend",
    "--to",
    "app=user-app",
    "--explain",
  );
  assert.equal(r.status, 0, r.stderr);
  const pairs = r.stdout.split("\n").filter((l) => l.includes(" => "));
  // order-app is the only frontend; user-app exists in default and production.
  assert.deepEqual(pairs, [
    "default/order-app[Deployment] => default/user-app[Deployment] : TCP 8080",
    "default/order-app[Deployment] => production/user-app[Deployment] : All Connections",
  ]);
  assert.match(
    r.stdout,
    /ingress of default\/user-app\[Deployment\]: isolated by default\/backend-from-frontend; allowed by default\/backend-from-frontend ingress rule 0 \(TCP 8080\)/,
  );
  const n = run("reach", "-f", "examples/demo", "-f", "examples/policies", "-n", "production");
  assert.equal(n.status, 0, n.stderr);
  const lines = n.stdout.trim().split("\n");
  assert.ok(lines.length > 0 && lines.every((l) => l.includes("production/")));
});

test("reach leaves out the workloads podnet adds (CoreDNS) unless --include-system; --owner is checked", () => {
  const plain = run("reach", "-f", "examples/demo");
  assert.equal(plain.status, 0, plain.stderr);
  assert.ok(!plain.stdout.includes("kube-system/"));
  // the outside is one peer: the pod range (10.244.0.0/16) cut out of the address space
  assert.ok(
    plain.stdout.includes(
      "default/order-app[Deployment] => 0.0.0.0-10.243.255.255,10.245.0.0-255.255.255.255[External] : All Connections",
    ),
  );
  const sys = run("reach", "-f", "examples/demo", "--include-system");
  assert.equal(sys.status, 0, sys.stderr);
  assert.ok(sys.stdout.includes("default/order-app[Deployment] => kube-system/coredns[Deployment] : All Connections"));
  const bad = run("reach", "--owner", "replicaset");
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--owner must be one of controller\|deployment/);
  const help = run("reach", "--help");
  assert.match(help.stdout, /--owner <naming>/);
  assert.match(help.stdout, /--include-system/);
});

test("reach --owner deployment: a dump's running Job joins its CronJob's line", () => {
  const f = "examples/snapshots/cronjobs.yaml";
  const names = (r: ReturnType<typeof run>) => {
    assert.equal(r.status, 0, r.stderr);
    return [
      ...new Set(
        r.stdout
          .trim()
          .split("\n")
          .flatMap((l) => l.split(" : ")[0].split(" => ")),
      ),
    ]
      .filter((n) => !n.endsWith("[External]"))
      .sort();
  };
  // Job report-29147520's ownerReference names CronJob report (kubectl's dump of a run).
  assert.deepEqual(names(run("reach", "-f", f)), [
    "default/nightly[CronJob]",
    "default/report-29147520[Job]",
    "default/report[CronJob]",
  ]);
  assert.deepEqual(names(run("reach", "--owner", "deployment", "-f", f)), [
    "default/nightly[CronJob]",
    "default/report[CronJob]",
  ]);
});
