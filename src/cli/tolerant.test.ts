// Reading commands tolerate the API rules the network does not depend on (a warning each,
// with kubectl's text, then the answer); `up` and `apply --name` refuse them before building
// anything. Expectations follow Kubernetes' semantics for the objects as written (labels
// compared as strings, named ports resolved against the containers).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const run = (...args: string[]) => spawnSync(process.execPath, ["bin/podnet.js", ...args], { encoding: "utf8" });

/** Only warnings on stderr: no error line, no stack trace. */
function onlyWarnings(stderr: string): string[] {
  const lines = stderr.split("\n").filter(Boolean);
  assert.ok(
    lines.every((l) => l.startsWith("warning: ")),
    stderr,
  );
  return lines;
}

// Every object here breaks an API rule that does not change who talks to whom.
const BAD = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: "front end"}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web, tier: "front end"}
    spec:
      hostname: Web_Host
      containers:
      - image: nginx
        ports:
        - {containerPort: 80, name: http}
        - {containerPort: 8080, name: http}
      - name: Side_Car
        image: busybox
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: mismatch
spec:
  selector: {matchLabels: {app: one}}
  template:
    metadata:
      labels: {app: two}
    spec:
      containers:
      - {name: c, image: nginx}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - {port: 80, targetPort: http}
  - {port: 8080, targetPort: 8080}
---
apiVersion: v1
kind: Service
metadata:
  name: noports
spec:
  selector: {app: two}
---
apiVersion: v1
kind: Pod
metadata:
  name: client
  labels: {app: "client!"}
spec:
  containers:
  - image: busybox
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: p
spec:
  podSelector: {matchLabels: {tier: "front end"}}
  policyTypes: [Ingress, Ingress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: "client!"}}
    ports:
    - port: http
