// Requests → backend or status through podnet's Gateway controller, written from the Gateway
// API specification (https://gateway-api.sigs.k8s.io/reference/spec/: HTTPRouteRule's
// precedence, HTTPPathMatch, HTTPRequestRedirectFilter, HTTPBackendRef, ReferenceGrant,
// Listener.hostname / HTTPRouteSpec.hostnames) and the shape of the conformance tests in
// kubernetes-sigs/gateway-api conformance/tests/ (httproute-simple-same-namespace,
// httproute-exact-path-matching, httproute-matching, httproute-matching-across-routes,
// httproute-hostname-intersection, httproute-request-redirect, httproute-reference-grant,
// httproute-invalid-*), as remembered: expectations follow the spec's text, never podnet's output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkSpec } from "../manifest/parse.js";
import { type GatewayResult, type GatewayRouter, gatewayRouter } from "./gateway.js";
import { parseRouteRequest } from "./request.js";
import { app, gateway, HTTP_LISTENER as HTTP, httpRoute as route, ingressCluster } from "./testing.js";

const CLASS = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: podnet}
spec: {controllerName: podnet.dev/gateway}
---
`;

function gw(manifests: string, only?: string): GatewayRouter {
  const r = gatewayRouter(ingressCluster(manifests), { gateway: only });
  if (typeof r === "string") throw new Error(r);
  return r;
}

function ask(r: GatewayRouter, url: string, method = "GET", headers: string[] = []): GatewayResult {
  const p = parseRouteRequest(url, method, headers);
  if (typeof p === "string") throw new Error(p);
  return r.route(p);
}

/** "default/s1" for a 200, else the status as text. */
function to(r: GatewayRouter, url: string, method = "GET", headers: string[] = []): string {
  const d = ask(r, url, method, headers).decision;
  return d.status === 200 ? d.backend!.service : String(d.status);
}

const APPS = app("s0") + app("s1") + app("s2") + app("s3");
const BASE = APPS + CLASS + gateway(HTTP);

test("simple same-namespace route: all paths of any host to its backend, 200 with endpoints", () => {
  const r = gw(BASE + route("r", "  parentRefs: [{name: gw}]\n  rules:\n  - backendRefs: [{name: s0, port: 80}]"));
  const res = ask(r, "http://anything.example/any/path");
  assert.equal(res.decision.status, 200);
  assert.deepEqual(res.decision.via, { kind: "HTTPRoute", name: "default/r" });
  assert.deepEqual(res.decision.backend, { service: "default/s0", port: 80 });
  assert.equal(res.decision.match, "PathPrefix /"); // no matches: the spec's default
  assert.equal(res.decision.endpoints.length, 1);
  assert.match(res.decision.endpoints[0], /^10\.244\.\d+\.\d+:8080$/); // endpoint IP, targetPort
  assert.equal(ask(r, "http://x/", "GET").gateway, "default/gw");
  // Another port has no listener: 404 without a route.
  assert.equal(ask(r, "http://x:8080/").decision.via, null);
});

const M = (path: string, svc: string, extra = "") =>
  `  - matches: [{path: ${path}${extra}}]\n    backendRefs: [{name: ${svc}, port: 80}]`;

test("path matching: Exact, PathPrefix by element (trailing / ignored), RegularExpression", () => {
  const r = gw(
    BASE +
      route(
        "paths",
        `  parentRefs: [{name: gw}]\n  rules:\n${[
          M("{type: PathPrefix, value: /}", "s0"),
          M("{type: Exact, value: /exact}", "s1"),
          M("{type: PathPrefix, value: /prefix/}", "s2"),
          M('{type: RegularExpression, value: "/v[0-9]+/items"}', "s3"),
        ].join("\n")}`,
      ),
  );
  const cases: [string, string][] = [
    ["/exact", "default/s1"],
    ["/exact/", "default/s0"], // Exact is the whole path
    ["/exactly", "default/s0"],
    ["/prefix", "default/s2"], // "/abc, /abc/ and /abc/def all match the prefix /abc"
    ["/prefix/", "default/s2"],
    ["/prefix/one/two", "default/s2"],
    ["/prefixone", "default/s0"], // "but the path /abcd would not"
    ["/v2/items", "default/s3"],
    ["/v2/items/1", "default/s0"], // the expression must match the whole path
    ["/", "default/s0"],
  ];
  for (const [path, want] of cases) assert.equal(to(r, `http://h${path}`), want, path);
});

