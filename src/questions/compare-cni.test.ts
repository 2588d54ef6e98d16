// compare-cni: the seeds' CNI table generated from traces. Expected values from the
// projects' documentation: flannel's VXLAN backend uses VNI 1 and a static FDB/ARP entry per
// remote node (flannel Documentation/backends.md, "vxlan": VNI default 1); Calico's BGP mode
// routes PodCIDR blocks learned by BIRD without encapsulation (docs.tigera.io "Overlay
// networking"); Cilium's kube-proxy replacement load-balances in eBPF and tunnels with the
// ipcache's tunnel endpoint, VNI = the source identity (docs.cilium.io "Routing",
// "Kubernetes Without kube-proxy"); kube-proxy's iptables mode DNATs in KUBE-SEP chains.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSpec } from "../manifest/parse.js";
import { clusterYaml, WEB_AND_CLIENT } from "../testing/manifests.js";
import { compareCni } from "./compare-cni.js";

const CONFIG = clusterYaml("cc", { networking: { cni: "flannel" } });
const APPS = `${WEB_AND_CLIENT}apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;
const spec = () => parseSpec([{ file: "a.yaml", text: APPS }], { file: "c.yaml", text: CONFIG });

test("a ClusterIP flow across nodes: iptables + VXLAN, iptables + BGP, eBPF + tunnel map", () => {
  const r = compareCni(spec(), "default/client", "svc/default/web");
  assert.deepEqual(
    r.columns.map((c) => `${c.cni} ${c.backend} ${c.kubeProxyMode}`),
    ["flannel vxlan iptables", "calico bgp iptables", "cilium vxlan none"],
  );
  assert.deepEqual(r.placementDiffers, [], "scheduling does not depend on the CNI");
  const [f, c, ci] = r.columns;
  // Every column shows the same backend pod.
  assert.ok(f.ends && f.ends === c.ends && c.ends === ci.ends, `${f.ends} ${c.ends} ${ci.ends}`);
  for (const col of r.columns) {
    assert.equal(col.verdict.split(":")[0], "DELIVERED");
    assert.equal(col.nat.length, 1);
    assert.match(col.nat[0], /^DNAT 10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+:80 → 10\.244\.\d+\.\d+:8080/);
  }
  assert.match(f.processing, /^iptables/);
  assert.match(c.processing, /^iptables/);
  assert.match(ci.processing, /^eBPF/);
  assert.match(f.nat[0], /\(iptables\)$/);
  assert.match(ci.nat[0], /\(eBPF\)$/);
  assert.ok(ci.mapLookups > 0 && f.mapLookups === 0 && c.mapLookups === 0);
  assert.ok(f.rulesMatched > ci.rulesMatched, "kube-proxy's chains are consulted only without the replacement");
  // The first path goes to the web pod on the other worker (the client is on one, a web pod on each).
  assert.ok(f.hops.includes("underlay"), f.hops.join(" "));
  assert.match(f.crossing, /^VXLAN VNI 1 \(flannel\.1/);
  assert.match(c.crossing, /^BGP route/);
  assert.match(c.crossingObject ?? "", /proto bird/);
  assert.match(ci.crossing, /^tunnel map/);
  assert.match(ci.crossingObject ?? "", /^cilium_ipcache_v2 .* tunnelendpoint=/);
  // Calico's IPAM hands out /26 blocks: its pod IPs differ from host-local's.
  assert.ok(r.ipsDiffer.some((d) => d.pod === "default/client"));
});

test("flags choose backends and modes: Cilium native routing crosses by a direct route", () => {
  const r = compareCni(spec(), "default/client", "svc/default/web", {
    flavors: [
      { cni: "flannel", backend: "host-gw", kubeProxyMode: "nftables" },
      { cni: "cilium", backend: "native", kubeProxyMode: "none" },
    ],
  });
  assert.equal(r.columns.length, 2);
  assert.match(r.columns[0].processing, /^nftables/);
  for (const col of r.columns)
    if (col.hops.includes("underlay")) assert.match(col.crossing, /^direct route/, col.label);
});
