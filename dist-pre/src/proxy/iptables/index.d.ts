import type { ProxyMode } from "../mode.js";
export { LARGE_CLUSTER_ENDPOINTS, MASQ_MARK, probability, serviceChains, type SvcChains } from "./port.js";
export declare const iptablesMode: ProxyMode;
