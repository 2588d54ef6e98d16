// HTTPRoute RegularExpression matches, beyond testing them: a request a pattern matches (for
// `podnet verify`'s one request per match), and a pattern over a query value's decoded text
// rewritten to match its raw, percent-encoded form (nginx's `$args` is not decoded; the
// model and NGINX Gateway Fabric's httpmatches.js compare decoded values).
//
// Samples come from randexp (a maintained generator over the `ret` tokenizer of JavaScript
// regular expressions, the dialect the model tests with), made repeatable by a seeded
// random source; each sample is checked against the model's own RegExp, so what randexp
// cannot honour (lookarounds, anchors in the middle) is a skipped sample, never a wrong one.
import RandExpModule from "randexp";
import retModule, { type Root, type SetTokens, type Token, types } from "ret";

// Both are CommonJS whose module.exports is the class / function itself, while their typings
// describe an ES default export: take whichever the loader hands over.
const interop = <T>(m: { default: T }): T => (m as { default?: T }).default ?? (m as unknown as T);
const RandExp = interop(RandExpModule);
type RandExp = InstanceType<typeof RandExp>;
const ret = interop(retModule);

/** The user's pattern back from the model's whole-value RegExp (^(?:…)$, gateway-compile.ts). */
export const userSource = (re: RegExp) => re.source.replace(/^\^\(\?:([\s\S]*)\)\$$/, "$1");

/** Unreserved URI characters (RFC 3986 2.3): what `.` and negated classes draw from. */
const UNRESERVED: [number, number][] = [
  [48, 57],
  [65, 90],
  [97, 122],
  [45, 46],
  [95, 95],
  [126, 126],
];

/**
 * A string `re` matches as a whole and `ok` accepts, the same for the same pattern every
 * time; or why none was found.
 */
export function regexSample(
  re: RegExp,
  ok: (s: string) => boolean,
  tries = 64,
): { sample: string } | { error: string } {
  const source = userSource(re);
  let gen: RandExp;
  try {
    gen = new RandExp(source);
  } catch (e) {
    return { error: `randexp cannot read it (${(e as Error).message.slice(0, 120)})` };
  }
  const range = gen.defaultRange.subtract(0, 0x10ffff);
  for (const [lo, hi] of UNRESERVED) range.add(lo, hi);
  gen.max = 3; // `*` and `+` repeat at most 3 more times than their minimum
  for (let i = 0; i < tries; i++) {
    // A repeatable choice per try: the C standard's example rand() (an LCG), seeded by the try.
    let k = i + 1;
    gen.randInt = (a: number, b: number) => {
      k = (Math.imul(k, 1103515245) + 12345) >>> 0;
      return a + ((k >>> 16) % (1 + b - a));
    };
    const s = gen.gen();
    if (re.test(s) && ok(s)) return { sample: s };
  }
  return { error: `none of ${tries} strings generated from it matches it as a whole and fits the request` };
}

// ---- raw (percent-encoded) query text -------------------------------------------------

const HEX = "0123456789ABCDEF";
/** `%HH` with either case of the hex letters, as a PCRE fragment. */
function pct(b: number): string {
  const d = (n: number) => (n < 10 ? HEX[n] : `[${HEX[n]}${HEX[n].toLowerCase()}]`);
  return `%${d(b >> 4)}${d(b & 15)}`;
}
/** A byte a query carries raw with the same meaning after decoding (not `%`, `+`, `&`, `#`, `=`). */
const rawOk = (b: number) => b > 0x20 && b < 0x7f && !"%+&#=".includes(String.fromCharCode(b));
const esc = (b: number) => {
  const c = String.fromCharCode(b);
  return /[\\^$.|?*+()[\]{}/-]/.test(c) ? `\\${c}` : c;
};
/** One non-ASCII character, UTF-8 percent-encoded (2 to 4 bytes). */
const NON_ASCII = "%[C-Fc-f][0-9A-Fa-f](?:%[89ABab][0-9A-Fa-f]){1,3}";
/** A `%` that decoding keeps (not followed by two hex digits). */
const STRAY_PCT = "%(?![0-9A-Fa-f]{2})";
const UTF8 = new TextEncoder();

/** The raw forms of one decoded byte. */
function rawByte(b: number): string {
  const alts = [pct(b)];
  if (rawOk(b) || b === 0x3d) alts.unshift(esc(b));
  if (b === 0x20) alts.push("\\+");
  if (b === 0x25) alts.push(STRAY_PCT);
  return alts.length === 1 ? alts[0] : `(?:${alts.join("|")})`;
}

/**
 * The raw forms of a decoded literal (a query parameter's name or Exact value): each byte as
 * itself where that is allowed, or `%HH` either case; a space as `+` too. A name's `=` is
 * only ever `%3D` (a raw one ends the name).
 */
export function rawLiteral(s: string, name = false): string {
  let out = "";
  for (const b of UTF8.encode(s)) out += name && b === 0x3d ? pct(b) : rawByte(b);
  return out;
}

/** Whether a class (ret's set tokens, possibly negated) holds the code point. */
function inSet(set: SetTokens, not: boolean, c: number): boolean {
  let hit = false;
  for (const t of set) {
    if (t.type === types.CHAR) hit = t.value === c;
    else if (t.type === types.RANGE) hit = c >= t.from && c <= t.to;
    else hit = inSet(t.set, t.not, c);
    if (hit) break;
  }
  return hit !== not;
}