test("precedence across rules and routes: the HTTPRouteRule order", () => {
  // Same hostname, every tie-breaker of the spec's list, one at a time.
  const old = 'creationTimestamp: "2026-01-01T00:00:00Z"';
  const young = 'creationTimestamp: "2026-06-01T00:00:00Z"';
  const r = gw(
    BASE +
      route(
        "young",
        `  parentRefs: [{name: gw}]\n  rules:\n${[
          M("{type: PathPrefix, value: /a}", "s3"),
          M("{type: PathPrefix, value: /same}", "s3"),
        ].join("\n")}`,
        young,
      ) +
      route(
        "old",
        `  parentRefs: [{name: gw}]\n  rules:\n${[
          M("{type: PathPrefix, value: /a/b}", "s0"), // longest prefix wins over /a
          M("{type: Exact, value: /a}", "s1"), // Exact wins over every prefix
          M("{type: PathPrefix, value: /same}", "s2"), // older route wins the tie
          `  - matches: [{path: {type: PathPrefix, value: /m}, method: POST}]\n    backendRefs: [{name: s1, port: 80}]`,
          `  - matches: [{path: {type: PathPrefix, value: /m}, headers: [{name: h1, value: "1"}, {name: h2, value: "2"}]}]\n    backendRefs: [{name: s2, port: 80}]`,
          `  - matches: [{path: {type: PathPrefix, value: /m}, headers: [{name: h1, value: "1"}]}]\n    backendRefs: [{name: s3, port: 80}]`,
          `  - matches: [{path: {type: PathPrefix, value: /q}, queryParams: [{name: a, value: "1"}]}]\n    backendRefs: [{name: s1, port: 80}]`,
          `  - matches: [{path: {type: PathPrefix, value: /q}, queryParams: [{name: a, value: "1"}, {name: b, value: "2"}]}]\n    backendRefs: [{name: s2, port: 80}]`,
        ].join("\n")}`,
        old,
      ),
  );
  assert.equal(to(r, "http://h/a"), "default/s1");
  assert.equal(to(r, "http://h/a/b/c"), "default/s0");
  assert.equal(to(r, "http://h/a/c"), "default/s3");
  assert.equal(to(r, "http://h/same"), "default/s2");
  // method beats headers; more headers beat fewer.
  assert.equal(to(r, "http://h/m", "POST", ["H1: 1", "H2: 2"]), "default/s1");
  assert.equal(to(r, "http://h/m", "GET", ["H1: 1", "H2: 2"]), "default/s2");
  assert.equal(to(r, "http://h/m", "GET", ["h1: 1"]), "default/s3"); // header names: any case
  assert.equal(to(r, "http://h/m"), "404");
  assert.equal(to(r, "http://h/q?a=1&b=2"), "default/s2");
  assert.equal(to(r, "http://h/q?b=2&a=1"), "default/s2");
  assert.equal(to(r, "http://h/q?a=1"), "default/s1");
  assert.equal(to(r, "http://h/q?A=1"), "404"); // query names compare exactly
});

test("equal routes: alphabetical namespace/name, then rule order", () => {
  const rules = (svc: string) =>
    `  parentRefs: [{name: gw}]\n  rules:\n${M("{type: PathPrefix, value: /x}", svc)}\n${M("{type: PathPrefix, value: /x}", "s3")}`;
  const r = gw(BASE + route("bbb", rules("s1")) + route("aaa", rules("s0")));
  assert.equal(to(r, "http://h/x"), "default/s0");
});

