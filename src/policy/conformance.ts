// The shared NetworkPolicy conformance suite (upstream test/e2e/network/netpol model:
// namespaces x, y, z labelled ns=<name>; pods a, b, c labelled pod=<name>, each serving
// 80 and 81 over TCP, UDP and SCTP on ports named serve-<port>-<proto>). Every case is a
// truth table from-pod × to-pod written from the API's semantics; each implementation
// (the policy engine, the packet model over the compiled rules, the kernel) must agree.

import type { NetworkPolicySpec } from "../manifest/types.js";
import type { Proto } from "./portset.js";

export const NAMESPACES = ["x", "y", "z"];
export const PODS = ["a", "b", "c"];
export const ALL_PODS = NAMESPACES.flatMap((n) => PODS.map((p) => `${n}/${p}`));

export interface ConformanceCase {
  name: string;
  policies: { namespace: string; name: string; spec: NetworkPolicySpec }[];
  checks: { protocol: Proto; port: number; allowed: (from: string, to: string) => boolean }[];
}

const ns = (p: string) => p.split("/")[0];
const pod = (p: string) => p.split("/")[1];

/** Manifests of the model as YAML text. */
export function conformanceManifests(): string {
  const docs: string[] = [];
  for (const n of NAMESPACES)
    docs.push(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "${n}"\n  labels: {ns: "${n}"}`); // quoted: YAML 1.1 (kubectl) reads a bare y as a boolean
  for (const n of NAMESPACES) {
    for (const p of PODS) {
      const containers = [80, 81]
        .flatMap((port) =>
          ["TCP", "UDP", "SCTP"].map(
            (proto) =>
              `    - name: cont-${port}-${proto.toLowerCase()}\n      image: registry.k8s.io/e2e-test-images/agnhost:2.47\n      ports:\n        - {name: serve-${port}-${proto.toLowerCase()}, containerPort: ${port}, protocol: ${proto}}`,
          ),
        )
        .join("\n");
      docs.push(
        `apiVersion: v1\nkind: Pod\nmetadata:\n  name: "${p}"\n  namespace: "${n}"\n  labels: {pod: "${p}"}\nspec:\n  containers:\n${containers}`,
      );
    }
  }
  return docs.join("\n---\n") + "\n";
}

export const CASES: ConformanceCase[] = [
  {
    name: "no policies",
    policies: [],
    checks: [
      { protocol: "TCP", port: 80, allowed: () => true },
      { protocol: "UDP", port: 81, allowed: () => true },
    ],
  },
  {
    name: "default-deny ingress",
    policies: [{ namespace: "x", name: "deny-all", spec: { podSelector: {}, policyTypes: ["Ingress"] } }],
    checks: [
      { protocol: "TCP", port: 80, allowed: (_f, t) => ns(t) !== "x" },
      { protocol: "UDP", port: 80, allowed: (_f, t) => ns(t) !== "x" },
      { protocol: "SCTP", port: 80, allowed: (_f, t) => ns(t) !== "x" },
    ],
  },
  {
    name: "default-deny egress",
    policies: [{ namespace: "x", name: "deny-egress", spec: { podSelector: {}, policyTypes: ["Egress"] } }],
    checks: [{ protocol: "TCP", port: 80, allowed: (f) => ns(f) !== "x" }],
  },
  {
    name: "allow from the same namespace",
    policies: [
      { namespace: "x", name: "allow-same-ns", spec: { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] } },
    ],
    checks: [{ protocol: "TCP", port: 80, allowed: (f, t) => ns(t) !== "x" || ns(f) === "x" }],
  },
  {
    name: "allow from another namespace by label",
    policies: [
      {
        namespace: "x",
        name: "allow-ns-y",
        spec: {
          podSelector: { matchLabels: { pod: "a" } },
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }] }],
        },
      },
    ],
    checks: [{ protocol: "TCP", port: 80, allowed: (f, t) => t !== "x/a" || ns(f) === "y" }],
  },
  {
    name: "pod and namespace selector in one peer (AND)",
    policies: [
      {
        namespace: "x",
        name: "and",
        spec: {
          podSelector: { matchLabels: { pod: "a" } },
          ingress: [
            { from: [{ namespaceSelector: { matchLabels: { ns: "y" } }, podSelector: { matchLabels: { pod: "b" } } }] },
          ],
        },
      },
    ],
    checks: [{ protocol: "TCP", port: 80, allowed: (f, t) => t !== "x/a" || f === "y/b" }],
  },
  {
    name: "pod and namespace selector in two peers (OR)",
    policies: [
      {
        namespace: "x",
        name: "or",
        spec: {
          podSelector: { matchLabels: { pod: "a" } },
          ingress: [
            {
              from: [
                { namespaceSelector: { matchLabels: { ns: "y" } } },
                { podSelector: { matchLabels: { pod: "b" } } },
              ],
            },
          ],
        },
      },
    ],
    checks: [{ protocol: "TCP", port: 80, allowed: (f, t) => t !== "x/a" || ns(f) === "y" || f === "x/b" }],
  },
  {
    name: "named port",
    policies: [
      {
        namespace: "x",
        name: "named",
        spec: {
          podSelector: { matchLabels: { pod: "a" } },
          ingress: [{ ports: [{ port: "serve-80-tcp", protocol: "TCP" }] }],
        },
      },
    ],
    checks: [
      { protocol: "TCP", port: 80, allowed: () => true },
      { protocol: "TCP", port: 81, allowed: (_f, t) => t !== "x/a" },
      { protocol: "UDP", port: 80, allowed: (_f, t) => t !== "x/a" },
    ],
  },
  {
    name: "endPort range",
    policies: [
      {
        namespace: "x",
        name: "range",
        spec: { podSelector: {}, ingress: [{ ports: [{ protocol: "TCP", port: 80, endPort: 81 }] }] },
      },
    ],
    checks: [
      { protocol: "TCP", port: 81, allowed: () => true },
      { protocol: "UDP", port: 81, allowed: (_f, t) => ns(t) !== "x" },
    ],
  },
  {
    name: "ipBlock with except",
    // Pod IPs are only known after allocation, so the block is the whole pod network
    // except one /32 the suite fills in (see exceptOf below).
    policies: [
      {
        namespace: "x",
        name: "ipblock",
        spec: {
          podSelector: { matchLabels: { pod: "a" } },
          ingress: [{ from: [{ ipBlock: { cidr: "10.244.0.0/16", except: ["@y/b"] } }] }],
        },
      },
    ],
    checks: [{ protocol: "TCP", port: 80, allowed: (f, t) => t !== "x/a" || f !== "y/b" }],
  },
  {
    name: "egress to DNS only",
    policies: [
      {
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
      },
    ],
    checks: [{ protocol: "TCP", port: 80, allowed: (f) => ns(f) !== "x" }],
  },
  {
    name: "policies on both ends",
    policies: [
      {
        namespace: "x",
        name: "a-to-b",
        spec: {
          podSelector: { matchLabels: { pod: "a" } },
          policyTypes: ["Egress"],
          egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { pod: "b" } } }] }],
        },
      },
      {
        namespace: "y",
        name: "b-from-x",
        spec: {
          podSelector: { matchLabels: { pod: "b" } },
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "x" } } }] }],
        },
      },
    ],
    checks: [
      {
        protocol: "TCP",
        port: 80,
        allowed: (f, t) => !(f === "x/a" && pod(t) !== "b") && !(t === "y/b" && ns(f) !== "x"),
      },
    ],
  },
];

/** Replaces `@ns/pod` placeholders in ipBlock excepts with the pod's /32. */
export function resolvePlaceholders(c: ConformanceCase, ipOf: (ref: string) => string): ConformanceCase["policies"] {
  return c.policies.map((p) => ({
    ...p,
    spec: JSON.parse(JSON.stringify(p.spec), (_k, v) =>
      typeof v === "string" && v.startsWith("@") ? `${ipOf(v.slice(1))}/32` : v,
    ),
  }));
}

/**
 * Calico's own policies over the same model, each a truth table written from Calico's
 * documented semantics (https://docs.tigera.io/calico/latest/network-policy/policy-tiers/tiered-policy,
 * https://docs.tigera.io/calico/latest/reference/resources/networkpolicy): tiers and orders,
 * first match wins, Pass, end-of-tier deny, Kubernetes NetworkPolicies at order 1000 of the
 * default tier. `objects`: the documents beside `policies` (NetworkPolicies).
 */
export interface CalicoCase extends ConformanceCase {
  objects: Record<string, unknown>[];
}
const cnp = (namespace: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: "projectcalico.org/v3",
  kind: "NetworkPolicy",
  metadata: { name, namespace },
  spec,
});
const gnp = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: "projectcalico.org/v3",
  kind: "GlobalNetworkPolicy",
  metadata: { name },
  spec,
});
const NS_Y = 'projectcalico.org/namespace == "y"';

const anp = (
  kind: "AdminNetworkPolicy" | "BaselineAdminNetworkPolicy",
  name: string,
  spec: Record<string, unknown>,
) => ({
  apiVersion: "policy.networking.k8s.io/v1alpha1",
  kind,
  metadata: { name },
  spec,
});

export const CALICO_CASES: CalicoCase[] = [
  {
    name: "a GlobalNetworkPolicy at order 100 denies before a NetworkPolicy allows (order 1000)",
    policies: [
      {
        namespace: "x",
        name: "allow-a",
        spec: { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [{ namespaceSelector: {} }] }] },
      },
    ],
    objects: [
      gnp("deny-from-y", {
        order: 100,
        selector: 'pod == "a"',
        ingress: [{ action: "Deny", source: { selector: NS_Y } }],
      }),
    ],
    checks: [
      {
        protocol: "TCP",
        port: 80,
        // y/a and z/a: selected by the global policy, no rule allows: denied at the tier's end.
        allowed: (f, t) => pod(t) !== "a" || (ns(f) !== "y" && ns(t) === "x"),
      },
    ],
  },
  {
    name: "Pass goes on to the profile; Log decides nothing; rule selectors stay in the namespace",
    policies: [],
    objects: [
      gnp("pass-z", {
        order: 10,
        selector: 'projectcalico.org/namespace == "x"',
        ingress: [{ action: "Log" }, { action: "Pass", source: { namespaceSelector: 'ns == "z"' } }],
      }),
      cnp("x", "allow-c", {
        order: 20,
        selector: "all()",
        ingress: [{ action: "Allow", source: { selector: 'pod == "c"' } }],
      }),
    ],
    checks: [
      {
        protocol: "TCP",
        port: 80,
        allowed: (f, t) => ns(t) !== "x" || ns(f) === "z" || f === "x/c",
      },
    ],
  },
  {
    name: "tiers: a security tier denies and passes the rest to the default tier",
    policies: [],
    objects: [
      { apiVersion: "projectcalico.org/v3", kind: "Tier", metadata: { name: "security" }, spec: { order: 100 } },
      gnp("security.deny-y", {
        tier: "security",
        selector: "all()",
        types: ["Ingress"],
        ingress: [{ action: "Deny", source: { selector: NS_Y } }, { action: "Pass" }],
      }),
      cnp("z", "allow-x", { order: 100, ingress: [{ action: "Allow", source: { namespaceSelector: 'ns == "x"' } }] }),
    ],
    checks: [
      { protocol: "TCP", port: 80, allowed: (f, t) => ns(f) !== "y" && (ns(t) !== "z" || ns(f) === "x") },
      { protocol: "UDP", port: 81, allowed: (f, t) => ns(f) !== "y" && (ns(t) !== "z" || ns(f) === "x") },
    ],
  },
  {
    // A namespaced policy's notSelector is scoped to its namespace (libcalico-go
    // updateprocessors/rules.go namespaces the rule's selector when a NotSelector is given).
    name: "egress: protocol and ports, a notSelector within the policy's namespace",
    policies: [],
    objects: [
      cnp("x", "a-egress", {
        selector: 'pod == "a"',
        types: ["Egress"],
        egress: [{ action: "Allow", protocol: "TCP", destination: { ports: [80], notSelector: 'pod == "c"' } }],
      }),
    ],
    checks: [
      { protocol: "TCP", port: 80, allowed: (f, t) => f !== "x/a" || (ns(t) === "x" && pod(t) !== "c") },
      { protocol: "TCP", port: 81, allowed: (f) => f !== "x/a" },
      { protocol: "UDP", port: 80, allowed: (f) => f !== "x/a" },
    ],
  },
  {
    name: "a tier whose defaultAction is Pass; notPorts and a port range",
    policies: [],
    objects: [
      {
        apiVersion: "projectcalico.org/v3",
        kind: "Tier",
        metadata: { name: "platform" },
        spec: { order: 50, defaultAction: "Pass" },
      },
      gnp("platform.no-udp-to-b", {
        tier: "platform",
        selector: 'pod == "b"',
        ingress: [{ action: "Deny", protocol: "UDP" }],
      }),
      cnp("y", "tcp-range", {
        selector: 'pod == "c"',
        ingress: [{ action: "Allow", protocol: "TCP", destination: { ports: ["79:81"], notPorts: [81] } }],
      }),
    ],
    checks: [
      { protocol: "UDP", port: 80, allowed: (_f, t) => pod(t) !== "b" && t !== "y/c" },
      { protocol: "TCP", port: 80, allowed: () => true },
      { protocol: "TCP", port: 81, allowed: (_f, t) => t !== "y/c" },
    ],
  },
  {
    // https://network-policy-api.sigs.k8s.io/reference/spec/: an AdminNetworkPolicy's Deny
    // wins over NetworkPolicies, its Pass leaves the flow to them; the baseline decides only
    // where no NetworkPolicy selects the pod.
    name: "AdminNetworkPolicy before NetworkPolicies, BaselineAdminNetworkPolicy after",
    policies: [
      {
        namespace: "x",
        name: "a-from-z",
        spec: {
          podSelector: { matchLabels: { pod: "a" } },
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "z" } } }] }],
        },
      },
    ],
    objects: [
      anp("AdminNetworkPolicy", "guard-x", {
        priority: 10,
        subject: { namespaces: { matchLabels: { ns: "x" } } },
        ingress: [
          {
            name: "z-to-netpol",
            action: "Pass",
            from: [{ pods: { namespaceSelector: { matchLabels: { ns: "z" } }, podSelector: {} } }],
          },
          { name: "no-y", action: "Deny", from: [{ namespaces: { matchLabels: { ns: "y" } } }] },
        ],
      }),
      anp("BaselineAdminNetworkPolicy", "default", {
        subject: { namespaces: {} },
        ingress: [{ action: "Deny", from: [{ namespaces: { matchLabels: { ns: "z" } } }] }],
      }),
    ],
    checks: [
      {
        protocol: "TCP",
        port: 80,
        allowed: (f, t) => (ns(f) === "z" ? t === "x/a" : !(ns(t) === "x" && ns(f) === "y") && t !== "x/a"),
      },
    ],
  },
  {
    name: "AdminNetworkPolicy ports: a named port of any protocol, a range",
    policies: [],
    objects: [
      anp("AdminNetworkPolicy", "b-closed", {
        priority: 5,
        subject: { pods: { namespaceSelector: {}, podSelector: { matchLabels: { pod: "b" } } } },
        ingress: [
          {
            action: "Deny",
            from: [{ namespaces: {} }],
            ports: [{ namedPort: "serve-81-udp" }, { portRange: { protocol: "TCP", start: 80, end: 81 } }],
          },
        ],
      }),
    ],
    checks: [
      { protocol: "TCP", port: 80, allowed: (_f, t) => pod(t) !== "b" },
      { protocol: "UDP", port: 81, allowed: (_f, t) => pod(t) !== "b" },
      { protocol: "UDP", port: 80, allowed: () => true },
    ],
  },
];
