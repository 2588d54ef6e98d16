// Label selector semantics (metav1.LabelSelector): matchLabels AND matchExpressions;
// an empty selector {} matches everything in scope.
import type { Labels, LabelSelector } from "../spec/types.js";

export function matchSelector(sel: LabelSelector, labels: Labels): boolean {
  if (sel.matchLabels) {
    for (const k in sel.matchLabels) if (labels[k] !== sel.matchLabels[k]) return false;
  }
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case "In":
        if (!has || !(e.values ?? []).includes(labels[e.key])) return false;
        break;
      case "NotIn":
        if (has && (e.values ?? []).includes(labels[e.key])) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}

/** kubectl's rendering of a selector (`app=web,tier in (a,b)`; `<none>` when empty). */
export function formatSelector(sel: LabelSelector | undefined): string {
  if (!sel) return "<none>";
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const vals = [...(e.values ?? [])].sort().join(",");
    if (e.operator === "In") parts.push(`${e.key} in (${vals})`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === "Exists") parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.length ? parts.join(",") : "<none>";
}

/** Parses kubectl's `-l` syntax: `a=b,c!=d,e in (x,y),f notin (z),g,!h`. */
export function parseSelector(text: string): LabelSelector {
  const sel: LabelSelector = { matchLabels: {}, matchExpressions: [] };
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur);
  for (const raw of parts) {
    const p = raw.trim();
    let m: RegExpMatchArray | null;
    if ((m = p.match(/^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      sel.matchExpressions!.push({ key: m[1], operator: m[2] === "in" ? "In" : "NotIn", values: m[3].split(",").map((s) => s.trim()).filter(Boolean) });
    } else if ((m = p.match(/^([^\s!=]+)\s*!=\s*(\S*)$/))) {
      sel.matchExpressions!.push({ key: m[1], operator: "NotIn", values: [m[2]] });
    } else if ((m = p.match(/^([^\s!=]+)\s*==?\s*(\S*)$/))) {
      sel.matchLabels![m[1]] = m[2];
    } else if ((m = p.match(/^!\s*(\S+)$/))) {
      sel.matchExpressions!.push({ key: m[1], operator: "DoesNotExist" });
    } else if ((m = p.match(/^(\S+)$/))) {
      sel.matchExpressions!.push({ key: m[1], operator: "Exists" });
    } else {
      throw new Error(`invalid label selector: "${text}"`);
    }
  }
  return sel;
}