`;

function withBad(fn: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "podnet-tol-"));
  try {
    const f = join(dir, "bad.yaml");
    writeFileSync(f, BAD);
    fn(f);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("reach over tolerated API errors: warnings with file:line, then the policy's answer", () =>
  withBad((f) => {
    const r = run("reach", "-f", f);
    assert.equal(r.status, 0, r.stderr);
    const w = onlyWarnings(r.stderr);
    assert.ok(
      w.includes(`warning: ${f}:15 (Deployment default/web) spec.template.spec.containers[0].name: is required`),
    );
    assert.ok(
      w.includes(
        `warning: ${f}:42 (Service default/web) spec.ports[0].name: is required when there is more than one port`,
      ),
    );
    assert.ok(
      w.some((l) => l.startsWith(`warning: ${f}:18 (Deployment default/web) `) && l.includes("duplicate port name")),
    );
    const lines = r.stdout.trim().split("\n");
    // The policy isolates the "front end" pods; only "client!" gets in, on port http (80, the first).
    assert.deepEqual(
      lines.filter((l) => / => default\/web\[/.test(l)),
      ["default/client[Pod] => default/web[Deployment] : TCP 80"],
    );
    assert.ok(lines.includes("default/client[Pod] => default/mismatch[Deployment] : All Connections"));
  }));

test("get and trace over tolerated API errors: pods run, endpoints and traces as for valid input", () =>
  withBad((f) => {
    const g = run("get", "pods,svc,ep", "-f", f);
    assert.equal(g.status, 0, g.stderr);
    onlyWarnings(g.stderr);
    assert.equal((g.stdout.match(/^pod\/web-[a-z0-9]+-[a-z0-9]{5} +2\/2 +Running/gm) ?? []).length, 2, g.stdout);
    assert.match(g.stdout, /^pod\/client +1\/1 +Running/m);
    assert.match(g.stdout, /^service\/noports +ClusterIP +\S+ +<none> +<none> /m);
    // Service web: two endpoints per port (80 by the name http, 8080 by number).
    assert.match(g.stdout, /^endpoints\/web +\S+:80,\S+:80,\S+:8080 \+ 1 more\.\.\./m);
    // Port 80 by name: the policy lets client in; the nameless container is named as such.
    const t = run("trace", "default/client", "svc/default/web", "-f", f);
    assert.equal(t.status, 0, t.stderr);
    onlyWarnings(t.stderr);
    assert.match(t.stdout, /=> DELIVERED: container <unnamed> listens on tcp 0\.0\.0\.0:80$/m);
    assert.ok(!t.stdout.includes("undefined"), t.stdout);
    const pod = g.stdout.match(/^pod\/(web-\S+)/m)?.[1] ?? "";
    const d = run("describe", "pod", pod, "-f", f);
    assert.equal(d.status, 0, d.stderr);
    assert.match(d.stdout, /^Containers:\n {2}<unnamed>:\n/m);
    assert.ok(!d.stdout.includes("undefined"), d.stdout);
    const m = run("trace", "default/client", "svc/default/noports", "-p", "80", "-f", f);
    assert.ok(!/at \S+ \(/.test(m.stderr), m.stderr); // no stack trace
  }));

test("get rc / replicationcontrollers on mixed-dir: kubectl's ReplicaSet-like columns", () => {
  const r = run("get", "replicationcontrollers", "-o", "wide", "-f", "examples/snapshots/mixed-dir");
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout
    .trim()
    .split("\n")
    .map((l) => l.split(/ {2,}/));
  assert.deepEqual(rows[0], ["NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]);
  assert.deepEqual(
    rows.slice(1).map((c) => [c[0], c[1], c[2], c[3], c[7]]),
    [
      ["guestbook", "3", "3", "3", "app=guestbook"],
      ["redis-master", "1", "1", "1", "app=redis,role=master"],
      ["redis-replica", "2", "2", "2", "app=redis,role=replica"],
    ],
  );
  assert.equal(run("get", "rc", "-f", "examples/snapshots/mixed-dir").status, 0);
  // The pods name their controller as kubectl shows it: core/v1, no pod-template-hash.
  const pods = run("get", "pods", "-o", "yaml", "-l", "role=master", "-f", "examples/snapshots/mixed-dir");
  assert.equal(pods.status, 0, pods.stderr);
  assert.match(
    pods.stdout,
    /ownerReferences:\n {4}- apiVersion: v1\n {6}blockOwnerDeletion: true\n {6}controller: true\n {6}kind: ReplicationController\n {6}name: redis-master\n/,
  );
  assert.match(pods.stdout, /^ {4}name: redis-master-[a-z0-9]{5}$/m);
  assert.ok(!pods.stdout.includes("pod-template-hash"), pods.stdout);
});

test("reach -f mixed-dir: exit 0, the foreign files skipped with one warning each", () => {
  const r = run("reach", "-f", "examples/snapshots/mixed-dir");
  assert.equal(r.status, 0, r.stderr);
  const w = onlyWarnings(r.stderr);
  assert.deepEqual(
    w.filter((l) => l.includes("skipped")),
    [
      "warning: examples/snapshots/mixed-dir/helm/values.yaml: skipped: not a Kubernetes object (no apiVersion/kind)",
      "warning: examples/snapshots/mixed-dir/test-results.json: skipped: not a Kubernetes object (no apiVersion/kind)",
    ],
  );
  const lines = r.stdout.trim().split("\n");
  assert.ok(
    lines.includes(
      "default/guestbook[ReplicationController] => default/redis-master[ReplicationController] : All Connections",
    ),
  );
});

test("up and apply --name stay strict: a tolerated finding aborts before anything is built", () =>
  withBad((f) => {
    const msg = `${f}:15 (Deployment default/web) spec.template.spec.containers[0].name: is required`;
    // --dry-run only prints kernel commands; the input is refused before that.
    const up = run("up", "--dry-run", "-f", f);
    assert.equal(up.status, 2, up.stderr);
    assert.ok(up.stderr.startsWith("error: "), up.stderr);
    assert.ok(up.stderr.includes(msg), up.stderr);
    assert.equal(up.stdout, "");
    const apply = run("apply", "--name", "podnet-tol-none", "-f", f);
    assert.equal(apply.status, 2, apply.stderr);
    assert.ok(apply.stderr.includes(msg), apply.stderr);
    // On the model, apply reads tolerantly.
    const model = run("apply", "-f", f);
    assert.equal(model.status, 0, model.stderr);
    assert.ok(model.stderr.includes(`warning: ${msg}`), model.stderr);
    assert.match(model.stdout, /^deployment\.apps\/web created$/m);
  }));
