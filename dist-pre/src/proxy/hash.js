// kube-proxy's chain-name hashes: base32(sha256(…)) (standard alphabet, upper case).
// iptables: pkg/proxy/iptables/proxier.go portProtoHash / servicePortEndpointChainName;
// nftables: pkg/proxy/nftables/proxier.go hashAndTruncate.
//
// SHA-256 is implemented here because a cluster at the scalability thresholds needs
// ~200k short digests per build and node:crypto's per-call overhead (~2-3 µs) dominated;
// this one reuses its buffers and packs ASCII straight into message words (~0.5 µs for
// a one-block name). Checked against node:crypto in hash.test.ts.
const K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
]);
const W = new Int32Array(64);
const H = new Int32Array(8);
/** The padded message as big-endian 32-bit words (grown on demand). */
let msg = new Int32Array(64);
const enc = new TextEncoder();
/**
 * SHA-256 of the UTF-8 bytes of a + b + c (parts, so that callers need not concatenate);
 * the 8 state words are left in H. ASCII is packed straight into message words.
 */
function sha256Words(a, b = "", c = "", d = "") {
    const n = a.length + b.length + c.length + d.length;
    const words = (((n + 8) >> 6) + 1) * 16;
    if (msg.length < words)
        msg = new Int32Array(words * 2);
    const m = msg;
    m.fill(0, 0, words);
    let k = pack(m, a, 0);
    if (k >= 0)
        k = pack(m, b, k);
    if (k >= 0)
        k = pack(m, c, k);
    if (k >= 0)
        k = pack(m, d, k);
    if (k < 0)
        return sha256Bytes(enc.encode(a + b + c + d)); // not ASCII
    return finish(m, n, words);
}
/** ASCII characters of p into m from byte offset k; the new offset, or -1 for a non-ASCII character. */
function pack(m, p, k) {
    for (let i = 0; i < p.length; i++, k++) {
        const ch = p.charCodeAt(i);
        if (ch > 127)
            return -1;
        m[k >> 2] |= ch << (24 - 8 * (k & 3));
    }
    return k;
}
function sha256Bytes(bytes) {
    const n = bytes.length;
    const words = (((n + 8) >> 6) + 1) * 16;
    if (msg.length < words)
        msg = new Int32Array(words * 2);
    const m = msg;
    m.fill(0, 0, words);
    for (let k = 0; k < n; k++)
        m[k >> 2] |= bytes[k] << (24 - 8 * (k & 3));
    return finish(m, n, words);
}
/** Padding (0x80, the bit length) and the compression of every block. */
function finish(m, n, words) {
    m[n >> 2] |= 0x80 << (24 - 8 * (n & 3));
    const bits = n * 8;
    m[words - 2] = (bits / 0x100000000) | 0;
    m[words - 1] = bits | 0;
    let h0 = 0x6a09e667 | 0, h1 = 0xbb67ae85 | 0, h2 = 0x3c6ef372 | 0, h3 = 0xa54ff53a | 0;
    let h4 = 0x510e527f | 0, h5 = 0x9b05688c | 0, h6 = 0x1f83d9ab | 0, h7 = 0x5be0cd19 | 0;
    for (let off = 0; off < words; off += 16) {
        for (let i = 0; i < 16; i++)
            W[i] = m[off + i];
        // Sums kept in int32 step by step (| 0 after each addition).
        for (let i = 16; i < 64; i++) {
            const a = W[i - 15];
            const b = W[i - 2];
            const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
            const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
            W[i] = (((W[i - 16] + s0) | 0) + ((W[i - 7] + s1) | 0)) | 0;
        }
        let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
        for (let i = 0; i < 64; i++) {
            const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
            const ch = (e & f) ^ (~e & g);
            const t1 = (((((S1 + ch) | 0) + h) | 0) + ((K[i] + W[i]) | 0)) | 0;
            const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
            const maj = (a & b) ^ (a & c) ^ (b & c);
            const t2 = (S0 + maj) | 0;
            h = g;
            g = f;
            f = e;
            e = (d + t1) | 0;
            d = c;
            c = b;
            b = a;
            a = (t1 + t2) | 0;
        }
        h0 = (h0 + a) | 0;
        h1 = (h1 + b) | 0;
        h2 = (h2 + c) | 0;
        h3 = (h3 + d) | 0;
        h4 = (h4 + e) | 0;
        h5 = (h5 + f) | 0;
        h6 = (h6 + g) | 0;
        h7 = (h7 + h) | 0;
    }
    H[0] = h0;
    H[1] = h1;
    H[2] = h2;
    H[3] = h3;
    H[4] = h4;
    H[5] = h5;
    H[6] = h6;
    H[7] = h7;
    return H;
}
/** The 32-byte SHA-256 digest of `s` (UTF-8). */
export function sha256(s) {
    const h = sha256Words(s);
    const out = new Uint8Array(32);
    for (let i = 0; i < 8; i++) {
        out[i * 4] = h[i] >>> 24;
        out[i * 4 + 1] = (h[i] >>> 16) & 0xff;
        out[i * 4 + 2] = (h[i] >>> 8) & 0xff;
        out[i * 4 + 3] = h[i] & 0xff;
    }
    return out;
}
// Base32 alphabet as character codes.
const B32 = Array.from("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", (c) => c.charCodeAt(0));
/** prefix + the first `chars` characters of base32 of the digest in H, as one flat string. */
function b32(h, chars, prefix) {
    const codes = prefix.slice();
    let acc = 0;
    let bits = 0;
    for (let i = 0; codes.length < prefix.length + chars; i++) {
        const byte = (h[i >> 2] >>> (24 - 8 * (i & 3))) & 0xff;
        acc = ((acc << 8) | byte) & 0xffff;
        bits += 8;
        while (bits >= 5 && codes.length < prefix.length + chars) {
            codes.push(B32[(acc >> (bits - 5)) & 31]);
            bits -= 5;
        }
    }
    return String.fromCharCode.apply(null, codes);
}
const NO_PREFIX = [];
const SEP_PREFIX = Array.from("KUBE-SEP-", (c) => c.charCodeAt(0));
/** The first `chars` characters of base32(sha256(s)); chars ≤ 48. */
export function base32Sha256(s, chars) {
    return b32(sha256Words(s), chars, NO_PREFIX);
}
/**
 * The first 6 base32 characters of the last digest computed here (by any function of this
 * module), as a 30-bit number in the characters' code-unit order ("2"-"7" sort before
 * "A"-"Z"): names that differ there sort like these numbers, without building strings.
 */
