// Calico's own policies (projectcalico.org/v3 NetworkPolicy, GlobalNetworkPolicy, NetworkSet,
// GlobalNetworkSet, Tier) over the conformance model's pods (namespaces x, y, z labelled
// ns=<name>; pods a, b, c labelled pod=<name>, each serving named ports serve-80-tcp …).
// Every expectation is Calico's documented behaviour, written by hand:
// https://docs.tigera.io/calico/latest/reference/resources/networkpolicy (and
// globalnetworkpolicy, networkset, globalnetworkset, tier),
// https://docs.tigera.io/calico/latest/network-policy/policy-tiers/tiered-policy, and the
// rule conversion of libcalico-go lib/backend/syncersv1/updateprocessors/rules.go.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkSpec, parseSpec } from "../manifest/parse.js";
import { SpecError } from "../manifest/errors.js";
import { buildState } from "../control/build.js";
import type { ClusterState } from "../control/state.js";
import { decide, indexPolicies, type Party } from "./engine.js";
import { computeReach } from "../questions/reach.js";
import { conformanceManifests } from "./conformance.js";
import { ipToInt } from "../net/ipv4.js";
import type { Proto } from "./portset.js";

const config = (cni: string) => ({
  file: "cluster.yaml",
  text: `apiVersion: podnet.dev/v1alpha1
kind: Cluster
name: calico
nodes: [{name: control-plane, role: control-plane}, {name: worker-1}]
networking: {cni: ${cni}, backend: vxlan, kubeProxyMode: iptables}
`,
});

type Obj = Record<string, unknown>;
const np = (namespace: string, name: string, spec: Obj): Obj => ({
  apiVersion: "projectcalico.org/v3",
  kind: "NetworkPolicy",
  metadata: { name, namespace },
  spec,
});
const gnp = (name: string, spec: Obj): Obj => ({
  apiVersion: "projectcalico.org/v3",
  kind: "GlobalNetworkPolicy",
  metadata: { name },
  spec,
});
const tier = (name: string, spec: Obj): Obj => ({
  apiVersion: "projectcalico.org/v3",
  kind: "Tier",
  metadata: { name },
  spec,
});
const knp = (namespace: string, name: string, spec: Obj): Obj => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name, namespace },
  spec,
});

const docs = (objects: Obj[], extra = "") =>
  conformanceManifests() + objects.map((o) => `---\n${JSON.stringify(o)}\n`).join("") + extra;

function cluster(objects: Obj[], opts: { cni?: string; extra?: string } = {}): ClusterState {
  const spec = parseSpec([{ file: "m.yaml", text: docs(objects, opts.extra) }], config(opts.cni ?? "calico"));
  return buildState(spec, {});
}

const BASE = cluster([]);
const ipOf = (ref: string): string => {
  const [ns, name] = ref.split("/");
  return BASE.pods.find((p) => p.namespace === ns && p.name === name)!.podIP!;
};
const outside = (a: string): Party => ({ kind: "ip", ip: ipToInt(a) });

/** Whether the flow is allowed; `from`/`to` are "ns/pod" or an outside address. */
function allowed(st: ClusterState, from: string | Party, to: string | Party, proto: Proto = "TCP", port = 80): boolean {
  const ix = indexPolicies(st);
  const party = (x: string | Party): Party => {
    if (typeof x !== "string") return x;
    const [ns, name] = x.split("/");
    const pod = st.pods.find((p) => p.namespace === ns && p.name === name);
    assert.ok(pod, `no pod ${x}`);
    return { kind: "pod", pod };
  };
  return decide(ix, party(from), party(to), proto, port).allowed;
}

const PODS = ["x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c"];
const ns = (ref: string) => ref.split("/")[0];
const pod = (ref: string) => ref.split("/")[1];

/** Every ordered pair of distinct pods against want(from, to). */
function expectTable(st: ClusterState, want: (f: string, t: string) => boolean, proto: Proto = "TCP", port = 80) {
  const ix = indexPolicies(st);
  const find = (r: string): Party => ({
    kind: "pod",
    pod: st.pods.find((p) => `${p.namespace}/${p.name}` === r)!,
  });
  const wrong: string[] = [];
  for (const f of PODS)
    for (const t of PODS) {
      if (f === t) continue;
      const got = decide(ix, find(f), find(t), proto, port).allowed;
      if (got !== want(f, t)) wrong.push(`${f} -> ${t} ${proto}/${port}: got ${got ? "allow" : "deny"}`);
    }
  assert.deepEqual(wrong, []);
}

const SEL_A = 'pod == "a"';

// ---- types ----

