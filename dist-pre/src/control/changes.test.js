import { test } from "node:test";
import assert from "node:assert/strict";
import { SpecError } from "../manifest/errors.js";
import { applyObjects, deleteObject, scale } from "./changes.js";
import { cluster, deployment, objectsFromYaml, podsOf, statefulSet } from "./testing.js";
const CFG = { dns: { replicas: 0 }, nodes: [{ name: "cp", role: "control-plane" }, { name: "w1" }, { name: "w2" }] };
const APP = deployment("user-app", 2) +
    `
apiVersion: v1
kind: Service
metadata: {name: user-service}
spec:
  selector: {app: user-app}
  ports: [{name: http, port: 80, targetPort: http}]
`;
function deepFreeze(o) {
    if (o && typeof o === "object" && !Object.isFrozen(o)) {
        Object.freeze(o);
        for (const v of Object.values(o))
            deepFreeze(v);
    }
    return o;
}
test("deleting a pod: Killing, the controller's replacement gets a new name and a new IP; the Service keeps its IP", () => {
    const s = cluster(APP, CFG);
    const before = JSON.stringify(s);
    deepFreeze(s); // the input is never mutated
    const victim = podsOf(s, "user-app-")[0];
    const svcIP = s.services.find((x) => x.name === "user-service").clusterIP;
    const slice = s.endpointSlices.find((x) => x.serviceName === "user-service");
    const { state, events } = deleteObject(s, "Pod", "default", victim.name);
    assert.equal(JSON.stringify(s), before);
    assert.ok(state.clock > s.clock);
    const pods = podsOf(state, "user-app-");
    assert.equal(pods.length, 2);
    assert.ok(!pods.some((p) => p.name === victim.name));
    const repl = pods.find((p) => !podsOf(s, "user-app-").some((q) => q.name === p.name));
    assert.equal(repl.owner.name, victim.owner.name); // same ReplicaSet
    assert.notEqual(repl.podIP, victim.podIP);
    assert.equal(repl.created, state.clock);
    assert.deepEqual(events.filter((e) => e.object === `pod/default/${victim.name}`).map((e) => [e.reason, e.message]), [["Killing", "Stopping container user-app"]]);
    assert.ok(events.some((e) => e.reason === "SuccessfulCreate" && e.message === `Created pod: ${repl.name}`));
    assert.ok(events.some((e) => e.reason === "Scheduled" && e.object === `pod/default/${repl.name}`));
    assert.ok(events.some((e) => e.reason === "AddedInterface" && e.message === `Add eth0 [${repl.podIP}/24] from cbr0`));
    assert.deepEqual(state.events.slice(0, s.events.length), s.events);
    assert.equal(state.services.find((x) => x.name === "user-service").clusterIP, svcIP);
    const after = state.endpointSlices.find((x) => x.serviceName === "user-service");
    assert.equal(after.name, slice.name); // the controller updates its slice in place
    const ips = after.endpoints.map((e) => e.addresses[0]);
    assert.ok(ips.includes(repl.podIP));
    assert.ok(!ips.includes(victim.podIP));
    // unchanged parts are shared
    assert.equal(state.nodes, s.nodes);
    assert.equal(state.services.find((x) => x.name === "kube-dns"), s.services.find((x) => x.name === "kube-dns"));
});
test("deleting a StatefulSet pod: the replacement keeps the name and hostname", () => {
    const s = cluster(statefulSet("web", 2), CFG);
    const old = s.pods.find((p) => p.name === "web-0");
    const { state } = deleteObject(s, "Pod", "default", "web-0");
    const now = state.pods.find((p) => p.name === "web-0");
    assert.notEqual(now.uid, old.uid);
    assert.notEqual(now.podIP, old.podIP);
    assert.equal(now.spec.hostname, "web-0");
});
test("scale up and down", () => {
    const s = cluster(APP, CFG);
    const up = scale(s, "Deployment", "default", "user-app", 4);
    assert.equal(podsOf(up.state, "user-app-").length, 4);
    assert.ok(up.events.some((e) => e.reason === "ScalingReplicaSet" && /to 4$/.test(e.message)));
    const slice = up.state.endpointSlices.find((x) => x.serviceName === "user-service");
    assert.equal(slice.endpoints.length, 4);
    const down = scale(up.state, "Deployment", "default", "user-app", 1);
    const left = podsOf(down.state, "user-app-");
    assert.equal(left.length, 1);
    // the oldest pod survives a scale-down (newer pods are deleted first)
    assert.ok(podsOf(s, "user-app-").some((p) => p.name === left[0].name));
    assert.ok(down.events.some((e) => e.reason === "SuccessfulDelete"));
    assert.ok(down.events.some((e) => e.reason === "Killing"));
});
test("apply: a new Service gets an IP, existing ones keep theirs; one invalid object changes nothing", () => {
    const s = cluster(APP, CFG);
    const ip = s.services.find((x) => x.name === "user-service").clusterIP;
    const add = objectsFromYaml(`
apiVersion: v1
kind: Service
metadata: {name: other, namespace: default}
spec:
  selector: {app: user-app}
  ports: [{port: 8080}]
`);
    const r = applyObjects(s, add);
    assert.equal(r.state.services.find((x) => x.name === "user-service").clusterIP, ip);
    assert.ok(r.state.services.find((x) => x.name === "other").clusterIP);
    assert.equal(r.state.pods, s.pods); // no pod changed
    const before = JSON.stringify(r.state);
    const bad = objectsFromYaml(`
apiVersion: v1
kind: Service
metadata: {name: good, namespace: default}
spec:
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: bad, namespace: default}
spec:
  clusterIP: 192.0.2.1
  ports: [{port: 80}]
`);
    assert.throws(() => applyObjects(r.state, bad), SpecError);
    assert.equal(JSON.stringify(r.state), before);
});
test("apply a changed template: a new ReplicaSet replaces the pods", () => {
    const s = cluster(APP, CFG);
    const changed = objectsFromYaml(deployment("user-app", 2, { ports: "[{name: http, containerPort: 9090}]" }));
    const { state } = applyObjects(s, changed);
    const oldRs = podsOf(s, "user-app-")[0].owner.name;
    const pods = podsOf(state, "user-app-");
    assert.equal(pods.length, 2);
    assert.ok(pods.every((p) => p.owner.name !== oldRs));
    const sl = state.endpointSlices.find((x) => x.serviceName === "user-service");
    assert.deepEqual(sl.ports.map((p) => p.port), [9090]);
    assert.ok(state.replicaSets.some((r) => r.name === oldRs && r.replicas === 0));
});
test("deleting a Service frees its IP; deleting a Deployment removes its pods", () => {
    const s = cluster(APP, CFG);
    const ip = s.services.find((x) => x.name === "user-service").clusterIP;
    const a = deleteObject(s, "Service", "default", "user-service");
    assert.equal(a.state.ipam.serviceIPs[ip], undefined);
    assert.ok(!a.state.endpointSlices.some((x) => x.serviceName === "user-service"));
    const b = deleteObject(a.state, "Deployment", "default", "user-app");
    assert.equal(podsOf(b.state, "user-app-").length, 0);
    assert.throws(() => deleteObject(b.state, "Deployment", "default", "user-app"), /not found/);
});
test("deleting a Namespace deletes what is in it; default, kube-system and kube-public cannot be deleted", () => {
    const s = cluster(`
apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: team}
spec:
  ports: [{port: 80}]
`, CFG);
    assert.ok(s.services.some((x) => x.namespace === "team"));
    const r = deleteObject(s, "Namespace", "", "team");
    assert.ok(!r.state.namespaces.some((n) => n.name === "team"));
    assert.ok(!r.state.services.some((x) => x.namespace === "team"));
    assert.ok(r.state.namespaces.some((n) => n.name === "default"));
    assert.throws(() => deleteObject(s, "Namespace", "", "kube-system"), /may not be deleted/);
});
//# sourceMappingURL=changes.test.js.map