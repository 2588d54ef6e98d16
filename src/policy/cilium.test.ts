// CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy over the conformance model's pods
// (testing.ts: namespaces x, y, z labelled ns=<name>; pods a, b, c labelled pod=<name>).
// Expectations follow Cilium's policy language documentation
// (https://docs.cilium.io/en/stable/security/policy/language/) and the agent's reading of a
// policy (cilium/cilium pkg/k8s/apis/cilium.io/utils/utils.go, pkg/policy/api).
import { test } from "node:test";
import assert from "node:assert/strict";
import { conformanceState } from "./testing.js";
import { decide, indexPolicies, type Party } from "./engine.js";
import { ipToInt } from "../net/ipv4.js";
import type { CiliumPolicyState, ClusterState } from "../control/state.js";
import type { CiliumRule } from "../manifest/types.js";
import { nodeState } from "../testing/fixtures.js";
import type { Proto } from "./portset.js";

const PODS = ["x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c"];

function cnp(namespace: string, name: string, ...rules: CiliumRule[]): CiliumPolicyState {
  return { kind: "CiliumNetworkPolicy", namespace, name, rules };
}
function ccnp(name: string, ...rules: CiliumRule[]): CiliumPolicyState {
  return { kind: "CiliumClusterwideNetworkPolicy", name, rules };
}

function stateOf(policies: CiliumPolicyState[], cni = "cilium"): ClusterState {
  const st = conformanceState([]);
  st.config = { ...st.config, networking: { ...st.config.networking, cni } } as ClusterState["config"];
  st.ciliumPolicies = policies;
  // The pods run on worker-1 (192.168.1.3); worker-2 is another node.
  st.nodes = [
    nodeState("worker-1", 1, { address: "192.168.1.3" }),
    nodeState("worker-2", 2, { address: "192.168.1.4" }),
  ];
  return st;
}

function allowed(st: ClusterState, from: string | Party, to: string | Party, proto: Proto = "TCP", port = 80): boolean {
  const ix = indexPolicies(st);
  const party = (x: string | Party): Party => {
    if (typeof x !== "string") return x;
    const [ns, name] = x.split("/");
    return { kind: "pod", pod: st.pods.find((p) => p.namespace === ns && p.name === name)! };
  };
  return decide(ix, party(from), party(to), proto, port).allowed;
}

/** Every ordered pair of distinct pods against want(from, to). */
function expectTable(st: ClusterState, want: (f: string, t: string) => boolean, proto: Proto = "TCP", port = 80) {
  const wrong: string[] = [];
  for (const f of PODS)
    for (const t of PODS) {
      if (f === t) continue;
      const got = allowed(st, f, t, proto, port);
      if (got !== want(f, t)) wrong.push(`${f} -> ${t}: got ${got ? "allow" : "deny"}`);
    }
  assert.deepEqual(wrong, []);
}

const ip = (a: string): Party => ({ kind: "ip", ip: ipToInt(a) });

test("fromEndpoints in a CiliumNetworkPolicy selects in the policy's own namespace", () => {
  // "the policy's namespace is implied unless the selector names one" (utils.go getEndpointSelector)
  const st = stateOf([
    cnp("x", "a-from-b", {
      endpointSelector: { matchLabels: { pod: "a" } },
      ingress: [{ fromEndpoints: [{ matchLabels: { "k8s:pod": "b" } }] }],
    }),
  ]);
  expectTable(st, (f, t) => t !== "x/a" || f === "x/b");
});

test("a namespace label in the selector reaches across namespaces", () => {
  const st = stateOf([
    cnp("x", "a-from-y-b", {
      endpointSelector: { matchLabels: { pod: "a" } },
      ingress: [{ fromEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "y", pod: "b" } }] }],
    }),
  ]);
  expectTable(st, (f, t) => t !== "x/a" || f === "y/b");
});