test("types default: egress rules only make an Egress-only policy; no rules isolate ingress", () => {
  // "types … defaults to Egress if there are egress rules but no ingress rules".
  const eg = cluster([
    np("x", "a-egress", {
      selector: SEL_A,
      egress: [{ action: "Allow", destination: { selector: 'pod == "b"' } }],
    }),
  ]);
  // Ingress to x/a is not isolated; its egress reaches x/b only (the rule's selector stays
  // in x; everything else is denied at the default tier's end).
  expectTable(eg, (f, t) => f !== "x/a" || t === "x/b");
  // No rules at all: types defaults to Ingress, so ingress to x/a is denied, egress free.
  const none = cluster([np("x", "a-isolated", { selector: SEL_A })]);
  expectTable(none, (_f, t) => t !== "x/a");
  // Explicit types: an Egress policy with no rules denies x/a's egress only.
  const both = cluster([np("x", "a-egress-none", { selector: SEL_A, types: ["Egress"] })]);
  expectTable(both, (f) => f !== "x/a");
});

// ---- order ----

test("policies in a tier go by order, ties by name; unset order is last", () => {
  const allowAll = { ingress: [{ action: "Allow" }] };
  const denyAll = { ingress: [{ action: "Deny" }] };
  // Same order: "a-deny" sorts before "b-allow".
  let st = cluster([
    np("x", "b-allow", { order: 10, selector: SEL_A, ...allowAll }),
    np("x", "a-deny", { order: 10, selector: SEL_A, ...denyAll }),
  ]);
  assert.equal(allowed(st, "y/b", "x/a"), false);
  st = cluster([
    np("x", "a-allow", { order: 10, selector: SEL_A, ...allowAll }),
    np("x", "b-deny", { order: 10, selector: SEL_A, ...denyAll }),
  ]);
  assert.equal(allowed(st, "y/b", "x/a"), true);
  // Deny at order 50 before Allow at order 100, whatever the names.
  st = cluster([
    np("x", "a-allow", { order: 100, selector: SEL_A, ...allowAll }),
    np("x", "z-deny", { order: 50, selector: SEL_A, ...denyAll }),
  ]);
  assert.equal(allowed(st, "y/b", "x/a"), false);
  // The reverse orders: the Allow comes first.
  st = cluster([
    np("x", "a-allow", { order: 50, selector: SEL_A, ...allowAll }),
    np("x", "z-deny", { order: 100, selector: SEL_A, ...denyAll }),
  ]);
  assert.equal(allowed(st, "y/b", "x/a"), true);
  // A policy with no order comes after every ordered one.
  st = cluster([
    np("x", "a-unordered-allow", { selector: SEL_A, ...allowAll }),
    np("x", "z-deny", { order: 5000, selector: SEL_A, ...denyAll }),
  ]);
  assert.equal(allowed(st, "y/b", "x/a"), false);
  // A Kubernetes NetworkPolicy is order 1000 of the default tier: a Calico Deny at 999 comes
  // first, one at 1001 after it.
  const k8sAllow = knp("x", "allow", {
    podSelector: { matchLabels: { pod: "a" } },
    ingress: [{ from: [{ namespaceSelector: {} }] }],
  });
  st = cluster([k8sAllow, np("x", "deny", { order: 999, selector: SEL_A, ...denyAll })]);
  assert.equal(allowed(st, "y/b", "x/a"), false);
  st = cluster([k8sAllow, np("x", "deny", { order: 1001, selector: SEL_A, ...denyAll })]);
  assert.equal(allowed(st, "y/b", "x/a"), true);
  // Within a policy, rules in order: the first that matches decides.
  st = cluster([
    np("x", "rules", {
      selector: SEL_A,
      ingress: [{ action: "Deny", source: { selector: 'pod == "b"' } }, { action: "Allow" }],
    }),
  ]);
  assert.equal(allowed(st, "x/b", "x/a"), false);
  assert.equal(allowed(st, "x/c", "x/a"), true);
});

// ---- tiers, Pass, Log ----

test("Pass goes to the next tier, and past the last tier to the profile (allow)", () => {
  const sec = tier("security", { order: 100 });
  const pass = gnp("security.pass-y", {
    tier: "security",
    selector: SEL_A,
    ingress: [{ action: "Pass", source: { namespaceSelector: 'ns == "y"' } }],
  });
  // Only the security tier selects the a pods: y's pass to the profile; others are denied at
  // the security tier's end.
  let st = cluster([sec, pass]);
  expectTable(st, (f, t) => pod(t) !== "a" || ns(f) === "y");
  // A default-tier policy that denies from y/b: what y passed now meets it.
  st = cluster([
    sec,
    pass,
    gnp("deny-y-b", { selector: "all()", ingress: [{ action: "Deny", source: { selector: 'pod == "b"' } }] }),
  ]);
  assert.equal(allowed(st, "y/b", "x/a"), false);
  // y/c passes from security, then the default tier's policy matches no rule: its end denies.
  assert.equal(allowed(st, "y/c", "x/a"), false);
  // x/b is not selected by security (skipped, no end-of-tier deny there); in the default
  // tier the deny-y-b policy (selector all()) denies pod b's everywhere, x's included.
  assert.equal(allowed(st, "x/b", "y/b"), false);
  assert.equal(allowed(st, "x/c", "y/b"), false); // default tier selects, no rule matches
});

