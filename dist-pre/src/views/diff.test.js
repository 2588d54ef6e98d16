// The seeds' point: deleting a controller's pod gives a replacement with a new name and
// IP; the Service keeps its cluster IP while its endpoints follow the pods.
import { test } from "node:test";
import assert from "node:assert/strict";
import { diffStates } from "../control/diff.js";
import { formatDiff } from "./diff.js";
import { pod, seed004State, slice } from "./testing.js";
test("diffStates: a replaced pod and the endpoints that followed it", () => {
    const before = seed004State();
    const after = structuredClone(before);
    after.pods = after.pods.filter((p) => p.name !== "users-deployment-6d9f8b7c5-a1b2c");
    after.pods.push(pod("default", "users-deployment-6d9f8b7c5-zz9yx", "10.244.1.9", "worker-1"));
    after.endpointSlices = after.endpointSlices.map((s) => s.serviceName === "users-service"
        ? slice("default", "users-service", s.name, 8080, ["10.244.1.9", "10.244.2.3"])
        : s);
    const d = diffStates(before, after);
    assert.deepEqual(d.podsRemoved, [
        { namespace: "default", name: "users-deployment-6d9f8b7c5-a1b2c", ip: "10.244.1.6", node: "worker-1" },
    ]);
    assert.deepEqual(d.podsAdded, [
        { namespace: "default", name: "users-deployment-6d9f8b7c5-zz9yx", ip: "10.244.1.9", node: "worker-1" },
    ]);
    assert.deepEqual(d.servicesChanged, []);
    assert.deepEqual(d.endpointsChanged, [
        {
            namespace: "default",
            name: "users-service",
            clusterIP: "10.109.194.160",
            before: ["10.244.1.6:8080", "10.244.2.3:8080"],
            after: ["10.244.1.9:8080", "10.244.2.3:8080"],
        },
    ]);
    const text = formatDiff(d);
    assert.match(text, /^- pod default\/users-deployment-6d9f8b7c5-a1b2c {2}IP 10\.244\.1\.6/m);
    assert.match(text, /^\+ pod default\/users-deployment-6d9f8b7c5-zz9yx {2}IP 10\.244\.1\.9/m);
    assert.equal(formatDiff(diffStates(before, before)), "No changes.\n");
});
//# sourceMappingURL=diff.test.js.map