// A fast reader for the block YAML that `kubectl get -o yaml` writes (sigs.k8s.io/yaml over
// go-yaml v2): block mappings and sequences (sequences not indented under their key), plain,
// single- and double-quoted one-line scalars, literal block scalars (`|`, `|-`, `|+`, `|2-`),
// `{}` and `[]`, comments. Anything else (anchors, tags, flow collections with content,
// multi-line quoted or plain scalars, folded scalars, tabs, duplicate keys, keys that YAML 1.1
// reads as non-strings …) makes it give up (returns BAIL) and the caller uses the `yaml`
// library, which stays the reference for what the text means and for every error message.
//
// Why by hand: the general parsers are far too slow for a threshold cluster's dump (~1 GB):
// `yaml`'s composer reads ~2 MB/s per item (0.7 MB/s on the whole List), js-yaml 5 ~10 MB/s;
// this reads the same items at ~100 MB/s. Plain scalars are resolved by yaml-scalars.ts (as
// go-yaml v2 does), as on the general path, so values are the same.
import { Buffer } from "node:buffer";
import { plainScalar } from "./yaml-scalars.js";
import { childPath, indexPath } from "./diag.js";

/** Returned when the text is outside the subset this reader handles. */
export const BAIL: unique symbol = Symbol("bail");

/**
 * Keys whose values the reader passes over without building them, by path (a sequence's
 * entries take its key's rules): DROP for what podnet never keeps, LATER for what only a view
 * of the whole object shows (read again from the text when one asks: documents.ts inFull).
 */
export const DROP = 0;
export const LATER = 1;
/**
 * DEFER: a list of mappings below its key is kept as its text (handed to the reader's
 * DeferSink), to be read when it is first asked for (deferred.ts); a value of another form,
 * or without a sink, is read at once.
 */
export const DEFER = 2;
type Rule = typeof DROP | typeof LATER | typeof DEFER;
export interface Skips {
  readonly [key: string]: Skips | Rule;
}
type SkipsGiven = { readonly [key: string]: SkipsGiven | Rule };

/**
 * Takes a DEFER value: the object and key it belongs to and its text, s[start, end) (b: s's
 * codes; whole lines, the first at the list's indentation). False when it cannot: the value
 * is then read at once.
 */
export type DeferSink = (
  o: Record<string, unknown>,
  key: string,
  s: string,
  b: Uint8Array,
  start: number,
  end: number,
) => boolean;

/** Rules without a prototype: a key such as `constructor` must not find Object's. */
export function skipRules(given: SkipsGiven): Skips {
  const out: Record<string, Skips | Rule> = Object.create(null);
  for (const [k, v] of Object.entries(given)) out[k] = typeof v === "number" ? v : skipRules(v);
  return out;
}

/**
 * A text's UTF-16 code units as a typed array. The reader looks at each character through it:
 * an element of a typed array reads about twice as fast as String.prototype.charCodeAt
 * (measured on a dump's lines), and the reader looks at every character two or three times.
 */
export type Codes = Uint8Array | Uint16Array;

function codesOf(text: string): Codes {
  // ASCII (a dump nearly always is): its latin1 bytes are its code units.
  if (Buffer.byteLength(text, "utf8") === text.length) return Buffer.from(text, "latin1");
  const u = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) u[i] = text.charCodeAt(i);
  return u;
}

class Bail {}
const bail = new Bail();

// Plain scalars that may be something else than a string (yaml-scalars.ts: null, booleans,
// numbers): only those starting with one of these characters.
const MAYBE_TYPED_FIRST = new Uint8Array(128);
for (const c of "~nNyYtTfFoO0123456789+-.") MAYBE_TYPED_FIRST[c.charCodeAt(0)] = 1;
const maybeTyped = (c: number) => c < 128 && MAYBE_TYPED_FIRST[c] === 1;
// Indicators a value may start with that the subset does not take (anchors, aliases, tags,
// folded scalars, directives, reserved, a flow collection's end or separator): the general
// parser's. `- ` would be a nested sequence (checked apart).
const NOT_PLAIN = "?&*!>%@`,]}";
const NOT_PLAIN_FIRST = new Uint8Array(128);
for (const c of NOT_PLAIN) NOT_PLAIN_FIRST[c.charCodeAt(0)] = 1;
// A plain key may not start with those either, nor with `[ { |` (which start a value's other
// forms); `-` and `:` may when not followed by a space; a quote or `#` never gets here.
const NOT_KEY_FIRST = new Uint8Array(128);
for (const c of `${NOT_PLAIN}[{|`) NOT_KEY_FIRST[c.charCodeAt(0)] = 1;
const SIMPLE_INT = /^(?:0|-?[1-9][0-9]{0,14})$/;

