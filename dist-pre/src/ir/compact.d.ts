import type { IptChain, IptLayer, IptRule, IptTableName } from "./types.js";
import type { ByteText, TextOut } from "./text.js";
/** iptables-nft-save's table order. */
export declare const IPT_TABLE_ORDER: IptTableName[];
export declare const BUILTIN_CHAINS: Record<IptTableName, string[]>;
export interface MergedTable {
    /** Chains in output order: built-ins, then user chains sorted. */
    chains: {
        name: string;
        builtin: boolean;
        policy?: string;
        rules: IptRule[];
    }[];
}
/** Merge layers: a chain exists when any layer declares it; rules concatenate in layer order. */
export declare function mergeIptables(layers: IptLayer[]): Map<IptTableName, MergedTable>;
/**
 * A table of a layer whose chains are partly held in a compact form (kube-proxy's ~700k
 * KUBE-SEP chains at the scalability thresholds): `layer.tables[table]` materialises
 * every chain on first access; renderIptables reads the compact form instead, building
 * each compact chain's rules only while it prints them. The layer stays read-only.
 */
export interface CompactChains {
    /** The chains kept as plain IptChain objects. */
    eager: Record<string, IptChain>;
    /** Names of the compact chains (none of them is in `eager`, no two equal); may be built on first access. */
    names: string[];
    /** Optional: the number of compact chains and chain i's name, read instead of `names`. */
    count?: number;
    name?(i: number): string;
    /** The rules of compact chain i (fresh objects, equal to the materialised ones). */
    rules(i: number): IptRule[];
    /** Optional: pushes compact chain i's `-A` lines to `out`, exactly as renderIptRule prints rules(i). */
    write?(i: number, out: TextOut): void;
    /**
     * Optional: a writer of the compact chains' text to `out`, called in name order: decl(i)
     * appends chain i's declaration line (":NAME - [0:0]\n"), rules(i) its `-A` lines
     * ("\n"-terminated, as renderIptRule prints rules(i)). Making the writer may first
     * append scratch text (pieces to copy later; the renderer's output starts after it).
     */
    writer?(out: ByteText): {
        decl(i: number): void;
        rules(i: number): void;
    };
    /** Optional: the compact chains' indices in the code-unit order of their names. */
    order?(): Int32Array;
    /** Optional: the index of the compact chain named `name`, -1 if none (else looked up in `names`). */
    indexOf?(name: string): number;
}
/** Declares `layer.tables[table]` as compact (see CompactChains); `materialise` builds the plain record. */
/** The compact tables a layer declared (renderers read them instead of materialising). */
export declare function compactTablesOf(layer: IptLayer): Partial<Record<IptTableName, CompactChains>> | undefined;
export declare function defineCompactTable(layer: IptLayer, table: IptTableName, cc: CompactChains, materialise: () => Record<string, IptChain>): void;
/** Is `layer.tables[table]` compact (see defineCompactTable)? */
export declare function isCompactTable(layer: IptLayer, table: IptTableName): boolean;
/** Is `name` one of the layer's compact (built on demand) chains in `table`, not an eager one? */
export declare function isCompactChain(layer: IptLayer, table: IptTableName, name: string): boolean;
/** Does the layer declare chain `name` in `table`? (A compact table is not materialised.) */
export declare function layerHasChain(layer: IptLayer, table: IptTableName, name: string): boolean;
/** The layer's chain `name` in `table`; a compact table's compact chain is built afresh (equal to the materialised one). */
export declare function layerChain(layer: IptLayer, table: IptTableName, name: string): IptChain | undefined;
