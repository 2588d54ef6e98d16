// Test kit: clusters of Ingresses and Services, and one call per request.
import { buildState } from "../control/build.js";
import type { ClusterState } from "../control/state.js";
import { parseSpec } from "../manifest/parse.js";
import { ingressRouter, type IngressRouter, type RouteResult } from "./nginx.js";
import { parseRouteRequest } from "./request.js";

const CONFIG = "apiVersion: podnet.dev/v1alpha1\nkind: Cluster\nname: demo\n";

export function ingressCluster(manifests: string, config = CONFIG): ClusterState {
  return buildState(parseSpec([{ file: "ing.yaml", text: manifests }], { file: "cluster.yaml", text: config }));
}

/**
 * A Deployment `name` (pods serve `containerPort`, named http) and its Service (`port` →
 * http). Defaults: 8080 and 80.
 */
export function app(
  name: string,
  replicas = 1,
  namespace = "default",
  { port = 80, containerPort = 8080 }: { port?: number; containerPort?: number } = {},
): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: ${name}, image: example/${name}:1, ports: [{name: http, containerPort: ${containerPort}}]}]
---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: ${port}, targetPort: http}]
---
`;
}

export interface PathSpec {
  path: string;
  type: string;
  service: string;
  /** The Service's port: a number or a port name; 80 when left out. */
  port?: number | string;
}

const servicePort = (p: number | string = 80) => (typeof p === "number" ? `{number: ${p}}` : `{name: ${p}}`);

/** An Ingress with one rule for `host` ("" for none) and these paths. */
export function ingress(
  name: string,
  host: string,
  paths: PathSpec[],
  extra: { meta?: string; spec?: string } = {},
): string {
  const ps = paths
    .map(
      (p) =>
        `      - {path: "${p.path}", pathType: ${p.type}, backend: {service: {name: ${p.service}, port: ${servicePort(p.port)}}}}`,
    )
    .join("\n");
  return `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: "${name}"${extra.meta ? `, ${extra.meta}` : ""}}
spec:
${extra.spec ?? ""}
  rules:
  - ${host ? `host: "${host}"\n    ` : ""}http:
      paths:
${ps}
---
`;
}

/** A Gateway of GatewayClass podnet with these listeners (YAML list items, indented two spaces). */
export function gateway(listeners: string, name = "gw", ns = "default"): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: ${ns}}
spec:
  gatewayClassName: podnet
  listeners:
${listeners}
---
`;
}
/** The one plain HTTP listener on port 80, for gateway(). */
export const HTTP_LISTENER = "  - {name: http, port: 80, protocol: HTTP}";

