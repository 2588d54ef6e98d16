// Calico's label selector language (https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#selectors),
// as projectcalico/calico's libcalico-go/lib/selector parses, prints and evaluates it: the
// tokenizer (tokenizer/tokenizer.go), the recursive-descent parser (parser/parser.go) and the
// AST with its Evaluate and String methods (parser/ast.go).
//
//   has(k)  all()  global()  k == "v"  k != "v"  k in {"a", "b"}  k not in {…}
//   k contains "s"  k starts with "s"  k ends with "s"  !term  a && b  a || b  ( … )
//
// Pure: no I/O. Hostile input is refused, never thrown on: the text is capped at
// MAX_SELECTOR_LENGTH characters, parentheses at MAX_SELECTOR_DEPTH levels (the only
// recursion in parsing, printing and matching), and lexing is a hand-written linear scan
// (Calico's regular expressions are RE2, linear too; a backtracking JS regex would not be).
import { quoteValue } from "./diag.js";

/** The AST, node for node as Calico's parser/ast.go (AllNode, GlobalNode, HasNode,
 *  LabelEqValueNode, LabelNeValueNode, LabelContainsValueNode, LabelStartsWithValueNode,
 *  LabelEndsWithValueNode, LabelInSetNode, LabelNotInSetNode, NotNode, AndNode, OrNode).
 *  `in`/`not in` values are sorted and deduplicated, as the parser's ConvertToStringSetInPlace. */
export type CalicoSelector =
  | { readonly kind: "all" }
  | { readonly kind: "global" }
  | { readonly kind: "has"; readonly key: string }
  | {
      readonly kind: "eq" | "ne" | "contains" | "startsWith" | "endsWith";
      readonly key: string;
      readonly value: string;
    }
  | { readonly kind: "in" | "notIn"; readonly key: string; readonly values: readonly string[] }
  | { readonly kind: "not"; readonly operand: CalicoSelector }
  | { readonly kind: "and" | "or"; readonly operands: readonly CalicoSelector[] };

export type CalicoLabels = Readonly<Record<string, string>>;
export type CalicoMatcher = (labels: CalicoLabels) => boolean;

/** Longest selector text accepted (characters). Calico has no limit of its own (the API
 *  server's object size is one); real selectors are far shorter. */
export const MAX_SELECTOR_LENGTH = 64 * 1024;
/** Deepest nesting of parentheses accepted. Calico has no limit (Go's stack grows). */
export const MAX_SELECTOR_DEPTH = 128;
/** tokenizer.go LabelKeyMatcher: `[a-zA-Z0-9_./-]{1,512}`. */
export const MAX_LABEL_KEY_LENGTH = 512;

// ---- Tokenizer (tokenizer.go Tokenize) ----

const HAS_FORM = "has( takes one label key of 1-512 characters [a-zA-Z0-9_./-] and )";

type Kind =
  | "label"
  | "string"
  | "{"
  | "}"
  | ","
  | "=="
  | "!="
  | "in"
  | "!"
  | "not in"
  | "contains"
  | "starts with"
  | "ends with"
  | "all"
  | "has"
  | "("
  | ")"
  | "&&"
  | "||"
  | "global"
  | "eof";

interface Token {
  readonly kind: Kind;
  /** Offset of the token's first character, and one past its last, in the text. */
  readonly pos: number;
  readonly end: number;
  /** The label of `label` and `has`, the contents of `string`. */
  readonly value: string;
}

class SelectorSyntaxError {
  constructor(readonly message: string) {}
}

// Character classes. Go's regexp `\s` is [\t\n\f\r ] and `\b` an ASCII word boundary.
const isKeyChar = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 47 || c === 45;
const isWordChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
const isReSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 12 || c === 13;

function skipReSpace(s: string, i: number): number {
  while (i < s.length && isReSpace(s.charCodeAt(i))) i++;
  return i;
}
/** End of `^word1\s*word2` at i (optionally followed by `\b`), or -1. */
function matchWords(s: string, i: number, w1: string, w2: string | undefined, boundary: boolean): number {
  if (!s.startsWith(w1, i)) return -1;
  let j = i + w1.length;
  if (w2 !== undefined) {
    j = skipReSpace(s, j);
    if (!s.startsWith(w2, j)) return -1;
    j += w2.length;
  }
  if (boundary && j < s.length && isWordChar(s.charCodeAt(j))) return -1;
  return j;
}
/** End of `^name\(\s*\)` at i, or -1 (all(), global()). */
function matchCall0(s: string, i: number, name: string): number {
  if (!s.startsWith(name, i) || s.charCodeAt(i + name.length) !== 40) return -1;
  const j = skipReSpace(s, i + name.length + 1);
  return s.charCodeAt(j) === 41 ? j + 1 : -1;
}
/** Length of the run of label-key characters at i, counted up to max. */
function keyRun(s: string, i: number, max: number): number {
  const stop = Math.min(s.length, i + max);
  let j = i;
  while (j < stop && isKeyChar(s.charCodeAt(j))) j++;
  return j - i;
}

