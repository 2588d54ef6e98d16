// The kube-proxy modes, by name (the IR builder asks this registry; it never switches on a mode).
import type { ProxyMode } from "./mode.js";
import { iptablesMode } from "./iptables/index.js";
import { nftablesMode } from "./nftables/index.js";
import { ipvsMode } from "./ipvs/index.js";
import { noneMode } from "./none.js";

export const proxyModes: Record<"iptables" | "nftables" | "ipvs" | "none", ProxyMode> = {
  iptables: iptablesMode,
  nftables: nftablesMode,
  ipvs: ipvsMode,
  none: noneMode,
};

export type { ProxyMode, ProxyOutput } from "./mode.js";
export { iptablesMode, serviceChains, probability, MASQ_MARK } from "./iptables/index.js";
export { nftablesMode, nftServiceChains, nftEndpointBase } from "./nftables/index.js";
export { ipvsMode, ipvsIpsets } from "./ipvs/index.js";
export { noneMode } from "./none.js";
export { servicePorts, localEndpoints, reachableEndpoints } from "./model.js";
export type { ProxyServicePort, ProxyEndpoint } from "./model.js";
export { portProtoHash, sepChainName, hashAndTruncate, base32Sha256 } from "./hash.js";
