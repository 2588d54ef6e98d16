import type { ClusterState } from "../control/state.js";
import { type Zone, type ZoneOptions } from "./zone.js";
export interface DnsLimits {
    /** Concurrent TCP connections (CoreDNS/Go has none; a bound keeps memory flat under a flood). */
    maxTcpConnections?: number;
    /** Close TCP connections idle this long (ms). RFC 7766 suggests seconds; CoreDNS uses 10 s read timeouts. */
    tcpIdleMs?: number;
    /** The UDP payload size this server offers and honours with EDNS0 (DNS Flag Day 2020: 1232). */
    udpPayload?: number;
    /** Cached encoded responses (cleared on every zone change). */
    cacheEntries?: number;
    /** Per-upstream timeout when forwarding (ms). */
    forwardTimeoutMs?: number;
    /** Unread TCP output allowed per connection before it is dropped (bytes). */
    maxTcpBacklog?: number;
    /** Forwarded queries in flight (kubeadm's Corefile: forward … { max_concurrent 1000 }); beyond: REFUSED. */
    maxConcurrentForwards?: number;
}
export interface DnsServerOptions {
    zone?: Zone;
    /** Called per query: lets a caller swap zones without telling the server. */
    getZone?: () => Zone;
    /** Zone options used by setState(). */
    zoneOptions?: ZoneOptions;
    /** "127.0.0.1:5353" (port 0: any free port, UDP and TCP share it). */
    listen?: string;
    /** "IP:PORT" resolvers for names outside the zones (CoreDNS's `forward`). */
    upstreams?: string[];
    limits?: DnsLimits;
    onError?: (e: unknown) => void;
}
export interface DnsServer {
    address: {
        host: string;
        port: number;
    };
    close(): Promise<void>;
    /** Swap in the zone of a new state atomically (the real network feeds changes here). */
    setState(state: ClusterState): Zone;
    setZone(zone: Zone): void;
    readonly zone: Zone;
    stats: {
        udp: number;
        tcp: number;
        errors: number;
        dropped: number;
        tcpRejected: number;
        cacheHits: number;
    };
}
export declare function startDnsServer(opts: DnsServerOptions): Promise<DnsServer>;