// Whitespace between tokens: tokenizer.go trims spaces and tabs (`whitespace = " \t"`) as we
// read it; podnet also takes line breaks there, so that a selector written as a YAML block
// (`selector: |`, with its final newline) is not refused when Calico may accept it. The
// regular expressions' `\s*` (inside has( ), not in, starts with…) allow them too.
function tokenize(s: string): Token[] {
  const toks: Token[] = [];
  const n = s.length;
  let i = 0;
  const push = (kind: Kind, pos: number, end: number, value = "") => {
    toks.push({ kind, pos, end, value });
    i = end;
  };
  for (;;) {
    while (i < n && isReSpace(s.charCodeAt(i))) i++;
    if (i >= n) {
      push("eof", n, n);
      return toks;
    }
    const last = toks.length > 0 ? toks[toks.length - 1] : undefined;
    const c = s[i];
    switch (c) {
      case "(":
      case ")":
      case "{":
      case "}":
      case ",":
        push(c, i, i + 1);
        break;
      case '"':
      case "'": {
        // No escapes: a string runs to the next quote of its kind.
        const close = s.indexOf(c, i + 1);
        if (close < 0) throw new SelectorSyntaxError(`unterminated string at offset ${i}`);
        push("string", i, close + 1, s.slice(i + 1, close));
        break;
      }
      case "=":
        if (s[i + 1] !== "=") throw new SelectorSyntaxError(`expected == at offset ${i}`);
        push("==", i, i + 2);
        break;
      case "!":
        if (s[i + 1] === "=") push("!=", i, i + 2);
        else push("!", i, i + 1);
        break;
      case "&":
        if (s[i + 1] !== "&") throw new SelectorSyntaxError(`expected && at offset ${i}`);
        push("&&", i, i + 2);
        break;
      case "|":
        if (s[i + 1] !== "|") throw new SelectorSyntaxError(`expected || at offset ${i}`);
        push("||", i, i + 2);
        break;
      default: {
        let e: number;
        let has: { end: number; key: string } | undefined;
        if (last?.kind === "label") {
          // After a label only an operator word may follow, so a label may itself be named
          // `in`, `contains`, `not`…: ^contains, ^starts\s*with, ^ends\s*with, ^not\s*in\b, ^in\b.
          if ((e = matchWords(s, i, "contains", undefined, false)) >= 0) push("contains", i, e);
          else if ((e = matchWords(s, i, "starts", "with", false)) >= 0) push("starts with", i, e);
          else if ((e = matchWords(s, i, "ends", "with", false)) >= 0) push("ends with", i, e);
          else if ((e = matchWords(s, i, "not", "in", true)) >= 0) push("not in", i, e);
          else if ((e = matchWords(s, i, "in", undefined, true)) >= 0) push("in", i, e);
          else if (
            toks.length >= 3 &&
            toks[toks.length - 2].kind === "(" &&
            toks[toks.length - 3].kind === "label" &&
            toks[toks.length - 3].value === "has"
          )
            // `has(a b)`: has( did not match, so "has" and "(" were read as a label and a paren.
            throw new SelectorSyntaxError(`malformed has() at offset ${toks[toks.length - 3].pos}: ${HAS_FORM}`);
          else if (last.value.length === MAX_LABEL_KEY_LENGTH && isKeyChar(s.charCodeAt(i)))
            throw new SelectorSyntaxError(
              `label key at offset ${last.pos} is longer than ${MAX_LABEL_KEY_LENGTH} characters`,
            );
          else
            throw new SelectorSyntaxError(
              `unexpected characters after label ${quoteValue(last.value)} at offset ${i}, ` +
                "was expecting an operator (==, !=, in, not in, contains, starts with, ends with)",
            );
        } else if ((has = matchHas(s, i)) !== undefined) {
          push("has", i, has.end, has.key);
        } else if ((e = matchCall0(s, i, "all")) >= 0) push("all", i, e);
        else if ((e = matchCall0(s, i, "global")) >= 0) push("global", i, e);
        else {
          // ^[a-zA-Z0-9_./-]{1,512}: a longer run is a 512-character label and then more.
          const run = keyRun(s, i, MAX_LABEL_KEY_LENGTH);
          if (run === 0) throw new SelectorSyntaxError(`unexpected characters at offset ${i}: ${quoteValue(c)}`);
          push("label", i, i + run, s.slice(i, i + run));
        }
      }
    }
  }
}

