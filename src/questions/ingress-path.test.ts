// The whole external path through the Ingress controller (issue 18 §6), with expectations
// from the documented behaviour:
//  - MetalLB L2: one speaker node answers ARP for the LoadBalancer IP (metallb.io/concepts/layer2/);
//  - kube-proxy DNATs the LoadBalancer IP to a controller pod;
//  - ingress-nginx matches host then path (Prefix by path elements, kubernetes.io/docs/concepts/
//    services-networking/ingress/#path-types), answers 404 from its default backend when
//    nothing matches, redirects http to https (308) for a host with TLS
//    (kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#server-side-https-enforcement-through-redirect),
//    and proxies to the endpoints, not the ClusterIP
//    (kubernetes.github.io/ingress-nginx/user-guide/miscellaneous/#why-endpoints-and-not-services).
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildState } from "../control/build.js";
import { parseSpec } from "../manifest/parse.js";
import type { TracePath } from "../sim/index.js";
import { compareWays } from "./compare.js";
import { legTraceJson, traceLegs, type ConnectionLeg, type RoutingLeg } from "./ingress-path.js";
import { modelSession, traceJson } from "./trace.js";
import { app } from "../ingress/testing.js";
import { clusterYaml, LB_NETWORKING } from "../testing/manifests.js";

const CONFIG = clusterYaml("gshop", {
  networking: LB_NETWORKING,
  extra: "externalDNS:\n  - {name: static.example.com, type: A, value: 192.168.1.7}\n",
});
const MANIFESTS = `${app("api", 2, "default", { port: 8080, containerPort: 9090 })}
apiVersion: apps/v1
kind: Deployment
metadata: {name: client}
spec:
  replicas: 1
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec: {containers: [{name: client, image: example/client:1}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  tls: [{hosts: [secure.example.com], secretName: nowhere}]
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 8080}}}}
  - host: secure.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: api, port: {name: http}}}}
`;

function setup(extraDns = "") {
  const state = buildState(
    parseSpec([{ file: "m.yaml", text: MANIFESTS }], { file: "c.yaml", text: CONFIG + extraDns }),
  );
  const ctl = state.services.find((s) => s.namespace === "ingress-nginx")!;
  const ctlPods = state.pods.filter((p) => p.namespace === "ingress-nginx");
  const api = state.services.find((s) => s.name === "api")!;
  const apiPods = state.pods.filter((p) => p.name.startsWith("api-"));
  return { state, session: modelSession(state), ctl, ctlPods, api, apiPods };
}
const steps = (p: TracePath) => p.hops.flatMap((h) => h.steps);

