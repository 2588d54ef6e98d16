// A served pod's status lists read from the file when first asked for (deferred.ts): the
// values, their keys' places, validation and the model's readiness as a whole read gives them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCluster } from "../load/cluster.js";
import { loadSpecFromArgs } from "../load/input.js";
import { computeReach } from "../questions/reach.js";
import { isDeferred } from "./deferred.js";
import { inFull } from "./documents.js";
import { DEFER, type DeferSink, fastRead, skipRules } from "./fast-yaml.js";
import { SPLIT_ABOVE } from "./parse.js";
import type { KubeObject } from "./types.js";

const pod = (name: string, uid: string, status: string) => `- apiVersion: v1
  kind: Pod
  metadata:
    name: ${name}
    namespace: default
    uid: 0f6c7e4a-1b2c-4d5e-8f90-a1b2c3d4e${uid}
  spec:
    containers:
    - image: nginx
      name: web
    nodeName: kind-worker
  status:
${status}`;

const running = (ip: string, ready = '"True"') => `    conditions:
    - lastProbeTime: null
      lastTransitionTime: "2025-06-02T08:14:07Z"
      status: ${ready}
      type: Ready
    containerStatuses:
    - containerID: containerd://aa
      image: docker.io/library/nginx:latest
      lastState: {}
      name: web
      ready: true
      restartCount: 0
      state:
        running:
          startedAt: "2025-06-02T08:14:06Z"
    hostIP: 172.18.0.2
    hostIPs:
    - ip: 172.18.0.2
    phase: Running
    podIP: ${ip}
    podIPs:
    - ip: ${ip}
`;

const list = (items: string[]) =>
  `apiVersion: v1\nitems:\n${items.join("")}kind: List\nmetadata:\n  resourceVersion: ""\n`;

// Past the size from which a file is read item by item (a ConfigMap of padding).
const PAD = `- apiVersion: v1\n  data:\n    pad: |\n${`      ${"x".repeat(100)}\n`.repeat(SPLIT_ABOVE / 100)}  kind: ConfigMap\n  metadata:\n    name: padding\n    namespace: default\n`;

