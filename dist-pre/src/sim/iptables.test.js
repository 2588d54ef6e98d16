// Rule matching as iptables(8) and iptables-extensions(8) define it, for the matches that
// compile to plain fields (CompiledRule.guarded) and for those that stay closures: `!`
// inverts one match, `name+` is an interface prefix, a comma list of addresses matches any
// of them, repeated options must all hold, `--ctstate` takes a list of states.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseIptablesSave } from "./parse-iptables.js";
import { compileRule, compileSegment, matchesPure, runKey } from "./iptables.js";
import { ipToInt } from "../net/ipv4.js";
import { makePkt } from "./packet.js";
function rule(spec) {
    const layer = parseIptablesSave(`*filter\n:T - [0:0]\n-A T ${spec}\nCOMMIT\n`);
    const chain = layer.tables.filter.T;
    return compileRule("T", chain.rules[0], false);
}
function env(e) {
    const pkt = makePkt({
        src: ipToInt(e.src ?? "10.244.1.5"),
        dst: ipToInt(e.dst ?? "10.244.2.7"),
        proto: e.proto ?? "tcp",
        sport: 40000,
        dport: e.dport ?? 80,
        ttl: 64,
        size: 60,
        df: true,
        mark: e.mark ?? 0,
    });
    const no = () => {
        throw new Error("not used");
    };
    return {
        pkt,
        inIf: e.inIf,
        outIf: e.outIf,
        physIn: undefined,
        physOut: undefined,
        bridged: false,
        ctState: e.ct ?? "NEW",
        ctDnat: !!e.dnat,
        ctSnat: false,
        ctMark: 0,
        isReplyPacket: false,
        isLocal: () => false,
        isBroadcast: () => false,
        choose: no,
        ipsetHas: no,
        noteChoice: no,
        recentHas: no,
        recentSet: no,
        recentRemove: no,
        recentList: no,
        nat: no,
        notrack: false,
        verbose: false,
        view: no,
        snapshot: no,
    };
}
const cases = [
    // addresses: one CIDR (a field), negated, a comma list (any of them), and repeated (all of them)
    ["-s 10.244.0.0/16 -d 10.244.1.0/24 -j RETURN", { src: "10.244.9.9", dst: "10.244.1.3" }, true],
    ["-s 10.244.0.0/16 -d 10.244.1.0/24 -j RETURN", { src: "10.245.0.1", dst: "10.244.1.3" }, false],
    ["! -s 10.244.0.0/16 -d 10.244.1.0/24 -j RETURN", { src: "10.245.0.1", dst: "10.244.1.3" }, true],
    ["! -s 10.244.0.0/16 -d 10.244.1.0/24 -j RETURN", { src: "10.244.0.1", dst: "10.244.1.3" }, false],
    ["-s 10.244.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE", { src: "10.244.0.1", dst: "224.0.0.251" }, false],
    ["-s 10.244.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE", { src: "10.244.0.1", dst: "8.8.8.8" }, true],
    ["-s 10.0.0.0/8,192.168.0.0/16 -j ACCEPT", { src: "192.168.3.4" }, true],
    ["-s 10.0.0.0/8,192.168.0.0/16 -j ACCEPT", { src: "172.16.0.1" }, false],
    ["-s 10.0.0.0/8 -s 10.244.0.0/16 -j ACCEPT", { src: "10.1.0.1" }, false],
    ["-s 10.0.0.0/8 -s 10.244.0.0/16 -j ACCEPT", { src: "10.244.0.1" }, true],
    ["-d 0.0.0.0/0 -j ACCEPT", { dst: "203.0.113.9" }, true],
    ["! -d 0.0.0.0/0 -j ACCEPT", { dst: "203.0.113.9" }, false],
    ["-d 255.255.255.255/32 -j ACCEPT", { dst: "255.255.255.255" }, true],
    // protocol
    ["-p tcp -m tcp --dport 80 -j ACCEPT", { proto: "udp" }, false],
    ["! -p tcp -j ACCEPT", { proto: "udp" }, true],
    ["! -p tcp -j ACCEPT", { proto: "tcp" }, false],
    ["-p all -j ACCEPT", { proto: "icmp" }, true],
    // interfaces: exact, `+` prefix, negated; no interface (locally generated: no -i) never matches a name
    ["-i cali+ -j ACCEPT", { inIf: "cali1234" }, true],
    ["-i cali+ -j ACCEPT", { inIf: "eth0" }, false],
    ["-i cali+ -j ACCEPT", {}, false],
    ["! -i cali+ -j ACCEPT", {}, true],
    ["-o cni0 -j ACCEPT", { outIf: "cni0" }, true],
    ["-o cni0 -j ACCEPT", { outIf: "cni00" }, false],
    ["! -o cni0 -j ACCEPT", { outIf: "eth0" }, true],
    ["-i + -j ACCEPT", { inIf: "eth0" }, true],
    ["-i + -j ACCEPT", {}, false],
    // marks: value/mask; `!`; a connmark is the connection's, not the packet's
    ["-m mark --mark 0x4000/0x4000 -j RETURN", { mark: 0x4001 }, true],
    ["-m mark --mark 0x4000/0x4000 -j RETURN", { mark: 0x1 }, false],
    ["-m mark ! --mark 0x4000/0x4000 -j RETURN", { mark: 0x1 }, true],
    ["-m mark --mark 0x0/0x4000 -j RETURN", { mark: 0x1 }, true],
    ["-m connmark --mark 0x4000/0x4000 -j RETURN", { mark: 0x4000 }, false],
    // conntrack states: a list matches any; `!` inverts the list; DNAT is the connection's NAT status
    ["-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", { ct: "ESTABLISHED" }, true],
    ["-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", { ct: "NEW" }, false],
    ["-m conntrack ! --ctstate NEW -j ACCEPT", { ct: "RELATED" }, true],
    ["-m conntrack ! --ctstate NEW -j ACCEPT", { ct: "NEW" }, false],
    ["-m conntrack --ctstate INVALID -j DROP", { ct: "INVALID" }, true],
    ["-m conntrack --ctstate DNAT -j ACCEPT", { ct: "NEW", dnat: true }, true],
    ["-m conntrack --ctstate DNAT -j ACCEPT", { ct: "NEW" }, false],
    ["-m state --state UNTRACKED -j ACCEPT", { ct: "UNTRACKED" }, true],
    // everything at once (kube-proxy's shape): all must hold
    [
        "-i cni0 -s 10.244.1.0/24 -d 10.96.0.10/32 -p udp -m udp --dport 53 -m mark ! --mark 0x4000/0x4000 -m conntrack --ctstate NEW -j ACCEPT",
        { inIf: "cni0", src: "10.244.1.2", dst: "10.96.0.10", proto: "udp", dport: 53, ct: "NEW" },
        true,
    ],
    [
        "-i cni0 -s 10.244.1.0/24 -d 10.96.0.10/32 -p udp -m udp --dport 53 -m mark ! --mark 0x4000/0x4000 -m conntrack --ctstate NEW -j ACCEPT",
        { inIf: "cni0", src: "10.244.1.2", dst: "10.96.0.10", proto: "udp", dport: 53, ct: "NEW", mark: 0x4000 },
        false,
    ],
    [
        "-i cni0 -s 10.244.1.0/24 -d 10.96.0.10/32 -p udp -m udp --dport 53 -m mark ! --mark 0x4000/0x4000 -m conntrack --ctstate NEW -j ACCEPT",
        { inIf: "cni0", src: "10.244.1.2", dst: "10.96.0.10", proto: "udp", dport: 54, ct: "NEW" },
        false,
    ],
];
for (const [spec, e, want] of cases) {
    test(`iptables match: ${spec} with ${JSON.stringify(e)} → ${want ? "matches" : "no match"}`, () => {
        assert.equal(matchesPure(rule(spec), env(e)), want);
    });
}
test("a rule with --match-set keeps every match a closure (an unknown set is an error, whatever the order)", () => {
    const r = rule("-m set --match-set KUBE-CLUSTER-IP dst,dst -s 10.0.0.0/8 -j ACCEPT");
    assert.equal(r.guarded, false);
    assert.throws(() => matchesPure(r, env({ src: "192.168.0.1" })), /not used/);
});
test("a statistic rule with an address match is not a bare random branch (kube-proxy's runs are bare)", () => {
    const layer = parseIptablesSave(`*nat\n:KUBE-SVC-X - [0:0]\n:KUBE-SEP-A - [0:0]\n:KUBE-SEP-B - [0:0]\n:KUBE-SEP-C - [0:0]\n-A KUBE-SVC-X -s 10.0.0.0/8 -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-A\n-A KUBE-SVC-X -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-B\n-A KUBE-SVC-X -j KUBE-SEP-C\nCOMMIT\n`);
    const seg = compileSegment(layer.tables.nat["KUBE-SVC-X"], false);
    assert.equal(seg.rules[0].onlyStatistic, undefined);
    assert.equal(seg.rules[1].onlyStatistic, 0.5);
    // The run starts at the second rule (the first has a condition besides chance).
    assert.deepEqual([...seg.randomRuns.keys()], [1]);
});
test("the index of a run of exact -d/-p/--dport rules yields what a scan in order finds, also for two keys that hash alike", () => {
    // Two (address, port) pairs with one index key: the index must not mix their rules up.
    const d1 = ipToInt("10.96.0.10");
    const byKey = new Map();
    for (let p = 1; p < 65536; p++)
        byKey.set(runKey(d1, "tcp", p), p);
    let hit;
    for (let d2 = d1 + 1; !hit && d2 < d1 + 64; d2++) {
        for (let p = 1; p < 65536; p++) {
            const p1 = byKey.get(runKey(d2, "tcp", p));
            if (p1 !== undefined) {
                hit = [p1, d2, p];
                break;
            }
        }
    }
    assert.ok(hit, "two keys that collide");
    const [p1, d2, p2] = hit;
    const ip = (n) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
    const lines = [
        `-d ${ip(d1)}/32 -p tcp -m tcp --dport ${p1} -j ACCEPT`,
        `-d ${ip(d2)}/32 -p tcp -m tcp --dport ${p2} -j DROP`,
    ];
    for (let i = 0; i < 8; i++)
        lines.push(`-d 10.96.1.${i}/32 -p tcp -m tcp --dport 443 -j RETURN`);
    lines.push(`-d ${ip(d1)}/32 -p tcp -m tcp --dport ${p1} -j REJECT`);
    const layer = parseIptablesSave(`*filter\n:T - [0:0]\n${lines.map((l) => `-A T ${l}\n`).join("")}COMMIT\n`);
    const seg = compileSegment(layer.tables.filter.T, false);
    const run = seg.runs.get(0);
    assert.ok(run && run.end === lines.length, "one indexed run over all rules");
    for (const [dst, dport] of [
        [d1, p1],
        [d2, p2],
        [ipToInt("10.96.1.3"), 443],
        [ipToInt("10.96.1.3"), 80],
    ]) {
        const e = env({ dst: ip(dst), dport });
        const scan = seg.rules.map((_, i) => i).filter((i) => matchesPure(seg.rules[i], e));
        const viaIndex = (run.byKey.get(runKey(dst, "tcp", dport)) ?? []).filter((i) => matchesPure(seg.rules[i], e));
        assert.deepEqual(viaIndex, scan, `${ip(dst)}:${dport}`);
    }
    // iptables' order: the first matching rule decides (ACCEPT, not the later REJECT of the same key).
    assert.deepEqual((run.byKey.get(runKey(d1, "tcp", p1)) ?? [])
        .filter((i) => matchesPure(seg.rules[i], env({ dst: ip(d1), dport: p1 })))
        .map((i) => seg.rules[i].target.kind), ["accept", "reject"]);
});
//# sourceMappingURL=iptables.test.js.map