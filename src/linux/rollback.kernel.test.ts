// Real-kernel tests (root) of the two guarantees a running cluster's commands give:
//  - a change is all or nothing: a kernel failure injected part-way through a live change
//    (a rule set the kernel refuses on the second node, a CNI ADD that fails on the
//    second new pod) leaves the change log as it was, the kernel as the previous model says
//    (verify 100 %, the rules as they were, no process of the change left), and a
//    following unrelated change works;
//  - one `up` per name: two `podnet up` of one name at once — exactly one succeeds, the
//    other says the cluster is being brought up (or exists), and the winner's cluster is
//    whole (verify 100 %).
// The failures are real kernel refusals: the injected runner appends a line the tool
// rejects to the chosen command's input (iptables-restore has then committed its tables:
// a half-applied command, the harder case; nft -f refuses the whole transaction).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Change } from "../control/changes.js";
import type { ClusterState } from "../control/state.js";
import { formatVerify, verify } from "../questions/verify.js";
import { clusterNamespaces, down, up } from "./cluster.js";
import { ChangeFailed, applyLiveChange } from "./live.js";
import { netfilterRenderers } from "./netfilter.js";
import { readChanges, readRecord, stillOurs } from "./state.js";
import { failingRunner, kernelSkip } from "./testing.js";

const EXAMPLE = fileURLToPath(new URL("../../../examples/demo", import.meta.url));
const BIN = fileURLToPath(new URL("../../../bin/podnet.js", import.meta.url));
const skip = kernelSkip(["ip", "python3", "iptables-save", "nft", "flock"]);
const uniq = (base: string) => `${base}-${randomBytes(3).toString("hex")}`;

/** What the kernel holds that a failed change must leave as it was: per node, its rules. */
function rulesOf(cluster: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of readRecord(cluster)?.nodes ?? []) {
    const sh = (c: string) => spawnSync("ip", ["netns", "exec", n.netns, "sh", "-c", c], { encoding: "utf8" }).stdout;
    out[n.name] =
      sh("iptables-save | grep -v '^#' | sed -e 's/\\[[0-9]*:[0-9]*\\]//'") + sh("nft list ruleset 2>/dev/null");
  }
  return out;
}

/**
 * PIDs of processes whose command line names the cluster's state dir (the lock helpers
 * aside), children of such a process left out: a pod server runs under its recorded
 * watchdog (supervisor.ts), which is the process the record names.
 */
function clusterPids(cluster: string): number[] {
  const ppid = (pid: number) =>
    Number(
      readFileSync(`/proc/${pid}/stat`, "utf8")
        .replace(/^.*\) /s, "")
        .split(" ")[1],
    );
  const all = clusterProcs(cluster);
  const set = new Set(all);
  return all.filter((pid) => {
    try {
      return !set.has(ppid(pid));
    } catch {
      return false; // gone
    }
  });
}

function clusterProcs(cluster: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const c = readFileSync(`/proc/${d}/cmdline`, "utf8");
      if (
        (c.includes(`/run/podnet/${cluster}/`) || c.includes(`/run/podnet/${cluster}\0`)) &&
        !c.includes("podnet-lock")
      )
        out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out.sort((a, b) => a - b);
}

async function verified(t: { diagnostic: (s: string) => void }, cluster: string, what: string) {
  const rep = await verify({ cluster });
  t.diagnostic(`${what}: ${formatVerify(rep).split("\n")[0]}`);
  assert.ok(rep.flows > 0, `${what}: flows were run`);
  assert.equal(rep.disagree, 0, `${what}: model and kernel disagree:\n${formatVerify(rep)}`);
}

const scale =
  (name: string, replicas: number, kind = "Deployment"): ((s: ClusterState) => Change) =>
  () => ({
    op: "scale",
    kind,
    namespace: "default",
    name,
    replicas,
  });

interface Case {
  label: string;
  mode: "iptables" | "nftables";
  change: (s: ClusterState) => Change;
  /** The kernel command that fails, and which of the matching ones. */
  match: (argv: string[]) => boolean;
  nth: number;
  /** What the rollback must report having undone. */
  undone: RegExp;
}

