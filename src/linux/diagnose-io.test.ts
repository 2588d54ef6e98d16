import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { batchedExec, pickNeighbour, splitRouteBatch } from "./diagnose-io.js";
import type { Runner } from "./exec.js";

// No namespace: a runner that drops "ip netns exec NS" and runs the rest here, counting calls.
function localRunner(): Runner & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    dryRun: false,
    log: [],
    calls,
    async run(argv) {
      calls.push(argv);
      const a = argv.slice(4);
      const r = spawnSync(a[0], a.slice(1), { encoding: "utf8" });
      return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
    },
  };
}

test("commands for one namespace in one tick share a shell; each gets its own output and code", async () => {
  const runner = localRunner();
  const ex = batchedExec("cx", runner);
  const rs = await Promise.all([
    ex("node/w1", ["echo", "hello world"]),
    ex("node/w1", ["sh", "-c", "printf 'no newline'; echo err >&2; exit 3"]),
    ex("node/w1", ["true"]),
    ex("node/w1", ["printf", "it's %s\\n", "$HOME"]),
    ex("node/w2", ["echo", "alone"]),
  ]);
  assert.deepEqual(rs, [
    { code: 0, stdout: "hello world\n", stderr: "" },
    { code: 3, stdout: "no newline", stderr: "err\n" },
    { code: 0, stdout: "", stderr: "" },
    { code: 0, stdout: "it's $HOME\n", stderr: "" },
    { code: 0, stdout: "alone\n", stderr: "" },
  ]);
  assert.equal(runner.calls.length, 2, "one shell for w1, one command for w2");
  assert.deepEqual(runner.calls[1].slice(0, 3), ["ip", "netns", "exec"]);
});

// iproute2 ip/ip.c batch(): with -force a failed command prints its error, then
// "Command failed -:N" (N its line), and the batch goes on; -o prints a route on one line.
test("route gets in one ip -batch: each destination gets its line or its error", () => {
  const r = {
    code: 1,
    stdout:
      "10.244.1.5 via 10.244.1.0 dev flannel.1 src 10.244.0.0 uid 0 \\    cache \n" +
      "local 10.244.0.7 dev lo src 10.244.0.7 uid 0 \\    cache <local> \n",
    stderr: "RTNETLINK answers: Network is unreachable\nCommand failed -:2\n",
  };
  const got = splitRouteBatch(["10.244.1.5", "10.99.0.1", "10.244.0.7"], r);
  assert.deepEqual(
    got.map((x) => x.code),
    [0, 2, 0],
  );
  assert.match(got[0].stdout, /^10\.244\.1\.5 via 10\.244\.1\.0 dev flannel\.1 /);
  assert.equal(got[1].stderr, "RTNETLINK answers: Network is unreachable\n");
  assert.match(got[2].stdout, /^local 10\.244\.0\.7 dev lo /);
  // A line for another address (the batch stopped early): no answer is taken for the wrong one.
  const short = splitRouteBatch(["10.0.0.1", "10.0.0.2"], { code: 255, stdout: "10.0.0.2 dev eth0\n", stderr: "" });
  assert.deepEqual(
    short.map((x) => x.code),
    [1, 1],
  );
});

test("a neighbour out of the whole table reads as `ip neigh show to IP dev DEV` prints it", () => {
  const table =
    "10.244.0.2 dev cni0 lladdr 4e:fe:a5:df:de:45 STALE \n" +
    "10.244.3.0 dev flannel.1 lladdr aa:07:bf:8c:00:79 PERMANENT \n" +
    "10.244.0.9 dev cni0 FAILED \n";
  assert.equal(pickNeighbour(table, "10.244.3.0", "flannel.1"), "10.244.3.0 lladdr aa:07:bf:8c:00:79 PERMANENT\n");
  assert.equal(pickNeighbour(table, "10.244.0.9", "cni0"), "10.244.0.9 FAILED\n");
  assert.equal(pickNeighbour(table, "10.244.0.2", "eth0"), "");
  assert.equal(pickNeighbour(table, "10.244.0.22", "cni0"), "");
});

test("route gets and neighbour reads of one namespace in one tick are one process each", async () => {
  const calls: { argv: string[]; input: string }[] = [];
  const runner: Runner = {
    dryRun: false,
    log: [],
    async run(argv, input = "") {
      calls.push({ argv, input });
      if (argv.includes("-batch"))
        return { code: 0, stdout: "10.0.0.1 dev eth0 src 10.0.0.9\n10.0.0.2 via 10.0.0.1 dev eth0\n", stderr: "" };
      return { code: 0, stdout: "10.0.0.1 dev eth0 lladdr 02:00:00:00:00:01 REACHABLE\n", stderr: "" };
    },
  };
  const ex = batchedExec("cx", runner);
  const [a, b, c, n] = await Promise.all([
    ex("node/w1", ["ip", "-o", "route", "get", "10.0.0.1"]),
    ex("node/w1", ["ip", "-o", "route", "get", "10.0.0.2"]),
    ex("node/w1", ["ip", "-o", "route", "get", "10.0.0.1"]),
    ex("node/w1", ["ip", "neigh", "show", "to", "10.0.0.1", "dev", "eth0"]),
  ]);
  assert.equal(a.stdout, "10.0.0.1 dev eth0 src 10.0.0.9\n");
  assert.equal(b.stdout, "10.0.0.2 via 10.0.0.1 dev eth0\n");
  assert.deepEqual(c, a);
  assert.equal(n.stdout, "10.0.0.1 lladdr 02:00:00:00:00:01 REACHABLE\n");
  assert.equal(calls.length, 2);
  assert.deepEqual(calls[0].argv, ["ip", "-n", "podnet-cx.node.w1", "-o", "-force", "-batch", "-"]);
  assert.equal(calls[0].input, "route get 10.0.0.1\nroute get 10.0.0.2\n");
  assert.deepEqual(calls[1].argv, ["ip", "-n", "podnet-cx.node.w1", "neigh", "show"]);
});