test("end-of-tier deny only in the tiers with a policy selecting the endpoint, per direction", () => {
  const st = cluster([
    tier("security", { order: 100 }),
    gnp("security.a-from-y", {
      tier: "security",
      selector: SEL_A,
      ingress: [{ action: "Allow", source: { namespaceSelector: 'ns == "y"' } }],
    }),
    // An Egress-only security policy on pod b: ingress to b is untouched by the tier.
    gnp("security.b-egress", { tier: "security", selector: 'pod == "b"', types: ["Egress"], egress: [] }),
    np("x", "b-from-z", {
      selector: 'pod == "b"',
      ingress: [{ action: "Allow", source: { namespaceSelector: 'ns == "z"' } }],
    }),
  ]);
  assert.equal(allowed(st, "z/c", "x/a"), false); // security selects x/a, no rule: denied
  assert.equal(allowed(st, "y/c", "x/a"), true);
  // x/b's ingress: security has no ingress policy for it, the default tier allows from z.
  // x/b's ingress: the security tier has no ingress policy for it (skipped, no end-of-tier
  // deny there); the default tier allows from z and denies the rest at its end.
  assert.equal(allowed(st, "z/c", "x/b"), true);
  assert.equal(allowed(st, "y/c", "x/b"), false);
  // x/b's egress: the security tier's Egress policy has no rule, so its end denies.
  assert.equal(allowed(st, "x/b", "z/c"), false);
});

test("a Tier whose defaultAction is Pass hands what its rules leave to the next tier", () => {
  const platform = tier("platform", { order: 50, defaultAction: "Pass" });
  const pol = gnp("platform.a", {
    tier: "platform",
    selector: SEL_A,
    ingress: [{ action: "Deny", source: { selector: 'pod == "c"' } }],
  });
  let st = cluster([platform, pol]);
  // c's are denied; the rest pass to the default tier, where nothing selects: the profile.
  expectTable(st, (f, t) => pod(t) !== "a" || pod(f) !== "c");
  // A default-tier policy now meets what was passed.
  st = cluster([
    platform,
    pol,
    np("x", "a-from-x", {
      selector: SEL_A,
      ingress: [{ action: "Allow", source: { selector: "all()" } }],
    }),
  ]);
  assert.equal(allowed(st, "x/b", "x/a"), true);
  assert.equal(allowed(st, "y/b", "x/a"), false); // x's rule selector stays in x
  assert.equal(allowed(st, "x/c", "x/a"), false); // denied in platform first
  assert.equal(allowed(st, "y/b", "y/a"), true); // y/a: only platform selects it
});

test("Log decides nothing: the next rule or the tier's end does", () => {
  let st = cluster([np("x", "log", { selector: SEL_A, ingress: [{ action: "Log" }] })]);
  assert.equal(allowed(st, "x/b", "x/a"), false);
  st = cluster([np("x", "log", { selector: SEL_A, ingress: [{ action: "Log" }, { action: "Allow" }] })]);
  assert.equal(allowed(st, "x/b", "x/a"), true);
  st = cluster([
    np("x", "log", { selector: SEL_A, ingress: [{ action: "Log" }, { action: "Deny" }, { action: "Allow" }] }),
  ]);
  assert.equal(allowed(st, "x/b", "x/a"), false);
});

test("a policy in a tier with no Tier object is refused by Calico: no effect, a warning", () => {
  const st = cluster([gnp("ghost.deny", { tier: "ghost", selector: "all()", ingress: [{ action: "Deny" }] })]);
  expectTable(st, () => true);
  assert.ok(
    st.warnings.some((w) => w.includes("ghost.deny") && w.includes('tier "ghost" has no Tier object')),
    st.warnings.join("\n"),
  );
});

// ---- selectors and their scope ----

test("a namespaced policy's rule selector stays in its namespace unless namespaceSelector", () => {
  let st = cluster([
    np("x", "a-from-b", { selector: SEL_A, ingress: [{ action: "Allow", source: { selector: 'pod == "b"' } }] }),
  ]);
  expectTable(st, (f, t) => t !== "x/a" || f === "x/b");
  st = cluster([
    np("x", "a-from-y-b", {
      selector: SEL_A,
      ingress: [{ action: "Allow", source: { selector: 'pod == "b"', namespaceSelector: 'ns == "y"' } }],
    }),
  ]);
  expectTable(st, (f, t) => t !== "x/a" || f === "y/b");
  // projectcalico.org/name names a namespace; all() in namespaceSelector is every namespace.
  st = cluster([
    np("x", "a-from-z", {
      selector: SEL_A,
      ingress: [{ action: "Allow", source: { namespaceSelector: 'projectcalico.org/name == "z"' } }],
    }),
  ]);
  expectTable(st, (f, t) => t !== "x/a" || ns(f) === "z");
  st = cluster([
    np("x", "a-from-any-b", {
      selector: SEL_A,
      ingress: [{ action: "Allow", source: { selector: 'pod == "b"', namespaceSelector: "all()" } }],
    }),
  ]);
  expectTable(st, (f, t) => t !== "x/a" || pod(f) === "b");
});

