import type { CompiledIR } from "../topology.js";
import type { NetNs } from "../../ir/types.js";
import type { NatRequest, NfEnv, NfVerdict, CtState } from "../nfenv.js";
import { type Hook } from "../netfilter.js";
import { type Pkt } from "../packet.js";
import { type NsInfo } from "../topology.js";
import { WalkCore, type Io } from "./core.js";
import { CtTable, type CtEntry, type CtRef, type Tuple } from "./ct-table.js";
export declare abstract class WalkConntrack extends WalkCore {
    protected envObj: Env | null;
    protected tracked(ns: NetNs): boolean;
    protected ctLookup(ns: NetNs, pkt: Pkt): {
        e: CtEntry;
        dir: "orig" | "reply";
    } | null;
    protected ctConfirm(ns: NetNs, e: CtEntry): void;
    /** The namespace's conntrack table; the last one is kept (a packet meets it several times in a row). */
    protected ctNs: NetNs | null;
    protected ctLast: CtTable | undefined;
    protected ctTable(ns: NetNs, create: boolean): CtTable | undefined;
    protected ctSet(t: CtTable, proto: string, k: Tuple, v: CtRef | undefined): void;
    protected env(ns: NetNs, inf: NsInfo, pkt: Pkt, st: {
        state: CtState;
        e: CtEntry | null;
        reply: boolean;
    }, io: Io): NfEnv;
    /** For Env. */
    _saveCt(e: CtEntry): void;
    _recent(name: string, key: number, add: boolean): void;
    _choose(o: {
        p: number;
        label: string;
    }[], what: string): number;
    _nat(ns: NetNs, inf: NsInfo, pkt: Pkt, e: CtEntry | null, req: NatRequest, outIf?: string): string;
    protected applyNat(_ns: NetNs, inf: NsInfo, pkt: Pkt, e: CtEntry | null, req: NatRequest, outIf?: string): string;
    /** The address of `dev` to use towards `dst` (MASQUERADE, source selection). */
    protected ifAddr(inf: NsInfo, dev: string | undefined, dst: number): number | undefined;
    /**
     * Conntrack at the start of PREROUTING/OUTPUT: find the connection, undo/redo the
     * destination NAT of an established one. Returns the state for the hooks.
     */
    protected ctIn(ns: NetNs, pkt: Pkt): {
        state: CtState;
        e: CtEntry | null;
        reply: boolean;
    };
    /** Conntrack at the end of POSTROUTING/INPUT: source NAT of an established one; confirm a new one. */
    protected ctOut(ns: NetNs, pkt: Pkt, st: {
        state: CtState;
        e: CtEntry | null;
        reply: boolean;
    }): void;
    /** The hook's steps are already in the current hop (runHook wrote them there). */
    protected hookVerdict(r: NfVerdict, pkt: Pkt): boolean;
    /** A hook, then the rest of the walk when it accepts (a fork point). */
    protected hookThen(ns: NetNs, inf: NsInfo, hook: Hook, pkt: Pkt, st: {
        state: CtState;
        e: CtEntry | null;
        reply: boolean;
    }, io: Io, rest: () => void): void;
    protected hook(ns: NetNs, inf: NsInfo, hook: Hook, pkt: Pkt, st: {
        state: CtState;
        e: CtEntry | null;
        reply: boolean;
    }, io: Io): boolean;
}
/** The netfilter view of one hook traversal (a class: cheaper than a closure bag). */
export declare class Env implements NfEnv {
    private w;
    private ns;
    private inf;
    pkt: Pkt;
    private st;
    inIf?: string;
    outIf?: string;
    physIn?: string;
    physOut?: string;
    bridged: boolean;
    ctState: CtState;
    isReplyPacket: boolean;
    notrack: boolean;
    verbose: boolean;
    constructor(w: WalkConntrack, ns: NetNs, inf: NsInfo, pkt: Pkt, st: {
        state: CtState;
        e: CtEntry | null;
        reply: boolean;
    }, io: Io);
    reset(ns: NetNs, inf: NsInfo, pkt: Pkt, st: {
        state: CtState;
        e: CtEntry | null;
        reply: boolean;
    }, io: Io): this;
    get ctDnat(): boolean;
    get ctSnat(): boolean;
    get ctMark(): number;
    set ctMark(v: number);
    isLocal(ip: number): boolean;
    isBroadcast(ip: number): boolean;
    podOf(ip: number): {
        name: string;
        local: boolean;
    } | undefined;
    choose(o: {
        p: number;
        label: string;
    }[], what: string): number;
    noteChoice(label: string): void;
    ipsetHas(name: string, dirs: string[]): boolean;
    recentHas(name: string, key: number): boolean;
    recentSet(name: string, key: number): void;
    recentRemove(name: string, key: number): void;
    recentList(name: string): number[];
    nat(req: NatRequest): string;
    view(): import("../trace.js").PacketView;
    snapshot(): () => import("../trace.js").PacketView;
}
/** ipset membership: the entry's components by shape (ip, proto:port, port, net) and the match's src/dst directions. */
export declare function ipsetMatch(c: CompiledIR, members: (string | number)[], dirs: string[], p: Pkt): boolean;
export declare const d0: (dirs: string[]) => string;