const nodeRules = (argv: string[]) =>
  argv.includes("exec") &&
  argv.some((a) => a.includes(".node.")) &&
  argv.some((a) => /^(iptables-restore|nft)$/.test(a));
const podBatch = (argv: string[]) =>
  argv[0] === "ip" && argv[1] === "-n" && argv[2].includes(".pod.") && argv.includes("-batch");

const CASES: Case[] = [
  {
    label: "iptables: scale up, the second node's iptables-restore half-applied and failed",
    mode: "iptables",
    change: scale("user-app", 5),
    match: nodeRules,
    nth: 2,
    undone: /pods the change had added removed: .*user-app.*rules restored on/,
  },
  {
    label: "nftables: scale up, the second node's nft -f refused",
    mode: "nftables",
    change: scale("user-app", 4),
    match: nodeRules,
    nth: 2,
    undone: /pods the change had added removed: .*user-app.*rules restored on/,
  },
  {
    // The pod goes first (its replacement takes its name), then the replacement's CNI ADD fails.
    label: "nftables: a StatefulSet pod deleted (same name, new IP), the replacement's CNI ADD fails",
    mode: "nftables",
    change: () => ({ op: "delete", kind: "Pod", namespace: "default", name: "web-0" }),
    match: podBatch,
    nth: 1,
    undone: /pods the change had added removed: default\/web-0; pods the change had removed restored: default\/web-0/,
  },
  {
    label: "iptables: scale up by three, the second new pod's CNI ADD fails",
    mode: "iptables",
    change: scale("user-app", 5),
    match: podBatch,
    nth: 2,
    undone: /pods the change had added removed: /,
  },
];

for (const c of CASES) {
  test(`kernel: a live change the kernel refuses part of is rolled back — ${c.label}`, {
    skip,
    timeout: 300_000,
  }, async (t) => {
    const cluster = uniq("a-rb");
    const dir = mkdtempSync(join(tmpdir(), "podnet-rb-"));
    const config = join(dir, "cluster.yaml");
    writeFileSync(
      config,
      readFileSync(join(EXAMPLE, "cluster.yaml"), "utf8").replace(
        "kubeProxyMode: iptables",
        `kubeProxyMode: ${c.mode}`,
      ),
    );
    try {
      const { loadCluster } = await import("../index.js");
      const { buildIR } = await import("../dataplane/build.js");
      const { state } = await loadCluster({ files: [EXAMPLE], config });
      await up({
        cluster,
        ir: buildIR(state),
        inputs: { files: [EXAMPLE], config },
        render: { netfilter: netfilterRenderers },
      });
      // A first change that works: the log is not empty, the rollback must keep it.
      assert.ok(await applyLiveChange(cluster, scale("order-app", 3)));
      const log0 = readChanges(cluster);
      const rec0 = readRecord(cluster)!;
      const rules0 = rulesOf(cluster);
      const pids0 = clusterPids(cluster);
      const ns0 = clusterNamespaces(cluster).sort();

      const runner = failingRunner(c.match, c.nth);
      const lines: string[] = [];
      const err = await applyLiveChange(cluster, c.change, (s) => lines.push(s), { runner }).then(
        () => null,
        (e: unknown) => e,
      );
      t.diagnostic(`failed: ${runner.failed.join(" | ")}`);
      assert.ok(err instanceof ChangeFailed, `the change fails: ${String(err)}`);
      t.diagnostic(err.message);
      assert.equal(err.rollbackError, null, "the rollback finished");
      assert.match(err.message, /podnet-test-refused/, "the kernel's refusal is reported");
      assert.match(err.message, /rolled back, nothing recorded/);
      assert.match(err.message, c.undone);

      assert.deepEqual(readChanges(cluster), log0, "the change log is as it was");
      const rec1 = readRecord(cluster)!;
      const podKeys = (r: typeof rec0) =>
        (r.pods ?? []).map((p) => `${p.namespace}/${p.name} ${p.ip} ${p.node}`).sort();
      assert.deepEqual(podKeys(rec1), podKeys(rec0), "the recorded pods are as they were");
      assert.deepEqual(clusterNamespaces(cluster).sort(), ns0, "the namespaces are as they were");
      assert.deepEqual(rulesOf(cluster), rules0, "every node's rules are as they were");
      for (const p of rec1.processes) assert.ok(stillOurs(p), `recorded process ${p.pid} (${p.role}) runs`);
      // The processes of the change (supervisors of its new pods) are gone; a pod the
      // change removed and the rollback restored has a new supervisor generation.
      const pids1 = clusterPids(cluster);
      assert.deepEqual(
        pids1,
        rec1.processes.map((p) => p.pid).sort((a, b) => a - b),
        "no process left unrecorded",
      );
      if (!/restored: default\/web-0/.test(err.message)) assert.deepEqual(pids1, pids0, "the same processes run");
      await verified(t, cluster, "after the rollback");

      // Later changes work: an unrelated scale, then verify again.
      const res = await applyLiveChange(cluster, scale("users-deployment", 3));
      assert.ok(res);
      assert.equal(res.index, log0.length + 1);
      await verified(t, cluster, "after a following scale");
    } finally {
      await down(cluster);
      rmSync(dir, { recursive: true, force: true });
      assert.deepEqual(clusterNamespaces(cluster), []);
    }
  });
}

