import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
const bin = fileURLToPath(new URL("../../../bin/podnet.js", import.meta.url));
const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
const run = (args, opts = asNobody) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", ...opts });
test("podnet up without root: a clear error, exit 1, nothing created", () => {
    const r = run(["up", "--fixture", "--name", "nonroot"]);
    if (r.error)
        return; // cannot switch user here
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /podnet up needs root .*CAP_SYS_ADMIN/);
});
test("podnet up --dry-run prints the kernel commands (no root needed): namespaces, batches, CNI ADDs", () => {
    const r = run(["up", "--fixture", "--name", "dry", "--dry-run"]);
    if (r.error)
        return;
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ip -batch - <<'EOF'\nnetns add podnet-dry\.underlay\n/);
    assert.match(r.stdout, /ip -n podnet-dry\.node\.worker-1 -batch - <<'EOF'\nlink add cni0 /);
    assert.match(r.stdout, /link add veth0100beef .* type veth peer name eth0 .* netns podnet-dry\.pod\.default\.web-10\n/);
    // Every kernel command names a podnet namespace.
    for (const line of r.stdout.split("\n").filter((l) => /^(ip|bridge) /.test(l)))
        assert.match(line, /^(ip -batch -|(ip|bridge) -n podnet-dry\.|ip netns exec podnet-dry\.)/, line);
});
test("podnet down rejects --name with --all; bad cluster names are usage errors", () => {
    if (process.getuid?.() !== 0)
        return; // down needs root before it looks at flags
    const r = run(["down", "--name", "x", "--all"], {});
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not both/);
    const b = run(["down", "--name", "Bad.Name"], {});
    assert.equal(b.status, 1);
    assert.match(b.stderr, /invalid cluster name "Bad.Name"/);
});
//# sourceMappingURL=cmd-real.test.js.map