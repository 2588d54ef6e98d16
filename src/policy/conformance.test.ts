// The shared conformance suite, run against two implementations that must agree with the
// truth tables (and so with each other): the policy engine's decision, and the packet
// model tracing each flow through the rules compiled into every node's dataplane
// (pods are spread over the nodes, so cross-node flows meet egress and ingress on
// different nodes). The kernel runs the same suite in src/linux.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSpec } from "../manifest/parse.js";
import { buildState } from "../control/build.js";
import { buildIR } from "../dataplane/build.js";
import { traceFlow } from "../sim/index.js";
import { decide, indexPolicies } from "./engine.js";
import {
  ALL_PODS,
  CALICO_CASES,
  type CalicoCase,
  CASES,
  conformanceManifests,
  resolvePlaceholders,
} from "./conformance.js";
import type { ClusterState } from "../control/state.js";

const CLUSTER = `apiVersion: podnet.dev/v1alpha1
kind: Cluster
name: netpol
nodes: [{name: control-plane, role: control-plane}, {name: worker-1}, {name: worker-2}]
`;

function clusterWith(
  policies: ReturnType<typeof resolvePlaceholders> | null,
  cni = "flannel",
  backend = "vxlan",
  mode = "iptables",
  objects: Record<string, unknown>[] = [],
): ClusterState {
  const cfg = CLUSTER + `networking: {cni: ${cni}, backend: ${backend}, kubeProxyMode: ${mode}}\n`;
  const pols = (policies ?? [])
    .map(
      (p) =>
        `---\n${JSON.stringify({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: p.name, namespace: p.namespace }, spec: p.spec })}`,
    )
    .concat(objects.map((o) => `\n---\n${JSON.stringify(o)}`))
    .join("\n");
  const spec = parseSpec([{ file: "netpol.yaml", text: conformanceManifests() + pols + "\n" }], {
    file: "cluster.yaml",
    text: cfg,
  });
  return buildState(spec, {});
}

for (const [cni, backend, mode] of [
  ["flannel", "vxlan", "iptables"],
  ["calico", "bgp", "nftables"],
  // Cilium: policy by identity in the BPF policy maps, kube-proxy replacement.
  ["cilium", "vxlan", "none"],
  // Calico's own policies beside the NetworkPolicies (also Calico's iptables mode).
  ["calico", "vxlan", "iptables"],
] as const) {
  for (const c of cni === "calico" && mode === "iptables" ? CALICO_CASES : CASES) {
    test(`conformance [${cni}/${backend}, ${mode}]: ${c.name}`, () => {
      const base = clusterWith(null, cni, backend, mode);
      const ipOf = (ref: string) => base.pods.find((p) => `${p.namespace}/${p.name}` === ref)!.podIP!;
      const objects = "objects" in c ? (c as CalicoCase).objects : [];
      const st = clusterWith(resolvePlaceholders(c, ipOf), cni, backend, mode, objects);
      const ir = buildIR(st);
      const ix = indexPolicies(st);
      const pod = (ref: string) => st.pods.find((p) => `${p.namespace}/${p.name}` === ref)!;
      const wrong: string[] = [];
      for (const chk of c.checks) {
        for (const f of ALL_PODS) {
          for (const t of ALL_PODS) {
            if (f === t) continue; // self traffic is implementation-defined (upstream ignores it)
            const want = chk.allowed(f, t);
            const engine = decide(
              ix,
              { kind: "pod", pod: pod(f) },
              { kind: "pod", pod: pod(t) },
              chk.protocol,
              chk.port,
            ).allowed;
            const r = traceFlow(
              ir,
              {
                from: f,
                to: t,
                port:
                  chk.protocol === "TCP" || chk.protocol === "UDP" || chk.protocol === "SCTP" ? chk.port : undefined,
                protocol: chk.protocol.toLowerCase() as "tcp",
              },
              { state: st },
            );
            const verdicts = new Set(r.paths.map((p) => p.disposition.verdict));
            const model = verdicts.size === 1 && verdicts.has("DELIVERED");
            const denied = verdicts.size === 1 && verdicts.has("DROPPED");
            if (engine !== want) wrong.push(`engine ${f} -> ${t} ${chk.protocol}/${chk.port}: ${engine} want ${want}`);
            if (model !== want || (!want && !denied)) {
              wrong.push(
                `model ${f} -> ${t} ${chk.protocol}/${chk.port}: ${[...verdicts].join(",")} (${r.paths.map((p) => p.disposition.detail).join("; ")}) want ${want ? "DELIVERED" : "DROPPED"}`,
              );
            }
            if (!want && denied) {
              // A denial names the policy side that refused it.
              const reason = r.paths[0].disposition.reason;
              if (reason !== "POLICY_DENIED")
                wrong.push(`model ${f} -> ${t}: dropped for ${reason}, want POLICY_DENIED`);
            }
          }
        }
      }
      assert.deepEqual(wrong.slice(0, 20), [], `${wrong.length} disagreements`);
    });
  }
}

test("conformance: a Service in front of a selected pod — policy sees the backend after DNAT", () => {
  const svc = `---\napiVersion: v1\nkind: Service\nmetadata: {name: svc-a, namespace: "x"}\nspec:\n  selector: {pod: "a"}\n  ports: [{name: http, port: 8000, targetPort: 80}]\n`;
  const pol = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "allow-ns-y", namespace: "x" },
    spec: {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }], ports: [{ port: 80 }] }],
    },
  };
  const spec = parseSpec(
    [{ file: "netpol.yaml", text: conformanceManifests() + svc + `---\n${JSON.stringify(pol)}\n` }],
    { file: "cluster.yaml", text: CLUSTER + "networking: {cni: flannel, backend: vxlan}\n" },
  );
  const st = buildState(spec, {});
  const ir = buildIR(st);
  const ix = indexPolicies(st);
  const pod = (ref: string) => st.pods.find((p) => `${p.namespace}/${p.name}` === ref)!;
  for (const from of ALL_PODS.filter((p) => p !== "x/a")) {
    const want = from.startsWith("y/");
    // The policy names port 80 (the pod's port), not the Service's 8000: it sees the packet after DNAT.
    assert.equal(
      decide(ix, { kind: "pod", pod: pod(from) }, { kind: "pod", pod: pod("x/a") }, "TCP", 80).allowed,
      want,
      from,
    );
    const r = traceFlow(ir, { from, to: "svc/x/svc-a" }, { state: st });
    assert.equal(r.flow.port, 8000);
    for (const p of r.paths) {
      assert.equal(p.disposition.verdict, want ? "DELIVERED" : "DROPPED", `${from}: ${p.disposition.detail}`);
      if (!want) assert.equal(p.disposition.reason, "POLICY_DENIED");
      assert.ok(
        p.hops.some((h) => h.steps.some((s) => s.action === "NAT" && s.packet.dport === 80)),
        "a DNAT step to the pod's port 80",
      );
    }
  }
});