/**
 * s[p, e) as a string of its own, laid out flat. V8 makes a slice of 13 characters or more a
 * view of its parent (SlicedString), and a concatenation a pair (ConsString): the first would
 * keep every item's whole text alive as long as one of its values is, and both make each later
 * read of a character go through the parent. Array.prototype.join writes its result into one
 * new sequential string (V8's ArrayJoin; checked with %DebugPrint: ONE_BYTE_STRING_TYPE), the
 * cheapest such copy JavaScript has.
 */
export function flat(s: string, p = 0, e = s.length): string {
  return e - p < 13 ? s.slice(p, e) : [s.slice(p, p + 1), s.slice(p + 1, e)].join("");
}

// A dump's keys and values repeat from item to item (keys, images, paths, protocols,
// condition types, node names, timestamps): one string for each, not a copy per item — less
// to keep and to collect. A direct-mapped table looked up by the text's place in the item
// (hash of its characters, then a comparison in place): a value seen before costs no slice,
// no allocation. A slot is overwritten on a miss, so unique values (uids, IPs) just pass.
// Three tables, as the same text means different things as a key, a plain and a quoted value.
// Each slot's text is kept as bytes in one flat pool, its length first: a lookup reads one
// cache line there rather than a string somewhere in the heap (reading the strings' lengths
// was the reader's hottest line: a cache miss each).
const SLOT = 64;
class Table {
  readonly pool: Uint8Array;
  readonly value: unknown[];
  constructor(readonly mask: number) {
    this.pool = new Uint8Array((mask + 1) * SLOT);
    this.value = new Array<unknown>(mask + 1).fill(undefined);
  }
  /**
   * The slot of s[p, e), -1 when it holds other text; `slot` is set either way. h: mix() of
   * its characters, which the reader's scans work out on their way.
   */
  find(b: Codes, p: number, e: number, h: number): number {
    const n = e - p;
    h = Math.imul(h ^ n, 0x01000193);
    const i = (h ^ (h >>> 15)) & this.mask;
    this.slot = i;
    const pool = this.pool;
    const o = i * SLOT;
    if (pool[o] !== n || n === 0) return -1;
    for (let j = 0; j < n; j++) if (pool[o + 1 + j] !== b[p + j]) return -1;
    return i;
  }
  slot = 0;
  /** Remembers s[p, e) (as found last) and its value; a text too long for a slot, or not latin1, is not kept. */
  set(b: Codes, p: number, e: number, value: unknown): void {
    const n = e - p;
    if (n >= SLOT) return;
    const pool = this.pool;
    const o = this.slot * SLOT;
    for (let j = 0; j < n; j++) {
      const c = b[p + j];
      if (c > 255) {
        pool[o] = 0;
        return;
      }
      pool[o + 1 + j] = c;
    }
    pool[o] = n;
    this.value[this.slot] = value;
  }
}
/** One character into a text's hash (FNV-1a's step), from 0. */
const mix = (h: number, c: number) => Math.imul(h ^ c, 0x01000193);
function hashOf(b: Codes, p: number, e: number): number {
  let h = 0;
  for (let i = p; i < e; i++) h = mix(h, b[i]);
  return h;
}

const KEYS = new Table(4095);
const PLAIN = new Table(16383);
const QUOTED = new Table(16383);

/** s[p, e) (one line, no escapes) as a string value, shared with its earlier copies. */
function quotedAt(s: string, b: Codes, p: number, e: number): string {
  const i = QUOTED.find(b, p, e, hashOf(b, p, e));
  if (i >= 0) return QUOTED.value[i] as string;
  const c = flat(s, p, e);
  QUOTED.set(b, p, e, c);
  return c;
}

/**
 * The plain scalar s[p, e) as go-yaml v2 reads it (yaml-scalars.ts), shared with its earlier
 * copies; h: hashOf(b, p, e).
 */
function plainAt(s: string, b: Codes, p: number, e: number, h: number): unknown {
  const i = PLAIN.find(b, p, e, h);
  if (i >= 0) return PLAIN.value[i];
  const text = flat(s, p, e);
  let v = plainValue(text);
  if (typeof v === "string" && v !== text) v = flat(v);
  PLAIN.set(b, p, e, v);
  return v;
}

