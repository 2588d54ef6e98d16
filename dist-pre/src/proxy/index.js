import { iptablesMode } from "./iptables/index.js";
import { nftablesMode } from "./nftables/index.js";
import { ipvsMode } from "./ipvs/index.js";
import { noneMode } from "./none.js";
export const proxyModes = {
    iptables: iptablesMode,
    nftables: nftablesMode,
    ipvs: ipvsMode,
    none: noneMode,
};
export { iptablesMode, serviceChains, probability, MASQ_MARK } from "./iptables/index.js";
export { nftablesMode, nftServiceChains, nftEndpointBase } from "./nftables/index.js";
export { ipvsMode, ipvsIpsets } from "./ipvs/index.js";
export { noneMode } from "./none.js";
export { servicePorts, localEndpoints, reachableEndpoints } from "./model.js";
export { portProtoHash, sepChainName, hashAndTruncate, base32Sha256 } from "./hash.js";
//# sourceMappingURL=index.js.map