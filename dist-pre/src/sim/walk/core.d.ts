import type { NetNs } from "../../ir/types.js";
import type { CtState } from "../nfenv.js";
import type { Hook } from "../netfilter.js";
import { type Pkt } from "../packet.js";
import type { NsInfo, Topology } from "../topology.js";
import type { CompiledIR } from "../topology.js";
import type { Disposition, DropReason, Hop, StepAction, StepObject, TracePath } from "../trace.js";
import type { CtTable, CtEntry, CtRef } from "./ct-table.js";
export interface Chooser {
    choose(options: {
        p: number;
        label: string;
    }[], what: string): number;
}
/**
 * The undo log's records (restoring a fork point): plain records, not closures: a closure,
 * its context and a copied tuple per conntrack mutation were a fifth of a path's allocations.
 */
export declare class CtFieldsUndo {
    readonly e: CtEntry;
    readonly dnat: boolean;
    readonly snat: boolean;
    readonly mark: number;
    readonly confirmed: boolean;
    readonly rsrc: number;
    readonly rsport: number;
    readonly rdst: number;
    readonly rdport: number;
    constructor(e: CtEntry, dnat: boolean, snat: boolean, mark: number, confirmed: boolean, rsrc: number, rsport: number, rdst: number, rdport: number);
    undo(): void;
}
export declare class CtSlotUndo {
    readonly t: CtTable;
    readonly proto: string;
    readonly src: number;
    readonly sport: number;
    readonly dst: number;
    readonly dport: number;
    readonly old: CtRef | undefined;
    constructor(t: CtTable, proto: string, src: number, sport: number, dst: number, dport: number, old: CtRef | undefined);
    undo(): void;
}
/** A confirmed connection's two table entries and its flag, as they were before (the tuples' values of then: NAT may change them later). */
export declare class CtConfirmUndo {
    readonly t: CtTable;
    readonly e: CtEntry;
    readonly osrc: number;
    readonly osport: number;
    readonly odst: number;
    readonly odport: number;
    readonly rsrc: number;
    readonly rsport: number;
    readonly rdst: number;
    readonly rdport: number;
    readonly oldOrig: CtRef | undefined;
    readonly oldReply: CtRef | undefined;
    constructor(t: CtTable, e: CtEntry, osrc: number, osport: number, odst: number, odport: number, rsrc: number, rsport: number, rdst: number, rdport: number, oldOrig: CtRef | undefined, oldReply: CtRef | undefined);
    undo(): void;
}
/** A hook to evaluate at a fork point (see Walk.evaluate). */
export declare class HookCall {
    readonly ns: NetNs;
    readonly inf: NsInfo;
    readonly hook: Hook;
    readonly pkt: Pkt;
    readonly st: {
        state: CtState;
        e: CtEntry | null;
        reply: boolean;
    };
    readonly io: Io;
    constructor(ns: NetNs, inf: NsInfo, hook: Hook, pkt: Pkt, st: {
        state: CtState;
        e: CtEntry | null;
        reply: boolean;
    }, io: Io);
}
export type Evaluation = HookCall | (() => boolean);
export declare class FnUndo {
    readonly f: () => void;
    constructor(f: () => void);
    undo(): void;
}
export type Undo = CtFieldsUndo | CtSlotUndo | CtConfirmUndo | FnUndo;
export interface WalkOptions {
    verbose?: boolean;
    /**
     * ipset members per namespace id (the IR has no ipsets; ipvs mode's iptables rules match
     * them): "hash:ip,port" entries "10.96.0.10,udp:53", "hash:ip,port,ip" "a,tcp:80,a",
     * bitmap:port numbers, hash:net CIDRs.
     */
    ipsets?: (nsId: string) => Record<string, (string | number)[]> | undefined;
    /** Initial affinity memory ("recent" lists / nft affinity sets): name → source IPs. */
    affinity?: Record<string, string[]>;
}
export declare const MAX_HOPS = 64;
/** The devices a hook sees. */
export interface Io {
    inIf: string | undefined;
    outIf: string | undefined;
    physIn: string | undefined;
    physOut: string | undefined;
    bridged: boolean;
}
/** Every Io has every field: one shape (subsets made Env.reset's loads megamorphic, measured with --log-ic). */
export declare function io(inIf?: string, outIf?: string, physIn?: string, physOut?: string, bridged?: boolean): Io;
/**
 * Receives each finished path in fork mode. An object, not a closure: a per-trace closure
 * called from here kept every finished trace's paths alive through young-generation GCs
 * (~1.7 MB per 238-path trace promoted to old space, a fifth of such a trace's time in
 * scavenges; measured with gc({type: "minor"}) and --trace-gc-nvp). A full GC freed them, so
 * it was V8 keeping the closure from an old object, not a leak of ours.
 */
