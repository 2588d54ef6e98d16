// AdminNetworkPolicy and BaselineAdminNetworkPolicy on a Calico cluster: expectations from
// the API's reference (https://network-policy-api.sigs.k8s.io/reference/spec/) and Calico's
// tiers for them (https://docs.tigera.io/calico/latest/network-policy/policy-tiers/tiered-policy).
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkSpec, parseSpec } from "../manifest/parse.js";
import { buildState } from "../control/build.js";
import type { ClusterState } from "../control/state.js";
import { ipToInt } from "../net/ipv4.js";
import { conformanceManifests } from "./conformance.js";
import { decide, indexPolicies, type Party } from "./engine.js";

const config = (cni: string) => ({
  file: "cluster.yaml",
  text: `apiVersion: podnet.dev/v1alpha1\nkind: Cluster\nname: anp\nnodes: [{name: control-plane, role: control-plane}, {name: worker-1, labels: {pool: edge}}]\nnetworking: {cni: ${cni}, backend: vxlan}\n`,
});
type Obj = Record<string, unknown>;
const anp = (name: string, spec: Obj, kind = "AdminNetworkPolicy"): Obj => ({
  apiVersion: "policy.networking.k8s.io/v1alpha1",
  kind,
  metadata: { name },
  spec,
});
const text = (objects: Obj[]) => conformanceManifests() + objects.map((o) => `---\n${JSON.stringify(o)}\n`).join("");
const cluster = (objects: Obj[], cni = "calico"): ClusterState =>
  buildState(parseSpec([{ file: "m.yaml", text: text(objects) }], config(cni)), {});
const podParty = (st: ClusterState, ref: string): Party => ({
  kind: "pod",
  pod: st.pods.find((p) => `${p.namespace}/${p.name}` === ref)!,
});
const allowed = (st: ClusterState, from: string | Party, to: string | Party, proto: "TCP" | "UDP" = "TCP", port = 80) =>
  decide(
    indexPolicies(st),
    typeof from === "string" ? podParty(st, from) : from,
    typeof to === "string" ? podParty(st, to) : to,
    proto,
    port,
  ).allowed;
const ALL_NS = { namespaces: {} };

test("the lower priority decides first; a later AdminNetworkPolicy cannot undo it", () => {
  const st = cluster([
    anp("deny-all-to-a", {
      priority: 20,
      subject: { pods: { namespaceSelector: {}, podSelector: { matchLabels: { pod: "a" } } } },
      ingress: [{ action: "Deny", from: [ALL_NS] }],
    }),
    anp("allow-x-to-a", {
      priority: 5,
      subject: { pods: { namespaceSelector: {}, podSelector: { matchLabels: { pod: "a" } } } },
      ingress: [{ action: "Allow", from: [{ namespaces: { matchLabels: { ns: "x" } } }] }],
    }),
  ]);
  assert.equal(allowed(st, "x/b", "y/a"), true);
  assert.equal(allowed(st, "z/b", "y/a"), false);
  assert.equal(allowed(st, "z/b", "y/b"), true, "b is no subject");
});

test("Allow in an AdminNetworkPolicy skips the NetworkPolicies that would deny", () => {
  const np = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "deny-all", namespace: "x" },
    spec: { podSelector: {}, policyTypes: ["Ingress"] },
  };
  const st = cluster([
    np,
    anp("monitoring", {
      priority: 1,
      subject: ALL_NS,
      ingress: [{ action: "Allow", from: [{ namespaces: { matchLabels: { ns: "z" } } }] }],
    }),
  ]);
  assert.equal(allowed(st, "z/a", "x/a"), true, "allowed by the AdminNetworkPolicy before the NetworkPolicy");
  assert.equal(allowed(st, "y/a", "x/a"), false, "no match there: the NetworkPolicy denies");
});

test("the baseline decides only where no NetworkPolicy selects the pod", () => {
  const np = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "a-from-all", namespace: "x" },
    spec: { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [{ namespaceSelector: {} }] }] },
  };
  const st = cluster([
    np,
    anp("default", { subject: ALL_NS, ingress: [{ action: "Deny", from: [ALL_NS] }] }, "BaselineAdminNetworkPolicy"),
  ]);
  assert.equal(allowed(st, "y/a", "x/a"), true, "x/a: its NetworkPolicy allows, the baseline is not reached");
  assert.equal(allowed(st, "y/a", "x/b"), false, "x/b: no NetworkPolicy selects it: the baseline denies");
});

test("networks match pods' addresses too; nodes match the addresses of the nodes selected", () => {
  const base = cluster([]);
  const ip = base.pods.find((p) => `${p.namespace}/${p.name}` === "y/b")!.podIP!;
  const edge = base.nodes.find((n) => n.name === "worker-1")!.address;
  const cp = base.nodes.find((n) => n.name === "control-plane")!.address;
  const st = cluster([
    anp("egress", {
      priority: 3,
      subject: { namespaces: { matchLabels: { ns: "x" } } },
      egress: [
        { action: "Deny", to: [{ networks: [`${ip}/32`] }] },
        { action: "Deny", to: [{ nodes: { matchLabels: { pool: "edge" } } }] },
      ],
    }),
  ]);
  assert.equal(allowed(st, "x/a", "y/b"), false);
  assert.equal(allowed(st, "x/a", "y/c"), true);
  assert.equal(allowed(st, "x/a", { kind: "ip", ip: ipToInt(edge) }), false);
  assert.equal(allowed(st, "x/a", { kind: "ip", ip: ipToInt(cp) }), true);
});

