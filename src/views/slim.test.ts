// A dump read item by item (files from SPLIT_ABOVE bytes on) leaves what only the whole
// pod's views show for later (manifest/documents.ts inFull): those views must print every
// pod as they do when the same dump is read whole.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sameObject } from "../control/objects.js";
import { loadCluster } from "../load/cluster.js";
import { packageRoot } from "../load/input.js";
import { SPLIT_ABOVE } from "../manifest/parse.js";
import { describePod } from "./describe.js";
import { findResource, getView } from "./get.js";

test("a dump read in part: get -o yaml/json, describe and get -o wide print each pod as read whole", async () => {
  const text = readFileSync(join(packageRoot(), "examples", "snapshots", "kind-flannel.yaml"), "utf8");
  // The same List past the size from which a file is read item by item (a ConfigMap of padding).
  const line = `      ${"x".repeat(100)}\n`;
  const pad = `- apiVersion: v1\n  data:\n    pad: |\n${line.repeat(SPLIT_ABOVE / 100)}  kind: ConfigMap\n  metadata:\n    name: padding\n    namespace: default\n`;
  const dir = mkdtempSync(join(tmpdir(), "podnet-slim-"));
  try {
    const small = join(dir, "whole.yaml");
    const large = join(dir, "split.yaml");
    writeFileSync(small, text);
    writeFileSync(large, text.replace(/^kind: List$/m, `${pad}kind: List`));
    const a = (await loadCluster({ files: [small], mode: "tolerant" })).state;
    const b = (await loadCluster({ files: [large], mode: "tolerant" })).state;
    const slim = (b.objects ?? []).filter(
      (o) => o.kind === "Pod" && (o as { source?: { later?: unknown } }).source?.later,
    );
    assert.ok(slim.length >= 10, `pods read in part: ${slim.length}`);
    // The reconcile step's "unchanged?" compares a pod read in part with one read whole as whole.
    const given = (a.objects ?? []).find((o) => o.kind === "Pod" && o.metadata.name === slim[0].metadata.name)!;
    assert.ok(sameObject(slim[1], given) === false && sameObject(slim[0], given));
    const pods = findResource("pods")!;
    const wide = (s: typeof a) => getView(s, pods, { output: "wide", allNamespaces: true }).stdout;
    assert.equal(wide(b), wide(a));
    for (const p of a.pods) {
      const q = b.pods.find((x) => x.namespace === p.namespace && x.name === p.name)!;
      for (const output of ["yaml", "json"] as const) {
        const view = (s: typeof a) => getView(s, pods, { output, namespace: p.namespace, names: [p.name] }).stdout;
        assert.equal(view(b), view(a), `${output} ${p.namespace}/${p.name}`);
      }
      assert.equal(describePod(b, q), describePod(a, p), `describe ${p.namespace}/${p.name}`);
    }
    assert.equal(wide(b), wide(a));
    assert.ok(a.pods.length === b.pods.length && a.pods.some((p) => p.observed));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
