// nginx.conf as ingress-nginx's template writes it (kubernetes/ingress-nginx
// rootfs/etc/nginx/template/nginx.tmpl, internal/ingress/controller/template/template.go
// buildLocation/buildServerName; the user guide's ingress-path-matching and tls pages),
// checked on the text; nginx itself reads it in src/linux/ingress-proxy.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FAKE_CERTIFICATE } from "./nginx.js";
import { certificateNeeds, configurationHash, nginxConf, serverName } from "./nginx-conf.js";
import { app, ingress, ingressCluster, router } from "./testing.js";

const FILES = {
  dir: "/run/podnet/t/nginx-x",
  certificates: new Map([
    [FAKE_CERTIFICATE, { cert: "/tls/fake.crt", key: "/tls/fake.key" }],
    ["default/shop-tls", { cert: "/tls/shop.crt", key: "/tls/shop.key" }],
  ]),
};

const TLS_SECRET = `
apiVersion: v1
kind: Secret
metadata: {name: shop-tls}
type: kubernetes.io/tls
data: {tls.crt: "", tls.key: ""}
---
`;

/** The block of `location ARG` in the server of `host`. */
function location(conf: string, host: string, arg: string): string | null {
  const server = conf.split(`## start server ${host}\n`)[1]?.split(`## end server ${host}\n`)[0] ?? "";
  const i = server.indexOf(`location ${arg} {`);
  if (i < 0) return null;
  return server.slice(i, server.indexOf("\n        }", i));
}

test("Exact writes `= /p`; Prefix writes `/p/` and `= /p`; ImplementationSpecific the plain prefix", () => {
  const st = ingressCluster(
    app("s0") +
      app("s1") +
      app("s2") +
      ingress("shop", "shop.example.com", [
        { path: "/exact", type: "Exact", service: "s0" },
        { path: "/api", type: "Prefix", service: "s1" },
        { path: "/impl", type: "ImplementationSpecific", service: "s2" },
      ]),
  );
  const conf = nginxConf(router(st), st, FILES);
  assert.match(conf, /server_name shop\.example\.com;/);
  assert.ok(location(conf, "shop.example.com", '= "/exact"'));
  assert.ok(location(conf, "shop.example.com", '"/api/"'));
  assert.ok(location(conf, "shop.example.com", '= "/api"'));
  assert.ok(location(conf, "shop.example.com", '"/impl"'));
  assert.equal(location(conf, "shop.example.com", '"/exact/"'), null, "Exact adds no prefix location");
  // ingress-nginx proxies to the endpoints (an upstream per Service port), not the ClusterIP.
  const svc = st.services.find((s) => s.name === "s1")!;
  const eps = st.endpointSlices
    .filter((s) => s.serviceName === "s1")
    .flatMap((s) => s.endpoints.flatMap((e) => e.addresses));
  assert.equal(eps.length, 1);
  assert.match(conf, new RegExp(`upstream default-s1-80 \\{\\n\\s+server ${eps[0].replace(/\./g, "\\.")}:8080 `));
  assert.ok(!conf.includes(svc.clusterIP!), "the ClusterIP is never an upstream");
  assert.match(location(conf, "shop.example.com", '"/api/"')!, /proxy_pass http:\/\/default-s1-80;/);
});

test("the catch-all is the default server answering the default backend's 404", () => {
  const st = ingressCluster(app("s0") + ingress("a", "a.example.com", [{ path: "/", type: "Prefix", service: "s0" }]));
  const conf = nginxConf(router(st), st, FILES);
  assert.match(conf, /server_name _;\n\s+listen 80 default_server/);
  assert.match(location(conf, "_", '"/"')!, /proxy_pass http:\/\/upstream-default-backend;/);
  assert.match(conf, /return 404 "default backend - 404\\n"/);
});