function plainValue(s: string): unknown {
  if (!maybeTyped(s.charCodeAt(0))) return s;
  if (SIMPLE_INT.test(s)) return Number(s);
  // As sigs.k8s.io/yaml (go-yaml v2) reads it: the same value as the general path.
  return plainScalar(s);
}

/**
 * How deep the reader nests (mappings and lists) before it leaves a text to the general
 * parser: under diag.ts's MAX_DEPTH, so that what it returns needs no depth check of its own
 * (a pod's deepest field is ~12 levels).
 */
export const FAST_MAX_DEPTH = 64;

const SP = 32;
const NL = 10;
const HASH = 35;
const DASH = 45;
const COLON = 58;
const DQ = 34;
const SQ = 39;
const TAB = 9;

/**
 * A mapping's object is made once its keys are read, by a constructor for its number of
 * properties whose prototype is Object's: to every reader a plain object, as `{}` makes one.
 * An object from `{}` has room for four properties in itself and keeps any more in a second
 * object (V8's property array, grown by copying as keys are added); one from such a
 * constructor has room for exactly its own (V8 fits a constructor's objects to what its first
 * ones used: in-object slack tracking, which the warm-up below sets). A dump's `metadata` (8
 * keys), `spec` (9), owner references (6) and endpoints (5) are then one object each, not
 * two: for the collector ~6 objects a pod fewer to copy.
 */
type Sized = new () => Record<string, unknown>;
const SIZED: Sized[] = [];
/** The largest room made; a larger mapping keeps the rest in a property array. */
const MAX_ROOM = 32;
// V8 sizes a constructor's objects by the `this.x =` assignments in its body (plus slack),
// whether they run or not: these never run, and leave room for MAX_ROOM. (Generated: a body
// of 32 assignments written out would say less.)
const SIZED_BODY = `if (fill) { ${Array.from({ length: MAX_ROOM }, (_, i) => `this.a${i} = 0;`).join(" ")} }`;
function sized(n: number): Sized {
  const room = Math.min(n, MAX_ROOM);
  const m = SIZED[room];
  if (m !== undefined) return m;
  const f = new Function("fill", SIZED_BODY) as unknown as Sized;
  f.prototype = Object.prototype;
  // Its first objects have `room` properties: slack tracking then fits all of them to that.
  for (let i = 0; i < 8; i++) {
    const o = new f();
    for (let j = 0; j < room; j++) o[`w${j}`] = 0;
  }
  SIZED[room] = f;
  return f;
}

/** A DEFER value met while its mapping is read: handed to the sink once the object is made. */
class Deferral {
  constructor(
    readonly start: number,
    readonly end: number,
  ) {}
}

/**
 * Keys and values of the mappings being read, in pairs, up to pairTop (a nested mapping's are
 * done before its parent's next key). Shared by every reader: each starts at the top it
 * finds and leaves it there (tops(), restore()).
 */
const PAIRS: unknown[] = [];
let pairTop = 0;
/** Where the shared stacks stand: a reader puts them back when it is done or gives up. */
const tops = () => [entryTop, pairTop] as const;
function restore([entries, pairs]: readonly [number, number]): void {
  entryTop = entries;
  pairTop = pairs;
}

/**
 * Entries of the lists being read (Reader.seq), up to entryTop. Never made shorter: V8
 * gives back an array's room when its length drops, and would grow it again for the next.
 */
const ENTRIES: unknown[] = [];
/** The first free place in ENTRIES: each reader starts where it finds it (one may start inside another's list). */
let entryTop = 0;

class Reader {
  /** Current content line: its start, indentation, first non-space character and end. */
  ls = 0;
  ind = 0;
  cs = 0;
  le = 0;
  eof = false;
  /** Mappings and sequences open. */
  depth = 0;
  /** A LATER value was passed over. */
  later = false;
  /** Where DEFER values go; a DEFER value was handed to it. */
  sink: DeferSink | undefined;
  deferred = false;
  /** When set, where each key and list entry starts, by field path (see fastLines). */
  rec: Map<string, number> | undefined;
  /** Only the nodes on the way to this path are noted (see fastLines). */
  target: string | undefined;
  /** The field path of the node being read, while rec is set; undefined off the way to target. */
  path: string | undefined = "";
  /** Reads s[start, end); b: s's character codes. */
  constructor(
    readonly s: string,
    readonly b: Codes,
    start: number,
    readonly end: number,
  ) {
    this.seek(start);
  }

