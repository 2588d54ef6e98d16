// Label selector semantics from the Kubernetes docs ("Labels and Selectors", "Assigning
// Pods to Nodes": Gt/Lt compare integers) and kubectl's -l syntax.
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatLabelSelector, matchSelector, parseSelector, SelectorError, requirementMatches } from "./selector.js";

const labels = { app: "web", tier: "frontend", size: "10" };

test("requirements: In, NotIn (also true when the key is absent), Exists, DoesNotExist", () => {
  assert.equal(requirementMatches(labels, { key: "tier", operator: "In", values: ["frontend", "backend"] }), true);
  assert.equal(requirementMatches(labels, { key: "env", operator: "In", values: ["prod"] }), false);
  assert.equal(requirementMatches(labels, { key: "env", operator: "NotIn", values: ["prod"] }), true);
  assert.equal(requirementMatches(labels, { key: "tier", operator: "NotIn", values: ["frontend"] }), false);
  assert.equal(requirementMatches(labels, { key: "app", operator: "Exists" }), true);
  assert.equal(requirementMatches(labels, { key: "app", operator: "DoesNotExist" }), false);
});

test("node affinity Gt/Lt compare integers with one value", () => {
  assert.equal(requirementMatches(labels, { key: "size", operator: "Gt", values: ["9"] }), true);
  assert.equal(requirementMatches(labels, { key: "size", operator: "Lt", values: ["9"] }), false);
  assert.equal(requirementMatches(labels, { key: "app", operator: "Gt", values: ["1"] }), false);
  assert.equal(requirementMatches(labels, { key: "size", operator: "Gt", values: ["1", "2"] }), false);
});

test("a selector ANDs matchLabels and matchExpressions; {} selects everything", () => {
  assert.equal(matchSelector({}, labels), true);
  assert.equal(
    matchSelector(
      { matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In", values: ["frontend"] }] },
      labels,
    ),
    true,
  );
  assert.equal(
    matchSelector(
      { matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] },
      labels,
    ),
    false,
  );
});

test("kubectl -l syntax round-trips through metav1.FormatLabelSelector (sorted by key)", () => {
  const sel = parseSelector("tier notin (b,a),app=web,!legacy,env");
  assert.equal(matchSelector(sel, labels), false); // env is required
  assert.equal(matchSelector(sel, { ...labels, env: "x" }), true);
  assert.equal(formatLabelSelector(sel), "app=web,env,!legacy,tier notin (a,b)");
  assert.equal(formatLabelSelector({}), "<none>");
  assert.throws(() => parseSelector("a=b=c d"), /invalid label selector/);
});

test("-l: what k8s.io/apimachinery's selector parser refuses is an error, not a selector of everything", () => {
  // pkg/labels/selector.go: keys are qualified names, values label values, in/notin sets not empty.
  for (const bad of ["!!a", "a=b=c", "=", "a in ()", "a in (x", "a in (x))", "a,", "__proto__=x", "a=b c"])
    assert.throws(() => parseSelector(bad), SelectorError, bad);
  // A key named like Object's members is a label key like any other.
  const sel = parseSelector("constructor=x,toString");
  assert.equal(matchSelector(sel, { app: "web" }), false);
  assert.equal(matchSelector(sel, { constructor: "x", toString: "" }), true);
  assert.equal(matchSelector(parseSelector(""), { any: "thing" }), true);
  assert.equal(matchSelector(parseSelector("a="), { a: "" }), true);
});
