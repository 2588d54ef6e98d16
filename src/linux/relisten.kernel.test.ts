// A live change that moves a pod's listeners (root): app's container declares no port, so
// it is taken to listen where its Service sends (containerPort is informational: kubernetes
// core/v1 types.go ContainerPort). `podnet apply --name` of the Service with a new
// targetPort must leave app listening on the new port and no longer on the old one, as
// the model says (verify agrees). All or nothing: when the kernel refuses a later step of
// that change, the rollback puts app's server back on its old port, and no process of
// the change is left. After `down` the root namespace is as it was.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { KubeObject } from "../manifest/types.js";
import { parseAllDocuments } from "yaml";
import { formatVerify, verify } from "../questions/verify.js";
import { ChangeFailed, applyLiveChange } from "./live.js";
import type { SupervisorConfig } from "./supervisor.js";
import { readChanges, readRecord, stillOurs } from "./state.js";
import { connectFrom, failingRunner, kernelSkip, rootSnapshot } from "./testing.js";

const skip = kernelSkip(["ip", "python3", "iptables-save"]);
const bin = fileURLToPath(new URL("../../../bin/podnet.js", import.meta.url));
const dir = fileURLToPath(new URL("../../../src/linux/testdata/relisten/", import.meta.url));
const cluster = `jrl${randomBytes(2).toString("hex")}`;
const files = ["-f", `${dir}manifests.yaml`, "--config", `${dir}cluster.yaml`];

const podnet = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

/** From client: app's pod IP on 8080 and 9090, and its Service: "ok" or the error's name. */
const probe = (appIP: string, svcIP: string) =>
  connectFrom(
    cluster,
    "client",
    [
      [appIP, 8080],
      [appIP, 9090],
      [svcIP, 80],
    ],
    { timeout: 2 },
  );

async function verified(what: string) {
  const rep = await verify({ cluster });
  assert.ok(rep.flows > 0, `${what}: flows were run`);
  assert.equal(rep.disagree, 0, `${what}: model and kernel disagree:\n${formatVerify(rep)}`);
}

/** The recorded processes: PID, role, config (pod servers), whether each still runs. */
const recorded = () =>
  (readRecord(cluster)?.processes ?? []).map((p) => ({ pid: p.pid, role: p.role, marker: p.marker, up: stillOurs(p) }));

test("kernel: a live change that moves a pod's assumed listener restarts its server there, all or nothing", {
  skip,
  timeout: 300_000,
}, async () => {
  const before = rootSnapshot();
  podnet("down", "--name", cluster);
  try {
    const u = podnet("up", "--name", cluster, ...files);
    assert.equal(u.status, 0, u.stderr);
    const pods = readRecord(cluster)!.pods!;
    const appIP = pods.find((p) => p.name === "app")!.ip!;
    const g = podnet("get", "svc", "app", ...files);
    const svcIP = g.stdout.split("\n")[1].split(/\s+/)[2];
    assert.deepEqual(probe(appIP, svcIP), ["ok", "ConnectionRefusedError", "ok"]);

    // The change, with the first node's rule load refused by the kernel: rolled back.
    const change = {
      op: "apply" as const,
      objects: parseAllDocuments(readFileSync(`${dir}service-9090.yaml`, "utf8")).map((d) => d.toJS() as KubeObject),
    };
    const procs0 = recorded();
    const runner = failingRunner((a) => a.includes("exec") && a.includes("iptables-restore"), 1);
    const err = await applyLiveChange(cluster, () => change, undefined, { runner }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ChangeFailed, `the change fails: ${String(err)}`);
    assert.equal(err.rollbackError, null, "the rollback finished");
    assert.match(err.message, /pod servers back on their listeners: default\/app/);
    assert.deepEqual(readChanges(cluster), [], "nothing recorded");
    assert.deepEqual(probe(appIP, svcIP), ["ok", "ConnectionRefusedError", "ok"], "app on its old port");
    const procs1 = recorded();
    assert.ok(
      procs1.every((p) => p.up),
      `every recorded process runs: ${JSON.stringify(procs1)}`,
    );
    // The old pod server closed app's sockets for good: the rollback's own generation serves
    // app on its old port, the change's is gone (one new process, not two).
    const old = new Set(procs0.map((p) => p.pid));
    assert.ok(
      procs0.every((p) => procs1.some((q) => q.pid === p.pid)),
      "the processes from before run",
    );
    const extra = procs1.filter((p) => !old.has(p.pid));
    assert.equal(extra.length, 1, `one new process: ${JSON.stringify(extra)}`);
    assert.equal(extra[0].role, "supervisor");
    const cfg = JSON.parse(readFileSync(extra[0].marker, "utf8")) as SupervisorConfig;
    assert.deepEqual(
      cfg.pods.map((p) => `${p.name} ${p.listeners.map((l) => l.port)}`),
      ["app 8080"],
    );
    await verified("after the rollback");

    // The same change through the CLI: app's server moves to 9090.
    const a = podnet("apply", "--name", cluster, "-f", `${dir}service-9090.yaml`);
    assert.equal(a.status, 0, a.stderr);
    assert.match(a.stdout, /pod servers restarted on new listeners: default\/app/);
    assert.deepEqual(probe(appIP, svcIP), ["ConnectionRefusedError", "ok", "ok"]);
    await verified("after the change");
  } finally {
    const d = podnet("down", "--name", cluster);
    assert.equal(d.status, 0, d.stderr);
  }
  assert.deepEqual(rootSnapshot(), before);
});
