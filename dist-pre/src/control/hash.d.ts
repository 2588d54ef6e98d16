/** k8s.io/apimachinery/pkg/util/rand: consonants and digits that cannot spell words. */
export declare const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
/** FNV-1a, 32 bit, over the UTF-8 bytes (Go's hash/fnv New32a). */
export declare function fnv32a(s: string): number;
/** rand.SafeEncodeString: each byte maps to alphabet[byte % 27]. */
export declare function safeEncodeString(s: string): string;
/** JSON with sorted keys, so that equal objects hash equally. */
export declare function stableJson(v: unknown): string;
export declare function templateHash(template: unknown, seed: string, collisionCount?: number): string;
/** utilrand.String(n): n characters from the safe alphabet (generateName suffixes). */
export declare function randomSuffix(key: string, n?: number): string;
declare function hex8(n: number): string;
/** 32 hex characters from a key (fast; used for UIDs). */
export declare function hex32(key: string): string;
/** A UID in the 8-4-4-4-12 form, version-4 style like the API server's. Built as one flat
 *  string (150,000 of them are kept: concatenation would keep rope nodes). */
export declare function uidFor(key: string): string;
export declare function sha1Hex(s: string): string;
export declare function sha256Hex(s: string): string;
/** A deterministic offset in [0, n) for a key. */
export declare function pick(key: string, n: number): number;
export { hex8 };
