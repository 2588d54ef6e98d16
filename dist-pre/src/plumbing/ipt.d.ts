import type { IptRule } from "../ir/types.js";
export declare function iptRule(...argv: string[]): IptRule;