test("hostnames: listener ∩ route, exact before wildcard, wildcard suffix matches deeper names", () => {
  const r = gw(
    APPS +
      CLASS +
      gateway("  - {name: http, port: 80, protocol: HTTP, hostname: '*.example.com'}") +
      route(
        "exact",
        "  parentRefs: [{name: gw}]\n  hostnames: [foo.example.com, bar.other.org]\n  rules:\n  - backendRefs: [{name: s0, port: 80}]",
      ) +
      route(
        "wild",
        "  parentRefs: [{name: gw}]\n  hostnames: ['*.example.com']\n  rules:\n" +
          M("{type: PathPrefix, value: /w}", "s1"),
      ) +
      route("none", "  parentRefs: [{name: gw}]\n  rules:\n  - backendRefs: [{name: s2, port: 80}]") +
      route(
        "other",
        "  parentRefs: [{name: gw}]\n  hostnames: [other.org]\n  rules:\n  - backendRefs: [{name: s3, port: 80}]",
      ),
  );
  assert.equal(to(r, "http://foo.example.com/w"), "default/s0"); // the exact hostname's route first
  assert.equal(to(r, "http://baz.example.com/w"), "default/s1");
  assert.equal(to(r, "http://a.b.example.com/w"), "default/s1"); // suffix match
  assert.equal(to(r, "http://baz.example.com/"), "default/s2"); // the route without hostnames
  assert.equal(to(r, "http://example.com/"), "404"); // not under *.example.com
  assert.equal(to(r, "http://bar.other.org/"), "404"); // outside the listener's hostname
  const st = (name: string) =>
    r.routeStatus(r.routes.find((x) => x.metadata.name === name)!)[0].conditions.find((c) => c.type === "Accepted")!;
  assert.equal(st("exact").reason, "Accepted");
  assert.deepEqual([st("other").status, st("other").reason], ["False", "NoMatchingListenerHostname"]);
});

test("parentRefs: sectionName and port pick listeners; allowedRoutes Same / All / Selector", () => {
  const ns = (n: string, team: string) =>
    `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${n}, labels: {team: ${team}}}\n---\n`;
  const listeners = [
    "  - {name: web, port: 80, protocol: HTTP}",
    "  - {name: admin, port: 8080, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}",
    "  - {name: teams, port: 9090, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {team: blue}}}}}",
  ].join("\n");
  const inNs = (name: string, n: string, parent: string) =>
    route(name, `  parentRefs: [${parent}]\n  rules:\n  - backendRefs: [{name: s0, port: 80}]`, `namespace: ${n}`);
  const r = gw(
    ns("blue", "blue") +
      ns("red", "red") +
      app("s0", 1, "blue") +
      app("s0", 1, "red") +
      APPS +
      CLASS +
      gateway(listeners) +
      inNs("a", "blue", "{name: gw, namespace: default, sectionName: admin}") +
      inNs("b", "red", "{name: gw, namespace: default, sectionName: web}") +
      inNs("c", "blue", "{name: gw, namespace: default, port: 9090}") +
      inNs("d", "red", "{name: gw, namespace: default, port: 9090}") +
      inNs("e", "red", "{name: gw, namespace: default, sectionName: nope}"),
  );
  const reason = (name: string) =>
    r.routeStatus(r.routes.find((x) => x.metadata.name === name)!)[0].conditions.find((c) => c.type === "Accepted")!
      .reason;
  assert.equal(reason("a"), "Accepted");
  assert.equal(reason("b"), "NotAllowedByListeners"); // from: Same is the default
  assert.equal(reason("c"), "Accepted");
  assert.equal(reason("d"), "NotAllowedByListeners");
  assert.equal(reason("e"), "NoMatchingParent");
  assert.equal(to(r, "http://h:8080/"), "blue/s0");
  assert.equal(to(r, "http://h:9090/"), "blue/s0");
  assert.equal(to(r, "http://h/"), "404"); // no route accepted on "web"
  const status = r.gatewayStatus(r.gateways[0])!;
  assert.deepEqual(
    status.listeners.map((l) => [l.name, l.attachedRoutes]),
    [
      ["web", 0],
      ["admin", 1],
      ["teams", 1],
    ],
  );
});

