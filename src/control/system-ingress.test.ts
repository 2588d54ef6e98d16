// ingress-nginx added as a real cluster has it when the input has Ingresses (names, labels,
// ports from kubernetes/ingress-nginx deploy/static/provider/{cloud,baremetal}/deploy.yaml).
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildState } from "./build.js";
import { parseSpec } from "../manifest/parse.js";
import { systemObjects } from "./system.js";
import { defaultConfig, parseConfig } from "../manifest/config.js";

const ING = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
`;

function state(manifests: string, config = "") {
  const cfg = `apiVersion: podnet.dev/v1alpha1\nkind: Cluster\n${config}`;
  return buildState(parseSpec([{ file: "m.yaml", text: manifests }], { file: "c.yaml", text: cfg }));
}

test("no Ingress in the input: no controller (clusters without Ingresses do not change)", () => {
  const kinds = systemObjects(defaultConfig(), []).map((o) => `${o.kind}/${o.metadata.name}`);
  assert.ok(!kinds.some((k) => /ingress-nginx|IngressClass/.test(k)));
});

test("Ingresses and no controller: ingress-nginx's namespace, Deployment, Service and default class", () => {
  const s = state(ING);
  assert.ok(s.namespaces.some((n) => n.name === "ingress-nginx"));
  const svc = s.services.find((x) => x.namespace === "ingress-nginx")!;
  assert.equal(svc.name, "ingress-nginx-controller");
  assert.equal(svc.type, "NodePort"); // no loadBalancerSubnet: the baremetal manifest's type
  assert.deepEqual(
    svc.ports.map((p) => [p.name, p.port, p.targetPort]),
    [
      ["http", 80, "http"],
      ["https", 443, "https"],
    ],
  );
  const pods = s.pods.filter((p) => p.namespace === "ingress-nginx");
  assert.equal(pods.length, 1);
  assert.match(pods[0].name, /^ingress-nginx-controller-[a-z0-9]+-[a-z0-9]{5}$/);
  assert.equal(pods[0].labels["app.kubernetes.io/component"], "controller");
  assert.equal(pods[0].system, true);
  const cls = s.objects!.find((o) => o.kind === "IngressClass")!;
  assert.equal(cls.metadata.name, "nginx");
  assert.equal(cls.spec.controller, "k8s.io/ingress-nginx");
  assert.equal(cls.metadata.annotations?.["ingressclass.kubernetes.io/is-default-class"], "true");
  // The Service's endpoints are the controller pod's http/https ports.
  const slice = s.endpointSlices.find((e) => e.serviceName === "ingress-nginx-controller")!;
  assert.deepEqual(slice.ports.map((p) => p.port).sort(), [443, 80]);
});

test("with loadBalancerSubnet the Service is a LoadBalancer (cloud manifest: externalTrafficPolicy Local)", () => {
  const s = state(ING, "networking: {loadBalancerSubnet: 192.168.1.240/28}\n");
  const svc = s.services.find((x) => x.name === "ingress-nginx-controller")!;
  assert.equal(svc.type, "LoadBalancer");
  assert.equal(svc.externalTrafficPolicy, "Local");
  assert.equal(svc.loadBalancerIPs.length, 1);
});

test("the config's ingress: turns the controller off or picks the Service type", () => {
  assert.ok(!state(ING, "ingress: {controller: false}\n").services.some((x) => x.namespace === "ingress-nginx"));
  const lbless = state(ING, "networking: {loadBalancerSubnet: 192.168.1.240/28}\ningress: {serviceType: NodePort}\n");
  assert.equal(lbless.services.find((x) => x.namespace === "ingress-nginx")?.type, "NodePort");
});

test("an input with its own ingress-nginx class or namespace gets no second controller", () => {
  const own = `${ING}---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: my-nginx}
spec: {controller: k8s.io/ingress-nginx}
`;
  const s = state(own);
  assert.ok(!s.services.some((x) => x.namespace === "ingress-nginx"));
  assert.deepEqual(
    s.objects!.filter((o) => o.kind === "IngressClass").map((o) => o.metadata.name),
    ["my-nginx"],
  );
});

test("config: ingress fields are checked and named in errors", () => {
  assert.throws(
    () => parseConfig({ ingress: { controller: "yes" } }),
    /ingress\.controller: "yes" must be true or false/,
  );
  assert.throws(
    () => parseConfig({ ingress: { serviceType: "ClusterIP" } }),
    /ingress\.serviceType: "ClusterIP" must be one of LoadBalancer, NodePort/,
  );
  assert.throws(() => parseConfig({ ingress: { replicas: 2 } }), /ingress\.replicas: unknown field/);
  assert.throws(() => parseConfig({ ingress: "on" }), /ingress: "on" must be a mapping/);
});

test("Ingresses of another controller's class (alb, gce …) get no ingress-nginx", async () => {
  // An Ingress names its class; ingress-nginx serves only class nginx (kubernetes/ingress-nginx
  // internal/ingress/controller/store/store.go), so adding it would serve nothing of theirs.
  const alb = ING.replace("spec:\n", "spec:\n  ingressClassName: alb\n");
  const s = state(alb);
  assert.ok(!s.namespaces.some((n) => n.name === "ingress-nginx"));
  assert.ok(!s.services.some((x) => x.namespace === "ingress-nginx"));
  const { ingressRouter } = await import("../ingress/nginx.js");
  assert.equal(
    ingressRouter(s),
    'no ingress controller podnet models: the Ingresses are of class alb (Ingress default/shop), served by a controller podnet does not model (it models ingress-nginx, IngressClass "nginx")',
  );
  // Named nginx, or without a class while no other class is the default: ingress-nginx's.
  const nginx = ING.replace("spec:\n", "spec:\n  ingressClassName: nginx\n");
  assert.ok(state(nginx).services.some((x) => x.namespace === "ingress-nginx"));
  const otherDefault = `${ING}---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: traefik, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
spec: {controller: traefik.io/ingress-controller}
`;
  assert.ok(!state(otherDefault).services.some((x) => x.namespace === "ingress-nginx"));
  // The legacy annotation, even empty, keeps the DefaultIngressClass admission plugin from
  // giving a class (plugin/pkg/admission/network/defaultingressclass/admission.go), and an
  // empty class is not ingress-nginx's; "nginx" is.
  const annotated = (v: string) =>
    state(
      ING.replace(
        "metadata: {name: shop}",
        `metadata: {name: shop, annotations: {kubernetes.io/ingress.class: "${v}"}}`,
      ),
    );
  assert.ok(!annotated("").services.some((x) => x.namespace === "ingress-nginx"));
  assert.ok(annotated("nginx").services.some((x) => x.namespace === "ingress-nginx"));
});
