// kube-proxy nftables mode, modelled on pkg/proxy/nftables/proxier.go (Kubernetes
// v1.32 layout: filter-prerouting-pre-dnat / filter-output-pre-dnat at dstnat-10,
// cluster-ips-check). nodePortAddresses "primary" (nftables mode's default): NodePorts
// match the nodeport-ips set of the node's own address. Rules are libnftables JSON.
//
// Sharing as in iptables mode: one shared `ip kube-proxy` table; the per-node layer adds
// to the same table (Local traffic policies, the LoadBalancer source-range rule).

import type { ProxyMode } from "../mode.js";
import { buildNode } from "./node.js";
import { buildShared, ctxOf } from "./shared.js";

export { MASQ_MARK, TABLE, nftEndpointBase, nftServiceChains, type NftSvcChains } from "./port.js";

export const nftablesMode: ProxyMode = {
  name: "nftables",
  netfilter: "nftables",
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