  /** Moves to the first content line (not blank, not a comment) at or after offset p. */
  seek(p: number): void {
    const s = this.s;
    const b = this.b;
    const n = this.end;
    while (p < n) {
      let q = p;
      while (q < n && b[q] === SP) q++;
      let le = s.indexOf("\n", q);
      if (le < 0 || le > n) le = n;
      const c = b[q];
      if (q < le && c !== HASH) {
        if (c === TAB) throw bail; // tabs: leave them to the general parser
        this.ls = p;
        this.ind = q - p;
        this.cs = q;
        this.le = le;
        this.eof = false;
        return;
      }
      p = le + 1;
    }
    this.eof = true;
    this.ls = this.cs = this.le = n;
    this.ind = -1;
  }

  next(): void {
    this.seek(this.le + 1);
  }

  isSeqEntry(at: number): boolean {
    const b = this.b;
    return b[at] === DASH && (at + 1 === this.le || b[at + 1] === SP);
  }

  /** A block node whose first line is the current one (indentation > parent). */
  node(skips?: Skips): unknown {
    return this.isSeqEntry(this.cs) ? this.seq(this.ind, skips) : this.map(this.ind, this.cs, skips);
  }

  seq(ind: number, skips?: Skips): unknown[] {
    if (++this.depth > FAST_MAX_DEPTH) throw bail;
    // The entries gather on one stack shared by every list (a nested one is done before its
    // parent goes on), then leave it as an exact-size copy: an array grown by push keeps
    // room for 16 more elements (V8's NewElementsCapacity: old + old/2 + 16), and one grown
    // per list was garbage for the collector to sweep past.
    const stack = ENTRIES;
    const base = entryTop;
    const b = this.b;
    while (!this.eof && this.ind === ind && this.isSeqEntry(this.cs)) {
      let p = this.cs + 1;
      while (p < this.le && b[p] === SP) p++;
      if (p >= this.le || b[p] === HASH || this.isSeqEntry(p)) throw bail; // `-` alone, `- - x`
      const saved = this.path;
      if (this.rec !== undefined && saved !== undefined) this.enter(indexPath(saved, entryTop - base), p);
      const colonAt = this.keyEnd(p);
      const v = colonAt >= 0 ? this.map(p - this.ls, p, skips) : this.scalar(p, ind);
      this.path = saved;
      stack[entryTop++] = v;
    }
    if (!this.eof && this.ind > ind) throw bail;
    this.depth--;
    const out = stack.slice(base, entryTop);
    entryTop = base;
    return out;
  }

