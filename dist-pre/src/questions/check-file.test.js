// The expectations file of `podnet check`: typed entries, and errors that name file,
// line, field and the (shortened) value.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SpecError } from "../manifest/errors.js";
import { parseExpectations } from "./check-file.js";
const fails = (text) => {
    try {
        parseExpectations("c.yaml", text);
    }
    catch (e) {
        assert.ok(e instanceof SpecError);
        return e.message;
    }
    assert.fail("expected a SpecError");
};
test("parses a ConnectivityCheck document and a bare list", () => {
    const doc = "kind: ConnectivityCheck\nexpectations:\n  - name: a\n    from: {namespace: default, selector: tier=frontend}\n" +
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
    assert.equal(fails("expectations:\n  - from: a\n    to: b\n    port: 70000\n    expect: allow\n"), "c.yaml:4 expectations[0].port: 70000 is not a valid port (1-65535)");
    assert.equal(fails("- from: a\n  to: b\n  expect: maybe\n"), 'c.yaml:3 expectations[0].expect: "maybe" is not allow|deny');
    assert.equal(fails("- from: a\n  to: b\n  expect: allow\n  protocol: xyz\n"), 'c.yaml:4 expectations[0].protocol: "xyz" is not TCP|UDP|SCTP|ICMP');
    assert.equal(fails("- from: a\n  to: 5\n  expect: allow\n"), "c.yaml:2 expectations[0].to: expected a string, got 5");
    assert.equal(fails("- from: a\n  expect: allow\n"), "c.yaml:1 expectations[0].to: missing");
    assert.equal(fails("- to: b\n  expect: allow\n"), "c.yaml:1 expectations[0].from: missing");
    assert.equal(fails("- from: {selector: 5}\n  to: b\n  expect: allow\n"), "c.yaml:1 expectations[0].from: expected a pod/workload name or {namespace, selector}");
    assert.match(fails("expectations: 3\n"), /^c\.yaml:1 expectations: expected a list/);
    assert.match(fails("a: [\n"), /^c\.yaml:\d+ \(yaml\): /);
});
test("a long value is shown cut", () => {
    const msg = fails(`- from: a\n  to: b\n  expect: "${"x".repeat(500)}"\n`);
    assert.ok(msg.length < 160, msg);
    assert.match(msg, /^c\.yaml:3 expectations\[0\]\.expect: "x+\.\.\. is not allow\|deny$/);
});
//# sourceMappingURL=check-file.test.js.map