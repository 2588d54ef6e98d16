// What both flannel backends share: the bridge delegate and flanneld's own rules.
//
// Masquerade: flanneld runs with --ip-masq (kube-flannel.yml), so its CNI plugin gives the
// bridge delegate ipMasq=false (`ipMasq = !FLANNEL_IPMASQ`): no CNI-… chains, only
// FLANNEL-POSTRTG (trafficmngr/iptables masqRules) and FLANNEL-FWD (forwardRules).
// nftables (EnableNFTables): table `ip flannel-ipv4`, chains `postrtg` (nat, srcnat) and
// `forward` (filter) with the same matches as the iptables rules (trafficmngr/nftables).
import { parseCidr, intToIp } from "../net/ipv4.js";
import { iptRule } from "./ipt.js";
const MASQ = ["-m", "comment", "--comment", "flanneld masq"];
const FWD = ["-m", "comment", "--comment", "flanneld forward"];
export function flannelIptables(cluster, node) {
    const pod = node.podCIDR;
    return {
        owner: "flannel",
        role: "cni",
        tables: {
            nat: {
                POSTROUTING: { name: "POSTROUTING", rules: [iptRule(...MASQ, "-j", "FLANNEL-POSTRTG")] },
                "FLANNEL-POSTRTG": {
                    name: "FLANNEL-POSTRTG",
                    rules: [
                        iptRule("-m", "mark", "--mark", "0x4000/0x4000", ...MASQ, "-j", "RETURN"),
                        iptRule("-s", pod, "-d", cluster, ...MASQ, "-j", "RETURN"),
                        iptRule("-s", cluster, "-d", pod, ...MASQ, "-j", "RETURN"),
                        iptRule("!", "-s", cluster, "-d", pod, ...MASQ, "-j", "RETURN"),
                        iptRule("-s", cluster, "!", "-d", "224.0.0.0/4", ...MASQ, "-j", "MASQUERADE", "--random-fully"),
                        iptRule("!", "-s", cluster, "-d", cluster, ...MASQ, "-j", "MASQUERADE", "--random-fully"),
                    ],
                },
            },
            filter: {
                FORWARD: { name: "FORWARD", rules: [iptRule(...FWD, "-j", "FLANNEL-FWD")] },
                "FLANNEL-FWD": {
                    name: "FLANNEL-FWD",
                    rules: [iptRule("-s", cluster, ...FWD, "-j", "ACCEPT"), iptRule("-d", cluster, ...FWD, "-j", "ACCEPT")],
                },
            },
        },
    };
}
function prefix(cidr) {
    const c = parseCidr(cidr, true);
    return { prefix: { addr: intToIp(c.base), len: c.prefix } };
}
function ipMatch(field, cidr, neg = false) {
    return { match: { op: neg ? "!=" : "==", left: { payload: { protocol: "ip", field } }, right: prefix(cidr) } };
}
export function flannelNftables(cluster, node) {
    const pod = node.podCIDR;
    const masq = { masquerade: { flags: "fully-random" } };
    const post = [
        { expr: [{ match: { op: "!=", left: { "&": [{ meta: { key: "mark" } }, 0x4000] }, right: 0 } }, { return: null }] },
        { expr: [ipMatch("saddr", pod), ipMatch("daddr", cluster), { return: null }] },
        { expr: [ipMatch("saddr", cluster), ipMatch("daddr", pod), { return: null }] },
        { expr: [ipMatch("saddr", cluster, true), ipMatch("daddr", pod), { return: null }] },
        { expr: [ipMatch("saddr", cluster), ipMatch("daddr", "224.0.0.0/4", true), masq] },
        { expr: [ipMatch("saddr", cluster, true), ipMatch("daddr", cluster), masq] },
    ];
    return {
        owner: "flannel",
        tables: [
            {
                family: "ip",
                name: "flannel-ipv4",
                role: "cni",
                chains: {
                    postrtg: { name: "postrtg", type: "nat", hook: "postrouting", prio: 100, policy: "accept", rules: post },
                    forward: {
                        name: "forward",
                        type: "filter",
                        hook: "forward",
                        prio: 0,
                        policy: "accept",
                        rules: [
                            { expr: [ipMatch("saddr", cluster), { accept: null }] },
                            { expr: [ipMatch("daddr", cluster), { accept: null }] },
                        ],
                    },
                },
                sets: {},
            },
        ],
    };
}
//# sourceMappingURL=flannel-common.js.map