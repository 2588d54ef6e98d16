// Test fixtures: the upstream NetworkPolicy conformance model (test/e2e/network/netpol):
// namespaces x, y, z (label ns=<name>), pods a, b, c (label pod=<name>), each serving
// ports 80 and 81 over TCP, UDP and SCTP with container ports named serve-<port>-<proto>.
import type { ClusterState, PodState } from "../control/state.js";
import type { NetworkPolicySpec } from "../manifest/types.js";
import { emptyState, podState } from "../testing/fixtures.js";

const PROTOS = ["TCP", "UDP", "SCTP"] as const;

export function conformancePod(
  ns: string,
  name: string,
  ip: string,
  node = "worker-1",
  hostIP = "192.168.1.3",
): PodState {
  return podState(ns, name, {
    uid: `${ns}-${name}`,
    labels: { pod: name },
    spec: {
      containers: [80, 81].flatMap((port) =>
        PROTOS.map((p) => ({
          name: `cont-${port}-${p.toLowerCase()}`,
          ports: [{ name: `serve-${port}-${p.toLowerCase()}`, containerPort: port, protocol: p }],
        })),
      ),
    },
    nodeName: node,
    podIP: ip,
    hostIP,
    containerID: `${ns}-${name}`,
  });
}

export function conformanceState(
  policies: { namespace: string; name: string; spec: NetworkPolicySpec }[],
  ipBlockMatchesPods = true,
): ClusterState {
  const pods: PodState[] = [];
  let i = 10;
  for (const ns of ["x", "y", "z"])
    for (const p of ["a", "b", "c"]) pods.push(conformancePod(ns, p, `10.244.1.${i++}`));
  return emptyState({ networking: { podSubnet: "10.244.0.0/16", ipBlockMatchesPods } } as ClusterState["config"], {
    seed: "t",
    namespaces: ["x", "y", "z"].map((n) => ({ name: n, labels: { ns: n } })),
    pods,
    networkPolicies: policies,
  });
}