function hasNonAscii(set: SetTokens, not: boolean): boolean {
  if (not) return true;
  return set.some((t) =>
    t.type === types.CHAR ? t.value > 0x7f : t.type === types.RANGE ? t.to > 0x7f : hasNonAscii(t.set, t.not),
  );
}

/** One character of a class, in raw form: the raw members, the `%HH` members, `+`, non-ASCII. */
function rawSet(set: SetTokens, not: boolean): string {
  const raw: string[] = [];
  const byHigh = new Map<number, number[]>();
  for (let c = 0; c < 0x80; c++) {
    if (!inSet(set, not, c)) continue;
    if (rawOk(c) || c === 0x3d) raw.push(esc(c));
    let lows = byHigh.get(c >> 4);
    if (!lows) byHigh.set(c >> 4, (lows = []));
    lows.push(c & 15);
  }
  const alts: string[] = [];
  if (raw.length) alts.push(`[${raw.join("")}]`);
  for (const [hi, lows] of byHigh) {
    const d = (n: number) => (n < 10 ? HEX[n] : `${HEX[n]}${HEX[n].toLowerCase()}`);
    alts.push(`%${HEX[hi]}${lows.length === 16 ? "[0-9A-Fa-f]" : `[${lows.map(d).join("")}]`}`);
  }
  if (inSet(set, not, 0x20)) alts.push("\\+");
  if (inSet(set, not, 0x25)) alts.push(STRAY_PCT);
  if (hasNonAscii(set, not)) alts.push(NON_ASCII);
  return alts.length ? `(?:${alts.join("|")})` : "(?!)";
}

/** How one kind of subject spells characters, classes and anchors. */
interface Spelling {
  char(c: number): string;
  set(set: SetTokens, not: boolean): string;
  position(v: "^" | "$" | "b" | "B"): string;
}

/** Percent-encoded query text: the value sits between `NAME=` and `&`, the field's end or the end. */
const RAW: Spelling = {
  char: (c) => rawLiteral(String.fromCodePoint(c)),
  set: rawSet,
  position: (v) => {
    if (v === "$") return "(?=&|\\x1f|$)";
    if (v === "^") return "(?<==)";
    throw new Error("a word boundary depends on the decoded neighbours");
  },
};

/** A byte as a PCRE escape. */
const hexByte = (b: number) => `\\x${HEX[b >> 4]}${HEX[b & 15]}`;

/**
 * A decoded field of the map's source (a path, a header value): nginx's PCRE reads bytes,
 * so a non-ASCII character is its UTF-8 bytes; no class and no `.` crosses the 0x1F between
 * fields; the field starts after one and ends before one or at the end.
 */
const FIELD: Spelling = {
  char: (c) => {
    let out = "";
    for (const b of UTF8.encode(String.fromCodePoint(c))) out += b > 0x20 && b < 0x7f ? esc(b) : hexByte(b);
    return c > 0x7f ? `(?:${out})` : out;
  },
  set: (set, not) => {
    let cls = "";
    for (let c = 0; c < 0x80; c++)
      if (c !== 0x1f && inSet(set, not, c)) cls += c > 0x20 && c < 0x7f ? esc(c) : hexByte(c);
    const alts = cls ? [`[${cls}]`] : [];
    if (hasNonAscii(set, not)) alts.push("[\\xC0-\\xF7][\\x80-\\xBF]{1,3}");
    return alts.length ? `(?:${alts.join("|")})` : "(?!)";
  },
  position: (v) => (v === "$" ? "(?=\\x1f|$)" : v === "^" ? "(?<=\\x1f)" : `\\${v}`),
};

function spell(ts: Token[], sp: Spelling): string {
  let out = "";
  for (const t of ts) out += spellToken(t, sp);
  return out;
}

function spellToken(t: Token, sp: Spelling): string {
  switch (t.type) {
    case types.CHAR:
      return sp.char(t.value);
    case types.SET:
      return sp.set(t.set, t.not);
    case types.REPETITION:
      return `(?:${spellToken(t.value, sp)}){${t.min},${t.max === Number.POSITIVE_INFINITY ? "" : t.max}}`;
    case types.POSITION:
      return sp.position(t.value);
    case types.GROUP: {
      if (t.lookBehind) throw new Error("a lookbehind");
      const body = t.options ? t.options.map((o) => spell(o, sp)).join("|") : spell(t.stack ?? [], sp);
      return t.followedBy ? `(?=${body})` : t.notFollowedBy ? `(?!${body})` : `(?:${body})`;
    }
    default:
      throw new Error("a backreference");
  }
}

function respell(source: string, sp: Spelling): string | null {
  if (/\\[1-9]|\\k</.test(source)) return null; // ret reads some backreferences as characters
  try {
    const root: Root = ret(source);
    const body = root.options ? root.options.map((o) => spell(o, sp)).join("|") : spell(root.stack ?? [], sp);
    return `(?:${body})`;
  } catch {
    return null;
  }
}

/**
 * A pattern over the decoded value, rewritten to match the raw query text that decodes to
 * what it matches (the same anchoring: the caller places it right after `NAME=`); null when
 * the pattern has what cannot be rewritten so (a backreference, a word boundary, a
 * lookbehind).
 */
export function rawQueryPattern(source: string): string | null {
  return respell(source, RAW);
}

/**
 * A pattern as PCRE over one 0x1F-separated field of the map's source (the path, a header
 * value), kept inside its field; null when it cannot be rewritten (as rawQueryPattern).
 */
export function fieldPattern(source: string): string | null {
  return respell(source, FIELD);
}
