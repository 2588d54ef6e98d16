// Manifest text -> decoded documents (RawDocument: value plus SourceRef), List items expanded.
// Pure: the caller reads the files.
//
// - Multi-document YAML (1.1, as kubectl reads it) through the `yaml` library; JSON through
//   JSON.parse, with lines from a scan of the text when a diagnostic asks for one.
// - Files from SPLIT_ABOVE bytes on, in kubectl's layout, are split into documents and List
//   items (split.ts) and read item by item (fast-yaml.ts for YAML), lines worked out per item
//   on demand: a cluster's dump can be larger than one V8 string and too slow to parse whole.
// - `kind: List` and typed lists (`ServiceList`, what the API returns): every item counts
//   as a document of its own (its own docIndex and line); the list itself takes no index.
import { LineCounter, parse, parseAllDocuments, isMap, isSeq, isScalar, isPair, type Node as YamlNode } from "yaml";
import { KUBE_YAML_READ } from "./yaml-scalars.js";
import type { SourceRef } from "./types.js";
import { Diags, MAX_DEPTH, type Mapping, NO_VALUE, canonicalPath, childPath, indexPath } from "./diag.js";
import { DeferStore } from "./deferred.js";
import { POD_DIGESTS } from "./pod-status.js";
import {
  BAIL,
  DEFER,
  type DeferSink,
  DROP,
  type Inside,
  LATER,
  type Skips,
  fastLines,
  fastRead,
  fastYaml,
  skipRules,
} from "./fast-yaml.js";
import {
  type ByteSource,
  MAX_STRING,
  bytesSource,
  cutJsonManagedFields,
  decode,
  jsonLineMap,
  readText,
  scanJson,
  scanYaml,
} from "./split.js";

export type { ByteSource } from "./split.js";

export interface SourceText {
  file: string;
  /**
   * The file's content: a string, bytes as read, or a ByteSource the reader reads in pieces
   * (a large file is then never in memory whole).
   */
  text: string | Uint8Array | ByteSource;
}

/** One decoded document with where it came from. */
export interface RawDocument {
  value: unknown;
  source: SourceRef;
  /** Read by fast-yaml.ts, which nests at most FAST_MAX_DEPTH levels: no depth check needed. */
  shallow?: boolean;
}

function joinPath(prefix: string, path: string): string {
  if (!prefix) return path;
  if (!path) return prefix;
  return path.startsWith("[") ? prefix + path : `${prefix}.${path}`;
}

function parentPath(path: string): string | undefined {
  if (!path) return undefined;
  if (path.endsWith("]")) return path.slice(0, path.lastIndexOf("["));
  const dot = path.lastIndexOf(".");
  return dot < 0 ? "" : path.slice(0, dot);
}

/** Field path -> 1-based line, for every key and sequence item of a YAML node. */
function lineMap(root: YamlNode | null | undefined, lc: LineCounter, shift = 0): Map<string, number> {
  const m = new Map<string, number>();
  const lineAt = (off: number) => lc.linePos(off).line + shift;
  const walk = (node: unknown, path: string) => {
    if (isMap(node)) {
      for (const item of node.items) {
        if (!isPair(item)) continue;
        const k = isScalar(item.key) ? String(item.key.value) : undefined;
        if (k === undefined) continue;
        const p = childPath(path, k);
        const kr = (item.key as YamlNode).range;
        if (kr) m.set(p, lineAt(kr[0]));
        walk(item.value, p);
      }
    } else if (isSeq(node)) {
      node.items.forEach((it, i) => {
        const p = indexPath(path, i);
        const r = (it as YamlNode | null)?.range;
        if (r) m.set(p, lineAt(r[0]));
        walk(it, p);
      });
    }
  };
  if (root?.range) m.set("", lineAt(root.range[0]));
  walk(root, "");
  return m;
}

function makeSource(
  file: string,
  docIndex: number,
  getMap: () => Map<string, number>,
  prefix: string,
  firstLine?: () => number,
): SourceRef {
  return {
    file,
    docIndex,
    // Lazy for JSON and split input: lines are only worked out when a diagnostic needs one.
    get line(): number {
      return firstLine ? firstLine() : (getMap().get(prefix) ?? 1);
    },
    lineOf: (path: string) => lineIn(getMap(), prefix, path),
  };
}

