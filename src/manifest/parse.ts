// Manifests (YAML or JSON text) -> ClusterSpec. Pure: the caller reads the files.
//
// - Multi-document YAML (1.1, as kubectl reads it); JSON (JSON.parse, with the YAML parser
//   run for line numbers only when a diagnostic asks for one).
// - `kind: List` and typed lists (`ServiceList`, what the API returns): every item counts
//   as a document of its own (its own docIndex and line); the list itself takes no index.
// - A `kind: Cluster` document (apiVersion podnet.dev/v1alpha1) among the manifests is the
//   cluster config unless one is passed separately (then it is ignored with a warning).
// - Understood kinds are kept (raw object plus the defaults Kubernetes applies at
//   admission that podnet relies on); other kinds give one warning per kind.
// - All errors of all documents are collected and thrown as one SpecError.
import { LineCounter, parse, parseAllDocuments, isMap, isSeq, isScalar, isPair, type Node as YamlNode } from "yaml";
import type { ClusterSpec } from "./cluster-spec.js";
import type { Diagnostic, KubeObject, SourceRef } from "./types.js";
import {
  type ClusterConfig,
  CONFIG_API_VERSION,
  KIND_CONFIG_API_VERSION,
  defaultConfig,
  parseConfig,
} from "./config.js";
import {
  Diags,
  type Mapping,
  NO_VALUE,
  canonicalPath,
  childPath,
  indexPath,
  isNamespaced,
  objectLabel,
} from "./diag.js";
import { SpecError } from "./errors.js";
import { BAIL, fastYaml } from "./fast-yaml.js";
import { LineIndex, type Piece, cutManagedFields, decode, jsonLineMap, splitJson, splitYaml } from "./split.js";
import { validateObjects } from "./validate.js";

export interface SourceText {
  file: string;
  /** The file's content: bytes as read (large files are never decoded whole), or a string. */
  text: string | Uint8Array;
}

/** apiVersion each understood kind is served at. */
export const KIND_API_VERSIONS: Record<string, string> = {
  Namespace: "v1",
  Node: "v1",
  Pod: "v1",
  Service: "v1",
  Endpoints: "v1",
  Deployment: "apps/v1",
  ReplicaSet: "apps/v1",
  StatefulSet: "apps/v1",
  DaemonSet: "apps/v1",
  Job: "batch/v1",
  EndpointSlice: "discovery.k8s.io/v1",
  NetworkPolicy: "networking.k8s.io/v1",
  Ingress: "networking.k8s.io/v1",
};
// Versions that served these kinds once and were removed (kubectl: "no matches for kind").
const REMOVED_VERSIONS = new Set([
  "extensions/v1beta1",
  "apps/v1beta1",
  "apps/v1beta2",
  "networking.k8s.io/v1beta1",
  "discovery.k8s.io/v1beta1",
]);

