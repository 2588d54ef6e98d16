/** The 32-byte SHA-256 digest of `s` (UTF-8). */
export declare function sha256(s: string): Uint8Array;
/** The first `chars` characters of base32(sha256(s)); chars ≤ 48. */
export declare function base32Sha256(s: string, chars: number): string;
/**
 * The first 6 base32 characters of the last digest computed here (by any function of this
 * module), as a 30-bit number in the characters' code-unit order ("2"-"7" sort before
 * "A"-"Z"): names that differ there sort like these numbers, without building strings.
 */
export declare function lastDigestSortKey(): number;
/** Writes the first `chars` base32 characters of the last digest computed here as ASCII bytes at dst[at]. */
export declare function lastDigestBase32Into(dst: Uint8Array, at: number, chars: number): void;
/**
 * The first 16 base32 characters of the last digest computed here as 4 int32 words of
 * ASCII codes (big endian: 4 characters a word) at dst[at] — what lastDigestBase32Into
 * writes as bytes, packed for records that hold names as words.
 */
export declare function lastDigestBase32Words(dst: Int32Array, at: number): void;
/** iptables: KUBE-SVC-/KUBE-SVL-/KUBE-EXT-/KUBE-FW- suffix for a service port. */
export declare function portProtoHash(servicePortName: string, protocol: string): string;
/** A message prefix packed once, for many digests of prefix + … (digestPrefixed). */
export interface PackedPrefix {
    s: string;
    /** Its bytes as big-endian words (the last one zero-padded); null when not ASCII. */
    words: Int32Array | null;
}
export declare function packPrefix(s: string): PackedPrefix;
/** The digest of p.s + b + c + d (for lastDigestSortKey / lastDigestBase32Into). */
export declare function digestPrefixed(p: PackedPrefix, b: string, c: string, d: string): void;
/** The digest of a + b + c + d (for lastDigestSortKey / lastDigestBase32Into), without building the string. */
export declare function digestParts(a: string, b: string, c: string, d?: string): void;
/** iptables: the KUBE-SEP-… chain of one endpoint ("10.244.1.5:80") of a service port. */
export declare function sepChainName(servicePortName: string, protocol: string, endpoint: string): string;
/** nftables: hashAndTruncate — 8 hash characters, "-", the name; cut to 240 characters. */
export declare function hashAndTruncate(name: string): string;
