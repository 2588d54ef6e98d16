import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { base32Sha256, sha256 } from "./hash.js";

test("sha256 equals node:crypto's for lengths around the block boundaries and for UTF-8", () => {
  const inputs = ["", "abc", "é漢字🙂"];
  for (let n = 0; n < 200; n++) inputs.push("x".repeat(n) + n);
  for (const s of inputs) assert.equal(Buffer.from(sha256(s)).toString("hex"), createHash("sha256").update(s).digest("hex"), JSON.stringify(s));
});

test("base32Sha256 is RFC 4648 base32 of the digest", () => {
  // base32("f" * …) reference: the digest's base32 from an independent encoder.
  const enc = (b: Uint8Array) => {
    const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bits = "";
    for (const x of b) bits += x.toString(2).padStart(8, "0");
    let s = "";
    for (let i = 0; i + 5 <= bits.length; i += 5) s += A[parseInt(bits.slice(i, i + 5), 2)];
    return s;
  };
  for (const s of ["default/auth-service:httptcp", "a", "x".repeat(100)]) {
    const d = createHash("sha256").update(s).digest();
    assert.equal(base32Sha256(s, 16), enc(d).slice(0, 16));
    assert.equal(base32Sha256(s, 8), enc(d).slice(0, 8));
  }
});