const groupOf = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "");

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
        const msg = e.message.replace(/ at line \d+, column \d+[\s\S]*$/, "");
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
    } catch {
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

function isClusterDoc(v: unknown): boolean {
  if (!v || typeof v !== "object") return false;
  const o = v as Record<string, unknown>;
  return o.kind === "Cluster" && (o.apiVersion === CONFIG_API_VERSION || o.apiVersion === KIND_CONFIG_API_VERSION);
}

export interface SpecCheck {
  /** The spec as far as it could be read (objects with errors are still included). */
  spec: ClusterSpec;
  /** Errors and warnings, in input order. */
  diagnostics: Diagnostic[];
}

/** Like parseSpec, but returns the diagnostics instead of throwing. */
export function checkSpec(sources: SourceText[], config?: SourceText): SpecCheck {
  const diags = new Diags();
  const docs: RawDocument[] = [];
  // One push per document: spreading ~200,000 items of a dump overflows the call stack.
  for (const s of sources) for (const d of readDocuments(s, diags)) docs.push(d);

  // The cluster config: --config first, else a Cluster document among the manifests.
  const r: DocsRead = { cfg: config ? configFromFile(config, diags) : undefined, objects: [], ignored: new Map() };
  for (const d of docs) readDocument(d, config, diags, r);
  for (const [key, { count, first }] of r.ignored)
    diags.warn(
      { source: { ...first, lineOf: undefined } },
      undefined,
      NO_VALUE,
      `ignored kind ${key} (${count} object${count === 1 ? "" : "s"})`,
    );

  const cfg = r.cfg ?? defaultConfig();
  validateObjects(r.objects, cfg, diags);
  for (const o of r.objects) applyDefaults(o);
  return { spec: { config: cfg, objects: r.objects, warnings: diags.warnings }, diagnostics: diags.list };
}

/** What reading the manifest documents gathers, in input order. */
interface DocsRead {
  cfg: ClusterConfig | undefined;
  /** The Cluster document the config came from (none with --config). */
  configDoc?: RawDocument;
  objects: KubeObject[];
  /** Kinds podnet does not model, counted, with the first place each was seen. */
  ignored: Map<string, { count: number; first: SourceRef }>;
}

/** --config: exactly one Cluster document. */
function configFromFile(config: SourceText, diags: Diags): ClusterConfig | undefined {
  const cdocs = readDocuments(config, diags);
  const cd = cdocs.filter((d) => isClusterDoc(d.value));
  if (cdocs.length > 0 && cd.length === 0)
    diags.error(
      { source: cdocs[0].source, object: "document 1" },
      "kind",
      NO_VALUE,
      `the config file must hold a document with apiVersion ${CONFIG_API_VERSION} and kind Cluster`,
    );
  for (const extra of cd.slice(1))
    diags.error(
      {
        source: extra.source,
        object: objectLabel("Cluster", undefined, (extra.value as any)?.name, extra.source.docIndex),
      },
      "kind",
      NO_VALUE,
      `more than one Cluster config (the first is at ${cd[0].source.file}:${cd[0].source.line})`,
    );
  return cd.length > 0 ? parseConfig(cd[0].value, cd[0].source, diags) : undefined;
}

/** One manifest document: a Cluster config, an object podnet models, an ignored kind, or an error. */
function readDocument(d: RawDocument, config: SourceText | undefined, diags: Diags, r: DocsRead): void {
  const v = d.value;
  const src = d.source;
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    diags.error(
      { source: src, object: `document ${src.docIndex + 1}` },
      undefined,
      v,
      "is not a Kubernetes object (a document must be a mapping)",
    );
    return;
  }
  const o = v as Mapping;
  const kind = o.kind;
  const label = () => objectLabel(kind, undefined, o.metadata?.name ?? o.name, src.docIndex);
  if (isClusterDoc(o)) {
    if (config) {
      diags.warn(
        { source: src, object: label() },
        undefined,
        NO_VALUE,
        `ignored: the cluster config comes from ${config.file}`,
      );
    } else if (r.configDoc) {
      diags.error(
        { source: src, object: label() },
        "kind",
        NO_VALUE,
        `more than one Cluster config (the first is at ${r.configDoc.source.file}:${r.configDoc.source.line})`,
      );
    } else {
      r.configDoc = d;
      r.cfg = parseConfig(o, src, diags);
    }
    return;
  }
  if (!hasKindAndVersion(o, src, label, diags)) return;
  const want = KIND_API_VERSIONS[kind];
  const group = groupOf(o.apiVersion);
  if (!want || (group !== groupOf(want) && !REMOVED_VERSIONS.has(o.apiVersion))) {
    // Not ours (ConfigMap, CRDs, a Knative `Service` of serving.knative.dev …).
    const key = want ? `${kind}.${group}` : kind;
    const e = r.ignored.get(key);
    if (e) e.count++;
    else r.ignored.set(key, { count: 1, first: src });
    return;
  }
  if (o.apiVersion !== want) {
    diags.error(
      { source: src, object: label() },
      "apiVersion",
      o.apiVersion,
      `no matches for kind "${kind}" in version "${o.apiVersion}" (use "${want}")`,
    );
    return;
  }
  if (typeof o.metadata !== "object" || o.metadata === null || Array.isArray(o.metadata)) {
    diags.error(
      { source: src, object: label() },
      "metadata",
      o.metadata ?? NO_VALUE,
      o.metadata === undefined ? "is required" : "must be a mapping",
    );
    return;
  }
  if (o.metadata.name === undefined || o.metadata.name === "" || o.metadata.name === null) {
    diags.error({ source: src, object: label() }, "metadata.name", NO_VALUE, "is required");
    return;
  }
  if (isNamespaced(kind)) {
    if (o.metadata.namespace === undefined || o.metadata.namespace === null || o.metadata.namespace === "")
      o.metadata.namespace = "default";
  } else delete o.metadata.namespace; // cluster-scoped: Kubernetes ignores it
  const obj = o as KubeObject;
  Object.defineProperty(obj, "source", { value: src, enumerable: false, writable: true, configurable: true });
  r.objects.push(obj);
}

