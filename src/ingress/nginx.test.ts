// Requests → backend or status, from the Ingress API documentation's "Examples" table
// (https://kubernetes.io/docs/concepts/services-networking/ingress/#examples), its
// hostname wildcards table, and ingress-nginx's documented behaviour
// (https://kubernetes.github.io/ingress-nginx/user-guide/ingress-path-matching/,
// .../user-guide/tls/, .../user-guide/nginx-configuration/annotations/,
// .../user-guide/basic-usage/), never from podnet's output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { app, ask, ingress, ingressCluster, router, serviceFor } from "./testing.js";

const APPS = app("s0") + app("s1") + app("s2");

// Kind, the paths (s0, s1, s2 in order), the request, the path that matches (index) or null.
// "Prefix /foo/ → /foo" and "/aaa/bbb/ → /aaa/bbb": ingress-nginx writes `location /foo/`,
// which nginx answers for /foo with a 301 to /foo/ (proxy_pass auto-redirect,
// https://nginx.org/en/docs/http/ngx_http_core_module.html#location); the redirected request
// then matches: serviceFor follows that one redirect, as a browser or `curl -L` does.
const EXAMPLES: [string, string[], string, number | null][] = [
  ["Prefix", ["/"], "/anything/at/all", 0],
  ["Exact", ["/foo"], "/foo", 0],
  ["Exact", ["/foo"], "/bar", null],
  ["Exact", ["/foo"], "/foo/", null],
  ["Exact", ["/foo/"], "/foo", null],
  ["Prefix", ["/foo"], "/foo", 0],
  ["Prefix", ["/foo"], "/foo/", 0],
  ["Prefix", ["/foo/"], "/foo", 0],
  ["Prefix", ["/foo/"], "/foo/", 0],
  ["Prefix", ["/aaa/bb"], "/aaa/bbb", null],
  ["Prefix", ["/aaa/bbb"], "/aaa/bbb", 0],
  ["Prefix", ["/aaa/bbb/"], "/aaa/bbb", 0],
  ["Prefix", ["/aaa/bbb"], "/aaa/bbb/", 0],
  ["Prefix", ["/aaa/bbb"], "/aaa/bbb/ccc", 0],
  ["Prefix", ["/aaa/bbb"], "/aaa/bbbxyz", null],
  ["Prefix", ["/", "/aaa"], "/aaa/ccc", 1],
  ["Prefix", ["/", "/aaa", "/aaa/bbb"], "/aaa/bbb", 2],
  ["Prefix", ["/", "/aaa", "/aaa/bbb"], "/ccc", 0],
  ["Prefix", ["/aaa"], "/ccc", null],
];

test("the Ingress API's examples table: path type, paths, request → match", () => {
  for (const [type, paths, request, want] of EXAMPLES) {
    const ing = ingress(
      "ex",
      "example.com",
      paths.map((path, i) => ({ path, type, service: `s${i}` })),
    );
    const r = router(ingressCluster(APPS + ing));
    const got = serviceFor(r, `http://example.com${request}`);
    assert.equal(got, want === null ? "" : `default/s${want}`, `${type} ${paths.join(", ")} ← ${request}`);
    if (want === null) assert.equal(ask(r, `http://example.com${request}`).decision.status, 404);
  }
});

test("Exact and Prefix /foo: /foo prefers Exact, /foo/ and /foo/x take the Prefix", () => {
  const ing = ingress("ex", "example.com", [
    { path: "/foo", type: "Prefix", service: "s0" },
    { path: "/foo", type: "Exact", service: "s1" },
  ]);
  const r = router(ingressCluster(APPS + ing));
  assert.equal(serviceFor(r, "http://example.com/foo"), "default/s1");
  assert.equal(serviceFor(r, "http://example.com/foo/"), "default/s0");
  assert.equal(serviceFor(r, "http://example.com/foo/x"), "default/s0");
});