/** Runs `podnet ARGS`; resolves with its exit code and output. */
function podnet(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    c.stdout.on("data", (d) => (stdout += d));
    c.stderr.on("data", (d) => (stderr += d));
    c.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

test("kernel: two `podnet up` of one name at once — one succeeds, the other refuses, the winner's cluster is whole", {
  skip,
  timeout: 300_000,
}, async (t) => {
  const cluster = uniq("a-race");
  try {
    const runs = await Promise.all([0, 1, 2].map(() => podnet(["up", "-f", EXAMPLE, "--name", cluster])));
    for (const r of runs)
      t.diagnostic(`exit ${r.code}: ${(r.stdout + r.stderr).trim().split("\n").slice(-2).join(" | ")}`);
    const won = runs.filter((r) => r.code === 0);
    const lost = runs.filter((r) => r.code !== 0);
    assert.equal(won.length, 1, "exactly one up succeeds");
    for (const r of lost) {
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(`cluster "${cluster}" (is being brought up by PID \\d+|exists)`),
        "the loser says who holds the name",
      );
      assert.doesNotMatch(r.stderr, /rolling back| {4}at /, "the loser touched nothing (no rollback, no stack)");
    }
    const rec = readRecord(cluster);
    assert.equal(rec?.phase, "up");
    assert.deepEqual(
      clusterNamespaces(cluster).sort(),
      [...rec!.namespaces].sort(),
      "every namespace of the winner is there",
    );
    await verified(t, cluster, "the winner's cluster");
    // A later up of the same name: it exists.
    const again = await podnet(["up", "-f", EXAMPLE, "--name", cluster]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists/);
  } finally {
    const d = await podnet(["down", "--name", cluster]);
    assert.equal(d.code, 0, d.stderr);
    assert.deepEqual(clusterNamespaces(cluster), []);
  }
});

