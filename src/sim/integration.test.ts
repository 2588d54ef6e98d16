// The interpreter on the IR the real builders produce (buildIR over the embedded demo
// cluster), in every flavor and proxy mode: the same cluster expressed by changing only
// networking.cni/backend/kubeProxyMode.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadCluster, buildState } from "../index.js";
import type { ClusterState } from "../control/state.js";
import { buildIR } from "../dataplane/build.js";
import { ipvsIpsets } from "../proxy/ipvs/index.js";
import { traceFlow } from "./flow.js";
import type { TracePath } from "./trace.js";

const { spec } = await loadCluster({});
function stateFor(cni: string, backend: string, mode: string): ClusterState {
  return buildState({
    ...spec,
    config: {
      ...spec.config,
      networking: { ...spec.config.networking, cni: cni as any, backend: backend as any, kubeProxyMode: mode as any },
    },
  });
}
const steps = (p: TracePath) => p.hops.flatMap((h) => h.steps);
const flavors: [string, string][] = [
  ["flannel", "vxlan"],
  ["flannel", "host-gw"],
  ["calico", "bgp"],
  ["calico", "ipip"],
  ["calico", "vxlan"],
];

for (const [cni, backend] of flavors) {
  for (const mode of ["iptables", "nftables"]) {
    test(`buildIR ${cni}/${backend} + ${mode}: order-app → user-service reaches both endpoints, reply comes from the cluster IP`, () => {
      const state = stateFor(cni, backend, mode);
      const ir = buildIR(state);
      const svc = state.services.find((s) => s.namespace === "default" && s.name === "user-service")!;
      const eps = state.pods
        .filter((p) => p.namespace === "default" && p.name.startsWith("user-app-"))
        .map((p) => `pod/default/${p.name}`)
        .sort();
      const r = traceFlow(ir, { from: "order-app", to: "svc/user-service", reply: true }, { state });
      assert.equal(r.paths.length, eps.length);
      assert.deepEqual(r.paths.map((p) => p.disposition.ns).sort(), eps);
      for (const p of r.paths) {
        assert.equal(p.disposition.verdict, "DELIVERED", JSON.stringify(p.disposition));
        assert.ok(Math.abs(p.probability - 1 / eps.length) < 1e-9);
        assert.equal(p.reply?.disposition.verdict, "DELIVERED", JSON.stringify(p.reply?.disposition));
        const back = steps(p.reply!).at(-1)!.packet;
        assert.equal(back.src, svc.clusterIP);
        assert.equal(back.sport, 80);
      }
    });
  }
  test(`buildIR ${cni}/${backend}: pod → pod on another node, and a 1500-byte packet`, () => {
    const state = stateFor(cni, backend, "iptables");
    const ir = buildIR(state);
    const a = state.pods.find((p) => p.name.startsWith("order-app-") && p.nodeName === "worker-1")!;
    const b = state.pods.find(
      (p) => p.name.startsWith("user-app-") && p.namespace === "default" && p.nodeName === "worker-2",
    )!;
    const p = traceFlow(ir, { from: `default/${a.name}`, to: `default/${b.name}` }).paths[0];
    assert.equal(p.disposition.verdict, "DELIVERED", JSON.stringify(p.disposition));
    const enc = steps(p).find((s) => s.action === "ENCAPSULATED");
    const a1 = state.nodes.find((n) => n.name === "worker-1")!.address;
    const a2 = state.nodes.find((n) => n.name === "worker-2")!.address;
    if (backend === "host-gw" || backend === "bgp") assert.equal(enc, undefined);
    else {
      assert.equal(enc?.packet.outer?.src, a1);
      assert.equal(enc?.packet.outer?.dst, a2);
      if (backend === "vxlan") assert.equal(enc?.packet.outer?.protocol, "udp");
      if (backend === "ipip") assert.equal(enc?.packet.outer?.protocol, "ipip");
    }
    // The pod's MTU leaves room for the encapsulation: a 1500-byte DF packet only fits without a tunnel.
    const big = traceFlow(ir, { from: `default/${a.name}`, to: `default/${b.name}`, size: 1500 }).paths[0];
    if (backend === "host-gw" || backend === "bgp") assert.equal(big.disposition.verdict, "DELIVERED");
    else {
      assert.equal(big.disposition.reason, "MTU_EXCEEDED");
      assert.equal(big.disposition.ns, `pod/default/${a.name}`);
    }
  });
}

test("buildIR ipvs: a NodePort from outside goes through the IPVS virtual server (ipsets given to the trace)", () => {
  const state = stateFor("flannel", "vxlan", "ipvs");
  const ir = buildIR(state);
  const svc = state.services.find((s) => s.namespace === "default" && s.name === "users-service")!;
  const np = svc.ports[0].nodePort!;
  const node = state.nodes.find((n) => n.name === "worker-2")!;
  const ipsets = (id: string) => {
    const n = state.nodes.find((x) => `node/${x.name}` === id);
    return n ? (ipvsIpsets(state, n) as unknown as Record<string, (string | number)[]>) : undefined;
  };
  const r = traceFlow(ir, { from: "external", to: `${node.address}:${np}`, reply: true }, { state, ipsets });
  assert.ok(r.paths.length >= 1);
  for (const p of r.paths) {
    assert.equal(p.disposition.verdict, "DELIVERED", JSON.stringify(p.disposition));
    assert.ok(steps(p).some((s) => s.action === "IPVS"));
    assert.equal(p.reply?.disposition.verdict, "DELIVERED");
    assert.equal(steps(p.reply!).at(-1)!.packet.src, node.address);
  }
});

test('buildIR: NAME:PORT is a host and a port (an app\'s "db:5432"), resolved through the search list', () => {
  // A pod's name is a DNS subdomain, which has no ':'
  // (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-subdomain-names):
  // user-service:80 is the name the pod's resolver looks up, then its Service's cluster IP and port.
  const state = stateFor("flannel", "vxlan", "iptables");
  const svc = state.services.find((s) => s.name === "user-service" && s.namespace === "default")!;
  const r = traceFlow(buildIR(state), { from: "order-app", to: `user-service:${svc.ports[0].port}` }, { state });
  assert.equal(r.dns?.walk[0].name, "user-service.default.svc.cluster.local");
  assert.equal(r.dns?.answer, svc.clusterIP);
  assert.equal(r.flow.port, svc.ports[0].port);
  assert.ok(r.paths.every((p) => p.disposition.verdict === "DELIVERED"));
});

test("buildIR: a URL is resolved through the pod's search list, and the DNS query is traced to CoreDNS", () => {
  const state = stateFor("flannel", "vxlan", "iptables");
  const r = traceFlow(buildIR(state), { from: "order-app", to: "http://user-service/api" }, { state });
  assert.equal(r.dns?.walk[0].name, "user-service.default.svc.cluster.local");
  assert.equal(
    r.dns?.answer,
    state.services.find((s) => s.name === "user-service" && s.namespace === "default")!.clusterIP,
  );
  assert.ok(r.dns?.path?.every((p) => p.disposition.verdict === "DELIVERED" && /coredns/.test(p.disposition.ns ?? "")));
  assert.equal(r.flow.path, "/api");
});
