import { test } from "node:test";
import assert from "node:assert/strict";
import { parseGetArgs, runGet } from "./cmd-get.js";
import { runDescribe } from "./cmd-describe.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCluster } from "../load/cluster.js";
import { packageRoot } from "../load/input.js";
import { seed004State } from "../views/testing.js";

test("kubectl's argument forms", () => {
  assert.deepEqual(parseGetArgs(["pods"]), [{ resource: "pods", names: [] }]);
  assert.deepEqual(parseGetArgs(["po", "a", "b"]), [{ resource: "po", names: ["a", "b"] }]);
  assert.deepEqual(parseGetArgs(["po,svc"]), [
    { resource: "po", names: [] },
    { resource: "svc", names: [] },
  ]);
  assert.deepEqual(parseGetArgs(["pod/a", "svc/b", "pod/c"]), [
    { resource: "pod", names: ["a", "c"] },
    { resource: "svc", names: ["b"] },
  ]);
});

test("several types: NAME is prefixed with the type, tables separated by a blank line", () => {
  const out = runGet(seed004State(), ["svc,ep"], {});
  const blocks = out.stdout.split("\n\n");
  assert.equal(blocks.length, 2);
  assert.ok(blocks[0].includes("service/auth-service"));
  assert.ok(blocks[1].includes("endpoints/auth-service"));
});

test("all: the \"all\" category's types in kubectl's order, names prefixed", async () => {
  assert.deepEqual(
    parseGetArgs(["all"]).map((p) => p.resource),
    [
      "pods",
      "replicationcontrollers",
      "services",
      "daemonsets",
      "deployments",
      "replicasets",
      "statefulsets",
      "horizontalpodautoscalers",
      "cronjobs",
      "jobs",
    ],
  );
  assert.deepEqual(
    parseGetArgs(["all,ing"])
      .map((p) => p.resource)
      .slice(-2),
    ["jobs", "ing"],
  );
  // A kind cluster's dump: one table per type that has objects, in that order, each NAME
  // with its type as kubectl prints several types (pod/…, service/…, daemonset.apps/…).
  const { state } = await loadCluster({ files: [join(packageRoot(), "examples", "snapshots", "kind-flannel.yaml")] });
  const out = runGet(state, ["all"], { allNamespaces: true });
  assert.equal(out.exitCode, 0);
  const types = out.stdout.split("\n\n").map((b) => b.split("\n")[1].split(/\s+/)[1].split("/")[0]);
  assert.deepEqual(types, ["pod", "service", "daemonset.apps", "deployment.apps", "replicaset.apps"]);
  // Nothing in the namespace: kubectl says so once, not once per type.
  const none = runGet(state, ["all"], { namespace: "nope" });
  assert.deepEqual([none.stdout, none.stderr], ["", "No resources found in nope namespace.\n"]);
});

// printJob (kubernetes/kubernetes pkg/printers/internalversion/printers.go): STATUS from the
// first condition that is True (Complete, Failed, deletion, Suspended, FailureTarget,
// SuccessCriteriaMet) else Running; COMPLETIONS succeeded/completions, or "N/1 of P" for a
// work queue; DURATION start to completion, or to now; blank before the Job starts.
test("get jobs: a dump's Jobs as kubectl prints them, and only the pods their controller keeps", async () => {
  const { state } = await loadCluster({ files: [join(packageRoot(), "examples", "snapshots", "jobs.yaml")] });
  const out = runGet(state, ["jobs"], {});
  assert.equal(
    out.stdout,
    [
      "NAME     STATUS      COMPLETIONS   DURATION   AGE",
      "backup   Failed      0/1           9m         9m",
      "paused   Suspended   0/3                      8m",
      "pi       Complete    1/1           42s        10m",
      "render   Running     2/5           6m         6m",
      "worker   Running     0/1 of 2      5m         5m",
      "",
    ].join("\n"),
  );
  const wide = runGet(state, ["job.batch/pi"], { output: "wide" }).stdout.split("\n")[1].split(/\s+/);
  assert.deepEqual(wide.slice(-3), [
    "pi",
    "perl:5.34.0",
    "batch.kubernetes.io/controller-uid=5d3c0e4a-1b2f-4c6d-9e8f-0a1b2c3d4e5f",
  ]);
  // The job controller's wantActive: none for a finished or suspended Job; completions less
  // succeeded, at most parallelism (render: 2 of 5 done, 2 at a time); a work queue's given pods.
  const podsOf = (job: string) => state.pods.filter((p) => p.labels["job-name"] === job).length;
  assert.deepEqual(["backup", "paused", "pi", "render", "worker"].map(podsOf), [0, 0, 0, 2, 2]);
  const all = runGet(state, ["all"], {}).stdout.split("\n\n");
  assert.ok(all.at(-1)?.split("\n")[1].startsWith("job.batch/backup "));
});

