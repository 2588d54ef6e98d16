// MetalLB layer 2 election (metallb/metallb speaker/layer2_controller.go ShouldAnnounce):
// expected winners are the first of the candidates sorted by sha256(node + "#" + ip),
// worked out by hand with Python's hashlib:
//   192.168.1.241: worker-1 < worker-2      192.168.1.242: worker-2 < worker-1
import { test } from "node:test";
import assert from "node:assert/strict";
import { scale } from "./changes.js";
import { announcingNode, externalEntry, l2Announcements } from "./metallb.js";
import { cluster, deployment, THREE_NODES } from "./testing.js";

const lb = (name: string, app: string, etp = "Cluster") => `
apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec: {type: LoadBalancer, externalTrafficPolicy: ${etp}, selector: {app: ${app}}, ports: [{port: 80, targetPort: 8080}]}
---`;
const svc = (s: ReturnType<typeof cluster>, name: string) => s.services.find((x) => x.name === name)!;
const assigned = (s: ReturnType<typeof cluster>, name: string) =>
  s.events.filter((e) => e.object === `service/default/${name}` && e.reason === "nodeAssigned").map((e) => e.message);

test("Cluster policy: the lowest sha256(node#ip) among the workers announces; the control plane is excluded", () => {
  const s = cluster(deployment("a", 2) + deployment("b", 2) + lb("one", "a") + lb("two", "b"));
  assert.deepEqual(svc(s, "one").loadBalancerIPs, ["192.168.1.241"]);
  assert.deepEqual(svc(s, "two").loadBalancerIPs, ["192.168.1.242"]);
  assert.equal(announcingNode(s, svc(s, "one")), "worker-1");
  assert.equal(announcingNode(s, svc(s, "two")), "worker-2");
  assert.deepEqual(assigned(s, "one"), ['announcing from node "worker-1" with protocol "layer2"']);
  assert.equal(s.events.find((e) => e.reason === "nodeAssigned")?.source, "metallb-speaker");
});

test("no ready endpoint: nobody announces (and no event)", () => {
  const s = cluster(lb("one", "nothing"));
  assert.equal(announcingNode(s, svc(s, "one")), null);
  assert.equal(l2Announcements(s).size, 0);
  assert.deepEqual(assigned(s, "one"), []);
});

test("Local policy: only nodes with a ready endpoint are candidates; scaling out re-elects", () => {
  // One replica: its node announces, whatever the hash order says.
  const s1 = cluster(deployment("a", 1) + lb("one", "a", "Local"));
  const node = s1.pods.find((p) => p.name.startsWith("a-"))!.nodeName!;
  assert.equal(announcingNode(s1, svc(s1, "one")), node);
  // Two replicas (one per worker): worker-1 wins for 192.168.1.241.
  const s2 = scale(s1, "Deployment", "default", "a", 2).state;
  assert.deepEqual(new Set(s2.pods.filter((p) => p.name.startsWith("a-")).map((p) => p.nodeName)).size, 2);
  assert.equal(announcingNode(s2, svc(s2, "one")), "worker-1");
  const moved = assigned(s2, "one");
  assert.equal(moved.length, node === "worker-1" ? 1 : 2, moved.join("; "));
  // Scaled to zero: the announcement goes away.
  const s3 = scale(s2, "Deployment", "default", "a", 0).state;
  assert.equal(announcingNode(s3, svc(s3, "one")), null);
});

test("a node labelled exclude-from-external-load-balancers is no candidate", () => {
  const config = {
    ...THREE_NODES,
    nodes: [
      { name: "control-plane", role: "control-plane" },
      { name: "worker-1", labels: { "node.kubernetes.io/exclude-from-external-load-balancers": "" } },
      { name: "worker-2" },
    ],
  };
  const s = cluster(deployment("a", 2) + lb("one", "a"), config);
  assert.equal(announcingNode(s, svc(s, "one")), "worker-2");
});

test("an address outside networking.loadBalancerSubnet (a given status) is not MetalLB's", () => {
  const given = `
apiVersion: v1
kind: Service
metadata: {name: cloud}
spec: {type: LoadBalancer, selector: {app: a}, ports: [{port: 80}]}
status: {loadBalancer: {ingress: [{ip: 203.0.113.7}]}}
---`;
  const s = cluster(deployment("a", 2) + given);
  assert.equal(announcingNode(s, svc(s, "cloud")), null);
});

test("from outside, a ClusterIP Service with externalIPs names them: the network, not Kubernetes, routes them to a node", () => {
  const s = cluster(`
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {selector: {app: a}, externalIPs: [198.51.100.7], ports: [{port: 80, targetPort: 8080}]}
---`);
  const r = externalEntry(s, svc(s, "ext"));
  assert.equal(typeof r, "string");
  assert.match(
    r as string,
    /^Service default\/ext is of type ClusterIP: outside the cluster it has no LoadBalancer IP or NodePort/,
  );
  assert.match(
    r as string,
    /its externalIPs \(198\.51\.100\.7\) reach it where the network routes them to a node: trace to 198\.51\.100\.7:80 from a node or pod$/,
  );
});
