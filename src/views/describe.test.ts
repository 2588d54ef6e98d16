// Layout of `kubectl describe` (k8s.io/kubectl/pkg/describe): "Label:\tvalue" lines
// through a tabwriter with padding 2, the Port/NodePort lines with the port name
// (<unset> when unnamed), "Events:\t<none>" or the Type/Reason/Age/From/Message table.
import { test } from "node:test";
import assert from "node:assert/strict";
import { describeNode, describePod, describeService } from "./describe.js";
import { seed004State } from "./testing.js";

test("describe service: kubectl's field order and alignment", () => {
  const s = seed004State();
  const out = describeService(s, s.services.find((x) => x.name === "users-service")!);
  assert.equal(
    out,
    [
      "Name:                     users-service",
      "Namespace:                default",
      "Labels:                   <none>",
      "Annotations:              <none>",
      "Selector:                 app=users",
      "Type:                     LoadBalancer",
      "IP Family Policy:         SingleStack",
      "IP Families:              IPv4",
      "IP:                       10.109.194.160",
      "IPs:                      10.109.194.160",
      "Port:                     <unset>  8080/TCP",
      "TargetPort:               8080/TCP",
      "NodePort:                 <unset>  31344/TCP",
      "Endpoints:                10.244.1.6:8080,10.244.2.3:8080",
      "Session Affinity:         None",
      "External Traffic Policy:  Cluster",
      "Internal Traffic Policy:  Cluster",
      "Events:                   <none>",
      "",
    ].join("\n"),
  );
});

test("describe service: a named port and a ClusterIP Service (no External Traffic Policy)", () => {
  const s = seed004State();
  const out = describeService(s, s.services.find((x) => x.name === "kubernetes")!);
  assert.match(out, /\nPort:\s+https {2}443\/TCP\n/);
  assert.match(out, /\nTargetPort:\s+6443\/TCP\n/);
  assert.match(out, /\nEndpoints:\s+192\.168\.1\.10:6443\n/);
  assert.doesNotMatch(out, /External Traffic Policy/);
  assert.match(out, /\nLabels:\s+component=apiserver\n\s+provider=kubernetes\n/);
});

test("describe pod: header fields, IPs block, containers, events table", () => {
  const s = seed004State();
  const p = s.pods[0];
  const out = describePod(s, p);
  const lines = out.split("\n");
  assert.equal(lines[0], `Name:             ${p.name}`);
  assert.equal(lines[1], "Namespace:        default");
  assert.ok(lines.includes("Node:             worker-1/192.168.1.11"));
  assert.ok(lines.includes("IP:               10.244.1.5"));
  const ips = lines.indexOf("IPs:");
  assert.equal(lines[ips + 1], "  IP:           10.244.1.5");
  assert.equal(lines[ips + 2], "Controlled By:  ReplicaSet/auth-deployment-5c8b9d7f4");
  assert.ok(lines.includes("    Port:           8080/TCP"));
  assert.ok(lines.includes("    Host Port:      0/TCP"));
  const ev = lines.indexOf("Events:");
  assert.deepEqual(lines[ev + 1].trim().split(/\s{2,}/), ["Type", "Reason", "Age", "From", "Message"]);
  assert.deepEqual(lines[ev + 2].trim().split(/\s{2,}/), ["----", "------", "----", "----", "-------"]);
  assert.deepEqual(lines[ev + 3].trim().split(/\s{2,}/), [
    "Normal",
    "Scheduled",
    "2m",
    "default-scheduler",
    `Successfully assigned default/${p.name} to worker-1`,
  ]);
});

test("describe pod: a pod without a node shows Node <none> and IPs <none>", () => {
  const s = seed004State();
  const out = describePod(s, s.pods[3]);
  assert.match(out, /\nNode:\s+<none>\n/);
  assert.match(out, /\nIPs:\s+<none>\n/);
  assert.match(out, /\n {2}PodScheduled +False \n/);
});

test("describe node: PodCIDR, addresses, the pods on it", () => {
  const s = seed004State();
  const out = describeNode(s, s.nodes[1]);
  assert.match(out, /^Name:\s+worker-1\nRoles:\s+<none>\n/);
  assert.match(out, /\n {2}InternalIP:\s+192\.168\.1\.11\n/);
  assert.match(out, /\nPodCIDR:\s+10\.244\.1\.0\/24\n/);
  assert.match(out, /\nNon-terminated Pods:\s+\(2 in total\)\n/);
});

test("describe service: a given load balancer's hostname without an ipMode; <none> selector", () => {
  // kubernetes/kubectl pkg/describe/describe.go buildIngressString appends " (<ipMode>)" only
  // when ipMode is set; kubernetes/kubernetes pkg/apis/core/v1/defaults.go defaults it to VIP
  // only where ip is set. Selector: labels.FormatLabels, "<none>" for an empty map.
  const s = seed004State();
  const svc = { ...s.services.find((x) => x.name === "users-service")!, selector: null };
  svc.loadBalancerIPs = ["a1b2-123.eu-west-1.elb.amazonaws.com", "203.0.113.7"];
  const given = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: svc.name, namespace: svc.namespace, uid: "u" },
    status: {
      loadBalancer: {
        ingress: [
          { hostname: "a1b2-123.eu-west-1.elb.amazonaws.com" },
          { ip: "203.0.113.7" },
          { ip: "203.0.113.8", ipMode: "Proxy" },
        ],
      },
    },
  };
  const st = { ...s, services: [svc], objects: [given] };
  const out = describeService(st, svc);
  assert.match(out, /\nSelector: +<none>\n/);
  assert.match(
    out,
    /\nLoadBalancer Ingress: +a1b2-123\.eu-west-1\.elb\.amazonaws\.com, 203\.0\.113\.7 \(VIP\), 203\.0\.113\.8 \(Proxy\)\n/,
  );
});

test("describe service: Traffic Distribution after the traffic policies, when set", async () => {
  const { loadCluster } = await import("../load/cluster.js");
  const { state } = await loadCluster({
    files: ["examples/topology/app.yaml"],
    config: "examples/topology/cluster.yaml",
  });
  const out = describeService(state, state.services.find((x) => x.name === "web")!).split("\n");
  assert.deepEqual(out.slice(-5, -2), [
    "Session Affinity:         None",
    "Internal Traffic Policy:  Cluster",
    "Traffic Distribution:     PreferClose",
  ]);
});