test("the decision's JSON: the issue's contract, field for field", () => {
  const r = router(
    ingressCluster(`${app("api", 1)}${ingress("shop", "", [{ path: "/api", type: "Prefix", service: "api" }])}`),
  );
  const d = ask(r, "http://shop.example.com/api/v1").decision;
  assert.deepEqual(Object.keys(d), ["status", "via", "rule", "match", "backend", "endpoints", "redirect"]);
  assert.equal(d.status, 200);
  assert.deepEqual(d.via, { kind: "Ingress", name: "default/shop" });
  assert.equal(d.rule, 0);
  assert.equal(d.match, "Prefix /api");
  // The Service's port 80; the endpoint is the pod's targetPort (the controller connects to pods).
  assert.deepEqual(d.backend, { service: "default/api", port: 80 });
  assert.equal(d.endpoints.length, 1);
  assert.match(d.endpoints[0], /^10\.244\.\d+\.\d+:8080$/);
  assert.equal(d.redirect, null);
  const miss = ask(r, "http://shop.example.com/other").decision;
  assert.deepEqual(miss, {
    status: 404,
    via: null,
    rule: null,
    match: null,
    backend: null,
    endpoints: [],
    redirect: null,
  });
});

test("hosts: exact, and *.foo.com matches exactly one label (the API's wildcard table)", () => {
  const m =
    APPS +
    ingress("a", "foo.bar.com", [{ path: "/", type: "Prefix", service: "s0" }]) +
    ingress("b", "*.foo.com", [{ path: "/", type: "Prefix", service: "s1" }]);
  const r = router(ingressCluster(m));
  assert.equal(serviceFor(r, "http://foo.bar.com/"), "default/s0");
  assert.equal(serviceFor(r, "http://FOO.bar.com:8080/"), "default/s0"); // Host is case-insensitive, port ignored
  assert.equal(serviceFor(r, "http://bar.foo.com/"), "default/s1");
  assert.equal(serviceFor(r, "http://baz.bar.foo.com/"), ""); // two labels: no match
  assert.equal(serviceFor(r, "http://foo.com/"), ""); // no label: no match
  assert.equal(serviceFor(r, "http://other.example/"), "");
  // The Host header chooses the server (curl -H 'Host: …').
  assert.equal(ask(r, "http://192.168.1.240/", ["Host: foo.bar.com"]).decision.backend?.service, "default/s0");
});

test("rules without a host serve any host the other rules do not name", () => {
  const m =
    APPS +
    ingress("any", "", [{ path: "/", type: "Prefix", service: "s0" }]) +
    ingress("named", "named.example.com", [{ path: "/x", type: "Prefix", service: "s1" }]);
  const r = router(ingressCluster(m));
  assert.equal(serviceFor(r, "http://unknown.example.com/x"), "default/s0");
  assert.equal(serviceFor(r, "http://named.example.com/x"), "default/s1");
  // A named host does not fall back to the host-less rules: its `/` is the default backend.
  assert.equal(serviceFor(r, "http://named.example.com/y"), "");
});

test("ImplementationSpecific is nginx's string prefix: /foo matches /foobar", () => {
  const m = APPS + ingress("is", "example.com", [{ path: "/foo", type: "ImplementationSpecific", service: "s0" }]);
  const r = router(ingressCluster(m));
  assert.equal(serviceFor(r, "http://example.com/foobar"), "default/s0");
  assert.equal(serviceFor(r, "http://example.com/foo"), "default/s0");
  assert.equal(serviceFor(r, "http://example.com/fo"), "");
});

test("use-regex: every path of the host is a case-insensitive regex, longest path first", () => {
  // ingress-path-matching.md: test-ingress-1 /foo/bar/bar and test-ingress-2
  // /foo/bar/[A-Z0-9]{3} on one host; the regex is the longer path, so /foo/bar/bar matches it.
  const regex = "annotations: {nginx.ingress.kubernetes.io/use-regex: 'true'}";
  const m =
    APPS +
    ingress("test-ingress-1", "test.com", [{ path: "/foo/bar/bar", type: "Prefix", service: "s0" }]) +
    ingress(
      "test-ingress-2",
      "test.com",
      [{ path: "/foo/bar/[A-Z0-9]{3}", type: "ImplementationSpecific", service: "s1" }],
      {
        meta: regex,
      },
    );
  const r = router(ingressCluster(m));
  assert.equal(serviceFor(r, "http://test.com/foo/bar/bar"), "default/s1");
  assert.equal(serviceFor(r, "http://test.com/FOO/BAR/BAR"), "default/s1"); // ~* is case-insensitive
  assert.equal(serviceFor(r, "http://test.com/foo/bar/barx"), "default/s1"); // "^path": a prefix
});