export interface PathSink {
    take(w: WalkCore): void;
}
/** A random choice where the walk cannot fork (the reply's walk): the caller replays whole walks instead. */
export declare class ForkFallback extends Error {
}
export interface Snap {
    hops: number;
    cur: Hop | null;
    steps: number;
    nHops: number;
    probability: number;
    choices: number;
    undo: number;
    pkt: Pkt;
    inner: Pkt | undefined;
}
/** Depth-first enumeration of choice sequences (an odometer over the choice points): used per
 *  evaluation while forking, and by traceFlow for the replay walk. `pos` restarts at 0 per run. */
export declare class LocalEnum implements Chooser {
    prefix: number[];
    counts: number[];
    /** The options of each choice point (kept by reference: they are the rule set's own, read-only). */
    probs: {
        p: number;
    }[][];
    pos: number;
    reset(): void;
    choose(options: {
        p: number;
    }[]): number;
    next(): boolean;
}
export declare abstract class WalkCore {
    readonly topo: Topology;
    readonly chooser: Chooser;
    readonly opts: WalkOptions;
    hops: Hop[];
    cur: Hop | null;
    probability: number;
    choices: string[];
    disposition: Disposition | null;
    ct: Map<string, CtTable>;
    recent: Map<string, Set<number>>;
    client: {
        ns: NetNs;
        ip: number;
        port: number;
        proto: string;
    } | null;
    protected nHops: number;
    /** Fork mode: a random choice forks the walk; `sink` receives each finished path. */
    fork: boolean;
    /** Called once per finished path in fork mode (the forward path is still in hops/…). */
    sink: PathSink | null;
    /** Set when the paths of the current branch were already emitted by a nested fork. */
    forked: boolean;
    /** Paths emitted so far, the cap, and whether more were left out. */
    emitted: number;
    maxPaths: number;
    truncated: boolean;
    /** Tracing the reply: choices are not forked there (see ForkFallback). */
    inReply: boolean;
    /** The choice sequence of the evaluation being replayed at a fork point. */
    protected local: LocalEnum | null;
    /** Undo log of state mutations (conntrack, affinity memory), for restoring at a fork point. */
    protected undo: Undo[];
    /** The IR's caches (the topology's CompiledIR), one load away. */
    readonly c: CompiledIR;
    constructor(topo: Topology, chooser: Chooser, opts?: WalkOptions);
    protected hop(ns: NetNs): Hop;
    protected step(action: StepAction, detail: string, pkt: Pkt, object?: StepObject): void;
    protected end(d: Disposition, pkt: Pkt, action?: StepAction): void;
    protected drop(reason: DropReason, detail: string, pkt: Pkt, object?: StepObject): void;
    /** The forward path's result, detached for the next walk (reply). */
    takePath(): TracePath;
    /** A fresh path: no hops, no verdict, probability 1, no choices. */
    protected resetOutput(): void;
    protected choose(options: {
        p: number;
        label: string;
    }[], what: string): number;
    protected forkChoose(options: {
        p: number;
    }[]): number;
    /** Fork loops under way; the probe enumerator reused by fork points that make no choice. */
    protected depth: number;
    protected probe: LocalEnum;
    /** Mutations are logged only where a fork may restore them: inside an evaluation or a fork loop. */
    protected get logging(): boolean;
    protected log(f: () => void): void;
    /** Before mutating a conntrack entry: remember its fields. */
    protected saveCt(e: CtEntry): void;
    protected restore(s: Snap, pkt: Pkt): void;
    /**
     * A fork point: `evaluate` (a netfilter hook, an IPVS pick) may make random choices;
     * `rest` is the walk after it. Without a choice this is `evaluate() && rest()`. With
     * choices, the evaluation is replayed for each sequence of its own choices (cheap), and
     * the walk after it runs once per branch from the shared prefix: the state before the
     * fork point (hops, steps, conntrack, affinity memory, the packet) is restored between
     * branches. Paths come out in the same order as enumerating whole walks depth-first.
     * Every caller calls it in tail position (nothing runs after the walk returns).
     */
    protected forkAt(pkt: Pkt, evaluate: Evaluation, rest: () => void): void;
    /** A fork point's evaluation: a hook (most of them: an object, not a closure made per hook) or a function. */
    protected evaluate(ev: Evaluation): boolean;
    protected branches(snap: Snap, pkt: Pkt, en: LocalEnum, ok: boolean, evaluate: Evaluation, rest: () => void): void;
    /** A finished path (fork mode). */
    emit(): void;
    /**
     * The hops from here on were all made after the innermost fork point under way: a branch's
     * own, dropped (never changed) when the walk goes back to that point.
     */
    protected forkFloor: number;
    /** The current path, copied (the walk may continue from a shared prefix). */
    copyPath(): TracePath;
    /** Trace the reply from a finished forward path, then put the forward state back. */
    replyPath(ns: NetNs, pkt: Pkt, detail: string): TracePath;
    protected abstract hook(ns: NetNs, inf: NsInfo, hook: Hook, pkt: Pkt, st: {
        state: CtState;
        e: CtEntry | null;
        reply: boolean;
    }, io: Io): boolean;
    protected abstract originate(ns: NetNs, pkt: Pkt, detail: string): void;
}
