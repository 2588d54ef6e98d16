// examples/snapshots/mixed-dir (a repository directory: manifests, Helm output, guestbook-go's
// ReplicationControllers, a values file and a test report) through loadCluster, tolerant and
// strict. Expectations follow Kubernetes: kubectl apply -R accepts the identical Namespace
// twice; a ReplicationController runs `replicas` pods named <rc>-<5 chars> (generateName),
// owned by it, without pod-template-hash; Services select them by label and resolve named
// targetPorts against the containers' ports.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadCluster } from "./cluster.js";

const DIR = "examples/snapshots/mixed-dir";

test("mixed-dir loads (both modes): foreign files skipped once each, the twice-declared Namespace is one", async () => {
  for (const mode of ["strict", "tolerant"] as const) {
    const warnings: string[] = [];
    const { spec } = await loadCluster({ files: [DIR], mode, warn: (m) => warnings.push(m) });
    assert.deepEqual(
      warnings.filter((w) => w.includes("skipped")),
      [
        `${DIR}/helm/values.yaml: skipped: not a Kubernetes object (no apiVersion/kind)`,
        `${DIR}/test-results.json: skipped: not a Kubernetes object (no apiVersion/kind)`,
      ],
    );
    // Custom resources and kinds podnet does not use: one warning per kind.
    for (const kind of ["ServiceAccount", "Certificate", "Kustomization"])
      assert.equal(warnings.filter((w) => w.includes(`ignored kind ${kind} `)).length, 1, kind);
    assert.ok(!warnings.some((w) => /ReplicationController|duplicate/.test(w)), warnings.join("\n"));
    assert.deepEqual(
      spec.objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name),
      ["shop"],
    );
  }
});

test("guestbook-go: ReplicationControllers run their pods and the Services get endpoints", async () => {
  const { state } = await loadCluster({ files: [DIR], mode: "tolerant" });
  const want: Record<string, number> = { guestbook: 3, "redis-master": 1, "redis-replica": 2 };
  for (const [rc, n] of Object.entries(want)) {
    const pods = state.pods.filter((p) => p.owner?.kind === "ReplicationController" && p.owner.name === rc);
    assert.equal(pods.length, n, rc);
    for (const p of pods) {
      assert.match(p.name, new RegExp(`^${rc}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      assert.deepEqual(p.workload, { kind: "ReplicationController", namespace: "default", name: rc });
      assert.equal(p.labels["pod-template-hash"], undefined);
      assert.equal(p.phase, "Running");
    }
  }
  const endpoints = (svc: string) =>
    state.endpointSlices
      .filter((s) => s.namespace === "default" && s.serviceName === svc)
      .flatMap((s) => s.endpoints.flatMap((e) => e.addresses).map((a) => `${a}:${s.ports.map((p) => p.port)}`))
      .sort();
  const podIPs = (rc: string, port: number) =>
    state.pods
      .filter((p) => p.owner?.name === rc)
      .map((p) => `${p.podIP}:${port}`)
      .sort();
  // targetPort "http-server" / "redis-server": the containers' named ports 3000 and 6379.
  assert.deepEqual(endpoints("guestbook"), podIPs("guestbook", 3000));
  assert.deepEqual(endpoints("redis-master"), podIPs("redis-master", 6379));
  assert.deepEqual(endpoints("redis-replica"), podIPs("redis-replica", 6379));
  assert.equal(endpoints("guestbook").length, 3);
});

test("strict loading refuses what tolerant loading reports as a warning", async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = mkdtempSync(join(tmpdir(), "podnet-tol-"));
  try {
    const f = join(dir, "svc.yaml");
    writeFileSync(
      f,
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - {name: http, port: 80}\n  - {port: 443}\n",
    );
    const text = `${f}:8 (Service default/web) spec.ports[1].name: is required when there is more than one port`;
    await assert.rejects(loadCluster({ files: [f] }), (e: Error) => e.message === text);
    const warnings: string[] = [];
    const { state } = await loadCluster({ files: [f], mode: "tolerant", warn: (m) => warnings.push(m) });
    assert.deepEqual(warnings, [text]);
    assert.deepEqual(
      state.services.find((s) => s.name === "web")?.ports.map((p) => p.port),
      [80, 443],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
