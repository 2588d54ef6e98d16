import { test } from "node:test";
import assert from "node:assert/strict";
import { conformanceState } from "./testing.js";
import { compilePolicies, NFT_NAME_MAX, POLICY_TABLE, policyChainName } from "./compile.js";

function stateWithNode(policies: Parameters<typeof conformanceState>[0]) {
  const st = conformanceState(policies);
  st.nodes = [
    {
      name: "worker-1",
      role: "worker",
      labels: {},
      taints: [],
      address: "192.168.1.3",
      podCIDR: "10.244.1.0/24",
      blocks: [],
      maxPods: 110,
      index: 0,
    },
  ];
  return st;
}

test("no policies: no policy table at all", () => {
  assert.equal(compilePolicies(stateWithNode([])).size, 0);
});

test("default-deny ingress: every pod of x is in the ingress map and its chain ends in a commented drop", () => {
  const layers = compilePolicies(
    stateWithNode([{ namespace: "x", name: "deny", spec: { podSelector: {}, policyTypes: ["Ingress"] } }]),
  );
  const t = layers.get("worker-1")!.tables[0];
  assert.equal(t.family, "inet");
  assert.equal(t.name, POLICY_TABLE);
  assert.deepEqual(t.sets["ingress-pods"].elem.map((e) => e.key).sort(), ["10.244.1.10", "10.244.1.11", "10.244.1.12"]);
  assert.equal(t.sets["egress-pods"], undefined);
  const chain = t.chains["ingress-x/a"];
  const last = chain.rules[chain.rules.length - 1];
  // NFLOG first (non-terminal, nft_log), naming the side and the policy for `podnet observe`.
  assert.deepEqual(last.expr, [{ log: { prefix: "POLICY_DENIED ingress x/deny", group: 30 } }, { drop: null }]);
  assert.equal(last.comment, "isolated by x/deny; no rule allowed it");
  // The node's own traffic is allowed first (kubelet probes).
  assert.equal(chain.rules[0].comment, "traffic from the pod's own node is allowed");
  // Tags for the interpreter: what the table, the chain and its final drop stand for.
  assert.equal(t.role, "policy");
  assert.deepEqual(t.policyMaps, { ingress: "ingress-pods", egress: "egress-pods" });
  assert.deepEqual(last.drop, { reason: "POLICY_DENIED" });
  assert.deepEqual(chain.isolates, { side: "ingress", pod: "x/a", by: "x/deny", firstRule: 1 });
  // The forward hook accepts replies first: policies are stateful.
  assert.equal(t.chains.forward.hook, "forward");
  assert.deepEqual(t.chains.forward.rules[0].expr[0], {
    match: { op: "in", left: { ct: { key: "state" } }, right: ["established", "related"] },
  });
});

test("rules carry the policy and rule index; named ports are resolved to numbers", () => {
  const layers = compilePolicies(
    stateWithNode([
      {
        namespace: "x",
        name: "allow-b",
        spec: {
          podSelector: { matchLabels: { pod: "a" } },
          ingress: [
            {
              from: [{ podSelector: { matchLabels: { pod: "b" } } }],
              ports: [{ port: "serve-81-udp", protocol: "UDP" }],
            },
          ],
        },
      },
    ]),
  );
  const chain = layers.get("worker-1")!.tables[0].chains["ingress-x/a"];
  const r = chain.rules.find((x) => x.comment === "x/allow-b ingress rule 0")!;
  assert.deepEqual(r.expr, [
    { match: { op: "==", left: { payload: { protocol: "ip", field: "saddr" } }, right: { set: ["10.244.1.11"] } } },
    { match: { op: "==", left: { meta: { key: "l4proto" } }, right: "udp" } },
    { match: { op: "==", left: { payload: { protocol: "th", field: "dport" } }, right: { set: [81] } } },
    { return: null },
  ]);
});

