// Changes to a running cluster, the parts that need no kernel: which IR changes the
// running network can take in place (pods, rules) and which it refuses (nodes, the
// underlay: `podnet up` builds those once; kubeadm joins a node, it is not an apply).
import { test } from "node:test";
import assert from "node:assert/strict";
import { fixtureIR } from "./testing.js";
import { infraChange } from "./live.js";
test("live: pods added or removed are taken in place", () => {
    const before = fixtureIR("lv", { nodes: 2, podsPerNode: 2 });
    const after = fixtureIR("lv", { nodes: 2, podsPerNode: 3 });
    assert.equal(infraChange("lv", before, after), null);
    assert.equal(infraChange("lv", after, before), null);
});
test("live: a new node is refused with the reason, naming both node lists", () => {
    const before = fixtureIR("lv", { nodes: 2, podsPerNode: 1 });
    const after = fixtureIR("lv", { nodes: 3, podsPerNode: 1 });
    const why = infraChange("lv", before, after);
    assert.ok(why);
    assert.match(why, /nodes would change/);
    assert.match(why, /worker-3 192\.168\.1\.13/);
});
test("live: a change to a node's own network (a route beyond the pods) is refused, naming the node's namespace", () => {
    const before = fixtureIR("lv", { nodes: 2, podsPerNode: 1 });
    const after = fixtureIR("lv", { nodes: 2, podsPerNode: 1 });
    after.nodes[0].ns.routes.push({
        table: "main",
        type: "unicast",
        dst: "10.250.0.0/16",
        via: "192.168.1.12",
        dev: "eth0",
    });
    const why = infraChange("lv", before, after);
    assert.ok(why);
    assert.match(why, /podnet-lv\.node\.worker-1/);
});
//# sourceMappingURL=live.test.js.map