import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { deleteObject, scale } from "./changes.js";
import { cluster, deployment, podsOf } from "./testing.js";

// One schedulable worker, no CoreDNS: every user pod lands on worker-1 (10.244.1.0/24).
const ONE_WORKER = { dns: { replicas: 0 }, nodes: [{ name: "cp", role: "control-plane" }, { name: "w1" }] };

test("host-local: gateway .1 on cni0 is skipped, pods get .2, .3, … in order, /24 on eth0", () => {
  const s = cluster(deployment("web", 3), ONE_WORKER);
  const pods = podsOf(s, "web-");
  assert.deepEqual(
    pods.map((p) => p.podIP),
    ["10.244.1.2", "10.244.1.3", "10.244.1.4"],
  );
  assert.equal(s.ipam.nodes.w1.lastReserved, "10.244.1.4");
  assert.deepEqual(Object.keys(s.ipam.nodes.w1.allocated), ["10.244.1.2", "10.244.1.3", "10.244.1.4"]);
  assert.equal(s.ipam.nodes.w1.allocated["10.244.1.2"], pods[0].containerID);
  const ev = s.events.find((e) => e.reason === "AddedInterface" && e.object === `pod/default/${pods[0].name}`)!;
  assert.equal(ev.message, "Add eth0 [10.244.1.2/24] from cbr0");
  // bridge plugin: host side "veth" + 8 hex characters
  for (const p of pods) assert.match(p.hostIfName!, /^veth[0-9a-f]{8}$/);
});

test("host-local: a released address is not reused at once; allocation continues after lastReserved", () => {
  const s = cluster(deployment("web", 3), ONE_WORKER);
  const first = podsOf(s, "web-")[0];
  assert.equal(first.podIP, "10.244.1.2");
  const r = deleteObject(s, "Pod", "default", first.name);
  assert.equal(r.state.ipam.nodes.w1.allocated["10.244.1.2"], undefined);
  const fresh = podsOf(r.state, "web-").filter((p) => !podsOf(s, "web-").some((q) => q.name === p.name));
  assert.equal(fresh.length, 1);
  assert.equal(fresh[0].podIP, "10.244.1.5");
  assert.equal(r.state.ipam.nodes.w1.lastReserved, "10.244.1.5");
});

test("host-local: the range ends at broadcast-1 and allocation wraps round to freed addresses", () => {
  // /29: .0 network, .1 gateway, .2-.6 pods, .7 broadcast.
  const cfg = { ...ONE_WORKER, networking: { podSubnet: "10.244.0.0/24", nodeCIDRMaskSize: 29 } };
  const s = cluster(deployment("web", 6), cfg);
  const pods = podsOf(s, "web-");
  assert.equal(s.nodes[1].podCIDR, "10.244.0.8/29");
  assert.deepEqual(
    pods.slice(0, 5).map((p) => p.podIP),
    ["10.244.0.10", "10.244.0.11", "10.244.0.12", "10.244.0.13", "10.244.0.14"],
  );
  const stuck = pods[5];
  assert.equal(stuck.podIP, null);
  assert.equal(stuck.phase, "Pending");
  assert.ok(
    s.events.some(
      (e) =>
        e.reason === "FailedCreatePodSandBox" &&
        /no IP addresses available in range set: 10\.244\.0\.9-10\.244\.0\.14/.test(e.message),
    ),
  );
  // Free .11: the pending replica can't be retried by us, but a scale-down + new pod wraps to .11.
  const down = scale(s, "Deployment", "default", "web", 4);
  const kept = podsOf(down.state, "web-")
    .filter((p) => p.podIP)
    .map((p) => p.podIP);
  assert.equal(kept.length, 4);
  const freed = ["10.244.0.10", "10.244.0.11", "10.244.0.12", "10.244.0.13", "10.244.0.14"].filter(
    (ip) => !kept.includes(ip),
  );
  const up = scale(down.state, "Deployment", "default", "web", 5);
  const added = podsOf(up.state, "web-").filter((p) => !podsOf(down.state, "web-").some((q) => q.name === p.name));
  assert.equal(added.length, 1);
  assert.deepEqual([added[0].podIP], freed);
});

test("calico: /26 blocks claimed per node from the pool, pods are /32 from the block start, cali + sha1", () => {
  const cfg = { ...ONE_WORKER, networking: { cni: "calico", podSubnet: "192.168.0.0/16", nodeSubnet: "10.0.0.0/24" } };
  const s = cluster(deployment("web", 2), cfg);
  const pods = podsOf(s, "web-");
  const w1 = s.nodes.find((n) => n.name === "w1")!;
  assert.deepEqual(w1.blocks, ["192.168.0.0/26"]);
  // Calico allocates ordinals from the front of the block's free list: .0 first (pods are /32s).
  assert.deepEqual(
    pods.map((p) => p.podIP),
    ["192.168.0.0", "192.168.0.1"],
  );
  for (const p of pods) {
    const h = createHash("sha1").update(`default.${p.name}`).digest("hex");
    assert.equal(p.hostIfName, "cali" + h.slice(0, 11));
  }
  const ev = s.events.find((e) => e.reason === "AddedInterface" && e.object === `pod/default/${pods[0].name}`)!;
  assert.equal(ev.message, "Add eth0 [192.168.0.0/32] from k8s-pod-network");
});

