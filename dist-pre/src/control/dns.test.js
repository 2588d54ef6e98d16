// Expected records: the Kubernetes DNS-Based Service Discovery spec 1.1.0
// (kubernetes/dns docs/specification.md).
import { test } from "node:test";
import assert from "node:assert/strict";
import { demoFixture } from "../dns/testing.js";
import { computeDnsRecords, reverseName, endpointHostname } from "./dns.js";
const recs = () => computeDnsRecords(demoFixture()).records;
const find = (name, type) => recs().filter((r) => r.name === name && r.type === type);
test("apex: SOA, NS (kube-dns) and dns-version TXT 1.1.0 with TTL 28800", () => {
    const soa = find("cluster.local", "SOA")[0];
    assert.equal(soa.data.mname, "ns.dns.cluster.local");
    assert.equal(soa.data.rname, "hostmaster.cluster.local");
    assert.deepEqual(find("cluster.local", "NS").map((r) => r.data), ["kube-dns.kube-system.svc.cluster.local"]);
    assert.deepEqual(find("dns-version.cluster.local", "TXT").map((r) => [r.data, r.ttl]), [["1.1.0", 28800]]);
});
test("ClusterIP Service: A = cluster IP, SRV for named ports only, PTR", () => {
    assert.deepEqual(find("user-service.default.svc.cluster.local", "A").map((r) => r.data), ["10.96.20.1"]);
    assert.deepEqual(find("_http._tcp.user-service.default.svc.cluster.local", "SRV").map((r) => r.data), [{ priority: 0, weight: 100, port: 80, target: "user-service.default.svc.cluster.local" }]);
    assert.equal(recs().filter((r) => r.type === "SRV" && r.name.endsWith("auth-service.default.svc.cluster.local")).length, 0);
    assert.deepEqual(find("1.20.96.10.in-addr.arpa", "PTR").map((r) => r.data), ["user-service.default.svc.cluster.local"]);
    assert.deepEqual(find("empty-service.default.svc.cluster.local", "A").map((r) => r.data), ["10.96.40.1"]);
});
test("headless: one A per ready endpoint, hostname records, SRV N×M, PTR to the hostname form", () => {
    assert.deepEqual(find("my-headless-service.default.svc.cluster.local", "A")
        .map((r) => r.data)
        .sort(), ["10.244.1.10", "10.244.2.11"]);
    assert.deepEqual(find("web-0.my-headless-service.default.svc.cluster.local", "A").map((r) => r.data), ["10.244.1.10"]);
    assert.equal(find("web-2.my-headless-service.default.svc.cluster.local", "A").length, 0); // not ready
    assert.deepEqual(find("_web._tcp.my-headless-service.default.svc.cluster.local", "SRV")
        .map((r) => r.data.target)
        .sort(), ["web-0.my-headless-service.default.svc.cluster.local", "web-1.my-headless-service.default.svc.cluster.local"]);
    assert.deepEqual(find("10.1.244.10.in-addr.arpa", "PTR").map((r) => r.data), ["web-0.my-headless-service.default.svc.cluster.local"]);
    // no hostname: the dashed IP
    assert.deepEqual(find("10-244-1-20.plain-headless.default.svc.cluster.local", "A").map((r) => r.data), ["10.244.1.20"]);
    assert.equal(find("unready-headless.default.svc.cluster.local", "A").length, 0);
    assert.deepEqual(find("publish-headless.default.svc.cluster.local", "A").map((r) => r.data), ["10.244.1.31"]);
});
test("ExternalName: CNAME", () => {
    assert.deepEqual(find("ext.default.svc.cluster.local", "CNAME").map((r) => r.data), ["api.example.com"]);
});
test("names are lower-case without a trailing dot", () => {
    for (const r of recs()) {
        assert.equal(r.name, r.name.toLowerCase());
        assert.ok(!r.name.endsWith("."));
    }
});
test("helpers", () => {
    assert.equal(reverseName("10.96.0.10"), "10.0.96.10.in-addr.arpa");
    assert.equal(endpointHostname(undefined, "10.244.1.5"), "10-244-1-5");
    assert.equal(endpointHostname("web-0", "10.244.1.5"), "web-0");
});
//# sourceMappingURL=dns.test.js.map