/** The line of the field, or of its nearest ancestor present in the document. */
function lineIn(map: Map<string, number>, prefix: string, path: string): number {
  let p: string | undefined = canonicalPath(path);
  while (p !== undefined) {
    const l = map.get(joinPath(prefix, p));
    if (l !== undefined) return l;
    p = parentPath(p);
  }
  return map.get(prefix) ?? 1;
}

/**
 * Where a List item of a split file is. Its first line was counted while reading; the lines
 * of its fields are worked out from its text, read again, only when a diagnostic asks.
 */
class ItemSource implements SourceRef {
  constructor(
    readonly file: string,
    readonly docIndex: number,
    readonly line: number,
    private readonly src: ByteSource,
    private readonly start: number,
    private readonly end: number,
    private readonly json: boolean,
    /** The rules the item was read with when it left values for later (fast-yaml.ts LATER). */
    public later?: Skips,
  ) {}

  /** The item as its text says now, read whole (managedFields and last-applied still dropped). */
  whole(): unknown {
    const text = readText(this.src, this.start, this.end);
    const v = this.json ? JSON.parse(cutJsonManagedFields(text)) : fastItem(text, ITEM)?.value;
    const item = v !== undefined ? v : yamlItem(this.file, text, this.line, this.docIndex, new Diags());
    dropBookkeeping(item);
    return item;
  }

  lineOf(path: string): number {
    let t = lastItem;
    if (t?.of !== this) {
      const text = readText(this.src, this.start, this.end);
      lastItem = t = { of: this, text: text.includes("\r") ? text.replace(/\r\n/g, "\n") : text };
    }
    // A YAML item is parsed as the one-item sequence it is written as: its paths start with [0].
    const map = this.json
      ? prefixed(jsonLineMap(t.text, this.line, canonicalPath(path)))
      : (t.map ??
        fastLines(t.text, this.line, ITEM, joinPath("[0]", canonicalPath(path))) ??
        (t.map = libraryLineMap(t.text, this.line)));
    return lineIn(map, "[0]", path);
  }
}

// The text (and lines, once worked out whole) of the item asked last: an object's diagnostics
// come together. A map of every path kept per item was ~150 entries for each pod of a dump
// warned about (150,000 of them: GBs); the fast reader finds one path's line in well under 0.1 ms.
let lastItem: { of: ItemSource; text: string; map?: Map<string, number> } | undefined;

/** One decoded document, or each item of a List, appended to `out`; returns the next docIndex. */
function expand(
  file: string,
  value: unknown,
  idx: number,
  getMap: () => Map<string, number>,
  prefix: string,
  out: RawDocument[],
): number {
  const v = value as Record<string, unknown>;
  const isList =
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    typeof v.kind === "string" &&
    /List$/.test(v.kind) &&
    Array.isArray(v.items);
  if (!isList) {
    dropBookkeeping(value);
    out.push({ value, source: makeSource(file, idx, getMap, prefix) });
    return idx + 1;
  }
  // Items of a typed list (ServiceList …) come without kind/apiVersion from the API.
  // The list wrapper takes no index of its own.
  const itemKind = v.kind === "List" ? undefined : (v.kind as string).slice(0, -4);
  (v.items as unknown[]).forEach((item, i) => {
    if (itemKind && item && typeof item === "object" && !Array.isArray(item)) {
      const it = item as Record<string, unknown>;
      if (it.kind === undefined) it.kind = itemKind;
      if (it.apiVersion === undefined && typeof v.apiVersion === "string") it.apiVersion = v.apiVersion;
    }
    dropBookkeeping(item);
    out.push({ value: item, source: makeSource(file, idx++, getMap, joinPath(prefix, indexPath("items", i))) });
  });
  return idx;
}

// YAML 1.1 like kubectl (sigs.k8s.io/yaml on go-yaml v2): `yes`/`on`/`no` are booleans there,
// so an unquoted label value `no` is rejected the same way here; numbers as go-yaml v2 reads
// them (yaml-scalars.ts: `e6` is a string, not NaN).
const YAML_OPTIONS = KUBE_YAML_READ;

/**
 * Files at least this large are split into documents and List items and read item by item
 * (split.ts, fast-yaml.ts); smaller ones go whole through the YAML library.
 */
