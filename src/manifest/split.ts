// Splitting a large manifest file into its documents and List items by the textual layout
// kubectl writes, so that each item is decoded and parsed on its own: a dump of a threshold
// cluster (~1 GB) is larger than one V8 string may be (2^29-24 characters), and the general
// YAML parser is too slow and too hungry for it as one document. The file is read in pieces
// (ByteSource), never whole; each item's first line is counted on the way, the lines of its
// fields worked out only when a diagnostic asks (jsonLineMap, the YAML library).
//
// Layouts (kubectl pkg/printers: YAMLPrinter over sigs.k8s.io/yaml, JSONPrinter with
// json.MarshalIndent and 4 spaces):
//   YAML: documents separated by `---` lines; a List document has `items:` at column 0 and
//         each item starts with `- ` at column 0 (go-yaml does not indent a sequence under
//         its key). Inside an item every line is indented (block scalars too), so the next
//         `- ` at column 0 is the next item.
//   JSON: `    "items": [` at 4 spaces, each item from `        {` to `        }` at 8 spaces
//         (a JSON string holds no raw line break, so these lines cannot be inside a string).
// A file in another layout is read whole, as before.
import { isAscii } from "node:buffer";
import { childPath, indexPath } from "./diag.js";
import type { Inside } from "./fast-yaml.js";
import { type LinePass, linePass } from "./line-pass.js";

export type Bytes = Uint8Array;

const asBuffer = (b: Bytes): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

export function decode(b: Bytes, start = 0, end = b.byteLength): string {
  return asBuffer(b).toString("utf8", start, end);
}

const NL = 10;
const CR = 13;
const SP = 32;
const TAB = 9;
const HASH = 35;
const DASH = 45;

// ---------------------------------------------------------------------------------------
// Reading in pieces. A dump is read through a small window that slides over the file (a few
// hundred KB whatever its size): the whole file is never in memory, and each line is looked at
// once, for its first character, while lines are counted (the items' lines come free); inside
// the items only the line breaks are counted, 16 bytes at a time (line-pass.ts).

/** A file's bytes, read on demand by the caller's I/O. */
export interface ByteSource {
  readonly size: number;
  /** Copies up to `length` bytes from `position` into `into` (at its start); the count copied. */
  read(into: Uint8Array, position: number, length: number): number;
  /** False when the bytes may no longer be those read first (a file written since); absent: they are. */
  unchanged?(): boolean;
}

/** Bytes already in memory as a ByteSource. */
export function bytesSource(b: Bytes): ByteSource {
  return {
    size: b.byteLength,
    read(into, position, length) {
      const n = Math.max(0, Math.min(length, b.byteLength - position));
      into.set(b.subarray(position, position + n));
      return n;
    },
  };
}

/** Bytes [start, end) of a source, decoded. */
export function readText(src: ByteSource, start: number, end: number): string {
  const b = Buffer.allocUnsafe(end - start);
  let off = 0;
  while (off < b.length) {
    const n = src.read(b.subarray(off), start + off, b.length - off);
    if (n <= 0) break;
    off += n;
  }
  return b.toString("utf8", 0, off);
}

// Under V8's limit for a string in the young generation (kMaxRegularHeapObjectSize, 128 KB):
// each refill's text dies young.
const CHUNK = 112 << 10;

/** The part of the file being looked at: bytes [base, base + len) and the same as latin1 text. */
class Window {
  /** Passes over the items' indented lines; buf is then in its memory. */
  pass: LinePass | undefined;
  buf: Buffer;
  base = 0;
  len = 0;
  /** buf[0, len) with one character per byte: offsets in it are byte offsets. */
  s = "";
  /** buf[0, len) is ASCII: its latin1 text is its UTF-8 text. */
  ascii = true;
  /** s holds a carriage return (a reader of its text as is would see it). */
  cr = false;
  /** buf[0, len): s's character codes. */
  view: Uint8Array = new Uint8Array(0);
  next = 0;
  constructor(readonly src: ByteSource) {
    this.buf = this.room(Buffer.alloc(0), CHUNK);
  }

