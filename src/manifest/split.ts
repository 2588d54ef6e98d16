// Splitting a large manifest file into its documents and List items by the textual layout
// kubectl writes, so that each item is decoded and parsed on its own: a dump of a threshold
// cluster (~1 GB) is larger than one V8 string may be (2^29-24 characters), and the general
// YAML parser is too slow and too hungry for it as one document. Line numbers are worked out
// only when a diagnostic asks (LineIndex, jsonLineMap).
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
import { childPath, indexPath } from "./diag.js";

/** A byte range [start, end) of the file. */
export interface Piece {
  start: number;
  end: number;
}

/** One YAML document of a split file; `list` when it is a List in kubectl's layout. */
export interface DocPiece extends Piece {
  list?: {
    /** The document without its items (`apiVersion`, `kind`, `metadata` …), as text. */
    header: string;
    items: Piece[];
  };
}

export type Bytes = Uint8Array;

const asBuffer = (b: Bytes): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

export function decode(b: Bytes, start = 0, end = b.byteLength): string {
  return asBuffer(b).toString("utf8", start, end);
}

// Buffer#indexOf answers wrongly (negative) past 2^31 bytes (an int32 in Node's binding): in
// a larger file the search runs in views of at most 1 GiB.
const BIG = 2 ** 31 - 1;
const WINDOW = 2 ** 30;
const windows = new WeakMap<Buffer, { size: number; views: Buffer[] }>();

/** b.indexOf(needle, from), also past 2^31 bytes. `big` and `window` are for tests. */
export function indexOf(b: Buffer, needle: string | number, from: number, big = BIG, window = WINDOW): number {
  if (b.length <= big) return b.indexOf(needle, from);
  let w = windows.get(b);
  if (!w || w.size !== window) {
    const views: Buffer[] = [];
    for (let base = 0; base < b.length; base += window)
      views.push(b.subarray(base, Math.min(b.length, base + window + 64)));
    w = { size: window, views };
    windows.set(b, w);
  }
  for (let k = Math.floor(from / window); k < w.views.length; k++) {
    const i = w.views[k].indexOf(needle, Math.max(0, from - k * window));
    if (i >= 0) return k * window + i;
  }
  return -1;
}

const NL = 10;
const CR = 13;
const SP = 32;
const TAB = 9;
const HASH = 35;

/** End of the line holding offset p (the offset of its `\n`, or the length). */
function lineEnd(b: Buffer, p: number, end: number): number {
  const e = indexOf(b, NL, p);
  return e < 0 || e > end ? end : e;
}

/** A line that is blank or a comment (only these may sit between items at column 0). */
function blankOrComment(b: Buffer, p: number, e: number): boolean {
  while (p < e && (b[p] === SP || b[p] === TAB || b[p] === CR)) p++;
  return p === e || b[p] === HASH;
}

/**
 * The documents of a YAML file and, for Lists in kubectl's layout, their items. Undefined when
 * the file needs the general parser as a whole (directives, content on a `---` line).
 */
export function splitYaml(bytes: Bytes): DocPiece[] | undefined {
  const b = asBuffer(bytes);
  const n = b.length;
  if (b[0] === 0x25 || (b[0] === 0xef && b[1] === 0xbb)) return undefined; // %YAML directive, BOM
  // Document markers: `---` at column 0 followed by a line end (or a comment).
  const marks: number[] = [];
  for (let p = indexOf(b, "---", 0); p >= 0; p = indexOf(b, "---", p + 3)) {
    if (p > 0 && b[p - 1] !== NL) continue;
    const e = lineEnd(b, p, n);
    const c = b[p + 3];
    if (p + 3 < e && c !== SP && c !== TAB && c !== CR) continue; // `----` or `---x`: content
    if (!blankOrComment(b, p + 3, e)) return undefined; // `--- {…}`, `--- !tag`
    marks.push(p);
  }
  // A document end marker `...`: left to the general parser.
  for (let p = indexOf(b, "...", 0); p >= 0; p = indexOf(b, "...", p + 3))
    if ((p === 0 || b[p - 1] === NL) && blankOrComment(b, p + 3, lineEnd(b, p, n))) return undefined;
  const docs: DocPiece[] = [];
  for (let i = 0; i <= marks.length; i++) {
    const end = i < marks.length ? marks[i] : n;
    const from = i === 0 ? 0 : Math.min(lineEnd(b, marks[i - 1], n) + 1, n);
    // What precedes the first marker is a document only if it holds something; after a
    // marker even an empty document counts (as the YAML library counts it).
    if (i > 0 || !onlyBlank(b, from, end)) docs.push(listOf(b, from, end) ?? { start: from, end });
  }
  return docs;
}

function onlyBlank(b: Buffer, p: number, end: number): boolean {
  while (p < end) {
    const e = lineEnd(b, p, end);
    if (!blankOrComment(b, p, e)) return false;
    p = e + 1;
  }
  return true;
}

