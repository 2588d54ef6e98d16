// `describe endpoints|endpointslice` and the labels the endpoint controllers write. Expected
// text follows kubernetes/kubectl pkg/describe/describe.go (describeEndpoints,
// describeEndpointSliceV1) through Go's text/tabwriter (describe's tabbedString: minwidth 0,
// tabwidth 8, padding 2); labels follow kubernetes pkg/controller/endpoint (syncService),
// staging/src/k8s.io/endpointslice/utils.go (setEndpointSliceLabels),
// pkg/controller/endpointslicemirroring/utils.go (newEndpointSlice) and
// pkg/controlplane/reconcilers/endpointsadapter.go — not podnet's output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSpec } from "../manifest/parse.js";
import { buildState } from "../control/build.js";
import { runDescribe } from "./cmd-describe.js";
import { runGet } from "./cmd-get.js";

const INPUT = `apiVersion: v1
kind: Service
metadata: {name: web, labels: {app: web, tier: front}}
spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: ext, labels: {team: a}}
spec: {ports: [{port: 443}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: ext, labels: {team: a}}
subsets: [{addresses: [{ip: 192.0.2.10}], ports: [{port: 443}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, labels: {app: web}}
spec: {nodeName: worker-1, containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, uid: 0b6a3d2e-1c4f-4a8e-9d7b-2f5e6a7b8c9d, labels: {app: web}}
spec: {nodeName: worker-2, containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]}
status: {phase: Running, podIP: 10.244.2.20, hostIP: 192.168.1.4, conditions: [{type: Ready, status: "False"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, labels: {app: db}}
spec: {nodeName: worker-1, hostname: db-0, subdomain: db, containers: [{name: db, image: postgres}]}
`;

const state = () => buildState(parseSpec([{ file: "in.yaml", text: INPUT }]));

test("describe endpoints: ready and not-ready addresses, the target ports, the Service's labels", () => {
  const s = state();
  const web1 = s.pods.find((p) => p.name === "web-1")!.podIP;
  const out = runDescribe(s, "endpoints", ["web"], "default");
  assert.equal(out.exitCode, 0);
  assert.equal(
    out.stdout,
    "Name:         web\n" +
      "Namespace:    default\n" +
      "Labels:       app=web\n" +
      "              tier=front\n" +
      "Annotations:  <none>\n" +
      "Subsets:\n" +
      `  Addresses:          ${web1}\n` +
      "  NotReadyAddresses:  10.244.2.20\n" +
      "  Ports:\n" +
      "    Name  Port  Protocol\n" +
      "    ----  ----  --------\n" +
      "    http  8080  TCP\n" +
      "\n" +
      "Events:  <none>\n",
  );
});

test("describe ep: a headless Service's Endpoints carry service.kubernetes.io/headless, an unnamed port is <unset>", () => {
  const out = runDescribe(state(), "ep", ["db"], "default").stdout;
  assert.match(out, /\nLabels: +service\.kubernetes\.io\/headless=\n/);
  assert.match(out, /\n {4}<unset> {2}5432 {2}TCP\n/);
});

test("describe endpointslice: each endpoint's readiness, hostname, target, node and zone", () => {
  const s = state();
  const web1 = s.pods.find((p) => p.name === "web-1")!;
  const slice = s.endpointSlices.find((x) => x.serviceName === "web")!;
  const out = runDescribe(s, "endpointslices.v1.discovery.k8s.io", [slice.name], "default");
  // The endpoint lines and Events: form one tab column (no line between them lacks a tab):
  // its width is the widest cell, "    TargetRef:", plus the padding.
  assert.equal(
    out.stdout,
    `Name:         ${slice.name}\n` +
      "Namespace:    default\n" +
      "Labels:       app=web\n" +
      "              endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io\n" +
      "              kubernetes.io/service-name=web\n" +
      "              tier=front\n" +
      "Annotations:  <none>\n" +
      "AddressType:  IPv4\n" +
      "Ports:\n" +
      "  Name  Port  Protocol\n" +
      "  ----  ----  --------\n" +
      "  http  8080  TCP\n" +
      "Endpoints:\n" +
      `  - Addresses:  ${web1.podIP}\n` +
      "    Conditions:\n" +
      "      Ready:    true\n" +
      "    Hostname:   <unset>\n" +
      "    TargetRef:  Pod/web-1\n" +
      `    NodeName:   ${web1.nodeName}\n` +
      "    Zone:       <unset>\n" +
      "  - Addresses:  10.244.2.20\n" +
      "    Conditions:\n" +
      "      Ready:    false\n" +
      "    Hostname:   <unset>\n" +
      "    TargetRef:  Pod/web-2\n" +
      "    NodeName:   worker-2\n" +
      "    Zone:       <unset>\n" +
      "Events:         <none>\n",
  );
});

test("describe endpointslice: a pod's hostname under its subdomain's headless Service", () => {
  const s = state();
  const slice = s.endpointSlices.find((x) => x.serviceName === "db")!;
  const out = runDescribe(s, "endpointslice", [slice.name], "default").stdout;
  assert.match(out, /\n {4}Hostname: +db-0\n/);
  assert.match(
    out,
    /\nLabels: +endpointslice\.kubernetes\.io\/managed-by=endpointslice-controller\.k8s\.io\n +kubernetes\.io\/service-name=db\n +service\.kubernetes\.io\/headless=\n/,
  );
});

test("endpoint slice labels: mirrored from Endpoints, the apiserver's, and as selected by -l", () => {
  const s = state();
  const mirrored = s.endpointSlices.find((x) => x.serviceName === "ext")!;
  const out = runDescribe(s, "endpointslice", [mirrored.name], "default").stdout;
  assert.match(
    out,
    /\nLabels: +endpointslice\.kubernetes\.io\/managed-by=endpointslicemirroring-controller\.k8s\.io\n +kubernetes\.io\/service-name=ext\n +team=a\n/,
  );
  // A mirrored endpoint has no target: the TargetRef line is left out, and the column is narrower.
  assert.match(
    out,
    /\n {2}- Addresses: {2}192\.0\.2\.10\n {4}Conditions:\n {6}Ready: {3}true\n {4}Hostname: {2}<unset>\n {4}NodeName: {2}<unset>\n/,
  );
  assert.match(
    runDescribe(s, "endpointslice", ["kubernetes"], "default").stdout,
    /\nLabels: +kubernetes\.io\/service-name=kubernetes\n/,
  );
  assert.match(
    runDescribe(s, "endpoints", ["kubernetes"], "default").stdout,
    /\nLabels: +endpointslice\.kubernetes\.io\/skip-mirror=true\n/,
  );
  // The Service's labels are the slice's: a selector on them finds it.
  const got = runGet(s, ["endpointslices"], { selector: "tier=front" }).stdout;
  assert.deepEqual(
    got
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.split(/\s+/)[0]),
    [s.endpointSlices.find((x) => x.serviceName === "web")!.name],
  );
});

test("describe endpoints: an unknown name is kubectl's NotFound, exit 1", () => {
  const out = runDescribe(state(), "endpoints", ["nope"], "default");
  assert.equal(out.stderr, 'Error from server (NotFound): endpoints "nope" not found\n');
  assert.equal(out.exitCode, 1);
});