test("backendRefs: ReferenceGrant for other namespaces (else 500, RefNotPermitted), missing Service, weights", () => {
  const other = `apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n---\n${app("t", 1, "other")}`;
  const grant = `
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: allow, namespace: other}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
  to: [{group: "", kind: Service}]
---
`;
  const cross = route(
    "cross",
    "  parentRefs: [{name: gw}]\n  rules:\n  - backendRefs: [{name: t, namespace: other, port: 80}]",
  );
  const without = gw(BASE + other + cross);
  assert.equal(to(without, "http://h/"), "500");
  const resolved = without.routeStatus(without.routes[0])[0].conditions.find((c) => c.type === "ResolvedRefs")!;
  assert.deepEqual([resolved.status, resolved.reason], ["False", "RefNotPermitted"]);
  const withGrant = gw(BASE + other + grant + cross);
  assert.equal(to(withGrant, "http://h/"), "other/t");
  assert.equal(withGrant.routeStatus(withGrant.routes[0])[0].conditions[1].reason, "ResolvedRefs");

  const missing = gw(
    BASE + route("m", "  parentRefs: [{name: gw}]\n  rules:\n  - backendRefs: [{name: nope, port: 80}]"),
  );
  assert.equal(to(missing, "http://h/"), "500");
  assert.equal(missing.routeStatus(missing.routes[0])[0].conditions[1].reason, "BackendNotFound");

  const weights = gw(
    BASE +
      route(
        "w",
        `  parentRefs: [{name: gw}]\n  rules:\n  - matches: [{path: {value: /a}}]\n    backendRefs: [{name: s0, port: 80, weight: 10}, {name: s1, port: 80, weight: 90}]\n  - matches: [{path: {value: /z}}]\n    backendRefs: [{name: s0, port: 80, weight: 0}]\n  - matches: [{path: {value: /none}}]`,
      ),
  );
  const a = ask(weights, "http://h/a");
  assert.equal(a.decision.backend?.service, "default/s1");
  assert.deepEqual(
    a.backends.map((b) => [b.service, b.weight]),
    [
      ["default/s0", 10],
      ["default/s1", 90],
    ],
  );
  assert.equal(to(weights, "http://h/z"), "500"); // weight 0: never sent there
  assert.equal(to(weights, "http://h/none"), "500"); // no backends, no filter
});

test("RequestRedirect: scheme, hostname, port, path, statusCode; RequestHeaderModifier", () => {
  const redirect = (path: string, body: string) =>
    `  - matches: [{path: {type: PathPrefix, value: ${path}}}]\n    filters: [{type: RequestRedirect, requestRedirect: ${body}}]`;
  const r = gw(
    BASE +
      route(
        "redir",
        `  parentRefs: [{name: gw}]\n  rules:\n${[
          redirect("/scheme", "{scheme: https}"),
          redirect("/host", "{hostname: example.org, statusCode: 301}"),
          redirect("/port", "{scheme: https, port: 8443}"),
          redirect("/full", "{path: {type: ReplaceFullPath, replaceFullPath: /new}}"),
          redirect("/old", "{path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}"),
          `  - matches: [{path: {value: /hdr}}]\n    filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Env, value: prod}], remove: [X-Debug]}}]\n    backendRefs: [{name: s0, port: 80}]`,
        ].join("\n")}`,
      ),
  );
  const loc = (url: string) => {
    const d = ask(r, url).decision;
    return `${d.status} ${d.redirect?.location}`;
  };
  assert.equal(loc("http://h.example/scheme/x?q=1"), "302 https://h.example/scheme/x?q=1"); // 302 default, 443 omitted
  assert.equal(loc("http://h.example/host"), "301 http://example.org/host"); // listener port 80
  assert.equal(loc("http://h.example/port"), "302 https://h.example:8443/port");
  assert.equal(loc("http://h.example/full/a/b"), "302 http://h.example/new");
  assert.equal(loc("http://h.example/old/a/b"), "302 http://h.example/new/a/b");
  assert.equal(loc("http://h.example/old"), "302 http://h.example/new");
  const d = ask(r, "http://h/scheme").decision;
  assert.equal(d.backend, null);
  const hdr = ask(r, "http://h/hdr");
  assert.equal(hdr.decision.status, 200);
  assert.deepEqual(hdr.requestEdits, ["set X-Env: prod", "remove X-Debug"]);
});

