import { test } from "node:test";
import assert from "node:assert/strict";
import { byLogging, findNode, findPod, findService, lookupPod, type PodLookup } from "./resolve-target.js";
import { canonicalEnds } from "./cmd-trace.js";
import { UsageError } from "./errors.js";
import { pod, seed004State, service } from "../views/testing.js";

function state() {
  const s = seed004State();
  s.namespaces.push({ name: "production", labels: {} });
  s.pods.push(
    pod("default", "order-app-75bd9978d-vglcs", "10.244.2.5", "worker-2"),
    pod("default", "order-app-75bd9978d-xrt6f", "10.244.1.6", "worker-1"),
    pod("production", "user-app-5657484d98-zsl96", "10.244.2.6", "worker-2"),
  );
  s.services.push(
    service("production", "user-service", { clusterIP: "10.100.144.231" }),
    service("default", "user-service", { clusterIP: "10.96.11.236" }),
  );
  return s;
}

test("findPod: exact name, ns/name, unique prefix, prefix in another namespace", () => {
  const s = state();
  assert.equal(findPod(s, "order-app-75bd9978d-vglcs").podIP, "10.244.2.5");
  assert.equal(findPod(s, "default/order-app-75bd9978d-xrt6f").podIP, "10.244.1.6");
  assert.equal(findPod(s, "auth").name, "auth-deployment-5c8b9d7f4-x2k9p");
  assert.equal(findPod(s, "user-app").namespace, "production");
  assert.equal(findPod(s, "user-app", "production").name, "user-app-5657484d98-zsl96");
});

test("findPod: an ambiguous prefix is a usage error naming the candidates", () => {
  const s = state();
  assert.throws(
    () => findPod(s, "order-app-75bd"),
    (e: unknown) =>
      e instanceof UsageError &&
      /ambiguous/.test(e.message) &&
      e.message.includes("default/order-app-75bd9978d-vglcs") &&
      e.message.includes("default/order-app-75bd9978d-xrt6f"),
  );
  assert.throws(
    () => findPod(s, "nope"),
    (e: unknown) => e instanceof UsageError && e.message === 'pod "nope" not found',
  );
  assert.throws(() => findPod(s, "production/order-app"), /not found in namespace "production"/);
});

test("findNode and findService", () => {
  const s = state();
  assert.equal(findNode(s, "worker-2").address, "192.168.1.12");
  assert.equal(findNode(s, "control").name, "control-plane");
  assert.throws(() => findNode(s, "worker"), /ambiguous/);
  assert.equal(findService(s, "user-service").clusterIP, "10.96.11.236");
  assert.equal(findService(s, "production/user-service").clusterIP, "10.100.144.231");
  assert.equal(findService(s, "user-service.production").clusterIP, "10.100.144.231");
  assert.equal(findService(s, "kube-dns").namespace, "kube-system");
  assert.throws(() => findService(s, "nope"), UsageError);
});

// The sock shop's case (issue 16): Deployments "orders" and "orders-db" in namespace
// sock-shop. "orders" is the Deployment's name, not an ambiguous prefix; -n, ns/name and
// trace's FROM/TO all go through the same lookup.
function sockShop() {
  const s = state();
  s.namespaces.push({ name: "sock-shop", labels: {} });
  s.pods.push(
    pod("sock-shop", "orders-6c7f8d9b4-xyz12", "10.244.1.20", "worker-1"),
    pod("sock-shop", "orders-db-7d4b8c6f5-abc12", "10.244.2.20", "worker-2"),
    pod("sock-shop", "queue-master-5f6d7c8b9-q2w4r", "10.244.2.21", "worker-2"),
  );
  return s;
}

