// `podnet diagnose` and the named faults (manifest/faults.ts): which of the cluster's faults
// explain a failing check (its evidence names them), and what would fix each, as an operator
// would on a real cluster, and with podnet (`podnet fault clear`, or leaving out --fault /
// the config's `faults:` entry on the model).

import type { ClusterState, PodState } from "../control/state.js";
import { FAULT_KINDS, type Fault, type FaultKind, formatFault } from "../manifest/faults.js";

const ref = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

/** The faults of the given kinds; `on` narrows them to those naming one of these nodes or pods ("ns/name"). */
export function faultsOf(state: ClusterState, kinds: readonly FaultKind[], on?: ReadonlySet<string>): Fault[] {
  return (state.config.faults ?? []).filter(
    (f) =>
      kinds.includes(f.kind) &&
      (!on ||
        (f.node !== undefined && on.has(f.node)) ||
        (f.peer !== undefined && on.has(f.peer)) ||
        (f.pod !== undefined && [...on].some((x) => x === f.pod || x.startsWith(`${f.pod}-`)))),
  );
}

/** "coredns-down" / "ip-forward-off worker-1, veth-down default/web": the faults as written. */
export const faultList = (fs: readonly Fault[]) => fs.map(formatFault).join(", ");

/** " (fault: …)" for evidence, or "" when no fault explains it. */
export const faultNote = (fs: readonly Fault[]) => (fs.length ? ` (fault: ${faultList(fs)})` : "");

/** What a real operator does about each fault. */
const REMEDY: Record<FaultKind, (f: Fault) => string> = {
  "coredns-down": () => "restart CoreDNS (kubectl -n kube-system rollout restart deployment/coredns)",
  "coredns-replica-down": (f) => `restart ${f.pod} (kubectl -n kube-system delete pod: its Deployment replaces it)`,
  "dns-upstream-down": () => "fix the upstream CoreDNS forwards to (the Corefile's forward . /etc/resolv.conf)",
  "kube-proxy-down": (f) => `restart kube-proxy on ${f.node} (its DaemonSet pod): it resyncs its rules`,
  "kube-proxy-flushed": (f) => `restart kube-proxy on ${f.node}: it rewrites its chains at start`,
  "cni-bridge-down": (f) => `ip link set cni0 up on ${f.node}`,
  "veth-down": (f) => `ip link set the pod's veth up on its node (or delete ${f.pod}: a new sandbox gets a new veth)`,
  "pod-route-missing": (f) => `delete ${f.pod}: its new sandbox gets its routes from the CNI`,
  "ip-forward-off": (f) => `sysctl -w net.ipv4.ip_forward=1 on ${f.node}`,
  "rp-filter-strict": (f) => `sysctl -w net.ipv4.conf.all.rp_filter=2 (loose) on ${f.node}`,
  "underlay-link-down": (f) => `ip link set eth0 up on ${f.node}`,
  "node-partition": (f) =>
    `allow VXLAN (UDP 8472), IPIP and BGP (TCP 179) between ${f.node} and ${f.peer} (firewall, security group)`,
  "vxlan-fdb-missing": (f) =>
    `restart flannel on ${f.node} (its kube-flannel-ds pod): it re-adds the FDB entry and neighbour for ${f.peer}`,
  "mtu-mismatch": (f) => `give ${f.node}'s pods the underlay MTU minus the encapsulation (VXLAN: 50 bytes)`,
  "bgp-down": (f) => `restart calico-node on ${f.node} (BIRD); calicoctl node status shows the sessions`,
  "pod-not-ready": (f) => `make ${f.pod} ready (its readiness probe: kubectl describe pod)`,
};

/** The fix for the faults: the operator's remedy, then podnet's own way to clear them. */
export function faultFix(fs: readonly Fault[]): string {
  if (!fs.length) return "";
  const clear = fs.map((f) => `podnet fault clear '${formatFault(f)}'`).join("; ");
  return `${fs.map((f) => REMEDY[f.kind](f)).join("; ")} (podnet: ${clear}, or drop it from --fault / faults:)`;
}

/** The faults that explain a drop, by its reason and the nodes and pods the path visited. */
const BY_REASON: Record<string, FaultKind[]> = {
  LINK_DOWN: ["cni-bridge-down", "veth-down", "underlay-link-down"],
  IP_FORWARDING_DISABLED: ["ip-forward-off"],
  RP_FILTER: ["rp-filter-strict"],
  TUNNEL_ENDPOINT_MISSING: ["vxlan-fdb-missing"],
  NO_NEIGHBOUR: ["vxlan-fdb-missing"],
  MTU_EXCEEDED: ["mtu-mismatch"],
  FIB_LOOKUP_FAILED: ["pod-route-missing", "bgp-down"],
  NETFILTER_DROP: ["node-partition"],
  // A link down takes its routes along (fib_sync_down_dev): the pod's address then matches the default route.
  EXITS_CLUSTER: ["bgp-down", "cni-bridge-down"],
};

/** Nodes and pods ("ns/name") a path's hops visited, from their namespace ids. */
export function visited(state: ClusterState, nsIds: readonly string[]): Set<string> {
  const out = new Set<string>();
  const byNs = new Map<string, PodState>();
  for (const id of nsIds) {
    if (id.startsWith("node/")) out.add(id.slice(5));
    else if (id.startsWith("pod/")) {
      const key = id.slice(4);
      out.add(key);
      const p = byNs.get(key) ?? state.pods.find((x) => ref(x) === key);
      if (p?.nodeName) out.add(p.nodeName);
    }
  }
  return out;
}

/** The faults that explain a path's end (`reason`, or the verdict when it has none). */
export function faultsForDrop(state: ClusterState, reason: string, nsIds: readonly string[]): Fault[] {
  const kinds = BY_REASON[reason];
  if (!kinds) return [];
  // BGP withdrawn on one node shows on the others (the route to its blocks is gone).
  const anywhere = kinds.filter((k) => k === "bgp-down");
  return [
    ...faultsOf(
      state,
      kinds.filter((k) => k !== "bgp-down"),
      visited(state, nsIds),
    ),
    ...(anywhere.length ? faultsOf(state, anywhere) : []),
  ];
}

/** A one-line description of a fault (for `diagnose --all`). */
export const faultDesc = (f: Fault) => FAULT_KINDS[f.kind].desc;
