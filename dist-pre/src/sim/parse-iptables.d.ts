import type { IptLayer } from "../ir/types.js";
export declare class IptablesParseError extends Error {
    readonly file: string;
    readonly line: number;
    readonly text?: string | undefined;
    constructor(file: string, line: number, msg: string, text?: string | undefined);
}
/** Shell-like word splitting as iptables-restore does it (double quotes, backslash escapes). */
export declare function splitWords(s: string): string[];
export declare function parseIptablesSave(text: string, file?: string): IptLayer;
