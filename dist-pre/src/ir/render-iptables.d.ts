import type { IptLayer, IptOpt, IptRule } from "./types.js";
/** An argument as iptables-restore's tokenizer reads it back. */
export declare function quoteArg(s: string): string;
/** Options as renderIptRule prints them (each with its leading space). */
export declare function optsText(opts: IptOpt[] | undefined): string;
/** One rule as `-A CHAIN …`. */
export declare function renderIptRule(chain: string, r: IptRule): string;
/** The iptables-save text of the merged layers (rendered without copying the layers). */
export declare function renderIptables(layers: IptLayer[]): string;
/** renderIptables' text as UTF-8 bytes (what a CLI writes out), without building the string. */
export declare function renderIptablesBytes(layers: IptLayer[]): Uint8Array;
