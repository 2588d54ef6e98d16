// Label selector semantics, shared by every layer: metav1.LabelSelector (matchLabels AND
// matchExpressions; an empty selector {} matches everything in scope), the requirement
// operators of k8s.io/apimachinery labels.Requirement (node affinity adds Gt/Lt),
// kubectl's `-l` syntax and metav1.FormatLabelSelector.
import type { Labels, LabelSelector } from "./types.js";
import { labelValue, qualifiedName } from "./names.js";
import { quoteValue } from "./diag.js";

/** One requirement (labels.Requirement.Matches). An operator it does not know matches nothing. */
export function requirementMatches(
  labels: Labels,
  r: { key: string; operator: string; values?: readonly string[] },
): boolean {
  const has = Object.hasOwn(labels, r.key);
  const v = labels[r.key];
  const vals = Array.isArray(r.values) ? r.values : [];
  switch (r.operator) {
    case "In":
      return has && vals.includes(v);
    case "NotIn":
      return !has || !vals.includes(v);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "Gt":
    case "Lt": {
      // Both sides must be integers; one value only.
      if (!has || vals.length !== 1) return false;
      const a = Number.parseInt(v, 10);
      const b = Number.parseInt(vals[0], 10);
      if (!/^-?\d+$/.test(v) || Number.isNaN(b)) return false;
      return r.operator === "Gt" ? a > b : a < b;
    }
    default:
      return false;
  }
}

const LABEL_SELECTOR_OPERATORS = new Set(["In", "NotIn", "Exists", "DoesNotExist"]);

/**
 * Whether a LabelSelector selects a label set. Operators a LabelSelector may not hold
 * (Gt, Lt, typos) are left to validation, which reports them, and are skipped here.
 */
export function matchSelector(sel: LabelSelector, labels: Labels): boolean {
  if (sel.matchLabels) {
    for (const k in sel.matchLabels) if (labels[k] !== sel.matchLabels[k]) return false;
  }
  for (const e of sel.matchExpressions ?? []) {
    if (LABEL_SELECTOR_OPERATORS.has(e.operator) && !requirementMatches(labels, e)) return false;
  }
  return true;
}

/** metav1.FormatLabelSelector: requirements sorted by key, `<none>` when empty. */
export function formatLabelSelector(sel: LabelSelector | undefined | null): string {
  if (!sel) return "<none>";
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of sel.matchExpressions ?? []) {
    const vals = [...(e.values ?? [])].sort().join(",");
    const text =
      e.operator === "In"
        ? `${e.key} in (${vals})`
        : e.operator === "NotIn"
          ? `${e.key} notin (${vals})`
          : e.operator === "Exists"
            ? e.key
            : `!${e.key}`;
    reqs.push({ key: e.key, text });
  }
  if (reqs.length === 0) return "<none>";
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(",");
}

/** A `-l` text that is not a selector; the message says what is wrong with which part. */
export class SelectorError extends Error {}

/**
 * Parses kubectl's `-l` syntax: `a=b,c!=d,e in (x,y),f notin (z),g,!h`, with the checks of
 * k8s.io/apimachinery pkg/labels/selector.go (NewRequirement): keys are qualified names,
 * values label values, an `in`/`notin` set is not empty. Anything else is a SelectorError,
 * never a selector that quietly matches everything.
 */
export function parseSelector(text: string): LabelSelector {
  // Own keys only: `__proto__=x` is a requirement on the label `__proto__`.
  const matchLabels: Record<string, string> = Object.create(null);
  const sel: LabelSelector = { matchLabels, matchExpressions: [] };
  const fail = (why: string): never => {
    throw new SelectorError(`invalid label selector ${quoteValue(text)}: ${why}`);
  };
  const key = (k: string): string => {
    const e = qualifiedName(k);
    return e ? fail(`key ${quoteValue(k)}: ${e}`) : k;
  };
  const value = (v: string): string => {
    const e = labelValue(v);
    return e ? fail(`value ${quoteValue(v)}: ${e}`) : v;
  };
  for (const raw of splitTopLevel(text, fail)) {
    const p = raw.trim();
    let m: RegExpMatchArray | null;
    if ((m = p.match(/^(\S+)\s+(in|notin)\s*\((.*)\)$/))) {
      const values = m[3].trim() === "" ? [] : m[3].split(",").map((v) => value(v.trim()));
      if (values.length === 0) fail(`for 'in', 'notin' operators, values set can't be empty (${m[1]})`);
      sel.matchExpressions!.push({ key: key(m[1]), operator: m[2] === "in" ? "In" : "NotIn", values });
    } else if ((m = p.match(/^([^\s!=]*)\s*(!=|==|=)\s*(.*)$/))) {
      if (m[2] === "!=") sel.matchExpressions!.push({ key: key(m[1]), operator: "NotIn", values: [value(m[3])] });
      else matchLabels[key(m[1])] = value(m[3]);
    } else if ((m = p.match(/^!\s*(.*)$/))) {
      sel.matchExpressions!.push({ key: key(m[1]), operator: "DoesNotExist" });
    } else if (p !== "") {
      sel.matchExpressions!.push({ key: key(p), operator: "Exists" });
    } else fail("an empty requirement");
  }
  return sel;
}

/** The requirements: the text split at commas outside parentheses. */
function splitTopLevel(text: string, fail: (why: string) => never): string[] {
  if (text.trim() === "") return [];
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of text) {
    if (ch === "(" && ++depth > 1) fail("nested parentheses");
    if (ch === ")" && --depth < 0) fail("a ')' without its '('");
    if (ch === "," && depth === 0) {
      parts.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (depth !== 0) fail("a '(' without its ')'");
  parts.push(cur);
  return parts;
}
