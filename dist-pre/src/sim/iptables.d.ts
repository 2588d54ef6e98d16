import type { IptChain, IptLayer, IptRule } from "../ir/types.js";
import type { NfEnv, NfVerdict } from "./nfenv.js";
import { type Matcher } from "./iptables-match.js";
export { RuleError, type Matcher } from "./iptables-match.js";
export interface TargetSpec {
    kind: "accept" | "drop" | "reject" | "return" | "jump" | "goto" | "dnat" | "snat" | "masquerade" | "mark" | "connmark" | "log" | "notrack" | "none";
    chain?: string;
    /** dnat/snat */
    addr?: number;
    port?: number;
    /** mark: new = (old & ~mask) ^ xor  (the kernel's --set-xmark form) */
    mask?: number;
    xor?: number;
    /** connmark save/restore */
    connmark?: "set" | "save" | "restore";
    rejectWith?: string;
}
export interface CompiledRule {
    rule: IptRule;
    /** Has a statistic match (a random branch). */
    random: boolean;
    /** The statistic probability when it is the rule's only match (comments aside). */
    onlyStatistic?: number;
    /**
     * The common matches as plain fields, checked inline before the matcher closures (see
     * guardOk); `guarded` says whether any is set. A rule's closures, their contexts and CIDR
     * lists were several more objects to load per rule, cold in the CPU cache at 5,000 nodes
     * (each node's FLANNEL-POSTRTG rules are its own). Unset fields always pass.
     */
    guarded: boolean;
    /** Which guard fields are set (G_* bits): only those are read. */
    gm: number;
    sNet: number;
    sMask: number;
    sNeg: boolean;
    dNet: number;
    dMask: number;
    dNeg: boolean;
    /** "" = any protocol. */
    proto: string;
    protoNeg: boolean;
    markV: number;
    markM: number;
    markNeg: boolean;
    /** "" = any interface; `inPre`: a `name+` prefix. */
    inIf: string;
    inPre: boolean;
    inNeg: boolean;
    outIf: string;
    outPre: boolean;
    outNeg: boolean;
    /** Conntrack states (CT_BITS), 0 = no state match. */
    ctBits: number;
    ctNeg: boolean;
    /** The other matches, without side effects (evaluated after the guard fields). */
    pure: Matcher[];
    effectful: Matcher[];
    target: TargetSpec;
    /** The rule's chain (its iptables-save text is made only when a step shows it: ruleText). */
    chain: string;
    /** Index key for exact `-d IP/32 -p P --dport N` rules (runKey): a lookup builds no string. */
    nkey?: number;
    /** The key's destination is "*" (KUBE-NODEPORTS: any local address). */
    anyDst?: boolean;
    comment?: string;
    /**
     * A jump to a compact chain (KUBE-SVC-*, KUBE-SEP-*): its compiled chain and the layer it
     * came from, valid in every namespace where that layer owns the compact chains (jumpTo).
     */
    csub: Segment[] | undefined;
    /** null: its target was found not to be a compact chain. */
    cl: IptLayer | null | undefined;
}
/** A rule's matches without side effects (guard fields, then the closures), in evaluation order. */
export declare function matchesPure(cr: CompiledRule, e: NfEnv): boolean;
/** Render a rule as iptables-save prints it (for trace objects). */
export declare function ruleText(chain: string, r: IptRule): string;
/** Chains longer than this are not keyed by text (kube-proxy's big chains are shared objects already). */
export declare const INTERN_RULES_MAX = 64;
export declare function internKey(chain: string, r: IptRule): string;
/**
 * (dst, proto, dport) hashed to a 30-bit integer (a small integer for V8's Maps: a key of
 * 50 bits was a heap number, allocated and hashed on every lookup); -1 for other protocols.
 * A collision only adds candidates: each candidate rule is still matched in full, in order.
 */
export declare function runKey(dst: number, proto: string, dport: number): number;
/**
 * `remember`: keep the result for this rule object. A compact chain's rules are fresh objects
 * on every lookup (the caller caches the compiled chain itself): a WeakMap entry for each
 * would cost more than the compile (ephemeron tables, ~40 % of it measured) and slow every GC.
 */
export declare function compileRule(chain: string, rule: IptRule, remember?: boolean): CompiledRule;
/**
 * A run of rules that only draw a random number and jump (kube-proxy's KUBE-SVC endpoint
 * rules, statistic 1/n, 1/(n-1), …, then one unconditional jump): one n-way branch with
 * option i taken with p_i·Π_{j<i}(1−p_j) — the same distribution as rule-by-rule.
 */
export interface RandomRun {
    /** Rule indexes of the options; -1 = none matched (continue after the run). */
    idx: number[];
    options: {
        p: number;
        label: string;
    }[];
    end: number;
}
export interface IndexedRun {
    end: number;
    /** runKey → rule indexes, in order (keys that collide share one list). */
    byKey: Map<number, number[]>;
    anyDst: boolean;
}
export interface Segment {
    chain: IptChain;
    layer: string;
    rules: CompiledRule[];
    randomRuns: Map<number, RandomRun>;
    /** runStart[i] = end index (exclusive) of an indexed run starting at i. */
    runs: Map<number, IndexedRun>;
    /** `runs` and `randomRuns` as arrays by rule index, read by the rule loop (undefined: none, no array). */
    runAt: (IndexedRun | undefined)[] | undefined;
    randomAt: (RandomRun | undefined)[] | undefined;
    /** Offset of this segment's first rule in the merged chain. */
    offset: number;
    /** Trace objects of its rules, made on first use. */
    objs?: (import("./trace.js").StepObject | undefined)[];
    /** Whether its layer's role is "policy" (steps say POLICY; a drop is POLICY_DENIED). */
    policy?: boolean;
    /** Step texts per rule ("TABLE CHAIN: "comment" → "; a jump's whole text), made on first use. */
    say?: (string | undefined)[];
    jump?: (string | undefined)[];
    /** Jump slots (see jumpTo): rule index → slot in each namespace's resolved jumps. Not for compact chains. */
    jid?: (number | undefined)[];
    /** Dropped from the compact-chain cache (rules that remember it compile it again). */
    evicted?: boolean;
}
export declare function compileSegment(chain: IptChain, remember?: boolean): Omit<Segment, "offset" | "layer">;
export type { NfVerdict };
