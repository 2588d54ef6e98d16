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
import type { SourceRef } from "./types.js";
import { type Diags, NO_VALUE, canonicalPath, childPath, indexPath } from "./diag.js";
import { BAIL, fastYaml } from "./fast-yaml.js";
import { LineIndex, type Piece, cutManagedFields, decode, jsonLineMap, splitJson, splitYaml } from "./split.js";

export interface SourceText {
  file: string;
  /** The file's content: bytes as read (large files are never decoded whole), or a string. */
  text: string | Uint8Array;
}

/** One decoded document with where it came from. */
export interface RawDocument {
  value: unknown;
  source: SourceRef;
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
    // The line of the field, or of its nearest ancestor present in the document.
    lineOf(path: string) {
      const map = getMap();
      let p: string | undefined = canonicalPath(path);
      while (p !== undefined) {
        const l = map.get(joinPath(prefix, p));
        if (l !== undefined) return l;
        p = parentPath(p);
      }
      return map.get(prefix) ?? 1;
    },
  };
}

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
// so an unquoted label value `no` is rejected the same way here.
const YAML_OPTIONS = { prettyErrors: false, uniqueKeys: true, version: "1.1" } as const;

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
  const md = (v as { metadata?: unknown } | null)?.metadata as Record<string, any> | undefined;
  if (!md || typeof md !== "object") return;
  if ("managedFields" in md) delete md.managedFields;
  const an = md.annotations;
  if (an && typeof an === "object" && LAST_APPLIED in an) {
    delete an[LAST_APPLIED];
    if (Object.keys(an).length === 0) delete md.annotations;
  }
}

