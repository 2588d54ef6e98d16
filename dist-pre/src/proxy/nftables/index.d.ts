import type { ProxyMode } from "../mode.js";
export { MASQ_MARK, TABLE, nftEndpointBase, nftServiceChains, type NftSvcChains } from "./port.js";
export declare const nftablesMode: ProxyMode;
