// `podnet observe` under a short flood (issue 17 §4/§6), on a real cluster (root): a client
// on worker-1 opens ~2,000 TCP connections/s for 2 s to a pod on worker-2 (py/observe_flood.c),
// and the observer must have lost nothing and seen every connection on both nodes.
// Expected counts from conntrack's semantics, not from podnet: each node's namespace has its
// own conntrack table (per netns), the first packet of a connection creates one entry and
// one IPCTNL_MSG_CT_NEW event with NLM_F_CREATE (net/netfilter/nf_conntrack_netlink.c
// ctnetlink_conntrack_event), and the handshake's final ACK moves it to ESTABLISHED
// (nf_conntrack_proto_tcp.c tcp_conntracks: sSR -ACK-> sES), one UPDATE event. So per node:
// NEW events == connections opened == ESTABLISHED events, when none is lost.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { ObservedEvent } from "../ir/flowlog.js";
import { compileObserve } from "./observe-cc.js";
import { ensureObserver, readObserver, type ObserveStatus } from "./observe.js";
import { readRecord } from "./state.js";
import { kernelSkip, rootSnapshot } from "./testing.js";

const skip = kernelSkip(["ip", "nft", "gcc"]);
const bin = fileURLToPath(new URL("../../../bin/podnet.js", import.meta.url));
const dir = fileURLToPath(new URL("../../../src/linux/testdata/observe/", import.meta.url));
const cluster = `cfl${randomBytes(2).toString("hex")}`;
const PORT = 9000;
const podnet = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

test("kernel: observe sees every connection of a 2 s flood on both nodes and loses nothing", {
  skip,
  timeout: 90_000,
}, async () => {
  const before = rootSnapshot();
  const tmp = mkdtempSync(join(tmpdir(), "podnet-observe-flood-"));
  // The ring must hold the whole flood (~8 events a connection): read after, not followed.
  process.env.PODNET_OBSERVE_RING = String(1 << 19);
  try {
    const tool = compileObserve("observe_flood", tmp);
    assert.ok(tool.path, tool.error);
    const u = podnet("up", "--name", cluster, "-f", `${dir}manifests.yaml`, "--config", `${dir}cluster.yaml`);
    assert.equal(u.status, 0, u.stderr);
    await ensureObserver(cluster);
    const web = readRecord(cluster)?.pods?.find((p) => p.name === "web")?.ip;
    assert.ok(web, "web has an address");
    const acc = spawn(
      process.execPath,
      [bin, "exec", "--name", cluster, "web", "--", tool.path, "accept", `${PORT}`, "8"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let accOut = "";
    acc.stdout.on("data", (d: Buffer) => (accOut += d.toString()));
    for (let i = 0; i < 100 && !accOut.includes("listening"); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(accOut, /listening/);
    const g = podnet(
      "exec",
      "--name",
      cluster,
      "client",
      "--",
      tool.path,
      "connect",
      web,
      `${PORT}`,
      "2",
      "2000",
      "256",
    );
    acc.kill("SIGTERM");
    assert.equal(g.status, 0, g.stderr);
    const [done, failed] = g.stdout.trim().split(/\s+/).map(Number);
    assert.equal(failed, 0, "every connection completed");
    assert.ok(done >= 1000, `the flood opened ${done} connections`);

    // Read everything the observer holds until both nodes show the flood (the readers drain
    // within a few hundred ms), then count.
    let nw = new Map<string, number>();
    let est = new Map<string, number>();
    let st: ObserveStatus | undefined;
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 250));
      nw = new Map();
      est = new Map();
      await readObserver(
        cluster,
        { last: 1 << 19, follow: false },
        (e: ObservedEvent) => {
          if (e.proto !== "tcp" || e.orig.dst.ip !== web || e.orig.dst.port !== PORT) return;
          if (e.kind === "NEW") nw.set(e.node, (nw.get(e.node) ?? 0) + 1);
          else if (e.state === "ESTABLISHED") est.set(e.node, (est.get(e.node) ?? 0) + 1);
        },
        (s) => (st = s),
      );
      if (nw.get("worker-1") === done && nw.get("worker-2") === done) break;
    }
    assert.ok(st, "the observer sent its status");
    assert.ok(st.seen < 1 << 19, `the ring held the flood (${st.seen} events)`);
    assert.deepEqual(
      { lost: st.lost, conntrackLost: st.conntrackLost, overruns: st.overruns, errors: st.readerErrors },
      { lost: 0, conntrackLost: 0, overruns: 0, errors: [] },
      "nothing lost",
    );
    for (const node of ["worker-1", "worker-2"]) {
      assert.equal(nw.get(node), done, `${node}: one NEW event per connection`);
      assert.equal(est.get(node), done, `${node}: one ESTABLISHED event per connection`);
    }
  } finally {
    delete process.env.PODNET_OBSERVE_RING;
    const d = podnet("down", "--name", cluster);
    rmSync(tmp, { recursive: true, force: true });
    assert.equal(d.status, 0, d.stderr);
  }
  assert.deepEqual(rootSnapshot(), before);
});