test("a namespace-label selector in a CiliumNetworkPolicy reaches other namespaces", () => {
  // utils.go getEndpointSelector adds the policy's namespace only when the selector has no
  // io.kubernetes.pod.namespace key and no io.cilium.k8s.namespace.labels.* key.
  const st = stateOf([
    cnp("x", "a-from-ns-y", {
      endpointSelector: { matchLabels: { pod: "a" } },
      ingress: [{ fromEndpoints: [{ matchLabels: { "k8s:io.cilium.k8s.namespace.labels.ns": "y" } }] }],
    }),
  ]);
  expectTable(st, (f, t) => t !== "x/a" || f.startsWith("y/"));
});

test("fromEndpoints [{}]: every pod of the namespace; in a clusterwide policy every pod", () => {
  const ns = stateOf([cnp("x", "ns", { endpointSelector: {}, ingress: [{ fromEndpoints: [{}] }] })]);
  expectTable(ns, (f, t) => !t.startsWith("x/") || f.startsWith("x/"));
  const all = stateOf([ccnp("all", { endpointSelector: {}, ingress: [{ fromEndpoints: [{}] }] })]);
  expectTable(all, () => true);
  // ... but no address outside: the clusterwide selector only matches pods (a namespace label exists).
  assert.equal(allowed(all, ip("203.0.113.7"), "x/a"), false);
});

test("the endpointSelector of a CiliumNetworkPolicy selects in its namespace only", () => {
  const st = stateOf([cnp("x", "deny-all", { endpointSelector: {}, ingress: [{}] })]);
  expectTable(st, (_f, t) => !t.startsWith("x/"));
});

test("an empty rule allows nothing but puts the endpoint in default deny (docs: Ingress Default Deny)", () => {
  const st = stateOf([cnp("x", "deny", { endpointSelector: { matchLabels: { pod: "a" } }, egress: [{}] })]);
  expectTable(st, (f) => f !== "x/a");
});

test("toPorts without a peer field allows every peer on those ports, and no other port", () => {
  const st = stateOf([
    cnp("x", "l4", {
      endpointSelector: { matchLabels: { pod: "a" } },
      ingress: [{ toPorts: [{ ports: [{ port: "80", protocol: "TCP" }] }] }],
    }),
  ]);
  expectTable(st, () => true, "TCP", 80);
  expectTable(st, (_f, t) => t !== "x/a", "TCP", 81);
  expectTable(st, (_f, t) => t !== "x/a", "UDP", 80);
  assert.equal(allowed(st, ip("203.0.113.7"), "x/a", "TCP", 80), true);
});

test("protocol ANY (or none) is TCP, UDP and SCTP; port 0 is every port; named ports resolve at the destination", () => {
  const st = stateOf([
    cnp("x", "any", {
      endpointSelector: { matchLabels: { pod: "a" } },
      ingress: [
        { fromEndpoints: [{ matchLabels: { pod: "b" } }], toPorts: [{ ports: [{ port: "81" }] }] },
        { fromEndpoints: [{ matchLabels: { pod: "c" } }], toPorts: [{ ports: [{ port: "0", protocol: "UDP" }] }] },
        {
          fromEndpoints: [{ matchLabels: { pod: "a" } }],
          toPorts: [{ ports: [{ port: "serve-80-sctp", protocol: "SCTP" }] }],
        },
      ],
    }),
  ]);
  for (const proto of ["TCP", "UDP", "SCTP"] as Proto[])
    assert.equal(allowed(st, "x/b", "x/a", proto, 81), true, proto);
  assert.equal(allowed(st, "x/b", "x/a", "TCP", 80), false);
  assert.equal(allowed(st, "x/c", "x/a", "UDP", 4000), true);
  assert.equal(allowed(st, "x/c", "x/a", "TCP", 81), false);
  // x/a to itself goes through the policy too (Cilium enforces loopback through the service).
  assert.equal(allowed(st, "x/a", "x/a", "SCTP", 80), true);
  assert.equal(allowed(st, "x/a", "x/a", "SCTP", 81), false);
});

