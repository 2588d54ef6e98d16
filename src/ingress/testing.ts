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
