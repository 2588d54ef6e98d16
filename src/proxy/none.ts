// kube-proxy disabled (e.g. Cilium's kube-proxy replacement): no Service rules.
import type { ProxyMode } from "./mode.js";

export const noneMode: ProxyMode = {
  name: "none",
  netfilter: "iptables",
  externalLocalBypass: false,
  shared() {
    return {};
  },
  perNode() {
    return {};
  },
};
