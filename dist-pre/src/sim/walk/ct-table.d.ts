export interface Tuple {
    src: number;
    sport: number;
    dst: number;
    dport: number;
}
export interface CtEntry {
    proto: string;
    orig: Tuple;
    reply: Tuple;
    dnat: boolean;
    snat: boolean;
    mark: number;
    confirmed: boolean;
}
export type CtRef = {
    e: CtEntry;
    dir: "orig" | "reply";
};
/**
 * One namespace's conntrack table. A trace's tables hold a few entries each (the undo log
 * removes a branch's), so a scan of a flat array beats hashing a key built per lookup.
 */
export declare class CtTable {
    /**
     * Four numbers per entry (src, sport, dst, dport), its protocol and its value; `count`
     * entries are live. The arrays never shrink: every path of a fork adds and removes the
     * same few entries, and shrinking them made each path allocate them again (measured).
     */
    private nums;
    private protos;
    private vals;
    private count;
    private at;
    get(proto: string, src: number, sport: number, dst: number, dport: number): CtRef | undefined;
    set(proto: string, src: number, sport: number, dst: number, dport: number, v: CtRef | undefined): void;
}
