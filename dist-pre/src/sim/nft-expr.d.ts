import type { NfRole, NftChain, NftSet, NftTable } from "../ir/types.js";
import type { NfEnv } from "./nfenv.js";
/** A merged nftables table as the evaluator reads it (by name; a Map will do). */
export interface NftView {
    family: string;
    name: string;
    chains: {
        get(name: string): NftChain | undefined;
        has(name: string): boolean;
    };
    sets: {
        get(name: string): NftSet | undefined;
        has(name: string): boolean;
    };
    /** The layer that defined a chain first. */
    owners: {
        get(name: string): string | undefined;
    };
    /** The table's tags (NftTable's): what it is for; a NetworkPolicy table's maps. */
    role?: NfRole;
    policyMaps?: NftTable["policyMaps"];
}
export declare class NftError extends Error {
}
type Ty = "addr" | "port" | "proto" | "int" | "str" | "ctstate" | "concat";
type Val = number | string | Val[];
interface Typed {
    ty: Ty;
    v: Val;
    tys?: Ty[];
    /** Concatenations: the component types as one string (the set index's key). */
    sig?: string;
}
export declare function evalExpr(e: any, env: NfEnv): Typed;
export declare function lit(ty: Ty, x: any): Val;
/** Does `v` (of type ty) match the set element / literal `r`? `@name` reads the view's set
 *  (dynamic sets also hold what `update @set` added during this trace). */
export declare function matchOne(t: Typed, r: any, view: NftView, env: NfEnv): boolean;
interface SetIndex {
    /** One component: the literal's value → the first element's position. */
    exact: Map<unknown, number> | null;
    /** Concatenations: components encoded as uint32 (strings by their intern number),
     *  hashed; `slots` hold each distinct key's position and components, chained by hash. */
    hashed: {
        width: number;
        first: Map<number, number>;
        pos: Int32Array;
        next: Int32Array;
        comp: Uint32Array;
    } | null;
    /** Positions of elements evaluated with matchOne, in order. */
    scan: number[];
}
/** How a Source reads its list: a named set/map, an anonymous set, an anonymous vmap's [key, value] pairs. */
declare enum Kind {
    Named = 0,
    Anon = 1,
    Pairs = 2
}
export interface Source {
    list: NftSet | any[];
    kind: Kind;
    /** Length of the element list when indexed (a changed list is re-indexed). */
    len: number;
    /** By key type signature ("addr", "concat:addr,proto,port", …). */
    bySig: Map<string, SetIndex>;
    /** numgen: Number(key) → first position. */
    byNum?: Map<number, number>;
    numgen?: {
        n: number;
        off: number;
        opts: {
            p: number;
            label: string;
        }[];
        what: string;
    };
}
/** The indexed element list of a named set/map or of an anonymous set (`pairs`: [key, value] elements of an anonymous vmap). */
export declare function sourceOf(list: NftSet | any[], pairs: boolean): Source;
export declare function valueAt(src: Source, i: number): any;
/** The position of the first element of `src` that matches `t`, or -1. */
export declare function lookup(src: Source, t: Typed, view: NftView, env: NfEnv): number;
/** numgen vmap: the first element whose key is numerically `k`, or -1. */
export declare function numPos(src: Source, k: number): number;
export declare function verdictOf(v: any): {
    kind: string;
    target?: string;
} | null;
export declare function nftRuleText(expr: any[]): string;
export {};
