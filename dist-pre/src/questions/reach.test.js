import { test } from "node:test";
import assert from "node:assert/strict";
import { conformanceState } from "../policy/testing.js";
import { computeReach, diffReach, renderReach } from "./reach.js";
import { formatConns, allSet, single, union, intersect } from "../policy/portset.js";
test("connection sets print as policy analysers print them", () => {
    assert.equal(formatConns(allSet()), "All Connections");
    assert.equal(formatConns(single("TCP", 8050, 8050)), "TCP 8050");
    const s = union(union(single("TCP", 1, 79), single("TCP", 81, 65535)), single("UDP", 53, 53));
    assert.equal(formatConns(s), "TCP 1-79,81-65535,UDP 53");
    // protocol order SCTP, TCP, UDP
    assert.equal(formatConns(union(single("UDP", 1, 2), single("SCTP", 9, 9))), "SCTP 9,UDP 1-2");
    assert.equal(formatConns(intersect(single("TCP", 1, 100), single("TCP", 50, 200))), "TCP 50-100");
});
test("without policies every workload pair has All Connections, self pairs left out", () => {
    const r = computeReach(conformanceState([]));
    const pods = r.lines.filter((l) => !l.src.includes("External") && !l.dst.includes("External"));
    assert.equal(pods.length, 9 * 8);
    assert.ok(pods.every((l) => l.text === "All Connections"));
    assert.ok(!pods.some((l) => l.src === l.dst));
    // The outside world (everything but the pod subnet) in two ranges around 10.244.0.0/16.
    const ext = r.lines.filter((l) => l.src.endsWith("[External]")).map((l) => l.src);
    assert.deepEqual([...new Set(ext)], ["0.0.0.0-10.243.255.255[External]", "10.245.0.0-255.255.255.255[External]"]);
    // Replicas collapse: pods a,b,c of x with equal labels but distinct names stay distinct workloads (bare pods).
    assert.ok(r.lines.some((l) => l.src === "x/a[Pod]" && l.dst === "y/b[Pod]"));
});
test("lines are sorted and the denied pairs are left out", () => {
    const r = computeReach(conformanceState([
        {
            namespace: "x",
            name: "a-80",
            spec: {
                podSelector: { matchLabels: { pod: "a" } },
                ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }], ports: [{ port: 80 }] }],
            },
        },
    ]));
    const toXa = r.lines.filter((l) => l.dst === "x/a[Pod]");
    assert.deepEqual(toXa.map((l) => `${l.src} : ${l.text}`), ["x/b[Pod] : TCP 80"]);
    const sorted = [...r.lines].sort((a, b) => (a.src + "\u0000" + a.dst < b.src + "\u0000" + b.dst ? -1 : 1));
    assert.deepEqual(r.lines.map((l) => l.src + l.dst), sorted.map((l) => l.src + l.dst));
});
test("ipBlock cuts the outside into merged ranges", () => {
    const r = computeReach(conformanceState([
        {
            namespace: "x",
            name: "egress-web",
            spec: {
                podSelector: { matchLabels: { pod: "a" } },
                policyTypes: ["Egress"],
                egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }], ports: [{ port: 443 }] }],
            },
        },
    ]));
    const out = r.lines
        .filter((l) => l.src === "x/a[Pod]" && l.dst.endsWith("[External]"))
        .map((l) => `${l.dst} : ${l.text}`);
    assert.deepEqual(out, ["0.0.0.0-9.255.255.255[External] : TCP 443", "11.0.0.0-255.255.255.255[External] : TCP 443"]);
});
test("diff shows added, removed and changed connections", () => {
    const before = computeReach(conformanceState([])).lines;
    const after = computeReach(conformanceState([
        {
            namespace: "x",
            name: "only-80",
            spec: { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ ports: [{ port: 80 }] }] },
        },
    ])).lines;
    const d = diffReach(before, after);
    assert.ok(d.length > 0);
    assert.ok(d.every((l) => l.change === "changed" && l.after === "TCP 80" && l.before === "All Connections"));
    assert.ok(d.some((l) => l.src === "y/b[Pod]" && l.dst === "x/a[Pod]"));
});
test("output formats: csv, md, json and dot", () => {
    const lines = computeReach(conformanceState([])).lines.slice(0, 2);
    assert.match(renderReach(lines, "csv"), /^src,dst,conn\n/);
    assert.match(renderReach(lines, "md"), /^\| src \| dst \| conn \|/);
    assert.equal(JSON.parse(renderReach(lines, "json")).length, 2);
    assert.match(renderReach(lines, "dot"), /^digraph \{[\s\S]*->[\s\S]*\}\n$/);
});
//# sourceMappingURL=reach.test.js.map