// Diagnostics: one shape for every error and warning about the input.
//   app.yaml:14 (Service default/auth-service) spec.ports[0].port: 70000 is not a valid port (1-65535)
// = file:line-of-the-field (object) field.path: value message. String values are quoted
// (JSON style); a document without a name is "(document 3, kind Service)" with the
// 1-based position of the document in its file.
import type { Diagnostic, KubeObject, SourceRef } from "./types.js";

/** Field path segments as Kubernetes prints them: `spec.ports[0]`, `metadata.labels[app.kubernetes.io/name]`. */
export function childPath(base: string, key: string): string {
  const seg = /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key) ? key : `[${key}]`;
  if (!base) return seg;
  return seg.startsWith("[") ? `${base}${seg}` : `${base}.${seg}`;
}
/** A map entry (labels, annotations, nodeSelector): always `base[key]`, as Kubernetes' field.Path.Key. */
export function keyPath(base: string, key: string): string {
  return `${base}[${key}]`;
}
/** The form lineOf looks up: map keys that are plain identifiers written as `.key`. */
export function canonicalPath(path: string): string {
  return path.replace(/\[([A-Za-z_$][A-Za-z0-9_$-]*)\]/g, ".$1");
}
export function indexPath(base: string, i: number): string {
  return `${base}[${i}]`;
}

/** How much of a value an error message quotes (a 50 MB name is not printed whole). */
export const QUOTE_MAX = 80;

/** `s` cut to `max` characters and marked with "…" when cut. */
export function truncate(s: string, max = QUOTE_MAX): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** A string for an error message: JSON-quoted, cut to QUOTE_MAX characters. The one
 *  quoting helper of every message that echoes input (diagnostics, flags, API errors). */
export function quoteValue(s: string): string {
  return JSON.stringify(truncate(s));
}

export function formatValue(v: unknown): string {
  if (typeof v === "string") return quoteValue(v);
  if (typeof v === "number" || typeof v === "boolean" || v === null) return String(v);
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : truncate(s);
  } catch {
    return truncate(String(v));
  }
}

/**
 * How deep a document may nest (mappings and lists). No object podnet reads comes near (a
 * pod template's deepest field is ~12 levels); a deeper one (an annotation nested 5,000
 * deep) is refused with a clear error before any recursive code sees it. Go's
 * encoding/json stops at 10,000 (maxNestingDepth); JavaScript's stack overflows first.
 */
export const MAX_DEPTH = 100;

/** True when `v` nests mappings or lists more than `max` levels deep (stops early). */
export function deeperThan(v: unknown, max: number): boolean {
  if (typeof v !== "object" || v === null) return false;
  if (max <= 0) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (deeperThan(v[i], max - 1)) return true;
    return false;
  }
  for (const k in v) if (deeperThan((v as Record<string, unknown>)[k], max - 1)) return true;
  return false;
}

export const NO_VALUE: unique symbol = Symbol("no value");

/** A decoded YAML mapping, not yet validated (fields read as given: JSON input). */
// biome-ignore lint/suspicious/noExplicitAny: the one input boundary type (with KubeObject's raw fields)
export type Mapping = Record<string, any>;

/** Shape checks on input not yet validated (a YAML mapping, a whole number). */
export const isObj = (v: unknown): v is Mapping => typeof v === "object" && v !== null && !Array.isArray(v);
export const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/** "Service default/auth-service", "Namespace production", or "document 3, kind Service". */
export function objectLabel(
  kind: unknown,
  namespace: string | undefined,
  name: unknown,
  docIndex: number | undefined,
): string {
  if (typeof name === "string" && name !== "" && typeof kind === "string" && kind !== "") {
    // Valid names have at most 253 characters; an invalid one is cut (a 50 MB name).
    const n = truncate(name, 253);
    const k = truncate(kind, 63);
    return namespace ? `${k} ${truncate(namespace, 253)}/${n}` : `${k} ${n}`;
  }
  const doc = docIndex !== undefined ? `document ${docIndex + 1}` : "document";
  return typeof kind === "string" && kind !== "" ? `${doc}, kind ${truncate(kind, 63)}` : doc;
}

