import type { DropTag, IptChain, IptLayer, IptOpt, IptRule, IptTableName } from "../../ir/types.js";
export declare const o: (opt: string, ...args: string[]) => IptOpt;
export declare const not: (opt: string, ...args: string[]) => IptOpt;
export declare const M_COMMENT: IptOpt;
export declare const M_STATISTIC: IptOpt;
export declare const MODE_RANDOM: IptOpt;
export declare const M_RECENT: IptOpt;
export declare const M_ADDRTYPE: IptOpt;
export declare const M_CONNTRACK: IptOpt;
export declare const M_MARK: IptOpt;
export declare const DST_LOCAL: IptOpt;
export declare const SRC_LOCAL: IptOpt;
/** `-m tcp -p tcp` (kube-proxy's order). */
export declare function proto(p: string): [IptOpt, IptOpt];
export declare function comment(text: string): IptOpt[];
export declare function rule(opts: IptOpt[], target?: string, targetOpts?: IptOpt[]): IptRule;
/** kube-proxy's REJECT/DROP for a Service without endpoints (anywhere, or on this node). */
export declare const NO_ENDPOINTS: DropTag;
export declare const NO_LOCAL_ENDPOINTS: DropTag;
/** A rule whose verdict stands for `tag` (the interpreter reads it when the rule drops a packet). */
export declare function dropRule(opts: IptOpt[], target: "REJECT" | "DROP", tag: DropTag): IptRule;
/** A layer under construction. */
export declare class LayerBuilder {
    readonly layer: IptLayer;
    constructor(owner: string);
    /** Per table: chain names in creation order, for tables that record it (see track). */
    private order;
    /** Record the names of the chains created in `table` from now on into `into`. */
    track(table: IptTableName, into: {
        push(name: string): void;
    }): void;
    chain(table: IptTableName, name: string): IptChain;
    add(table: IptTableName, chain: string, r: IptRule): void;
}
