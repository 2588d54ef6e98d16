// IngressClass: an understood, cluster-scoped kind; spec.controller as the API server
// validates it (pkg/apis/networking/validation ValidateIngressClass).
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkSpec } from "./parse.js";

const cls = (spec: string) =>
  checkSpec([
    { file: "c.yaml", text: `apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: nginx}\n${spec}` },
  ]);

test("an IngressClass is read, without a namespace", () => {
  const r = cls("spec: {controller: k8s.io/ingress-nginx}\n");
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.spec.objects[0].kind, "IngressClass");
});

test("spec.controller is required and a domain-prefixed path", () => {
  assert.match(cls("spec: {}\n").diagnostics[0].message, /spec\.controller: Required value/);
  const bad = cls("spec: {controller: nginx}\n").diagnostics[0];
  assert.match(bad.message, /spec\.controller: "nginx" must be a domain-prefixed path/);
});
