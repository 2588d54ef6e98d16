// The ingress controller's real nginx (root): requests from outside the cluster through the
// LoadBalancer IP, expected backends and statuses written from the Ingress API's path
// matching (https://kubernetes.io/docs/concepts/services-networking/ingress/#examples,
// #hostname-wildcards) and ingress-nginx's documentation (default backend 404,
// https://kubernetes.github.io/ingress-nginx/user-guide/default-backend/; TLS and the 308
// ssl-redirect, .../user-guide/tls/ and .../nginx-configuration/annotations/#server-side-https-enforcement-through-redirect;
// HSTS on by default, .../nginx-configuration/configmap/#hsts); then `podnet route --name`,
// `podnet verify --flows http`, a reload under a request loop, a configuration nginx rejects
// (all or nothing: the old one keeps serving), and `down` leaving no nginx behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { nginxBinary } from "./ingress-proxy.js";
import { app } from "../ingress/testing.js";
import { kernelSkip } from "./testing.js";
import { assertServedDuring, type ConnectTo, curlFrom, podnet, withProxyCluster } from "./testing-proxy.js";

const skip = kernelSkip(["ip", "python3", "curl", "openssl", "nginx"]);
const NAME = `fi${randomBytes(2).toString("hex")}`;
const LB = "192.168.1.241";
const UNDERLAY = `podnet-${NAME}.underlay`;

const MANIFESTS = `${app("web", 2)}${app("api", 1)}
apiVersion: v1
kind: Secret
metadata: {name: shop-tls}
type: kubernetes.io/tls
data: {tls.crt: "", tls.key: ""}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  tls: [{hosts: [secure.example.com], secretName: shop-tls}]
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
      - {path: /exact, pathType: Exact, backend: {service: {name: api, port: {name: http}}}}
  - host: secure.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
  - host: "*.wild.example.com"
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: regex, annotations: {nginx.ingress.kubernetes.io/use-regex: "true"}}
spec:
  rules:
  - host: regex.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: "/api/v[0-9]+/items", pathType: ImplementationSpecific, backend: {service: {name: api, port: {number: 80}}}}
`;

const NEW_HOST = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: more}
spec:
  rules:
  - host: new.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
`;

// ExternalName to a name that does not resolve: nginx refuses an upstream it cannot resolve.
const REJECTED = `apiVersion: v1
kind: Service
metadata: {name: outside}
spec: {type: ExternalName, externalName: nowhere.invalid, ports: [{name: http, port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bad}
spec:
  rules:
  - host: bad.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: outside, port: {number: 80}}}}
`;

/** The controller Service's LoadBalancer IP, the URL's port. */
const LB_PORT: ConnectTo = (port) => ({ ip: LB, port });

/** One request from the outside client (-v: the TLS handshake in `stderr`). */
function get(url: string) {
  return curlFrom(UNDERLAY, url, LB_PORT, ["-v"]);
}

/** The Service a 200 came from (the pod server's X-Podnet-Services), else the status. */
function served(url: string): string {
  const r = get(url);
  return r.status === 200 ? (r.headers.get("x-podnet-services") ?? "?") : String(r.status);
}

test("the ingress controller's nginx: routing, TLS, route --name, verify, reload, down", {
  skip,
  timeout: 240_000,
}, async (t) => {
  assert.ok(nginxBinary(), "nginx is installed");
  const files = { "m.yaml": MANIFESTS, "more.yaml": NEW_HOST, "bad.yaml": REJECTED };
  await withProxyCluster(NAME, files, async (dir) => {
    await t.test("requests → backend or status (Ingress path matching, ingress-nginx's defaults)", () => {
      const table: [string, string][] = [
        ["http://shop.example.com/", "default/web"],
        ["http://shop.example.com/api", "default/api"], // Prefix /api matches /api
        ["http://shop.example.com/api/v1", "default/api"], // … and /api/v1
        ["http://shop.example.com/apix", "default/web"], // not /apix: path elements
        ["http://shop.example.com/exact", "default/api"],
        ["http://shop.example.com/exact/", "default/web"], // Exact ignores the trailing slash form
        ["http://other.example.com/", "404"], // no rule: the default backend
        ["http://a.wild.example.com/", "default/api"], // *.wild matches one label
        ["http://a.b.wild.example.com/", "404"], // … not two
        ["https://secure.example.com/x", "default/web"],
      ];
      for (const [url, want] of table) assert.equal(served(url), want, url);
    });

    await t.test("TLS: 308 from http, the Secret's host in the certificate, HSTS", () => {
      const r = get("http://secure.example.com/a?b=1");
      assert.equal(r.status, 308);
      assert.equal(r.headers.get("location"), "https://secure.example.com/a?b=1");
      const s = get("https://secure.example.com/");
      assert.match(s.stderr, /subject: .*CN=secure\.example\.com/);
      assert.equal(s.headers.get("strict-transport-security"), "max-age=31536000; includeSubDomains");
      // A host without TLS is served the controller's fake certificate over https.
      assert.match(get("https://shop.example.com/").stderr, /CN=Kubernetes Ingress Controller Fake Certificate/);
    });

    await t.test("route --name agrees with the running proxy; verify's HTTP flows agree", () => {
      const r = podnet("route", "http://shop.example.com/api", "--name", NAME);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /the running proxy agrees with the model/);
      const v = podnet("verify", "--name", NAME, "--flows", "http", "-o", "json");
      assert.equal(v.status, 0, v.stdout.slice(-2000));
      const rep = JSON.parse(v.stdout) as {
        byKind: Record<string, { flows: number; agree: number }>;
        results: { kind: string; to: string; agree: boolean }[];
      };
      assert.ok(rep.byKind.http.flows >= 8);
      assert.equal(rep.byKind.http.agree, rep.byKind.http.flows);
      // The use-regex path is asked with a string generated from it, not skipped.
      assert.ok(rep.results.some((f) => f.kind === "http" && /regex\.example\.com\/api\/v\d+\/items$/.test(f.to)));
    });

    await t.test("apply --name reloads nginx with no failed request during the reload", async () => {
      await assertServedDuring(UNDERLAY, dir, LB_PORT, () => {
        assert.equal(served("http://new.example.com/"), "404");
        const a = podnet("apply", "-f", join(dir, "more.yaml"), "--name", NAME);
        assert.equal(a.status, 0, a.stderr);
        assert.match(a.stdout, /ingress nginx reloaded/);
        assert.equal(served("http://new.example.com/"), "default/api");
      });
    });

    await t.test("a configuration nginx rejects changes nothing (the old one keeps serving)", () => {
      const a = podnet("apply", "-f", join(dir, "bad.yaml"), "--name", NAME);
      assert.notEqual(a.status, 0);
      assert.match(a.stderr, /nginx rejects the new configuration/);
      assert.match(a.stderr, /rolled back/);
      assert.equal(served("http://bad.example.com/"), "404");
      assert.equal(served("http://new.example.com/"), "default/api");
    });
  });
});