  /** Reads on, keeping the bytes from file offset `keep` on; false at the end of the file. */
  more(keep: number): boolean {
    const size = this.src.size;
    if (this.next >= size) return false;
    const drop = Math.min(keep, this.next) - this.base;
    if (drop > 0) {
      this.buf.copyWithin(0, drop, this.len);
      this.len -= drop;
      this.base += drop;
    }
    if (this.buf.length - this.len < CHUNK >> 2) this.buf = this.room(this.buf, this.buf.length * 2);
    const want = Math.min(this.buf.length - this.len, size - this.next);
    const n = this.src.read(this.buf.subarray(this.len, this.len + want), this.next, want);
    if (n <= 0) {
      this.next = size; // the file shrank while read: what was read is all there is
      return false;
    }
    this.len += n;
    this.next += n;
    const view = this.buf.subarray(0, this.len);
    this.view = view;
    this.s = view.toString("latin1");
    this.ascii = isAscii(view);
    this.cr = view.includes(CR);
    return true;
  }

  /** `size` bytes starting with old[0, len). */
  private room(old: Buffer, size: number): Buffer {
    this.pass = linePass(size);
    const b = this.pass ? Buffer.from(this.pass.buffer, 0, size) : Buffer.allocUnsafe(size);
    old.copy(b, 0, 0, this.len);
    return b;
  }

  /** Bytes [start, end) (file offsets, inside the window) decoded. */
  text(start: number, end: number): string {
    const a = start - this.base;
    const b = end - this.base;
    return this.ascii ? this.s.slice(a, b) : this.buf.toString("utf8", a, b);
  }

  /** Where text(start, …) is inside s, when it is s's own characters (ASCII, no CR). */
  inside(start: number): Inside | undefined {
    return this.ascii && !this.cr ? { s: this.s, b: this.view, at: start - this.base } : undefined;
  }

  /** The character (byte) at file offset p, or -1 past the window. */
  at(p: number): number {
    const r = p - this.base;
    return r < this.len ? this.s.charCodeAt(r) : -1;
  }
}

/**
 * Calls `line(start, end, n)` for each line of the file in order (file offsets; `end` at its
 * `\n` or the end of the file; n its 1-based number), but for lines starting with a space
 * while `indented.skip` is set. `keep()` names the first offset still needed (Window.text
 * works from there on). Stops when `line` returns false; false then.
 */
function eachLine(
  w: Window,
  keep: () => number,
  line: (start: number, end: number, n: number) => boolean,
  indented: { skip: boolean },
): boolean {
  let p = 0;
  let n = 1;
  const size = w.src.size;
  for (;;) {
    let e = w.s.indexOf("\n", p - w.base);
    while (e < 0 && w.more(Math.min(keep(), p))) e = w.s.indexOf("\n", p - w.base);
    if (e < 0) {
      // the last line, without a line break (or nothing)
      if (p < size && !line(p, size, n)) return false;
      return true;
    }
    const le = e + w.base;
    if (!(indented.skip && w.view[p - w.base] === SP) && !line(p, le, n)) return false;
    p = le + 1;
    n++;
    if (p >= size) return true;
    if (indented.skip && w.pass && w.view[p - w.base] === SP) {
      // to the next line at column 0 (or the window's end), the lines on the way counted
      p = w.pass.over(p - w.base, w.len) + w.base;
      n += w.pass.lines();
    }
  }
}

/** A line [p, e) that is blank or a comment (only these may sit between items at column 0). */
function blankOrCommentW(w: Window, p: number, e: number): boolean {
  while (p < e) {
    const c = w.at(p);
    if (c !== SP && c !== TAB && c !== CR) break;
    p++;
  }
  return p === e || w.at(p) === HASH;
}

function startsWith(w: Window, p: number, e: number, prefix: string): boolean {
  if (e - p < prefix.length) return false;
  return w.s.startsWith(prefix, p - w.base);
}