/** YAML text (whole or one document of a split file) through the YAML library; returns the next docIndex. */
function readYamlText(
  file: string,
  text: string,
  firstLine: number,
  docIndex: number,
  diags: Diags,
  out: RawDocument[],
): number {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { ...YAML_OPTIONS, lineCounter: lc });
  const list = Array.isArray(docs) ? docs : [];
  const shift = firstLine - 1;
  for (const doc of list) {
    const idx = docIndex;
    if (doc.errors.length > 0) {
      docIndex++;
      for (const e of doc.errors) {
        const pos = lc.linePos(e.pos[0]);
        let msg = e.message.replace(/ at line \d+, column \d+[\s\S]*$/, "");
        if (/call stack/.test(msg)) msg = "nested too deeply to read";
        diags.add(
          "error",
          { source: { file, docIndex: idx, line: pos.line + shift }, object: `document ${idx + 1}` },
          undefined,
          NO_VALUE,
          `YAML syntax error: ${msg}`,
          { line: pos.line + shift, column: pos.col },
        );
      }
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      docIndex++;
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
  const size = typeof raw === "string" ? raw.length : raw.byteLength;
  if (typeof raw !== "string" && size >= (opts.splitAbove ?? SPLIT_ABOVE) && readSplit(src.file, raw, diags, out))
    return out;
  // Beyond V8's longest string the file cannot be read whole.
  if (typeof raw !== "string" && size > MAX_STRING) {
    diags.add(
      "error",
      { source: { file: src.file, docIndex: 0, line: 1 }, object: "document 1" },
      undefined,
      NO_VALUE,
      `the file is ${size} bytes, too large to read other than as a List in kubectl's layout (one List of items, or --- documents)`,
    );
    return out;
  }
  const text = typeof raw === "string" ? raw : decode(raw);
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
  readYamlText(src.file, text, 1, 0, diags, out);
  return out;
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

// V8's longest string (2^29 - 24 UTF-16 units on 64-bit).
const MAX_STRING = (1 << 29) - 24;

/**
 * A large file, split by kubectl's layout (split.ts) and read item by item. False when the
 * layout is not recognised (the caller reads the file whole).
 */
function readSplit(file: string, bytes: Uint8Array, diags: Diags, out: RawDocument[]): boolean {
  const lines = new LineIndex(bytes);
  let i = 0;
  while (i < bytes.length && (bytes[i] === 32 || bytes[i] === 9 || bytes[i] === 10 || bytes[i] === 13)) i++;
  if (bytes[i] === 123) {
    const j = splitJson(bytes);
    if (!j) return false;
    let list: Record<string, unknown>;
    try {
      list = JSON.parse(j.header);
    } catch {
      return false;
    }
    const values: unknown[] = [];
    for (const it of j.items) {
      try {
        values.push(JSON.parse(decode(bytes, it.start, it.end)));
      } catch (e) {
        if (bytes.byteLength <= MAX_STRING) return false; // the whole-text path reports it
        diags.add(
          "error",
          {
            source: { file, docIndex: values.length, line: lines.lineAt(it.start) },
            object: `document ${values.length + 1}`,
          },
          undefined,
          NO_VALUE,
          `JSON syntax error: ${(e as Error).message}`,
        );
        return true;
      }
    }
    listItems(file, list, j.items, values, 0, bytes, lines, true, out);
    return true;
  }
  const docs = splitYaml(bytes);
  if (!docs) return false;
  let idx = 0;
  for (const d of docs) {
    if (d.list) {
      let header: unknown;
      try {
        header = parse(d.list.header, YAML_OPTIONS);
      } catch {
        header = undefined;
      }
      const h = header as Record<string, unknown> | undefined;
      if (h && typeof h === "object" && typeof h.kind === "string" && /List$/.test(h.kind) && !("items" in h)) {
        const values: unknown[] = [];
        for (const it of d.list.items) values.push(yamlItem(file, bytes, it, lines, idx + values.length, diags));
        idx = listItems(file, h, d.list.items, values, idx, bytes, lines, false, out);
        continue;
      }
    }
    if (d.end - d.start > MAX_STRING) {
      diags.add(
        "error",
        { source: { file, docIndex: idx, line: lines.lineAt(d.start) }, object: `document ${idx + 1}` },
        undefined,
        NO_VALUE,
        `the document is ${d.end - d.start} bytes, too large to read other than as a List in kubectl's layout`,
      );
      idx++;
      continue;
    }
    const text = decode(bytes, d.start, d.end);
    const v = fastYaml(text.includes("\r") ? text.replace(/\r\n/g, "\n") : text);
    if (v === BAIL) idx = readYamlText(file, text, lines.lineAt(d.start), idx, diags, out);
    else if (v === null) idx++;
    else {
      const first = lines.lineAt(d.start);
      let cached: Map<string, number> | undefined;
      idx = expand(file, v, idx, () => (cached ??= yamlLineMap(text, first)), "", out);
    }
  }
  return true;
}

/** Field path -> line of a YAML text (one document) whose first line is `first`. */
function yamlLineMap(text: string, first: number): Map<string, number> {
  const lc = new LineCounter();
  const doc = parseAllDocuments(text, { ...YAML_OPTIONS, lineCounter: lc });
  const d = Array.isArray(doc) ? doc[0] : undefined;
  return d ? lineMap(d.contents as YamlNode, lc, first - 1) : new Map();
}

/** One List item of a split YAML file (`- apiVersion: …`): its value, undefined after an error. */
function yamlItem(file: string, bytes: Uint8Array, it: Piece, lines: LineIndex, idx: number, diags: Diags): unknown {
  const text = decode(bytes, it.start, it.end);
  const v = fastYaml(cutManagedFields(text.includes("\r") ? text.replace(/\r\n/g, "\n") : text));
  if (v !== BAIL && Array.isArray(v) && v.length === 1) return v[0];
  const got: RawDocument[] = [];
  readYamlText(file, text, lines.lineAt(it.start), idx, diags, got);
  const seq = got[0]?.value;
  return Array.isArray(seq) && seq.length === 1 ? seq[0] : undefined;
}

/** The items of a split List as documents, as expand() gives them; returns the next docIndex. */
function listItems(
  file: string,
  list: Record<string, unknown>,
  pieces: Piece[],
  values: unknown[],
  idx: number,
  bytes: Uint8Array,
  lines: LineIndex,
  json: boolean,
  out: RawDocument[],
): number {
  const itemKind = list.kind === "List" ? undefined : (list.kind as string).slice(0, -4);
  for (let i = 0; i < values.length; i++) {
    const item = values[i];
    const piece = pieces[i];
    const docIndex = idx++;
    if (item === undefined) continue; // a syntax error, already reported
    if (itemKind && item && typeof item === "object" && !Array.isArray(item)) {
      const it = item as Record<string, unknown>;
      if (it.kind === undefined) it.kind = itemKind;
      if (it.apiVersion === undefined && typeof list.apiVersion === "string") it.apiVersion = list.apiVersion;
    }
    dropBookkeeping(item);
    let first: number | undefined;
    const firstLine = () => (first ??= lines.lineAt(piece.start));
    let cached: Map<string, number> | undefined;
    const getMap = () => {
      if (!cached) {
        const text = decode(bytes, piece.start, piece.end);
        // A YAML item is parsed as the one-item sequence it is written as: its paths start with [0].
        cached = json ? prefixed(jsonLineMap(text, firstLine())) : yamlLineMap(text, firstLine());
      }
      return cached;
    };
    out.push({ value: item, source: makeSource(file, docIndex, getMap, "[0]", firstLine) });
  }
  return idx;
}

/** A JSON item's map under the `[0]` prefix its YAML twin has. */
function prefixed(m: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of m) out.set(k === "" ? "[0]" : k.startsWith("[") ? `[0]${k}` : `[0].${k}`, v);
  return out;
}