export function lastDigestSortKey() {
    const w = H[0];
    let k = 0;
    for (let j = 0; j < 6; j++) {
        const v = (w >>> (27 - 5 * j)) & 31;
        k = k * 32 + (v >= 26 ? v - 26 : v + 6);
    }
    return k;
}
/** Writes the first `chars` base32 characters of the last digest computed here as ASCII bytes at dst[at]. */
export function lastDigestBase32Into(dst, at, chars) {
    let acc = 0;
    let bits = 0;
    let k = 0;
    for (let i = 0; k < chars; i++) {
        acc = ((acc << 8) | ((H[i >> 2] >>> (24 - 8 * (i & 3))) & 0xff)) & 0xffff;
        bits += 8;
        while (bits >= 5 && k < chars) {
            dst[at + k++] = B32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
}
/** The 5 bits at bit p of the last digest (big endian), as a base32 character code. */
function b32At(p) {
    const w = p >> 5;
    const off = p & 31;
    const v = off <= 27 ? H[w] >>> (27 - off) : (H[w] << (off - 27)) | (H[w + 1] >>> (59 - off));
    return B32[v & 31];
}
/**
 * The first 16 base32 characters of the last digest computed here as 4 int32 words of
 * ASCII codes (big endian: 4 characters a word) at dst[at] — what lastDigestBase32Into
 * writes as bytes, packed for records that hold names as words.
 */
export function lastDigestBase32Words(dst, at) {
    for (let k = 0; k < 4; k++) {
        const p = 20 * k;
        dst[at + k] = (b32At(p) << 24) | (b32At(p + 5) << 16) | (b32At(p + 10) << 8) | b32At(p + 15);
    }
}
/** iptables: KUBE-SVC-/KUBE-SVL-/KUBE-EXT-/KUBE-FW- suffix for a service port. */
export function portProtoHash(servicePortName, protocol) {
    return b32(sha256Words(servicePortName, protocol), 16, NO_PREFIX);
}
export function packPrefix(s) {
    const w = new Int32Array((s.length + 3) >> 2);
    return { s, words: pack(w, s, 0) < 0 ? null : w };
}
/** The digest of p.s + b + c + d (for lastDigestSortKey / lastDigestBase32Into). */
export function digestPrefixed(p, b, c, d) {
    if (!p.words) {
        sha256Words(p.s, b, c, d);
        return;
    }
    const n = p.s.length + b.length + c.length + d.length;
    const words = (((n + 8) >> 6) + 1) * 16;
    if (msg.length < words)
        msg = new Int32Array(words * 2);
    const m = msg;
    m.fill(0, p.words.length, words);
    m.set(p.words);
    let k = pack(m, b, p.s.length);
    if (k >= 0)
        k = pack(m, c, k);
    if (k >= 0)
        k = pack(m, d, k);
    if (k < 0)
        sha256Bytes(enc.encode(p.s + b + c + d));
    else
        finish(m, n, words);
}
/** The digest of a + b + c + d (for lastDigestSortKey / lastDigestBase32Into), without building the string. */
export function digestParts(a, b, c, d = "") {
    sha256Words(a, b, c, d);
}
/** iptables: the KUBE-SEP-… chain of one endpoint ("10.244.1.5:80") of a service port. */
export function sepChainName(servicePortName, protocol, endpoint) {
    return b32(sha256Words(servicePortName, protocol, endpoint), 16, SEP_PREFIX);
}
/** nftables: hashAndTruncate — 8 hash characters, "-", the name; cut to 240 characters. */
export function hashAndTruncate(name) {
    const n = base32Sha256(name, 8) + "-" + name;
    return n.length > 240 ? n.slice(0, 237) + "..." : n;
}
//# sourceMappingURL=hash.js.map