test("ipBlock except becomes ranges around the hole", () => {
  const layers = compilePolicies(
    stateWithNode([
      {
        namespace: "x",
        name: "ipb",
        spec: {
          podSelector: { matchLabels: { pod: "a" } },
          ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.244.0.0/16"] } }] }],
        },
      },
    ]),
  );
  const chain = layers.get("worker-1")!.tables[0].chains["ingress-x/a"];
  const r = chain.rules.find((x) => x.comment === "x/ipb ingress rule 0")!;
  assert.deepEqual((r.expr[0] as any).match.right.set, [
    { range: ["10.0.0.0", "10.243.255.255"] },
    { range: ["10.245.0.0", "10.255.255.255"] },
  ]);
});

// Kubernetes: a pod name is a DNS-1123 subdomain (<= 253 characters), a namespace a DNS-1123
// label (<= 63) (pkg/apis/core/validation ValidatePodName, ValidateNamespaceName); nftables
// names are <= 255 bytes (NFT_CHAIN_MAXNAMELEN 256 with the NUL, include/uapi/linux/netfilter/nf_tables.h).
test("policy chain names fit nftables at the longest valid names; names that fit are unchanged", () => {
  assert.equal(policyChainName("ingress", "default", "web-0"), "ingress-default/web-0");
  const ns = "n".repeat(63);
  const a = policyChainName("ingress", ns, `${"p".repeat(252)}a`);
  const b = policyChainName("ingress", ns, `${"p".repeat(252)}b`);
  const e = policyChainName("egress", ns, `${"p".repeat(252)}a`);
  for (const n of [a, b, e]) {
    assert.ok(n.length <= NFT_NAME_MAX, `${n.length}`);
    assert.match(n, /^(ingress|egress)-[A-Z2-7]{8}-n+\/p+\.\.\.$/);
  }
  assert.notEqual(a, b, "the hash keeps names that differ only at the end apart");
  const edge = `${"q".repeat(255 - "ingress-default/".length)}`;
  assert.equal(policyChainName("ingress", "default", edge).length, 255, "255 bytes still fit");
  assert.equal(policyChainName("ingress", "default", edge), `ingress-default/${edge}`);
  assert.notEqual(policyChainName("ingress", "default", `${edge}x`), `ingress-default/${edge}x`);
});

test("a rule's peers: the pods of the namespaces it can match, in the cluster's pod order", () => {
  // The pods listed with their namespaces interleaved (z/a, x/a, y/a, z/b …): the addresses
  // follow that order, not the namespaces' and not the selector's.
  const st = stateWithNode([
    {
      namespace: "x",
      name: "from-z-y",
      spec: {
        podSelector: { matchLabels: { pod: "a" } },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [{ namespaceSelector: { matchExpressions: [{ key: "ns", operator: "In", values: ["z", "y"] }] } }],
          },
          {
            from: [
              { podSelector: { matchLabels: { pod: "c" } } },
              { namespaceSelector: { matchLabels: { ns: "z" } }, podSelector: { matchLabels: { pod: "a" } } },
            ],
          },
        ],
      },
    },
  ]);
  const at = (ns: string, name: string) => st.pods.find((q) => q.namespace === ns && q.name === name)!;
  st.pods = ["a", "b", "c"].flatMap((name) => ["z", "x", "y"].map((ns) => at(ns, name)));
  const chain = compilePolicies(st).get("worker-1")!.tables[0].chains["ingress-x/a"];
  // The source-address set of each allowing rule.
  const sets = chain.rules.flatMap((r) =>
    r.expr.flatMap((e) => {
      const m = (e as { match?: { left: unknown; right: unknown } }).match;
      const right = m?.right as { set?: string[] } | undefined;
      return m && JSON.stringify(m.left).includes("saddr") && right?.set ? [right.set] : [];
    }),
  );
  assert.deepEqual(sets, [
    ["10.244.1.16", "10.244.1.13", "10.244.1.17", "10.244.1.14", "10.244.1.18", "10.244.1.15"],
    ["10.244.1.16", "10.244.1.12"],
  ]);
});