test("external → http://HOST/PATH: LB ARP, kube-proxy to the controller, the routing step, then pod → endpoint", () => {
  const { session, ctl, ctlPods, api, apiPods } = setup();
  const t = traceLegs(session, { from: "external", to: "http://shop.example.com/api/orders" });
  const lb = ctl.loadBalancerIPs[0];
  // The host is an Ingress rule host: the controller Service's LoadBalancer IP.
  assert.equal(t.resolved?.address, lb);
  assert.deepEqual(
    t.legs?.map((l) => l.kind),
    ["connection", "routing", "connection"],
  );
  const [c1, r, c2] = t.legs as [ConnectionLeg, RoutingLeg, ConnectionLeg];
  const p1 = c1.trace.paths[0];
  assert.equal(c1.trace.flow.dst, lb);
  assert.equal(c1.trace.flow.port, 80);
  assert.ok(steps(p1).some((s) => s.action === "ARP" && /MetalLB speaker on node/.test(s.detail)));
  assert.equal(p1.disposition.verdict, "DELIVERED");
  assert.match(p1.disposition.ns!, /^pod\/ingress-nginx\//);
  // The routing decision: Prefix /api matches /api/orders (path elements).
  assert.equal(r.decision.status, 200);
  assert.deepEqual(r.decision.via, { kind: "Ingress", name: "default/shop" });
  assert.equal(r.decision.match, "Prefix /api");
  assert.deepEqual(r.decision.backend, { service: "default/api", port: 8080 });
  assert.equal(r.endpoint, r.decision.endpoints[0]);
  assert.ok(
    apiPods.some((p) => r.endpoint === `${p.podIP}:9090`),
    r.endpoint ?? "none",
  );
  // Connection 2: from the controller pod's IP straight to the endpoint (targetPort 9090).
  const f2 = c2.trace.flow;
  assert.ok(ctlPods.some((p) => p.podIP === f2.src));
  assert.equal(`${f2.dst}:${f2.port}`, r.endpoint);
  const p2 = c2.trace.paths[0];
  assert.equal(p2.disposition.verdict, "DELIVERED");
  assert.ok(!steps(p2).some((s) => s.packet.dst === api.clusterIP), "no ClusterIP hop");
  assert.ok(!steps(p2).some((s) => s.action === "NAT"), "no DNAT: the endpoint is dialled directly");
});

test("a 404 and a redirect end the trace at the routing step, with the status", () => {
  const { session } = setup();
  const nf = traceLegs(session, { from: "external", to: "http://shop.example.com/shop" });
  assert.deepEqual(
    nf.legs?.map((l) => l.kind),
    ["connection", "routing"],
  );
  const r404 = nf.legs![1] as RoutingLeg;
  assert.equal(r404.decision.status, 404);
  assert.equal(r404.decision.via, null);
  assert.equal(r404.endpoint, null);
  const rd = traceLegs(session, { from: "external", to: "http://secure.example.com/x" });
  const r308 = rd.legs![1] as RoutingLeg;
  assert.equal(rd.legs!.length, 2);
  assert.equal(r308.decision.redirect?.status, 308);
  assert.equal(r308.decision.redirect?.location, "https://secure.example.com/x");
});

test("an externalDNS A record decides where an outside client goes; an unknown name is an error", () => {
  const { session, ctl } = setup(`  - {name: shop.example.com, type: A, value: 192.168.1.250}\n`);
  const t = traceLegs(session, { from: "external", to: "http://shop.example.com/api" });
  assert.equal(t.resolved?.address, "192.168.1.250");
  assert.notEqual(t.resolved?.address, ctl.loadBalancerIPs[0]);
  assert.equal(t.legs, undefined); // nothing there is the controller
  assert.throws(
    () => traceLegs(session, { from: "external", to: "http://nowhere.example.org/" }),
    /does not resolve outside the cluster/,
  );
});

test("from a pod: the resolver walk, then both connections; JSON keeps the plain trace's fields", () => {
  const lb = setup().ctl.loadBalancerIPs[0];
  const { session: s2, state, apiPods } = setup(`  - {name: shop.example.com, type: A, value: ${lb}}\n`);
  const client = state.pods.find((p) => p.name.startsWith("client-"))!;
  const t = traceLegs(s2, { from: `default/${client.name}`, to: "http://shop.example.com/api" });
  // ndots 5: the search list first (kubernetes.io/docs/concepts/services-networking/dns-pod-service/).
  assert.equal(t.first.dns?.walk.length, 4);
  assert.equal(t.first.dns?.answer, lb);
  assert.equal(t.legs?.length, 3);
  const j = legTraceJson(t) as Record<string, unknown>;
  const plain = traceJson(t.first) as Record<string, unknown>;
  for (const k of Object.keys(plain)) assert.deepEqual(j[k], plain[k], k);
  assert.deepEqual(
    (j.legs as { kind: string }[]).map((l) => l.kind),
    ["connection", "routing", "connection"],
  );
  // Plain traces: no legs, the JSON unchanged.
  const p = traceLegs(s2, { from: `default/${client.name}`, to: `default/${apiPods[0].name}`, port: 9090 });
  assert.equal(p.legs, undefined);
  assert.deepEqual(legTraceJson(p), traceJson(p.first));
});

test("compare: the external domain crosses the controller, the Service domain goes straight", () => {
  const { state } = setup();
  const lb = state.services.find((s) => s.namespace === "ingress-nginx")!.loadBalancerIPs[0];
  const { session, state: st } = setup(`  - {name: shop.example.com, type: A, value: ${lb}}\n`);
  const client = st.pods.find((p) => p.name.startsWith("client-"))!;
  const from = `default/${client.name}`;
  const c = compareWays(
    traceLegs(session, { from, to: "http://shop.example.com/api" }),
    traceLegs(session, { from, to: "http://api.default.svc.cluster.local:8080/" }),
    st,
  );
  const [ext, svc] = c.ways;
  assert.equal(ext.connections, 2);
  assert.equal(ext.proxies, 1);
  assert.equal(svc.connections, 1);
  assert.equal(svc.proxies, 0);
  assert.equal(ext.service, "default/api");
  assert.equal(svc.service, "default/api");
  assert.ok(c.sameBackend);
  assert.ok(ext.hops > svc.hops, `${ext.hops} > ${svc.hops}`);
  // Each way: one DNAT by kube-proxy (the LB IP, the ClusterIP); the controller dials the pod.
  assert.equal(ext.natSteps, 1);
  assert.equal(svc.natSteps, 1);
  assert.match(ext.summary, /LoadBalancer IP of ingress-nginx\/ingress-nginx-controller/);
  assert.match(svc.summary, /ClusterIP of default\/api/);
});
