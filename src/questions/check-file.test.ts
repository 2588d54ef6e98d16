// The expectations file of `podnet check`: typed entries, and errors that name file,
// line, field and the (shortened) value.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SpecError } from "../manifest/errors.js";
import { parseExpectations } from "./check-file.js";

const fails = (text: string): string => {
  try {
    parseExpectations("c.yaml", text);
  } catch (e) {
    assert.ok(e instanceof SpecError);
    return e.message;
  }
  assert.fail("expected a SpecError");
};

test("parses a ConnectivityCheck document and a bare list", () => {
  const doc =
    "kind: ConnectivityCheck\nexpectations:\n  - name: a\n    from: {namespace: default, selector: tier=frontend}\n" +
    "    to: svc/user-service\n    port: 80\n    protocol: UDP\n    expect: deny\n";
  assert.deepEqual(parseExpectations("c.yaml", doc), [
    {
      name: "a",
      from: { namespace: "default", selector: "tier=frontend" },
      to: "svc/user-service",
      port: 80,
      protocol: "udp",
      expect: "deny",
      line: 3,
    },
  ]);
  assert.deepEqual(parseExpectations("c.yaml", "- from: order-app\n  to: http://x\n  expect: allow\n"), [
    { from: "order-app", to: "http://x", protocol: "tcp", expect: "allow", line: 1 },
  ]);
});

test("errors name file, line, field and value", () => {
  assert.equal(
    fails("expectations:\n  - from: a\n    to: b\n    port: 70000\n    expect: allow\n"),
    "c.yaml:4 expectations[0].port: 70000 is not a valid port (1-65535)",
  );
  assert.equal(
    fails("- from: a\n  to: b\n  expect: maybe\n"),
    'c.yaml:3 expectations[0].expect: "maybe" is not allow|deny',
  );
  assert.equal(
    fails("- from: a\n  to: b\n  expect: allow\n  protocol: xyz\n"),
    'c.yaml:4 expectations[0].protocol: "xyz" is not TCP|UDP|SCTP|ICMP',
  );
  assert.equal(fails("- from: a\n  to: 5\n  expect: allow\n"), "c.yaml:2 expectations[0].to: expected a string, got 5");
  assert.equal(fails("- from: a\n  expect: allow\n"), "c.yaml:1 expectations[0].to: missing");
  assert.equal(fails("- to: b\n  expect: allow\n"), "c.yaml:1 expectations[0].from: missing");
  assert.equal(
    fails("- from: {selector: 5}\n  to: b\n  expect: allow\n"),
    "c.yaml:1 expectations[0].from: expected a pod/workload name or {namespace, selector}",
  );
  assert.match(fails("expectations: 3\n"), /^c\.yaml:1 expectations: expected a list/);
  assert.match(fails("a: [\n"), /^c\.yaml:\d+ \(yaml\): /);
});

test("a long value is shown cut", () => {
  const msg = fails(`- from: a\n  to: b\n  expect: "${"x".repeat(500)}"\n`);
  assert.ok(msg.length < 160, msg);
  assert.match(msg, /^c\.yaml:3 expectations\[0\]\.expect: "x+\.\.\. is not allow\|deny$/);
});

test("scalars read as kubectl reads YAML (go-yaml v2), like the manifests beside the file", () => {
  // go-yaml v2 resolve.go: a leading 0 is octal (0120 = 80), `yes` is a boolean, 8_080 is 8080;
  // YAML 1.2's core schema would read 120, "yes" and a string.
  const [a, b] = parseExpectations(
    "c.yaml",
    "- {name: yes, from: a, to: b, port: 0120, expect: allow}\n- {from: a, to: b, port: 8_080, expect: deny}\n",
  );
  assert.equal(a.port, 80);
  assert.equal(a.name, "true");
  assert.equal(b.port, 8080);
  assert.match(fails("- {from: a, to: b, expect: allow}\n- {from: a, from: c, to: b, expect: allow}\n"), /c\.yaml:2/);
});
