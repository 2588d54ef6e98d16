import type { ClusterConfig } from "../manifest/config.js";
import type { EndpointPort } from "../manifest/types.js";
import type { ClusterState, EndpointSliceState, ServiceState } from "./state.js";
/** The schema version CoreDNS answers at dns-version.<zone> (TXT, TTL 28800). */
export declare const DNS_SCHEMA_VERSION = "1.1.0";
export declare const DNS_VERSION_TTL = 28800;
/** kubeadm's clusterDNS: the 10th address of the service range (10.96.0.10 for 10.96.0.0/12). */
export declare function clusterDnsIP(config: ClusterConfig): string;
export declare function serviceFqdn(svc: {
    name: string;
    namespace: string;
}, zone: string): string;
/** CoreDNS's endpointHostname: the endpoint's hostname, else the IP with dots (or colons) as dashes. */
export declare function endpointHostname(hostname: string | undefined, ip: string): string;
/** `10.96.0.10` → `10.0.96.10.in-addr.arpa`; IPv6 → nibble form under ip6.arpa. */
export declare function reverseName(ip: string): string | undefined;
export declare const isIPv6: (ip: string) => boolean;
export interface ReadyAddress {
    ip: string;
    hostname: string;
    ports: EndpointPort[];
}
/**
 * The addresses CoreDNS sees for a Service: CoreDNS converts EndpointSlices to Endpoints
 * keeping only endpoints whose `ready` condition is unset or true. The EndpointSlice
 * controller sets ready=true for every endpoint of a Service with
 * publishNotReadyAddresses, so a user-given slice is honoured the same way here.
 * FQDN slices carry no addresses CoreDNS serves.
 */
export declare function readyAddresses(svc: ServiceState, slices: EndpointSliceState[]): ReadyAddress[];
/** Groups slices by "ns/service" once, so per-service lookups are O(1) at scale. */
export declare function slicesByService(slices: EndpointSliceState[]): Map<string, EndpointSliceState[]>;
export declare const isHeadless: (svc: ServiceState) => boolean;
export declare const hasClusterIP: (svc: ServiceState) => boolean;
/** The apex SOA as CoreDNS writes it: ns.dns.<zone> hostmaster.<zone> serial 7200 1800 86400 <ttl>. */
export declare function soaData(zone: string, serial: number, ttl: number): Record<string, string | number>;
/** The records CoreDNS's kubernetes plugin would serve for this state. */
export declare function computeDnsRecords(state: Omit<ClusterState, "dns">): ClusterState["dns"];
