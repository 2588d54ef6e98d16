// verify's HTTP flows for podnet's Gateways: one request per HTTPRoute match, built to
// satisfy it, and the outcomes a proxy splitting by weight may give.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type GatewayRouter, gatewayRouter } from "../ingress/gateway.js";
import {
  app,
  GATEWAY_SPEC_MANIFESTS,
  gateway,
  HTTP_LISTENER,
  httpRoute,
  ingress,
  ingressCluster,
  router as ingressRouterOf,
} from "../ingress/testing.js";
import { compareAnswer, fillEndpoint, gatewayOutcomes, planGatewayFlows, planHttpFlows } from "./verify-http.js";

const router = gatewayRouter(ingressCluster(GATEWAY_SPEC_MANIFESTS)) as GatewayRouter;

test("one request per HTTPRoute match; each is decided by its own match", () => {
  const skipped: { what: string; why: string }[] = [];
  const flows = planGatewayFlows(router, skipped);
  // 24 matches; shop-later rule 0 asks what shop rule 3 asks. RegularExpression paths,
  // headers and query values are asked with a generated string.
  assert.equal(flows.length, 23);
  assert.deepEqual(skipped, []);
  const items = flows.find((f) => f.what.startsWith("HTTPRoute default/shop rule 6 "));
  assert.match(items?.url ?? "", /^http:\/\/shop\.example\.com:80\/items\/[0-9]+$/);
  const tier = flows.find((f) => f.what.startsWith("HTTPRoute default/match rule 0 "));
  assert.match(tier?.request.request.headers["x-tier"] ?? "", /^(gold|silver)$/);
  const tags = flows.find((f) => f.what.startsWith("HTTPRoute default/match rule 3 "));
  assert.match(tags?.url ?? "", /\?tag=[a-z]+-[0-9]+$/);
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

test("a RegularExpression no string can be generated for is skipped with the reason", () => {
  const r = gatewayRouter(
    ingressCluster(
      `${app("web")}${gateway(HTTP_LISTENER)}${httpRoute(
        "re",
        `  parentRefs: [{name: gw}]
  rules:
  - matches: [{headers: [{name: X-A, type: RegularExpression, value: "(?<=a)b"}]}]
    backendRefs: [{name: web, port: 80}]
  - matches: [{path: {type: RegularExpression, value: "items"}}]
    backendRefs: [{name: web, port: 80}]`,
      )}`,
    ),
  ) as GatewayRouter;
  const skipped: { what: string; why: string }[] = [];
  assert.equal(planGatewayFlows(r, skipped).length, 0);
  assert.deepEqual(
    skipped.map((s) => s.why.replace(/ \(.*/, "")),
    [
      'RegularExpression path "items": none of 64 strings generated from it matches it as a whole and fits the request',
      'RegularExpression header x-a "(?<=a)b": randexp cannot read it',
    ],
  );
});

test("an Ingress regex path (use-regex) is asked with a string it matches; a bad one is skipped", () => {
  const r = ingressRouterOf(
    ingressCluster(
      `${app("web")}${app("api")}${ingress(
        "re",
        "re.example.com",
        [
          { path: "/", type: "Prefix", service: "web" },
          { path: "/api/v[0-9]+/items", type: "ImplementationSpecific", service: "api" },
          { path: "/bad(", type: "ImplementationSpecific", service: "api" },
        ],
        { meta: "annotations: {nginx.ingress.kubernetes.io/use-regex: 'true'}" },
      )}`,
    ),
  );
  const skipped: { what: string; why: string }[] = [];
  const flows = planHttpFlows(r, skipped);
  const api = flows.find((f) => f.what.includes("/api/v[0-9]+/items"));
  assert.match(api?.url ?? "", /^http:\/\/re\.example\.com\/api\/v[0-9]+\/items$/);
  // ingress-nginx's `~* "^/api/v[0-9]+/items"` takes it (https://kubernetes.github.io/ingress-nginx/user-guide/ingress-path-matching/).
  assert.equal(api?.expected.decision.backend?.service, "default/api");
  assert.deepEqual(
    skipped.map((s) => s.what),
    ["Ingress default/re rule 0 path /bad("],
  );
  assert.match(skipped[0].why, /^RegularExpression path "\/bad\(": Invalid regular expression/);
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