test("findPod: a workload's name gives its first pod; ns/name and -n agree", () => {
  const s = sockShop();
  assert.equal(findPod(s, "orders", "sock-shop").name, "orders-6c7f8d9b4-xyz12");
  assert.equal(findPod(s, "sock-shop/orders").name, "orders-6c7f8d9b4-xyz12");
  assert.equal(findPod(s, "orders").name, "orders-6c7f8d9b4-xyz12");
  assert.equal(findPod(s, "orders-db", "sock-shop").name, "orders-db-7d4b8c6f5-abc12");
  assert.equal(findPod(s, "deploy/orders-db", "sock-shop").name, "orders-db-7d4b8c6f5-abc12");
  assert.equal(findPod(s, "sock-shop/queue-master").podIP, "10.244.2.21");
  assert.equal(findPod(s, "pod/sock-shop/queue-master-5f6d7c8b9-q2w4r").podIP, "10.244.2.21");
  assert.equal(findPod(s, "queue", "sock-shop").name, "queue-master-5f6d7c8b9-q2w4r");
  // The workload's pods in kubectl's ByLogging order: the running one first.
  assert.equal(findPod(s, "order-app").name, "order-app-75bd9978d-vglcs");
  const pending = pod("default", "order-app-75bd9978d-aaaaa", null, null);
  s.pods.unshift(pending);
  assert.equal(findPod(s, "order-app").name, "order-app-75bd9978d-vglcs");
  assert.ok(byLogging(s.pods[1], pending) < 0);
  assert.throws(() => findPod(s, "sts/orders", "sock-shop"), /statefulset "orders" \(no pods\) not found/);
});

test("findPod: a name in two namespaces is ambiguous and lists both", () => {
  const s = sockShop();
  s.pods.push(pod("other", "orders-6c7f8d9b4-xyz12", "10.244.1.30", "worker-1"));
  assert.equal(findPod(s, "orders-6c7f8d9b4-xyz12", "other").podIP, "10.244.1.30");
  assert.throws(
    () => findPod(s, "orders-6c7f8d9b4-xyz12"),
    /ambiguous: other\/orders-6c7f8d9b4-xyz12, sock-shop\/orders-6c7f8d9b4-xyz12|ambiguous: sock-shop\/orders-6c7f8d9b4-xyz12, other\/orders-6c7f8d9b4-xyz12/,
  );
  assert.throws(() => findPod(s, "orders"), /ambiguous: workloads .*sock-shop\/deployment\/orders/);
});

test("trace: FROM and TO by the same lookup, -n included; Services, IPs and URLs as given", () => {
  const s = sockShop();
  assert.deepEqual(canonicalEnds(s, "sock-shop/queue-master", "orders", "sock-shop"), {
    from: "sock-shop/queue-master-5f6d7c8b9-q2w4r",
    to: "sock-shop/orders-6c7f8d9b4-xyz12",
  });
  assert.deepEqual(canonicalEnds(s, "queue-master", "svc/orders", "sock-shop"), {
    from: "sock-shop/queue-master-5f6d7c8b9-q2w4r",
    to: "svc/sock-shop/orders",
  });
  assert.deepEqual(canonicalEnds(s, "node/worker-1", "http://orders/", undefined), {
    from: "node/worker-1",
    to: "http://orders/",
  });
  assert.deepEqual(canonicalEnds(s, "orders", "10.96.0.10:53", "sock-shop").to, "10.96.0.10:53");
});

test("lookupPod over any list (exec's recorded pods)", () => {
  const pods = [
    { namespace: "a", name: "web-1", node: null as string | null },
    { namespace: "a", name: "web-0", node: "n1" },
  ];
  const how: PodLookup<(typeof pods)[number]> = {
    workloadOf: (p: { name: string }) => ({ kind: "StatefulSet", name: p.name.replace(/-\d+$/, "") }),
    firstOrder: (x: { node: string | null; name: string }, y: { node: string | null; name: string }) =>
      !!x.node !== !!y.node ? (x.node ? -1 : 1) : x.name < y.name ? -1 : 1,
  };
  assert.equal(lookupPod(pods, "web", "a", how).name, "web-0");
  assert.equal(lookupPod(pods, "a/web-1", undefined, how).name, "web-1");
  assert.throws(() => lookupPod(pods, "x", "a", how), /pod "x" not found in namespace "a"/);
});
