// verify's HTTP flows for podnet's Gateways: one request per HTTPRoute match, built to
// satisfy it, and the outcomes a proxy splitting by weight may give.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type GatewayRouter, gatewayRouter } from "../ingress/gateway.js";
import { GATEWAY_SPEC_MANIFESTS, ingressCluster } from "../ingress/testing.js";
import { compareAnswer, fillEndpoint, gatewayOutcomes, planGatewayFlows } from "./verify-http.js";

const router = gatewayRouter(ingressCluster(GATEWAY_SPEC_MANIFESTS)) as GatewayRouter;

test("one request per HTTPRoute match; each is decided by its own match", () => {
  const skipped: { what: string; why: string }[] = [];
  const flows = planGatewayFlows(router, skipped);
  // 18 matches: the RegularExpression path skipped; shop-later rule 0 asks what shop rule 3 asks.
  assert.equal(flows.length, 16);
  assert.deepEqual(
    skipped.map((s) => s.what),
    ["HTTPRoute default/shop rule 6 match 0 (default/gw listener http)"],
  );
  const post = flows.find((f) => f.what.startsWith("HTTPRoute default/shop rule 4 "));
  assert.equal(post?.request.request.method, "POST");
  const search = flows.find((f) => f.what.startsWith("HTTPRoute default/shop rule 5 "));
  assert.equal(search?.url, "http://shop.example.com:80/search?q=podnet");
  for (const f of flows) {
    const [, route, rule] = /^HTTPRoute (\S+) rule (\d+)/.exec(f.what)!;
    if (route === "default/shop-later" && rule === "0") continue;
    assert.equal(f.expected.decision.via?.name, route, f.what);
    assert.equal(f.expected.decision.rule, Number(rule), f.what);
  }
  assert.ok(flows.some((f) => f.url === "https://secure.example.com:443/only"));
  assert.ok(flows.some((f) => f.url.startsWith("http://podnet-verify.example.com:80/")));
});

test("a 3:1 split accepts either backend; a pod named by X-Podnet-Pod stands for its endpoint", () => {
  const flows = planGatewayFlows(router, []);
  const split = flows.find((f) => f.what.startsWith("HTTPRoute default/split rule 1 "))!;
  const outcomes = gatewayOutcomes(split.expected);
  assert.equal(outcomes.length, 2);
  const [, other] = outcomes;
  const ans = { status: 200, location: null, pod: "default/x", endpoint: other.slice(4) };
  assert.equal(compareAnswer(split.expected.decision, ans, outcomes).agree, true);
  assert.equal(compareAnswer(split.expected.decision, ans).agree, false);
  const ip = other.slice(4).split(":")[0];
  const filled = fillEndpoint({ ...ans, endpoint: null }, new Map([["default/x", ip]]), outcomes);
  assert.equal(filled.endpoint, other.slice(4));
});