test("a GlobalNetworkPolicy: spec namespaceSelector scopes its endpoints; rule selectors span namespaces", () => {
  let st = cluster([
    gnp("y-a-isolated", { selector: SEL_A, namespaceSelector: 'ns == "y"', ingress: [{ action: "Deny" }] }),
  ]);
  expectTable(st, (_f, t) => t !== "y/a");
  st = cluster([
    gnp("x-from-b", {
      selector: 'projectcalico.org/namespace == "x"',
      ingress: [{ action: "Allow", source: { selector: 'pod == "b"' } }],
    }),
  ]);
  expectTable(st, (f, t) => ns(t) !== "x" || pod(f) === "b");
});

test("notSelector: a global policy's matches other namespaces and outside addresses; a namespaced one's stays home", () => {
  const rule = { action: "Allow", source: { notSelector: 'pod == "c"' } };
  const g = cluster([gnp("a-not-c", { selector: SEL_A, namespaceSelector: 'ns == "x"', ingress: [rule] })]);
  expectTable(g, (f, t) => t !== "x/a" || pod(f) !== "c");
  assert.equal(allowed(g, outside("203.0.113.7"), "x/a"), true);
  // In a namespaced policy the rule is scoped to x (updateprocessors/rules.go adds
  // projectcalico.org/namespace == 'x' when a NotSelector is given): x's non-c pods only.
  const n = cluster([np("x", "a-not-c", { selector: SEL_A, ingress: [rule] })]);
  expectTable(n, (f, t) => t !== "x/a" || (ns(f) === "x" && pod(f) !== "c"));
  assert.equal(allowed(n, outside("203.0.113.7"), "x/a"), false);
});

// ---- nets, network sets, service accounts ----

test("nets match pods' addresses and outside ones; notNets take addresses out", () => {
  let st = cluster([
    np("x", "a-nets", {
      selector: SEL_A,
      ingress: [{ action: "Allow", source: { nets: [`${ipOf("y/b")}/32`, "203.0.113.0/24"] } }],
    }),
  ]);
  expectTable(st, (f, t) => t !== "x/a" || f === "y/b");
  assert.equal(allowed(st, outside("203.0.113.9"), "x/a"), true);
  assert.equal(allowed(st, outside("198.51.100.9"), "x/a"), false);
  // A bare address is a /32.
  st = cluster([np("x", "a-ip", { selector: SEL_A, ingress: [{ action: "Allow", source: { nets: [ipOf("z/c")] } }] })]);
  expectTable(st, (f, t) => t !== "x/a" || f === "z/c");
  st = cluster([
    np("x", "a-notnets", {
      selector: SEL_A,
      ingress: [{ action: "Allow", source: { notNets: [`${ipOf("y/b")}/32`, "203.0.113.0/24"] } }],
    }),
  ]);
  expectTable(st, (f, t) => t !== "x/a" || f !== "y/b");
  assert.equal(allowed(st, outside("203.0.113.9"), "x/a"), false);
  assert.equal(allowed(st, outside("198.51.100.9"), "x/a"), true);
  // Egress: destination nets.
  st = cluster([
    np("x", "a-out", {
      selector: SEL_A,
      types: ["Egress"],
      egress: [{ action: "Allow", destination: { nets: ["203.0.113.0/24"] } }],
    }),
  ]);
  assert.equal(allowed(st, "x/a", outside("203.0.113.1")), true);
  assert.equal(allowed(st, "x/a", outside("198.51.100.1")), false);
  assert.equal(allowed(st, "x/a", "x/b"), false);
});

test("NetworkSets and GlobalNetworkSets are selected by their labels; global() for the global ones", () => {
  const sets: Obj[] = [
    {
      apiVersion: "projectcalico.org/v3",
      kind: "NetworkSet",
      metadata: { name: "partners", namespace: "x", labels: { role: "partners" } },
      spec: { nets: ["198.51.100.0/24"] },
    },
    {
      apiVersion: "projectcalico.org/v3",
      kind: "NetworkSet",
      metadata: { name: "partners", namespace: "y", labels: { role: "partners" } },
      spec: { nets: ["192.0.2.0/25"] },
    },
    {
      apiVersion: "projectcalico.org/v3",
      kind: "GlobalNetworkSet",
      metadata: { name: "partners", labels: { role: "partners" } },
      spec: { nets: ["203.0.113.0/24"] },
    },
  ];
  const from = (src: Obj, global = false) =>
    cluster([
      ...sets,
      global
        ? gnp("a-partners", { selector: SEL_A, ingress: [{ action: "Allow", source: src }] })
        : np("x", "a-partners", { selector: SEL_A, ingress: [{ action: "Allow", source: src }] }),
    ]);
  const X_SET = outside("198.51.100.5");
  const Y_SET = outside("192.0.2.5");
  const G_SET = outside("203.0.113.5");
  // In x, a rule selector selects x's NetworkSet only.
  let st = from({ selector: 'role == "partners"' });
  assert.deepEqual(
    [X_SET, Y_SET, G_SET].map((p) => allowed(st, p, "x/a")),
    [true, false, false],
  );
  // namespaceSelector global(): the GlobalNetworkSets only.
  st = from({ selector: 'role == "partners"', namespaceSelector: "global()" });
  assert.deepEqual(
    [X_SET, Y_SET, G_SET].map((p) => allowed(st, p, "x/a")),
    [false, false, true],
  );
  // namespaceSelector ns == "y": y's NetworkSet.
  st = from({ selector: 'role == "partners"', namespaceSelector: 'ns == "y"' });
  assert.deepEqual(
    [X_SET, Y_SET, G_SET].map((p) => allowed(st, p, "x/a")),
    [false, true, false],
  );
  // A GlobalNetworkPolicy's rule selector: every set.
  st = from({ selector: 'role == "partners"' }, true);
  assert.deepEqual(
    [X_SET, Y_SET, G_SET].map((p) => allowed(st, p, "x/a")),
    [true, true, true],
  );
  // The pods have no role label: none matches.
  assert.equal(allowed(st, "x/b", "x/a"), false);
});