  /** A mapping at indentation ind; its first key starts at `first` on the current line. */
  map(ind: number, first: number, skips?: Skips): Record<string, unknown> {
    if (++this.depth > FAST_MAX_DEPTH) throw bail;
    const b = this.b;
    const pairs = PAIRS;
    const base = pairTop;
    let p = first;
    let passed: string[] | undefined; // keys passed over, for the duplicate check
    let deferrals = 0;
    // The keys so far in increasing order (go-yaml writes them sorted), the last one: a key
    // after it is none of them, without a lookup.
    let sorted = true;
    let last = "";
    for (;;) {
      const c = b[p];
      let key: string;
      let after: number;
      if (c === DQ || c === SQ) {
        key = this.quoted(p);
        after = this.qend;
        if (b[after] !== COLON || (after + 1 < this.le && b[after + 1] !== SP)) throw bail;
        // Set by `out[key] =` it would be the object's prototype, not a key of its own (the
        // YAML library makes it one): newKey refuses it for plain keys.
        if (key === "__proto__") throw bail;
      } else {
        after = this.keyEnd(p);
        if (after < 0) throw bail;
        let e = after;
        while (e > p && b[e - 1] === SP) e--;
        const hit = KEYS.find(b, p, e, e === after ? this.kh : hashOf(b, p, e));
        key = hit >= 0 ? (KEYS.value[hit] as string) : this.newKey(c, p, e);
      }
      if (sorted && key > last) last = key;
      else {
        sorted = false;
        // A duplicate key: the general parser says so.
        for (let i = base; i < pairTop; i += 2) if (pairs[i] === key) throw bail;
        if (passed?.includes(key)) throw bail;
      }
      const saved = this.path;
      if (this.rec !== undefined && saved !== undefined) this.enter(childPath(saved, key), p);
      let v = after + 1;
      while (v < this.le && b[v] === SP) v++;
      if (b[v] === TAB) throw bail;
      let value: unknown;
      let rule = skips === undefined ? undefined : skips[key];
      // A DEFER value not handed over is read at once, whole.
      if (rule === DEFER) {
        value = (v >= this.le || b[v] === HASH) && this.defer(ind);
        if (value === false) rule = undefined;
        else deferrals++;
      }
      if (rule === DEFER) {
        // to the sink once the object is made, the reader past it
      } else if (typeof rule === "number") {
        // A value on the key's line is read (and dropped) as any: a quote left open or a
        // flow collection there is the general parser's to report. A block below is passed.
        if (v >= this.le || b[v] === HASH) this.pass(ind);
        else this.scalar(v, ind);
        (passed ??= []).push(key);
        if (rule === LATER) this.later = true;
      } else if (v >= this.le || b[v] === HASH) {
        // The value is on the next lines: a deeper node, a sequence at this indentation, or null.
        this.next();
        if (!this.eof && this.ind > ind) value = this.node(rule);
        else if (!this.eof && this.ind === ind && this.isSeqEntry(this.cs)) value = this.seq(ind, rule);
        else value = null;
      } else value = this.scalar(v, ind);
      if (rule !== DROP && rule !== LATER) {
        pairs[pairTop++] = key;
        pairs[pairTop++] = value;
      }
      this.path = saved;
      if (this.eof || this.ind < ind) {
        this.depth--;
        return this.made(base, deferrals);
      }
      if (this.ind > ind || this.isSeqEntry(this.cs)) throw bail;
      p = this.cs;
    }
  }

  /**
   * The object of the pairs from `base` on (taken off the stack). Room for each, and for what
   * is added later: the deferrals' two marks (deferred.ts), an item's `source` (parse.ts).
   */
  made(base: number, deferrals: number): Record<string, unknown> {
    const pairs = PAIRS;
    const top = pairTop;
    const room = ((top - base) >> 1) + (deferrals > 0 ? 2 : 0) + (this.depth < 2 ? 1 : 0);
    const o = new (SIZED[room] ?? sized(room))();
    if (deferrals === 0) {
      for (let i = base; i < top; i += 2) o[pairs[i] as string] = pairs[i + 1];
      pairTop = base;
      return o;
    }
    for (let i = base; i < top; i += 2) {
      const key = pairs[i] as string;
      const v = pairs[i + 1];
      if (v instanceof Deferral) {
        if (!this.sink!(o, key, this.s, this.b as Uint8Array, v.start, v.end)) {
          // Not taken: read at once, as it would have been.
          const read = readBlock(this.s, this.b, v.start, v.end);
          if (read === BAIL) throw bail;
          o[key] = read;
        } else this.deferred = true;
      } else o[key] = v;
    }
    pairTop = base;
    return o;
  }

  /**
   * The place of a DEFER value below its key (at indentation ind), the reader past it, when
   * it is a list whose every entry is a mapping (what the API's lists of structs are:
   * anything else is read at once, so that validation sees it); false with the reader where
   * it was. It goes to the sink when its object is made.
   */
  defer(ind: number): Deferral | false {
    const b = this.b;
    // Only text of single bytes is kept as such (a dump is ASCII).
    if (this.sink === undefined || !(b instanceof Uint8Array) || this.rec !== undefined) return false;
    const back = this.ls; // the key's line, where a value read at once starts from
    this.next();
    const at = this.ind;
    if (this.eof || at < ind || !this.isSeqEntry(this.cs)) {
      this.seek(back);
      return false;
    }
    const start = this.ls;
    while (!this.eof && (this.ind > at || (this.ind === at && this.isSeqEntry(this.cs)))) {
      if (this.ind === at) {
        let q = this.cs + 1;
        while (q < this.le && b[q] === SP) q++;
        if (q >= this.le || b[q] === HASH || this.isSeqEntry(q) || this.keyEnd(q) < 0) {
          this.seek(back);
          return false;
        }
      }
      this.next();
    }
    return new Deferral(start, this.eof ? this.end : this.ls);
  }

