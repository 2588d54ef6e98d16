// The upstream conformance model's classic cases, as truth tables of from-pod × to-pod.
// Expectations follow the NetworkPolicy API semantics (kubernetes.io network-policies docs), the
// way test/e2e/network/netpol writes them (self-traffic is ignored, as upstream does).
import { test } from "node:test";
import assert from "node:assert/strict";
import { conformanceState } from "./testing.js";
import { decide, indexPolicies, nearMisses, rulePorts, type Party } from "./engine.js";
import { ipToInt } from "../net/ipv4.js";
import type { NetworkPolicySpec } from "../manifest/types.js";
import { emptySet, single, union, type Proto } from "./portset.js";

type Pol = { namespace: string; name: string; spec: NetworkPolicySpec };
const PODS = ["x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c"];

function table(policies: Pol[], proto: Proto, port: number, ipBlockMatchesPods = true): Map<string, boolean> {
  const st = conformanceState(policies, ipBlockMatchesPods);
  const ix = indexPolicies(st);
  const byName = new Map(st.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  const out = new Map<string, boolean>();
  for (const f of PODS)
    for (const t of PODS) {
      if (f === t) continue;
      const d = decide(ix, { kind: "pod", pod: byName.get(f)! }, { kind: "pod", pod: byName.get(t)! }, proto, port);
      out.set(`${f}>${t}`, d.allowed);
    }
  return out;
}

function expectTable(
  policies: Pol[],
  proto: Proto,
  port: number,
  want: (from: string, to: string) => boolean,
  ipBlockMatchesPods = true,
) {
  const got = table(policies, proto, port, ipBlockMatchesPods);
  const wrong: string[] = [];
  for (const [k, v] of got) {
    const [f, t] = k.split(">");
    if (want(f, t) !== v)
      wrong.push(`${f} -> ${t}: got ${v ? "allow" : "deny"}, want ${want(f, t) ? "allow" : "deny"}`);
  }
  assert.deepEqual(wrong, [], `${proto}/${port}`);
}

const ns = (p: string) => p.split("/")[0];
const pod = (p: string) => p.split("/")[1];

test("no policies: every pod reaches every pod", () => {
  for (const proto of ["TCP", "UDP", "SCTP"] as Proto[]) expectTable([], proto, 80, () => true);
});

test("default-deny ingress isolates the namespace's pods for ingress only", () => {
  const p: Pol = { namespace: "x", name: "deny-all", spec: { podSelector: {}, policyTypes: ["Ingress"] } };
  for (const proto of ["TCP", "UDP", "SCTP"] as Proto[]) expectTable([p], proto, 80, (_f, t) => ns(t) !== "x");
});

test("policyTypes defaults to Ingress: an empty spec denies ingress, not egress", () => {
  const p: Pol = { namespace: "x", name: "deny-all", spec: { podSelector: {} } };
  expectTable([p], "TCP", 80, (_f, t) => ns(t) !== "x");
});

test("default-deny egress isolates the namespace's pods for egress", () => {
  const p: Pol = { namespace: "x", name: "deny-egress", spec: { podSelector: {}, policyTypes: ["Egress"] } };
  expectTable([p], "TCP", 80, (f) => ns(f) !== "x");
});

test("egress section without policyTypes implies Egress (and Ingress)", () => {
  const p: Pol = {
    namespace: "x",
    name: "p",
    spec: {
      podSelector: { matchLabels: { pod: "a" } },
      egress: [{ to: [{ podSelector: { matchLabels: { pod: "b" } } }] }],
    },
  };
  // x/a: ingress isolated with no rules (deny all in), egress only to x/b.
  expectTable([p], "TCP", 80, (f, t) => t !== "x/a" && (f !== "x/a" || t === "x/b"));
});

test("allow from the same namespace", () => {
  const p: Pol = {
    namespace: "x",
    name: "allow-same-ns",
    spec: { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] },
  };
  expectTable([p], "TCP", 80, (f, t) => ns(t) !== "x" || ns(f) === "x");
});

test("allow from another namespace by label", () => {
  const p: Pol = {
    namespace: "x",
    name: "allow-ns-y",
    spec: {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }] }],
    },
  };
  expectTable([p], "TCP", 80, (f, t) => t !== "x/a" || ns(f) === "y");
});

