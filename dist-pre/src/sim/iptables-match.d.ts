import type { IptOpt, IptRule } from "../ir/types.js";
import type { NfEnv } from "./nfenv.js";
export declare class RuleError extends Error {
}
export type Matcher = (env: NfEnv) => boolean;
/** Guard kinds (bits of CompiledRule.gm: see G in iptables.ts). */
export type GuardKind = "s" | "d" | "p" | "mark" | "i" | "o" | "ct";
export declare function err(rule: IptRule, msg: string): never;
/** The guard fields of a compiled rule (see CompiledRule.guarded), as a rule's options set them. */
export interface GuardFields {
    sNet: number;
    sMask: number;
    sNeg: boolean;
    dNet: number;
    dMask: number;
    dNeg: boolean;
    proto: string;
    protoNeg: boolean;
    markV: number;
    markM: number;
    markNeg: boolean;
    inIf: string;
    inPre: boolean;
    inNeg: boolean;
    outIf: string;
    outPre: boolean;
    outNeg: boolean;
    ctBits: number;
    ctNeg: boolean;
}
/**
 * A rule being compiled: what its options said so far. Made once per rule compiled (not per
 * packet); the option families below fill it in the rule's order.
 */
export declare class RuleBuild {
    readonly rule: IptRule;
    readonly pure: Matcher[];
    readonly effectful: Matcher[];
    module: string;
    proto: string;
    comment: string | undefined;
    exactDst: number | undefined;
    exactDport: number | undefined;
    keyable: boolean;
    /** `-m recent`, collected over its options and built at the end. */
    recent: {
        name: string;
        op: string;
        neg: boolean;
        rdest: boolean;
    } | null;
    statistic: {
        mode: string;
        p: number;
        neg: boolean;
    } | null;
    /** Guard fields (see CompiledRule.guarded): the first match of each kind. */
    readonly g: GuardFields;
    /**
     * Not for rules with --match-set: its matcher may throw (unknown set contents), and a
     * guard checked first would hide that; such rules keep every match a closure, in order.
     */
    readonly guards: boolean;
    readonly kinds: Set<string>;
    constructor(rule: IptRule);
    add(o: IptOpt, m: Matcher): void;
    /** The first match of this kind, when guards are used: it becomes a guard field. */
    first(kind: GuardKind): boolean;
}
/** statistic's random branch and recent's memory: matchers with effects, run after the pure ones. */
export declare function addChoices(b: RuleBuild): void;
/** Every option of the rule, in order, into `b`: each family takes its own. */
export declare function readOptions(b: RuleBuild): void;