test("Ingresses sharing a host merge; the oldest keeps a path both define", () => {
  const m =
    APPS +
    ingress("young", "example.com", [{ path: "/a", type: "Prefix", service: "s1" }], {
      meta: "creationTimestamp: '2024-05-02T00:00:00Z'",
    }) +
    ingress(
      "old",
      "example.com",
      [
        { path: "/a", type: "Prefix", service: "s0" },
        { path: "/b", type: "Prefix", service: "s0" },
      ],
      { meta: "creationTimestamp: '2024-05-01T00:00:00Z'" },
    ) +
    ingress("other", "example.com", [{ path: "/c", type: "Exact", service: "s2" }], {
      meta: "creationTimestamp: '2024-05-03T00:00:00Z'",
    });
  const r = router(ingressCluster(m));
  assert.equal(ask(r, "http://example.com/a").decision.via?.name, "default/old");
  assert.equal(serviceFor(r, "http://example.com/b/x"), "default/s0");
  assert.equal(serviceFor(r, "http://example.com/c"), "default/s2");
});

test("defaultBackend: the Ingress's for its hosts' unmatched paths; a rule-less one for every other host", () => {
  const m =
    APPS +
    ingress("site", "example.com", [{ path: "/api", type: "Prefix", service: "s0" }], {
      spec: "  defaultBackend: {service: {name: s1, port: {number: 80}}}",
    }) +
    "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: catch-all}\nspec:\n  defaultBackend: {service: {name: s2, port: {name: http}}}\n---\n";
  const r = router(ingressCluster(m));
  const d = ask(r, "http://example.com/elsewhere").decision;
  assert.equal(d.backend?.service, "default/s1");
  assert.equal(d.match, "defaultBackend");
  assert.equal(d.rule, null);
  // The catch-all's backend names its port by name: resolved through the Service (http → 80).
  const c = ask(r, "http://nobody.example.com/").decision;
  assert.deepEqual([c.via?.name, c.backend], ["default/catch-all", { service: "default/s2", port: 80 }]);
});

test("503 when the Service has no ready endpoints or does not exist; the backend still named", () => {
  const m =
    app("none", 0) +
    ingress("x", "example.com", [
      { path: "/none", type: "Prefix", service: "none" },
      { path: "/gone", type: "Prefix", service: "gone" },
    ]);
  const r = router(ingressCluster(m));
  const a = ask(r, "http://example.com/none").decision;
  assert.deepEqual([a.status, a.backend?.service, a.endpoints], [503, "default/none", []]);
  assert.equal(ask(r, "http://example.com/gone").decision.status, 503);
});

test("TLS: a host in tls is redirected with 308 to https; https gets the Secret's certificate by SNI", () => {
  const secret =
    "apiVersion: v1\nkind: Secret\nmetadata: {name: shop-tls}\ntype: kubernetes.io/tls\ndata: {tls.crt: '', tls.key: ''}\n---\n";
  const m =
    APPS +
    secret +
    ingress("shop", "shop.example.com", [{ path: "/", type: "Prefix", service: "s0" }], {
      spec: "  tls: [{hosts: [shop.example.com], secretName: shop-tls}]",
    }) +
    ingress("plain", "plain.example.com", [{ path: "/", type: "Prefix", service: "s1" }]) +
    ingress("lost", "lost.example.com", [{ path: "/", type: "Prefix", service: "s2" }], {
      spec: "  tls: [{hosts: [lost.example.com], secretName: missing}]",
    }) +
    ingress("off", "off.example.com", [{ path: "/", type: "Prefix", service: "s2" }], {
      meta: "annotations: {nginx.ingress.kubernetes.io/ssl-redirect: 'false'}",
      spec: "  tls: [{hosts: [off.example.com], secretName: shop-tls}]",
    });
  const r = router(ingressCluster(m));
  const red = ask(r, "http://shop.example.com/cart?id=7").decision;
  assert.equal(red.status, 308);
  assert.deepEqual(red.redirect, { location: "https://shop.example.com/cart?id=7", status: 308 });
  assert.equal(red.backend, null);
  const ok = ask(r, "https://shop.example.com/cart");
  assert.equal(ok.decision.status, 200);
  assert.equal(ok.certificate, "default/shop-tls");
  // No Secret: the controller's own certificate, and still the redirect.
  assert.equal(ask(r, "https://lost.example.com/").certificate, "Kubernetes Ingress Controller Fake Certificate");
  assert.equal(ask(r, "http://lost.example.com/").decision.status, 308);
  // A host without tls is served over http; over https it gets the fake certificate.
  assert.equal(ask(r, "http://plain.example.com/").decision.status, 200);
  assert.equal(ask(r, "https://plain.example.com/").certificate, "Kubernetes Ingress Controller Fake Certificate");
  // ssl-redirect: "false" turns the redirect off.
  assert.equal(ask(r, "http://off.example.com/").decision.status, 200);
});

