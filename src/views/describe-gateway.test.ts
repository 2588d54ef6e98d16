import { test } from "node:test";
import assert from "node:assert/strict";
import { label } from "./describe-gateway.js";

test("field labels as kubectl's smartLabelFor writes them", () => {
  // kubectl pkg/describe/describe.go smartLabelFor: camelCase words titled, common acronyms
  // upper-cased, a key with other characters than letters and '-' left as it is.
  assert.equal(label("parentRefs"), "Parent Refs");
  assert.equal(label("apiVersion"), "API Version");
  assert.equal(label("URLRewrite"), "URL Rewrite");
  assert.equal(label("k8s:app"), "k8s:app");
  assert.equal(label("kubernetes.io/name"), "kubernetes.io/name");
  assert.equal(label("port"), "Port");
});