  /** Notes where the node at `path` starts (offset p) and makes it the current one. */
  enter(path: string, p: number): void {
    const t = this.target;
    if (t !== undefined) {
      const n = path.length;
      // Off the way: its children are not looked at.
      if (!(t.startsWith(path) && (t.length === n || t[n] === "." || t[n] === "["))) {
        this.path = undefined;
        return;
      }
    }
    this.rec?.set(path, p);
    this.path = path;
  }

  /**
   * Moves past a value that starts on the lines after its key (at indentation ind) without
   * reading it: every deeper line is the value's, and so are the entries of a sequence at the
   * key's own indentation. Only its lines are looked at (a tab first on one still bails).
   */
  pass(ind: number): void {
    // seek()'s look at each line, without making each the current one: a dump's
    // managedFields (a third of its bytes) are ~10 M lines passed here.
    const s = this.s;
    const b = this.b;
    const n = this.end;
    let p = this.le + 1;
    while (p < n) {
      let q = p;
      while (q < n && b[q] === SP) q++;
      const c = b[q];
      if (q < n && c !== NL && c !== HASH) {
        if (c === TAB) throw bail; // tabs: leave them to the general parser
        const at = q - p;
        // The value ends at a line at its key's indentation or less, but for an entry `- `
        // of a sequence at the key's indentation.
        if (at < ind || (at === ind && !(c === DASH && (q + 1 === n || b[q + 1] === SP || b[q + 1] === NL)))) break;
      }
      const e = s.indexOf("\n", q);
      if (e < 0 || e >= n) {
        p = n;
        break;
      }
      p = e + 1;
    }
    this.seek(p);
  }

  /** A plain key met for the first time (c: its first character): its string, remembered. */
  newKey(c: number, p: number, e: number): string {
    const text = flat(this.s, p, e);
    let key = text;
    if (text === "<<") throw bail; // a merge key
    if (maybeTyped(c)) {
      // A key read as a number or boolean becomes its string form in JS, as the YAML
      // library's toJS makes it.
      const k = plainValue(text);
      if (k === null) throw bail;
      key = String(k);
    }
    // YAML's indicators a plain scalar may not start with (the general parser reports them).
    if ((c < 128 && NOT_KEY_FIRST[c] === 1) || key === "__proto__") throw bail;
    KEYS.set(this.b, p, e, key);
    return key;
  }

  /** Offset of the `:` ending a plain key on the current line from p, or -1 (not a key). */
  keyEnd(p: number): number {
    const b = this.b;
    const c = b[p];
    if (c === DQ || c === SQ) {
      this.quoted(p);
      const q = this.qend;
      return b[q] === COLON && (q + 1 === this.le || b[q + 1] === SP) ? q : -1;
    }
    const le = this.le;
    let h = 0;
    for (let i = p; i < le; i++) {
      const ch = b[i];
      if (ch === COLON) {
        if (i + 1 === le || b[i + 1] === SP) {
          this.kh = h;
          return i;
        }
      } else if (ch === HASH && b[i - 1] === SP)
        return -1; // a comment before any colon
      else if (ch === TAB) throw bail; // YAML's other white space: the general parser's
      h = mix(h, ch);
    }
    return -1;
  }

  /** hashOf the plain key before the colon the last keyEnd() found. */
  kh = 0;

  /** Offset after the closing quote of the last quoted(). */
  qend = 0;

