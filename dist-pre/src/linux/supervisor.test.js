import { test } from "node:test";
import assert from "node:assert/strict";
import { fixtureIR } from "./testing.js";
import { isDnsListener, supervisorConfigs } from "./supervisor.js";
test("one pod server per node, serving every listener of that node's pods", () => {
    const ir = fixtureIR("s", { nodes: 3, podsPerNode: 100 });
    const cfgs = supervisorConfigs(ir, "s");
    assert.equal(cfgs.length, 3, "300 pods, 3 processes");
    assert.deepEqual(cfgs.map((c) => c.pods.length), [100, 100, 100]);
    const c = cfgs[0];
    assert.equal(c.nodeNetns, "podnet-s.node.worker-1");
    assert.equal(c.stateDir, "/run/podnet/s");
    assert.equal(c.pods[0].netns, "podnet-s.pod.default.web-10");
    assert.deepEqual(c.pods[0].listeners.map((l) => `${l.container}:${l.port}/${l.protocol}`), ["app:8080/TCP", "app:9000/UDP", "sidecar:9090/TCP"]);
});
test("CoreDNS's port 53 goes to the DNS server, the rest of the pod to the pod server", () => {
    const ir = fixtureIR("s");
    const p = ir.pods[0];
    p.namespace = "kube-system";
    p.listeners = [
        { container: "coredns", port: 53, protocol: "UDP", address: "0.0.0.0", portName: "dns" },
        { container: "coredns", port: 53, protocol: "TCP", address: "0.0.0.0", portName: "dns-tcp" },
        { container: "coredns", port: 9153, protocol: "TCP", address: "0.0.0.0", portName: "metrics" },
    ];
    assert.ok(isDnsListener(p, p.listeners[0]));
    assert.ok(!isDnsListener({ namespace: "default" }, p.listeners[0]), "port 53 elsewhere is an ordinary listener");
    const cfg = supervisorConfigs(ir, "s", isDnsListener)[0];
    assert.deepEqual(cfg.pods.find((x) => x.name === p.name).listeners.map((l) => l.port), [9153]);
});
//# sourceMappingURL=supervisor.test.js.map