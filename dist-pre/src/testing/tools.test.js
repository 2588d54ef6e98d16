// The skip path of a fresh machine: with a PATH that lacks iptables-restore and dig, a test
// that needs them skips and names them with their Debian packages; under
// PODNET_REQUIRE_KERNEL=1 the same check fails instead.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { missingTools, packageOf, toolSkip } from "./tools.js";
function fakePath(commands) {
    const dir = mkdtempSync(join(tmpdir(), "podnet-path-"));
    for (const c of commands) {
        writeFileSync(join(dir, c), "#!/bin/sh\nexit 0\n");
        chmodSync(join(dir, c), 0o755);
    }
    return dir;
}
test("tools: a PATH without iptables-restore and dig: both missing, the rest found", () => {
    const dir = fakePath(["ip", "nft", "curl"]);
    try {
        assert.deepEqual(missingTools(["ip", "iptables-restore", "nft", "dig", "curl"], dir), ["iptables-restore", "dig"]);
        // A file that is not executable is not a command.
        writeFileSync(join(dir, "dig"), "");
        assert.deepEqual(missingTools(["dig"], dir), ["dig"]);
    }
    finally {
        rmSync(dir, { recursive: true, force: true });
    }
});
test("tools: the test skips, naming the commands and the packages to install — never fails", () => {
    const dir = fakePath(["ip"]);
    try {
        const skip = toolSkip(["ip", "iptables-restore", "dig"], { path: dir, require: false });
        assert.equal(skip, "skipped: needs iptables-restore, dig (apt-get install iptables dnsutils)");
        assert.equal(toolSkip(["ip"], { path: dir, require: false }), false);
    }
    finally {
        rmSync(dir, { recursive: true, force: true });
    }
});
test("tools: under PODNET_REQUIRE_KERNEL=1 a missing command is a failure", () => {
    const dir = fakePath([]);
    try {
        assert.throws(() => toolSkip(["dig"], { path: dir, require: true }), /PODNET_REQUIRE_KERNEL=1 but a test needs dig \(apt-get install dnsutils\)/);
    }
    finally {
        rmSync(dir, { recursive: true, force: true });
    }
});
test("tools: packages as Debian names them", () => {
    assert.equal(packageOf("dig"), "dnsutils");
    assert.equal(packageOf("iptables-restore"), "iptables");
    assert.equal(packageOf("bird"), "bird2");
    assert.equal(packageOf("nft"), "nftables");
});
//# sourceMappingURL=tools.test.js.map