test("with another CNI they are ignored, with one warning", () => {
  const st = cluster(
    [anp("deny", { priority: 1, subject: ALL_NS, ingress: [{ action: "Deny", from: [ALL_NS] }] })],
    "flannel",
  );
  assert.equal(allowed(st, "x/a", "y/a"), true);
  assert.ok(
    st.warnings.some((w) => /AdminNetworkPolicy.*ignored: the cluster's CNI is flannel/.test(w)),
    st.warnings.join("\n"),
  );
});

test("validation: the CRDs' schema and CEL rules", () => {
  const { diagnostics } = checkSpec(
    [
      {
        file: "m.yaml",
        text: text([
          anp("bad", {
            priority: 1001,
            subject: { namespaces: {}, pods: { namespaceSelector: {}, podSelector: {} } },
            ingress: [
              { action: "Drop", from: [{ nodes: {} }] },
              {
                action: "Allow",
                from: [ALL_NS],
                ports: [{ portRange: { start: 90, end: 80 } }, { portNumber: { port: 0 } }],
              },
            ],
            egress: [{ action: "Deny", to: [{ networks: ["10.0.0.0/33"] }] }],
          }),
          anp(
            "other",
            { subject: ALL_NS, ingress: [{ action: "Pass", from: [ALL_NS] }] },
            "BaselineAdminNetworkPolicy",
          ),
        ]),
      },
    ],
    config("calico"),
  );
  const msgs = diagnostics.filter((d) => d.severity === "error").map((d) => d.message);
  const has = (re: RegExp) =>
    assert.ok(
      msgs.some((m) => re.test(m)),
      `${re}\n${msgs.join("\n")}`,
    );
  has(/spec\.priority: .*must be an integer from 0 to 1000/);
  has(/spec\.subject: .*must set exactly one of namespaces, pods/);
  has(/spec\.ingress\[0\]\.action: .*must be one of Allow, Deny, Pass/);
  has(/spec\.ingress\[0\]\.from\[0\]: .*must set exactly one of namespaces, pods/);
  has(/spec\.ingress\[1\]\.ports\[0\]\.portRange: .*Start port must be less than End port/);
  has(/spec\.ingress\[1\]\.ports\[1\]\.portNumber\.port: .*must be a port number/);
  has(/spec\.egress\[0\]\.to\[0\]\.networks\[0\]: .*is not a valid CIDR/);
  has(
    /BaselineAdminNetworkPolicy other\) metadata\.name: .*Only one baseline admin network policy with metadata\.name="default"/,
  );
  has(/BaselineAdminNetworkPolicy other\) spec\.ingress\[0\]\.action: .*must be one of Allow, Deny/);
});

test("validation: the egress rules' CEL rule on named ports, the CIDRs' rule, an empty from", () => {
  const { diagnostics } = checkSpec(
    [
      {
        file: "m.yaml",
        text: text([
          anp("named", {
            priority: 2,
            subject: ALL_NS,
            // https://network-policy-api.sigs.k8s.io/reference/spec/: Networks and Nodes peers
            // have no named ports; the CRD's CEL rule refuses them together.
            egress: [
              { action: "Deny", to: [{ networks: ["10.0.0.0/8"] }], ports: [{ namedPort: "http" }] },
              { action: "Deny", to: [ALL_NS, { nodes: {} }], ports: [{ namedPort: "http" }] },
              { action: "Deny", to: [ALL_NS], ports: [{ namedPort: "http" }] },
              { action: "Deny", to: [{ networks: ["10.0.0.0/8"] }], ports: [{ portNumber: { port: 80 } }] },
              {
                action: "Allow",
                to: [{ networks: ["::ffff:10.0.0.0/104", "10.1.0.0/16", "10.1.0.0/16"] }],
              },
            ],
            // from: MinItems 1.
            ingress: [{ action: "Allow", from: [] }],
          }),
        ]),
      },
    ],
    config("calico"),
  );
  const msgs = diagnostics.filter((d) => d.severity === "error").map((d) => d.message);
  const cel = "networks/nodes peer cannot be set with namedPorts since there are no namedPorts for networks/nodes";
  const at = (i: number) => msgs.filter((m) => m.includes(`spec.egress[${i}]: `) && m.includes(cel)).length;
  assert.deepEqual([0, 1, 2, 3].map(at), [1, 1, 0, 0], msgs.join("\n"));
  const has = (re: RegExp) =>
    assert.ok(
      msgs.some((m) => re.test(m)),
      `${re}\n${msgs.join("\n")}`,
    );
  has(
    /spec\.egress\[4\]\.to\[0\]\.networks\[0\]: .*CIDR must be either an IPv4 or IPv6 address\. IPv4 address embedded in IPv6 addresses are not supported/,
  );
  has(/spec\.egress\[4\]\.to\[0\]\.networks\[2\]: .*Duplicate value: "10\.1\.0\.0\/16"/);
  assert.ok(!msgs.some((m) => m.includes("networks[1]")), msgs.join("\n"));
  has(/spec\.ingress\[0\]\.from: .*must be a list of 1 to 100 peers/);
});

test("a port range includes both its ends", () => {
  // shared_types.go PortRange: "an inclusive range of ports from the assigned Start value to End value".
  const st = cluster([
    anp("range", {
      priority: 1,
      subject: ALL_NS,
      ingress: [{ action: "Deny", from: [ALL_NS], ports: [{ portRange: { start: 80, end: 81 } }] }],
    }),
  ]);
  assert.equal(allowed(st, "x/a", "y/a", "TCP", 80), false);
  assert.equal(allowed(st, "x/a", "y/a", "TCP", 81), false);
  assert.equal(allowed(st, "x/a", "y/a", "UDP", 81), true, "the range's protocol defaults to TCP");
});