  /** A quoted scalar on one line: its value; qend is set after the closing quote. */
  quoted(p: number): string {
    const s = this.s;
    const b = this.b;
    if (b[p] === SQ) {
      let i = p + 1;
      let doubled = false;
      for (;;) {
        i = s.indexOf("'", i);
        if (i < 0 || i >= this.le) throw bail; // multi-line
        if (b[i + 1] === SQ) {
          i += 2;
          doubled = true;
        } else break;
      }
      this.qend = i + 1;
      return doubled ? flat(s.slice(p + 1, i).replace(/''/g, "'")) : quotedAt(s, b, p + 1, i);
    }
    let i = p + 1;
    let esc = false;
    for (;;) {
      const c = b[i];
      if (i >= this.le) throw bail; // multi-line
      if (c === 92) {
        esc = true;
        i += 2;
        continue;
      }
      if (c === DQ) break;
      i++;
    }
    this.qend = i + 1;
    if (!esc) return quotedAt(s, b, p + 1, i);
    const body = s.slice(p + 1, i);
    // JSON's escapes are YAML's too; YAML-only ones (\x \e \0 \N \_ \L \P \U, escaped space)
    // go to the general parser.
    if (/\\[^"\\/bfnrtu]/.test(body)) throw bail;
    try {
      return JSON.parse(`"${body}"`) as string;
    } catch {
      throw bail; // `\u` without four hex digits, a raw control character: the general parser says what is wrong
    }
  }

  /** A scalar value starting at p on the current line; moves past it. ind: its parent's indentation. */
  scalar(p: number, ind: number): unknown {
    const s = this.s;
    const b = this.b;
    const c = b[p];
    if (c === DQ || c === SQ) {
      const v = this.quoted(p);
      this.endOfLine(this.qend);
      this.next();
      return v;
    }
    if (c === 124) return this.block(p, ind); // |
    if (c === 123 || c === 91) {
      // {} and [] only
      const close = c === 123 ? 125 : 93;
      if (b[p + 1] !== close) throw bail;
      this.endOfLine(p + 2);
      this.next();
      // An empty mapping with no room: `{}` keeps room for four properties (a pod's
      // `resources: {}` is 56 bytes that way, 24 this one).
      return c === 123 ? new (SIZED[0] ?? sized(0))() : [];
    }
    if (c < 128 && NOT_PLAIN_FIRST[c] === 1) throw bail;
    if (c === DASH && (p + 1 === this.le || b[p + 1] === SP)) throw bail;
    // One pass to the comment or the line's end: `: ` before it would make a mapping.
    const le = this.le;
    let e = le;
    let h = 0; // hashOf(b, p, e) on the way
    for (let i = p; i < e; i++) {
      const ch = b[i];
      if (ch === HASH) {
        if (i > p && b[i - 1] === SP) {
          e = i;
          break;
        }
      } else if ((ch === COLON && i + 1 < e && b[i + 1] === SP) || ch === TAB) throw bail;
      h = mix(h, ch);
    }
    const scanned = e;
    while (e > p && b[e - 1] === SP) e--;
    if (b[e - 1] === COLON) throw bail;
    this.next();
    // A deeper line that is not a key would continue a multi-line plain scalar.
    if (!this.eof && this.ind > ind && this.keyEnd(this.cs) < 0 && !this.isSeqEntry(this.cs)) throw bail;
    return plainAt(s, b, p, e, e === scanned ? h : hashOf(b, p, e));
  }

  /** After a scalar on a line only spaces or a comment may follow (a comment after a space). */
  endOfLine(p: number): void {
    const b = this.b;
    const at = p;
    while (p < this.le && b[p] === SP) p++;
    if (p < this.le && (b[p] !== HASH || p === at)) throw bail;
  }

  /** A literal block scalar (`|`, `|-`, `|+`, with an optional indentation digit). */
  block(p: number, ind: number): string {
    const s = this.s;
    const b = this.b;
    let chomp = 0; // 0 clip, 1 strip, 2 keep
    let explicit = 0;
    let i = p + 1;
    for (; i < this.le; i++) {
      const c = b[i];
      if (c === DASH) chomp = 1;
      else if (c === 43) chomp = 2;
      else if (c >= 49 && c <= 57) explicit = c - 48;
      else break;
    }
    this.endOfLine(i);
    const n = this.end;
    let lineStart = this.le + 1;
    if (this.le >= n) throw bail; // block at the end without a line break
    // Content indentation: explicit, or that of the first non-empty line.
    let contentInd = explicit ? Math.max(ind, 0) + explicit : 0;
    if (!contentInd) {
      let q = lineStart;
      let maxEmpty = 0;
      while (q < n) {
        let r = q;
        while (r < n && b[r] === SP) r++;
        if (r < n && b[r] !== NL) {
          contentInd = r - q;
          break;
        }
        maxEmpty = Math.max(maxEmpty, r - q);
        q = r + 1;
      }
      if (contentInd <= ind) contentInd = ind + 1; // empty scalar: nothing is indented enough
      if (maxEmpty > contentInd) throw bail; // YAML error: leading empty line too indented
    }
    const parts: string[] = [];
    let trailingEmpty = 0;
    let last = lineStart;
    while (lineStart < n) {
      const le = s.indexOf("\n", lineStart);
      if (le < 0 || le >= n) throw bail; // the text ends inside the block without a line break
      let r = lineStart;
      while (r < le && b[r] === SP) r++;
      if (r === le) {
        // empty (or only spaces): spaces beyond the indentation are content
        if (le - lineStart > contentInd) {
          parts.push(s.slice(lineStart + contentInd, le));
          trailingEmpty = 0;
        } else {
          parts.push("");
          trailingEmpty++;
        }
      } else if (r - lineStart < contentInd) break;
      else {
        if (b[r] === TAB && r - lineStart === contentInd) throw bail;
        parts.push(s.slice(lineStart + contentInd, le));
        trailingEmpty = 0;
      }
      lineStart = le + 1;
      last = lineStart;
    }
    const content = parts.length - trailingEmpty;
    let v = parts.slice(0, content).join("\n");
    if (chomp === 2) v += "\n".repeat(content > 0 ? 1 + trailingEmpty : trailingEmpty);
    else if (chomp === 0 && content > 0) v += "\n";
    this.seek(last);
    return v;
  }
}

/**
 * Reads one YAML document (or a part of one: a List item written as `- key: …`) in the subset
 * above, at most FAST_MAX_DEPTH levels deep. Returns BAIL when the text needs the general parser.
 */
export function fastYaml(text: string): unknown {
  const r = fastRead(text);
  return r === BAIL ? BAIL : r.value;
}

/** Where a text is found inside a flat string: s.slice(at, at + text.length) is the text; b: s's codes. */
export interface Inside {
  s: string;
  b: Codes;
  at: number;
}

/**
 * fastYaml with what it passed over: `later` when a LATER value was left unread (the value is
 * then not the whole document).
 */
export function fastRead(
  text: string,
  skips?: Skips,
  inside?: Inside,
  sink?: DeferSink,
): { value: unknown; later: boolean; deferred: boolean } | typeof BAIL {
  const at = tops();
  try {
    // A text sliced out of a larger one reads ~20 % slower through its parent than a flat
    // copy; better still is the flat string it was sliced from, when the caller has it.
    const r = inside
      ? new Reader(inside.s, inside.b, inside.at, inside.at + text.length)
      : new Reader(flat(text), codesOf(text), 0, text.length);
    if (r.eof) return { value: null, later: false, deferred: false };
    if (r.ind !== 0) return BAIL;
    r.sink = sink;
    const v = r.node(skips);
    return r.eof ? { value: v, later: r.later, deferred: r.deferred } : BAIL;
  } catch (e) {
    if (e === bail) return BAIL;
    throw e;
  } finally {
    restore(at);
  }
}

/**
 * The block s[start, end) (whole lines, its first at any indentation) as fastYaml reads a
 * document: what a DeferSink was handed, read when asked for. BAIL outside the subset.
 */
export function readBlock(s: string, b: Codes, start: number, end: number): unknown {
  const at = tops();
  try {
    const r = new Reader(s, b, start, end);
    if (r.eof) return null;
    const v = r.node();
    return r.eof ? v : BAIL;
  } catch (e) {
    if (e === bail) return BAIL;
    throw e;
  } finally {
    restore(at);
  }
}

/**
 * Field path -> 1-based line of every key and list entry of a text in the subset above (as
 * documents.ts lineMap gives them from the YAML library's nodes), `first` being the text's
 * first line; undefined when the text needs the general parser. With `target` (a path as
 * lineMap writes them), only the target and the nodes on the way to it. A diagnostic about
 * one object of a large dump asks for this: the YAML library's composer took ~2 ms per pod,
 * so a warning on each of 150,000 pods took minutes.
 */
export function fastLines(
  text: string,
  first: number,
  skips?: Skips,
  target?: string,
): Map<string, number> | undefined {
  const at = new Map<string, number>();
  const stacks = tops();
  try {
    // In the try: the first line read may already be one the reader gives up on (a tab).
    const r0 = new Reader(flat(text), codesOf(text), 0, text.length);
    r0.rec = at;
    r0.target = target;
    if (r0.eof) return new Map([["", first]]);
    if (r0.ind !== 0) return undefined;
    at.set("", r0.cs);
    r0.node(skips);
    if (!r0.eof) return undefined;
  } catch (e) {
    if (e === bail) return undefined;
    throw e;
  } finally {
    restore(stacks);
  }
  // Offsets to lines in one pass: the reader met them in the text's order.
  const lines = new Map<string, number>();
  let line = first;
  let nl = text.indexOf("\n");
  for (const [path, off] of at) {
    while (nl >= 0 && nl < off) {
      line++;
      nl = text.indexOf("\n", nl + 1);
    }
    lines.set(path, line);
  }
  return lines;
}
