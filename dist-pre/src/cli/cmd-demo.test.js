// Integration over the embedded example (loadCluster → views): the demo's sections, the
// resolv.conf kubelet writes (kubernetes.io dns-pod-service docs), and the seeds' point about deletion.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadCluster } from "../index.js";
import { renderDemo, demoSections } from "../views/demo.js";
import { runChange } from "../control/changes.js";
import { findResource, getView } from "../views/get.js";
import { resolvConfText, envText } from "./cmd-pod-info.js";
test("the demo walks through every section with headings", async () => {
    const { state } = await loadCluster({});
    const text = renderDemo(state);
    for (const [i, s] of demoSections.entries())
        assert.ok(text.includes(`${i + 1}. ${s.title}\n`), s.id);
    assert.ok(text.includes("$ podnet get pods -A -o wide\nNAMESPACE"));
    assert.ok(text.includes("$ podnet get svc -A\nNAMESPACE"));
});
test("resolvconf: ClusterFirst in default", async () => {
    const { state } = await loadCluster({});
    const p = state.pods.find((x) => x.namespace === "default" && x.name.startsWith("order-app-"));
    assert.equal(resolvConfText(state, p.name), "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n");
    const env = envText(state, p.name).split("\n");
    assert.equal(env[0], "USER_SERVICE_URL=http://user-service");
    assert.ok(env.includes("KUBERNETES_SERVICE_HOST=10.96.0.1"));
});
test("deleting a user-app pod: new name, new IP; the Service keeps its IP; endpoints follow", async () => {
    const { state } = await loadCluster({});
    const victim = state.pods.find((x) => x.namespace === "default" && x.name.startsWith("user-app-"));
    const svc = state.services.find((s) => s.namespace === "default" && s.name === "user-service");
    const out = runChange(state, { op: "delete", kind: "Pod", namespace: "default", name: victim.name });
    assert.deepEqual(out.diff.podsRemoved.map((p) => p.name), [victim.name]);
    assert.equal(out.diff.podsAdded.length, 1);
    assert.notEqual(out.diff.podsAdded[0].name, victim.name);
    assert.ok(out.state.services.some((s) => s.name === "user-service" && s.namespace === "default" && s.clusterIP === svc.clusterIP));
    const ep = out.diff.endpointsChanged.find((e) => e.name === "user-service" && e.namespace === "default");
    assert.ok(ep.before.some((a) => a.startsWith(`${victim.podIP}:`)));
    assert.ok(ep.after.some((a) => a.startsWith(`${out.diff.podsAdded[0].ip}:`)));
    const after = getView(out.state, findResource("ep"), { names: ["user-service"] }).stdout;
    assert.ok(after.includes(`${out.diff.podsAdded[0].ip}:8080`));
});
//# sourceMappingURL=cmd-demo.test.js.map