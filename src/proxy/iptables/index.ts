// kube-proxy iptables mode, modelled on pkg/proxy/iptables/proxier.go as of Kubernetes
// v1.31 (syncProxyRules; KUBE-FIREWALL is written by kube-proxy itself since
// localhostNodePorts defaults to true for IPv4). Rules keep kube-proxy's own argument
// order. The jumps from built-in chains are what `iptables -I` (EnsureRule Prepend)
// leaves after kubelet (KUBE-FIREWALL first) and kube-proxy ran.
//
// Sharing: one layer holds everything that is the same on every node; the per-node
// layer adds the node-dependent rules (Local traffic policies, LoadBalancer firewall
// tail, and the final KUBE-NODEPORTS jump so it stays last in nat KUBE-SERVICES).
// The per-node layer must follow the shared layer (chains concatenate in layer order).

import type { ProxyMode } from "../mode.js";
import { buildNode } from "./node.js";
import { buildShared, ctxOf } from "./shared.js";

export { LARGE_CLUSTER_ENDPOINTS, MASQ_MARK, probability, serviceChains, type SvcChains } from "./port.js";

export const iptablesMode: ProxyMode = {
  name: "iptables",
  netfilter: "iptables",
  externalLocalBypass: true,
  shared(state) {
    return buildShared(state).out;
  },
  perNode(state, node, shared) {
    let ctx = ctxOf.get(shared);
    if (!ctx) ctx = buildShared(state).ctx;
    return buildNode(state, node, ctx);
  },
};