/** What a YAML file in kubectl's layout is made of, in file order (see scanYaml). */
export interface YamlSink {
  /** A document not in the List layout, from `line`; text undefined when too large for a string. */
  doc(text: string | undefined, start: number, end: number, line: number): void;
  /**
   * An item (`- …` at column 0) of a document in the List layout; `inside`: where its text
   * is in the flat string of the window it was cut from, when it is (fast-yaml.ts reads it there).
   */
  item(text: string, start: number, end: number, line: number, inside?: Inside): void;
  /** The end of a document in the List layout: the document without its items, as text. */
  list(header: string, start: number, end: number, line: number): void;
}

const Phase = {
  /** Before an `items:` line at column 0. */
  Pre: 0,
  /** Right after it: the next line must start the first item. */
  First: 1,
  Items: 2,
  /** After the items: the List's other keys. */
  Post: 3,
  /** Not in the List layout. */
  Plain: 4,
} as const;

// V8's longest string (2^29 - 24 UTF-16 units on 64-bit).
export const MAX_STRING = (1 << 29) - 24;

/**
 * Reads a YAML file line by line into its documents and, for Lists in kubectl's layout, their
 * items (given to `sink` as they end, with their first lines). False when the file needs the
 * general parser as a whole (a directive, a BOM, content on a `---` line, a `...` line); what
 * was given to the sink until then is to be thrown away.
 *
 *   Documents are separated by `---` lines; a List document has `items:` at column 0 and
 *   each item starts with `- ` at column 0 (go-yaml does not indent a sequence under its key).
 *   Inside an item every line is indented (block scalars too), so the next `- ` at column 0 is
 *   the next item; another line at column 0 that is not blank or a comment ends the items.
 */
export function scanYaml(src: ByteSource, sink: YamlSink): boolean {
  const w = new Window(src);
  if (!w.more(0)) return true;
  const c0 = w.at(0);
  if (c0 === 0x25 || (c0 === 0xef && w.at(1) === 0xbb)) return false; // %YAML directive, BOM
  const size = src.size;
  let docStart = 0;
  let docLine = 1;
  let marked = false; // a `---` came before this document
  let content = false;
  let phase: number = Phase.Pre;
  let tooBig = false;
  let pre = "";
  let itemStart = 0;
  let itemLine = 0;
  let regionEnd = 0;
  let cur = 0; // the line being looked at

  const endDoc = (end: number) => {
    if (phase === Phase.Items) {
      sink.item(w.text(itemStart, end), itemStart, end, itemLine, w.inside(itemStart));
      sink.list(pre, docStart, end, docLine);
    } else if (phase === Phase.Post) sink.list(pre + w.text(regionEnd, end), docStart, end, docLine);
    else if (marked || content) sink.doc(tooBig ? undefined : w.text(docStart, end), docStart, end, docLine);
  };
  const keep = () => (phase === Phase.Items ? itemStart : phase === Phase.Post ? regionEnd : tooBig ? cur : docStart);

  // Inside the items only a line at column 0 says anything (the next item, the end of them):
  // the lines of the items themselves are only counted.
  const indented = { skip: false };
  const onLine = (ls: number, le: number, n: number): boolean => {
    cur = ls;
    const c = ls < le ? w.at(ls) : NL;
    if (c === DASH && startsWith(w, ls, le, "---")) {
      const c3 = ls + 3 < le ? w.at(ls + 3) : NL;
      if (c3 === NL || c3 === SP || c3 === TAB || c3 === CR) {
        if (!blankOrCommentW(w, ls + 3, le)) return false; // `--- {…}`, `--- !tag`
        endDoc(ls);
        docStart = Math.min(le + 1, size);
        docLine = n + 1;
        marked = true;
        content = false;
        phase = Phase.Pre;
        tooBig = false;
        pre = "";
        return true;
      }
    }
    if (c === 0x2e && startsWith(w, ls, le, "...") && blankOrCommentW(w, ls + 3, le)) return false; // document end
    if (!content && !blankOrCommentW(w, ls, le)) content = true;
    switch (phase) {
      case Phase.Pre:
        if (c === 0x69 && startsWith(w, ls, le, "items:")) {
          if (!blankOrCommentW(w, ls + 6, le))
            phase = Phase.Plain; // `items: []` and the like
          else {
            pre = w.text(docStart, ls);
            phase = Phase.First;
          }
        } else if (!tooBig && ls - docStart > MAX_STRING) tooBig = true;
        break;
      case Phase.First: {
        const c1 = ls + 1 < le ? w.at(ls + 1) : le < size ? NL : -1;
        if (c === DASH && (c1 === SP || c1 === NL)) {
          phase = Phase.Items;
          itemStart = ls;
          itemLine = n;
        } else phase = Phase.Plain;
        break;
      }
      case Phase.Items: {
        if (c === SP || c === NL || c === CR || c === TAB || c === HASH) break;
        const c1 = ls + 1 < le ? w.at(ls + 1) : le < size ? NL : -1;
        if (c === DASH && (c1 === SP || c1 === NL || c1 === CR)) {
          sink.item(w.text(itemStart, ls), itemStart, ls, itemLine, w.inside(itemStart));
          itemStart = ls;
          itemLine = n;
        } else {
          sink.item(w.text(itemStart, ls), itemStart, ls, itemLine, w.inside(itemStart));
          regionEnd = ls;
          phase = Phase.Post;
        }
        break;
      }
      case Phase.Plain:
        if (!tooBig && ls - docStart > MAX_STRING) tooBig = true;
        break;
    }
    return true;
  };
  const ok = eachLine(
    w,
    keep,
    (ls, le, n) => {
      const r = onLine(ls, le, n);
      indented.skip = phase === Phase.Items;
      return r;
    },
    indented,
  );
  if (!ok) return false;
  endDoc(size);
  return true;
}