/** kind and apiVersion are non-empty strings (both reported when both are missing). */
function hasKindAndVersion(o: Mapping, src: SourceRef, label: () => string, diags: Diags): boolean {
  let bad = false;
  if (typeof o.kind !== "string" || o.kind === "") {
    diags.error(
      { source: src, object: objectLabel(undefined, undefined, undefined, src.docIndex) },
      "kind",
      o.kind ?? NO_VALUE,
      o.kind === undefined ? "is required" : "must be a non-empty string",
    );
    bad = true;
  }
  if (typeof o.apiVersion !== "string" || o.apiVersion === "") {
    diags.error(
      { source: src, object: label() },
      "apiVersion",
      o.apiVersion ?? NO_VALUE,
      o.apiVersion === undefined ? "is required" : "must be a non-empty string",
    );
    bad = true;
  }
  return !bad;
}

/**
 * Parses and validates manifests (and an optional cluster config file). Throws one
 * SpecError carrying every error; warnings are in the result.
 */
export function parseSpec(sources: SourceText[], config?: SourceText): ClusterSpec {
  const { spec, diagnostics } = checkSpec(sources, config);
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new SpecError(errors);
  return spec;
}

// ---------------------------------------------------------------------------
// Defaults the API server applies at admission that podnet relies on. Only missing
// fields are filled; the raw object is kept otherwise.

function defaultPodSpec(spec: any): void {
  if (!spec || typeof spec !== "object") return;
  spec.dnsPolicy ??= "ClusterFirst";
  spec.enableServiceLinks ??= true;
  spec.restartPolicy ??= "Always";
  for (const list of [spec.containers, spec.initContainers])
    if (Array.isArray(list))
      for (const c of list)
        if (c && Array.isArray(c.ports)) for (const p of c.ports) if (p && typeof p === "object") p.protocol ??= "TCP";
}

export function applyDefaults(o: KubeObject): void {
  const spec = o.spec;
  switch (o.kind) {
    case "Namespace":
      // NamespaceDefaultLabelName (GA in 1.22): lets namespaceSelectors pick a namespace by name.
      o.metadata.labels = { ...(o.metadata.labels ?? {}), "kubernetes.io/metadata.name": o.metadata.name };
      break;
    case "Pod":
      defaultPodSpec(spec);
      break;
    case "Deployment":
    case "ReplicaSet":
    case "StatefulSet":
    case "DaemonSet":
    case "Job":
      if (!spec || typeof spec !== "object") break;
      if (o.kind !== "DaemonSet" && o.kind !== "Job") spec.replicas ??= 1;
      if (o.kind === "StatefulSet") spec.podManagementPolicy ??= "OrderedReady";
      if (o.kind === "Job") {
        // Both unset: a single pod run once; parallelism alone leaves completions unset (work queue).
        if (spec.parallelism === undefined && spec.completions === undefined) spec.completions = 1;
        spec.parallelism ??= 1;
        if (spec.template?.spec) spec.template.spec.restartPolicy ??= "Never";
      }
      defaultPodSpec(spec.template?.spec);
      break;
    case "Service": {
      if (!spec || typeof spec !== "object") {
        o.spec = { type: "ClusterIP", sessionAffinity: "None" };
        break;
      }
      spec.type ??= "ClusterIP";
      spec.sessionAffinity ??= "None";
      if (spec.sessionAffinity === "ClientIP") {
        spec.sessionAffinityConfig ??= {};
        spec.sessionAffinityConfig.clientIP ??= {};
        spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= 10800;
      }
      if (spec.type !== "ExternalName") spec.internalTrafficPolicy ??= "Cluster";
      if (spec.type === "NodePort" || spec.type === "LoadBalancer") spec.externalTrafficPolicy ??= "Cluster";
      if (Array.isArray(spec.ports))
        for (const p of spec.ports) {
          if (!p || typeof p !== "object") continue;
          p.protocol ??= "TCP";
          if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === "") p.targetPort = p.port;
        }
      break;
    }
    case "NetworkPolicy":
      if (!spec || typeof spec !== "object") break;
      spec.podSelector ??= {};
      // Ingress is always affected; Egress when egress rules are given.
      spec.policyTypes ??= Array.isArray(spec.egress) ? ["Ingress", "Egress"] : ["Ingress"];
      for (const r of [...(spec.ingress ?? []), ...(spec.egress ?? [])])
        if (r && Array.isArray(r.ports)) for (const p of r.ports) if (p && typeof p === "object") p.protocol ??= "TCP";
      break;
    case "EndpointSlice":
      if (Array.isArray(o.ports)) for (const p of o.ports) if (p && typeof p === "object") p.protocol ??= "TCP";
      if (Array.isArray(o.endpoints)) for (const e of o.endpoints) if (e && typeof e === "object") e.conditions ??= {};
      break;
    case "Endpoints":
      if (Array.isArray(o.subsets))
        for (const s of o.subsets)
          if (s && Array.isArray(s.ports))
            for (const p of s.ports) if (p && typeof p === "object") p.protocol ??= "TCP";
      break;
  }
}
