// Expected shapes from kubernetes/kubernetes pkg/proxy/nftables/proxier.go,
// written as `nft list ruleset` prints them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { nftablesMode, nftServiceChains, nftEndpointBase } from "./index.js";
import { hashAndTruncate } from "../hash.js";
import { renderNft } from "../../ir/render-nft.js";
import * as T from "../testing.js";
import { proxyLayers } from "../mode.js";
import type { ClusterState } from "../../control/state.js";

function render(state: ClusterState, nodeName = "worker-1"): string {
  const shared = nftablesMode.shared(state);
  const own = nftablesMode.perNode(state, state.nodes.find((n) => n.name === nodeName)!, shared);
  return renderNft(proxyLayers(shared, own).nftables);
}
function chainBody(text: string, name: string): string[] {
  const i = text.indexOf(`\tchain ${name} {\n`);
  if (i < 0) return [];
  const body = text.slice(i).split("\n");
  const end = body.indexOf("\t}");
  return body.slice(1, end).map((l) => l.trim());
}

test("hashAndTruncate matches the reference's check value", () => {
  assert.equal("service-" + hashAndTruncate("default/auth-service/tcp/"), "service-LIBGWTU6-default/auth-service/tcp/");
  const long = hashAndTruncate("x".repeat(300));
  assert.equal(long.length, 240);
  assert.ok(long.endsWith("..."));
});

test("table, base chains and fixed chains", () => {
  const text = render(T.clusterState([], []));
  assert.ok(text.startsWith('table ip kube-proxy {\n\tcomment "rules for kube-proxy"\n'));
  assert.deepEqual(chainBody(text, "filter-prerouting-pre-dnat"), [
    "type filter hook prerouting priority dstnat - 10; policy accept;",
    "ct state new jump firewall-check",
  ]);
  assert.deepEqual(chainBody(text, "nat-prerouting"), [
    "type nat hook prerouting priority dstnat; policy accept;",
    "jump services",
  ]);
  assert.deepEqual(chainBody(text, "nat-postrouting"), [
    "type nat hook postrouting priority srcnat; policy accept;",
    "jump masquerading",
  ]);
  assert.deepEqual(chainBody(text, "filter-input"), [
    "type filter hook input priority filter; policy accept;",
    "ct state new jump nodeport-endpoints-check",
    "ct state new jump service-endpoints-check",
  ]);
  assert.deepEqual(chainBody(text, "masquerading"), [
    "meta mark & 0x00004000 == 0x00000000 return",
    "meta mark set meta mark ^ 0x00004000",
    "masquerade fully-random",
  ]);
  assert.deepEqual(chainBody(text, "mark-for-masquerade"), ["meta mark set meta mark | 0x00004000"]);
  assert.deepEqual(chainBody(text, "services"), [
    "ip daddr . meta l4proto . th dport vmap @service-ips",
    "ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports",
  ]);
  assert.ok(text.includes("\tmap service-ips {\n\t\ttype ipv4_addr . inet_proto . inet_service : verdict\n"));
  // nodePortAddresses "primary", nftables mode's default (kubernetes.io/docs/reference/networking/virtual-ips/,
  // NodePort interfaces): the node's own InternalIP, never its other local addresses.
  const st = T.clusterState([], []);
  const own = st.nodes.find((n) => n.name === "worker-1")!.address;
  assert.ok(
    text.includes(
      `\tset nodeport-ips {\n\t\ttype ipv4_addr\n\t\tcomment "IPs that accept NodePort traffic"\n\t\telements = { ${own} }\n`,
    ),
    text,
  );
});

test("ClusterIP service with 3 endpoints: vmap dispatch, numgen, endpoint chains", () => {
  const st = T.clusterState(
    [T.service("default", "auth-service", "10.96.0.20")],
    [
      T.slice("default", "auth-service", [
        { ip: "10.244.2.7", node: "worker-2" },
        { ip: "10.244.1.5", node: "worker-1" },
        { ip: "10.244.1.10", node: "worker-1" },
      ]),
    ],
  );
  const text = render(st);
  const S = "service-LIBGWTU6-default/auth-service/tcp/";
  const ep = (ip: string) => "endpoint-" + hashAndTruncate(`default/auth-service/tcp/__${ip}/80`);
  assert.ok(text.includes(`10.96.0.20 . tcp . 80 : goto ${S}`));
  assert.deepEqual(chainBody(text, S), [
    "ip daddr 10.96.0.20 tcp dport 80 ip saddr != 10.244.0.0/16 jump mark-for-masquerade",
    `numgen random mod 3 vmap { 0 : goto ${ep("10.244.1.10")}, 1 : goto ${ep("10.244.1.5")}, 2 : goto ${ep("10.244.2.7")} }`,
  ]);
  assert.deepEqual(chainBody(text, ep("10.244.1.5")), [
    "ip saddr 10.244.1.5 jump mark-for-masquerade",
    "meta l4proto tcp dnat to 10.244.1.5:80",
  ]);
});

