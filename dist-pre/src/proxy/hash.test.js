import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { base32Sha256, digestParts, digestPrefixed, lastDigestBase32Into, lastDigestBase32Words, lastDigestSortKey, packPrefix, sha256, } from "./hash.js";
test("sha256 equals node:crypto's for lengths around the block boundaries and for UTF-8", () => {
    const inputs = ["", "abc", "é漢字🙂"];
    for (let n = 0; n < 200; n++)
        inputs.push("x".repeat(n) + n);
    for (const s of inputs)
        assert.equal(Buffer.from(sha256(s)).toString("hex"), createHash("sha256").update(s).digest("hex"), JSON.stringify(s));
});
test("base32Sha256 is RFC 4648 base32 of the digest", () => {
    // base32("f" * …) reference: the digest's base32 from an independent encoder.
    const enc = (b) => {
        const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let bits = "";
        for (const x of b)
            bits += x.toString(2).padStart(8, "0");
        let s = "";
        for (let i = 0; i + 5 <= bits.length; i += 5)
            s += A[parseInt(bits.slice(i, i + 5), 2)];
        return s;
    };
    for (const s of ["default/auth-service:httptcp", "a", "x".repeat(100)]) {
        const d = createHash("sha256").update(s).digest();
        assert.equal(base32Sha256(s, 16), enc(d).slice(0, 16));
        assert.equal(base32Sha256(s, 8), enc(d).slice(0, 8));
    }
});
test("digestPrefixed / digestParts leave the digest of the concatenation (key, base32 characters)", () => {
    const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const b32 = (d, n) => {
        let bits = "";
        for (const x of d)
            bits += x.toString(2).padStart(8, "0");
        let s = "";
        for (let i = 0; i < 5 * n; i += 5)
            s += A[parseInt(bits.slice(i, i + 5), 2)];
        return s;
    };
    const cases = [
        ["default/auth-service:httptcp", "10.244.1.5", ":", "8080"],
        ["ns-12/svc-345/tcp/http__", "10.130.228.2", "/", "9090"],
        ["x".repeat(53), "1.2.3.4", ":", "80"], // crosses the one-block limit
        ["é/", "1.2.3.4", ":", "80"], // not ASCII
        ["", "", "", ""],
    ];
    for (const [a, b, c, d] of cases) {
        const want = b32(createHash("sha256")
            .update(a + b + c + d)
            .digest(), 16);
        const out = new Uint8Array(16);
        digestPrefixed(packPrefix(a), b, c, d);
        lastDigestBase32Into(out, 0, 16);
        assert.equal(String.fromCharCode(...out), want, JSON.stringify(a));
        // The sort key orders like the first 6 characters ("2"-"7" before "A"-"Z").
        const key = lastDigestSortKey();
        const rank = (ch) => (ch >= "2" && ch <= "7" ? ch.charCodeAt(0) - 50 : ch.charCodeAt(0) - 65 + 6);
        assert.equal(key, [...want.slice(0, 6)].reduce((k, ch) => k * 32 + rank(ch), 0));
        digestParts(a, b, c, d);
        lastDigestBase32Into(out, 0, 16);
        assert.equal(String.fromCharCode(...out), want);
        // The same 16 characters packed 4 to a big-endian word.
        const words = new Int32Array(6);
        lastDigestBase32Words(words, 1);
        const chars = Array.from({ length: 16 }, (_, k) => (words[1 + (k >> 2)] >>> (24 - 8 * (k & 3))) & 255);
        assert.equal(String.fromCharCode(...chars), want);
        assert.equal(words[0], 0);
        assert.equal(words[5], 0);
    }
});
//# sourceMappingURL=hash.test.js.map