// `get ingress` and `get ingressclasses` as kubectl prints them
// (kubernetes/kubernetes pkg/printers/internalversion printers.go: Ingress NAME CLASS HOSTS
// ADDRESS PORTS AGE; IngressClass NAME CONTROLLER PARAMETERS AGE), with the class the
// DefaultIngressClass admission plugin stores and the address ingress-nginx's status sync
// publishes (its Service's LoadBalancer IP).
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource, getView } from "./get.js";
import { describeIngress } from "./describe-objects.js";
import { app, ingress, ingressCluster } from "../ingress/testing.js";

const CONFIG =
  "apiVersion: podnet.dev/v1alpha1\nkind: Cluster\nname: demo\nnetworking: {loadBalancerSubnet: 192.168.1.240/28}\n";

test("get ingress: the defaulted class and the controller's LoadBalancer address", () => {
  const m =
    app("web") +
    ingress("shop", "shop.example.com", [{ path: "/", type: "Prefix", service: "web" }]) +
    ingress("theirs", "t.example.com", [{ path: "/", type: "Prefix", service: "web" }], {
      meta: "annotations: {kubernetes.io/ingress.class: traefik}",
    });
  const s = ingressCluster(m, CONFIG);
  const lb = s.services.find((x) => x.name === "ingress-nginx-controller")!.loadBalancerIPs[0];
  assert.match(lb, /^192\.168\.1\.24\d$/);
  const rows = getView(s, findResource("ing")!).stdout.trim().split("\n");
  assert.match(rows[0], /^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE$/);
  assert.match(rows[1], new RegExp(`^shop\\s+nginx\\s+shop\\.example\\.com\\s+${lb.replace(/\./g, "\\.")}\\s+80\\s`));
  // Only the legacy annotation: the field stays empty, and ingress-nginx does not serve it.
  assert.match(rows[2], /^theirs\s+<none>\s+t\.example\.com\s+80\s/);
  const cls = getView(s, findResource("ingressclasses")!).stdout.trim().split("\n");
  assert.match(cls[1], /^nginx\s+k8s\.io\/ingress-nginx\s+<none>\s/);
});

test("describe ingress: the admitted class and the published address", () => {
  const s = ingressCluster(app("web") + ingress("shop", "", [{ path: "/", type: "Prefix", service: "web" }]), CONFIG);
  const lb = s.services.find((x) => x.name === "ingress-nginx-controller")!.loadBalancerIPs[0];
  const text = describeIngress(s, s.ingresses[0]);
  assert.match(text, new RegExp(`^Address:\\s+${lb.replace(/\./g, "\\.")}$`, "m"));
  assert.match(text, /^Ingress Class:\s+nginx$/m);
});