test("kernel: a live change killed with SIGKILL half-way is undone by the next change", {
  skip,
  timeout: 300_000,
}, async (t) => {
  const cluster = uniq("a-kill");
  try {
    const { loadCluster } = await import("../index.js");
    const { buildIR } = await import("../dataplane/build.js");
    const { state } = await loadCluster({ files: [EXAMPLE] });
    await up({ cluster, ir: buildIR(state), inputs: { files: [EXAMPLE] }, render: { netfilter: netfilterRenderers } });
    const ns0 = clusterNamespaces(cluster).sort();
    const child = spawn(process.execPath, [BIN, "scale", "--name", cluster, "deploy", "user-app", "--replicas", "6"], {
      stdio: "ignore",
    });
    let exited = false;
    child.once("exit", () => (exited = true));
    // Half-way: the new pods' namespaces exist, their CNI ADDs and servers are under way.
    for (let i = 0; i < 2000 && !exited && clusterNamespaces(cluster).length < ns0.length + 2; i++)
      await new Promise((r) => setTimeout(r, 5));
    assert.ok(!exited, "the change was still running (the test's premise)");
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    assert.ok(existsSync(`/run/podnet/${cluster}/change.pending.json`), "the interrupted change left its journal");
    assert.equal(readChanges(cluster).length, 1, "the interrupted change is in the log");

    const lines: string[] = [];
    const res = await applyLiveChange(cluster, scale("users-deployment", 3), (s) => lines.push(s));
    assert.ok(res);
    t.diagnostic(lines.filter((l) => /did not finish|rolling back/.test(l)).join(" | "));
    assert.ok(lines.some((l) => /change 1 \(scale, .*\) did not finish: undone before this change/.test(l)));
    assert.equal(existsSync(`/run/podnet/${cluster}/change.pending.json`), false);
    const log = readChanges(cluster);
    assert.equal(log.length, 1, "only the new change is recorded");
    assert.equal(log[0].change.name, "users-deployment");
    const rec = readRecord(cluster)!;
    assert.equal(rec.pods?.filter((p) => p.name.startsWith("user-app-") && p.namespace === "default").length, 2);
    assert.equal(clusterNamespaces(cluster).length, ns0.length + 1, "the interrupted change's namespaces are gone");
    assert.deepEqual(
      clusterPids(cluster),
      rec.processes.map((p) => p.pid).sort((a, b) => a - b),
    );
    await verified(t, cluster, "after the interrupted change was undone");
  } finally {
    await down(cluster);
    assert.deepEqual(clusterNamespaces(cluster), []);
  }
});

test("kernel: `podnet down` during a live change waits for it; nothing of either is left", {
  skip,
  timeout: 300_000,
}, async (t) => {
  const cluster = uniq("a-dw");
  try {
    const { loadCluster } = await import("../index.js");
    const { buildIR } = await import("../dataplane/build.js");
    const { state } = await loadCluster({ files: [EXAMPLE] });
    await up({ cluster, ir: buildIR(state), inputs: { files: [EXAMPLE] }, render: { netfilter: netfilterRenderers } });
    const ns0 = clusterNamespaces(cluster).length;
    const change = podnet(["scale", "--name", cluster, "deploy", "user-app", "--replicas", "6"]);
    // Half-way: the change's journal is written and its first new namespace exists.
    for (
      let i = 0;
      i < 4000 &&
      !(existsSync(`/run/podnet/${cluster}/change.pending.json`) && clusterNamespaces(cluster).length > ns0);
      i++
    )
      await new Promise((r) => setTimeout(r, 5));
    assert.ok(existsSync(`/run/podnet/${cluster}/change.pending.json`), "the change was under way (the premise)");
    const order: string[] = [];
    const [c, d] = await Promise.all([
      change.then((r) => (order.push("change"), r)),
      podnet(["down", "--name", cluster]).then((r) => (order.push("down"), r)),
    ]);
    t.diagnostic(`change: exit ${c.code} ${c.stderr.trim()} | down: exit ${d.code} ${(d.stdout + d.stderr).trim()}`);
    assert.equal(c.code, 0, `the change finished: ${c.stderr}`);
    assert.match(c.stdout, /pods added: +default\/user-app-/);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stderr, /podnet down: waiting for the change in progress \(PID \d+, since /);
    assert.deepEqual(order, ["change", "down"], "down ended after the change");
    assert.deepEqual(clusterNamespaces(cluster), [], "down removed the change's namespaces too");
    assert.equal(existsSync(`/run/podnet/${cluster}`), false, "no state (journal, lock) is left");
    assert.deepEqual(clusterProcs(cluster), [], "no process of the cluster is left");
    // A change after down: the cluster is gone, and it says so.
    const late = await podnet(["scale", "--name", cluster, "deploy", "user-app", "--replicas", "2"]);
    assert.notEqual(late.code, 0);
    assert.match(late.stderr, /is not up/);
    assert.equal(existsSync(`/run/podnet/${cluster}`), false);
  } finally {
    await down(cluster);
    assert.deepEqual(clusterNamespaces(cluster), []);
  }
});