test("no endpoints: no-endpoint-services element going to reject-chain", () => {
  const st = T.clusterState(
    [T.service("default", "empty", "10.96.0.21", { type: "NodePort", ports: [{ port: 80, nodePort: 30079 }] })],
    [],
  );
  const text = render(st);
  assert.ok(text.includes('10.96.0.21 . tcp . 80 comment "default/empty" : goto reject-chain'));
  assert.ok(text.includes('tcp . 30079 comment "default/empty" : goto reject-chain'));
  // kube-proxy's plain reject, after podnet's NFLOG statement for `podnet observe` (nft's `log` syntax).
  assert.deepEqual(chainBody(text, "reject-chain"), ['log prefix "SERVICE_BACKEND_NOT_FOUND" group 30 reject']);
  // No Local traffic policy: kube-proxy's checks alone, no flow-log set.
  assert.deepEqual(chainBody(text, "service-endpoints-check"), [
    "ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
  ]);
  assert.ok(!text.includes("no-local-endpoint"));
});

test("NodePort and eTP Local: external chain; drop elements where no local endpoint", () => {
  const st = T.clusterState(
    [
      T.service("default", "web", "10.96.0.30", {
        type: "NodePort",
        externalTrafficPolicy: "Local",
        ports: [{ port: 80, nodePort: 30090 }],
      }),
    ],
    [T.slice("default", "web", [{ ip: "10.244.1.20", node: "worker-1" }])],
  );
  const c = nftServiceChains({ svc: st.services[0], port: st.services[0].ports[0], protocol: "tcp" });
  const w1 = render(st, "worker-1");
  assert.ok(w1.includes(`tcp . 30090 : goto ${c.external}`));
  assert.deepEqual(chainBody(w1, c.external), [
    `ip saddr 10.244.0.0/16 goto ${c.service} comment "short-circuit pod traffic"`,
    `fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"`,
    `fib saddr type local goto ${c.service} comment "short-circuit local traffic"`,
    `goto ${c.local}`,
  ]);
  const ep =
    "endpoint-" +
    nftEndpointBase(
      { svc: st.services[0], port: st.services[0].ports[0], protocol: "tcp" },
      { ip: "10.244.1.20", port: 80 },
    );
  assert.deepEqual(chainBody(w1, c.local), [`numgen random mod 1 vmap { 0 : goto ${ep} }`]);
  const w2 = render(st, "worker-2");
  assert.ok(w2.includes('tcp . 30090 comment "default/web" : drop'));
  assert.equal(chainBody(w2, c.external).length, 3);
  assert.deepEqual(chainBody(w2, c.local), []);
  // kube-proxy's `drop` element cannot log: podnet's set holds its key and the rule before
  // the vmap logs it, with iptables mode's "has no local endpoints" reason.
  const check = [
    'ip daddr @nodeport-ips meta l4proto . th dport @no-local-endpoint-nodeports log prefix "SERVICE_BACKEND_NOT_FOUND" group 30',
    "ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports",
  ];
  assert.deepEqual(chainBody(w2, "nodeport-endpoints-check"), check);
  assert.deepEqual(chainBody(w1, "nodeport-endpoints-check"), check);
  const set = (t: string) => setBody(t, "no-local-endpoint-nodeports");
  assert.match(set(w2), /elements = \{ tcp \. 30090 \}/);
  assert.doesNotMatch(set(w1), /elements =/);
});

/** A set's declaration, as `nft list` prints it ("" when absent). */
function setBody(text: string, name: string): string {
  const i = text.indexOf(`\tset ${name} {\n`);
  return i < 0 ? "" : text.slice(i, text.indexOf("\t}", i));
}

test("session affinity: per-endpoint affinity set, check in the service chain, update in the endpoint chain", () => {
  const st = T.clusterState(
    [T.service("default", "aff", "10.96.0.32", { sessionAffinity: "ClientIP" })],
    [T.slice("default", "aff", [{ ip: "10.244.1.5", node: "worker-1" }])],
  );
  const text = render(st);
  const b = hashAndTruncate("default/aff/tcp/__10.244.1.5/80");
  assert.ok(
    text.includes(
      `\tset affinity-${b} {\n\t\ttype ipv4_addr\n\t\tsize 65535\n\t\tflags dynamic,timeout\n\t\ttimeout 3h\n`,
    ),
  );
  const c = nftServiceChains({ svc: st.services[0], port: st.services[0].ports[0], protocol: "tcp" });
  assert.equal(chainBody(text, c.service)[1], `ip saddr @affinity-${b} goto endpoint-${b}`);
  assert.deepEqual(chainBody(text, "endpoint-" + b), [
    "ip saddr 10.244.1.5 jump mark-for-masquerade",
    `update @affinity-${b} { ip saddr }`,
    "meta l4proto tcp dnat to 10.244.1.5:80",
  ]);
});

test("LoadBalancer source ranges: firewall-ips element and firewall chain", () => {
  const st = T.clusterState(
    [
      T.service("default", "fw", "10.96.0.33", {
        type: "LoadBalancer",
        loadBalancerIPs: ["192.168.1.241"],
        loadBalancerSourceRanges: ["203.0.113.0/25"],
        ports: [{ port: 80, nodePort: 30091 }],
      }),
    ],
    [T.slice("default", "fw", [{ ip: "10.244.1.6", node: "worker-1" }])],
  );
  const text = render(st);
  const c = nftServiceChains({ svc: st.services[0], port: st.services[0].ports[0], protocol: "tcp" });
  assert.ok(text.includes(`192.168.1.241 . tcp . 80 comment "default/fw" : goto ${c.firewall}`));
  assert.ok(text.includes(`192.168.1.241 . tcp . 80 : goto ${c.external}`));
  assert.deepEqual(chainBody(text, c.firewall), ["ip saddr != { 203.0.113.0/25 } drop"]);
});