test("namespace and pod selector in one peer is an AND; in two peers an OR", () => {
  const and: Pol = {
    namespace: "x",
    name: "and",
    spec: {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [
        { from: [{ namespaceSelector: { matchLabels: { ns: "y" } }, podSelector: { matchLabels: { pod: "b" } } }] },
      ],
    },
  };
  expectTable([and], "TCP", 80, (f, t) => t !== "x/a" || f === "y/b");
  const or: Pol = {
    namespace: "x",
    name: "or",
    spec: {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [
        { from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }, { podSelector: { matchLabels: { pod: "b" } } }] },
      ],
    },
  };
  expectTable([or], "TCP", 80, (f, t) => t !== "x/a" || ns(f) === "y" || f === "x/b");
});

test("matchExpressions: NotIn and DoesNotExist", () => {
  const p: Pol = {
    namespace: "x",
    name: "p",
    spec: {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [
        { from: [{ namespaceSelector: { matchExpressions: [{ key: "ns", operator: "NotIn", values: ["y"] }] } }] },
      ],
    },
  };
  expectTable([p], "TCP", 80, (f, t) => t !== "x/a" || ns(f) !== "y");
  const q: Pol = {
    namespace: "x",
    name: "q",
    spec: { podSelector: { matchExpressions: [{ key: "pod", operator: "DoesNotExist" }] }, policyTypes: ["Ingress"] },
  };
  expectTable([q], "TCP", 80, () => true); // selects no pod: nothing isolated
});

test("named port: only the named port's number and protocol are allowed", () => {
  const p: Pol = {
    namespace: "x",
    name: "named",
    spec: {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [{ ports: [{ port: "serve-80-tcp", protocol: "TCP" }] }],
    },
  };
  expectTable([p], "TCP", 80, () => true);
  expectTable([p], "TCP", 81, (_f, t) => t !== "x/a");
  expectTable([p], "UDP", 80, (_f, t) => t !== "x/a");
  // A name no container has (or the name with the wrong protocol) matches nothing.
  const bad: Pol = {
    namespace: "x",
    name: "bad",
    spec: {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [{ ports: [{ port: "serve-80-udp", protocol: "TCP" }] }],
    },
  };
  expectTable([bad], "TCP", 80, (_f, t) => t !== "x/a");
});

test("egress named ports resolve against the destination pod", () => {
  const p: Pol = {
    namespace: "x",
    name: "egress-named",
    spec: {
      podSelector: { matchLabels: { pod: "a" } },
      policyTypes: ["Egress"],
      egress: [{ ports: [{ port: "serve-81-tcp" }] }],
    },
  };
  expectTable([p], "TCP", 81, () => true);
  expectTable([p], "TCP", 80, (f) => f !== "x/a");
});

test("endPort allows the whole range port..endPort", () => {
  const p: Pol = {
    namespace: "x",
    name: "range",
    spec: { podSelector: {}, ingress: [{ ports: [{ protocol: "TCP", port: 80, endPort: 81 }] }] },
  };
  expectTable([p], "TCP", 80, () => true);
  expectTable([p], "TCP", 81, () => true);
  expectTable([p], "TCP", 82, (_f, t) => ns(t) !== "x");
  expectTable([p], "UDP", 80, (_f, t) => ns(t) !== "x");
});

test("ipBlock with except (ipBlocks match pod IPs, as in Calico)", () => {
  // Pod IPs 10.244.1.10 .. 10.244.1.18 in order x/a..z/c; allow 10.244.1.0/24 except y/b (10.244.1.14/32).
  const p: Pol = {
    namespace: "x",
    name: "ipblock",
    spec: {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [{ from: [{ ipBlock: { cidr: "10.244.1.0/24", except: ["10.244.1.14/32"] } }] }],
    },
  };
  expectTable([p], "TCP", 80, (f, t) => t !== "x/a" || f !== "y/b");
  // Where ipBlocks don't match pods, nothing in-cluster is allowed to x/a.
  expectTable([p], "TCP", 80, (_f, t) => t !== "x/a", false);
});

test("egress to DNS only: UDP and TCP 53 to anywhere, nothing else", () => {
  const p: Pol = {
    namespace: "x",
    name: "dns-only",
    spec: {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ],
    },
  };
  expectTable([p], "UDP", 53, () => true);
  expectTable([p], "TCP", 53, () => true);
  expectTable([p], "TCP", 80, (f) => ns(f) !== "x");
});

