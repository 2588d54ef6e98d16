import { test } from "node:test";
import assert from "node:assert/strict";
import { SpecError } from "../manifest/errors.js";
import { parseIPv4 } from "../net/ipv4.js";
import { staticBandSize } from "./services.js";
import { cluster, THREE_NODES } from "./testing.js";

const svc = (name: string, spec: string) => `
apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
${spec}
---`;
const get = (s: ReturnType<typeof cluster>, name: string) =>
  s.services.find((x) => x.name === name && x.namespace === "default")!;

test("KEP-3070/3668 band split: static band min(max(16, size/16), 256) IPs and min(max(16, size/32), 128) ports", () => {
  assert.equal(staticBandSize(2 ** 20, 16, 256, 16), 256); // /12
  assert.equal(staticBandSize(2 ** 8, 16, 256, 16), 16); // /24
  assert.equal(staticBandSize(16, 16, 256, 16), 0); // /28: no split
  assert.equal(staticBandSize(2768, 16, 128, 32), 86); // 30000-32767
});

test("a given clusterIP is honoured; others come from the upper (dynamic) band", () => {
  const s = cluster(
    svc("fixed", "  clusterIP: 10.96.0.50\n  selector: {app: a}\n  ports: [{port: 80}]") +
      svc("dyn", "  selector: {app: b}\n  ports: [{port: 80}]"),
  );
  assert.equal(get(s, "fixed").clusterIP, "10.96.0.50");
  const ip = parseIPv4(get(s, "dyn").clusterIP!)!;
  const base = parseIPv4("10.96.0.0")!;
  assert.ok(ip > base + 256 && ip < base + 2 ** 20 - 1, get(s, "dyn").clusterIP!);
  assert.equal(s.ipam.serviceIPs["10.96.0.50"], "default/fixed");
});

test("clusterIP outside the range or taken → SpecError naming file, line, field and value", () => {
  assert.throws(
    () => cluster(svc("out", "  clusterIP: 10.0.0.1\n  ports: [{port: 80}]")),
    (e: unknown) =>
      e instanceof SpecError &&
      /^test\.yaml:\d+ \(Service default\/out\) spec\.clusterIP: "10\.0\.0\.1" is not in the service range 10\.96\.0\.0\/12/.test(
        e.message,
      ),
  );
  assert.throws(
    () => cluster(svc("taken", "  clusterIP: 10.96.0.10\n  ports: [{port: 80}]")),
    (e: unknown) =>
      e instanceof SpecError &&
      /spec\.clusterIP: "10\.96\.0\.10" is already allocated to Service kube-system\/kube-dns/.test(e.message),
  );
});

test("headless → None, ExternalName → no cluster IP, sessionAffinity timeout 10800", () => {
  const s = cluster(
    svc("hl", "  clusterIP: None\n  selector: {app: a}\n  ports: [{port: 80}]") +
      svc("ext", "  type: ExternalName\n  externalName: db.example.com") +
      svc("sticky", "  sessionAffinity: ClientIP\n  selector: {app: a}\n  ports: [{port: 80}]"),
  );
  assert.equal(get(s, "hl").clusterIP, "None");
  assert.equal(get(s, "ext").clusterIP, null);
  assert.equal(get(s, "ext").externalName, "db.example.com");
  assert.equal(get(s, "sticky").sessionAffinity, "ClientIP");
  assert.equal(get(s, "sticky").sessionAffinityTimeout, 10800);
});

test("NodePorts: given honoured, others from the range's upper band, conflicts are errors", () => {
  const s = cluster(
    svc("np", "  type: NodePort\n  selector: {app: a}\n  ports: [{port: 80, nodePort: 30080}, {name: b, port: 81}]"),
  );
  const ports = get(s, "np").ports;
  assert.equal(ports[0].nodePort, 30080);
  assert.ok(ports[1].nodePort! >= 30000 + 86 && ports[1].nodePort! <= 32767);
  assert.equal(s.ipam.nodePorts["30080/TCP"], "default/np");
  assert.throws(
    () =>
      cluster(
        svc("a", "  type: NodePort\n  ports: [{port: 80, nodePort: 30080}]") +
          svc("b", "  type: NodePort\n  ports: [{port: 80, nodePort: 30080}]"),
      ),
    (e: unknown) =>
      e instanceof SpecError &&
      /\(Service default\/b\) spec\.ports\[0\]\.nodePort: 30080 provided port is already allocated/.test(e.message),
  );
  assert.throws(
    () => cluster(svc("c", "  type: NodePort\n  ports: [{port: 80, nodePort: 80}]")),
    (e: unknown) => e instanceof SpecError && /The range of valid ports is 30000-32767/.test(e.message),
  );
});