/** `^has\(\s*([a-zA-Z0-9_./-]{1,512})\s*\)` at i: its end and key. */
function matchHas(s: string, i: number): { end: number; key: string } | undefined {
  if (!s.startsWith("has(", i)) return undefined;
  const k = skipReSpace(s, i + 4);
  const run = keyRun(s, k, MAX_LABEL_KEY_LENGTH + 1);
  if (run === 0 || run > MAX_LABEL_KEY_LENGTH) return undefined;
  const j = skipReSpace(s, k + run);
  if (s.charCodeAt(j) !== 41) return undefined;
  return { end: j + 1, key: s.slice(k, k + run) };
}

// ---- Parser (parser.go Parse, parseOrExpression, parseAndExpression, parseOperation) ----

const VALUE_OPS = {
  "==": "eq",
  "!=": "ne",
  contains: "contains",
  "starts with": "startsWith",
  "ends with": "endsWith",
} as const;

function describe(s: string, t: Token): string {
  return t.kind === "eof" ? "end of selector" : quoteValue(s.slice(t.pos, t.end));
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly s: string,
    private readonly toks: readonly Token[],
  ) {}

  parse(): CalicoSelector {
    // "||" binds loosest, so it is the top of the grammar.
    const sel = this.or();
    const t = this.toks[this.i];
    if (t.kind !== "eof")
      throw new SelectorSyntaxError(`unexpected content at end of selector at offset ${t.pos}: ${describe(this.s, t)}`);
    return sel;
  }

  // One or more "&&" expressions separated by "||"; a single one is not wrapped.
  private or(): CalicoSelector {
    const first = this.and();
    if (this.toks[this.i].kind !== "||") return first;
    const operands = [first];
    while (this.toks[this.i].kind === "||") {
      this.i++;
      operands.push(this.and());
    }
    return { kind: "or", operands };
  }

  private and(): CalicoSelector {
    const first = this.operation();
    if (this.toks[this.i].kind !== "&&") return first;
    const operands = [first];
    while (this.toks[this.i].kind === "&&") {
      this.i++;
      operands.push(this.operation());
    }
    return { kind: "and", operands };
  }

  // A possibly negated term. Leading "!"s collapse to one boolean, as parseOperation does:
  // `!!has(a)` is has(a), `!!!has(a)` is !has(a).
  private operation(): CalicoSelector {
    const toks = this.toks;
    let negated = false;
    while (toks[this.i].kind === "!") {
      negated = !negated;
      this.i++;
    }
    const t = toks[this.i];
    let sel: CalicoSelector;
    switch (t.kind) {
      case "has":
        sel = { kind: "has", key: t.value };
        this.i++;
        break;
      case "all":
        sel = { kind: "all" };
        this.i++;
        break;
      case "global":
        sel = { kind: "global" };
        this.i++;
        break;
      case "label":
        sel = this.labelOperation(t);
        break;
      case "(": {
        if (++this.depth > MAX_SELECTOR_DEPTH)
          throw new SelectorSyntaxError(
            `selector nested too deeply at offset ${t.pos} (more than ${MAX_SELECTOR_DEPTH} levels of parentheses)`,
          );
        this.i++;
        sel = this.or();
        const close = toks[this.i];
        if (close.kind !== ")")
          throw new SelectorSyntaxError(
            `expected ) at offset ${close.pos} to close ( at offset ${t.pos}, found ${describe(this.s, close)}`,
          );
        this.i++;
        this.depth--;
        break;
      }
      default:
        throw new SelectorSyntaxError(
          (t.kind === "eof"
            ? `unexpected end of selector at offset ${t.pos}`
            : `unexpected token ${describe(this.s, t)} at offset ${t.pos}`) +
            ', expected a label, has(…), all(), global(), "!" or "("',
        );
    }
    return negated ? { kind: "not", operand: sel } : sel;
  }

  // label, operator, then a string or a set.
  private labelOperation(label: Token): CalicoSelector {
    const toks = this.toks;
    const op = toks[this.i + 1];
    const key = label.value;
    switch (op.kind) {
      case "eof":
        throw new SelectorSyntaxError(
          `unexpected end of string looking for op after label ${quoteValue(key)} at offset ${op.pos}`,
        );
      case "==":
      case "!=":
      case "contains":
      case "starts with":
      case "ends with": {
        const v = toks[this.i + 2];
        if (v.kind !== "string")
          throw new SelectorSyntaxError(
            `expected string after ${op.kind} at offset ${v.pos}, found ${describe(this.s, v)}`,
          );
        this.i += 3;
        return { kind: VALUE_OPS[op.kind], key, value: v.value };
      }
      case "in":
      case "not in": {
        const brace = toks[this.i + 2];
        if (brace.kind !== "{")
          throw new SelectorSyntaxError(
            `expected set after ${op.kind} at offset ${brace.pos}, found ${describe(this.s, brace)}`,
          );
        // Strings separated by commas; `{}` and a trailing comma parse, as in parser.go.
        let j = this.i + 3;
        const values: string[] = [];
        while (toks[j].kind === "string") {
          values.push(toks[j].value);
          j++;
          if (toks[j].kind !== ",") break;
          j++;
        }
        if (toks[j].kind !== "}")
          throw new SelectorSyntaxError(`expected } at offset ${toks[j].pos}, found ${describe(this.s, toks[j])}`);
        this.i = j + 1;
        return { kind: op.kind === "in" ? "in" : "notIn", key, values: toStringSet(values) };
      }
      case "(":
        // Not Calico's wording (its parser says only that an operator was expected): a label
        // followed by "(" is a function Calico does not have, or a malformed one.
        throw new SelectorSyntaxError(
          key === "has" || key === "all" || key === "global"
            ? `malformed ${key}() at offset ${label.pos}` +
                (key === "has" ? `: ${HAS_FORM}` : ": it takes no arguments")
            : `unknown function ${quoteValue(key)} at offset ${label.pos}, expected has(…), all() or global()`,
        );
      default:
        throw new SelectorSyntaxError(
          `expected an operator after label ${quoteValue(key)} at offset ${op.pos} ` +
            `(==, !=, in, not in, contains, starts with, ends with), found ${describe(this.s, op)}`,
        );
    }
  }
}

