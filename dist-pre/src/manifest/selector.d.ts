import type { Labels, LabelSelector } from "./types.js";
/** One requirement (labels.Requirement.Matches). An operator it does not know matches nothing. */
export declare function requirementMatches(labels: Labels, r: {
    key: string;
    operator: string;
    values?: readonly string[];
}): boolean;
/**
 * Whether a LabelSelector selects a label set. Operators a LabelSelector may not hold
 * (Gt, Lt, typos) are left to validation, which reports them, and are skipped here.
 */
export declare function matchSelector(sel: LabelSelector, labels: Labels): boolean;
/** metav1.FormatLabelSelector: requirements sorted by key, `<none>` when empty. */
export declare function formatLabelSelector(sel: LabelSelector | undefined | null): string;
/** Parses kubectl's `-l` syntax: `a=b,c!=d,e in (x,y),f notin (z),g,!h`. */
export declare function parseSelector(text: string): LabelSelector;