test("policies on both ends: egress and ingress must both allow", () => {
  const eg: Pol = {
    namespace: "x",
    name: "a-to-b",
    spec: {
      podSelector: { matchLabels: { pod: "a" } },
      policyTypes: ["Egress"],
      egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { pod: "b" } } }] }],
    },
  };
  const ing: Pol = {
    namespace: "y",
    name: "b-from-x",
    spec: {
      podSelector: { matchLabels: { pod: "b" } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "x" } } }] }],
    },
  };
  expectTable([eg, ing], "TCP", 80, (f, t) => {
    if (f === "x/a" && pod(t) !== "b") return false; // x/a may only send to b pods
    if (t === "y/b" && ns(f) !== "x") return false; // y/b only accepts from x
    return true;
  });
});

test("policies are additive: the union of rules", () => {
  const p1: Pol = {
    namespace: "x",
    name: "p1",
    spec: {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }] }],
    },
  };
  const p2: Pol = {
    namespace: "x",
    name: "p2",
    spec: {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [{ from: [{ podSelector: { matchLabels: { pod: "c" } } }] }],
    },
  };
  expectTable([p1, p2], "TCP", 80, (f, t) => t !== "x/a" || f === "x/b" || f === "x/c");
});

test("ingress: [{}] allows everything; ingress: [] denies everything", () => {
  const allowAll: Pol = { namespace: "x", name: "allow", spec: { podSelector: {}, ingress: [{}] } };
  expectTable([allowAll], "TCP", 80, () => true);
  const denyAll: Pol = { namespace: "x", name: "deny", spec: { podSelector: {}, ingress: [] } };
  expectTable([denyAll], "TCP", 80, (_f, t) => ns(t) !== "x");
});

test("traffic from the pod's own node is allowed even when isolated", () => {
  const st = conformanceState([{ namespace: "x", name: "deny", spec: { podSelector: {}, policyTypes: ["Ingress"] } }]);
  const ix = indexPolicies(st);
  const xa = st.pods.find((p) => p.namespace === "x" && p.name === "a")!;
  const node: Party = { kind: "ip", ip: ipToInt(xa.hostIP!) };
  assert.equal(decide(ix, node, { kind: "pod", pod: xa }, "TCP", 80).allowed, true);
  const other: Party = { kind: "ip", ip: ipToInt("192.168.1.99") };
  assert.equal(decide(ix, other, { kind: "pod", pod: xa }, "TCP", 80).allowed, false);
});

test("the decision names the policy and rule index that allowed it", () => {
  const p: Pol = {
    namespace: "x",
    name: "allow-b",
    spec: {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [
        { from: [{ podSelector: { matchLabels: { pod: "c" } } }] },
        { from: [{ podSelector: { matchLabels: { pod: "b" } } }] },
      ],
    },
  };
  const st = conformanceState([p]);
  const ix = indexPolicies(st);
  const get = (n: string) => st.pods.find((q) => `${q.namespace}/${q.name}` === n)!;
  const d = decide(ix, { kind: "pod", pod: get("x/b") }, { kind: "pod", pod: get("x/a") }, "TCP", 80);
  assert.equal(d.allowed, true);
  assert.equal(d.ingressRule?.policy, "x/allow-b");
  assert.equal(d.ingressRule?.rule, 1);
  const denied = decide(ix, { kind: "pod", pod: get("y/b") }, { kind: "pod", pod: get("x/a") }, "TCP", 80);
  assert.equal(denied.allowed, false);
  assert.deepEqual(denied.ingress.selecting, ["x/allow-b"]);
});