test("the headers nginx.tmpl sets on the proxied request", () => {
  const st = ingressCluster(app("s0") + ingress("a", "a.example.com", [{ path: "/", type: "Prefix", service: "s0" }]));
  const loc = location(nginxConf(router(st), st, FILES), "a.example.com", '"/"')!;
  for (const h of [
    "X-Request-ID $req_id",
    "X-Real-IP $remote_addr",
    "X-Forwarded-For $remote_addr",
    "X-Forwarded-Host $best_http_host",
    "X-Forwarded-Port $server_port",
    "X-Forwarded-Proto $scheme",
    "X-Scheme $scheme",
  ])
    assert.ok(loc.includes(`proxy_set_header ${h};`), h);
});

test("TLS: the Secret's certificate on the host, 308 from http, the fake certificate elsewhere", () => {
  const st = ingressCluster(
    app("s0") +
      TLS_SECRET +
      ingress("a", "secure.example.com", [{ path: "/", type: "Prefix", service: "s0" }], {
        spec: "  tls: [{hosts: [secure.example.com], secretName: shop-tls}]",
      }) +
      ingress("b", "plain.example.com", [{ path: "/", type: "Prefix", service: "s0" }]),
  );
  const r = router(st);
  const conf = nginxConf(r, st, FILES);
  const secure = conf.split("## start server secure.example.com")[1].split("## end server")[0];
  const plain = conf.split("## start server plain.example.com")[1].split("## end server")[0];
  assert.match(secure, /ssl_certificate \/tls\/shop\.crt;/);
  assert.match(secure, /return 308 https:\/\/\$host\$request_uri;/);
  assert.match(plain, /ssl_certificate \/tls\/fake\.crt;/);
  assert.ok(!plain.includes("return 308"));
  const needs = certificateNeeds(r, st);
  assert.deepEqual(
    needs.map((n) => [n.id, n.hosts, !!n.pem]),
    [
      [FAKE_CERTIFICATE, [], false],
      ["default/shop-tls", ["secure.example.com"], false],
    ],
  );
});

test("a wildcard host is buildServerName's regex; use-regex paths are `~*` locations", () => {
  assert.equal(serverName("*.foo.com"), "~^(?<subdomain>[\\w-]+)\\.foo\\.com$");
  assert.equal(serverName("foo.com"), "foo.com");
  const st = ingressCluster(
    app("s0") +
      ingress("a", "r.example.com", [{ path: "/v[0-9]+/", type: "ImplementationSpecific", service: "s0" }], {
        meta: 'annotations: {nginx.ingress.kubernetes.io/use-regex: "true"}',
      }),
  );
  const conf = nginxConf(router(st), st, FILES);
  assert.ok(location(conf, "r.example.com", '~* "^/v[0-9]+/"'));
});

test("a redirect URL with `$` is written through $dollar, never as a variable", () => {
  const st = ingressCluster(
    app("s0") +
      ingress("a", "x.example.com", [{ path: "/", type: "Prefix", service: "s0" }], {
        meta: 'annotations: {nginx.ingress.kubernetes.io/permanent-redirect: "https://e.com/$host\\"x"}',
      }),
  );
  const conf = nginxConf(router(st), st, FILES);
  assert.ok(conf.includes('return 301 "https://e.com/${dollar}host\\"x";'), conf.slice(conf.indexOf("x.example.com")));
});

test("the configuration hash changes with the configuration", () => {
  const a = ingressCluster(app("s0") + ingress("a", "a.example.com", [{ path: "/", type: "Prefix", service: "s0" }]));
  const b = ingressCluster(app("s0") + ingress("a", "b.example.com", [{ path: "/", type: "Prefix", service: "s0" }]));
  const ha = configurationHash(nginxConf(router(a), a, FILES));
  const hb = configurationHash(nginxConf(router(b), b, FILES));
  assert.match(ha ?? "", /^[0-9a-f]{16}$/);
  assert.notEqual(ha, hb);
});
