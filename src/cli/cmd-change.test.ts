// delete and scale read the cluster from -f like every command (--base an alias); apply's
// -f is the change, as in `kubectl apply -f`. Messages are kubectl's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const run = (...args: string[]) => spawnSync(process.execPath, ["bin/podnet.js", ...args], { encoding: "utf8" });

const BASE = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: orders}}
  template:
    metadata: {labels: {app: orders}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders-db, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: orders-db}}
  template:
    metadata: {labels: {app: orders-db}}
    spec: {containers: [{name: c, image: mongo}]}
`;

test("scale and delete take the cluster with -f (and --base); pods by the one lookup", () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-change-"));
  try {
    const base = join(dir, "base.yaml");
    writeFileSync(base, BASE);
    const s1 = run("scale", "deploy", "orders", "-n", "shop", "--replicas", "2", "-f", base);
    assert.equal(s1.status, 0, s1.stderr);
    assert.match(s1.stdout, /^deployment\.apps\/orders scaled\n/);
    const s2 = run("scale", "deploy/orders", "-n", "shop", "--replicas", "2", "--base", base);
    assert.equal(s2.stdout, s1.stdout);
    // "orders" is the Deployment's name (not an ambiguous prefix of orders-db's pods).
    const d = run("delete", "pod", "orders", "-n", "shop", "-f", base);
    assert.equal(d.status, 0, d.stderr);
    assert.match(d.stdout, /^pod "orders-[a-z0-9]+-[a-z0-9]{5}" deleted\n/);
    const nf = run("delete", "pod", "nope", "-n", "shop", "-f", base);
    assert.equal(nf.status, 1);
    assert.equal(nf.stderr, 'Error from server (NotFound): pods "nope" not found\n');
    // apply: -f is what to apply, --base the cluster.
    const add = join(dir, "svc.yaml");
    writeFileSync(
      add,
      "apiVersion: v1\nkind: Service\nmetadata: {name: orders, namespace: shop}\nspec: {selector: {app: orders}, ports: [{port: 80}]}\n",
    );
    const a = run("apply", "-f", add, "--base", base);
    assert.equal(a.status, 0, a.stderr);
    assert.match(a.stdout, /^service\/orders created\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Kubernetes NetworkPolicy semantics: a policy selecting every pod of a namespace with
// policyTypes [Ingress] and no rules isolates them for ingress (nothing may connect to
// them), egress untouched. apply shows that as connections removed, not "No changes.".
test("apply of a NetworkPolicy shows the connections it adds and removes", () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-change-"));
  try {
    const base = join(dir, "base.yaml");
    const pol = join(dir, "deny.yaml");
    const app = (n: string) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${n}}\nspec:\n  selector: {matchLabels: {app: ${n}}}\n  template:\n    metadata: {labels: {app: ${n}}}\n    spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 80}]}]}\n`;
    writeFileSync(base, `${app("web")}---\n${app("client")}`);
    const deny =
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-all}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n";
    writeFileSync(pol, deny);
    const a = run("apply", "-f", pol, "--base", base);
    assert.equal(a.status, 0, a.stderr);
    assert.doesNotMatch(a.stdout, /No changes\./);
    const changes = a.stdout.slice(a.stdout.indexOf("Changes:"));
    assert.match(
      changes,
      /\n {2}removed: default\/client\[Deployment\] => default\/web\[Deployment\] : All Connections\n/,
    );
    assert.match(
      changes,
      /\n {2}removed: default\/web\[Deployment\] => default\/client\[Deployment\] : All Connections\n/,
    );
    // Ingress from outside is cut too; egress (to the pods' peers outside) stays.
    assert.equal(changes.match(/removed: \S+\[External\] => default\/(web|client)\[Deployment\]/g)?.length, 2);
    assert.doesNotMatch(changes, /added:|=> \S+\[External\]/);
    // Deleting it gives the connections back.
    writeFileSync(base, `${app("web")}---\n${app("client")}---\n${deny}`);
    const d = run("delete", "netpol", "deny-all", "-f", base, "-o", "json");
    assert.equal(d.status, 0, d.stderr);
    const reach = JSON.parse(d.stdout).reach as { change: string; src: string; dst: string }[];
    assert.equal(reach.length, 4);
    assert.ok(reach.every((l) => l.change === "added"));
    // A change that touches no policy says nothing about connections.
    const s = run("scale", "deploy", "web", "--replicas", "2", "-f", base);
    assert.doesNotMatch(s.stdout, /Connections/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
