// Test-only helpers for tests that need the real kernel: a scratch network namespace
// (podnet-test-<random>) that is always deleted, and the skip/fail rule: without root
// or a tool the test skips with a message, unless PODNET_REQUIRE_KERNEL=1 (CI), where
// a would-be skip fails.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { toolsMissingReason } from "./tools.js";
export const REQUIRE_KERNEL = process.env.PODNET_REQUIRE_KERNEL === "1";
export function kernelMissing(tools = ["ip", "iptables-restore", "nft"]) {
    if (process.getuid?.() !== 0)
        return "not root";
    return toolsMissingReason(tools);
}
/** Skips (or fails under PODNET_REQUIRE_KERNEL=1) when the kernel can't be used; returns whether to go on. */
export function requireKernel(t, tools) {
    const why = kernelMissing(tools);
    if (!why)
        return true;
    if (REQUIRE_KERNEL)
        assert.fail(`kernel test required (PODNET_REQUIRE_KERNEL=1) but ${why}`);
    t.skip(`kernel test skipped: ${why}`);
    return false;
}
export function runIn(ns, argv, input) {
    const r = spawnSync("ip", ["netns", "exec", ns, ...argv], { input, encoding: "utf8", maxBuffer: 1 << 28 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
export function withScratchNetns(t, body, tools) {
    if (!requireKernel(t, tools))
        return;
    const ns = "podnet-test-" + randomBytes(4).toString("hex");
    const add = spawnSync("ip", ["netns", "add", ns], { encoding: "utf8" });
    assert.equal(add.status, 0, add.stderr);
    try {
        body(ns);
    }
    finally {
        spawnSync("ip", ["netns", "del", ns]);
    }
}
//# sourceMappingURL=kernel.js.map