// Expected layouts: cilium/cilium cilium-dbg/cmd (bpf_lb_list.go: frontend, then
// "BACKEND (REVNAT_ID) (SLOT)" rows and slot 0 with the flags; bpf_ipcache_list.go;
// bpf_policy_get.go) and pkg/policy (port ranges as prefix-aligned LPM keys).
import { test } from "node:test";
import assert from "node:assert/strict";
import { portBlocks, renderIpcache, renderLbList, renderPolicyGet } from "./render-bpf.js";
import type { NodeBpf } from "./types.js";

const b: NodeBpf = {
  routerIP: "10.244.1.1",
  kubeProxyReplacement: true,
  nodePortMode: "snat",
  identities: [{ id: 12001, labels: ["k8s:app=client", "k8s:io.kubernetes.pod.namespace=default"] }],
  services: {
    local: [],
    cluster: [
      {
        address: "10.96.0.10",
        port: 53,
        protocol: "UDP",
        revNat: 2,
        backends: [1],
        flags: ["ClusterIP", "non-routable"],
        service: "kube-system/kube-dns:dns",
      },
    ],
  },
  backends: [{ id: 1, address: "10.244.1.7", port: 53, protocol: "UDP", state: "active" }],
  revNat: { cluster: [{ id: 2, address: "10.96.0.10", port: 53 }], local: [] },
  ipcache: {
    local: [],
    cluster: [
      { prefix: "10.244.2.9/32", identity: 23452, tunnelEndpoint: "172.18.0.4" },
      { prefix: "0.0.0.0/0", identity: 2 },
    ],
  },
  endpoints: [],
  policy: { 1478: [{ identity: 12001, direction: "ingress", protocol: "TCP", port: 8080, by: "x" }] },
};

test("lb list: the frontend, its backend slots, then slot 0 with the flags", () => {
  assert.equal(
    renderLbList(b),
    "SERVICE ADDRESS     BACKEND ADDRESS (REVNAT_ID) (SLOT)\n" +
      "10.96.0.10:53/UDP   10.244.1.7:53/UDP (2) (1)\n" +
      "                    0.0.0.0:0 (2) (0) [ClusterIP, non-routable]\n",
  );
});

test("ipcache list: identity, tunnel endpoint and flags", () => {
  const out = renderIpcache(b).split("\n");
  assert.equal(out[0].trim(), "IP PREFIX/ADDRESS   IDENTITY");
  assert.ok(out.includes("10.244.2.9/32       identity=23452 encryptkey=0 tunnelendpoint=172.18.0.4 flags=hastunnel"));
});

test("policy get: one row per label, the LPM prefix of the key", () => {
  const rows = renderPolicyGet(b, 1478).split("\n");
  assert.match(rows[1], /^Allow +Ingress +k8s:app=client +8080\/TCP +NONE +disabled +0 +0 +24$/);
  assert.match(rows[2], /^ +k8s:io\.kubernetes\.pod\.namespace=default/);
});

test("policy get: a deny entry says Deny in the POLICY column (bpf_policy_get.go)", () => {
  const d: NodeBpf = {
    ...b,
    policy: {
      1478: [
        {
          identity: 12001,
          direction: "ingress",
          protocol: "TCP",
          port: 8080,
          deny: true,
          by: "ns/p ingressDeny rule 0",
        },
        { identity: 12001, direction: "ingress", protocol: "TCP", port: 80, by: "ns/p ingress rule 0" },
      ],
    },
  };
  const rows = renderPolicyGet(d, 1478).split("\n");
  assert.match(rows[1], /^Deny +Ingress +k8s:app=client +8080\/TCP +NONE +disabled +0 +0 +24$/);
  assert.match(rows[3], /^Allow +Ingress +k8s:app=client +80\/TCP /);
});

test("port ranges become prefix-aligned blocks", () => {
  assert.deepEqual(portBlocks(80, 81), [{ port: 80, end: 81, bits: 15 }]);
  assert.deepEqual(portBlocks(79, 81), [
    { port: 79, end: 79, bits: 16 },
    { port: 80, end: 81, bits: 15 },
  ]);
});
