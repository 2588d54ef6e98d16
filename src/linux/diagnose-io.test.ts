import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { batchedExec } from "./diagnose-io.js";
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