test("a Gateway whose class is missing gets podnet's class and controller Service, with a warning", () => {
  const text =
    APPS + gateway("  - {name: http, port: 80, protocol: HTTP}\n  - {name: alt, port: 8080, protocol: HTTP}");
  const state = ingressCluster(text.replace("gatewayClassName: podnet", "gatewayClassName: mine"));
  const cls = state.objects!.find((o) => o.kind === "GatewayClass")!;
  assert.equal(cls.metadata.name, "mine");
  assert.equal(cls.spec.controllerName, "podnet.dev/gateway");
  const svc = state.services.find((s) => s.namespace === "podnet-gateway" && s.name === "podnet-gateway")!;
  assert.deepEqual(
    svc.ports.map((p) => p.port),
    [80, 8080],
  );
  assert.ok(state.pods.some((p) => p.namespace === "podnet-gateway"));
  const r = gatewayRouter(state);
  assert.ok(typeof r !== "string");
  assert.ok(r.warnings.some((w) => w.includes("GatewayClass mine is not in the input")));
  // Another controller's class: podnet adds nothing and routes nothing for it.
  const foreign = ingressCluster(
    `${APPS}apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: other}\nspec: {controllerName: example.com/other}\n---\n${gateway(HTTP).replace("gatewayClassName: podnet", "gatewayClassName: other")}`,
  );
  assert.ok(!foreign.services.some((s) => s.namespace === "podnet-gateway"));
  assert.equal(typeof gatewayRouter(foreign), "string");
});

test("the Gateway API kinds are read (no 'ignored kind'), and validated with file, field and value", () => {
  const ok = checkSpec([{ file: "gw.yaml", text: BASE + route("r", "  parentRefs: [{name: gw}]") }]);
  assert.deepEqual(
    ok.diagnostics.filter((d) => /ignored kind/.test(d.message)),
    [],
  );
  const bad = checkSpec([
    {
      file: "bad.yaml",
      text:
        CLASS +
        gateway("  - {name: tls, port: 443, protocol: HTTPS}") +
        route(
          "r",
          "  parentRefs: [{name: gw}]\n  rules:\n  - matches: [{path: {type: Exact, value: nope}}]\n    backendRefs: [{name: s0}]",
        ),
    },
  ]);
  const errors = bad.diagnostics.filter((d) => d.severity === "error").map((d) => d.message);
  assert.ok(
    errors.some((m) => m.includes("bad.yaml") && m.includes("spec.listeners[0].tls")),
    errors.join("\n"),
  );
  assert.ok(
    errors.some((m) => m.includes("spec.rules[0].matches[0].path.value") && m.includes('"nope"')),
    errors.join("\n"),
  );
  assert.ok(
    errors.some((m) => m.includes("spec.rules[0].backendRefs[0].port") && m.includes("Must have port")),
    errors.join("\n"),
  );
});

test("URLRewrite edits the forwarded request; an ExtensionRef filter podnet cannot apply answers 500", () => {
  const r = gw(
    BASE +
      route(
        "rw",
        `  parentRefs: [{name: gw}]\n  rules:\n  - matches: [{path: {type: PathPrefix, value: /shop}}]\n    filters: [{type: URLRewrite, urlRewrite: {hostname: internal.example, path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]\n    backendRefs: [{name: s0, port: 80}]\n  - matches: [{path: {value: /ext}}]\n    filters: [{type: ExtensionRef, extensionRef: {group: example.com, kind: Thing, name: t}}]\n    backendRefs: [{name: s1, port: 80}]`,
      ),
  );
  const rw = ask(r, "http://h/shop/cart");
  assert.equal(rw.decision.status, 200);
  assert.deepEqual(rw.requestEdits, ["set Host: internal.example", "path /shop/cart -> /cart"]);
  assert.equal(to(r, "http://h/ext"), "500");
});