test("LoadBalancer: first usable address of loadBalancerSubnet, <pending> without a pool, status honoured", () => {
  const m =
    svc("lb1", "  type: LoadBalancer\n  selector: {app: a}\n  ports: [{port: 80}]") +
    svc("lb2", "  type: LoadBalancer\n  selector: {app: a}\n  ports: [{port: 80}]") +
    `
apiVersion: v1
kind: Service
metadata: {name: lb3}
spec:
  type: LoadBalancer
  ports: [{port: 80}]
status:
  loadBalancer:
    ingress: [{ip: 203.0.113.7}]
`;
  const s = cluster(m);
  assert.deepEqual(get(s, "lb1").loadBalancerIPs, ["192.168.1.241"]);
  assert.deepEqual(get(s, "lb2").loadBalancerIPs, ["192.168.1.242"]);
  assert.deepEqual(get(s, "lb3").loadBalancerIPs, ["203.0.113.7"]);
  assert.ok(get(s, "lb1").ports[0].nodePort! >= 30000);
  const none = cluster(m, { ...THREE_NODES, networking: {} });
  assert.deepEqual(get(none, "lb1").loadBalancerIPs, []);
});

test("externalTrafficPolicy Local LoadBalancer gets a healthCheckNodePort", () => {
  const s = cluster(
    svc("loc", "  type: LoadBalancer\n  externalTrafficPolicy: Local\n  selector: {app: a}\n  ports: [{port: 80}]"),
  );
  const h = get(s, "loc").healthCheckNodePort!;
  assert.ok(h >= 30000 && h <= 32767);
  assert.notEqual(h, get(s, "loc").ports[0].nodePort);
});

test("LoadBalancer status: a hostname or an ipMode Proxy IP is the load balancer's, not a Service address", () => {
  // kube-proxy takes from status.loadBalancer.ingress only the entries with an ip whose
  // ipMode is unset or VIP (kubernetes/kubernetes pkg/proxy/service.go newBaseServiceInfo);
  // a cloud LB known by hostname (AWS ELB) forwards to the NodePorts. A given status is the
  // load balancer's: nothing is allocated from the pool for it.
  const m = `
apiVersion: v1
kind: Service
metadata: {name: elb}
spec: {type: LoadBalancer, ports: [{port: 443}]}
status:
  loadBalancer:
    ingress: [{hostname: a1b2-123.eu-west-1.elb.amazonaws.com}]
---
apiVersion: v1
kind: Service
metadata: {name: proxied}
spec: {type: LoadBalancer, ports: [{port: 80}]}
status:
  loadBalancer:
    ingress: [{ip: 203.0.113.8, ipMode: Proxy}, {ip: 203.0.113.9, ipMode: VIP}]
`;
  const s = cluster(m);
  assert.deepEqual(get(s, "elb").loadBalancerIPs, []);
  assert.deepEqual(get(s, "proxied").loadBalancerIPs, ["203.0.113.9"]);
});

// allocateLoadBalancerNodePorts (https://kubernetes.io/docs/concepts/services-networking/service/#load-balancer-nodeport-allocation):
// false keeps a LoadBalancer's ports without NodePorts, but a nodePort asked for is honoured
// (pkg/registry/core/service/storage/alloc.go initNodePorts), and the health check port of an
// externalTrafficPolicy Local one is still allocated.
test("allocateLoadBalancerNodePorts false: no NodePort unless asked for; the health check port stays", () => {
  const s = cluster(
    svc(
      "lb",
      "  type: LoadBalancer\n  allocateLoadBalancerNodePorts: false\n  externalTrafficPolicy: Local\n  selector: {app: a}\n" +
        "  ports: [{name: a, port: 80}, {name: b, port: 81, nodePort: 31234}]",
    ) + svc("def", "  type: LoadBalancer\n  selector: {app: a}\n  ports: [{port: 80}]"),
  );
  const lb = get(s, "lb");
  assert.equal(lb.allocateLoadBalancerNodePorts, false);
  assert.equal(lb.ports[0].nodePort, undefined);
  assert.equal(lb.ports[1].nodePort, 31234);
  assert.ok(lb.healthCheckNodePort! >= 30000);
  assert.deepEqual(lb.loadBalancerIPs, ["192.168.1.241"]);
  // Defaulted to true (SetDefaults_Service): a NodePort per port.
  assert.equal(get(s, "def").allocateLoadBalancerNodePorts, true);
  assert.ok(get(s, "def").ports[0].nodePort! >= 30000);
});

test("loadBalancerClass: another implementation's Service gets no address from MetalLB's pool", () => {
  const s = cluster(
    svc(
      "nlb",
      "  type: LoadBalancer\n  loadBalancerClass: service.k8s.aws/nlb\n  selector: {app: a}\n  ports: [{port: 80}]",
    ) + svc("mine", "  type: LoadBalancer\n  selector: {app: a}\n  ports: [{port: 80}]"),
  );
  assert.deepEqual(get(s, "nlb").loadBalancerIPs, []);
  assert.equal(get(s, "nlb").loadBalancerClass, "service.k8s.aws/nlb");
  assert.deepEqual(get(s, "mine").loadBalancerIPs, ["192.168.1.241"]);
  assert.ok(get(s, "nlb").ports[0].nodePort! >= 30000);
});
