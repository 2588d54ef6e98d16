import type { RR } from "./zone.js";
export declare const MAX_NAME = 255;
export declare const MAX_LABEL = 63;
export interface Edns {
    udpSize: number;
    version: number;
    do: boolean;
}
export interface ParsedQuery {
    id: number;
    opcode: number;
    rd: boolean;
    cd: boolean;
    /** The question name as sent (case preserved), labels joined by "."; "" for the root. */
    name: string;
    /** Lower-case name, for lookups and cache keys. */
    lname: string;
    /** A label contained "." or bytes outside printable ASCII: the name can match nothing. */
    odd: boolean;
    labels: Buffer[];
    qtype: number;
    qclass: number;
    /** The question used a compression pointer (never cached). */
    qCompressed: boolean;
    /** Offset just after the question. */
    qEnd: number;
    edns: Edns | null;
}
export type ParseResult = {
    kind: "query";
    q: ParsedQuery;
} | {
    kind: "error";
    id: number;
    opcode: number;
    rd: boolean;
    rcode: number;
    q?: ParsedQuery;
} | {
    kind: "drop";
};
/** Parses a request. Never throws. */
export declare function parseQuery(buf: Buffer): ParseResult;
export interface ResponseParts {
    rcode: number;
    aa: boolean;
    ra: boolean;
    answers: RR[];
    authority: RR[];
    additional: RR[];
}
/**
 * Encodes a response to `q`. `limit`: the largest message allowed (UDP: 512 without
 * EDNS, else the negotiated size; TCP: 65535). When the records do not fit, whole
 * records are dropped from the end; TC is set when an answer record was dropped
 * (miekg/dns Truncate; RFC 2181 9: dropping additional data does not set TC).
 */
export declare function encodeResponse(q: ParsedQuery, r: ResponseParts, limit: number, serverUdp: number): Buffer;
/** An error reply (FORMERR, NOTIMP, SERVFAIL, BADVERS…), echoing the question when it parsed. */
export declare function encodeError(id: number, opcode: number, rd: boolean, rcode: number, q?: ParsedQuery): Buffer;
/** A plain query (for upstream lookups and tests). */
export declare function encodeQuery(id: number, name: string, qtype: number, opts?: {
    rd?: boolean;
    edns?: number;
}): Buffer;