test("serviceAccounts.names matches the pods running as them, in the policy's namespace", () => {
  const saPod = (namespace: string, name: string, sa: string) =>
    `---\napiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: "${namespace}", labels: {pod: ${name}}}\nspec:\n  serviceAccountName: ${sa}\n  containers: [{name: c, image: registry.k8s.io/pause:3.9}]\n`;
  const st = cluster(
    [
      np("x", "a-from-robot", {
        selector: SEL_A,
        ingress: [{ action: "Allow", source: { serviceAccounts: { names: ["robot"] } } }],
      }),
    ],
    { extra: saPod("x", "r1", "robot") + saPod("y", "r2", "robot") + saPod("x", "h1", "human") },
  );
  assert.equal(allowed(st, "x/r1", "x/a"), true);
  assert.equal(allowed(st, "y/r2", "x/a"), false); // another namespace
  assert.equal(allowed(st, "x/h1", "x/a"), false);
  assert.equal(allowed(st, "x/b", "x/a"), false); // the default service account
  // An empty names list restricts nothing (rules.go parseServiceAccounts returns "").
  const empty = cluster([
    np("x", "a-from-b", {
      selector: SEL_A,
      ingress: [{ action: "Allow", source: { selector: 'pod == "b"', serviceAccounts: { names: [] } } }],
    }),
  ]);
  expectTable(empty, (f, t) => t !== "x/a" || f === "x/b");
});

// ---- ports and protocols ----

test("ports: ranges min:max, notPorts, named ports", () => {
  let st = cluster([
    np("x", "range", {
      selector: SEL_A,
      ingress: [{ action: "Allow", protocol: "TCP", destination: { ports: ["8000:8100"], notPorts: [8080] } }],
    }),
  ]);
  const at = (proto: Proto, port: number) => allowed(st, "x/b", "x/a", proto, port);
  assert.deepEqual(
    [at("TCP", 7999), at("TCP", 8000), at("TCP", 8080), at("TCP", 8100), at("TCP", 8101), at("UDP", 8000)],
    [false, true, false, true, false, false],
  );
  st = cluster([
    np("x", "not-22", {
      selector: SEL_A,
      ingress: [{ action: "Allow", protocol: "TCP", destination: { notPorts: [22] } }],
    }),
  ]);
  assert.deepEqual([at("TCP", 22), at("TCP", 80), at("UDP", 53)], [false, true, false]);
  // A named port: the destination's own (serve-81-tcp is 81/TCP on every conformance pod).
  st = cluster([
    np("x", "named", {
      selector: SEL_A,
      ingress: [{ action: "Allow", protocol: "TCP", destination: { ports: ["serve-81-tcp"] } }],
    }),
  ]);
  assert.deepEqual([at("TCP", 80), at("TCP", 81), at("UDP", 81)], [false, true, false]);
  // Egress to a named port: the peer pod's; an outside address has no named port.
  st = cluster([
    np("x", "named-out", {
      selector: SEL_A,
      types: ["Egress"],
      egress: [
        { action: "Allow", protocol: "TCP", destination: { ports: ["serve-80-tcp"], namespaceSelector: "all()" } },
      ],
    }),
  ]);
  assert.equal(allowed(st, "x/a", "y/b", "TCP", 80), true);
  assert.equal(allowed(st, "x/a", "y/b", "TCP", 81), false);
  st = cluster([
    np("x", "named-out", {
      selector: SEL_A,
      types: ["Egress"],
      egress: [{ action: "Allow", protocol: "TCP", destination: { ports: ["serve-80-tcp"] } }],
    }),
  ]);
  assert.equal(allowed(st, "x/a", outside("203.0.113.1"), "TCP", 80), false);
});