/** A List in kubectl's layout inside [start, end), or undefined. */
function listOf(b: Buffer, start: number, end: number): DocPiece | undefined {
  let itemsLine = indexOf(b, "items:", start);
  while (itemsLine > start && itemsLine < end && b[itemsLine - 1] !== NL)
    itemsLine = indexOf(b, "items:", itemsLine + 6);
  if (itemsLine < 0 || itemsLine >= end) return undefined;
  const ile = lineEnd(b, itemsLine, end);
  if (!blankOrComment(b, itemsLine + 6, ile)) return undefined; // `items: []` and the like
  const first = ile + 1;
  if (first + 1 >= end || b[first] !== 0x2d || (b[first + 1] !== SP && b[first + 1] !== NL)) return undefined;
  const starts = [first];
  // Line by line (indexOf of a byte is memchr; a string search is slow on indented text): a
  // line at column 0 starting `- ` starts an item; any other one that is not blank or a
  // comment ends the items (the List's other keys follow).
  let regionEnd = end;
  for (let p = indexOf(b, NL, first); p >= 0 && p + 1 < end; p = indexOf(b, NL, p + 1)) {
    const c = b[p + 1];
    if (c === SP || c === NL || c === CR || c === TAB || c === HASH) continue;
    if (c === 0x2d && (b[p + 2] === SP || b[p + 2] === NL || b[p + 2] === CR)) starts.push(p + 1);
    else {
      regionEnd = p + 1;
      break;
    }
  }
  const last = regionEnd;
  const items: Piece[] = starts.map((s, i) => ({ start: s, end: i + 1 < starts.length ? starts[i + 1] : last }));
  const header = decode(b, start, itemsLine) + decode(b, regionEnd, end);
  return { start, end, list: { header, items } };
}

/**
 * A JSON List in kubectl's layout: its header (the object with `"items": []`) and its items.
 * Undefined when the file is not in that layout.
 */
export function splitJson(bytes: Bytes): { header: string; items: Piece[] } | undefined {
  const b = asBuffer(bytes);
  const key = indexOf(b, '\n    "items": [', 0);
  if (key < 0) return undefined;
  const open = key + 15;
  const items: Piece[] = [];
  let close: number;
  if (b[open] === 0x5d)
    close = open; // "items": []
  else {
    close = indexOf(b, "\n    ]", open);
    if (close < 0) return undefined;
    close += 5;
    // Item starts: a `{` alone on its line at 8 spaces. Found line by line (indexOf of a byte
    // is memchr): a string search for the indented line is slow on text that is mostly spaces.
    const starts: number[] = [];
    for (let p = indexOf(b, NL, open); p >= 0 && p < close; p = indexOf(b, NL, p + 1))
      if (
        b[p + 9] === 0x7b &&
        b[p + 1] === SP &&
        b[p + 8] === SP &&
        b[p + 2] === SP &&
        b[p + 3] === SP &&
        b[p + 4] === SP &&
        b[p + 5] === SP &&
        b[p + 6] === SP &&
        b[p + 7] === SP &&
        (b[p + 10] === NL || b[p + 10] === CR || b[p + 10] === 0x7d)
      )
        starts.push(p + 9);
    for (let i = 0; i < starts.length; i++) {
      // up to the `}` before the next item's start (or the closing `]`)
      let e = (i + 1 < starts.length ? starts[i + 1] : close) - 1;
      while (e > starts[i] && b[e] !== 0x7d) e--;
      items.push({ start: starts[i], end: e + 1 });
    }
  }
  const header = `${decode(b, 0, key + 1)}    "items": []${decode(b, close + 1)}`;
  return { header, items };
}

/** 1-based line of a byte offset, counted on demand and remembered in checkpoints. */
export class LineIndex {
  private readonly at: number[] = [0];
  private readonly line: number[] = [1];
  constructor(private readonly b: Bytes) {}

  lineAt(offset: number): number {
    const at = this.at;
    // the last checkpoint at or before offset
    let lo = 0;
    let hi = at.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (at[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    const b = this.b;
    let n = this.line[lo];
    const buf = asBuffer(b);
    for (let i = indexOf(buf, NL, at[lo]); i >= 0 && i < offset; i = indexOf(buf, NL, i + 1)) n++;
    if (lo === at.length - 1) {
      at.push(offset);
      this.line.push(n);
    } else {
      at.splice(lo + 1, 0, offset);
      this.line.splice(lo + 1, 0, n);
    }
    return n;
  }
}

/**
 * Field path -> 1-based line for a JSON text (every key and array element), by a scan of the
 * text: what lineMap gives for YAML, without parsing the JSON as YAML. `base` is the line of
 * the text's first character. The text is assumed to be valid JSON (JSON.parse read it).
 */
export function jsonLineMap(text: string, base = 1): Map<string, number> {
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
  const value = (path: string): void => {
    ws();
    const c = text.charCodeAt(i);
    if (c === 123) {
      i++;
      for (;;) {
        ws();
        if (text.charCodeAt(i) === 125) break;
        const l = line;
        const k = str();
        const p = childPath(path, k);
        m.set(p, l);
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
        m.set(p, line);
        value(p);
        ws();
        if (text.charCodeAt(i) === 44) i++;
        else break;
      }
      i++;
    } else if (c === 34) str();
    else while (i < n && !/[\s,\]}]/.test(text[i])) i++;
  };
  ws();
  m.set("", line);
  value("");
  return m;
}

/**
 * The item's text without its `metadata.managedFields` block, when it is where kubectl puts it
 * (`    managedFields:` under `  metadata:` of an item written as `- apiVersion: …`); the text
 * unchanged otherwise (the field is then dropped after parsing). Saves a third of the parsing
 * of a dump printed with --show-managed-fields.
 */
export function cutManagedFields(t: string): string {
  const a = t.indexOf("\n    managedFields:\n");
  if (a < 0) return t;
  const meta = t.lastIndexOf("\n  metadata:\n", a);
  if (meta < 0) return t;
  // no other key of the item between `metadata:` and it
  const other = /\n {2}[^ ]/g;
  other.lastIndex = meta + 1;
  const o = other.exec(t);
  if (o && o.index < a) return t;
  const rest = /\n(?! {4}- | {5})/g;
  rest.lastIndex = a + 19;
  const r = rest.exec(t);
  const b = r ? r.index : t.length;
  return t.slice(0, a) + t.slice(b);
}
