// `podnet route` at scale (issue 18 §8: ≤ 1 ms per request after load): 1,000 Ingresses of
// 5 rules each (5,000 rules; hosts exact and `*.` wildcards, 3 paths per rule: Prefix,
// Exact, ImplementationSpecific) and 5,000 HTTPRoutes on one Gateway (a hostname each, every
// tenth a `*.` wildcard; rules PathPrefix, Exact + method, RegularExpression, and a header
// match) over 200 Services of 2 pods, all in one cluster. Reports the load (manifests →
// state → routers) and route() per request for each controller: median and p99 over single
// requests, and the mean of a batch.
// Run directly: `node dist/bench/route.js [ingresses] [requests] [httproutes]`.
import { buildState } from "../src/control/build.js";
import { parseSpec } from "../src/manifest/parse.js";
import { gatewayRouter } from "../src/ingress/gateway.js";
import { ingressRouter } from "../src/ingress/nginx.js";
import { parseRouteRequest, type ParsedRequest } from "../src/ingress/request.js";
import { mulberry32 } from "../src/testing/random.js";

const INGRESSES = Number(process.argv[2] ?? 1000);
const REQUESTS = Number(process.argv[3] ?? 20000);
const HTTPROUTES = Number(process.argv[4] ?? 5000);
const SERVICES = 200;
const RULES = 5;

/** The input as one JSON List (what `kubectl get -o json` writes; read without YAML's cost). */
function manifests(): string {
  const items: unknown[] = [];
  const port = { name: "http", containerPort: 8080 };
  for (let s = 0; s < SERVICES; s++) {
    const labels = { app: `app${s}` };
    items.push({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: `app${s}` },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: "app", image: "example/app:1", ports: [port] }] },
        },
      },
    });
    items.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: `app${s}` },
      spec: { selector: labels, ports: [{ name: "http", port: 80, targetPort: "http" }] },
    });
  }
  for (let i = 0; i < INGRESSES; i++) {
    const rules: unknown[] = [];
    for (let r = 0; r < RULES; r++) {
      const svc = (p: number) => ({ service: { name: `app${(i * RULES + r + p) % SERVICES}`, port: { number: 80 } } });
      rules.push({
        host: hostOf(i, r, "*"),
        http: {
          paths: [
            { path: `/api/v${r}`, pathType: "Prefix", backend: svc(0) },
            { path: "/login", pathType: "Exact", backend: svc(1) },
            { path: "/static", pathType: "ImplementationSpecific", backend: svc(2) },
          ],
        },
      });
    }
    items.push({ apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: `ing${i}` }, spec: { rules } });
  }
  const GW = "gateway.networking.k8s.io/v1";
  items.push({
    apiVersion: GW,
    kind: "GatewayClass",
    metadata: { name: "podnet" },
    spec: { controllerName: "podnet.dev/gateway" },
  });
  items.push({
    apiVersion: GW,
    kind: "Gateway",
    metadata: { name: "gw" },
    spec: { gatewayClassName: "podnet", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
  });
  for (let i = 0; i < HTTPROUTES; i++) {
    const ref = (p: number, weight = 1) => ({ name: `app${(i + p) % SERVICES}`, port: 80, weight });
    items.push({
      apiVersion: GW,
      kind: "HTTPRoute",
      metadata: { name: `route${i}` },
      spec: {
        parentRefs: [{ name: "gw" }],
        hostnames: [routeHost(i, "*")],
        rules: [
          {
            matches: [{ path: { type: "PathPrefix", value: `/api/v${i % 5}` } }],
            backendRefs: [ref(0, 90), ref(1, 10)],
          },
          { matches: [{ path: { type: "Exact", value: "/login" }, method: "POST" }], backendRefs: [ref(2)] },
          { matches: [{ path: { type: "RegularExpression", value: "/static/[a-z]+\\.js" } }], backendRefs: [ref(3)] },
          {
            matches: [{ path: { type: "PathPrefix", value: "/" }, headers: [{ name: "x-canary", value: "1" }] }],
            backendRefs: [ref(4)],
          },
        ],
      },
    });
  }
  return JSON.stringify({ apiVersion: "v1", kind: "List", items });
}

