// IPv4 arithmetic. Strict parsing follows Go's net.ParseIP / net.ParseCIDR (what the
// API server accepts: no leading zeros, "/" required in a CIDR).
import { test } from "node:test";
import assert from "node:assert/strict";
import { addrOf, cidrContains, cidrTextContains, cidrOverlaps, cidrSize, cidrWithin, formatCidr, intToIp, inPrefix, ipToInt, isIPv4, parseCidr, parseCidr4, parseIPv4, parsePrefix, rangeToCidrs, } from "./ipv4.js";
test("addresses: strict parse, round trip, out-of-range octets", () => {
    assert.equal(parseIPv4("10.244.1.5"), 10 * 2 ** 24 + 244 * 2 ** 16 + 1 * 256 + 5);
    assert.equal(intToIp(parseIPv4("255.255.255.255")), "255.255.255.255");
    assert.equal(parseIPv4("10.0.0.256"), undefined);
    assert.equal(parseIPv4("10.0.0"), undefined);
    assert.equal(parseIPv4("010.0.0.1"), undefined); // Go rejects leading zeros
    assert.equal(isIPv4("fd00::1"), false);
    assert.equal(ipToInt("192.168.1.1"), parseIPv4("192.168.1.1"));
    assert.ok(Number.isNaN(ipToInt("192.168.1"))); // podnet's own data: NaN, not a throw
    assert.throws(() => parseCidr("192.168.1/24"), /not an IPv4 address: "192.168.1"/);
    // The formatting cache: a colliding address replaces the slot, both still format right.
    for (const n of [0, 0xffffffff, 0x0a000001, 0x8a000001, 0x0a000001])
        assert.equal(intToIp(n), intToIp(n | 0));
    assert.equal(intToIp(0x8a000001 | 0), "138.0.0.1");
});
test("prefixes (the interpreter's form): default, bare address, host bits cleared, text containment", () => {
    assert.deepEqual(parsePrefix("default"), { net: 0, len: 0, mask: 0 });
    assert.deepEqual(parsePrefix("10.96.0.1"), { net: ipToInt("10.96.0.1"), len: 32, mask: 0xffffffff });
    const p = parsePrefix("10.244.1.7/24");
    assert.equal(intToIp(p.net), "10.244.1.0");
    assert.ok(inPrefix(ipToInt("10.244.1.200"), p));
    assert.ok(!inPrefix(ipToInt("10.244.2.1"), p));
    assert.throws(() => parsePrefix("10.244.1.0/33"), /invalid IPv4 prefix/);
    assert.ok(cidrTextContains("10.0.0.0/8", "10.1.2.3"));
    assert.ok(cidrTextContains("0.0.0.0/0", "1.2.3.4"));
    assert.ok(cidrTextContains("10.1.2.3", "10.1.2.3"));
    assert.ok(!cidrTextContains("10.0.0.0/8", "11.0.0.1"));
    assert.ok(!cidrTextContains("10.0.0.0/8", "fd00::1"));
    assert.equal(addrOf("10.244.1.1/24"), "10.244.1.1");
});
test("CIDRs: network, broadcast, size; host bits rejected by parseCidr, cleared by parseCidr4", () => {
    const c = parseCidr("10.96.0.0/12");
    assert.equal(intToIp(c.first), "10.96.0.0");
    assert.equal(intToIp(c.last), "10.111.255.255");
    assert.equal(cidrSize(c), 2 ** 20);
    assert.equal(parseCidr("10.96.0.1").prefix, 32);
    assert.throws(() => parseCidr("10.96.0.1/12"), /host bits set/);
    assert.equal(formatCidr(parseCidr("10.96.0.1/12", true)), "10.96.0.0/12");
    assert.equal(formatCidr(parseCidr4("10.96.0.1/12")), "10.96.0.0/12");
    assert.equal(parseCidr4("10.96.0.0"), undefined); // net.ParseCIDR needs a prefix
    assert.equal(parseCidr4("10.96.0.0/33"), undefined);
    assert.equal(parseCidr4("10.96.0.0/012"), undefined);
    assert.equal(formatCidr(parseCidr4("0.0.0.0/0")), "0.0.0.0/0");
});
test("containment, overlap and nesting", () => {
    const pods = parseCidr("10.244.0.0/16");
    assert.equal(cidrContains(pods, ipToInt("10.244.255.255")), true);
    assert.equal(cidrContains(pods, ipToInt("10.245.0.0")), false);
    assert.equal(cidrOverlaps(pods, parseCidr("10.0.0.0/8")), true);
    assert.equal(cidrOverlaps(pods, parseCidr("10.96.0.0/12")), false);
    assert.equal(cidrWithin(parseCidr("10.244.1.0/24"), pods), true);
    assert.equal(cidrWithin(pods, pods), true);
    assert.equal(cidrWithin(parseCidr("10.0.0.0/8"), pods), false);
});
test("a range as the fewest CIDRs", () => {
    assert.deepEqual(rangeToCidrs(ipToInt("10.0.0.0"), ipToInt("10.0.0.255")), ["10.0.0.0/24"]);
    assert.deepEqual(rangeToCidrs(ipToInt("10.0.0.1"), ipToInt("10.0.0.6")), [
        "10.0.0.1/32",
        "10.0.0.2/31",
        "10.0.0.4/31",
        "10.0.0.6/32",
    ]);
});
//# sourceMappingURL=ipv4.test.js.map