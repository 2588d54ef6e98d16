// kube-proxy's masquerade rules by its configuration (KubeProxyConfiguration masqueradeAll and
// clusterCIDR), in each mode: kubernetes pkg/proxy/iptables and nftables proxier.go (the
// cluster IP's masquerade rule: every source with masqueradeAll, `! -s <clusterCIDR>` with a
// local detector, none without one; the "pod traffic for … external destinations" rule only
// with a detector) and pkg/proxy/ipvs/proxier.go writeIptablesRules (KUBE-CLUSTER-IP dst,dst
// for every source, dst,dst with `! -s <clusterCIDR>`, or src,dst without a detector).
import { test } from "node:test";
import assert from "node:assert/strict";
import { iptablesMode } from "./iptables/index.js";
import { nftablesMode } from "./nftables/index.js";
import { ipvsMode } from "./ipvs/index.js";
import { renderIptables } from "../ir/render-iptables.js";
import { renderNft } from "../ir/render-nft.js";
import { proxyLayers, type ProxyMode } from "./mode.js";
import * as T from "./testing.js";

function rules(mode: ProxyMode, masqueradeAll: boolean, kubeProxyClusterCIDR?: string): string {
  const st = T.richState({ masqueradeAll, ...(kubeProxyClusterCIDR !== undefined ? { kubeProxyClusterCIDR } : {}) });
  const shared = mode.shared(st);
  const all = proxyLayers(shared, mode.perNode(st, st.nodes[1], shared));
  return mode.name === "nftables" ? renderNft(all.nftables) : renderIptables(all.iptables);
}

test("iptables: the cluster IP's masquerade rule drops `! -s <podSubnet>` with masqueradeAll", () => {
  const line = (t: string) =>
    t.split("\n").find((l) => l.includes('"default/dns:dns cluster IP"') && l.includes("KUBE-MARK-MASQ"))!;
  assert.match(line(rules(iptablesMode, false)), / ! -s 10\.244\.0\.0\/16 -j KUBE-MARK-MASQ$/);
  assert.match(line(rules(iptablesMode, true)), / --dport 53 -j KUBE-MARK-MASQ$/);
});

test("nftables: the service chain's masquerade rule matches every source with masqueradeAll", () => {
  assert.match(rules(nftablesMode, false), /ip saddr != 10\.244\.0\.0\/16 jump mark-for-masquerade/);
  assert.doesNotMatch(rules(nftablesMode, true), /ip saddr != 10\.244\.0\.0\/16 jump mark-for-masquerade/);
  assert.match(rules(nftablesMode, true), /jump mark-for-masquerade/);
});

test("ipvs: KUBE-CLUSTER-IP's masquerade rule without `! -s` with masqueradeAll", () => {
  const line = (t: string) =>
    t.split("\n").find((l) => l.includes("--match-set KUBE-CLUSTER-IP dst,dst") && l.includes("KUBE-MARK-MASQ"))!;
  assert.match(line(rules(ipvsMode, false)), /dst,dst ! -s 10\.244\.0\.0\/16 -j KUBE-MARK-MASQ$/);
  assert.match(line(rules(ipvsMode, true)), /dst,dst -j KUBE-MARK-MASQ$/);
});

test("iptables: an empty clusterCIDR (no local detector) writes no cluster-IP masquerade and no pod short-cut", () => {
  const t = rules(iptablesMode, false, "");
  assert.ok(!t.split("\n").some((l) => l.includes(' cluster IP"') && l.includes("KUBE-MARK-MASQ")));
  assert.doesNotMatch(t, /pod traffic for default\/lb external destinations/);
  assert.match(t, /masquerade LOCAL traffic for default\/lb external destinations/);
  // Another range: the rules match it.
  assert.match(
    rules(iptablesMode, false, "10.0.0.0/8"),
    /"default\/dns:dns cluster IP" .* ! -s 10\.0\.0\.0\/8 -j KUBE-MARK-MASQ/,
  );
  assert.match(
    rules(iptablesMode, false, "10.0.0.0/8"),
    /pod traffic for default\/lb external destinations" -s 10\.0\.0\.0\/8 /,
  );
});

test("nftables: an empty clusterCIDR writes no masquerade match on the source and no pod short-circuit", () => {
  const t = rules(nftablesMode, false, "");
  assert.doesNotMatch(t, /ip saddr != [0-9./]+ jump mark-for-masquerade/);
  assert.doesNotMatch(t, /short-circuit pod traffic/);
  assert.match(t, /short-circuit local traffic/);
});

test("ipvs: an empty clusterCIDR masquerades by a Service address as the source (src,dst)", () => {
  const t = rules(ipvsMode, false, "");
  assert.match(t, /--match-set KUBE-CLUSTER-IP src,dst -j KUBE-MARK-MASQ/);
  assert.doesNotMatch(t, /KUBE-CLUSTER-IP dst,dst ! -s/);
});
