// The expectations file of `podnet check`, parsed and checked: a list of
// {name?, from, to, port?, protocol?, expect} (bare, or under `expectations:` of a
// kind ConnectivityCheck document). A bad file is a SpecError whose diagnostics name
// file, line, field and the (shortened) value, in the manifest diagnostics' format:
//   checks.yaml:4 expectations[0].port: 70000 is not a valid port (1-65535)

import { LineCounter, parseDocument, isMap, isNode, isSeq, type YAMLMap } from "yaml";
import { KUBE_YAML } from "../manifest/yaml-scalars.js";
import { MAX_DEPTH, formatDiagnostic, formatValue, indexPath, childPath } from "../manifest/diag.js";
import { flowTooDeep } from "../manifest/documents.js";
import { SpecError } from "../manifest/errors.js";
import type { Protocol } from "../sim/index.js";

/** A `from` given as a label selector, optionally within one namespace. */
export interface SelectorSource {
  namespace?: string;
  selector: string;
}

export interface Expectation {
  name?: string;
  from: string | SelectorSource;
  to: string;
  port?: number;
  protocol: Protocol;
  expect: "allow" | "deny";
  /** The line of the expectation in its file. */
  line: number;
}

const PROTOCOLS: readonly string[] = ["tcp", "udp", "sctp", "icmp"] satisfies Protocol[];
const isProtocol = (p: string): p is Protocol => PROTOCOLS.includes(p);

/** Values longer than this are shown cut, so one bad field cannot flood the terminal. */
const MAX_SHOWN = 80;
const NONE: unique symbol = Symbol("no value");

/** A value as a diagnostic quotes it (JSON style), cut to MAX_SHOWN characters. */
function shownValue(v: unknown): string {
  const s = formatValue(v);
  return s.length > MAX_SHOWN ? s.slice(0, MAX_SHOWN - 3) + "..." : s;
}

/** Where in the file a node sits, and how a complaint about it reads. */
class FileErrors {
  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
  ) {}

  lineOf(node: unknown, fallback = 1): number {
    return isNode(node) && node.range ? this.lines.linePos(node.range[0]).line : fallback;
  }

  fail(line: number, field: string, text: string, value: unknown = NONE): never {
    const hasValue = value !== NONE;
    // formatDiagnostic would quote the value uncut; hand it the text with the value cut.
    const message = formatDiagnostic({
      file: this.file,
      line,
      field,
      hasValue: false,
      text: hasValue ? `${shownValue(value)} ${text}` : text,
    });
    throw new SpecError([{ severity: "error", message, file: this.file, line, field, ...(hasValue ? { value } : {}) }]);
  }
}

/** One entry of the list, checked field by field. */
function parseExpectation(item: unknown, i: number, errs: FileErrors, listLine: number): Expectation {
  const at = indexPath("expectations", i);
  const line = errs.lineOf(item, listLine);
  if (!isMap(item)) return errs.fail(line, at, "expected a map with from, to, expect");
  const map: YAMLMap = item;
  const field = (k: string) => {
    const node = map.get(k, true);
    const value: unknown = isNode(node) ? node.toJSON() : node;
    return { node, value, line: errs.lineOf(node, line), path: childPath(at, k) };
  };

  const from = field("from");
  if (from.value === undefined) errs.fail(line, from.path, "missing");

  const to = field("to");
  const toValue = to.value;
  if (toValue === undefined) errs.fail(to.line, to.path, "missing");
  if (typeof toValue !== "string") return errs.fail(to.line, to.path, `expected a string, got ${shownValue(toValue)}`);

  const expect = field("expect");
  const verdict = expect.value;
  if (verdict !== "allow" && verdict !== "deny")
    return errs.fail(expect.line, expect.path, "is not allow|deny", verdict ?? null);

  const protoField = field("protocol");
  const protocol = String(protoField.value ?? "TCP").toLowerCase();
  if (!isProtocol(protocol))
    return errs.fail(protoField.line, protoField.path, "is not TCP|UDP|SCTP|ICMP", String(protoField.value));

  const port = field("port");
  const portValue = port.value;
  const validPort =
    typeof portValue === "number" && Number.isInteger(portValue) && portValue >= 1 && portValue <= 65535;
  if (portValue !== undefined && !validPort)
    return errs.fail(port.line, port.path, "is not a valid port (1-65535)", portValue);

  const source = parseSource(from.value, from.node);
  if (!source) return errs.fail(from.line, from.path, "expected a pod/workload name or {namespace, selector}");

  const name = field("name").value;
  const out: Expectation = { from: source, to: toValue, protocol, expect: verdict, line };
  if (name !== undefined) out.name = String(name);
  if (typeof portValue === "number") out.port = portValue;
  return out;
}

/** `from`: a name (pod, workload, node/NAME, external) or {namespace?, selector}. */
function parseSource(value: unknown, node: unknown): Expectation["from"] | undefined {
  if (typeof value === "string") return value;
  if (!isMap(node)) return undefined;
  const selector: unknown = node.get("selector");
  const namespace: unknown = node.get("namespace");
  if (typeof selector !== "string") return undefined;
  return namespace === undefined ? { selector } : { namespace: String(namespace), selector };
}

/** Parses an expectations file: `expectations: [...]` (kind ConnectivityCheck) or a bare list. */
export function parseExpectations(file: string, text: string): Expectation[] {
  const lines = new LineCounter();
  const deep = flowTooDeep(text, MAX_DEPTH);
  if (deep >= 0)
    new FileErrors(file, lines).fail(text.slice(0, deep).split("\n").length, "(yaml)", "nested too deeply to read");
  // Read as the manifests beside it are (go-yaml v2 via sigs.k8s.io/yaml): `port: 0120` is 80.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, ...KUBE_YAML });
  const errs = new FileErrors(file, lines);
  if (doc.errors.length) {
    const e = doc.errors[0];
    // The library's text without its excerpt of the input; running out of stack said plainly
    // (as documents.ts says it for manifests).
    const said = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    errs.fail(e.linePos?.[0].line ?? 1, "(yaml)", /call stack/.test(said) ? "nested too deeply to read" : said);
  }
  let list: unknown = doc.contents;
  if (isMap(list)) list = list.get("expectations", true);
  if (!isSeq(list))
    return errs.fail(
      errs.lineOf(doc.contents),
      "expectations",
      "expected a list of expectations (or a map with an `expectations:` list)",
    );
  const listLine = errs.lineOf(list);
  return list.items.map((item, i) => parseExpectation(item, i, errs, listLine));
}
