// UTF-8 lengths as the kernel counts the bytes (TextEncoder is the reference here).
import { test } from "node:test";
import assert from "node:assert/strict";
import { fitUtf8, utf8Length } from "./utf8.js";

const enc = new TextEncoder();

test("utf8Length agrees with TextEncoder, lone surrogates included", () => {
  for (const s of ["", "abc", "é", "€uro", "🙂x", "a\ud800b", "日本語テキスト"])
    assert.equal(utf8Length(s), enc.encode(s).length, JSON.stringify(s));
});

test("fitUtf8: the longest whole-character start within the bytes", () => {
  assert.equal(fitUtf8("abcdef", 4), "abcd");
  assert.equal(fitUtf8("aé", 2), "a"); // é takes 2 bytes: 3 in all
  assert.equal(fitUtf8("a🙂", 4), "a"); // never half a surrogate pair
  assert.equal(fitUtf8("a🙂", 5), "a🙂");
  assert.equal(fitUtf8("short", 128), "short");
  // A long name list is cut in one pass (the old cut re-encoded per character).
  const long = Array.from({ length: 20000 }, (_, i) => `default/np${i}`).join(", ");
  const cut = fitUtf8(long, 125);
  assert.ok(
    enc.encode(cut).length <= 125 && long.startsWith(cut) && enc.encode(long.slice(0, cut.length + 1)).length > 125,
  );
});
