// The I/O helpers the kernel backend's tests share: root check, kernel-skip policy, root
// snapshots (the fixture IR they build lives in fixture.ts).
import { spawnSync } from "node:child_process";
import { toolsMissingReason } from "../testing/tools.js";
export { fixtureIR } from "./fixture.js";
export function haveTool(t) {
    return spawnSync("sh", ["-c", `command -v ${t}`], { encoding: "utf8" }).status === 0;
}
/**
 * Why kernel tests cannot run here (null: they can). With PODNET_REQUIRE_KERNEL=1 the
 * caller must fail instead of skipping.
 */
export function kernelSkipReason(tools = ["ip", "bridge", "curl", "python3"]) {
    if (process.platform !== "linux")
        return "not Linux";
    if (typeof process.getuid === "function" && process.getuid() !== 0)
        return "not root (network namespaces need CAP_SYS_ADMIN)";
    const gone = toolsMissingReason(tools);
    if (gone)
        return gone;
    const r = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
    if (r.status !== 0)
        return `ip netns does not work: ${r.stderr}`;
    return null;
}
/** node:test `skip` option value: a reason, or false; throws when PODNET_REQUIRE_KERNEL=1. */
export function kernelSkip(tools) {
    const why = kernelSkipReason(tools);
    if (why && process.env.PODNET_REQUIRE_KERNEL === "1")
        throw new Error(`PODNET_REQUIRE_KERNEL=1 but kernel tests cannot run: ${why}`);
    return why ? `kernel test skipped: ${why}` : false;
}
/** The root namespace as text: links, addresses, routes, rules, netfilter, relevant sysctls. Read-only. */
export function rootSnapshot() {
    const sh = (c) => spawnSync("sh", ["-c", c], { encoding: "utf8" }).stdout;
    const sysctls = [
        "net/ipv4/ip_forward",
        "net/bridge/bridge-nf-call-iptables",
        "net/bridge/bridge-nf-call-ip6tables",
        "net/ipv4/conf/all/forwarding",
        "net/ipv4/conf/all/proxy_arp",
        "net/ipv4/conf/all/rp_filter",
    ];
    return {
        // Counters and dynamic state (statistics, neighbour ages) stripped.
        links: sh("ip -o link show | sed -e 's/ state [A-Z]*//'"),
        addrs: sh("ip -o addr show | sed -e 's/valid_lft.*//'"),
        routes: sh("ip route show table all"),
        rules: sh("ip rule show"),
        iptables: sh("iptables-save 2>/dev/null | grep -v '^#' | sed -e 's/\\[[0-9]*:[0-9]*\\]//'"),
        nft: sh("nft list ruleset 2>/dev/null"),
        sysctls: sysctls.map((s) => `${s}=${sh(`cat /proc/sys/${s} 2>/dev/null`).trim()}`).join("\n"),
    };
}
//# sourceMappingURL=testing.js.map