test("icmps or a toPorts entry without ports allow no TCP/UDP port, even with a peer field", () => {
  // rule.go mergeIngress: the every-port (L3-only) case needs no toPorts and no icmps; a
  // toPorts entry is merged port by port, so without ports it adds nothing.
  for (const extra of [
    { icmps: [{ fields: [{ type: 8 }] }] },
    { toPorts: [{ rules: { http: [{ method: "GET" }] } }] },
  ]) {
    const st = stateOf([
      cnp("x", "a-from-b", {
        endpointSelector: { matchLabels: { pod: "a" } },
        ingress: [{ fromEndpoints: [{ matchLabels: { pod: "b" } }], ...extra }],
      }),
    ]);
    expectTable(st, (_f, t) => t !== "x/a");
    expectTable(st, (_f, t) => t !== "x/a", "UDP", 53);
  }
  // The same in a deny rule denies no TCP/UDP port.
  const st = stateOf([
    cnp("x", "no-icmp-from-b", {
      endpointSelector: { matchLabels: { pod: "a" } },
      enableDefaultDeny: { ingress: false },
      ingressDeny: [{ fromEndpoints: [{ matchLabels: { pod: "b" } }], icmps: [{ fields: [{ type: 8 }] }] }],
    }),
  ]);
  expectTable(st, () => true);
});

test("a named port matches whatever its case (the agent lowers it)", () => {
  // rule_validation.go PortProtocol.sanitize: iana.IsSvcName accepts upper case, then
  // "pp.Port = strings.ToLower(pp.Port) // Normalize for case insensitive comparison".
  const st = stateOf([
    cnp("x", "a-serve-80", {
      endpointSelector: { matchLabels: { pod: "a" } },
      ingress: [{ toPorts: [{ ports: [{ port: "SERVE-80-TCP", protocol: "TCP" }] }] }],
    }),
  ]);
  expectTable(st, () => true);
  expectTable(st, (_f, t) => t !== "x/a", "TCP", 81);
});

test("a policy with a rule the agent refuses has no effect at all", () => {
  // rule_validation.go Sanitize refuses the rule, and cnp_types.go Parse the whole policy.
  const isolateA = { endpointSelector: { matchLabels: { pod: "a" } }, ingress: [{}] };
  for (const bad of [
    { endpointSelector: {}, nodeSelector: {}, ingress: [{}] },
    {
      endpointSelector: { matchLabels: { pod: "b" } },
      ingress: [{ fromEndpoints: [{}], icmps: [{ fields: [{ type: 8 }] }], toPorts: [{ ports: [{ port: "80" }] }] }],
    },
  ]) {
    const st = stateOf([{ kind: "CiliumNetworkPolicy", namespace: "x", name: "bad", rules: [isolateA, bad] }]);
    expectTable(st, () => true);
  }
});

test("enableDefaultDeny false: the policy adds allows without isolating", () => {
  const st = stateOf([
    cnp("x", "soft", {
      endpointSelector: { matchLabels: { pod: "a" } },
      enableDefaultDeny: { ingress: false },
      ingress: [{ fromEndpoints: [{ matchLabels: { pod: "b" } }] }],
    }),
  ]);
  expectTable(st, () => true);
});

test("a deny rule wins over any allow (docs: Deny Policies)", () => {
  // The docs' lockdown: deny from one peer, allow from all, so that the deny alone does not
  // put the endpoints in default deny.
  const st = stateOf([
    cnp("x", "lockdown", {
      endpointSelector: { matchLabels: { pod: "a" } },
      ingressDeny: [{ fromEndpoints: [{ matchLabels: { pod: "b" } }] }],
      ingress: [{ fromEntities: ["all"] }],
    }),
  ]);
  expectTable(st, (f, t) => !(t === "x/a" && f === "x/b"));
  const ix = indexPolicies(st);
  const b = st.pods.find((p) => p.namespace === "x" && p.name === "b")!;
  const a = st.pods.find((p) => p.namespace === "x" && p.name === "a")!;
  const d = decide(ix, { kind: "pod", pod: b }, { kind: "pod", pod: a }, "TCP", 80);
  assert.equal(d.ingressDeny?.policy, "x/lockdown");
  assert.equal(d.ingressDeny?.rule, 0);
});