export const SPLIT_ABOVE = 4 << 20;

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * Drops what podnet never reads and a dump carries in bulk: `metadata.managedFields` (server-side
 * apply bookkeeping) and the last-applied annotation (`kubectl apply`'s copy of the object).
 * Nothing in podnet looks at either; together they are about half of a dump's bytes.
 */
function dropBookkeeping(v: unknown): void {
  // A List item read by the YAML library comes as the one-item sequence it is written as:
  // its item is dealt with as one (listItems), a served one keeping its nulls.
  if (Array.isArray(v)) return;
  if (!served(v)) dropNulls(v, 0);
  const md = (v as { metadata?: unknown } | null)?.metadata as Mapping | undefined;
  if (!md || typeof md !== "object") return;
  if ("managedFields" in md) delete md.managedFields;
  const an = md.annotations;
  if (an && typeof an === "object" && LAST_APPLIED in an) {
    delete an[LAST_APPLIED];
    if (Object.keys(an).length === 0) delete md.annotations;
  }
}

// Fields of the API's map[string]string types (labels, annotations, selectors' matchLabels,
// nodeSelector, a ConfigMap's or Secret's data).
const STRING_MAPS = new Set(["labels", "annotations", "matchLabels", "nodeSelector", "data", "stringData"]);

/**
 * A manifest's `null`s as the API server reads them: JSON null decodes to the Go field's zero
 * value or nil (encoding/json; sigs.k8s.io/yaml turns YAML into JSON first), so `nodePort: null`
 * — what Helm charts render for an unset value — is no nodePort, and a null in a string map is
 * "". Objects the API server returned (with a uid) are left as it wrote them.
 */
function dropNulls(v: unknown, depth: number): void {
  if (depth > MAX_DEPTH || v === null || typeof v !== "object") return;
  if (Array.isArray(v)) {
    for (const x of v) dropNulls(x, depth + 1);
    return;
  }
  const o = v as Mapping;
  for (const k of Object.keys(o)) {
    const x = o[k];
    if (x === null) delete o[k];
    else if (STRING_MAPS.has(k) && typeof x === "object" && !Array.isArray(x)) {
      for (const lk of Object.keys(x)) if (x[lk] === null) x[lk] = "";
    } else dropNulls(x, depth + 1);
  }
}

/** Syntax errors reported per document; past them, one line says there are more. */
export const MAX_SYNTAX_ERRORS = 10;

// A Go template action (`{{ .Values.x }}`, `{{- if … }}`): a Helm chart's templates/, not
// YAML until rendered.
const TEMPLATE = /\{\{-?\s*[-.$a-zA-Z/(]/;
const TEMPLATE_HINT =
  " (the file holds Go template actions `{{ … }}`: an unrendered Helm template; give podnet what `helm template CHART` prints)";

/** YAML text (whole or one document of a split file) through the YAML library; returns the next docIndex. */
function readYamlText(
  file: string,
  text: string,
  firstLine: number,
  docIndex: number,
  diags: Diags,
  out: RawDocument[],
  aliases?: OutsideAliases,
): number {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { ...YAML_OPTIONS, lineCounter: lc });
  const list = Array.isArray(docs) ? docs : [];
  const shift = firstLine - 1;
  for (const doc of list) {
    const idx = docIndex;
    if (doc.errors.length > 0) {
      docIndex++;
      // The parser can repeat one error for every level it unwinds (hundreds for a text
      // nested too deeply): each distinct error once, at most MAX_SYNTAX_ERRORS of them.
      const seen = new Set<string>();
      for (const e of doc.errors) {
        const pos = lc.linePos(e.pos[0]);
        // The message without the excerpt of the text the library appends (it may say anything).
        const said = e.message.replace(/ at line \d+, column \d+[\s\S]*$/, "");
        const deep = /call stack/.test(said);
        const msg = deep ? "nested too deeply to read" : said;
        // Running out of stack is said once, wherever the parser noticed it.
        const key = deep ? msg : `${pos.line}:${pos.col}:${msg}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (seen.size > MAX_SYNTAX_ERRORS) break;
        diags.add(
          "error",
          { source: { file, docIndex: idx, line: pos.line + shift }, object: `document ${idx + 1}` },
          undefined,
          NO_VALUE,
          `YAML syntax error: ${msg}${seen.size === 1 && TEMPLATE.test(text) ? TEMPLATE_HINT : ""}`,
          { line: pos.line + shift, column: pos.col },
        );
      }
      // At the document's first line (its own, not the text's: a file read whole holds several).
      const docLine = lc.linePos(doc.range[0]).line + shift + (text.startsWith("---", doc.range[0]) ? 1 : 0);
      if (seen.size > MAX_SYNTAX_ERRORS)
        diags.add(
          "error",
          { source: { file, docIndex: idx, line: docLine }, object: `document ${idx + 1}` },
          undefined,
          NO_VALUE,
          `more YAML syntax errors in this document (the first ${MAX_SYNTAX_ERRORS} are shown)`,
        );
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      docIndex++;
      // The yaml library's toJS (nodes/Alias.js): an alias whose anchor is not in this text.
      if (aliases && e instanceof ReferenceError && e.message.startsWith("Unresolved alias")) aliases.outside = true;
      diags.add(
        "error",
        { source: { file, docIndex: idx, line: firstLine }, object: `document ${idx + 1}` },
        undefined,
        NO_VALUE,
        `YAML error: ${(e as Error).message}`,
      );
      continue;
    }
    if (value === null || value === undefined) {
      docIndex++; // an empty document (trailing ---, comments only) still counts
      continue;
    }
    const map = lineMap(doc.contents as YamlNode, lc, shift);
    docIndex = expand(file, value, idx, () => map, "", out);
  }
  return docIndex;
}

/** A JSON object's documents, with lines worked out by a scan of the text when asked. */
function readJsonValue(
  file: string,
  value: unknown,
  text: () => string,
  firstLine: number,
  idx: number,
  out: RawDocument[],
): number {
  let cached: Map<string, number> | undefined;
  return expand(file, value, idx, () => (cached ??= jsonLineMap(text(), firstLine)), "", out);
}

/** Splits a text into decoded documents, List items expanded. Syntax errors go to diags. */
export function readDocuments(src: SourceText, diags: Diags, opts: { splitAbove?: number } = {}): RawDocument[] {
  const out: RawDocument[] = [];
  const raw = src.text;
  let text: string;
  if (typeof raw === "string") text = raw;
  else {
    const bytes = raw instanceof Uint8Array ? bytesSource(raw) : raw;
    if (bytes.size >= (opts.splitAbove ?? SPLIT_ABOVE) && readSplit(src.file, bytes, diags, out)) return out;
    // Beyond V8's longest string the file cannot be read whole.
    if (bytes.size > MAX_STRING) {
      diags.add(
        "error",
        { source: { file: src.file, docIndex: 0, line: 1 }, object: "document 1" },
        undefined,
        NO_VALUE,
        `the file is ${bytes.size} bytes, too large to read other than as a List in kubectl's layout (one List of items, or --- documents)`,
      );
      return out;
    }
    text = raw instanceof Uint8Array ? decode(raw) : readText(raw, 0, raw.size);
  }
  // JSON fast path (`kubectl get -o json` dumps): JSON.parse is far quicker than the YAML
  // composer; line numbers come from a scan of the text, only if a diagnostic asks.
  if (/^\s*\{/.test(text)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      // A large JSON text (`{"` first) with an error: report JSON.parse's position rather
      // than composing the whole text again as YAML to find it (memory: ~40x the text).
      if (text.length >= JSON_ONLY_ABOVE && /^\s*\{\s*"/.test(text)) {
        jsonError(src.file, text, e as Error, diags);
        return out;
      }
      value = undefined; // not plain JSON: the YAML parser reports where it breaks
    }
    if (value && typeof value === "object" && !Array.isArray(value)) {
      readJsonValue(src.file, value, () => text, 1, 0, out);
      return out;
    }
  }
  const deep = flowTooDeep(text, MAX_DEPTH);
  if (deep >= 0) {
    // Said before the YAML library composes it: 1 MB of `[` took it ~5 s and ~600 MB.
    const before = text.slice(0, deep);
    const line = before.split("\n").length;
    const column = deep - before.lastIndexOf("\n");
    diags.add(
      "error",
      { source: { file: src.file, docIndex: 0, line }, object: "document 1" },
      undefined,
      NO_VALUE,
      "YAML syntax error: nested too deeply to read",
      { line, column },
    );
    return out;
  }
  readYamlText(src.file, text, 1, 0, diags, out);
  return out;
}

/**
 * The offset where flow collections (`[`, `{`) nest deeper than max, or -1. One pass over the
 * lines: a bracket opens a collection only where one can start (at a value's place: a line's
 * start, after `: `, `- `, or inside another), quoted scalars, comments and block scalars'
 * bodies (`|`, `>`) are passed over. Block nesting is not counted (it costs the parser
 * nothing like this).
 */
export function flowTooDeep(text: string, max: number): number {
  let depth = 0;
  let block = -1; // the indentation of the line that opened a block scalar, while in its body
  let ls = 0;
  while (ls < text.length) {
    let le = text.indexOf("\n", ls);
    if (le < 0) le = text.length;
    let p = ls;
    while (p < le && text.charCodeAt(p) === 32) p++;
    const ind = p - ls;
    if (block >= 0 && (p === le || ind > block)) {
      ls = le + 1;
      continue;
    }
    block = -1;
    const at = flowLine(text, p, le, depth, max);
    if (at.over >= 0) return at.over;
    depth = at.depth;
    if (depth === 0 && /(^|[:-]\s)\s*[|>][-+0-9]*\s*(#.*)?$/.test(text.slice(p, le))) block = ind;
    ls = le + 1;
  }
  return -1;
}

/** flowTooDeep's scan of one line from p: the depth after it, or where it went past max. */
function flowLine(text: string, p: number, le: number, depth: number, max: number): { depth: number; over: number } {
  let valueStart = true; // where a flow collection may open at depth 0
  for (let i = p; i < le; i++) {
    const c = text.charCodeAt(i);
    if (c === 91 || c === 123) {
      if (depth > 0 || valueStart) {
        if (++depth > max) return { depth, over: i };
      }
    } else if (c === 93 || c === 125) {
      if (depth > 0) depth--;
    } else if ((c === 34 || c === 39) && (depth > 0 || valueStart)) {
      // A quoted scalar: to its closing quote on this line (one left open ends the line).
      const q = c;
      for (i++; i < le; i++) {
        const d = text.charCodeAt(i);
        if (q === 34 && d === 92) i++;
        else if (d === q) {
          if (q === 39 && text.charCodeAt(i + 1) === 39) i++;
          else break;
        }
      }
    } else if (c === 35 && (i === p || text.charCodeAt(i - 1) === 32)) {
      return { depth, over: -1 };
    }
    if (c !== 32) valueStart = c === 58 || c === 45 || c === 44 || c === 91 || c === 123;
    else if (i > p && !valueStart) {
      const prev = text.charCodeAt(i - 1);
      valueStart = prev === 58 || prev === 45 || prev === 44;
    }
  }
  return { depth, over: -1 };
}

/** Whether a file's first non-blank character is `{` (JSON), from its first bytes. */
function startsJson(src: ByteSource): boolean {
  const head = Buffer.allocUnsafe(Math.min(src.size, 1 << 16));
  const n = src.read(head, 0, head.length);
  for (let i = 0; i < n; i++) {
    const c = head[i];
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return c === 123;
  }
  return false;
}

/** A List item's place in the file. */
interface Place {
  start: number;
  end: number;
  line: number;
  /** The rules the item was read with, when it left values for later. */
  later?: Skips;
}

/** JSON texts this large are not re-read as YAML when JSON.parse fails (see readDocuments). */
export const JSON_ONLY_ABOVE = 1 << 20;

/** JSON.parse's error at its line and column (V8 says "… at position N"). */
function jsonError(file: string, text: string, e: Error, diags: Diags): void {
  const m = /at position (\d+)/.exec(e.message);
  const pos = m ? Math.min(Number(m[1]), text.length) : undefined;
  let line = 1;
  let lineStart = 0;
  if (pos !== undefined)
    for (let i = text.indexOf("\n"); i >= 0 && i < pos; i = text.indexOf("\n", i + 1)) {
      line++;
      lineStart = i + 1;
    }
  const msg = e.message.replace(/\s*\(line \d+ column \d+\)/, "").replace(/, ".*" is not valid JSON$/s, "");
  diags.add(
    "error",
    { source: { file, docIndex: 0, line }, object: "document 1" },
    undefined,
    NO_VALUE,
    `JSON syntax error: ${msg.length > 200 ? msg.slice(0, 200) + "…" : msg}`,
    pos !== undefined ? { line, column: pos - lineStart + 1 } : { line },
  );
}

/**
 * A large file, split by kubectl's layout (split.ts) and read item by item. False when the
 * layout is not recognised (the caller reads the file whole).
 */
function readSplit(file: string, src: ByteSource, diags: Diags, out: RawDocument[]): boolean {
  if (startsJson(src)) {
    const values: unknown[] = [];
    const places: Place[] = [];
    let failed = false;
    const header = scanJson(src, (text, start, end, line) => {
      let v: unknown;
      try {
        v = JSON.parse(cutJsonManagedFields(text));
      } catch {
        try {
          v = JSON.parse(text); // as written (and its message, if it is broken)
        } catch (e) {
          if (src.size <= MAX_STRING) return false; // the whole-text path reports it
          failed = true;
          diags.add(
            "error",
            { source: { file, docIndex: values.length, line }, object: `document ${values.length + 1}` },
            undefined,
            NO_VALUE,
            `JSON syntax error: ${(e as Error).message}`,
          );
          return false;
        }
      }
      values.push(v);
      places.push({ start, end, line });
      return true;
    });
    if (failed) return true;
    if (header === undefined) return false;
    let list: Record<string, unknown>;
    try {
      list = JSON.parse(header);
    } catch {
      return false;
    }
    listItems(file, list, places, values, 0, src, true, out);
    return true;
  }
  // What the file gives is kept aside until it is read to its end: a layout found wrong on the
  // way (scanYaml false) sends the whole file to the general path.
  const got: RawDocument[] = [];
  const found = new Diags();
  // Where served pods' DEFER values are in the file, read when asked for.
  const store = new DeferStore(src, POD_DIGESTS);
  const sink = store.sink();
  let idx = 0;
  let values: unknown[] = [];
  let places: Place[] = [];
  let fast: boolean[] = [];
  let itemDiags = new Diags();
  const plain = (text: string | undefined, start: number, end: number, line: number) => {
    if (text === undefined) {
      found.add(
        "error",
        { source: { file, docIndex: idx, line }, object: `document ${idx + 1}` },
        undefined,
        NO_VALUE,
        `the document is ${end - start} bytes, too large to read other than as a List in kubectl's layout`,
      );
      idx++;
      return;
    }
    const v = fastYaml(text.includes("\r") ? text.replace(/\r\n/g, "\n") : text);
    if (v === BAIL) idx = readYamlText(file, text, line, idx, found, got);
    else if (v === null) idx++;
    else {
      let cached: Map<string, number> | undefined;
      idx = expand(file, v, idx, () => (cached ??= yamlLineMap(text, line)), "", got);
    }
  };
  const aliases: OutsideAliases = { outside: false };
  const ok = scanYaml(src, {
    doc: plain,
    item(text, start, end, line, inside) {
      if (aliases.outside) return; // the file is read whole instead
      let skips = skipsFor(text);
      // Values are deferred only where the text is the file's bytes (ASCII, no CR): the
      // store reads them back by file offset.
      const noted = store.size;
      if (inside) store.base = start - inside.at;
      let r = fastItem(text, skips, inside, inside && sink);
      // Only what the API server validated is read in part: a manifest is read again whole.
      if (r === undefined)
        store.forget(noted); // read again by the YAML library
      else if ((r.later || r.deferred) && !served(r.value)) {
        store.forget(noted);
        r = fastItem(text, (skips = ITEM), inside);
      }
      fast.push(r !== undefined);
      values.push(r !== undefined ? r.value : yamlItem(file, text, line, idx + values.length, itemDiags, aliases));
      places.push(r?.later ? { start, end, line, later: skips } : { start, end, line });
    },
    list(header, start, end, line) {
      let h: Record<string, unknown> | undefined;
      try {
        h = parse(header, YAML_OPTIONS) as Record<string, unknown> | undefined;
      } catch {
        h = undefined;
      }
      if (h && typeof h === "object" && typeof h.kind === "string" && /List$/.test(h.kind) && !("items" in h)) {
        for (const d of itemDiags.list) found.list.push(d);
        idx = listItems(file, h, places, values, idx, src, false, got, fast);
      } else plain(end - start > MAX_STRING ? undefined : readText(src, start, end), start, end, line);
      values = [];
      places = [];
      fast = [];
      itemDiags = new Diags();
    },
  });
  if (!ok || aliases.outside) return false;
  for (const d of found.list) diags.list.push(d);
  for (const d of got) out.push(d);
  return true;
}

/** Field path -> line of a YAML text (one document) whose first line is `first`. */
function yamlLineMap(text: string, first: number): Map<string, number> {
  return (
    fastLines(text.includes("\r") ? text.replace(/\r\n/g, "\n") : text, first, ITEM) ?? libraryLineMap(text, first)
  );
}

/** yamlLineMap by the YAML library's nodes: the reference fastLines is held to (fast-yaml.test.ts). */
export function libraryLineMap(text: string, first: number): Map<string, number> {
  const lc = new LineCounter();
  const doc = parseAllDocuments(text, { ...YAML_OPTIONS, lineCounter: lc });
  const d = Array.isArray(doc) ? doc[0] : undefined;
  return d ? lineMap(d.contents as YamlNode, lc, first - 1) : new Map();
}

// What a List item of a split YAML file is read without (fast-yaml.ts Skips). Every item:
// its managedFields (server-side apply's bookkeeping, a third of a dump's bytes; podnet never
// keeps them). A Pod the API server returned (it has a uid; the server validated it): what
// only the whole pod's views show (`describe`, `get -o yaml`), which read it again (inFull):
// its volumes, tolerations (most pods have two, a DaemonSet's a dozen: objects the collector
// copies for each of 150,000 pods), node selector. No model code reads these fields but
// after inFull (later-fields.test.ts: a pending pod), nor do `get pods` columns. Its
// status lists (~20 objects a pod, which model code does not read: the address is
// status.podIP, readiness a digest of the conditions, pod-status.ts) are DEFER: read from the
// file when first asked for (deferred.ts), for `get pods` columns too.
const ITEM = skipRules({ metadata: { managedFields: DROP } });
const CONTAINER = {
  imagePullPolicy: LATER,
  terminationMessagePath: LATER,
  terminationMessagePolicy: LATER,
  volumeMounts: LATER,
} as const;
export const SERVED_POD = skipRules({
  metadata: { managedFields: DROP },
  spec: {
    containers: CONTAINER,
    initContainers: CONTAINER,
    nodeSelector: LATER,
    schedulerName: LATER,
    securityContext: LATER,
    terminationGracePeriodSeconds: LATER,
    tolerations: LATER,
    volumes: LATER,
  },
  status: {
    conditions: DEFER,
    containerStatuses: DEFER,
    initContainerStatuses: DEFER,
    ephemeralContainerStatuses: DEFER,
    podIPs: DEFER,
    hostIPs: DEFER,
  },
});
// A Node's status.images (every image on the node, often hundreds of lines): no view shows them.
export const SERVED_NODE = skipRules({ metadata: { managedFields: DROP }, status: { images: LATER } });

const POD_HEAD = "- apiVersion: v1\n  kind: Pod\n";
const NODE_HEAD = "- apiVersion: v1\n  kind: Node\n";

/** The rules for an item in kubectl's layout, by its kind (the second line). */
function skipsFor(t: string): Skips {
  return t.startsWith(POD_HEAD) ? SERVED_POD : t.startsWith(NODE_HEAD) ? SERVED_NODE : ITEM;
}

const uidOf = (v: unknown) => (v as { metadata?: { uid?: unknown } } | null)?.metadata?.uid;
/** An object the API server returned: it gave it a uid. */
const served = (v: unknown) => typeof uidOf(v) === "string";

/** One List item of a split YAML file (`- apiVersion: …`) by fast-yaml.ts, or undefined (BAIL). */
function fastItem(
  text: string,
  skips: Skips,
  inside?: Inside,
  sink?: DeferSink,
): { value: unknown; later: boolean; deferred: boolean } | undefined {
  // A text inside its window's string has no CR (split.ts Window.inside).
  const r = inside
    ? fastRead(text, skips, inside, sink)
    : fastRead(text.includes("\r") ? text.replace(/\r\n/g, "\n") : text, skips, undefined, sink);
  if (r === BAIL || !Array.isArray(r.value) || r.value.length !== 1) return undefined;
  return { value: r.value[0], later: r.later, deferred: r.deferred };
}

/**
 * Set when a List item read on its own names an anchor it does not hold: YAML's anchors are
 * the whole document's, so another item may (a List written by a tool that shares equal
 * values, not by kubectl), and only a read of the whole file can tell.
 */
interface OutsideAliases {
  outside: boolean;
}

/** One List item of a split YAML file from its line by the YAML library: its value, undefined after an error. */
function yamlItem(
  file: string,
  text: string,
  line: number,
  idx: number,
  diags: Diags,
  aliases?: OutsideAliases,
): unknown {
  const got: RawDocument[] = [];
  readYamlText(file, text, line, idx, diags, got, aliases);
  const seq = got[0]?.value;
  return Array.isArray(seq) && seq.length === 1 ? seq[0] : undefined;
}

/** The items of a split List as documents, as expand() gives them; returns the next docIndex. */
function listItems(
  file: string,
  list: Record<string, unknown>,
  places: Place[],
  values: unknown[],
  idx: number,
  src: ByteSource,
  json: boolean,
  out: RawDocument[],
  fast?: boolean[],
): number {
  const itemKind = list.kind === "List" ? undefined : (list.kind as string).slice(0, -4);
  for (let i = 0; i < values.length; i++) {
    const item = values[i];
    const at = places[i];
    const docIndex = idx++;
    if (item === undefined) continue; // a syntax error, already reported
    if (itemKind && item && typeof item === "object" && !Array.isArray(item)) {
      const it = item as Record<string, unknown>;
      if (it.kind === undefined) it.kind = itemKind;
      if (it.apiVersion === undefined && typeof list.apiVersion === "string") it.apiVersion = list.apiVersion;
    }
    dropBookkeeping(item);
    const source = new ItemSource(file, docIndex, at.line, src, at.start, at.end, json, at.later);
    out.push(fast?.[i] ? { value: item, source, shallow: true } : { value: item, source });
  }
  return idx;
}

/** A JSON item's map under the `[0]` prefix its YAML twin has. */
function prefixed(m: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of m) out.set(k === "" ? "[0]" : k.startsWith("[") ? `[0]${k}` : `[0].${k}`, v);
  return out;
}

/**
 * The object with what its reading left for later (fast-yaml.ts LATER) read again from its
 * file and put back in place, where the whole object would have it (key order included): for
 * the views that show every field. Once per object; unchanged when it was read whole or its
 * text no longer reads.
 */
export function inFull<T extends object>(o: T): T {
  const src = (o as { source?: unknown }).source;
  if (!(src instanceof ItemSource) || !src.later) return o;
  const skips = src.later;
  src.later = undefined;
  let whole: unknown;
  try {
    whole = src.whole();
  } catch {
    return o; // the file is gone or no longer reads: what was read stays
  }
  // The same object still (a file rewritten since would give another's fields).
  if (uidOf(whole) === uidOf(o)) refill(o, whole, skips);
  return o;
}

/** Whether the object was read without some of its values (see inFull). */
export function readInPart(o: object): boolean {
  const src = (o as { source?: unknown }).source;
  return src instanceof ItemSource && src.later !== undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Puts back into `slim` the LATER values of `whole`, in whole's key order (arrays entry by entry). */
function refill(slim: unknown, whole: unknown, skips: Skips): void {
  if (Array.isArray(slim) && Array.isArray(whole)) {
    for (let i = 0; i < slim.length && i < whole.length; i++) refill(slim[i], whole[i], skips);
    return;
  }
  if (!isRecord(slim) || !isRecord(whole)) return;
  let late = false;
  for (const k of Object.keys(whole)) {
    const rule = skips[k];
    if (rule === LATER) late = true;
    else if (typeof rule === "object") refill(slim[k], whole[k], rule);
  }
  if (!late) return;
  // Rebuilt in place (the model holds this object): whole's keys in its order, then the keys
  // only the slim one has (defaults podnet added after reading).
  const had = { ...slim };
  for (const k of Object.keys(slim)) delete slim[k];
  for (const k of Object.keys(whole)) {
    if (skips[k] === LATER) slim[k] = whole[k];
    else if (Object.hasOwn(had, k)) slim[k] = had[k];
  }
  for (const k of Object.keys(had)) if (!Object.hasOwn(slim, k)) slim[k] = had[k];
}
