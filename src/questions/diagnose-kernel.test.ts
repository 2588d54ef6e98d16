// diagnose --name's comparison, without a kernel: iproute2's output shapes parsed, and a
// kernel (a fake KernelIO) that answers differently from the model on every point.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { RunResult } from "../linux/exec.js";
import type { KernelIO } from "../linux/diagnose-io.js";
import { loadCluster } from "../load/cluster.js";
import { diagnose, type DiagnoseSeen } from "./diagnose.js";
import { diagnoseKernel, kernelRoute, modelRoute } from "./diagnose-kernel.js";
import { modelSession } from "./trace.js";

const EXAMPLE = fileURLToPath(new URL("../../../examples/demo", import.meta.url));

test("routes: the trace's ROUTED text and `ip -o route get`'s line (iproute2 ip/iproute.c print_route)", () => {
  assert.deepEqual(modelRoute("route 10.96.0.10: via 10.244.2.1 dev eth0"), {
    dst: "10.96.0.10",
    via: "10.244.2.1",
    dev: "eth0",
    local: false,
  });
  assert.deepEqual(modelRoute("outer route 192.168.1.3: dev eth0 (directly connected)"), {
    dst: "192.168.1.3",
    dev: "eth0",
    local: false,
  });
  assert.equal(modelRoute("route 10.244.1.5: local (delivered in this namespace)")?.local, true);
  assert.deepEqual(kernelRoute("10.244.1.5 via 10.244.1.0 dev flannel.1 src 10.244.2.0 uid 0 \\    cache "), {
    via: "10.244.1.0",
    dev: "flannel.1",
    local: false,
    unreachable: false,
  });
  assert.equal(kernelRoute("local 10.244.1.5 dev lo table local src 10.244.1.5 uid 0").local, true);
  assert.equal(kernelRoute("").unreachable, true);
});

/** A kernel that routes everything out of eth9, has no FDB entries or sockets, and drops the connection. */
function wrongKernel(): KernelIO & { asked: string[][] } {
  const asked: string[][] = [];
  const ok = (stdout: string): RunResult => ({ code: 0, stdout, stderr: "" });
  return {
    asked,
    exec: async (_ns, argv) => {
      asked.push(argv);
      if (argv[0] === "ip" && argv[2] === "route") return ok(`${argv[4]} dev eth9 src 10.9.9.9 uid 0\n`);
      if (argv[0] === "ip" && argv[1] === "neigh") return ok(`${argv[4]} dev ${argv[6]} FAILED\n`);
      return ok("");
    },
    probeMany: async () => new Map(),
    probe: async (_ns, req) => {
      const counts: Record<string, number> = req.probe === "resolve" ? { notfound: 1 } : { dropped: req.tries };
      return { counts, tries: req.tries };
    },
  };
}

test("diagnoseKernel: every point where the kernel answers otherwise is a difference, by check", async () => {
  const { state } = await loadCluster({ files: [EXAMPLE] });
  const session = modelSession(state);
  const app = (a: string) => state.pods.filter((p) => p.labels.app === a && p.namespace === "default");
  const from = app("order-app")[0];
  const seen: DiagnoseSeen = {};
  const d = diagnose(session, { from: `default/${from.name}`, to: "user-service" }, seen);
  assert.equal(d.first_failure, null, "the model delivers it");
  const io = wrongKernel();
  const k = await diagnoseKernel("c1", session.ir, d, seen, io);
  const by = (code: string) => k.findings.filter((f) => f.code === code);
  assert.equal(by("dns.resolve")[0].agree, false);
  assert.equal(by("connect")[0].agree, false);
  assert.match(by("connect")[0].kernel, /^dropped ×/);
  assert.ok(by("path.route").length >= 2 && by("path.route").every((f) => f.agree === false));
  // Learnt neighbours that failed differ; PERMANENT ones (flannel's VTEP neighbours) are missing.
  assert.ok(by("path.neigh").length > 0 && by("path.neigh").every((f) => f.agree === false));
  assert.ok(by("path.fdb").every((f) => f.agree === false && f.kernel === "(no entry)"));
  assert.ok(by("listener").length === 2 && by("listener").every((f) => f.agree === false));
  assert.equal(k.differ, k.findings.filter((f) => f.agree === false).length);
  // Read-only commands only.
  for (const argv of io.asked) assert.ok(["ip", "bridge", "ss"].includes(argv[0]), argv.join(" "));
  assert.ok(io.asked.every((a) => !a.some((w) => /^(add|del|delete|replace|flush|change|set)$/.test(w))));
});