test("calico IPIP: tunl0 takes the first address of each node's block; a full block → another block", () => {
  const cfg = {
    ...ONE_WORKER,
    networking: {
      cni: "calico",
      backend: "ipip",
      podSubnet: "192.168.0.0/16",
      nodeSubnet: "10.0.0.0/24",
      calicoBlockSize: 30,
    },
  };
  const s = cluster(deployment("web", 5), cfg);
  const [cp, w1] = s.nodes;
  // calico-node claims a block per node at start (node order) for the tunnel address.
  assert.equal(cp.tunnelAddress, "192.168.0.0");
  assert.equal(w1.tunnelAddress, "192.168.0.4");
  assert.deepEqual(
    podsOf(s, "web-").map((p) => p.podIP),
    ["192.168.0.5", "192.168.0.6", "192.168.0.7", "192.168.0.8", "192.168.0.9"],
  );
  assert.deepEqual(w1.blocks, ["192.168.0.4/30", "192.168.0.8/30"]);
  assert.deepEqual(cp.blocks, ["192.168.0.0/30"]);
});

test("calico: a released address goes to the end of the block's free list", () => {
  const cfg = { ...ONE_WORKER, networking: { cni: "calico", podSubnet: "192.168.0.0/16", nodeSubnet: "10.0.0.0/24" } };
  const s = cluster(deployment("web", 2), cfg);
  const frozen = (o: unknown): void => {
    if (o && typeof o === "object" && !Object.isFrozen(o)) {
      Object.freeze(o);
      Object.values(o).forEach(frozen);
    }
  };
  frozen(s); // the previous state is never mutated
  const victim = podsOf(s, "web-")[0];
  const r = deleteObject(s, "Pod", "default", victim.name);
  assert.deepEqual(s.ipam.calicoBlocks!["192.168.0.0/26"].unallocated.slice(0, 2), [2, 3]);
  const added = podsOf(r.state, "web-").find((p) => !podsOf(s, "web-").some((q) => q.name === p.name))!;
  assert.equal(added.podIP, "192.168.0.2");
  assert.equal(r.state.ipam.calicoBlocks!["192.168.0.0/26"].unallocated.at(-1), 0);
});

test("a dumped pod (spec.nodeName, status.podIP) keeps its address; host-local records it as last reserved", () => {
  const s = cluster(
    `
apiVersion: v1
kind: Pod
metadata: {name: dumped}
spec: {nodeName: w1, containers: [{name: c, image: x}]}
status: {phase: Running, podIP: 10.244.1.77}
---` + deployment("web", 1),
    ONE_WORKER,
  );
  assert.equal(s.pods.find((p) => p.name === "dumped")!.podIP, "10.244.1.77");
  assert.equal(podsOf(s, "web-")[0].podIP, "10.244.1.78");
});

test("cilium: node podCIDR, host side lxc + 12 hex of sha256(container ID), /32 on eth0", () => {
  const s = cluster(deployment("web", 1), { ...ONE_WORKER, networking: { cni: "cilium" } });
  const p = podsOf(s, "web-")[0];
  assert.equal(p.podIP, "10.244.1.2");
  assert.equal(p.hostIfName, "lxc" + createHash("sha256").update(p.containerID).digest("hex").slice(0, 12));
  assert.ok(
    s.events.some((e) => e.object === `pod/default/${p.name}` && e.message === "Add eth0 [10.244.1.2/32] from cilium"),
  );
  assert.equal(podsOf(s, "cilium-", "kube-system").length, 2);
});

test("dumped pods sharing a uid (dumps put together) still get sandboxes and host links of their own", () => {
  // The API server gives each object its own uid; two files of dumps need not agree.
  const pod = (ns: string, ip: string) => `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: ${ns}, uid: 0b5c1c9e-1111-2222-3333-444455556666}
spec: {nodeName: w1, containers: [{name: c, image: nginx}]}
status: {phase: Running, podIP: ${ip}, conditions: [{type: Ready, status: "True"}]}
`;
  const ns = (n: string) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${n}}\n---\n`;
  const text = `${ns("a")}${ns("b")}${pod("a", "10.244.1.5")}---\n${pod("b", "10.244.1.6")}`;
  for (const cni of ["flannel", "cilium"]) {
    const s = cluster(text, { ...ONE_WORKER, networking: { cni } });
    const [a, b] = ["a", "b"].map((n) => s.pods.find((p) => p.namespace === n && p.name === "web")!);
    assert.deepEqual([a.podIP, b.podIP], ["10.244.1.5", "10.244.1.6"], cni);
    assert.notEqual(a.containerID, b.containerID, cni);
    assert.notEqual(a.hostIfName, b.hostIfName, cni);
  }
});
