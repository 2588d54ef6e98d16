// Regression pin for interpreter optimisations: the JSON of a fixed set of traces must not
// change byte for byte. Digests were recorded from the interpreter before the per-path CPU
// work (issue 3 §8); a deliberate behaviour change must re-record them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { loadCluster, buildState } from "../index.js";
import type { ClusterState } from "../control/state.js";
import { buildIR } from "../ir/build.js";
import { ipvsIpsets } from "../proxy/ipvs/index.js";
import { traceFlow, type TraceOptions } from "./flow.js";

const { spec } = await loadCluster({});
const withPolicies = (await loadCluster({ files: ["examples/demo", "examples/policies"] })).spec;
function stateFor(s: typeof spec, cni: string, backend: string, mode: string): ClusterState {
  return buildState({ ...s, config: { ...s.config, networking: { ...s.config.networking, cni: cni as any, backend: backend as any, kubeProxyMode: mode as any } } });
}
const flavors: [string, string][] = [
  ["flannel", "vxlan"],
  ["flannel", "host-gw"],
  ["calico", "bgp"],
  ["calico", "ipip"],
  ["calico", "vxlan"],
];

function digest(s: typeof spec, cni: string, backend: string, mode: string): string {
  const state = stateFor(s, cni, backend, mode);
  const ir = buildIR(state);
  const opts: TraceOptions = { state };
  if (mode === "ipvs") opts.ipsets = (id) => {
    const n = state.nodes.find((x) => `node/${x.name}` === id);
    return n ? (ipvsIpsets(state, n) as unknown as Record<string, (string | number)[]>) : undefined;
  };
  const h = createHash("sha256");
  const pods = state.pods.filter((p) => p.podIP && p.phase === "Running");
  const svcs = state.services.filter((x) => x.clusterIP && x.clusterIP !== "None");
  const add = (q: Parameters<typeof traceFlow>[1], o: TraceOptions = opts) => {
    let out: string;
    try {
      out = JSON.stringify(traceFlow(ir, q, o));
    } catch (e) {
      out = `error: ${(e as Error).message}`;
    }
    h.update(out + "\n");
  };
  for (const p of pods) {
    for (const x of svcs) add({ from: `${p.namespace}/${p.name}`, to: `svc/${x.namespace}/${x.name}`, reply: true });
    for (const q of pods.slice(0, 6)) add({ from: `${p.namespace}/${p.name}`, to: `${q.namespace}/${q.name}`, reply: true });
  }
  add({ from: "order-app", to: "http://user-service/api", reply: true });
  add({ from: "order-app", to: "http://api.example.com/", reply: true });
  add({ from: "order-app", to: "svc/user-service" }, { ...opts, maxPaths: 1 });
  add({ from: "order-app", to: "svc/user-service", reply: true }, { ...opts, replay: true });
  for (const n of state.nodes) add({ from: `node/${n.name}`, to: "svc/default/user-service", reply: true });
  for (const x of svcs) for (const pp of x.ports) if (pp.nodePort) for (const n of state.nodes) add({ from: "external", to: `${n.address}:${pp.nodePort}`, reply: true });
  return h.digest("hex");
}

