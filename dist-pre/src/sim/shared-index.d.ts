export declare class SharedIndex<T extends object, K> {
    private readonly keyOf;
    private readonly ids;
    private next;
    private readonly byKey;
    constructor(keyOf: (x: T) => K);
    /** The bitset of `list`'s entries (those `keep` accepts); new entries join the index. */
    members(list: readonly T[], keep?: (x: T) => boolean): Uint32Array;
    /** Every indexed entry with this key (of any table), with its id, in index order. */
    candidates(k: K): {
        items: T[];
        ids: number[];
    } | undefined;
}
/**
 * A key with more entries than this is not a shared entry but one per node (every node's own
 * default route or underlay subnet route): such keys are answered per table (a scan, remembered).
 */
export declare const CROWDED = 16;
export declare function isMember(bits: Uint32Array, id: number): boolean;