/**
 * Reads a JSON List in kubectl's layout line by line: each item (from `        {` to its
 * `        }`, 8 spaces: a JSON string holds no raw line break, so these lines cannot be inside
 * one) goes to `item` as it ends, with its first line; `item` returning false stops the
 * reading. The List's header (the object with `"items": []`) is returned; undefined when the
 * file is not in that layout (or the reading was stopped).
 */
export function scanJson(
  src: ByteSource,
  item: (text: string, start: number, end: number, line: number) => boolean,
): string | undefined {
  const w = new Window(src);
  if (!w.more(0)) return undefined;
  const size = src.size;
  let phase = 0; // 0: before `    "items": [`; 1: items; 2: after the closing `    ]`
  let prefix = "";
  let close = 0;
  let start = -1;
  let startLine = 0;
  let cur = 0;
  const endItem = (before: number): boolean => {
    if (start < 0) return true;
    // up to the `}` before the next item's start (or the closing `]`)
    let e = w.s.lastIndexOf("}", before - 1 - w.base) + w.base;
    if (e < start) e = start;
    return item(w.text(start, e + 1), start, e + 1, startLine);
  };
  const keep = () => (phase === 0 ? 0 : phase === 1 ? (start < 0 ? cur : start) : close + 1);
  const ok = eachLine(
    w,
    keep,
    (ls, le, n) => {
      cur = ls;
      if (phase === 0) {
        if (ls > 0 && startsWith(w, ls, le, '    "items": [')) {
          prefix = w.text(0, ls);
          if (w.at(ls + 14) === 0x5d) {
            close = ls + 14; // "items": []
            phase = 2;
          } else phase = 1;
        } else if (ls > MAX_STRING) return false;
        return true;
      }
      if (phase !== 1) return true;
      if (startsWith(w, ls, le, "    ]")) {
        close = ls + 4;
        phase = 2;
        return endItem(close);
      }
      const c9 = ls + 9 < le ? w.at(ls + 9) : le < size && ls + 9 === le ? NL : -1;
      if (w.at(ls + 8) === 0x7b && (c9 === NL || c9 === CR || c9 === 0x7d) && startsWith(w, ls, le, "        {")) {
        if (!endItem(ls + 8)) return false;
        start = ls + 8;
        startLine = n;
      }
      return true;
    },
    { skip: false },
  );
  if (!ok || phase !== 2) return undefined;
  return `${prefix}    "items": []${w.text(close + 1, size)}`;
}

