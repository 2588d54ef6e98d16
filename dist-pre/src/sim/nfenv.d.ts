import type { DropTag } from "../ir/types.js";
import type { Pkt } from "./packet.js";
import type { PacketView, Step, StepObject } from "./trace.js";
export type CtState = "NEW" | "ESTABLISHED" | "RELATED" | "INVALID" | "UNTRACKED";
export interface NatRequest {
    kind: "dnat" | "snat" | "masquerade";
    addr?: number;
    port?: number;
    object: StepObject;
}
export interface NfEnv {
    pkt: Pkt;
    inIf?: string;
    outIf?: string;
    physIn?: string;
    physOut?: string;
    bridged: boolean;
    ctState: CtState;
    ctDnat: boolean;
    ctSnat: boolean;
    ctMark: number;
    isReplyPacket: boolean;
    isLocal(ip: number): boolean;
    isBroadcast(ip: number): boolean;
    /** A random branch: returns the index taken (the interpreter enumerates all of them). */
    choose(options: {
        p: number;
        label: string;
    }[], what: string): number;
    /** ipset membership (`-m set --match-set NAME DIRS`); throws when the set's contents are unknown. */
    ipsetHas(name: string, dirs: string[]): boolean;
    /** Record a choice that followed from earlier declined branches (the last endpoint rule). */
    noteChoice(label: string): void;
    recentHas(name: string, key: number): boolean;
    recentSet(name: string, key: number): void;
    /** The pod that has this IP ("ns/name") and whether it runs in this namespace's node (policy walkthrough). */
    podOf?(ip: number): {
        name: string;
        local: boolean;
    } | undefined;
    recentRemove(name: string, key: number): void;
    /** The members of a recent list / dynamic set (affinity memory). */
    recentList(name: string): number[];
    /** Apply a NAT target (the interpreter rewrites the packet and records it in conntrack). */
    nat(req: NatRequest): string;
    notrack: boolean;
    verbose: boolean;
    view(): PacketView;
    /** A cheap copy of the headers now, rendered only if needed. */
    snapshot(): () => PacketView;
}
export interface NfVerdict {
    verdict: "accept" | "drop" | "reject";
    object?: StepObject;
    /** The steps of this evaluation, in order. */
    steps: Step[];
    /** What decided, in words (a NetworkPolicy chain's summary). */
    detail?: string;
    /** What a drop/reject stands for, from the IR's tags (absent: a plain filter). */
    drop?: DropTag;
}
