// /api/trace through the Ingress controller: the web view gets the plain trace and the legs
// (routing decision, the controller's connection to the endpoint) to draw.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildState } from "../control/build.js";
import { parseSpec } from "../manifest/parse.js";
import { modelSession } from "../questions/trace.js";
import { runTrace } from "./api.js";

const CONFIG = `apiVersion: podnet.dev/v1alpha1
kind: Cluster
name: gui
nodes: [{name: control-plane, role: control-plane}, {name: worker-1}]
networking: {nodeSubnet: 192.168.1.0/24, loadBalancerSubnet: 192.168.1.240/28}
`;
const MANIFESTS = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: example/api:1, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {selector: {app: api}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  rules:
  - host: shop.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}]}
`;

test("/api/trace external → URL: the legs come with the trace; a plain trace has none", () => {
  const state = buildState(parseSpec([{ file: "m.yaml", text: MANIFESTS }], { file: "c.yaml", text: CONFIG }));
  const session = modelSession(state);
  const r = runTrace(session, { from: "external", to: "http://shop.example.com/" });
  assert.deepEqual(
    r.legs?.map((l) => l.kind),
    ["connection", "routing", "connection"],
  );
  const routing = r.legs![1];
  assert.ok(routing.kind === "routing");
  assert.deepEqual(routing.decision.backend, { service: "default/api", port: 80 });
  const api = state.pods.find((p) => p.name.startsWith("api-"))!;
  assert.equal(routing.endpoint, `${api.podIP}:8080`);
  const plain = runTrace(session, { from: "external", to: "svc/ingress-nginx/ingress-nginx-controller" });
  assert.equal(plain.legs, undefined);
});
