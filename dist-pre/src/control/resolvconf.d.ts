import type { ClusterConfig } from "../manifest/config.js";
import type { PodSpec } from "../manifest/types.js";
export declare const MAX_DNS_NAMESERVERS = 3;
export declare const MAX_DNS_SEARCH_PATHS = 32;
export declare const MAX_DNS_SEARCH_LIST_CHARS = 2048;
export interface DnsSettings {
    nameservers: string[];
    searches: string[];
    options: string[];
}
type Ev = {
    type: "Normal" | "Warning";
    reason: string;
    message: string;
};
/**
 * Options are merged by name with the pod's value winning. kubelet rebuilds the list
 * from a Go map (random order); podnet keeps the first-seen order of names, which is
 * one of the orders kubelet can produce and keeps output deterministic.
 */
export declare function mergeDNSOptions(existing: string[], pod: {
    name: string;
    value?: string;
}[]): string[];
/** The search list trimmed to kubelet's limits; `exceeded` means a DNSConfigForming warning. */
export declare function formDNSSearchFitsLimits(composed: string[]): {
    searches: string[];
    exceeded: boolean;
};
/** The DNS settings kubelet hands the runtime for this pod, plus its warning events. */
export declare function podDnsSettings(config: ClusterConfig, namespace: string, spec: PodSpec): {
    settings: DnsSettings;
    events: Ev[];
};
/** containerd's resolv.conf rendering (CRI parseDNSOptions). */
export declare function renderResolvConf(s: DnsSettings): string;
export declare function resolvConfFor(config: ClusterConfig, namespace: string, spec: PodSpec): {
    text: string;
    events: {
        type: "Normal" | "Warning";
        reason: string;
        message: string;
    }[];
};
/** Reads resolv.conf text back (for the resolver walk): the last search/domain line wins, as in glibc. */
export declare function parseResolvConf(text: string): DnsSettings & {
    ndots: number;
};
export {};