/** Go's sort.Strings order (bytes of UTF-8, i.e. code points), not UTF-16's. */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (code points above U+FFFF) sort after U+E000–U+FFFF.
    if (x >= 0xd800) x += x >= 0xe000 ? -0x800 : 0x2000;
    if (y >= 0xd800) y += y >= 0xe000 ? -0x800 : 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

/** stringset.go ConvertToStringSetInPlace: sorted, duplicates dropped. */
function toStringSet(values: string[]): string[] {
  if (values.length <= 1) return values;
  values.sort(compareCodePoints);
  const out = [values[0]];
  for (let i = 1; i < values.length; i++) if (values[i] !== out[out.length - 1]) out.push(values[i]);
  return out;
}

/**
 * Parses a selector; "" (or only spaces and tabs) is all(), as Calico's parser. Errors name
 * what was expected and the 0-based character offset in `text` where it went wrong; the
 * wording follows Calico's ("unterminated string", "expected ==", "expected string",
 * "unexpected content at end of selector"…) where it has one.
 */
export function parseCalicoSelector(text: string): { sel: CalicoSelector } | { error: string } {
  if (typeof text !== "string") return { error: "a selector is a string" };
  if (text.length > MAX_SELECTOR_LENGTH)
    return { error: `selector is too long (${text.length} characters; at most ${MAX_SELECTOR_LENGTH})` };
  try {
    const toks = tokenize(text);
    if (toks[0].kind === "eof") return { sel: { kind: "all" } };
    return { sel: new Parser(text, toks).parse() };
  } catch (e) {
    if (e instanceof SelectorSyntaxError) return { error: e.message };
    // Nothing above should throw otherwise; never let it escape.
    return { error: `selector could not be parsed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

// ---- Matching (ast.go Evaluate) ----

// A label is present when it is an own string value: typeof keeps Object.prototype's members
// (`constructor`, `__proto__`) from counting as labels without a hasOwn call per lookup.
const always: CalicoMatcher = () => true;

/** The selector compiled to a closure: no allocation per call. */
export function compileCalicoSelector(sel: CalicoSelector): CalicoMatcher {
  switch (sel.kind) {
    case "all":
    case "global": // GlobalNode.Evaluate is true: global() only scopes a namespaceSelector.
      return always;
    case "has": {
      const k = sel.key;
      return (l) => typeof l[k] === "string";
    }
    case "eq": {
      const { key: k, value: v } = sel;
      return (l) => l[k] === v;
    }
    case "ne": {
      // True also when the label is absent.
      const { key: k, value: v } = sel;
      return (l) => l[k] !== v;
    }
    case "contains": {
      const { key: k, value: v } = sel;
      return (l) => {
        const x = l[k];
        return typeof x === "string" && x.includes(v);
      };
    }
    case "startsWith": {
      const { key: k, value: v } = sel;
      return (l) => {
        const x = l[k];
        return typeof x === "string" && x.startsWith(v);
      };
    }
    case "endsWith": {
      const { key: k, value: v } = sel;
      return (l) => {
        const x = l[k];
        return typeof x === "string" && x.endsWith(v);
      };
    }
    case "in":
    case "notIn": {
      const k = sel.key;
      const want = sel.kind === "in";
      if (sel.values.length === 0) return want ? () => false : always;
      if (sel.values.length === 1) {
        const v = sel.values[0];
        return want ? (l) => l[k] === v : (l) => l[k] !== v;
      }
      const set = new Set(sel.values);
      // not in: true also when the label is absent.
      return want
        ? (l) => {
            const x = l[k];
            return typeof x === "string" && set.has(x);
          }
        : (l) => {
            const x = l[k];
            return typeof x !== "string" || !set.has(x);
          };
    }
    case "not": {
      const f = compileCalicoSelector(sel.operand);
      return (l) => !f(l);
    }
    case "and":
    case "or": {
      const fs = sel.operands.map(compileCalicoSelector);
      const and = sel.kind === "and";
      if (fs.length === 1) return fs[0];
      if (fs.length === 2) {
        const [a, b] = fs;
        return and ? (l) => a(l) && b(l) : (l) => a(l) || b(l);
      }
      return and
        ? (l) => {
            for (let i = 0; i < fs.length; i++) if (!fs[i](l)) return false;
            return true;
          }
        : (l) => {
            for (let i = 0; i < fs.length; i++) if (fs[i](l)) return true;
            return false;
          };
    }
  }
}

const compiled = new WeakMap<CalicoSelector, CalicoMatcher>();

/** Whether labels match (the compiled closure is cached per selector object). */
export function calicoMatches(sel: CalicoSelector, labels: CalicoLabels): boolean {
  let f = compiled.get(sel);
  if (f === undefined) compiled.set(sel, (f = compileCalicoSelector(sel)));
  return f(labels);
}

// ---- Inspection and printing ----

/** Whether global() occurs anywhere in the selector. */
export function usesGlobal(sel: CalicoSelector): boolean {
  switch (sel.kind) {
    case "global":
      return true;
    case "not":
      return usesGlobal(sel.operand);
    case "and":
    case "or":
      return sel.operands.some(usesGlobal);
    default:
      return false;
  }
}

/** The selector is all() itself (the empty selector parses to it too); not global(), and
 *  not an expression that happens to match everything. */
export function isAll(sel: CalicoSelector): boolean {
  return sel.kind === "all";
}

// ast.go collectFragments: a value is double-quoted unless it holds a double quote (then
// single-quoted; the tokenizer has no escapes, so no value holds both); sets print sorted
// as `{"a", "b"}`; every && and || group is parenthesised; "!" prefixes its operand.
const quote = (v: string) => (v.includes('"') ? `'${v}'` : `"${v}"`);
const OP_TEXT = {
  eq: " == ",
  ne: " != ",
  contains: " contains ",
  startsWith: " starts with ",
  endsWith: " ends with ",
} as const;

function fragments(sel: CalicoSelector, out: string[]): void {
  switch (sel.kind) {
    case "all":
      out.push("all()");
      return;
    case "global":
      out.push("global()");
      return;
    case "has":
      out.push("has(", sel.key, ")");
      return;
    case "eq":
    case "ne":
    case "contains":
    case "startsWith":
    case "endsWith":
      out.push(sel.key, OP_TEXT[sel.kind], quote(sel.value));
      return;
    case "in":
    case "notIn":
      out.push(sel.key, sel.kind === "in" ? " in {" : " not in {");
      sel.values.forEach((v, i) => out.push(i > 0 ? ", " : "", quote(v)));
      out.push("}");
      return;
    case "not":
      out.push("!");
      fragments(sel.operand, out);
      return;
    case "and":
    case "or":
      out.push("(");
      sel.operands.forEach((op, i) => {
        if (i > 0) out.push(sel.kind === "and" ? " && " : " || ");
        fragments(op, out);
      });
      out.push(")");
      return;
  }
}

/** Canonical text of the selector, as Calico's Selector.String() renders the AST:
 *  `(a == "1" || (b == "2" && c == "3"))`, `!has(x)`, `k in {"a", "b"}`. */
export function selectorText(sel: CalicoSelector): string {
  const out: string[] = [];
  fragments(sel, out);
  return out.join("");
}
