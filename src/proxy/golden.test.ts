// Regression guard for the kube-proxy rule generators and the iptables-save / nft list
// ruleset renderers: the rendered text and the IR (as JSON) of every node, in both modes,
// must stay byte-identical through performance work. The digests were taken from the
// output before that work; the semantics behind them are tested against kube-proxy's
// reference in iptables.test.ts / nftables.test.ts / kernel.test.ts. If a change is meant
// to alter the rules, fix those tests first, then update the digests here.
// The demo cluster's digests also depend on the control plane's allocations (pod IPs,
// cluster IPs): a change there changes them too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { ClusterState } from "../control/state.js";
import { proxyModes } from "./index.js";
import { renderIptables } from "../ir/render-iptables.js";
import { renderNft } from "../ir/render-nft.js";
import { buildContext, buildNodeIR } from "../ir/build.js";
import { loadCluster } from "../index.js";
import { richState, syntheticState } from "./testing.js";


/** Text and IR digests of every node's kube-proxy layers (shared + own). */
function digest(state: ClusterState, mode: "iptables" | "nftables"): { text: string; ir: string } {
  const m = proxyModes[mode];
  const shared = m.shared(state);
  const text = createHash("sha256");
  const ir = createHash("sha256");
  ir.update(JSON.stringify(mode === "iptables" ? shared.iptables : shared.nftables));
  for (const n of state.nodes) {
    const own = m.perNode(state, n, shared);
    text.update(mode === "iptables" ? renderIptables([shared.iptables!, own.iptables!]) : renderNft([shared.nftables!, own.nftables!]));
    ir.update(JSON.stringify(mode === "iptables" ? own.iptables : own.nftables));
  }
  return { text: text.digest("hex"), ir: ir.digest("hex") };
}

/** A large cluster (> 1000 endpoints: no per-endpoint comments) with every Service kind of richState. */
function mixedLarge(): ClusterState {
  const s = syntheticState(300, 5, 4);
  const r = richState();
  return { ...s, services: [...r.services, ...s.services], endpointSlices: [...r.endpointSlices, ...s.endpointSlices] };
}

/** Session affinity and eTP Local with Cluster internal policy: affinity in the shared layer. */
function withAffinity(s: ClusterState): ClusterState {
  const services = s.services.map((v) => (v.name === "aff" ? { ...v, internalTrafficPolicy: "Cluster" as const } : v));
  return { ...s, services };
}

const FIXTURES: [string, () => ClusterState][] = [
  ["affinity cluster policy", () => withAffinity(richState())],
  ["affinity cluster policy, large", () => withAffinity(mixedLarge())],
  ["richState", () => richState()],
  ["richState masqueradeAll", () => richState({ masqueradeAll: true })],
  ["synthetic 120x4 over 7 nodes", () => syntheticState(120, 4, 7)],
  ["synthetic 400x5 over 13 nodes", () => syntheticState(400, 5, 13)],
  ["mixed large", mixedLarge],
];

