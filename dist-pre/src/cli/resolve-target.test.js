import { test } from "node:test";
import assert from "node:assert/strict";
import { findNode, findPod, findService } from "./resolve-target.js";
import { UsageError } from "./errors.js";
import { pod, seed004State, service } from "../views/testing.js";
function state() {
    const s = seed004State();
    s.namespaces.push({ name: "production", labels: {} });
    s.pods.push(pod("default", "order-app-75bd9978d-vglcs", "10.244.2.5", "worker-2"), pod("default", "order-app-75bd9978d-xrt6f", "10.244.1.6", "worker-1"), pod("production", "user-app-5657484d98-zsl96", "10.244.2.6", "worker-2"));
    s.services.push(service("production", "user-service", { clusterIP: "10.100.144.231" }), service("default", "user-service", { clusterIP: "10.96.11.236" }));
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
    assert.throws(() => findPod(s, "order-app"), (e) => e instanceof UsageError &&
        /ambiguous/.test(e.message) &&
        e.message.includes("default/order-app-75bd9978d-vglcs") &&
        e.message.includes("default/order-app-75bd9978d-xrt6f"));
    assert.throws(() => findPod(s, "nope"), (e) => e instanceof UsageError && e.message === 'pod "nope" not found');
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
//# sourceMappingURL=resolve-target.test.js.map