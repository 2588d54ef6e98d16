import type { ClusterState } from "../control/state.js";
export type PodsMode = "insecure" | "verified" | "disabled";
export type Rcode = "NOERROR" | "FORMERR" | "SERVFAIL" | "NXDOMAIN" | "NOTIMP" | "REFUSED";
export declare const RCODE: Record<Rcode, number>;
export declare const QTYPE: {
    readonly A: 1;
    readonly NS: 2;
    readonly CNAME: 5;
    readonly SOA: 6;
    readonly PTR: 12;
    readonly MX: 15;
    readonly TXT: 16;
    readonly AAAA: 28;
    readonly SRV: 33;
    readonly OPT: 41;
    readonly IXFR: 251;
    readonly AXFR: 252;
    readonly ANY: 255;
};
export type RRType = "A" | "AAAA" | "CNAME" | "PTR" | "NS" | "TXT" | "SRV" | "SOA";
export declare function typeName(t: number): string;
export declare function typeNumber(t: string | number): number | undefined;
export interface Srv {
    priority: number;
    weight: number;
    port: number;
    target: string;
}
export interface Soa {
    mname: string;
    rname: string;
    serial: number;
    refresh: number;
    retry: number;
    expire: number;
    minimum: number;
}
export type RR = {
    name: string;
    type: "A" | "AAAA" | "CNAME" | "PTR" | "NS";
    ttl: number;
    data: string;
} | {
    name: string;
    type: "TXT";
    ttl: number;
    data: string[];
} | {
    name: string;
    type: "SRV";
    ttl: number;
    data: Srv;
} | {
    name: string;
    type: "SOA";
    ttl: number;
    data: Soa;
};
export interface Question {
    name: string;
    type: string | number;
    class?: string | number;
}
export interface AnswerFlags {
    /** The server has upstreams: names outside the zones (and reverse misses) are forwarded. */
    forward?: boolean;
}
export interface ZoneAnswer {
    rcode: Rcode;
    aa: boolean;
    /** Recursion available: set for answers that stand in for the upstream resolver. */
    ra: boolean;
    answers: RR[];
    authority: RR[];
    additional: RR[];
    /** The server should forward the query to its upstreams (outside the zones / fallthrough). */
    forward?: boolean;
    /** An ExternalName's target outside the zone: the server appends the upstream's answer. */
    chase?: {
        name: string;
        type: number;
    };
}
export interface ZoneOptions {
    /** CoreDNS kubernetes plugin default 5; kubeadm's Corefile sets 30. */
    ttl?: number;
    /** `pods insecure|verified|disabled` (CoreDNS default disabled; kubeadm insecure). */
    pods?: PodsMode;
    /** SOA serial. CoreDNS uses the Unix time of the last API change; default: the state's clock + 1. */
    serial?: number;
}
export interface Zone {
    readonly zone: string;
    readonly serial: number;
    readonly ttl: number;
    answer(q: Question, flags?: AnswerFlags): ZoneAnswer;
    /** True when the name lies in a zone this server is authoritative for. */
    inZone(name: string): boolean;
}
export declare function createZone(state: Omit<ClusterState, "dns"> & Partial<Pick<ClusterState, "dns">>, opts?: ZoneOptions): Zone;
/** dnsutil.ExtractAddressFromReverse: a full reverse name → the IP, else undefined. */
export declare function addressFromReverse(l: string): string | undefined;
