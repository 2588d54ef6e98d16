import type { DropTag, NftChain, NftExpr, NftRule, NftSet, NftStmt, NftTable } from "../../ir/types.js";
import { type ProxyEndpoint, type ProxyServicePort } from "../model.js";
export declare const TABLE = "kube-proxy";
export declare const MASQ_MARK = 16384;
export interface NftSvcChains {
    service: string;
    local: string;
    external: string;
    firewall: string;
}
/** servicePortChainNameBase: hashAndTruncate("<ns>/<svc>/<proto>/<portName>"). */
export declare function nftServiceChains(sp: Pick<ProxyServicePort, "svc" | "port" | "protocol">): NftSvcChains;
/** servicePortEndpointChainNameBase: "<ns>/<svc>/<proto>/<portName>__<ip>/<port>". */
export declare function nftEndpointBase(sp: Pick<ProxyServicePort, "svc" | "port" | "protocol">, ep: {
    ip: string;
    port: number;
}): string;
export interface PortCtx {
    sp: ProxyServicePort;
    chains: NftSvcChains;
    epBase: Map<string, string>;
    usesFWChain: boolean;
    /** `meta l4proto tcp`, shared by the port's endpoint chains. */
    l4match: NftStmt;
}
export interface NftCtx {
    cidr: string;
    masqAll: boolean;
    perNode: PortCtx[];
}
export declare class TableBuilder {
    readonly table: NftTable;
    /** Chain names in creation order (and, in the shared table, compact chains' indexes). */
    readonly order: (string | number)[];
    constructor(comment?: string);
    chain(name: string, base?: Pick<NftChain, "type" | "hook" | "prio" | "policy">): NftChain;
    rule(chain: string, expr: NftStmt[], comment?: string, drop?: DropTag): void;
    set(s: Omit<NftSet, "elem">): NftSet;
    /** Add an element to a set declared in the shared table (re-declared here with its type). */
    elem(set: string, key: NftExpr, value?: NftExpr, comment?: string): void;
}
export declare const MAPS: Omit<NftSet, "elem">[];
export declare const key3: (ip: string, sp: ProxyServicePort, port: number) => {
    concat: (string | number)[];
};
export declare const key2: (sp: ProxyServicePort, port: number) => {
    concat: (string | number)[];
};
export declare function epBase(pc: PortCtx, ep: ProxyEndpoint): string;
/** writeServiceToEndpointRules: affinity checks, then the numgen vmap (appended to `r`). */
export declare function serviceToEndpointRules(r: NftRule[], pc: PortCtx, eps: ProxyEndpoint[], baseOf: (i: number) => string): NftRule[];
export declare const JUMP_MASQ_TEXT: string;
/** The endpoint chain's rules (and affinity set); `chain` was created in kube-proxy's order. */
export declare function writeEndpoint(tb: TableBuilder, pc: PortCtx, ep: ProxyEndpoint, chain: NftChain): void;
export declare function declareAffinity(tb: TableBuilder, pc: PortCtx, b: string): void;
/** The endpoint chain's rules: hairpin masquerade, affinity update, DNAT. */
export declare function endpointRules(pc: PortCtx, ep: ProxyEndpoint, b: string): NftRule[];
export declare function internalMasq(ctx: NftCtx, sp: ProxyServicePort): NftStmt[];
/** nftEndpointBase's text before the endpoint: "<ns>/<svc>/<proto>/<portName>__". */
export declare function endpointPrefix(sp: Pick<ProxyServicePort, "svc" | "port" | "protocol">): string;
/** An IPv4 address in its canonical dotted-quad text as a number; -1 for any other text. */
export declare function dottedQuad(s: string): number;
