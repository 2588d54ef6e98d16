// Deterministic stand-ins for the randomness Kubernetes has (pod name suffixes, template
// hashes, UIDs, container IDs). Everything derives from the seed plus a stable key, so the
// same inputs give the same names; a different seed gives different names.
import * as crypto from "node:crypto";

/** k8s.io/apimachinery/pkg/util/rand: consonants and digits that cannot spell words. */
export const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

const enc = new TextEncoder();

/** FNV-1a, 32 bit, over the UTF-8 bytes (Go's hash/fnv New32a). */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      h ^= c;
      h = Math.imul(h, 0x01000193);
    } else {
      for (const b of enc.encode(s[i])) {
        h ^= b;
        h = Math.imul(h, 0x01000193);
      }
    }
  }
  return h >>> 0;
}

/** murmur3's finaliser: spreads FNV's weak low bits before we cut the value into digits. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** rand.SafeEncodeString: each byte maps to alphabet[byte % 27]. */
export function safeEncodeString(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/** JSON with sorted keys, so that equal objects hash equally. */
export function stableJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return "[" + v.map(stableJson).join(",") + "]";
  const keys = Object.keys(v as object)
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .sort();
  return "{" + keys.map((k) => JSON.stringify(k) + ":" + stableJson((v as Record<string, unknown>)[k])).join(",") + "}";
}

/**
 * controller.ComputeHash: fnv32a over the pod template (plus the collision count), printed
 * in decimal and passed through SafeEncodeString — so the hash only uses the characters
 * 4-9, b, c, d, f (e.g. "5d59d67564"). podnet hashes the template's canonical JSON plus the seed.
 */
const jsonCache = new WeakMap<object, string>();
export function templateHash(template: unknown, seed: string, collisionCount = 0): string {
  let j = typeof template === "object" && template !== null ? jsonCache.get(template) : undefined;
  if (j === undefined) {
    j = stableJson(template);
    if (typeof template === "object" && template !== null) jsonCache.set(template, j);
  }
  const h = fnv32a(j + "\u0000" + seed + (collisionCount ? "\u0000" + collisionCount : ""));
  return safeEncodeString(String(h));
}

/** utilrand.String(n): n characters from the safe alphabet (generateName suffixes). */
export function randomSuffix(key: string, n = 5): string {
  let h = mix32(fnv32a(key));
  let h2 = mix32(h ^ 0x9e3779b9);
  let out = "";
  for (let i = 0; i < n; i++) {
    if (i === 6) h = h2; // 27^6 < 2^32: refill after six characters
    out += SAFE_ALPHABET[h % 27];
    h = Math.floor(h / 27);
    if (i >= 6) h2 = mix32(h2 + i);
  }
  return out;
}

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
function hex8(n: number): string {
  return HEX2[n >>> 24] + HEX2[(n >>> 16) & 255] + HEX2[(n >>> 8) & 255] + HEX2[n & 255];
}

/** 32 hex characters from a key (fast; used for UIDs). */
export function hex32(key: string): string {
  const a = fnv32a(key);
  const b = mix32(a ^ 0x27d4eb2f);
  const c = mix32(b + fnv32a(key + "\u0001"));
  const d = mix32(c ^ a ^ 0x165667b1);
  return hex8(mix32(a)) + hex8(b) + hex8(c) + hex8(d);
}

const HEXC = "0123456789abcdef";
const uidBuf = new Array<number>(36);
/** A UID in the 8-4-4-4-12 form, version-4 style like the API server's. Built as one flat
 *  string (150,000 of them are kept: concatenation would keep rope nodes). */
export function uidFor(key: string): string {
  const a = fnv32a(key);
  const w = [mix32(a), mix32(a ^ 0x27d4eb2f), mix32(a + 0x165667b1), mix32(fnv32a(key + "\u0001"))];
  let j = 0;
  for (let i = 0; i < 32; i++) {
    if (i === 8 || i === 12 || i === 16 || i === 20) uidBuf[j++] = 45; // '-'
    let nib = (w[i >> 3] >>> ((7 - (i & 7)) * 4)) & 15;
    if (i === 12)
      nib = 4; // version 4
    else if (i === 16) nib = 8 | (nib & 3); // variant 10xx
    uidBuf[j++] = HEXC.charCodeAt(nib);
  }
  return String.fromCharCode.apply(null, uidBuf);
}

// crypto.hash (Node 20.12 / 21.7 on): one call, no Hash object, ~2.4x faster on the short
// keys hashed per pod (150,000 sandbox IDs of a threshold dump: 205 -> 86 ms); createHash
// on older Node 20 releases. The same digest either way.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash;

function hexDigest(algorithm: "sha1" | "sha256", s: string): string {
  return oneShot ? oneShot(algorithm, s, "hex") : crypto.createHash(algorithm).update(s).digest("hex");
}

export function sha1Hex(s: string): string {
  return hexDigest("sha1", s);
}
export function sha256Hex(s: string): string {
  return hexDigest("sha256", s);
}

/** A deterministic offset in [0, n) for a key. */
export function pick(key: string, n: number): number {
  if (n <= 0) return 0;
  if (n <= 0x100000000) return mix32(fnv32a(key)) % n;
  return (mix32(fnv32a(key)) * 0x100000000 + mix32(fnv32a(key + "#"))) % n;
}

export { hex8 };