test("protocol ICMP matches no TCP flow; notProtocol; ipVersion 6 matches no IPv4 flow", () => {
  let st = cluster([
    np("x", "icmp", { selector: SEL_A, ingress: [{ action: "Deny", protocol: "ICMP" }, { action: "Allow" }] }),
  ]);
  assert.equal(allowed(st, "x/b", "x/a"), true);
  st = cluster([np("x", "icmp", { selector: SEL_A, ingress: [{ action: "Allow", protocol: "ICMP" }] })]);
  assert.equal(allowed(st, "x/b", "x/a"), false);
  st = cluster([np("x", "not-tcp", { selector: SEL_A, ingress: [{ action: "Allow", notProtocol: "TCP" }] })]);
  assert.deepEqual(
    [allowed(st, "x/b", "x/a", "TCP", 80), allowed(st, "x/b", "x/a", "UDP", 80), allowed(st, "x/b", "x/a", "SCTP", 80)],
    [false, true, true],
  );
  st = cluster([np("x", "v6", { selector: SEL_A, ingress: [{ action: "Deny", ipVersion: 6 }, { action: "Allow" }] })]);
  assert.equal(allowed(st, "x/b", "x/a"), true);
  st = cluster([np("x", "v6", { selector: SEL_A, ingress: [{ action: "Allow", ipVersion: 6 }] })]);
  assert.equal(allowed(st, "x/b", "x/a"), false);
  // Only IPv6 notNets: Felix renders no IPv4 rule (FilterRuleToIPVersion), not a match-all one.
  st = cluster([
    np("x", "v6-notnets", { selector: SEL_A, ingress: [{ action: "Deny", source: { notNets: ["fd00::/8"] } }] }),
  ]);
  assert.equal(allowed(st, "x/b", "x/a"), false); // no rule matched: the tier's end denies
  st = cluster([
    np("x", "v6-notnets", {
      selector: SEL_A,
      ingress: [{ action: "Deny", source: { notNets: ["fd00::/8"] } }, { action: "Allow" }],
    }),
  ]);
  assert.equal(allowed(st, "x/b", "x/a"), true);
});

// ---- what has no effect ----

test("doNotTrack and preDNAT policies are for host endpoints: no effect on pods, a warning", () => {
  const objs = [
    gnp("untracked", { selector: "all()", doNotTrack: true, applyOnForward: true, ingress: [{ action: "Deny" }] }),
    gnp("pre-dnat", { selector: "all()", preDNAT: true, applyOnForward: true, ingress: [{ action: "Deny" }] }),
  ];
  const spec = parseSpec([{ file: "m.yaml", text: docs(objs) }], config("calico"));
  const fields = spec.warnings.filter((w) => /host endpoints only/.test(w.message)).map((w) => w.field);
  assert.deepEqual(fields.sort(), ["spec.doNotTrack", "spec.preDNAT"]);
  expectTable(buildState(spec, {}), () => true);
});