/**
 * Field path -> 1-based line for a JSON text (every key and array element), by a scan of the
 * text: what lineMap gives for YAML, without parsing the JSON as YAML. `base` is the line of
 * the text's first character. The text is assumed to be valid JSON (JSON.parse read it).
 * With `target` (a path as the map writes them) only it and the nodes on the way to it: the
 * rest is only passed over, its lines counted (one diagnostic on each pod of a dump).
 */
export function jsonLineMap(text: string, base = 1, target?: string): Map<string, number> {
  const m = new Map<string, number>();
  let i = 0;
  let line = base;
  const n = text.length;
  const ws = () => {
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === NL) line++;
      else if (c !== SP && c !== TAB && c !== CR) break;
    }
  };
  const str = (): string => {
    const s = i;
    i++;
    let esc = false;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 92) {
        esc = true;
        i++;
      } else if (c === 34) break;
    }
    i++;
    return esc ? (JSON.parse(text.slice(s, i)) as string) : text.slice(s + 1, i - 1);
  };
  const onWay = (path: string) =>
    target === undefined ||
    path === "" ||
    (target.startsWith(path) &&
      (target.length === path.length || target[path.length] === "." || target[path.length] === "["));
  // A value off the way to target: to its end, strings skipped whole, lines counted.
  const pass = (): void => {
    let depth = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        for (i++; i < n; i++) {
          const d = text.charCodeAt(i);
          if (d === 92) i++;
          else if (d === 34) break;
        }
        if (depth === 0) {
          i++;
          return;
        }
      } else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        if (depth === 0) return;
        if (--depth === 0) {
          i++;
          return;
        }
      } else if (c === NL) line++;
      else if (depth === 0 && (c === 44 || c === SP || c === TAB || c === CR)) return;
    }
  };
  const value = (path: string): void => {
    ws();
    if (!onWay(path)) return pass();
    const c = text.charCodeAt(i);
    if (c === 123) {
      i++;
      for (;;) {
        ws();
        if (text.charCodeAt(i) === 125) break;
        const l = line;
        const k = str();
        const p = childPath(path, k);
        if (onWay(p)) m.set(p, l);
        ws();
        i++; // :
        value(p);
        ws();
        if (text.charCodeAt(i) === 44) i++;
        else break;
      }
      i++;
    } else if (c === 91) {
      i++;
      for (let k = 0; ; k++) {
        ws();
        if (text.charCodeAt(i) === 93) break;
        const p = indexPath(path, k);
        if (onWay(p)) m.set(p, line);
        value(p);
        ws();
        if (text.charCodeAt(i) === 44) i++;
        else break;
      }
      i++;
    } else if (c === 34) str();
    else
      for (; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 44 || d === 93 || d === 125 || d === SP || d === NL || d === TAB || d === CR) break;
      }
  };
  ws();
  m.set("", line);
  value("");
  return m;
}

const JSON_MF = '\n                "managedFields": [\n';

/**
 * A JSON item's text without its `metadata.managedFields` array, when it is where kubectl's
 * JSON printer puts it (`                "managedFields": [` under `            "metadata": {`
 * of an item at 8 spaces, followed by another key); the text unchanged otherwise.
 */
export function cutJsonManagedFields(t: string): string {
  const a = t.indexOf(JSON_MF);
  if (a < 0) return t;
  const meta = t.lastIndexOf('\n            "', a);
  if (meta < 0 || !t.startsWith('\n            "metadata": {\n', meta)) return t;
  const b = t.indexOf("\n                ]", a + JSON_MF.length - 1);
  if (b < 0 || t.charCodeAt(b + 18) !== 0x2c || t.charCodeAt(b + 19) !== NL) return t;
  return t.slice(0, a) + t.slice(b + 19);
}
