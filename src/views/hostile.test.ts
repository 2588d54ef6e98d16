// A live cluster's dump edited by hand can hold any value anywhere. Whatever podnet cannot
// read must be an error naming the field (SpecError), never a crash: the kind dump, with a
// few values replaced at random (wrong types, nulls, out-of-range numbers, bad addresses) or
// removed, is loaded as the reading commands load it, and asked `reach`, `get -o wide` and
// `describe`. (This found ownerReferences, status lists and annotation values of the wrong
// shape crashing the inference, the model and the views. src/cli/hostile.test.ts runs
// hand-written hostile cases through the CLI.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { loadCluster } from "../load/cluster.js";
import { packageRoot } from "../load/input.js";
import { SpecError } from "../manifest/errors.js";
import type { KubeObject } from "../manifest/types.js";
import type { ClusterState } from "../control/state.js";
import { computeReach } from "../questions/reach.js";
import { proxyModes } from "../proxy/index.js";
import { proxyLayers } from "../proxy/mode.js";
import { renderIptables } from "../ir/render-iptables.js";
import { renderNft } from "../ir/render-nft.js";
import { mulberry32 as rng } from "../testing/random.js";
import { describePod } from "./describe.js";
import { describeCronJob } from "./describe-objects.js";
import { findResource, getView } from "./get.js";
import { replicasets } from "./get-workloads.js";
import {
  describeDaemonSet,
  describeReplicaSet,
  describeReplicationController,
  describeStatefulSet,
} from "./describe-workloads.js";

const WORKLOAD_DESCRIBERS: Record<string, (s: ClusterState, o: KubeObject) => string> = {
  DaemonSet: describeDaemonSet,
  StatefulSet: describeStatefulSet,
  ReplicationController: describeReplicationController,
};

const VALUES: unknown[] = [
  null,
  0,
  -1,
  65536,
  1e300,
  "",
  "x",
  "999.1.1.1",
  "10.244.0.0/33",
  "::1",
  [],
  {},
  [1],
  { a: 1 },
  true,
  "TCP",
  "None",
  "10.96.0.10",
  "a".repeat(300),
  "kind-worker",
  "Running",
  "NodePort",
  -0.5,
  "80",
];

/** Every field's path in v. */
function paths(v: unknown, p: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (v && typeof v === "object")
    for (const k of Object.keys(v)) {
      const q = [...p, Array.isArray(v) ? Number(k) : k];
      out.push(q);
      paths((v as Record<string, unknown>)[k], q, out);
    }
  return out;
}

/**
 * The fixture with 1-3 values replaced at random (or removed), N times, each loaded as the
 * reading commands load it and asked `ask`: a SpecError naming the file's line, or an answer.
 */
async function hostileEdits(
  fixture: string,
  seed: number,
  N: number,
  ask: (state: ClusterState) => void,
  only: (p: (string | number)[]) => boolean = () => true,
) {
  const base = parse(readFileSync(join(packageRoot(), "examples", "snapshots", fixture), "utf8"));
  const all = paths(base.items).filter(only);
  const r = rng(seed);
  const dir = mkdtempSync(join(tmpdir(), "podnet-hostile-"));
  let refused = 0;
  try {
    for (let n = 0; n < N; n++) {
      const doc = structuredClone(base);
      for (let k = 1 + Math.floor(r() * 3); k > 0; k--) {
        const p = all[Math.floor(r() * all.length)];
        let o = doc.items;
        for (const x of p.slice(0, -1)) o = o?.[x];
        if (!o || typeof o !== "object") continue;
        if (r() < 0.15) delete o[p.at(-1)!];
        else o[p.at(-1)!] = VALUES[Math.floor(r() * VALUES.length)];
      }
      const file = join(dir, `edit-${n}.yaml`);
      writeFileSync(file, stringify(doc));
      try {
        const { state } = await loadCluster({ files: [file], mode: "tolerant" });
        ask(state);
      } catch (e) {
        if (!(e instanceof SpecError)) assert.fail(`edit ${n}: ${(e as Error)?.stack ?? e}`);
        assert.match(e.message, new RegExp(`edit-${n}\\.yaml:\\d+`));
        refused++;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return refused;
}

test("a dump with values replaced at random: an error naming the field or an answer, never a crash", async () => {
  const N = 120;
  const refused = await hostileEdits("kind-flannel.yaml", 4242, N, (state) => {
    computeReach(state);
    getView(state, findResource("pods")!, { output: "wide", allNamespaces: true });
    getView(state, findResource("services")!, { output: "wide", allNamespaces: true });
    for (const p of state.pods) describePod(state, p);
    for (const r of replicasets.items(state)) describeReplicaSet(state, r.value);
    for (const o of state.workloads) WORKLOAD_DESCRIBERS[o.kind]?.(state, o);
  });
  // Both outcomes are drawn: edits that are refused, and edits the commands read through.
  assert.ok(refused > 3 && refused < N - 3, `refused ${refused} of ${N}`);
});

test("CronJobs with values replaced at random: reach, get and describe never crash", async () => {
  const N = 80;
  const refused = await hostileEdits("cronjobs.yaml", 77, N, (state) => {
    computeReach(state);
    getView(state, findResource("cronjobs")!, { output: "wide", allNamespaces: true });
    getView(state, findResource("jobs")!, { output: "wide", allNamespaces: true });
    for (const o of state.objects ?? []) if (o.kind === "CronJob") describeCronJob(state, o);
  });
  assert.ok(refused < N - 3, `refused ${refused} of ${N}`);
});

test("zone hints, zones and trafficDistribution replaced at random: every node's kube-proxy rules build", async () => {
  const N = 80;
  // Only the fields topology-aware routing reads: the hints, the zones, the nodes' labels, the Service's spec.
  const topo = (p: (string | number)[]) =>
    p.some((x) => x === "hints" || x === "zone" || x === "trafficDistribution" || x === "labels");
  await hostileEdits(
    "kind-zones.yaml",
    2718,
    N,
    (state) => {
      for (const mode of [proxyModes.iptables, proxyModes.nftables, proxyModes.ipvs]) {
        const shared = mode.shared(state);
        for (const n of state.nodes) {
          const layers = proxyLayers(shared, mode.perNode(state, n, shared));
          renderIptables(layers.iptables);
          renderNft(layers.nftables);
        }
      }
      getView(state, findResource("endpointslices")!, { output: "yaml", allNamespaces: true });
    },
    topo,
  );
});