test("the forwarding headers ingress-nginx sets on the proxied request", () => {
  const r = router(ingressCluster(APPS + ingress("h", "example.com", [{ path: "/", type: "Prefix", service: "s0" }])));
  const h = new Map(ask(r, "http://example.com:8080/", ["X-Request-ID: abc123"]).upstreamHeaders);
  assert.equal(h.get("Host"), "example.com:8080"); // Host passes unchanged
  assert.equal(h.get("X-Request-ID"), "abc123"); // the client's is kept
  assert.equal(h.get("X-Forwarded-Host"), "example.com:8080");
  assert.equal(h.get("X-Forwarded-Port"), "8080");
  assert.equal(h.get("X-Forwarded-Proto"), "http");
  assert.ok(h.has("X-Real-IP") && h.has("X-Forwarded-For"));
});

test("classes: the field, the legacy annotation, the default class; other classes are not served", () => {
  const traefik =
    "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: traefik}\nspec: {controller: traefik.io/ingress-controller}\n---\n";
  const m =
    APPS +
    traefik +
    ingress("field", "a.example.com", [{ path: "/", type: "Prefix", service: "s0" }], {
      spec: "  ingressClassName: nginx",
    }) +
    ingress("legacy", "b.example.com", [{ path: "/", type: "Prefix", service: "s0" }], {
      meta: "annotations: {kubernetes.io/ingress.class: nginx}",
    }) +
    ingress("defaulted", "c.example.com", [{ path: "/", type: "Prefix", service: "s0" }]) +
    ingress("theirs", "d.example.com", [{ path: "/", type: "Prefix", service: "s0" }], {
      spec: "  ingressClassName: traefik",
    });
  const r = router(ingressCluster(m));
  assert.deepEqual(
    ["a", "b", "c", "d"].map((h) => ask(r, `http://${h}.example.com/`).decision.status),
    [200, 200, 200, 404],
  );
  assert.ok(r.warnings.some((w) => /default\/theirs has class "traefik"/.test(w)));
});

test("two default IngressClasses: the API server refuses an Ingress without a class", () => {
  // Both in the input (podnet adds its default class only where no other one is the default).
  const second =
    "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: nginx, annotations: {ingressclass.kubernetes.io/is-default-class: 'true'}}\nspec: {controller: k8s.io/ingress-nginx}\n---\n" +
    "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: other, annotations: {ingressclass.kubernetes.io/is-default-class: 'true'}}\nspec: {controller: example.com/other}\n---\n";
  const m = APPS + second + ingress("x", "x.example.com", [{ path: "/", type: "Prefix", service: "s0" }]);
  const r = router(ingressCluster(m));
  assert.equal(ask(r, "http://x.example.com/").decision.status, 404);
  assert.ok(r.warnings.some((w) => /2 default IngressClasses were found, only 1 allowed/.test(w)));
});

test("redirect annotations: permanent-redirect (301 or its code) and temporal-redirect (302)", () => {
  const m =
    APPS +
    ingress("p", "p.example.com", [{ path: "/", type: "Prefix", service: "s0" }], {
      meta: "annotations: {nginx.ingress.kubernetes.io/permanent-redirect: 'https://www.example.com/'}",
    }) +
    ingress("t", "t.example.com", [{ path: "/", type: "Prefix", service: "s0" }], {
      meta: "annotations: {nginx.ingress.kubernetes.io/temporal-redirect: 'https://t2.example.com/'}",
    });
  const r = router(ingressCluster(m));
  assert.deepEqual(ask(r, "http://p.example.com/x").decision.redirect, {
    location: "https://www.example.com/",
    status: 301,
  });
  assert.deepEqual(ask(r, "http://t.example.com/x").decision.redirect, {
    location: "https://t2.example.com/",
    status: 302,
  });
});

test("nginx matches the normalised URI: decoded, slashes merged, dot segments resolved", () => {
  const r = router(
    ingressCluster(APPS + ingress("n", "example.com", [{ path: "/api", type: "Prefix", service: "s0" }])),
  );
  assert.equal(serviceFor(r, "http://example.com//api///v1"), "default/s0");
  assert.equal(serviceFor(r, "http://example.com/x/../api/v1"), "default/s0");
  assert.equal(serviceFor(r, "http://example.com/%61pi/v1"), "default/s0");
  assert.equal(ask(r, "http://example.com/../etc").decision.status, 400);
});