/** The pods of `items` read whole and read item by item, with the split file's path. */
async function bothWays(
  items: string[],
  body: (whole: KubeObject[], split: KubeObject[], file: string) => void | Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "podnet-deferred-"));
  try {
    const small = join(dir, "whole.yaml");
    const large = join(dir, "split.yaml");
    writeFileSync(small, list(items));
    writeFileSync(large, list([...items, PAD]));
    const a = await loadSpecFromArgs({ files: [small], mode: "tolerant" });
    const b = await loadSpecFromArgs({ files: [large], mode: "tolerant" });
    const pods = (s: typeof a) => s.objects.filter((o) => o.kind === "Pod");
    await body(pods(a), pods(b), large);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const LISTS = ["conditions", "containerStatuses", "hostIPs", "podIPs"];

test("a served pod's status lists wait in the file, in their places, and read as a whole read has them", async () => {
  await bothWays(
    [pod("a", "001", running("10.244.1.5")), pod("b", "002", running("10.244.1.6", '"False"'))],
    (whole, split) => {
      const [a, b] = split;
      for (const k of LISTS) assert.ok(isDeferred(a.status, k), k);
      assert.deepEqual(Object.keys(a.status), Object.keys(whole[0].status));
      // One read reads the next objects' values of that key too.
      assert.deepEqual(a.status.containerStatuses, whole[0].status.containerStatuses);
      assert.ok(!isDeferred(a.status, "containerStatuses") && !isDeferred(b.status, "containerStatuses"));
      assert.ok(isDeferred(a.status, "podIPs") && isDeferred(b.status, "podIPs"), "the same key's only");
      // With what only whole views show (conditions' lastProbeTime: documents.ts inFull).
      assert.equal(JSON.stringify(inFull(b)), JSON.stringify(whole[1]));
      assert.equal(JSON.stringify(inFull(a)), JSON.stringify(whole[0]));
    },
  );
});

test("a deferred key can be set and deleted; a copy has the value", async () => {
  await bothWays([pod("a", "001", running("10.244.1.5"))], (_whole, [a]) => {
    const copy = { ...a.status };
    assert.deepEqual(copy.podIPs, [{ ip: "10.244.1.5" }]);
    a.status.hostIPs = [{ ip: "172.18.0.9" }];
    assert.deepEqual(a.status.hostIPs, [{ ip: "172.18.0.9" }]);
    delete a.status.containerStatuses;
    assert.ok(!("containerStatuses" in a.status) && !isDeferred(a.status, "containerStatuses"));
  });
});

test("a file changed after reading leaves its deferred lists undefined, not another pod's", async () => {
  await bothWays([pod("a", "001", running("10.244.1.5"))], (_whole, [a], file) => {
    writeFileSync(file, list([pod("z", "009", running("10.9.9.9"))]));
    assert.equal(a.status.podIPs, undefined);
    assert.ok("podIPs" in a.status);
    assert.equal(a.status.podIP, "10.244.1.5");
  });
});

test("a list of another shape is read at once, and validation refuses it as for a whole read", async () => {
  const odd = running("10.244.1.5").replace("    podIPs:\n    - ip: 10.244.1.5\n", "    podIPs:\n    - 10.244.1.5\n");
  const dir = mkdtempSync(join(tmpdir(), "podnet-deferred-"));
  try {
    for (const [name, items] of [
      ["whole.yaml", [pod("a", "001", odd)]],
      ["split.yaml", [pod("a", "001", odd), PAD]],
    ] as const) {
      const file = join(dir, name);
      writeFileSync(file, list([...items]));
      await assert.rejects(loadSpecFromArgs({ files: [file], mode: "tolerant" }), (e: Error) => {
        assert.match(e.message, /status\.podIPs\[0\].*must be a mapping/);
        return true;
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a deferred list outside the fast reader's YAML is read by the YAML library", async () => {
  const anchored = running("10.244.1.5").replace(
    "      lastState: {}\n",
    "      lastState: &last\n        terminated:\n          exitCode: 0\n      lastStateCopy: *last\n",
  );
  await bothWays([pod("a", "001", anchored)], (whole, [a]) => {
    assert.deepEqual(a.status.containerStatuses, whole[0].status.containerStatuses);
  });
});

test("a pod the API server did not return (no uid) is read whole", async () => {
  const manifest = pod("m", "001", running("10.244.1.5")).replace(/ {4}uid: .*\n/, "");
  await bothWays([manifest], (whole, [m]) => {
    for (const k of LISTS) assert.ok(!isDeferred(m.status, k), k);
    assert.equal(JSON.stringify(inFull(m)), JSON.stringify(whole[0]));
  });
});

test("the reader hands a list of mappings below its key to the sink, anything else it reads", () => {
  const text = `a:\n  l:\n  - x: 1\n    y: 2\n  # between\n  - x: 3\n  m:\n    k: v\n  q:\n  - 5\n  o: 7\n`;
  const rules = skipRules({ a: { l: DEFER, m: DEFER, q: DEFER, o: DEFER } });
  const got: string[] = [];
  const sink: DeferSink = (o, key, s, _b, start, end) => {
    got.push(`${key}=${JSON.stringify(s.slice(start, end))}`);
    Object.defineProperty(o, key, { value: "deferred", enumerable: true, configurable: true, writable: true });
    return true;
  };
  const r = fastRead(text, rules, undefined, sink);
  assert.ok(r !== undefined && typeof r === "object");
  assert.deepEqual(got, [`l=${JSON.stringify("  - x: 1\n    y: 2\n  # between\n  - x: 3\n")}`]);
  assert.deepEqual(r.value, { a: { l: "deferred", m: { k: "v" }, q: [5], o: 7 } });
  assert.equal(r.deferred, true);
  // A sink that declines: read at once, as without the rule.
  const plain = fastRead(text, rules, undefined, () => false);
  assert.ok(plain !== undefined && typeof plain === "object");
  assert.deepEqual(plain.value, (fastRead(text) as { value: unknown }).value);
  assert.equal(plain.deferred, false);
});

test("building the state and reach read no deferred list", async () => {
  const items = [pod("a", "001", running("10.244.1.5")), pod("b", "002", running("10.244.1.6", '"False"'))];
  const dir = mkdtempSync(join(tmpdir(), "podnet-deferred-"));
  try {
    const file = join(dir, "split.yaml");
    writeFileSync(file, list([...items, PAD]));
    const { spec, state } = await loadCluster({ files: [file], mode: "tolerant" });
    computeReach(state, {});
    const pods = spec.objects.filter((o) => o.kind === "Pod");
    for (const p of pods) for (const k of LISTS) assert.ok(isDeferred(p.status, k), `${p.metadata.name} ${k}`);
    const ready = Object.fromEntries(state.pods.filter((p) => p.observed).map((p) => [p.name, p.ready]));
    assert.deepEqual(ready, { a: true, b: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