// printCronJob (kubernetes/kubernetes pkg/printers/internalversion/printers.go): SCHEDULE,
// TIMEZONE (<none> unset), SUSPEND, ACTIVE = len(status.active), LAST SCHEDULE since
// status.lastScheduleTime (<none> before the first run), AGE; -o wide adds the job template's
// containers, images and selector. The dump's latest time is the pod's start, 08:05:00.
test("get cronjobs: a dump's CronJobs as kubectl prints them, their running Job's pod as given", async () => {
  const { state } = await loadCluster({ files: [join(packageRoot(), "examples", "snapshots", "cronjobs.yaml")] });
  assert.equal(
    runGet(state, ["cronjobs"], {}).stdout,
    [
      "NAME      SCHEDULE     TIMEZONE        SUSPEND   ACTIVE   LAST SCHEDULE   AGE",
      "nightly   30 2 * * *   Europe/Berlin   True      0        <none>          65m",
      "report    0 * * * *    <none>          False     1        5m              65m",
      "",
    ].join("\n"),
  );
  const wide = runGet(state, ["cj/report"], { output: "wide" })
    .stdout.split("\n")[1]
    .split(/\s{2,}/);
  assert.deepEqual(wide.slice(-3), ["report", "curlimages/curl:8.8.0", "<none>"]);
  assert.deepEqual(
    state.pods.filter((p) => !p.system).map((p) => `${p.name} ${p.podIP}`),
    ["report-29147520-q7d2m 10.244.1.9"],
  );
  // `all`: cronjobs before jobs (discovery lists a group's resources by name).
  const blocks = runGet(state, ["all"], {}).stdout.split("\n\n");
  assert.deepEqual(
    blocks.slice(-2).map((b) => b.split("\n")[1].split(/\s+/)[0]),
    ["cronjob.batch/nightly", "job.batch/report-29147520"],
  );
});

// describeCronJob and describeJobTemplate (kubernetes/kubernetes
// staging/src/k8s.io/kubectl/pkg/describe/describe.go): the spec's fields (pointers unset as
// <unset>), the job template, Last Schedule Time in RFC 1123 with a numeric zone, Active Jobs.
test("describe cronjob: a dump's as given, with its active Job", async () => {
  const { state } = await loadCluster({ files: [join(packageRoot(), "examples", "snapshots", "cronjobs.yaml")] });
  const out = runDescribe(state, "cronjob", ["report"], "default").stdout.split("\n");
  assert.deepEqual(out.slice(0, 13), [
    "Name:                          report",
    "Namespace:                     default",
    "Labels:                        <none>",
    "Annotations:                   <none>",
    "Schedule:                      0 * * * *",
    "Concurrency Policy:            Allow",
    "Suspend:                       False",
    "Successful Job History Limit:  3",
    "Failed Job History Limit:      1",
    "Starting Deadline Seconds:     <unset>",
    "Selector:                      <unset>",
    "Parallelism:                   <unset>",
    "Completions:                   <unset>",
  ]);
  assert.equal(out[13], "Pod Template:");
  assert.ok(out.includes("  Labels:  app=report"));
  assert.deepEqual(out.slice(-4, -1), [
    "Last Schedule Time:  Mon, 02 Jun 2025 08:00:00 +0000",
    "Active Jobs:         report-29147520",
    "Events:              <none>",
  ]);
  const nightly = runDescribe(state, "cj", ["nightly"], "default").stdout;
  assert.match(nightly, /\nSuspend: +True\n/);
  assert.match(nightly, /\nConcurrency Policy: +Forbid\n/);
  assert.match(nightly, /\nLast Schedule Time: +<unset>\nActive Jobs: +<none>\n/);
});