const expected: Record<string, string> = {
  "flannel/vxlan/iptables/plain": "4cbe481cedd898d10a162866aacbdda3f50be503e9945fd1946a75caf64fea04",
  "flannel/vxlan/iptables/policies": "ace7546e32770c16a3a17afc61d2e0dff8512ad2af83ca947365eed5e1b1c2e8",
  "flannel/vxlan/nftables/plain": "ce49ce0cfe7cccd0405d899d0dd8c979e21963344990a71affd30b20ff76b5da",
  "flannel/vxlan/nftables/policies": "c2109dde2a4c9e827167c6388a20ad53da77db4a078eb267566326078f388f6c",
  "flannel/vxlan/ipvs/plain": "4827a06d4019bbdb991a1204109b8424750f2dc0eff18f2441c3f1fa09e2f765",
  "flannel/vxlan/ipvs/policies": "e17ad891857e4230fab8d959d9e6cdcb2bf126192994b150921df7a42d1c0b53",
  "flannel/host-gw/iptables/plain": "6dd0edbabf47d9d435ec5987353abbdb02d9afaa043eb0f67f60313d0012ecda",
  "flannel/host-gw/iptables/policies": "779617ffedee13fcf74479d7b056f30fd13038c466073128eb266528fb79ac80",
  "flannel/host-gw/nftables/plain": "987f58138c21a149f4ced0ffd2ebcc0716e5f2d3b1d1c8754727c44ad484229b",
  "flannel/host-gw/nftables/policies": "2274ac4b80fe181242ef38ddf8ea87b1ead9fa47060647c91a7a7619dd4d9776",
  "flannel/host-gw/ipvs/plain": "314e57c525f2ff668f05cfae9fa0e81851040e48ae0b534d0a856e5c7b776c9c",
  "flannel/host-gw/ipvs/policies": "d0bc58e4bf776e0f17f3a5db53be4508065a80a2db8078ba9752721176ca6a9e",
  "calico/bgp/iptables/plain": "3caefad35d84e872f598b0b8bc1f3e22cdb31fa2b43c0b2f64fa84d5072bcb44",
  "calico/bgp/iptables/policies": "aa8de723d1e4d098d9e8278f16f34bc9d70a130f30c0a254ff8e0fd9a0781110",
  "calico/bgp/nftables/plain": "244a568f54658f7030f99fc137e74cd327474845f42a905fcc7e3c1fc8368645",
  "calico/bgp/nftables/policies": "7cf922086487f7dfdc3ed63e6feac401151ec1040b879a3b91294b7dd1e4e52c",
  "calico/bgp/ipvs/plain": "ae2bf011bc16ce79e37a9c3c98fc920b510fab7721042ce1a35b069c1894c955",
  "calico/bgp/ipvs/policies": "d5795a87306a6cb1c814cd9ad776aeada128a198bc892150928634d595b20de3",
  "calico/ipip/iptables/plain": "da8ede785bfb011b07e74c92cddeb5e79548b552717e5f68e8e4058427864c31",
  "calico/ipip/iptables/policies": "eae2811808ca901d5b21675f5c1e0b3d54137724dc4180e7285446e876e15408",
  "calico/ipip/nftables/plain": "a36ec9ce90afecb7e8cec8c93a3c2572868eea9aef20e3c9a281e42ec4f50912",
  "calico/ipip/nftables/policies": "638575dfb9e326a2525c0416e582b7eb1590e0988603167c750bd9f897b46949",
  "calico/ipip/ipvs/plain": "eeeda3be3e3676de0858055ef1283c27f4fc2ee0292e46d2cebc533ec0efa758",
  "calico/ipip/ipvs/policies": "f06abdcf3f9d7b83e2468c569e277401bc86847f138cf4f86c7bad4de79e1e92",
  "calico/vxlan/iptables/plain": "8e9c2565dfe05a68d054999a30d5db436a6f98dbf241f29ae5f6e8434bfd6a95",
  "calico/vxlan/iptables/policies": "ef945cfd35267f1d3b0367eee41c7109341a76a52e0356649289009bb97289a6",
  "calico/vxlan/nftables/plain": "c11bd70de37473ab3c01f4e34758aaa5c2f08e556fa71f50b43192eb9a7ae1ac",
  "calico/vxlan/nftables/policies": "f209238e2c2fc3542b735f33169c0e312d90fb8917be0b428714ca41dc84bb7f",
  "calico/vxlan/ipvs/plain": "28ff4560c6e8f2ce96b3c33b1f35c370515b0e9bd5b9442ed252e1a1c7a2012f",
  "calico/vxlan/ipvs/policies": "338332997d6ee55b08cad307f9401d0ea8eb5fec61bf012c7fcd78ce8a7ad3e3",
};

test("trace JSON is unchanged (sha256 per flavor × proxy mode × policies)", () => {
  const got: Record<string, string> = {};
  for (const [cni, backend] of flavors)
    for (const mode of ["iptables", "nftables", "ipvs"])
      for (const [tag, s] of [["plain", spec], ["policies", withPolicies]] as const) got[`${cni}/${backend}/${mode}/${tag}`] = digest(s, cni, backend, mode);
  if (process.env.PODNET_GOLDEN_PRINT) console.log(JSON.stringify(got, null, 2));
  assert.deepEqual(got, expected);
});