export function formatDiagnostic(d: {
  file?: string;
  line?: number;
  column?: number;
  object?: string;
  field?: string;
  value?: unknown;
  hasValue: boolean;
  text: string;
}): string {
  let s = "";
  if (d.file) s += d.line ? `${d.file}:${d.line}${d.column ? `:${d.column}` : ""} ` : `${d.file} `;
  if (d.object) s += `(${d.object}) `;
  if (d.field) s += `${d.field}: `;
  if (d.hasValue) s += `${formatValue(d.value)} `;
  return s + d.text;
}

/** Collects diagnostics about one source object. */
export class Diags {
  readonly list: Diagnostic[] = [];

  add(
    severity: "error" | "warning",
    where: { source?: SourceRef; object?: string },
    field: string | undefined,
    value: unknown,
    text: string,
    extra?: { line?: number; column?: number; network?: boolean },
  ): void {
    const src = where.source;
    const hasValue = value !== NO_VALUE && value !== undefined;
    const line = extra?.line ?? (field && src?.lineOf ? src.lineOf(field) : undefined) ?? src?.line;
    const d: Diagnostic = {
      severity,
      message: formatDiagnostic({
        file: src?.file,
        line,
        column: extra?.column,
        object: where.object,
        field,
        value,
        hasValue,
        text,
      }),
    };
    if (src?.file !== undefined) d.file = src.file;
    if (line !== undefined) d.line = line;
    if (extra?.column !== undefined) d.column = extra.column;
    if (src?.docIndex !== undefined) d.docIndex = src.docIndex;
    if (where.object !== undefined) d.object = where.object;
    if (field !== undefined) d.field = field;
    if (hasValue) d.value = value;
    if (extra?.network !== undefined) d.network = extra.network;
    this.list.push(d);
  }
  error(where: { source?: SourceRef; object?: string }, field: string | undefined, value: unknown, text: string): void {
    this.add("error", where, field, value, text);
  }
  /** An API-validation error, marked network-relevant or not (see Diagnostic.network). */
  check(
    where: { source?: SourceRef; object?: string },
    field: string | undefined,
    value: unknown,
    text: string,
    network: boolean,
  ): void {
    this.add("error", where, field, value, text, { network });
  }
  warn(where: { source?: SourceRef; object?: string }, field: string | undefined, value: unknown, text: string): void {
    this.add("warning", where, field, value, text);
  }
  get errors(): Diagnostic[] {
    return this.list.filter((d) => d.severity === "error");
  }
  get warnings(): Diagnostic[] {
    return this.list.filter((d) => d.severity === "warning");
  }
}

/**
 * Calico's NetworkPolicy (projectcalico.org/v3) as podnet names its kind: the API group tells
 * it from Kubernetes' NetworkPolicy, so the kind carries it, as kubectl writes the resource
 * (`networkpolicy.projectcalico.org/name`).
 */
export const CALICO_NETWORK_POLICY = "NetworkPolicy.projectcalico.org";

/** Kinds that live outside namespaces (the ones podnet reads). */
export const CLUSTER_SCOPED: ReadonlySet<string> = new Set([
  "Namespace",
  "Node",
  "IPPool",
  "Installation",
  "IngressClass",
  "GatewayClass",
  "CiliumClusterwideNetworkPolicy",
  "GlobalNetworkPolicy",
  "GlobalNetworkSet",
  "Tier",
  "AdminNetworkPolicy",
  "BaselineAdminNetworkPolicy",
]);
export function isNamespaced(kind: string): boolean {
  return !CLUSTER_SCOPED.has(kind);
}

/** The "(Kind ns/name)" label of a parsed object. */
export function labelOf(o: KubeObject): string {
  const ns = isNamespaced(o.kind) ? o.metadata?.namespace : undefined;
  return objectLabel(o.kind, ns, o.metadata?.name, o.source?.docIndex);
}

export function where(o: KubeObject): { source?: SourceRef; object: string } {
  return { source: o.source, object: labelOf(o) };
}
