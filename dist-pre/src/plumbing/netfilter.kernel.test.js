// The flavors' netfilter layers, rendered, load in the real tools: `iptables-restore
// --test` and `nft -c -f` inside a scratch namespace (podnet-test-…). Needs root; skips
// otherwise, fails when PODNET_REQUIRE_KERNEL=1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { buildContext, buildNodeIR } from "../dataplane/build.js";
import { renderIptables } from "../ir/render-iptables.js";
import { renderNft } from "../ir/render-nft.js";
import { fixtureState } from "./testing.js";
import { kernelMissing } from "../testing/kernel.js";
const skip = kernelMissing(["ip", "iptables-restore", "nft"]);
if (skip && process.env.PODNET_REQUIRE_KERNEL === "1")
    throw new Error(`PODNET_REQUIRE_KERNEL=1 but ${skip}`);
const nftProxy = { name: "nftables", netfilter: "nftables", shared: () => ({}), perNode: () => ({}) };
for (const [cni, backend] of [
    ["flannel", "vxlan"],
    ["calico", "bgp"],
]) {
    test(`${cni}: the flavor's iptables and nftables layers load in iptables-restore --test and nft -c`, {
        skip: skip ?? false,
    }, () => {
        const ns = `podnet-test-nf${randomBytes(3).toString("hex")}`;
        execFileSync("ip", ["netns", "add", ns]);
        try {
            const s = fixtureState({ cni, backend });
            const ipt = renderIptables(buildNodeIR(s, "worker-1", buildContext(s, { proxy: null })).node.ns.netfilter.iptables);
            execFileSync("ip", ["netns", "exec", ns, "iptables-restore", "--test"], {
                input: ipt,
                stdio: ["pipe", "pipe", "pipe"],
            });
            const s2 = fixtureState({ cni, backend, proxyMode: "nftables" });
            const nft = renderNft(buildNodeIR(s2, "worker-1", buildContext(s2, { proxy: nftProxy })).node.ns.netfilter.nftables);
            execFileSync("ip", ["netns", "exec", ns, "nft", "-c", "-f", "-"], {
                input: nft,
                stdio: ["pipe", "pipe", "pipe"],
            });
            assert.ok(ipt.length > 0 && nft.length > 0);
        }
        finally {
            execFileSync("ip", ["netns", "del", ns]);
        }
    });
}
//# sourceMappingURL=netfilter.kernel.test.js.map