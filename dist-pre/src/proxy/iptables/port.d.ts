import type { IptOpt, IptRule } from "../../ir/types.js";
import { type ProxyEndpoint, type ProxyServicePort } from "../model.js";
import { type LayerBuilder } from "./rules.js";
/** kube-proxy's --iptables-masquerade-bit 14; kube-proxy's tests print it as 0x4000. */
export declare const MASQ_MARK = "0x4000";
/** largeClusterEndpointsThreshold: above it, per-endpoint comments are left out. */
export declare const LARGE_CLUSTER_ENDPOINTS = 1000;
export interface SvcChains {
    svc: string;
    svl: string;
    ext: string;
    fw: string;
}
export declare function serviceChains(sp: Pick<ProxyServicePort, "name" | "protocol">): SvcChains;
export declare function chainsOf(h: string): SvcChains;
/** probability(n): fmt.Sprintf("%0.10f", 1.0/float64(n)). */
export declare function probability(n: number): string;
export interface PortCtx {
    sp: ProxyServicePort;
    chains: SvcChains;
    sepByStr: Map<string, string>;
    usesFWChain: boolean;
    /** `--comment <svcPortName>` shared by the port's KUBE-SEP rules. */
    sepComment: IptOpt;
    /** The DNAT rule's options, the same for every endpoint of the port (without affinity). */
    dnatOpts?: IptOpt[];
    /** Large clusters: the DNAT rule's text between the chain name and `--to-destination` (" -m tcp -p tcp -j DNAT"). */
    dnatText?: string;
    /** "ip:port" of the endpoint chains in the shared layer (built on first per-node use). */
    sharedEps?: Set<string>;
}
export declare function probList(n: number): IptOpt[];
export interface IptCtx {
    large: boolean;
    cidr: string;
    masqAll: boolean;
    /** Service ports whose rules differ per node. */
    perNode: PortCtx[];
}
export declare function svcMatch(sp: ProxyServicePort, dst: string, port: number): IptOpt[];
export declare const MASQ_TARGET = "KUBE-MARK-MASQ";
/** writeServiceToEndpointRules: affinity checks, then the statistic ladder (appended to `c`). */
export declare function serviceToEndpointRules(c: IptRule[], ctx: IptCtx, pc: PortCtx, eps: ProxyEndpoint[], seps?: string[]): IptRule[];
export declare function writeEndpointChain(lb: LayerBuilder, ctx: IptCtx, pc: PortCtx, ep: ProxyEndpoint): void;
/** The KUBE-SEP chain's rules: hairpin masquerade, then DNAT. */
export declare function endpointRules(ctx: IptCtx, pc: PortCtx, ep: ProxyEndpoint, sep: string): IptRule[];
export declare function internalMasqRule(ctx: IptCtx, sp: ProxyServicePort): IptRule;
/** An IPv4 address in its canonical dotted-quad text as a number; -1 for any other text. */
export declare function dottedQuad(s: string): number;
