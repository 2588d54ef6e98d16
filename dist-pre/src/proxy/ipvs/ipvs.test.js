// ipvs mode (model only), from kubernetes/kubernetes pkg/proxy/ipvs/proxier.go: kube-ipvs0 holds every
// Service IP, one virtual server per Service IP:port (rr) with the endpoints as real servers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ipvsMode, ipvsIpsets } from "./index.js";
import { renderIptables } from "../../ir/render-iptables.js";
import * as T from "../testing.js";
test("kube-ipvs0 holds every Service IP; virtual servers use rr with the endpoints", () => {
    const st = T.richState();
    const shared = ipvsMode.shared(st);
    assert.deepEqual(shared.links?.map((l) => [l.name, l.kind]), [["kube-ipvs0", "dummy"]]);
    const addrs = shared.addresses.map((a) => a.cidr);
    for (const ip of ["10.96.0.1/32", "10.96.0.20/32", "192.168.1.200/32", "192.168.1.240/32"])
        assert.ok(addrs.includes(ip), ip);
    const auth = shared.ipvs.find((v) => v.address === "10.96.0.20");
    assert.equal(auth.scheduler, "rr");
    assert.deepEqual(auth.reals.map((r) => `${r.address}:${r.port}`), ["10.244.1.10:80", "10.244.1.5:80", "10.244.2.7:80"]);
    const w1 = ipvsMode.perNode(st, st.nodes[1], shared);
    const np = w1.ipvs.find((v) => v.port === 30080);
    assert.equal(np.address, st.nodes[1].address);
    assert.deepEqual(np.reals.map((r) => r.address), ["10.244.2.8"]);
    // The node's list holds the shared servers (the same objects) and its own.
    assert.ok(shared.ipvs.every((v) => w1.ipvs.includes(v)));
    const aff = w1.ipvs.find((v) => v.address === "10.96.0.24");
    assert.equal(aff.persistenceTimeout, 10800);
});
test("ipvs mode's iptables rules match the ipsets and keep KUBE-MARK-MASQ", () => {
    const st = T.richState();
    const text = renderIptables([ipvsMode.shared(st).iptables]);
    assert.ok(text.includes("-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\n"));
    assert.ok(text.includes('-A KUBE-SERVICES -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ\n'));
    const sets = ipvsIpsets(st, st.nodes[1]);
    assert.ok(sets["KUBE-CLUSTER-IP"].includes("10.96.0.20,tcp:80"));
    assert.ok(sets["KUBE-NODE-PORT-TCP"].includes(30080));
    assert.ok(sets["KUBE-LOOP-BACK"].includes("10.244.1.5,tcp:80,10.244.1.5"));
});
//# sourceMappingURL=ipvs.test.js.map