import { test } from "node:test";
import assert from "node:assert/strict";
import { KernelError, createRunner, createShellRunner, netnsBatch } from "./exec.js";
import { SafetyError } from "./names.js";
import { kernelSkip } from "./testing.js";

test("dry run records guarded commands and runs nothing", async () => {
  const r = createRunner({ dryRun: true });
  await r.run(["ip", "-n", "podnet-x.node.a", "-batch", "-"], "link set lo up\n");
  await netnsBatch(r, "add", ["podnet-x.node.a", "podnet-x.node.b"]);
  assert.deepEqual(
    r.log.map((l) => l.argv.join(" ")),
    ["ip -n podnet-x.node.a -batch -", "ip -batch -"],
  );
  assert.equal(r.log[1].input, "netns add podnet-x.node.a\nnetns add podnet-x.node.b\n");
  await assert.rejects(r.run(["ip", "link", "add", "x", "type", "bridge"]), SafetyError);
  // A root batch may only add/delete podnet namespaces.
  await assert.rejects(r.run(["ip", "-batch", "-"], "link add x type bridge\n"), SafetyError);
  await assert.rejects(r.run(["ip", "-batch", "-"], "netns add cni-1\n"), SafetyError);
  await assert.rejects(r.run(["ip", "-n", "podnet-x.node.a", "-batch", "-"], "link set eth0 netns 1\n"), SafetyError);
});

for (const kind of ["spawn", "shell"] as const) {
  test(`kernel (${kind} runner): a failing batch reports its line and the kernel's message`, {
    // nft -f and iptables-restore are asked below too: without them the test skips, naming them.
    skip: kernelSkip(["ip", "nft", "iptables-restore"]),
  }, async () => {
    const plain = createRunner();
    const shell = kind === "shell" ? createShellRunner({ workers: 2 }) : null;
    const r = shell ?? plain;
    const ns = `podnet-kexec${kind}.node.a`;
    await plain.run(["ip", "netns", "del", ns], "", { allowFail: true });
    try {
      await netnsBatch(plain, "add", [ns]);
      const ok = await r.run(["ip", "-n", ns, "-batch", "-"], "link add br0 type bridge\nlink set br0 up\n");
      assert.equal(ok.code, 0);
      const e = await r
        .run(["ip", "-n", ns, "-batch", "-"], "link set lo up\nlink add br0 type bridge\nlink set br0 up\n")
        .then(
          () => null,
          (x) => x,
        );
      assert.ok(e instanceof KernelError, String(e));
      assert.equal(e.line, "link add br0 type bridge");
      assert.match(e.message, /line 2 "link add br0 type bridge" failed: .*File exists/);
      // nft -f and iptables-restore name the failing line too.
      const nftErr = await r
        .run(
          ["ip", "netns", "exec", ns, "nft", "-f", "-"],
          "add table inet t\nadd chain inet t c { type filter hook forward priority 0 ; policy bogus ; }\n",
        )
        .then(
          () => null,
          (x) => x,
        );
      assert.ok(nftErr instanceof KernelError, String(nftErr));
      assert.equal(nftErr.line, "add chain inet t c { type filter hook forward priority 0 ; policy bogus ; }");
      const iptErr = await r
        .run(["ip", "netns", "exec", ns, "iptables-restore"], "*filter\n-A NOPE -j ACCEPT\nCOMMIT\n")
        .then(
          () => null,
          (x) => x,
        );
      assert.ok(iptErr instanceof KernelError, String(iptErr));
      assert.match(iptErr.message, /iptables-restore/);
      const soft = await r.run(["ip", "-n", ns, "link", "show", "dev", "nope"], "", { allowFail: true });
      assert.notEqual(soft.code, 0);
    } finally {
      shell?.close();
      await plain.run(["ip", "netns", "del", ns], "", { allowFail: true });
    }
  });
}