test("with another CNI Calico's policies are ignored, with a warning", () => {
  const st = cluster([gnp("deny-all", { selector: "all()", ingress: [{ action: "Deny" }] })], { cni: "flannel" });
  expectTable(st, () => true);
  assert.ok(
    st.warnings.some((w) => /1 Calico policy .* ignored: the cluster's CNI is flannel/.test(w)),
    st.warnings.join("\n"),
  );
});

// ---- validation ----

test("Calico's validator's refusals are parse errors with field paths", () => {
  const errorsOf = (o: Obj): { field?: string; message: string }[] => {
    try {
      parseSpec([{ file: "m.yaml", text: docs([o]) }], config("calico"));
    } catch (e) {
      assert.ok(e instanceof SpecError);
      return e.diagnostics.map((d) => ({ field: d.field, message: d.message }));
    }
    return [];
  };
  const fieldOf = (o: Obj) => errorsOf(o).map((e) => e.field);
  assert.deepEqual(fieldOf(np("x", "p", { ingress: [{ action: "allow" }] })), ["spec.ingress[0].action"]);
  assert.deepEqual(fieldOf(np("x", "p", { ingress: [{ source: {} }] })), ["spec.ingress[0].action"]);
  assert.deepEqual(fieldOf(np("x", "p", { ingress: [{ action: "Allow", destination: { ports: [80] } }] })), [
    "spec.ingress[0].destination.ports",
  ]);
  assert.deepEqual(
    fieldOf(np("x", "p", { egress: [{ action: "Allow", protocol: "ICMP", destination: { notPorts: [80] } }] })),
    ["spec.egress[0].destination.notPorts"],
  );
  assert.deepEqual(fieldOf(np("x", "p", { selector: "pod ==" })), ["spec.selector"]);
  assert.deepEqual(fieldOf(np("x", "p", { ingress: [{ action: "Allow", source: { notSelector: "has(" } }] })), [
    "spec.ingress[0].source.notSelector",
  ]);
  assert.deepEqual(
    fieldOf(np("x", "p", { ingress: [{ action: "Allow", source: { nets: ["10.0.0.0/8", "10.0.0.300/8"] } }] })),
    ["spec.ingress[0].source.nets[1]"],
  );
  assert.deepEqual(fieldOf(gnp("p", { tier: "security" })), ["metadata.name"]);
  assert.match(
    errorsOf(gnp("p", { tier: "security" }))[0].message,
    /must start with the tier's name followed by a dot \("security\."\)/,
  );
  assert.deepEqual(
    fieldOf(np("x", "p", { ingress: [{ action: "Allow", protocol: "TCP", destination: { ports: ["90:80"] } }] })),
    ["spec.ingress[0].destination.ports[0]"],
  );
  assert.deepEqual(fieldOf(tier("t", { defaultAction: "Allow" })), ["spec.defaultAction"]);
  // Valid: a tiered name, a range, a named port.
  assert.deepEqual(
    errorsOf(
      gnp("security.p", {
        tier: "security",
        ingress: [{ action: "Pass", protocol: "TCP", destination: { ports: ["80:90", "http"] } }],
      }),
    ),
    [],
  );
});

test("source ports are not modelled: a warning on an ingress rule's source too", () => {
  const spec = parseSpec(
    [
      {
        file: "m.yaml",
        text: docs([np("x", "p", { ingress: [{ action: "Allow", protocol: "TCP", source: { ports: [1234] } }] })]),
      },
    ],
    config("calico"),
  );
  assert.deepEqual(
    spec.warnings.filter((w) => /source ports/.test(w.message)).map((w) => w.field),
    ["spec.ingress[0].source.ports"],
  );
});

// ---- reach ----

test("reach lists what Calico's order allows", () => {
  const st = cluster([
    np("x", "a-in", {
      selector: SEL_A,
      ingress: [{ action: "Allow", protocol: "TCP", source: { selector: 'pod == "b"' }, destination: { ports: [80] } }],
    }),
    gnp("y-no-udp", {
      order: 10,
      selector: 'projectcalico.org/namespace == "y"',
      ingress: [{ action: "Deny", protocol: "UDP" }, { action: "Pass" }],
    }),
  ]);
  const lines = computeReach(st)
    .lines.filter((l) => l.dst === "x/a[Pod]" || l.dst.startsWith("y/"))
    .map((l) => `${l.src} => ${l.dst} : ${l.text}`)
    .sort();
  const EXT = "0.0.0.0-10.243.255.255,10.245.0.0-255.255.255.255[External]";
  const want: string[] = ["x/b[Pod] => x/a[Pod] : TCP 80"];
  // Into y: UDP denied, the rest passed to the profile, from every pod and the outside.
  for (const t of ["y/a", "y/b", "y/c"]) {
    for (const f of [EXT, ...PODS.filter((p) => p !== t).map((p) => `${p}[Pod]`)])
      want.push(`${f} => ${t}[Pod] : SCTP 1-65535,TCP 1-65535`);
  }
  assert.deepEqual(lines, want.sort());
});

// ---- hostile input ----

test("hostile Calico documents: only SpecErrors, in bounded time", () => {
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const deep = (n: number): unknown => (n === 0 ? "x" : { a: [deep(n - 1)] });
  const junk = (): unknown =>
    pick<() => unknown>([
      () => null,
      () => 42,
      () => -1.5,
      () => true,
      () => "",
      () => "all()",
      () => "(".repeat(200) + "a == 'b'" + ")".repeat(200),
      () => `${"has(a) && ".repeat(3000)}has(b)`,
      () => "a in {" + Array.from({ length: 2000 }, (_, i) => `'v${i}'`).join(",") + "}",
      () => ["10.0.0.0/8", 7, null, "fd00::/8", "999.1.1.1"],
      () => [80, "8000:9000", "http", -1, 70000, "9:1", {}, null],
      () => ({ nested: deep(40) }),
      () => deep(60),
      () => "global()",
      () => "!",
      () => [],
      () => ({}),
    ])();
  const entity = (): unknown =>
    rnd() < 0.2
      ? junk()
      : {
          nets: rnd() < 0.5 ? junk() : ["10.244.0.0/16"],
          notNets: rnd() < 0.3 ? junk() : undefined,
          selector: rnd() < 0.5 ? junk() : "pod == 'a'",
          notSelector: rnd() < 0.3 ? junk() : undefined,
          namespaceSelector: rnd() < 0.3 ? junk() : undefined,
          ports: rnd() < 0.4 ? junk() : undefined,
          notPorts: rnd() < 0.2 ? junk() : undefined,
          serviceAccounts: rnd() < 0.2 ? (rnd() < 0.5 ? junk() : { names: junk(), selector: junk() }) : undefined,
          services: rnd() < 0.1 ? junk() : undefined,
        };
  const rule = (): unknown =>
    rnd() < 0.15
      ? junk()
      : {
          action: rnd() < 0.8 ? pick(["Allow", "Deny", "Pass", "Log"]) : junk(),
          protocol: rnd() < 0.5 ? pick(["TCP", "UDP", "ICMP", "sctp", 6, 300, "Foo"]) : undefined,
          notProtocol: rnd() < 0.2 ? junk() : undefined,
          ipVersion: rnd() < 0.2 ? pick([4, 6, 5, "6"]) : undefined,
          source: entity(),
          destination: entity(),
          http: rnd() < 0.1 ? junk() : undefined,
        };
  const spec = (): unknown =>
    rnd() < 0.1
      ? junk()
      : {
          tier: rnd() < 0.7 ? undefined : pick(["default", "sec", junk()]),
          order: rnd() < 0.5 ? pick([1, 1000, -5, 1e308, Number.NaN, "10"]) : undefined,
          selector: rnd() < 0.5 ? junk() : undefined,
          namespaceSelector: rnd() < 0.2 ? junk() : undefined,
          serviceAccountSelector: rnd() < 0.1 ? junk() : undefined,
          types: rnd() < 0.3 ? pick([["Ingress"], ["Egress", "Egress"], junk()]) : undefined,
          ingress: rnd() < 0.1 ? junk() : Array.from({ length: Math.floor(rnd() * 4) }, rule),
          egress: rnd() < 0.1 ? junk() : Array.from({ length: Math.floor(rnd() * 4) }, rule),
          doNotTrack: rnd() < 0.05 ? true : undefined,
        };
  const started = Date.now();
  let evaluated = 0;
  for (let round = 0; round < 40; round++) {
    const objs: Obj[] = [];
    for (let i = 0; i < 5; i++) {
      const kind = pick(["NetworkPolicy", "GlobalNetworkPolicy", "NetworkSet", "GlobalNetworkSet", "Tier"]);
      const name = kind === "Tier" ? pick(["sec", "default", "t"]) : `sec.p${round}-${i}`;
      const metadata: Obj = { name, labels: { role: "partners" } };
      if (kind === "NetworkPolicy" || kind === "NetworkSet") metadata.namespace = pick(["x", "y"]);
      const body =
        kind === "NetworkSet" || kind === "GlobalNetworkSet"
          ? { nets: rnd() < 0.5 ? junk() : ["198.51.100.0/24"] }
          : kind === "Tier"
            ? { order: rnd() < 0.5 ? junk() : 10, defaultAction: rnd() < 0.5 ? junk() : "Pass" }
            : spec();
      objs.push({
        apiVersion: pick(["projectcalico.org/v3", "crd.projectcalico.org/v1"]),
        kind,
        metadata,
        spec: body,
      });
    }
    const sources = [{ file: "m.yaml", text: docs(objs) }];
    for (const attempt of [
      () => checkSpec(sources, config("calico"), "tolerant").spec,
      () => parseSpec(sources, config("calico"), "tolerant"),
    ]) {
      let built: ReturnType<typeof parseSpec>;
      try {
        built = attempt();
      } catch (e) {
        if (!(e instanceof SpecError)) throw e;
        continue;
      }
      let st: ClusterState;
      try {
        st = buildState(built, {});
      } catch (e) {
        if (!(e instanceof SpecError)) throw e;
        continue;
      }
      const ix = indexPolicies(st);
      // A spec with errors (checkSpec) may hold no pods: ask about the ones there are.
      const pods = st.pods.filter((p) => p.podIP).slice(0, 4);
      for (const f of pods)
        for (const t of pods) if (f !== t) decide(ix, { kind: "pod", pod: f }, { kind: "pod", pod: t }, "TCP", 80);
      for (const t of pods) decide(ix, outside("198.51.100.3"), { kind: "pod", pod: t }, "UDP", 53);
      if (rnd() < 0.2) computeReach(st);
      if (pods.length > 0) evaluated++;
    }
  }
  assert.ok(evaluated > 10, `only ${evaluated} rounds reached the engine`);
  assert.ok(Date.now() - started < 60_000, `took ${Date.now() - started} ms`);
});

// ---- diagnose ----

test("diagnose names the tier whose end denies, and offers a NetworkPolicy only for the default tier", async () => {
  const { policyChecks } = await import("../questions/diagnose-policy.js");
  const podOf = (st: ClusterState, r: string): Party => ({
    kind: "pod",
    pod: st.pods.find((p) => `${p.namespace}/${p.name}` === r)!,
  });
  const ingressCheck = (st: ClusterState) =>
    policyChecks(indexPolicies(st), podOf(st, "y/b"), [{ party: podOf(st, "x/a"), port: 80 }], "TCP").checks.find(
      (c) => c.code === "policy.ingress",
    )!;
  // A tier of its own selects x/a and allows only from x: y/b is denied at that tier's end,
  // which no policy of a later tier can undo.
  const sec = ingressCheck(
    cluster([
      tier("security", { order: 100 }),
      gnp("security.a-from-x", {
        tier: "security",
        selector: SEL_A,
        ingress: [{ action: "Allow", source: { namespaceSelector: 'ns == "x"' } }],
      }),
    ]),
  );
  assert.equal(sec.ok, false);
  assert.match(sec.why!, /at the end of Calico's tier security: security\.a-from-x select it/);
  assert.match(sec.fix!, /Pass to the next tier\) to a policy of tier security/);
  assert.equal(sec.yaml, undefined);
  // In the default tier a NetworkPolicy (order 1000 there) can allow it: YAML offered.
  const def = ingressCheck(
    cluster([
      np("x", "a-from-x", { selector: SEL_A, ingress: [{ action: "Allow", source: { selector: 'pod == "c"' } }] }),
    ]),
  );
  assert.match(def.why!, /end of Calico's tier default: x\/a-from-x/);
  assert.match(def.yaml ?? "", /kind: NetworkPolicy/);
});
