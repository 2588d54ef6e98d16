// The control plane's side of the named faults (manifest/faults.ts), pure:
//   - coredns-down, coredns-replica-down POD, pod-not-ready POD: the pods are not ready.
//     kubelet reports Ready False when a container stops or its readiness probe fails; the
//     EndpointSlice controller keeps the endpoint with ready: false (serving false), and
//     kube-proxy and CoreDNS use ready endpoints only
//     (kubernetes pkg/controller/endpointslice, staging/src/k8s.io/endpointslice/utils.go
//     podToEndpoint; https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#conditions).
//   - kube-proxy-down NODE: kube-proxy on the node stopped; its rules stay as it last wrote
//     them. The state records, per node, the Services and EndpointSlices kube-proxy last
//     synced (`kubeProxySynced`): taken when the fault is first seen (the state built with
//     the fault: kube-proxy synced once, then stopped) and kept through later changes
//     (apply, delete, scale), so a scale after the fault leaves the node's rules stale.
//     The dataplane builds that node's kube-proxy rules from the record.
// The dataplane's faults (links, routes, sysctls, FDB) are applied to the IR by
// dataplane/faults.ts; dns-upstream-down by the resolver (dns/resolver.ts).

import type { Fault } from "../manifest/faults.js";
import { formatFault } from "../manifest/faults.js";
import type { ClusterState, EndpointSliceState, PodState, ServiceState } from "./state.js";

/** What kube-proxy on a stopped node last synced. */
export interface KubeProxySynced {
  services: ServiceState[];
  endpointSlices: EndpointSliceState[];
}

const COREDNS_LABEL = "k8s-app";
const isCoreDns = (p: PodState) => p.namespace === "kube-system" && p.labels[COREDNS_LABEL] === "kube-dns";

/**
 * The pod a fault names: "ns/name" exactly, else the one pod of the namespace whose name is
 * `name-…` (a workload's single pod, as `podnet` commands accept). A string is the error.
 */
export function faultPod(pods: readonly PodState[], ref: string): PodState | string {
  const slash = ref.indexOf("/");
  const ns = slash > 0 ? ref.slice(0, slash) : "default";
  const name = ref.slice(slash + 1);
  const inNs = pods.filter((p) => p.namespace === ns && !p.terminating);
  const exact = inNs.find((p) => p.name === name);
  if (exact) return exact;
  const pre = inNs.filter((p) => p.name.startsWith(`${name}-`));
  if (pre.length === 1) return pre[0];
  if (pre.length > 1)
    return `pod ${ns}/${name} is ambiguous: ${pre
      .slice(0, 5)
      .map((p) => p.name)
      .join(", ")}${pre.length > 5 ? ", …" : ""}`;
  return `no pod ${ns}/${name.slice(0, 63)}`;
}

/** The pods the faults keep not ready ("ns/name"). */
function notReadyPods(faults: readonly Fault[], pods: readonly PodState[]): Set<string> {
  const out = new Set<string>();
  for (const f of faults) {
    if (f.kind === "coredns-down") {
      for (const p of pods) if (isCoreDns(p)) out.add(`${p.namespace}/${p.name}`);
    } else if ((f.kind === "coredns-replica-down" || f.kind === "pod-not-ready") && f.pod) {
      const p = faultPod(pods, f.pod);
      if (typeof p !== "string") out.add(`${p.namespace}/${p.name}`);
    }
  }
  return out;
}

/**
 * The pods with the readiness faults applied: a new object for each pod a fault makes not
 * ready (the others are the same objects). Called by reconcile before the EndpointSlices.
 */
export function applyReadinessFaults(faults: readonly Fault[], pods: PodState[]): PodState[] {
  if (!faults.length) return pods;
  const down = notReadyPods(faults, pods);
  if (!down.size) return pods;
  return pods.map((p) => (p.ready && down.has(`${p.namespace}/${p.name}`) ? { ...p, ready: false } : p));
}

/** Per node with kube-proxy-down: the view it last synced (kept from `prev`, else `state`'s own). */
export function kubeProxySyncedOf(
  faults: readonly Fault[],
  prev: ClusterState,
  state: ClusterState,
): Record<string, KubeProxySynced> | undefined {
  let out: Record<string, KubeProxySynced> | undefined;
  for (const f of faults) {
    if (f.kind !== "kube-proxy-down" || !f.node) continue;
    out ??= {};
    out[f.node] = prev.kubeProxySynced?.[f.node] ?? {
      services: state.services,
      endpointSlices: state.endpointSlices,
    };
  }
  return out;
}

/** What is wrong with the faults against the state: one line per fault naming a node or pod that does not exist. */
export function faultErrors(state: ClusterState): string[] {
  const errs: string[] = [];
  const nodes = new Set(state.nodes.map((n) => n.name));
  const nodeList = state.nodes.map((n) => n.name).join(", ");
  for (const f of state.config.faults ?? []) {
    const at = `fault "${formatFault(f)}"`;
    for (const n of [f.node, f.peer])
      if (n !== undefined && !nodes.has(n)) errs.push(`${at}: no node ${n.slice(0, 63)} (nodes: ${nodeList})`);
    if (f.node && f.peer && f.node === f.peer) errs.push(`${at}: the two nodes must differ`);
    if (f.pod) {
      const p = faultPod(state.pods, f.pod);
      if (typeof p === "string") errs.push(`${at}: ${p}`);
      else if (f.kind === "coredns-replica-down" && !isCoreDns(p))
        errs.push(`${at}: ${p.namespace}/${p.name} is not a CoreDNS pod (kube-system, k8s-app=kube-dns)`);
      else if ((f.kind === "veth-down" || f.kind === "pod-route-missing") && (p.spec.hostNetwork || !p.podIP))
        errs.push(`${at}: ${p.namespace}/${p.name} has no network namespace of its own (hostNetwork or not running)`);
    }
    const net = state.config.networking;
    const cni = `${net.cni} ${net.backend}`;
    if (f.kind === "bgp-down" && !(net.cni === "calico" && (net.backend === "bgp" || net.backend === "ipip")))
      errs.push(`${at}: needs Calico with BGP (backend bgp or ipip: BIRD); this cluster runs ${cni}`);
    if (f.kind === "cni-bridge-down" && net.cni !== "flannel")
      errs.push(`${at}: ${net.cni} uses no bridge (its pods' veths are routed); this cluster runs ${cni}`);
    if (
      (f.kind === "vxlan-fdb-missing" || f.kind === "mtu-mismatch") &&
      net.backend !== "vxlan" &&
      !(f.kind === "mtu-mismatch" && net.backend === "ipip")
    )
      errs.push(
        `${at}: needs an encapsulating backend (${f.kind === "mtu-mismatch" ? "vxlan or ipip" : "vxlan"}); this cluster runs ${cni}`,
      );
  }
  return errs;
}