/** An HTTPRoute: `spec` is the YAML under `spec:` (indented two spaces), `meta` more metadata fields. */
export function httpRoute(name: string, spec: string, meta = ""): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}${meta ? `, ${meta}` : ""}}
spec:
${spec}
---
`;
}

export function router(state: ClusterState, ingressClass?: string): IngressRouter {
  const r = ingressRouter(state, { ingressClass });
  if (typeof r === "string") throw new Error(r);
  return r;
}

export function ask(r: IngressRouter, url: string, headers: string[] = []): RouteResult {
  const p = parseRouteRequest(url, "GET", headers);
  if (typeof p === "string") throw new Error(p);
  return r.route(p);
}

/** The Service a request ends at ("" when none), after following one 301 as a client would. */
export function serviceFor(r: IngressRouter, url: string): string {
  let res = ask(r, url);
  if (res.decision.status === 301 && res.decision.redirect) res = ask(r, res.decision.redirect.location);
  return res.decision.status === 200 ? (res.decision.backend?.service ?? "") : "";
}

// ---- a Gateway API table (spec-derived) shared by the model test and the real-proxy kernel test ----

/**
 * One Gateway (HTTP :80 any host, HTTPS :443 secure.example.com) and HTTPRoutes exercising
 * the HTTPRoute spec (https://gateway-api.sigs.k8s.io/reference/spec/#gateway.networking.k8s.io/v1.HTTPRouteRule):
 * path types, method/header/query matches, precedence across routes, hostnames, filters,
 * weights and an invalid backend. Services web, api, v1, v2 (one pod each, web two).
 */
export const GATEWAY_SPEC_MANIFESTS = `${app("web", 2)}${app("api")}${app("v1")}${app("v2")}
apiVersion: v1
kind: Secret
metadata: {name: gw-tls}
type: kubernetes.io/tls
data: {tls.crt: "", tls.key: ""}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: podnet}
spec: {controllerName: podnet.dev/gateway}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: podnet
  listeners:
  - {name: http, port: 80, protocol: HTTP}
  - name: https
    port: 443
    protocol: HTTPS
    hostname: secure.example.com
    tls: {mode: Terminate, certificateRefs: [{kind: Secret, name: gw-tls}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  hostnames: [shop.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}]
    backendRefs: [{name: web, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /api}}]
    backendRefs: [{name: api, port: 80}]
  - matches: [{path: {type: Exact, value: /api/exact}}]
    backendRefs: [{name: v1, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /api}, headers: [{name: version, value: "2"}]}]
    backendRefs: [{name: v2, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /api}, method: POST}]
    backendRefs: [{name: v1, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /search}, queryParams: [{name: q, value: podnet}]}]
    backendRefs: [{name: v2, port: 80}]
  - matches: [{path: {type: RegularExpression, value: "/items/[0-9]+"}}]
    backendRefs: [{name: v1, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop-later, creationTimestamp: "2026-06-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw}]
  hostnames: [shop.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /api}, headers: [{name: version, value: "2"}]}]
    backendRefs: [{name: web, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /later}}]
    backendRefs: [{name: v2, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: wild}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  hostnames: ["*.example.com"]
  rules:
  - backendRefs: [{name: api, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: moved}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  hostnames: [old.example.com]
  rules:
  - filters: [{type: RequestRedirect, requestRedirect: {hostname: shop.example.com, statusCode: 301}}]
  - matches: [{path: {type: PathPrefix, value: /secure}}]
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https, hostname: secure.example.com, path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: rewrite}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  hostnames: [rw.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /name}}]
    filters:
    - {type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /hostname}}}
    - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Via, value: podnet}], add: [{name: X-Trace, value: gw}], remove: [X-Drop]}}
    backendRefs: [{name: web, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /say}}]
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /echo}}}]
    backendRefs: [{name: v1, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: broken}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  hostnames: [broken.example.com]
  rules:
  - backendRefs: [{name: missing, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: split}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  hostnames: [split.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /zero}}]
    backendRefs: [{name: v1, port: 80, weight: 1}, {name: v2, port: 80, weight: 0}]
  - backendRefs: [{name: v1, port: 80, weight: 3}, {name: v2, port: 80, weight: 1}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: match}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  hostnames: [match.example.com]
  rules:
  - matches: [{headers: [{name: X-Tier, type: RegularExpression, value: "gold|silver"}]}]
    backendRefs: [{name: v1, port: 80}]
  - matches: [{headers: [{name: X-Any, type: RegularExpression, value: ".*"}]}]
    backendRefs: [{name: v2, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /find}, queryParams: [{name: q, value: "a b"}]}]
    backendRefs: [{name: v1, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /tags}, queryParams: [{name: tag, type: RegularExpression, value: "[a-z]+-[0-9]+"}]}]
    backendRefs: [{name: v2, port: 80}]
  - backendRefs: [{name: web, port: 80}]
  - matches: [{path: {type: RegularExpression, value: "/caf.(/.*)?"}}]
    backendRefs: [{name: v1, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: secure}
spec:
  parentRefs: [{name: gw, sectionName: https}]
  rules:
  - matches: [{path: {type: Exact, value: /only}}]
    backendRefs: [{name: web, port: 80}]
---
`;

export interface GatewaySpecRow {
  method: string;
  url: string;
  headers: string[];
  /** The Service that answers ("default/web"), any of several when weights split ("default/v1|default/v2"), or a status ("404", "301 LOCATION"). */
  want: string;
  why: string;
}

/** Requests → expected backend or status, each from the spec's text (see `why`). */
export const GATEWAY_SPEC_TABLE: GatewaySpecRow[] = [
  {
    method: "GET",
    url: "http://shop.example.com/",
    headers: [],
    want: "default/web",
    why: "PathPrefix / matches every path",
  },
  {
    method: "GET",
    url: "http://shop.example.com/api",
    headers: [],
    want: "default/api",
    why: "the longest PathPrefix wins",
  },
  {
    method: "GET",
    url: "http://shop.example.com/api/",
    headers: [],
    want: "default/api",
    why: "a trailing / is ignored",
  },
  {
    method: "GET",
    url: "http://shop.example.com/api/x",
    headers: [],
    want: "default/api",
    why: "PathPrefix matches by element",
  },
  {
    method: "GET",
    url: "http://shop.example.com/apix",
    headers: [],
    want: "default/web",
    why: "/api does not match /apix",
  },
  {
    method: "GET",
    url: "http://shop.example.com/api/exact",
    headers: [],
    want: "default/v1",
    why: "Exact before any PathPrefix",
  },
  {
    method: "GET",
    url: "http://shop.example.com/api/x",
    headers: ["version: 2"],
    want: "default/v2",
    why: "more header matches win; of equal rules across routes the oldest route wins",
  },
  {
    method: "GET",
    url: "http://shop.example.com/api/x",
    headers: ["Version: 3"],
    want: "default/api",
    why: "a header value that differs does not match",
  },
  {
    method: "POST",
    url: "http://shop.example.com/api/x",
    headers: ["version: 2"],
    want: "default/v1",
    why: "a method match ranks before header matches",
  },
  {
    method: "GET",
    url: "http://shop.example.com/search?q=podnet",
    headers: [],
    want: "default/v2",
    why: "a query parameter match",
  },
  {
    method: "GET",
    url: "http://shop.example.com/search?q=other",
    headers: [],
    want: "default/web",
    why: "a query value that differs does not match",
  },
  {
    method: "GET",
    url: "http://shop.example.com/search?q=podnet&q=other",
    headers: [],
    want: "default/v2",
    why: "only the first value of a repeated parameter counts",
  },
  {
    method: "GET",
    url: "http://shop.example.com/items/42",
    headers: [],
    want: "default/v1",
    why: "RegularExpression (implementation-specific: before PathPrefix)",
  },
  {
    method: "GET",
    url: "http://shop.example.com/items/abc",
    headers: [],
    want: "default/web",
    why: "the expression must match the whole path",
  },
  {
    method: "GET",
    url: "http://shop.example.com/later/x",
    headers: [],
    want: "default/v2",
    why: "rules of two routes with the same hostname merge",
  },
  {
    method: "GET",
    url: "http://other.example.com/",
    headers: [],
    want: "default/api",
    why: "*.example.com matches other.example.com",
  },
  {
    method: "GET",
    url: "http://a.b.example.com/",
    headers: [],
    want: "default/api",
    why: "a wildcard hostname matches deeper names (suffix rule)",
  },
  { method: "GET", url: "http://example.org/", headers: [], want: "404", why: "no route's hostname matches" },
  {
    method: "GET",
    url: "http://old.example.com/a?b=1",
    headers: [],
    want: "301 http://shop.example.com/a?b=1",
    why: "RequestRedirect hostname, statusCode 301, path and query kept",
  },
  {
    method: "GET",
    url: "http://old.example.com/secure/x",
    headers: [],
    want: "302 https://secure.example.com/x",
    why: "scheme https: port 443 implied; ReplacePrefixMatch; 302 by default",
  },
  {
    method: "GET",
    url: "http://rw.example.com/name",
    headers: [],
    want: "default/web",
    why: "URLRewrite does not change the backend",
  },
  {
    method: "GET",
    url: "http://broken.example.com/",
    headers: [],
    want: "500",
    why: "a rule whose backends are all invalid answers 500",
  },
  {
    method: "GET",
    url: "http://split.example.com/zero",
    headers: [],
    want: "default/v1",
    why: "a backendRef of weight 0 receives nothing",
  },
  {
    method: "GET",
    url: "http://split.example.com/",
    headers: [],
    want: "default/v1|default/v2",
    why: "weights 3:1 split the requests",
  },
  {
    method: "GET",
    url: "https://secure.example.com/only",
    headers: [],
    want: "default/web",
    why: "the HTTPS listener terminates TLS; Exact /only",
  },
  { method: "GET", url: "https://secure.example.com/other", headers: [], want: "404", why: "nothing matches: 404" },
  // HTTPHeaderMatch / HTTPQueryParamMatch (apis/v1/httproute_types.go): RegularExpression is
  // implementation-specific (podnet: the whole value); query values are compared decoded, as
  // NGINX Gateway Fabric's httpmatches.js reads them from njs's r.args ("keys and values are
  // percent-decoded", https://nginx.org/en/docs/njs/reference.html#r_args); an absent header
  // or parameter cannot match, nor an empty one (httpmatches.js: `if (!val) return false`).
  {
    method: "GET",
    url: "http://match.example.com/",
    headers: ["X-Tier: gold"],
    want: "default/v1",
    why: "a header RegularExpression",
  },
  {
    method: "GET",
    url: "http://match.example.com/",
    headers: ["x-tier: golden"],
    want: "default/web",
    why: "the header expression must match the whole value",
  },
  {
    method: "GET",
    url: "http://match.example.com/",
    headers: [],
    want: "default/web",
    why: "a header the request lacks does not match, even `.*`",
  },
  {
    method: "GET",
    url: "http://match.example.com/",
    headers: ["X-Any:"],
    want: "default/web",
    why: "an empty header value does not match, even `.*` (httpmatches.js)",
  },
  {
    method: "GET",
    url: "http://match.example.com/",
    headers: ["X-Any: x"],
    want: "default/v2",
    why: "`.*` matches a header that is there",
  },
  {
    method: "GET",
    url: "http://match.example.com/find?q=a%20b",
    headers: [],
    want: "default/v1",
    why: "query values compare percent-decoded",
  },
  {
    method: "GET",
    url: "http://match.example.com/find?q=a+b",
    headers: [],
    want: "default/v1",
    why: "`+` in a query is a space",
  },
  {
    method: "GET",
    url: "http://match.example.com/find?%71=a%20b",
    headers: [],
    want: "default/v1",
    why: "query names compare decoded too",
  },
  {
    method: "GET",
    url: "http://match.example.com/find?q=a%2Bb",
    headers: [],
    want: "default/web",
    why: "%2B is a `+`, not a space",
  },
  {
    method: "GET",
    url: "http://match.example.com/tags?tag=abc-12",
    headers: [],
    want: "default/v2",
    why: "a query RegularExpression",
  },
  {
    method: "GET",
    url: "http://match.example.com/tags?x=1&tag=%61bc-1",
    headers: [],
    want: "default/v2",
    why: "a query RegularExpression tests the decoded value",
  },
  {
    method: "GET",
    url: "http://match.example.com/tags?tag=abc-12x",
    headers: [],
    want: "default/web",
    why: "the query expression must match the whole value",
  },
  {
    method: "GET",
    url: "http://match.example.com/caf%C3%A9",
    headers: [],
    want: "default/v1",
    why: "a path expression's `.` is one character, a non-ASCII one too (podnet reads ECMAScript)",
  },
  {
    method: "GET",
    url: "http://match.example.com/caf%C3%A9s",
    headers: [],
    want: "default/web",
    why: "the path expression must match the whole decoded path",
  },
  {
    method: "GET",
    url: "http://match.example.com/tags?tag=&tag=abc-1",
    headers: [],
    want: "default/web",
    why: "the first value of a repeated parameter counts, and an empty one does not match",
  },
];
