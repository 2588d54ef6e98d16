import assert from "node:assert/strict";
import { test } from "node:test";
import { flowLogPrefix, parseFlowLogPrefix } from "./flowlog.js";

test("flow log prefix: reason, side and policies round-trip", () => {
  const p = { reason: "POLICY_DENIED", direction: "ingress" as const, policies: ["a/deny", "b/x"] };
  assert.equal(flowLogPrefix(p), "POLICY_DENIED ingress a/deny,b/x");
  assert.deepEqual(parseFlowLogPrefix(flowLogPrefix(p)), p);
  assert.deepEqual(parseFlowLogPrefix("SERVICE_BACKEND_NOT_FOUND"), { reason: "SERVICE_BACKEND_NOT_FOUND" });
  assert.equal(parseFlowLogPrefix("some other logger: "), null);
});

test("flow log prefix: cut to NF_LOG_PREFIXLEN - 1 bytes", () => {
  const long = flowLogPrefix({
    reason: "POLICY_DENIED",
    direction: "egress",
    policies: ["n".repeat(63) + "/" + "p".repeat(200)],
  });
  assert.ok(new TextEncoder().encode(long).length <= 127);
  assert.ok(long.endsWith("…"));
});
