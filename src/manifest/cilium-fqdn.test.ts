// toFQDNs selectors as Cilium matches them (https://docs.cilium.io/en/stable/security/policy/language/#dns-based;
// cilium/cilium pkg/fqdn/matchpattern): `*` within one label, a lone `*` any name, `**.` one
// or more labels, names case-insensitive with or without the final dot.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fqdnAddresses, fqdnMatches, patternMatches } from "./cilium-fqdn.js";

test("matchPattern: * stays within a label; ** spans labels; * alone matches all", () => {
  assert.equal(patternMatches("*.cilium.io", "sub.cilium.io"), true);
  assert.equal(patternMatches("*.cilium.io", "cilium.io"), false);
  assert.equal(patternMatches("*.cilium.io", "a.b.cilium.io"), false);
  assert.equal(patternMatches("**.cilium.io", "a.b.cilium.io"), true);
  assert.equal(patternMatches("**.cilium.io", "cilium.io"), false);
  assert.equal(patternMatches("*", "anything.example"), true);
  // matchpattern.go Sanitize keeps only a lone "*" as is: "*." is ^[-a-zA-Z0-9_]*[.]$, one label.
  assert.equal(patternMatches("*.", "anything.example"), false);
  assert.equal(patternMatches("*.", "localhost"), true);
  assert.equal(patternMatches("api-*.example.com", "api-eu.example.com"), true);
  assert.equal(patternMatches("api-*.example.com", "web.example.com"), false);
  // A hostile pattern ends (linear per label), with the right answer.
  assert.equal(patternMatches(`${"*a".repeat(60)}b`, `${"a".repeat(63)}.x`), false);
});

test("matchName: exact, case-insensitive, the trailing dot ignored", () => {
  assert.equal(fqdnMatches({ matchName: "API.Example.com." }, "api.example.com"), true);
  assert.equal(fqdnMatches({ matchName: "api.example.com" }, "www.api.example.com"), false);
  assert.equal(fqdnMatches({}, "api.example.com"), false);
});

test("addresses: A records of the matching names, CNAMEs followed, loops cut", () => {
  const dns = [
    { name: "api.example.com", type: "A" as const, value: "203.0.113.10" },
    { name: "www.example.com", type: "CNAME" as const, value: "web.example.net." },
    { name: "web.example.net", type: "A" as const, value: "203.0.113.20" },
    { name: "loop.example.com", type: "CNAME" as const, value: "loop.example.com" },
    { name: "other.example.org", type: "A" as const, value: "198.51.100.7" },
  ];
  assert.deepEqual(fqdnAddresses(dns, [{ matchPattern: "*.example.com" }]), ["203.0.113.10", "203.0.113.20"]);
  assert.deepEqual(fqdnAddresses(dns, [{ matchName: "other.example.org" }]), ["198.51.100.7"]);
  assert.deepEqual(fqdnAddresses(dns, [{ matchName: "nothing.example" }]), []);
});

test("addresses: names with several CNAMEs each are walked once each, not path by path", () => {
  // 8 names a level, each a CNAME of every name of the next: 8^8 paths, 72 names.
  const dns: { name: string; type: "A" | "CNAME"; value: string }[] = [];
  for (let k = 0; k < 8; k++)
    for (let i = 0; i < 8; i++)
      for (let j = 0; j < 8; j++)
        dns.push({ name: `l${k}-${i}.example.net`, type: "CNAME", value: `l${k + 1}-${j}.example.net` });
  for (let j = 0; j < 8; j++) dns.push({ name: `l8-${j}.example.net`, type: "A", value: `198.51.100.${j + 1}` });
  const t = Date.now();
  assert.equal(fqdnAddresses(dns, [{ matchPattern: "*.example.net" }]).length, 8);
  // l0-0 is 8 CNAMEs from the addresses: resolvers follow that far, no further.
  assert.equal(fqdnAddresses(dns, [{ matchName: "l0-0.example.net" }]).length, 8);
  assert.ok(Date.now() - t < 2000);
});
