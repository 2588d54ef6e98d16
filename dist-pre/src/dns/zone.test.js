// Expected answers: the Kubernetes DNS spec 1.1.0 and CoreDNS's kubernetes plugin
// documentation (coredns.io/plugins/kubernetes): NODATA vs NXDOMAIN with the SOA in authority, pods
// modes, bare SRV, ExternalName, PTR, AXFR refused, case preserved.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createZone, addressFromReverse } from "./zone.js";
import { demoFixture } from "./testing.js";
const z = createZone(demoFixture(), { ttl: 30, pods: "insecure" });
const ask = (name, type = "A", zone = z) => zone.answer({ name, type });
const data = (name, type = "A") => ask(name, type).answers.map((a) => a.data);
test("a ClusterIP Service answers its cluster IP, authoritatively, with the TTL", () => {
    const a = ask("auth-service.default.svc.cluster.local");
    assert.equal(a.rcode, "NOERROR");
    assert.equal(a.aa, true);
    assert.deepEqual(a.answers, [
        { name: "auth-service.default.svc.cluster.local", type: "A", ttl: 30, data: "10.96.12.34" },
    ]);
    assert.deepEqual(data("empty-service.default.svc.cluster.local"), ["10.96.40.1"]); // no endpoints: still answers
});
test("names are case-insensitive and the question's case is kept in the answer", () => {
    const a = ask("Auth-Service.DEFAULT.svc.Cluster.Local.");
    assert.equal(a.answers[0].name, "Auth-Service.DEFAULT.svc.Cluster.Local");
    assert.equal(a.answers[0].data, "10.96.12.34");
});
test("NXDOMAIN for an unknown Service or namespace, with CoreDNS's SOA in authority", () => {
    for (const n of [
        "nope.default.svc.cluster.local",
        "auth-service.nons.svc.cluster.local",
        "nons.svc.cluster.local",
        "x.y.cluster.local",
    ]) {
        const a = ask(n);
        assert.equal(a.rcode, "NXDOMAIN", n);
        assert.equal(a.answers.length, 0);
        assert.equal(a.authority.length, 1);
        const soa = a.authority[0];
        assert.equal(soa.type, "SOA");
        assert.equal(soa.name, "cluster.local");
        assert.deepEqual({ ...soa.data, serial: 0 }, {
            mname: "ns.dns.cluster.local",
            rname: "hostmaster.cluster.local",
            serial: 0,
            refresh: 7200,
            retry: 1800,
            expire: 86400,
            minimum: 30,
        });
    }
});
test("NODATA: existing names of another type, and parents (apex, svc, pod, a namespace)", () => {
    for (const [n, t] of [
        ["auth-service.default.svc.cluster.local", "AAAA"],
        ["auth-service.default.svc.cluster.local", "TXT"],
        ["auth-service.default.svc.cluster.local", "MX"],
        ["cluster.local", "A"],
        ["svc.cluster.local", "A"],
        ["pod.cluster.local", "A"],
        ["default.svc.cluster.local", "A"],
        ["production.svc.cluster.local", "A"],
        ["default.pod.cluster.local", "A"],
    ]) {
        const a = ask(n, t);
        assert.equal(a.rcode, "NOERROR", `${n} ${t}`);
        assert.equal(a.answers.length, 0, `${n} ${t}`);
        assert.equal(a.authority[0]?.type, "SOA", `${n} ${t}`);
    }
});
test("apex NS names kube-dns with its A record as additional; SOA answers at the apex", () => {
    const a = ask("cluster.local", "NS");
    assert.deepEqual(a.answers.map((r) => r.data), ["kube-dns.kube-system.svc.cluster.local"]);
    assert.deepEqual(a.additional.map((r) => [r.name, r.type, r.data]), [["kube-dns.kube-system.svc.cluster.local", "A", "10.96.0.10"]]);
    const s = ask("cluster.local", "SOA");
    assert.equal(s.answers[0].type, "SOA");
    assert.equal(s.authority.length, 0);
});
test("dns-version TXT", () => {
    const a = ask("dns-version.cluster.local", "TXT");
    assert.deepEqual(a.answers, [{ name: "dns-version.cluster.local", type: "TXT", ttl: 28800, data: ["1.1.0"] }]);
});
test("headless: every ready endpoint; NXDOMAIN when none is ready; publishNotReadyAddresses", () => {
    assert.deepEqual(data("my-headless-service.default.svc.cluster.local").sort(), ["10.244.1.10", "10.244.2.11"]);
    assert.deepEqual(data("web-1.my-headless-service.default.svc.cluster.local"), ["10.244.2.11"]);
    assert.equal(ask("web-2.my-headless-service.default.svc.cluster.local").rcode, "NXDOMAIN");
    assert.equal(ask("unready-headless.default.svc.cluster.local").rcode, "NXDOMAIN");
    assert.deepEqual(data("publish-headless.default.svc.cluster.local"), ["10.244.1.31"]);
    assert.deepEqual(data("10-244-1-20.plain-headless.default.svc.cluster.local"), ["10.244.1.20"]);
});
test("SRV: named port; bare SRV returns every port; headless targets the endpoints", () => {
    const a = ask("_http._tcp.user-service.default.svc.cluster.local", "SRV");
    assert.deepEqual(a.answers.map((r) => r.data), [{ priority: 0, weight: 100, port: 80, target: "user-service.default.svc.cluster.local" }]);
    assert.deepEqual(a.additional.map((r) => r.data), ["10.96.20.1"]);
    const dns = ask("kube-dns.kube-system.svc.cluster.local", "SRV");
    // CoreDNS drops duplicate (target, port) pairs: dns/UDP 53 and dns-tcp/TCP 53 give one record.
    assert.deepEqual(dns.answers.map((r) => r.data.port), [53, 9153]);
    assert.equal(ask("_http._udp.user-service.default.svc.cluster.local", "SRV").rcode, "NXDOMAIN");
    assert.equal(ask("_nope._tcp.user-service.default.svc.cluster.local", "SRV").rcode, "NXDOMAIN");
    const h = ask("_web._tcp.my-headless-service.default.svc.cluster.local", "SRV");
    assert.deepEqual(h.answers.map((r) => r.data.target).sort(), [
        "web-0.my-headless-service.default.svc.cluster.local",
        "web-1.my-headless-service.default.svc.cluster.local",
    ]);
    assert.deepEqual(h.answers.map((r) => r.data.weight), [50, 50]);
});
test("PTR for cluster IPs and endpoints", () => {
    assert.deepEqual(data("10.0.96.10.in-addr.arpa", "PTR"), ["kube-dns.kube-system.svc.cluster.local"]);
    assert.deepEqual(data("11.2.244.10.in-addr.arpa", "PTR"), ["web-1.my-headless-service.default.svc.cluster.local"]);
    assert.deepEqual(data("6.1.244.10.in-addr.arpa", "PTR"), ["10-244-1-6.user-service.default.svc.cluster.local"]);
    const miss = ask("99.99.99.10.in-addr.arpa", "PTR");
    assert.equal(miss.rcode, "NXDOMAIN");
    assert.equal(miss.authority[0].name, "in-addr.arpa");
    assert.equal(z.answer({ name: "1.1.1.1.in-addr.arpa", type: "PTR" }, { forward: true }).forward, true); // fallthrough
});
test("ExternalName: CNAME, followed inside the zone; outside from externalDNS", () => {
    const a = ask("ext-in.default.svc.cluster.local");
    assert.deepEqual(a.answers.map((r) => [r.name, r.type, r.data]), [
        ["ext-in.default.svc.cluster.local", "CNAME", "auth-service.default.svc.cluster.local"],
        ["auth-service.default.svc.cluster.local", "A", "10.96.12.34"],
    ]);
    const b = ask("ext.default.svc.cluster.local");
    assert.deepEqual(b.answers.map((r) => [r.type, r.data]), [
        ["CNAME", "api.example.com"],
        ["A", "192.168.1.240"],
    ]);
    assert.deepEqual(ask("ext.default.svc.cluster.local", "CNAME").answers.map((r) => r.data), ["api.example.com"]);
    const f = z.answer({ name: "ext.default.svc.cluster.local", type: "A" }, { forward: true });
    assert.deepEqual(f.chase, { name: "api.example.com", type: 1 });
});
test("pods insecure / verified / disabled", () => {
    assert.deepEqual(data("10-244-9-9.default.pod.cluster.local"), ["10.244.9.9"]);
    const v = createZone(demoFixture(), { pods: "verified" });
    assert.deepEqual(ask("10-244-1-40.default.pod.cluster.local", "A", v).answers.map((r) => r.data), ["10.244.1.40"]);
    assert.equal(ask("10-244-9-9.default.pod.cluster.local", "A", v).rcode, "NXDOMAIN");
    assert.equal(ask("10-244-2-9.default.pod.cluster.local", "A", v).rcode, "NXDOMAIN"); // other namespace
    const d = createZone(demoFixture(), { pods: "disabled" });
    assert.equal(ask("10-244-1-40.default.pod.cluster.local", "A", d).rcode, "NXDOMAIN");
    assert.equal(ask("not-an-ip.default.pod.cluster.local").rcode, "NXDOMAIN");
});
test("AXFR and IXFR are refused", () => {
    assert.equal(ask("cluster.local", "AXFR").rcode, "REFUSED");
    assert.equal(ask("cluster.local", "IXFR").rcode, "REFUSED");
});
test("outside the zones: externalDNS, else NXDOMAIN; forward when there are upstreams", () => {
    const a = ask("API.example.com");
    assert.deepEqual(a.answers.map((r) => [r.name, r.data]), [["API.example.com", "192.168.1.240"]]);
    assert.equal(a.aa, false);
    assert.equal(ask("api.example.com", "AAAA").rcode, "NOERROR");
    assert.equal(ask("nothing.example.org").rcode, "NXDOMAIN");
    assert.equal(z.answer({ name: "nothing.example.org", type: "A" }, { forward: true }).forward, true);
});
test("ttl option and the SOA serial", () => {
    const z5 = createZone(demoFixture(), { ttl: 5, serial: 1234 });
    assert.equal(ask("auth-service.default.svc.cluster.local", "A", z5).answers[0].ttl, 5);
    const nx = ask("nope.default.svc.cluster.local", "A", z5);
    assert.equal(nx.authority[0].data.serial, 1234);
    assert.equal(nx.authority[0].data.minimum, 5);
});
test("addressFromReverse", () => {
    assert.equal(addressFromReverse("10.0.96.10.in-addr.arpa"), "10.96.0.10");
    assert.equal(addressFromReverse("0.96.10.in-addr.arpa"), undefined);
    assert.equal(addressFromReverse("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"), "2001:db8::1");
});
//# sourceMappingURL=zone.test.js.map