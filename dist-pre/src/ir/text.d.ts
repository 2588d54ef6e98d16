/** Sorts strings in place by UTF-16 code units (as Array.prototype.sort without a comparator). */
export declare function sortCodeUnits(a: string[]): string[];
/**
 * The indices of `a` in the strings' code-unit order, equal strings in index order: an
 * MSD radix sort, several times faster than a comparison sort on the ~700k KUBE-SEP-…
 * names of a large cluster (they share their first 9 characters).
 */
export declare function sortedOrder(a: string[]): Int32Array;
/** Where rendered lines go. */
export interface TextOut {
    /** One line, or several joined by "\n" (no trailing "\n"). */
    push(line: string): void;
}
/** A zeroed Int32Array of n elements; a large one held as newBytes explains. */
export declare function bigInt32Array(n: number): Int32Array;
/** A zeroed Uint8Array of n elements; a large one held as newBytes explains. */
export declare function bigUint8Array(n: number): Uint8Array;
/**
 * Text as UTF-8 bytes in one growing buffer: a large ruleset is ~200 MB, and copying
 * bytes (copyWithin, for repeated pieces) is cheaper than building and joining millions of
 * strings (the string, when wanted, is decoded once at the end).
 */
export declare class ByteText implements TextOut {
    private pieceAt;
    /**
     * A constant piece written once into the buffer (ahead of the output that copies it) and
     * its offset: the compact chains' writers copy their repeated texts from there.
     */
    piece(s: string): number;
    buf: Uint8Array<ArrayBufferLike>;
    n: number;
    /** Only ASCII written so far. */
    ascii: boolean;
    /** The buffer, with room for k more bytes at n. */
    room(k: number): Uint8Array;
    push(line: string): void;
    /** `s` (no newline added); leaves room for one more byte. */
    str(s: string): void;
    private utf8;
    byte(c: number): void;
    /** Appends bytes [from, to) of this text (written earlier). */
    copy(from: number, to: number): void;
    bytes(from?: number): Uint8Array;
    text(from?: number): string;
}
/** b[p, p + len) copied to n (the pieces repeat: names, constant texts). */
export declare function putCopy(b: Uint8Array, n: number, p: number, len: number): number;
/** `count` int32 words of `a` from i, each as 4 bytes (big endian: characters packed by the caller). */
export declare function putWords(b: Uint8Array, n: number, a: Int32Array, i: number, count: number): number;
/** A non-negative integer's decimal digits. */
export declare function putUint(b: Uint8Array, n: number, x: number): number;
/** An IPv4 address (a uint32 in an int32) as a dotted quad. */
export declare function putIp(b: Uint8Array, n: number, v: number): number;
