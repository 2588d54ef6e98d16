// RegularExpression matches beyond testing them: samples for verify, and patterns rewritten
// for nginx's raw `$args` and 0x1F-separated fields. Expected values: a string matches the
// rewritten pattern exactly when its decoded form matches the user's (ECMAScript) pattern.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeQueryComponent } from "./gateway-route.js";
import { fieldPattern, rawLiteral, rawQueryPattern, regexSample, userSource } from "./regex.js";

const whole = (src: string) => new RegExp(`^(?:${src})$`);
const PATTERNS = ["[a-z]+-[0-9]+", "a b", ".*", "x|y.z", "[^/]+", "(ab){2}c?", "a\\.b", "^v[0-9]$", "a(?=b)b", "%"];
const VALUES = ["abc-12", "a b", "", "x", "y.z", "yzz", "abab", "ababc", "a.b", "axb", "v1", "ab", "%", "é", "a/b"];

/** Raw spellings of a decoded value a client may send. */
function spellings(v: string): string[] {
  const enc = encodeURIComponent(v);
  return [
    enc,
    enc.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
    enc.replace(/%20/g, "+"),
    [...new TextEncoder().encode(v)].map((b) => `%${b.toString(16).padStart(2, "0")}`).join(""),
    v.replace(/[%+&= ]/g, encodeURIComponent),
  ].filter((s) => s !== "" && !/[^\x21-\x7e]/.test(s));
}

test("a query pattern rewritten for the raw query matches what decodes to a match", () => {
  for (const src of PATTERNS) {
    const raw = rawQueryPattern(src);
    assert.ok(raw, src);
    // As the map places it: after NAME=, before & or the field's end.
    const re = new RegExp(`(?:^|&)q=${raw}(?:&|\\x1f|$)`);
    for (const v of VALUES)
      for (const s of spellings(v)) {
        assert.equal(decodeQueryComponent(s), v, s);
        assert.equal(re.test(`q=${s}&z=1`), whole(src).test(v), `${src} on ${s} (${v})`);
      }
  }
  assert.equal(rawQueryPattern("(a)\\1"), null, "a backreference");
  assert.equal(rawQueryPattern("a\\b"), null, "a word boundary");
});

test("literals: names and exact values in their raw forms", () => {
  const name = new RegExp(`^${rawLiteral("q=", true)}$`);
  assert.ok(name.test("q%3D") && name.test("%71%3d") && !name.test("q="));
  const v = new RegExp(`^${rawLiteral("a b+")}$`);
  for (const s of ["a%20b%2B", "a+b%2b", "%61+b%2B"]) assert.ok(v.test(s), s);
  assert.ok(!v.test("a+b+"), "a raw + is a space");
});

test("a field pattern stays inside its field", () => {
  const f = fieldPattern(".*b")!;
  const re = new RegExp(`^x\\x1f${f}\\x1f[^\\x1f]*$`);
  assert.ok(re.test("x\x1fab\x1fc"));
  assert.ok(!re.test("x\x1fa\x1fb\x1fc"), ".* does not cross 0x1F");
  assert.ok(new RegExp(`^${fieldPattern("/items/[0-9]+")}$`).test("/items/42"));
  assert.ok(new RegExp(`^${fieldPattern("w\\b")}$`).test("w"), "a word boundary is the same on bytes");
});

test("samples: the same for a pattern each time, matching it whole; a reason when none fits", () => {
  const re = whole("/v[0-9]+/(beta|rc)-.+");
  const a = regexSample(re, (s) => s.startsWith("/"));
  assert.ok("sample" in a && re.test(a.sample), JSON.stringify(a));
  assert.deepEqual(
    regexSample(re, (s) => s.startsWith("/")),
    a,
  );
  assert.equal(userSource(re), "\\/v[0-9]+\\/(beta|rc)-.+");
  const none = regexSample(whole("a"), (s) => s.startsWith("/"));
  assert.ok("error" in none && /none of 64/.test(none.error));
  const lookbehind = regexSample(whole("(?<=a)b"), () => true);
  assert.ok("error" in lookbehind && /randexp cannot read it/.test(lookbehind.error));
});

test("query components decode as application/x-www-form-urlencoded: %HH bytes as UTF-8, + a space", () => {
  // https://url.spec.whatwg.org/#application/x-www-form-urlencoded (percent-decode, `+` to 0x20).
  assert.equal(decodeQueryComponent("a+b%2B"), "a b+");
  assert.equal(decodeQueryComponent("%C3%A9t%C3%A9"), "été");
  assert.equal(decodeQueryComponent("100%"), "100%", "a % without two hex digits stays");
  assert.equal(decodeQueryComponent("%zz%4"), "%zz%4");
  assert.equal(decodeQueryComponent("%E9"), "\uFFFD", "a byte that is not UTF-8");
  assert.equal(decodeQueryComponent("plain"), "plain");
});
