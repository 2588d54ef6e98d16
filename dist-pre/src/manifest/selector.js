/** One requirement (labels.Requirement.Matches). An operator it does not know matches nothing. */
export function requirementMatches(labels, r) {
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
            if (!has || vals.length !== 1)
                return false;
            const a = Number.parseInt(v, 10);
            const b = Number.parseInt(vals[0], 10);
            if (!/^-?\d+$/.test(v) || Number.isNaN(b))
                return false;
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
export function matchSelector(sel, labels) {
    if (sel.matchLabels) {
        for (const k in sel.matchLabels)
            if (labels[k] !== sel.matchLabels[k])
                return false;
    }
    for (const e of sel.matchExpressions ?? []) {
        if (LABEL_SELECTOR_OPERATORS.has(e.operator) && !requirementMatches(labels, e))
            return false;
    }
    return true;
}
/** metav1.FormatLabelSelector: requirements sorted by key, `<none>` when empty. */
export function formatLabelSelector(sel) {
    if (!sel)
        return "<none>";
    const reqs = [];
    for (const [k, v] of Object.entries(sel.matchLabels ?? {}))
        reqs.push({ key: k, text: `${k}=${v}` });
    for (const e of sel.matchExpressions ?? []) {
        const vals = [...(e.values ?? [])].sort().join(",");
        const text = e.operator === "In"
            ? `${e.key} in (${vals})`
            : e.operator === "NotIn"
                ? `${e.key} notin (${vals})`
                : e.operator === "Exists"
                    ? e.key
                    : `!${e.key}`;
        reqs.push({ key: e.key, text });
    }
    if (reqs.length === 0)
        return "<none>";
    reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return reqs.map((r) => r.text).join(",");
}
/** Parses kubectl's `-l` syntax: `a=b,c!=d,e in (x,y),f notin (z),g,!h`. */
export function parseSelector(text) {
    const sel = { matchLabels: {}, matchExpressions: [] };
    const parts = [];
    let depth = 0;
    let cur = "";
    for (const ch of text) {
        if (ch === "(")
            depth++;
        if (ch === ")")
            depth--;
        if (ch === "," && depth === 0) {
            parts.push(cur);
            cur = "";
        }
        else
            cur += ch;
    }
    if (cur.trim())
        parts.push(cur);
    for (const raw of parts) {
        const p = raw.trim();
        let m;
        if ((m = p.match(/^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
            sel.matchExpressions.push({
                key: m[1],
                operator: m[2] === "in" ? "In" : "NotIn",
                values: m[3]
                    .split(",")
                    .map((s) => s.trim())
                    .filter(Boolean),
            });
        }
        else if ((m = p.match(/^([^\s!=]+)\s*!=\s*(\S*)$/))) {
            sel.matchExpressions.push({ key: m[1], operator: "NotIn", values: [m[2]] });
        }
        else if ((m = p.match(/^([^\s!=]+)\s*==?\s*(\S*)$/))) {
            sel.matchLabels[m[1]] = m[2];
        }
        else if ((m = p.match(/^!\s*(\S+)$/))) {
            sel.matchExpressions.push({ key: m[1], operator: "DoesNotExist" });
        }
        else if ((m = p.match(/^(\S+)$/))) {
            sel.matchExpressions.push({ key: m[1], operator: "Exists" });
        }
        else {
            throw new Error(`invalid label selector: "${text}"`);
        }
    }
    return sel;
}
//# sourceMappingURL=selector.js.map