test("a deny section alone isolates: what it does not deny is not allowed either", () => {
  const st = stateOf([
    cnp("x", "deny-b", {
      endpointSelector: { matchLabels: { pod: "a" } },
      ingressDeny: [{ fromEndpoints: [{ matchLabels: { pod: "b" } }] }],
    }),
  ]);
  expectTable(st, (_f, t) => t !== "x/a");
  // With enableDefaultDeny false only the denied peer is kept out.
  const soft = stateOf([
    cnp("x", "deny-b", {
      endpointSelector: { matchLabels: { pod: "a" } },
      enableDefaultDeny: { ingress: false },
      ingressDeny: [{ fromEndpoints: [{ matchLabels: { pod: "b" } }], toPorts: [{ ports: [{ port: "80" }] }] }],
    }),
  ]);
  expectTable(soft, (f, t) => !(t === "x/a" && f === "x/b"));
  expectTable(soft, () => true, "TCP", 81);
});

test("entities: world, cluster, host and remote-node", () => {
  const pol = (ents: string[]) =>
    stateOf([cnp("x", "e", { endpointSelector: { matchLabels: { pod: "a" } }, ingress: [{ fromEntities: ents }] })]);
  const world = pol(["world"]);
  assert.equal(allowed(world, ip("203.0.113.7"), "x/a"), true);
  assert.equal(allowed(world, "y/b", "x/a"), false);
  assert.equal(allowed(world, ip("192.168.1.4"), "x/a"), false); // a node is no world
  const cluster = pol(["cluster"]);
  assert.equal(allowed(cluster, "y/b", "x/a"), true);
  assert.equal(allowed(cluster, ip("192.168.1.4"), "x/a"), true);
  assert.equal(allowed(cluster, ip("203.0.113.7"), "x/a"), false);
  const remote = pol(["remote-node"]);
  assert.equal(allowed(remote, ip("192.168.1.4"), "x/a"), true);
  assert.equal(allowed(remote, "y/b", "x/a"), false);
  // x/a's own node reaches it anyway (allow-localhost); a remote node needs remote-node.
  const host = pol(["host"]);
  assert.equal(allowed(host, ip("192.168.1.4"), "x/a"), false);
  assert.equal(allowed(host, ip("192.168.1.3"), "x/a"), true);
});

test("CIDR rules select addresses outside the cluster, never pods or nodes", () => {
  const st = stateOf([
    cnp("x", "cidr", {
      endpointSelector: { matchLabels: { pod: "a" } },
      egress: [
        { toCIDR: ["10.244.0.0/16"] },
        {
          toCIDRSet: [{ cidr: "203.0.113.0/24", except: ["203.0.113.128/25"] }],
          toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }],
        },
      ],
    }),
  ]);
  assert.equal(allowed(st, "x/a", "y/b"), false); // 10.244.1.x is a pod: its identity, not the CIDR
  assert.equal(allowed(st, "x/a", ip("203.0.113.7"), "TCP", 443), true);
  assert.equal(allowed(st, "x/a", ip("203.0.113.200"), "TCP", 443), false);
  assert.equal(allowed(st, "x/a", ip("203.0.113.7"), "TCP", 80), false);
});

test("a clusterwide policy selects across namespaces, by namespace labels too", () => {
  const st = stateOf([
    ccnp("from-y", {
      endpointSelector: { matchLabels: { pod: "a" } },
      ingress: [{ fromEndpoints: [{ matchLabels: { "k8s:io.cilium.k8s.namespace.labels.ns": "y" } }] }],
    }),
  ]);
  expectTable(st, (f, t) => !t.endsWith("/a") || f.startsWith("y/"));
});

test("specs: every rule of the list applies", () => {
  const st = stateOf([
    cnp(
      "x",
      "two",
      {
        endpointSelector: { matchLabels: { pod: "a" } },
        ingress: [{ fromEndpoints: [{ matchLabels: { pod: "b" } }] }],
      },
      {
        endpointSelector: { matchLabels: { pod: "a" } },
        ingress: [{ fromEndpoints: [{ matchLabels: { pod: "c" } }] }],
      },
    ),
  ]);
  expectTable(st, (f, t) => t !== "x/a" || f === "x/b" || f === "x/c");
});

