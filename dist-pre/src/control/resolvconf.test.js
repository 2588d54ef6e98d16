// Expected values: kubelet's pkg/kubelet/network/dns (dns.go) behaviour and the
// Kubernetes "DNS for Services and Pods" documentation (Pod's DNS Policy / DNS Config).
import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultConfig } from "../manifest/config.js";
import { resolvConfFor, parseResolvConf, formDNSSearchFitsLimits } from "./resolvconf.js";
const cfg = () => {
    const c = defaultConfig();
    c.hostDNS = { nameservers: ["192.168.1.1"], searches: ["corp.example.com"], options: ["timeout:2"] };
    return c;
};
test("ClusterFirst: cluster DNS, the namespace's search path then the host's, ndots:5", () => {
    const r = resolvConfFor(cfg(), "default", { containers: [] });
    assert.equal(r.text, "search default.svc.cluster.local svc.cluster.local cluster.local corp.example.com\nnameserver 10.96.0.10\noptions ndots:5\n");
    assert.deepEqual(r.events, []);
});
test("the nameserver is the 10th address of the service subnet", () => {
    const c = cfg();
    c.networking.serviceSubnet = "10.100.0.0/16";
    assert.match(resolvConfFor(c, "prod", { containers: [] }).text, /^nameserver 10\.100\.0\.10$/m);
});
test("the host search domains that duplicate cluster ones are dropped", () => {
    const c = cfg();
    c.hostDNS.searches = ["cluster.local", "corp.example.com."];
    assert.match(resolvConfFor(c, "default", { containers: [] }).text, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local corp\.example\.com$/m);
});
test("ClusterFirst on a hostNetwork pod falls back to Default (the node's resolv.conf)", () => {
    const r = resolvConfFor(cfg(), "default", { containers: [], hostNetwork: true });
    assert.equal(r.text, "search corp.example.com\nnameserver 192.168.1.1\noptions timeout:2\n");
});
test("ClusterFirstWithHostNet on a hostNetwork pod uses cluster DNS", () => {
    const r = resolvConfFor(cfg(), "kube-system", {
        containers: [],
        hostNetwork: true,
        dnsPolicy: "ClusterFirstWithHostNet",
    });
    assert.match(r.text, /^nameserver 10\.96\.0\.10$/m);
    assert.match(r.text, /^search kube-system\.svc\.cluster\.local /m);
});
test("Default copies the node's resolv.conf", () => {
    assert.equal(resolvConfFor(cfg(), "default", { containers: [], dnsPolicy: "Default" }).text, "search corp.example.com\nnameserver 192.168.1.1\noptions timeout:2\n");
});
test("None + dnsConfig: exactly the pod's settings (the docs' example)", () => {
    const r = resolvConfFor(cfg(), "default", {
        containers: [],
        dnsPolicy: "None",
        dnsConfig: {
            nameservers: ["192.0.2.1"],
            searches: ["ns1.svc.cluster-domain.example", "my.dns.search.suffix"],
            options: [{ name: "ndots", value: "2" }, { name: "edns0" }],
        },
    });
    assert.equal(r.text, "search ns1.svc.cluster-domain.example my.dns.search.suffix\nnameserver 192.0.2.1\noptions ndots:2 edns0\n");
});
test("dnsConfig is appended: nameservers/searches de-duplicated, options merged with the pod's value winning", () => {
    const r = resolvConfFor(cfg(), "default", {
        containers: [],
        dnsConfig: {
            nameservers: ["10.96.0.10", "1.1.1.1"],
            searches: ["svc.cluster.local", "extra.local"],
            options: [{ name: "ndots", value: "2" }, { name: "single-request-reopen" }],
        },
    });
    assert.equal(r.text, "search default.svc.cluster.local svc.cluster.local cluster.local corp.example.com extra.local\nnameserver 10.96.0.10\nnameserver 1.1.1.1\noptions ndots:2 single-request-reopen\n");
});
test("more than 3 nameservers: trimmed, with kubelet's DNSConfigForming warning", () => {
    const r = resolvConfFor(cfg(), "default", {
        containers: [],
        dnsConfig: { nameservers: ["1.1.1.1", "8.8.8.8", "9.9.9.9"] },
    });
    assert.equal(r.text.match(/^nameserver /gm).length, 3);
    assert.deepEqual(r.events, [
        {
            type: "Warning",
            reason: "DNSConfigForming",
            message: "Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.96.0.10 1.1.1.1 8.8.8.8",
        },
    ]);
});
test("more than 32 search domains: trimmed from the end, with the warning", () => {
    const searches = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
    const r = resolvConfFor(cfg(), "default", { containers: [], dnsConfig: { searches } });
    const line = r.text.split("\n").find((l) => l.startsWith("search "));
    const applied = line.slice("search ".length).split(" ");
    assert.equal(applied.length, 32);
    assert.equal(applied[0], "default.svc.cluster.local");
    assert.equal(applied[31], "d27.example");
    assert.equal(r.events.length, 1);
    assert.equal(r.events[0].reason, "DNSConfigForming");
    assert.equal(r.events[0].message, `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${applied.join(" ")}`);
});
test("a search line over 2048 characters is cut from the end", () => {
    const long = Array.from({ length: 20 }, (_, i) => `${"x".repeat(120)}${i}.example`);
    const r = formDNSSearchFitsLimits(long);
    assert.ok(r.exceeded);
    assert.ok(r.searches.join(" ").length <= 2048);
    assert.ok(r.searches.length < 20);
    assert.deepEqual(r.searches, long.slice(0, r.searches.length));
    assert.equal(formDNSSearchFitsLimits(long.slice(0, 3)).exceeded, false);
});
test("parseResolvConf reads ndots and the search list back", () => {
    const c = parseResolvConf("search a.b c.d\nnameserver 10.96.0.10\noptions ndots:5 timeout:1\n");
    assert.equal(c.ndots, 5);
    assert.deepEqual(c.searches, ["a.b", "c.d"]);
    assert.deepEqual(c.nameservers, ["10.96.0.10"]);
    assert.equal(parseResolvConf("nameserver 1.1.1.1\n").ndots, 1); // the resolver's default
});
//# sourceMappingURL=resolvconf.test.js.map