// Helm hooks as `helm install` leaves them (https://helm.sh/docs/topics/charts_hooks/):
// test hooks and hooks of no install event are not created, install hooks with the
// hook-succeeded delete policy are deleted after they succeed, and a hook Job that stays has
// completed (Helm waits for it). Expected values follow those docs, not podnet's output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSpec } from "./parse.js";

const job = (name: string, hook: string, deletePolicy?: string, extra = "") =>
  `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
${hook ? `  annotations:\n    "helm.sh/hook": ${hook}\n` : ""}${deletePolicy ? `    "helm.sh/hook-delete-policy": ${deletePolicy}\n` : ""}spec:
${extra}  template:
    spec:
      restartPolicy: OnFailure
      containers:
      - name: c
        image: busybox
`;

test("which hooks helm install leaves in the cluster", () => {
  const spec = parseSpec([
    {
      file: "chart.yaml",
      text: [
        // ingress-nginx's admission Jobs: deleted once they succeed.
        job("create", "pre-install,pre-upgrade", "before-hook-creation,hook-succeeded"),
        // argo-cd's redis-secret-init: the default policy keeps it.
        job("secret-init", "pre-install,pre-upgrade", "before-hook-creation"),
        job("no-policy", "post-install"),
        // Only on upgrade, rollback or delete: helm install does not run it.
        job("migrate", "pre-upgrade"),
        job("cleanup", "pre-delete,post-rollback"),
        job("smoke", " test "),
      ].join("---\n"),
    },
  ]);
  assert.deepEqual(
    spec.objects.map((o) => o.metadata.name),
    ["secret-init", "no-policy"],
  );
  const warned = spec.warnings.map((w) => w.message);
  assert.ok(
    warned.some((m) =>
      /\(Job default\/create\) .*deleted once it succeeded \(helm\.sh\/hook-delete-policy: hook-succeeded\)/.test(m),
    ),
    warned.join("\n"),
  );
  for (const name of ["migrate", "cleanup"])
    assert.ok(
      warned.some((m) => m.includes(`(Job default/${name})`) && m.includes("no install event")),
      name,
    );
  assert.ok(warned.some((m) => m.includes("(Job default/smoke)") && m.includes("created by `helm test` only")));
});

test("a hook Job that stays has completed: no pods run, its status says Complete", () => {
  const spec = parseSpec([
    {
      file: "chart.yaml",
      text: `${job("one", "pre-install")}---\n${job("three", "post-install", undefined, "  completions: 3\n")}`,
    },
  ]);
  for (const [name, n] of [
    ["one", 1],
    ["three", 3],
  ] as const) {
    const o = spec.objects.find((x) => x.metadata.name === name)!;
    const st = o.status as { succeeded: number; conditions: { type: string; status: string }[] };
    assert.equal(st.succeeded, n);
    assert.ok(st.conditions.some((c) => c.type === "Complete" && c.status === "True"));
  }
});

test("a Job read with a status (a dump's) keeps it; objects without hooks are untouched", () => {
  const running = `${job("dumped", "pre-install")}status:\n  active: 1\n`;
  const spec = parseSpec([{ file: "dump.yaml", text: `${running}---\n${job("plain", "")}` }]);
  const dumped = spec.objects.find((o) => o.metadata.name === "dumped")!;
  assert.deepEqual(dumped.status, { active: 1 });
  const plain = spec.objects.find((o) => o.metadata.name === "plain")!;
  assert.equal(plain.status, undefined);
});

test("a dump's hook objects are the cluster's: kept as given", () => {
  // After `helm test`, or a hook that failed and stayed: the API server returned them.
  const served = (name: string, hook: string, policy?: string) =>
    job(name, hook, policy).replace(
      `  name: ${name}\n`,
      `  name: ${name}\n  uid: 0b7f6a52-${name.length}-4c1e-9a51-5d6f0e1a2b3c\n`,
    );
  const spec = parseSpec([
    {
      file: "dump.yaml",
      text: [served("smoke", "test"), served("create", "pre-install", "hook-succeeded")].join("---\n"),
    },
  ]);
  assert.deepEqual(
    spec.objects.filter((o) => o.kind === "Job").map((o) => o.metadata.name),
    ["smoke", "create"],
  );
  assert.ok(!spec.warnings.some((w) => /Helm/.test(w.message)));
});