test("Cilium policies and NetworkPolicies add up", () => {
  const st = stateOf([
    cnp("x", "from-b", {
      endpointSelector: { matchLabels: { pod: "a" } },
      ingress: [{ fromEndpoints: [{ matchLabels: { pod: "b" } }] }],
    }),
  ]);
  st.networkPolicies = [
    {
      namespace: "x",
      name: "from-c",
      spec: {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{ from: [{ podSelector: { matchLabels: { pod: "c" } } }] }],
      },
    },
  ];
  expectTable(st, (f, t) => t !== "x/a" || f === "x/b" || f === "x/c");
});

test("without Cilium as the CNI its policies are not enforced", () => {
  const st = stateOf([cnp("x", "deny-all", { endpointSelector: {}, ingress: [{}] })], "calico");
  expectTable(st, () => true);
});

test("odd rules compile without throwing, and a `__proto__` label is one no pod has", () => {
  const odd = [
    {
      endpointSelector: { matchLabels: JSON.parse('{"__proto__": "x"}') },
      ingress: [null, { fromEndpoints: [null, {}], toPorts: [{ ports: null }, null, { ports: [null, { port: "" }] }] }],
      egress: [{ toCIDRSet: [null, { cidr: "10.0.0.0/8", except: null }], toEntities: null }],
      ingressDeny: "x",
    },
    { endpointSelector: null, ingress: [{}] },
  ] as unknown as CiliumRule[];
  const st = stateOf([cnp("x", "odd", ...odd)]);
  // The rule's selector requires a `__proto__` label: it selects no pod, so nothing is isolated.
  expectTable(st, () => true);
});

test("labels Cilium leaves out of identities select nothing (the default label filter)", () => {
  // https://docs.cilium.io/en/stable/operations/performance/scalability/identity-relevant-labels/
  const st = stateOf([
    cnp("x", "by-hash", {
      endpointSelector: { matchLabels: { pod: "a" } },
      ingress: [{ fromEndpoints: [{ matchLabels: { "pod-template-hash": "abc" } }] }],
    }),
  ]);
  for (const p of st.pods) p.labels = { ...p.labels, "pod-template-hash": "abc", "app.kubernetes.io/name": p.name };
  expectTable(st, (_f, t) => t !== "x/a");
  const byApp = stateOf([
    cnp("x", "by-app", {
      endpointSelector: { matchLabels: { pod: "a" } },
      ingress: [{ fromEndpoints: [{ matchLabels: { "app.kubernetes.io/name": "b" } }] }],
    }),
  ]);
  for (const p of byApp.pods) p.labels = { ...p.labels, "app.kubernetes.io/name": p.name };
  expectTable(byApp, (f, t) => t !== "x/a" || f === "x/b");
});

test("two kinds of peer in one rule: the agent refuses the policy, so it has no effect", () => {
  // rule_validation.go: "combining FromEndpoints and FromCIDR is not supported yet".
  const st = stateOf([
    cnp("x", "both", {
      endpointSelector: { matchLabels: { pod: "a" } },
      ingress: [{ fromEndpoints: [{ matchLabels: { pod: "b" } }], fromCIDR: ["203.0.113.0/24"] }],
    }),
  ]);
  expectTable(st, () => true);
});

