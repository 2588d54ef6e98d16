// Reading manifests: files, directories (recursive, sorted, *.yaml|*.yml|*.json), stdin,
// and the embedded example.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedExampleDir, loadSpecFromArgs, readConfigFile, readSources } from "./input.js";
import { parseSpec } from "../manifest/parse.js";
import { SpecError } from "../manifest/errors.js";

const svc = (name: string) =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  ports: [{port: 80}]\n`;

function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "podnet-input-"));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test("directories are read recursively in sorted order, manifests only", () =>
  withTempDir(async (dir) => {
    mkdirSync(join(dir, "b-sub", "deeper"), { recursive: true });
    writeFileSync(join(dir, "c.yml"), svc("c"));
    writeFileSync(join(dir, "a.yaml"), svc("a"));
    writeFileSync(
      join(dir, "b-sub", "deeper", "d.json"),
      JSON.stringify({ apiVersion: "v1", kind: "Service", metadata: { name: "d" }, spec: { ports: [{ port: 80 }] } }),
    );
    writeFileSync(join(dir, "b-sub", "b.YAML"), svc("b"));
    writeFileSync(join(dir, "README.md"), "# not a manifest");
    writeFileSync(join(dir, "notes.txt"), "kind: Service");
    const sources = await readSources([dir]);
    assert.deepEqual(
      sources.map((s) => s.file),
      [join(dir, "a.yaml"), join(dir, "b-sub", "b.YAML"), join(dir, "b-sub", "deeper", "d.json"), join(dir, "c.yml")],
    );
    const spec = parseSpec(sources);
    assert.deepEqual(
      spec.objects.map((o) => o.metadata.name),
      ["a", "b", "d", "c"],
    );
    // A file named explicitly is read whatever its extension.
    const txt = await readSources([join(dir, "notes.txt")]);
    assert.equal(txt.length, 1);
  }));

test("a chart's templates are not read; a symlink back up the tree is walked once", () =>
  withTempDir(async (dir) => {
    // The chart layout (https://helm.sh/docs/topics/charts/#the-chart-file-structure).
    const chart = join(dir, "web");
    mkdirSync(join(chart, "templates"), { recursive: true });
    mkdirSync(join(chart, "charts", "sub", "templates"), { recursive: true });
    writeFileSync(join(chart, "Chart.yaml"), "apiVersion: v2\nname: web\nversion: 0.1.0\n");
    writeFileSync(join(chart, "values.yaml"), "replicaCount: 1\n");
    writeFileSync(join(chart, "templates", "service.yaml"), "{{- if .Values.on }}\nkind: Service\n{{- end }}\n");
    writeFileSync(join(chart, "charts", "sub", "templates", "x.yaml"), "{{ .Values.x }}\n");
    writeFileSync(join(dir, "rendered.yaml"), svc("web"));
    symlinkSync(dir, join(dir, "loop"));
    const sources = await readSources([dir]);
    assert.deepEqual(
      sources.map((s) => s.file),
      [join(dir, "rendered.yaml"), join(chart, "Chart.yaml"), join(chart, "values.yaml")],
    );
  }));

test("'-' reads stdin (once), mixed with files", () =>
  withTempDir(async (dir) => {
    writeFileSync(join(dir, "a.yaml"), svc("a"));
    let calls = 0;
    const stdin = async () => {
      calls++;
      return svc("from-stdin");
    };
    const sources = await readSources([join(dir, "a.yaml"), "-"], stdin);
    assert.deepEqual(
      sources.map((s) => s.file),
      [join(dir, "a.yaml"), "<stdin>"],
    );
    assert.equal(calls, 1);
    const spec = parseSpec(sources);
    assert.deepEqual(
      spec.objects.map((o) => [o.metadata.name, o.source?.file]),
      [
        ["a", join(dir, "a.yaml")],
        ["from-stdin", "<stdin>"],
      ],
    );
  }));

test("a path that does not exist is a SpecError naming it", async () => {
  await assert.rejects(
    () => readSources(["/nonexistent/podnet/x.yaml"]),
    (e: unknown) => e instanceof SpecError && e.message === "/nonexistent/podnet/x.yaml: no such file or directory",
  );
  assert.throws(() => readConfigFile("/nonexistent/cluster.yaml"), SpecError);
});

test("the embedded example: parses cleanly, its cluster.yaml is the config", async () => {
  const dir = embeddedExampleDir();
  assert.ok(existsSync(join(dir, "cluster.yaml")));
  const spec = await loadSpecFromArgs({});
  assert.deepEqual(spec.warnings, []);
  assert.equal(spec.config.name, "demo");
  assert.equal(spec.config.source?.file, join("examples", "demo", "cluster.yaml"));
  assert.deepEqual(
    spec.config.nodes.map((n) => [n.name, n.role]),
    [
      ["control-plane", "control-plane"],
      ["worker-1", "worker"],
      ["worker-2", "worker"],
    ],
  );
  assert.equal(spec.config.nodes[1].labels.zone, "a");
  assert.equal(spec.config.networking.loadBalancerSubnet, "192.168.1.240/28");
  assert.deepEqual(spec.config.externalDNS, [{ name: "api.example.com", type: "A", value: "192.168.1.240" }]);
  const names = spec.objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`);
  for (const want of [
    "Namespace /production",
    "Service default/auth-service",
    "Service default/users-service",
    "Service default/user-service",
    "Service production/user-service",
    "Service default/order-service",
    "Service default/my-headless-service",
    "StatefulSet default/web",
  ])
    assert.ok(names.includes(want), want);
});

test("--config with -f: the given config is used", () =>
  withTempDir(async (dir) => {
    writeFileSync(join(dir, "app.yaml"), svc("a"));
    writeFileSync(
      join(dir, "c.yaml"),
      "apiVersion: podnet.dev/v1alpha1\nkind: Cluster\nname: t\nnetworking: {cni: calico, backend: ipip}\n",
    );
    const spec = await loadSpecFromArgs({ files: [join(dir, "app.yaml")], config: join(dir, "c.yaml") });
    assert.equal(spec.config.name, "t");
    assert.equal(spec.config.networking.backend, "ipip");
  }));