/** Every tenth route's hostname is a wildcard (`*.wI.gw.example.com`). */
function routeHost(i: number, label: string): string {
  return i % 10 === 9 ? `${label}.w${i}.gw.example.com` : `r${i}.gw.example.com`;
}

/** Every tenth rule's host is a wildcard (`*.wI-R.example.com`); requests use `x` for its label. */
function hostOf(i: number, r: number, label: string): string {
  return (i * RULES + r) % 10 === 9 ? `${label}.w${i}-${r}.example.com` : `h${i}-${r}.example.com`;
}

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

function main() {
  const text = manifests();
  const config =
    "apiVersion: podnet.dev/v1alpha1\nkind: Cluster\nname: bench\nnodes: [{role: control-plane}, {}, {}, {}, {}]\n";
  const t0 = performance.now();
  const state = buildState(
    parseSpec([{ file: "bench.json", text }], { file: "cluster.yaml", text: config }, "tolerant"),
  );
  const t1 = performance.now();
  const router = ingressRouter(state);
  if (typeof router === "string") throw new Error(router);
  const t2 = performance.now();
  const gw = gatewayRouter(state);
  if (typeof gw === "string") throw new Error(gw);
  const t3 = performance.now();
  const rand = mulberry32(18);
  // Mostly paths that match (Prefix, its exact twin, Exact, string prefix), some that do not.
  const paths = (r: number) => [`/api/v${r}/items`, `/api/v${r}`, "/login", "/static/app.js", "/login/", "/nothing"];
  const reqs: ParsedRequest[] = [];
  for (let n = 0; n < REQUESTS; n++) {
    const i = Math.floor(rand() * INGRESSES);
    const r = Math.floor(rand() * RULES);
    const host = rand() < 0.05 ? "unknown.example.org" : hostOf(i, r, "x");
    const p = parseRouteRequest(`http://${host}${paths(r)[n % 6]}`);
    if (typeof p === "string") throw new Error(p);
    reqs.push(p);
  }
  const gwReqs: ParsedRequest[] = [];
  const methods = ["GET", "POST"];
  for (let n = 0; n < REQUESTS; n++) {
    const i = Math.floor(rand() * HTTPROUTES);
    const host = rand() < 0.05 ? "unknown.example.org" : routeHost(i, "x");
    const canary = n % 7 === 0 ? ["x-canary: 1"] : [];
    const p = parseRouteRequest(`http://${host}${paths(i % 5)[n % 6]}`, methods[n % 2], canary);
    if (typeof p === "string") throw new Error(p);
    gwReqs.push(p);
  }
  const rules = router.ingresses.reduce((n, o) => n + (o.spec?.rules?.length ?? 0), 0);
  console.log(
    `route: ${router.ingresses.length} Ingresses, ${rules} rules; ${gw.routes.length} HTTPRoutes; ${state.services.length} Services`,
  );
  console.log(
    `  load: manifests → state ${(t1 - t0).toFixed(0)} ms, Ingress router ${(t2 - t1).toFixed(1)} ms, Gateway router ${(t3 - t2).toFixed(1)} ms`,
  );
  const ingP99 = measure("Ingress", reqs, (p) => router.route(p).decision.status);
  const gwP99 = measure("HTTPRoute", gwReqs, (p) => gw.route(p).decision.status);
  if (ingP99 > 1 || gwP99 > 1) process.exitCode = 1;
}

/** route() per request: median and p99 of single calls, the mean of a batch; returns p99 (ms). */
function measure(what: string, reqs: ParsedRequest[], route: (p: ParsedRequest) => number): number {
  const statuses = new Map<number, number>();
  const single: number[] = [];
  for (const p of reqs) {
    const t = process.hrtime.bigint();
    const status = route(p);
    single.push(Number(process.hrtime.bigint() - t) / 1e6);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }
  const tb = performance.now();
  for (const p of reqs) route(p);
  const batch = (performance.now() - tb) / reqs.length;
  console.log(
    `  ${what} route(): median ${(quantile(single, 0.5) * 1000).toFixed(1)} µs, p99 ${(quantile(single, 0.99) * 1000).toFixed(1)} µs, batch mean ${(batch * 1000).toFixed(1)} µs per request (target ≤ 1 ms)`,
  );
  console.log(
    `    statuses: ${[...statuses]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}×${n}`)
      .join(" ")}`,
  );
  return quantile(single, 0.99);
}

main();