test("toFQDNs allows the names' addresses, only to pods whose lookups Cilium's DNS proxy sees", () => {
  const dnsRule = {
    toEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "kube-system" } }],
    toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchPattern: "*" }] } }],
  };
  const fqdn = {
    toFQDNs: [{ matchName: "api.example.com" }],
    toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }],
  };
  const withDns = stateOf([
    cnp("x", "fq", { endpointSelector: { matchLabels: { pod: "a" } }, egress: [dnsRule, fqdn] }),
  ]);
  withDns.config = {
    ...withDns.config,
    externalDNS: [
      { name: "api.example.com", type: "A", value: "203.0.113.10" },
      { name: "other.example.com", type: "A", value: "203.0.113.11" },
    ],
  } as ClusterState["config"];
  assert.equal(allowed(withDns, "x/a", ip("203.0.113.10"), "TCP", 443), true);
  assert.equal(allowed(withDns, "x/a", ip("203.0.113.10"), "TCP", 80), false);
  assert.equal(allowed(withDns, "x/a", ip("203.0.113.11"), "TCP", 443), false);
  // Without a DNS rule the proxy learns nothing: the FQDN rule allows no address.
  const noDns = stateOf([cnp("x", "fq", { endpointSelector: { matchLabels: { pod: "a" } }, egress: [fqdn] })]);
  noDns.config = withDns.config;
  assert.equal(allowed(noDns, "x/a", ip("203.0.113.10"), "TCP", 443), false);
});

test("the agent's refusals around toFQDNs and DNS rules: such a policy has no effect", () => {
  const dnsRule = {
    toEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "kube-system" } }],
    toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchPattern: "*" }] } }],
  };
  const ext = [{ name: "api.example.com", type: "A", value: "203.0.113.10" }];
  const withExt = (st: ClusterState) => {
    st.config = { ...st.config, externalDNS: ext } as ClusterState["config"];
    return st;
  };
  // fqdn.go FQDNSelector sanitize: "only one of MatchName or MatchPattern is allowed".
  const both = withExt(
    stateOf([
      cnp("x", "both", {
        endpointSelector: { matchLabels: { pod: "a" } },
        egress: [dnsRule, { toFQDNs: [{ matchName: "api.example.com", matchPattern: "*" }] }],
      }),
    ]),
  );
  assert.equal(allowed(both, "x/a", ip("203.0.113.10")), true); // no policy: default allow
  assert.equal(allowed(both, "x/a", ip("198.51.100.1")), true);
  // IngressRule sanitize: "L7 protocol DNS is not supported on ingress yet".
  const dnsIn = stateOf([
    cnp("x", "dns-in", {
      endpointSelector: { matchLabels: { pod: "a" } },
      ingress: [{ fromEndpoints: [{ matchLabels: { pod: "b" } }], toPorts: dnsRule.toPorts }],
    }),
  ]);
  expectTable(dnsIn, () => true);
});

test("egressDeny has no toFQDNs (deny policies do not support it): the field is dropped", () => {
  const st = stateOf([
    cnp("x", "deny", {
      endpointSelector: { matchLabels: { pod: "a" } },
      egress: [
        {
          toEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "kube-system" } }],
          toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchPattern: "*" }] } }],
        },
        { toEntities: ["world"] },
      ],
      egressDeny: [{ toFQDNs: [{ matchName: "api.example.com" }] }],
    }),
  ]);
  st.config = {
    ...st.config,
    externalDNS: [{ name: "api.example.com", type: "A", value: "203.0.113.10" }],
  } as ClusterState["config"];
  // The deny rule is `{}` once the API server drops the field: it denies nothing.
  assert.equal(allowed(st, "x/a", ip("203.0.113.10")), true);
});

test("a namespace relabelled between two states: the pods it keeps are judged by its new labels", () => {
  // States share unchanged pods; their Cilium labels hold their namespace's labels.
  const pol = ccnp("from-team", {
    endpointSelector: { matchLabels: { pod: "a" } },
    ingress: [{ fromEndpoints: [{ matchLabels: { "k8s:io.cilium.k8s.namespace.labels.team": "blue" } }] }],
  });
  const before = stateOf([pol]);
  before.namespaces = before.namespaces.map((n) =>
    n.name === "y" ? { ...n, labels: { ...n.labels, team: "blue" } } : n,
  );
  assert.equal(allowed(before, "y/b", "x/a"), true);
  const after = {
    ...before,
    namespaces: before.namespaces.map((n) => (n.name === "y" ? { ...n, labels: { ns: "y" } } : n)),
  };
  assert.equal(allowed(after, "y/b", "x/a"), false);
});
