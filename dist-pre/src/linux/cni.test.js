import { test } from "node:test";
import assert from "node:assert/strict";
import { fixtureIR, kernelSkip } from "./testing.js";
import { CNI_ERR, cniAdd, cniCheck, cniDel, isCniError, netConfFor, parseCniArgs } from "./cni.js";
import { createRunner } from "./exec.js";
import { down, up } from "./cluster.js";
const ir = fixtureIR("cnit");
const conf = netConfFor(ir);
const args = { IgnoreUnknown: "1", K8S_POD_NAMESPACE: "default", K8S_POD_NAME: "web-10" };
const netns = "/run/netns/podnet-cnit.pod.default.web-10";
test("flannel's network config is the conflist 'cbr0' with type flannel (cni-and-flavors.md)", () => {
    assert.equal(conf.name, "cbr0");
    assert.equal(conf.type, "flannel");
    assert.equal(conf.cniVersion, "1.0.0");
    assert.equal(netConfFor({ ...ir, cni: "calico" }).name, "k8s-pod-network");
});
test("CNI_ARGS parse as kubelet passes them", () => {
    assert.deepEqual(parseCniArgs("IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0"), {
        IgnoreUnknown: "1",
        K8S_POD_NAMESPACE: "default",
        K8S_POD_NAME: "web-0",
    });
});
test("ADD result has the spec's shape: bridge, host veth, container interface (index 2) with its sandbox", async () => {
    const runner = createRunner({ dryRun: true });
    const r = await cniAdd(conf, { containerID: "abc123", netns, ifName: "eth0", args }, { cluster: "cnit", ir, runner });
    assert.ok(!isCniError(r), JSON.stringify(r));
    const res = r;
    assert.equal(res.cniVersion, "1.0.0");
    assert.deepEqual(res.interfaces.map((i) => i.name), ["cni0", "veth0100beef", "eth0"]);
    assert.equal(res.interfaces[2].sandbox, netns);
    assert.equal(res.interfaces[0].sandbox, undefined, "host-side interfaces carry no sandbox");
    assert.match(res.interfaces[2].mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    assert.deepEqual(res.ips, [{ address: "10.244.1.2/24", gateway: "10.244.1.1", interface: 2 }]);
    assert.ok(res.routes.some((x) => x.dst === "0.0.0.0/0" && x.gw === "10.244.1.1"));
    assert.deepEqual(res.dns.nameservers, ["10.96.0.10"]);
    // Every command ran against podnet namespaces (the runner's guard) and ADD did run some.
    assert.ok(runner.log.length >= 2);
});
test("errors use the spec's codes", async () => {
    const ctx = { cluster: "cnit", ir, runner: createRunner({ dryRun: true }) };
    const e = async (p, code) => {
        const r = await p;
        assert.ok(isCniError(r), JSON.stringify(r));
        assert.equal(r.code, code, r.msg);
        assert.equal(r.cniVersion, "1.0.0");
    };
    await e(cniAdd({ ...conf, cniVersion: "9.9.9" }, { containerID: "a", netns, ifName: "eth0", args }, ctx), CNI_ERR.INCOMPATIBLE_VERSION);
    await e(cniAdd({ ...conf, name: "" }, { containerID: "a", netns, ifName: "eth0", args }, ctx), CNI_ERR.INVALID_CONFIG);
    await e(cniAdd(conf, { containerID: "", netns, ifName: "eth0", args }, ctx), CNI_ERR.INVALID_ENV);
    await e(cniAdd(conf, { containerID: "a", ifName: "eth0", args }, ctx), CNI_ERR.INVALID_ENV);
    await e(cniAdd(conf, { containerID: "a", netns: "/run/netns/cni-1234", ifName: "eth0", args }, ctx), CNI_ERR.INVALID_ENV);
    await e(cniAdd(conf, { containerID: "a", netns, ifName: "eth0", args: { K8S_POD_NAMESPACE: "default", K8S_POD_NAME: "nope" } }, ctx), CNI_ERR.UNKNOWN_CONTAINER);
    // DEL needs no netns and succeeds when there is nothing to delete.
    assert.equal(await cniDel(conf, { containerID: "a", ifName: "eth0" }, ctx), null);
});
test("kernel: ADD wires the pod, a second ADD fails (interface exists), CHECK passes, DEL is idempotent", {
    skip: kernelSkip(["ip"]),
}, async () => {
    const cluster = "cnit";
    await down(cluster);
    try {
        // Infrastructure and the pod namespaces, but no pod attached: ADD is what we test.
        const bare = { ...ir, pods: ir.pods.map((p) => ({ ...p })) };
        await up({ cluster, ir: { ...bare, pods: [] }, supervise: false });
        const runner = createRunner();
        await runner.run(["ip", "netns", "add", "podnet-cnit.pod.default.web-10"]);
        const ctx = { cluster, ir, runner };
        const a = { containerID: "abc123", netns, ifName: "eth0", args };
        const r1 = await cniAdd(conf, a, ctx);
        assert.ok(!isCniError(r1), JSON.stringify(r1));
        assert.equal(await cniCheck(conf, a, ctx), null);
        const r2 = await cniAdd(conf, a, ctx);
        assert.ok(isCniError(r2) && /already exists/.test(r2.msg), JSON.stringify(r2));
        assert.equal(await cniDel(conf, a, ctx), null);
        assert.equal(await cniDel(conf, a, ctx), null, "a repeated DEL succeeds");
        const c = await cniCheck(conf, a, ctx);
        assert.ok(isCniError(c), "CHECK fails once the interface is gone");
        // The host end went with the pair.
        const host = await runner.run(["ip", "-n", "podnet-cnit.node.worker-1", "link", "show", "dev", "veth0100beef"], "", { allowFail: true });
        assert.notEqual(host.code, 0);
    }
    finally {
        await down(cluster);
    }
});
//# sourceMappingURL=cni.test.js.map