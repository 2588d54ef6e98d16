import type { NftChain, NftExpr, NftLayer, NftRule, NftSet, NftStmt, NftTable } from "./types.js";
import { ByteText, type TextOut } from "./text.js";
export interface MergedNftTable {
    family: string;
    name: string;
    comment?: string;
    sets: NftSet[];
    chains: NftChain[];
}
export declare function mergeNft(layers: NftLayer[]): MergedNftTable[];
/** nft's symbolic priority ("dstnat - 10") for the ip/ip6/inet families. */
export declare function prioText(prio: number, hook: string): string;
/** nft's time format: 10800 → "3h", 90 → "1m30s". */
export declare function timeText(sec: number): string;
/** An expression (left or right side, set element, map value). */
export declare function exprText(e: NftExpr | undefined, hex?: boolean): string;
/** One statement of a rule. */
export declare function stmtText(s: NftStmt): string;
export declare function ruleText(r: NftRule): string;
/**
 * A table whose chains are partly held in a compact form (kube-proxy's ~700k endpoint
 * chains at the scalability thresholds): `table.chains` materialises every chain on first
 * access; renderNft reads the compact form instead. The table stays read-only.
 */
export interface CompactNftChains {
    /** The chains kept as plain NftChain objects. */
    eager: Record<string, NftChain>;
    /** All chains in creation order: an eager chain's name, or a compact chain's index. */
    order: (string | number)[];
    /** Names of the compact chains (none of them is in `eager`, none has a hook). */
    names: string[];
    /** Optional: the number of compact chains and chain i's name, read instead of `names` (which may then be built on first access). */
    count?: number;
    name?(i: number): string;
    /**
     * Optional: a writer of the compact chains' text to `out`: chain(i) appends chain i's
     * whole block ("\tchain NAME {\n", its rules, "\t}\n"), rules(i) only its rule lines
     * ("\t\t" + ruleText + "\n"). Making the writer may first append scratch text (pieces to
     * copy later; the renderer's output starts after it). Calls come in index order.
     */
    writer?(out: ByteText): {
        chain(i: number): void;
        rules(i: number): void;
    };
    /** The rules of compact chain i (fresh objects, equal to the materialised ones). */
    rules(i: number): NftRule[];
    /** Optional: pushes compact chain i's rule lines ("\t\t" + ruleText) to `out`. */
    write?(i: number, out: TextOut): void;
}
/** Declares `table.chains` as compact (see CompactNftChains). */
export declare function defineCompactNftTable(table: NftTable, cc: CompactNftChains): void;
/** The `nft list ruleset` text of the merged layers. */
export declare function renderNft(layers: NftLayer[]): string;
/** renderNft's text as UTF-8 bytes (what a CLI writes out), without building the string. */
export declare function renderNftBytes(layers: NftLayer[]): Uint8Array;