test("hostNetwork pods cannot be selected by policies", () => {
  const st = conformanceState([
    { namespace: "x", name: "deny", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
  ]);
  const xa = st.pods.find((p) => p.namespace === "x" && p.name === "a")!;
  xa.spec.hostNetwork = true;
  const ix = indexPolicies(st);
  const yb = st.pods.find((p) => p.namespace === "y" && p.name === "b")!;
  assert.equal(decide(ix, { kind: "pod", pod: yb }, { kind: "pod", pod: xa }, "TCP", 80).allowed, true);
  assert.equal(decide(ix, { kind: "pod", pod: xa }, { kind: "pod", pod: yb }, "TCP", 80).allowed, true);
});

test("rulePorts: a rule's ports and ranges merged as one set, the same as entry-by-entry union", () => {
  // A rule of 5,000 port/endPort entries (the spec sets no limit) in any order and overlap.
  let seed = 7;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const protos = ["TCP", "UDP", "SCTP"] as const;
  const ports = Array.from({ length: 5000 }, () => {
    const port = 1 + rnd(65000);
    return { protocol: protos[rnd(3)], port, ...(rnd(2) ? { endPort: port + rnd(300) } : {}) };
  });
  let want = emptySet();
  for (const p of ports) want = union(want, single(p.protocol, p.port, p.endPort ?? p.port));
  assert.deepEqual(rulePorts(ports, { kind: "ip", ip: 0xcb007101 }), want);
  assert.deepEqual(rulePorts([{ protocol: "TCP" }], { kind: "ip", ip: 0xcb007101 }), single("TCP"));
});

test("nearMisses: the rules that miss a denied connection by their peer alone or their ports alone", () => {
  // x/a egress: port 53 to pods labelled pod=b, with no namespaceSelector (so only x's pods,
  // https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors);
  // the same peers in y with the wrong label; TCP 53 only to y's pods; and a rule missing on both.
  const p: Pol = {
    namespace: "x",
    name: "dns",
    spec: {
      podSelector: { matchLabels: { pod: "a" } },
      policyTypes: ["Egress"],
      egress: [
        { to: [{ podSelector: { matchLabels: { pod: "b" } } }], ports: [{ protocol: "UDP", port: 53 }] },
        {
          to: [{ namespaceSelector: { matchLabels: { ns: "y" } }, podSelector: { matchLabels: { pod: "c" } } }],
          ports: [{ protocol: "UDP", port: 53 }],
        },
        { to: [{ namespaceSelector: { matchLabels: { ns: "y" } } }], ports: [{ protocol: "TCP", port: 53 }] },
        { to: [{ namespaceSelector: { matchLabels: { ns: "z" } } }], ports: [{ protocol: "TCP", port: 80 }] },
        { to: [{ ipBlock: { cidr: "10.96.0.10/32" } }], ports: [{ protocol: "UDP", port: 53 }] },
      ],
    },
  };
  const st = conformanceState([p]);
  const ix = indexPolicies(st);
  const pod = (ref: string): Party => ({ kind: "pod", pod: st.pods.find((x) => `${x.namespace}/${x.name}` === ref)! });
  assert.equal(decide(ix, pod("x/a"), pod("y/b"), "UDP", 53).allowed, false);
  const m = nearMisses(ix, "egress", pod("x/a"), pod("y/b"), "UDP", 53);
  assert.deepEqual(
    m.map((x) => [x.rule, x.ports ? "ports" : x.peers!.map((e) => e.kind).join(",")]),
    [
      [0, "namespace"],
      [1, "pod"],
      [2, "ports"],
      [4, "ipBlock"],
    ],
  );
  assert.deepEqual(m[0].peers, [{ kind: "namespace", policyNs: "x", ns: "y" }]);
  assert.deepEqual(m[2].ports, single("TCP", 53, 53));
  // Rule 0 allows x/a → x/b: it is no miss; rule 2 misses on both counts, so it is not near.
  assert.deepEqual(
    nearMisses(ix, "egress", pod("x/a"), pod("x/b"), "UDP", 53).map((x) => x.rule),
    [1, 4],
  );
});

test("a null rule (`ingress: [~]`) is the empty rule: it allows everything, as `- {}` does", () => {
  // Go's JSON decoding leaves a null list element its zero value: NetworkPolicyIngressRule{}.
  const spec = (rule: unknown) =>
    ({ podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [rule], egress: [rule] }) as NetworkPolicySpec;
  const nul: Pol = { namespace: "x", name: "null-rule", spec: spec(null) };
  const empty: Pol = { namespace: "x", name: "empty-rule", spec: spec({}) };
  for (const p of [nul, empty]) expectTable([p], "TCP", 80, () => true);
});

test("no policyTypes and `egress: []`: Egress only with an egress rule (SetDefaults_NetworkPolicy)", () => {
  // pkg/apis/networking/v1/defaults.go: Ingress, plus Egress if len(spec.egress) != 0.
  const p: Pol = { namespace: "x", name: "p", spec: { podSelector: {}, egress: [] } };
  expectTable([p], "TCP", 80, (_f, t) => ns(t) !== "x");
});
