// `get` and `describe` of the Gateway API kinds: the CRDs' printer columns
// (kubernetes-sigs/gateway-api config/crd/standard: Gateway NAME CLASS ADDRESS PROGRAMMED AGE,
// HTTPRoute NAME HOSTNAMES AGE) and the route conditions the spec names (Accepted with
// NoMatchingParent for a sectionName no listener has; ResolvedRefs with BackendNotFound).
import { test } from "node:test";
import assert from "node:assert/strict";
import { app, gateway, HTTP_LISTENER, httpRoute, ingressCluster } from "../ingress/testing.js";
import { describeGatewayApi } from "./describe-gateway.js";
import { findResource, getView } from "./get.js";

const CONFIG =
  "apiVersion: podnet.dev/v1alpha1\nkind: Cluster\nname: demo\nnetworking: {loadBalancerSubnet: 192.168.1.240/28}\n";
const M =
  app("web") +
  gateway(HTTP_LISTENER) +
  httpRoute(
    "good",
    `  parentRefs: [{name: gw}]
  hostnames: [shop.example.com]
  rules: [{backendRefs: [{name: web, port: 80}, {name: gone, port: 80}]}]`,
  ) +
  httpRoute(
    "lost",
    "  parentRefs: [{name: gw, sectionName: https}]\n  rules: [{backendRefs: [{name: web, port: 80}]}]",
  );

test("get gateways / httproutes: the class, the Service's LoadBalancer address, the route conditions", () => {
  const s = ingressCluster(M, CONFIG);
  const lb = s.services.find((x) => x.name === "podnet-gateway")!.loadBalancerIPs[0];
  assert.match(lb, /^192\.168\.1\.24\d$/);
  const gws = getView(s, findResource("gateways")!).stdout.trim().split("\n");
  assert.match(gws[0], /^NAME\s+CLASS\s+ADDRESS\s+PROGRAMMED\s+AGE$/);
  assert.match(gws[1], new RegExp(`^gw\\s+podnet\\s+${lb.replace(/\./g, "\\.")}\\s+True\\s`));
  const routes = getView(s, findResource("httproutes.gateway.networking.k8s.io")!, { output: "wide" })
    .stdout.trim()
    .split("\n");
  assert.match(routes[0], /^NAME\s+HOSTNAMES\s+ACCEPTED\s+RESOLVEDREFS\s+AGE$/);
  assert.match(routes[1], /^good\s+\["shop\.example\.com"\]\s+True\s+False\s/);
  assert.match(routes[2], /^lost\s+False\s+True\s/);
  const cls = getView(s, findResource("gatewayclass")!).stdout.trim().split("\n");
  assert.match(cls[1], /^podnet\s+podnet\.dev\/gateway\s+True\s/);
});

test("describe httproute: the status parents with reasons and messages", () => {
  const s = ingressCluster(M, CONFIG);
  const lost = s.objects!.find((o) => o.kind === "HTTPRoute" && o.metadata.name === "lost")!;
  const out = describeGatewayApi(s, lost);
  assert.match(out, /^Name: +lost\nNamespace: +default\n/);
  assert.match(out, /Kind: +HTTPRoute\n/);
  assert.match(out, /Reason: +NoMatchingParent\n/);
  assert.match(out, /Section Name: +https\n/);
  const good = describeGatewayApi(s, s.objects!.find((o) => o.metadata.name === "good")!);
  assert.match(good, /Message: +backendRef Service default\/gone not found\n +Reason: +BackendNotFound\n/);
});