test("get cronjobs: a manifest's CronJob has run no Job yet", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-cronjobs-"));
  try {
    writeFileSync(
      join(dir, "cj.yaml"),
      "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: backup\nspec:\n  schedule: '*/5 * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n          - name: c\n            image: busybox:1.36\n",
    );
    const warnings: string[] = [];
    const { state } = await loadCluster({ files: [join(dir, "cj.yaml")], warn: (w) => warnings.push(w) });
    assert.deepEqual(warnings, []);
    const row = runGet(state, ["cronjobs"], {})
      .stdout.split("\n")[1]
      .split(/\s{2,}/);
    assert.deepEqual(row.slice(0, 6), ["backup", "*/5 * * * *", "<none>", "False", "0", "<none>"]);
    assert.equal(state.pods.filter((p) => !p.system).length, 0);
    assert.equal(runGet(state, ["jobs"], {}).stderr, "No resources found in default namespace.\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("get jobs: a manifest's Job as the API server defaults it and the job controller runs it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-jobs-"));
  try {
    const job = (name: string, spec: string) =>
      `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ${name}\nspec:\n${spec}  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: busybox:1.36\n`;
    writeFileSync(
      join(dir, "jobs.yaml"),
      [job("once", ""), job("queue", "  parallelism: 3\n"), job("held", "  completions: 4\n  suspend: true\n")].join(
        "---\n",
      ),
    );
    const { state } = await loadCluster({ files: [join(dir, "jobs.yaml")] });
    const rows = runGet(state, ["jobs"], {})
      .stdout.split("\n")
      .slice(1, -1)
      .map((l) => l.split(/\s{2,}/).slice(0, 3));
    // The API server lists by name.
    assert.deepEqual(rows, [
      ["held", "Suspended", "0/4"],
      ["once", "Running", "0/1"],
      ["queue", "Running", "0/1 of 3"],
    ]);
    const podsOf = (job: string) => state.pods.filter((p) => p.labels["job-name"] === job).length;
    assert.deepEqual(["once", "queue", "held"].map(podsOf), [1, 3, 0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an unknown resource type", () => {
  const out = runGet(seed004State(), ["bogus"], {});
  assert.equal(out.exitCode, 1);
  assert.equal(out.stderr, 'error: the server doesn\'t have a resource type "bogus"\n');
});

test("describe: exact name, prefix matches, NotFound", () => {
  const s = seed004State();
  assert.match(runDescribe(s, "svc", ["auth-service"], "default").stdout, /^Name:\s+auth-service\n/);
  const two = runDescribe(s, "pods", ["users-deployment"], "default").stdout;
  assert.equal(two.match(/^Name:/gm)?.length, 3);
  const nf = runDescribe(s, "pod", ["nope"], "default");
  assert.equal(nf.stderr, 'Error from server (NotFound): pods "nope" not found\n');
  assert.equal(nf.exitCode, 1);
});

// kubectl pkg/cmd/get/get.go printGeneric: several types (or a list of one type) are
// ONE List {apiVersion: v1, kind: List, metadata: {resourceVersion: ""}, items}, items
// in type order; only one object asked for by name prints bare.
test("-o json|yaml over several types prints one List", async () => {
  const s = seed004State();
  const json = runGet(s, ["pods,svc"], { output: "json" });
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.apiVersion, "v1");
  assert.equal(doc.kind, "List");
  assert.deepEqual(doc.metadata, { resourceVersion: "" });
  const kinds = doc.items.map((i: { kind: string }) => i.kind);
  assert.equal(kinds.indexOf("Service"), kinds.lastIndexOf("Pod") + 1);
  assert.ok(kinds.includes("Pod") && kinds.includes("Service"));
  const { parse } = await import("yaml");
  const yaml = parse(runGet(s, ["po,svc"], { output: "yaml" }).stdout);
  assert.equal(yaml.kind, "List");
  assert.equal(yaml.items.length, doc.items.length);
  // TYPE/NAME pairs of two types: a List; one TYPE/NAME: the object itself.
  const pod = s.pods[0].name;
  assert.equal(JSON.parse(runGet(s, [`pod/${pod}`, "svc/kubernetes"], { output: "json" }).stdout).kind, "List");
  assert.equal(JSON.parse(runGet(s, [`pod/${pod}`], { output: "json" }).stdout).kind, "Pod");
  // Nothing found: an empty List.
  const none = JSON.parse(runGet(s, ["netpol,ing"], { output: "json" }).stdout);
  assert.deepEqual(none, { apiVersion: "v1", items: [], kind: "List", metadata: { resourceVersion: "" } });
});

test("podnet reads its own `get … -o yaml` back: the same pods, IPs and Services", async () => {
  const { spawnSync } = await import("node:child_process");
  const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const run = (...args: string[]) => spawnSync(process.execPath, ["bin/podnet.js", ...args], { encoding: "utf8" });
  const dir = mkdtempSync(join(tmpdir(), "podnet-getback-"));
  try {
    const m = join(dir, "m.yaml");
    writeFileSync(
      m,
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers: [{name: init, image: busybox}]
      containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}, {name: side, image: busybox}]
---
apiVersion: v1
kind: Service
metadata: {name: web, annotations: {note: kept}}
spec: {selector: {app: web}, ports: [{port: 80}]}
`,
    );
    for (const fmt of ["yaml", "json"]) {
      const dump = run("get", "pods,svc,nodes", "-A", "-o", fmt, "-f", m);
      assert.equal(dump.status, 0, dump.stderr);
      const back = join(dir, `back.${fmt}`);
      writeFileSync(back, dump.stdout);
      const a = run("get", "pods", "-A", "-o", "wide", "-f", m);
      const b = run("get", "pods", "-A", "-o", "wide", "-f", back);
      assert.equal(b.status, 0, b.stderr);
      const cols = (t: string) =>
        t
          .trim()
          .split("\n")
          .map((l) =>
            l
              .split(/\s+/)
              .filter((_, i) => [0, 1, 2, 3, 6, 7].includes(i))
              .join(" "),
          );
      assert.deepEqual(cols(b.stdout), cols(a.stdout));
      // The pods read back print from their observed status: each container keeps its ID.
      const pod = a.stdout
        .split("\n")
        .find((l) => l.startsWith("default "))!
        .split(/\s+/)[1];
      const d1 = run("describe", "pod", pod, "-f", m).stdout;
      const d2 = run("describe", "pod", pod, "-f", back).stdout;
      const ids = (t: string) => t.match(/Container ID:\s+\S+/g);
      assert.equal(ids(d1)?.length, 3);
      assert.deepEqual(ids(d2), ids(d1));
      assert.match(run("describe", "svc", "web", "-f", back).stdout, /\nAnnotations:\s+note: kept\n/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("-L: a column per label key, headed by its last segment in capitals, empty where absent", () => {
  // kubectl's decorateTable / formatLabelHeaders (k8s.io/cli-runtime pkg/printers).
  const out = runGet(seed004State(), ["pods"], {
    labelColumns: ["app", "example.com/tier"],
    showLabels: true,
  }).stdout.split("\n");
  assert.deepEqual(out[0].split(/\s{2,}/).slice(-3), ["APP", "TIER", "LABELS"]);
  const row = out.find((l) => l.startsWith("auth-deployment-5c8b9d7f4-x2k9p "))!;
  const cells = row.split(/\s{2,}/);
  // APP is the pod's app label; TIER is empty (no such label), so the row has one cell less.
  assert.equal(cells.at(-2), "auth-deployment");
  assert.match(cells.at(-1)!, /^app=auth-deployment/);
});

// printHorizontalPodAutoscaler and formatHPAMetrics (kubernetes/kubernetes
// pkg/printers/internalversion/printers.go): REFERENCE Kind/name; TARGETS current/target per
// metric, a Resource metric led by its name, an unread current <unknown>, the first two then
// "+ N more..."; MINPODS (defaulted to 1); MAXPODS; REPLICAS = status.currentReplicas.
test("get hpa: the autoscaler's columns, from a manifest and from a live cluster's status", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-hpa-"));
  try {
    const deploy = (name: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: c, image: nginx}]}
---
`;
    writeFileSync(
      join(dir, "hpa.yaml"),
      deploy("web", 1) +
        deploy("api", 3) +
        `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}
  - {type: Resource, resource: {name: memory, target: {type: AverageValue, averageValue: 100Mi}}}
  - {type: Pods, pods: {metric: {name: packets-per-second}, target: {type: AverageValue, averageValue: 1k}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api, uid: 3c0ffee0-0000-4000-8000-000000000001}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}
  - type: External
    external: {metric: {name: queue_depth}, target: {type: AverageValue, averageValue: "30"}}
status:
  currentReplicas: 3
  desiredReplicas: 3
  currentMetrics:
  - {type: Resource, resource: {name: cpu, current: {averageUtilization: 12, averageValue: 24m}}}
  - {type: External, external: {metric: {name: queue_depth}, current: {averageValue: "7"}}}
`,
    );
    {
      const { state } = await loadCluster({ files: [join(dir, "hpa.yaml")] });
      const rows = runGet(state, ["hpa"], {})
        .stdout.trimEnd()
        .split("\n")
        .map((l) => l.split(/\s{2,}/));
      assert.deepEqual(rows[0], ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]);
      assert.deepEqual(rows[1].slice(0, 6), ["api", "Deployment/api", "cpu: 12%/80%, 7/30 (avg)", "1", "5", "3"]);
      // web's target runs 1 replica, below minReplicas: the controller scales it to 2.
      assert.deepEqual(rows[2].slice(0, 6), [
        "web",
        "Deployment/web",
        "cpu: <unknown>/50%, memory: <unknown>/100Mi + 1 more...",
        "2",
        "10",
        "2",
      ]);
      assert.equal(
        runGet(state, ["horizontalpodautoscalers.autoscaling/web"], { output: "name" }).stdout,
        "horizontalpodautoscaler.autoscaling/web\n",
      );
      const nf = runGet(state, ["hpa", "nope"], {});
      assert.equal(nf.stderr, 'Error from server (NotFound): horizontalpodautoscalers.autoscaling "nope" not found\n');
      // `all` lists autoscalers after the apps group's resources, before batch's.
      const types = runGet(state, ["all"], {})
        .stdout.split("\n\n")
        .map((b) => b.split("\n")[1].split(/\s+/)[0].split("/")[0]);
      assert.deepEqual(types.slice(-1), ["horizontalpodautoscaler.autoscaling"]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