const GOLDEN: Record<string, { iptables: { text: string; ir: string }; nftables: { text: string; ir: string } }> = {
  "affinity cluster policy": {
    iptables: { text: "88df76db0dd5db63dcd4add62539fcf114890a4c4df8454a63f7629bb134eb7a", ir: "8f355d04f970d17a79bd36d8802228437637d70d11a84ac98ea1f94b9a163e97" },
    nftables: { text: "1286b5017124df16a7b40f9aa905f502a9d13ee8b13fa8f231f5ebf6ffb59375", ir: "aa61311e4455cbf7d02d391802689c17c99407d8b993e21fe64aa34024363ac6" },
  },
  "affinity cluster policy, large": {
    iptables: { text: "89be1a8e03f68795c1d71e723b27ecdfa7e01b58c26369d24df975b1516f21f5", ir: "e78993ac300a53a84988bb039fef4348530271b061d1858ce8ec1b81513f7bf4" },
    nftables: { text: "d358513e6b71bd6db972ed9366cd993e0a059d86f7488e42e2516ec8cc889c39", ir: "7ad3ffa97aff6de2c334df7ce48a389007ef7d704128f2d239ee2607c4bff25a" },
  },
  "richState": {
    iptables: { text: "1eded2da8de01b76658b3879bb47488bf507b3c1b3b34024f3bd14ad046a0357", ir: "02c59db6ea8644b948fb6f6cec09d6f019aa1c24c8ffd3dc3841e2ff2cdf44c6" },
    nftables: { text: "5468f5f7f6ee175b8b7bb0d4bfb93a32a58fb71fb6dba578738a70ea5ff87ff0", ir: "5f17fc9a04d4863ca8403660a01a9b476b2e4c6385b5ff000b18ef10aa32f683" },
  },
  "richState masqueradeAll": {
    iptables: { text: "c3f258b0997d32443022c926eaf80a1fb57ed961d7efad98509dbd9922638651", ir: "8de6c9159e2542767d9758453c7affe8525493fe621d678f9cd27d004400ca47" },
    nftables: { text: "a98001b65481afeb50f4c0884e26f54471468caf2e7864932845d2c1a2d6896b", ir: "f16dcc92bcc4963af5770e3f4e9190c231efbc878dff489eb442db7f7feb6fa0" },
  },
  "synthetic 120x4 over 7 nodes": {
    iptables: { text: "d619e348c558f1d2cca3af85845c4e0a640f7d155d6f50758947e0b6b97f3a6b", ir: "0835a10b39c1486eb610b142de9e34b32b43ca818a41e15e66baee6048d65913" },
    nftables: { text: "f57543042d505b8788b01d29194c09ba297703b1cbe7c69cdd7909102994ce37", ir: "c4a999ce2d89a3abe8482975204c73ec362923dfb53d5b4105049c646e8eaf30" },
  },
  "synthetic 400x5 over 13 nodes": {
    iptables: { text: "b537f5f3cb66f81c2eb24536d964a9e923ad60166483ac53d1a77ee5e401fa03", ir: "ae351125584372f01e1b21edf56949aad152496e0074fa713489407524419bcc" },
    nftables: { text: "0b899b1c5eecf0136a9c0586e7e6939a171ec280f9470d9c328c74ab03c50526", ir: "3cf0ed293f86d9f3423f87ffdb0fd97df9fbd2066f7b8fd014ea6db2f81338ed" },
  },
  "mixed large": {
    iptables: { text: "16ed52537e7ea7ca49e1df62d0de0ad9096756f1ac8896516ed051baac1a2dc1", ir: "694f512ec09b4740897fcdf502e91b3fa497634e89968a6121016c2d04cb5edf" },
    nftables: { text: "c1f2da3e5e12febec3d89121c14006aa4579bd48905b6ca7f2658fbce0743212", ir: "792a6b119cb16eecd17114c2008eeb79e239f8b9b1160faa042231afbb435255" },
  },
  "demo": {
    iptables: { text: "c989b7dcd8ec391c4f3360e04a5d5d928587cbed3da0fcb56ea737a462fb94ef", ir: "" },
    nftables: { text: "77bf2b08b033b034ecb2335e6296842f8481d9567154fb60834d65ed666367d3", ir: "" },
  },
};

for (const [name, make] of FIXTURES) {
  test(`kube-proxy output is unchanged: ${name}`, () => {
    const state = make();
    for (const mode of ["iptables", "nftables"] as const) {
      const d = digest(state, mode);
      if (process.env.PODNET_GOLDEN_PRINT) console.log(JSON.stringify({ name, mode, ...d }));
      else assert.deepEqual(d, GOLDEN[name][mode], `${name} ${mode}`);
    }
  });
}

test("`podnet rules NODE` text of the demo cluster is unchanged", async () => {
  const { state } = await loadCluster();
  for (const mode of ["iptables", "nftables"] as const) {
    const h = createHash("sha256");
    const ctx = buildContext(state, { proxyMode: mode });
    for (const n of state.nodes) {
      const nf = buildNodeIR(state, n.name, ctx).node.ns.netfilter;
      h.update(nf.mode === "nftables" ? renderNft(nf.nftables) : renderIptables(nf.iptables) + renderNft(nf.nftables));
    }
    const d = h.digest("hex");
    if (process.env.PODNET_GOLDEN_PRINT) console.log(JSON.stringify({ name: "demo", mode, text: d }));
    else assert.equal(d, GOLDEN.demo[mode].text, `demo ${mode}`);
  }
});
