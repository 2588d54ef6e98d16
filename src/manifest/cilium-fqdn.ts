// CiliumNetworkPolicy's toFQDNs (https://docs.cilium.io/en/stable/security/policy/language/#dns-based):
// which names a selector matches (cilium/cilium pkg/policy/api fqdn.go, pkg/fqdn/matchpattern)
// and the addresses those names have. Cilium learns them from the pods' own lookups through
// its DNS proxy; podnet knows the outside names the cluster config declares (externalDNS),
// so those are the addresses a rule allows. Shared by the policy layer and Cilium's maps.
import type { ClusterConfig } from "./config.js";

export interface FqdnSelector {
  matchName?: string;
  matchPattern?: string;
}

// matchpattern.go: `*` is any run of the characters a DNS label may hold (never a dot); a
// lone `*` every name; a leading `**.` (newer releases) one or more labels. Matched label by label with
// a greedy wildcard walk (linear per label): a regular expression built from a hostile pattern
// (`*a*a*a…`) could backtrack for minutes.
const norm = (n: string) => n.toLowerCase().replace(/\.$/, "");

/** One label against one pattern label (`*` any run of characters). */
function globLabel(s: string, p: string): boolean {
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (i < s.length) {
    if (j < p.length && p[j] !== "*" && p[j] === s[i]) {
      i++;
      j++;
    } else if (j < p.length && p[j] === "*") {
      star = j++;
      mark = i;
    } else if (star >= 0) {
      j = star + 1;
      i = ++mark;
    } else return false;
  }
  while (j < p.length && p[j] === "*") j++;
  return j === p.length;
}

function labelsMatch(name: string[], pat: string[]): boolean {
  return name.length === pat.length && name.every((l, k) => globLabel(l, pat[k]));
}

/** Whether a matchPattern matches a (normalised) name. */
export function patternMatches(pattern: string, name: string): boolean {
  const n = norm(name);
  // Only a lone `*` is every name (matchpattern.go Sanitize): `*.` is one label, as `*.`
  // becomes the regular expression ^[-a-zA-Z0-9_]*[.]$.
  if (pattern.trim() === "*") return n.length > 0;
  const p = norm(pattern);
  const labels = n.split(".");
  if (p.startsWith("**.")) {
    const rest = p.slice(3).split(".");
    // One or more labels before the rest.
    return labels.length > rest.length && labelsMatch(labels.slice(labels.length - rest.length), rest);
  }
  return labelsMatch(labels, p.split("."));
}

/** Whether a toFQDNs entry matches a DNS name. */
export function fqdnMatches(sel: FqdnSelector, name: string): boolean {
  if (typeof sel.matchName === "string") return norm(sel.matchName) === norm(name);
  if (typeof sel.matchPattern === "string") return patternMatches(sel.matchPattern, name);
  return false;
}

/**
 * The IPv4 addresses of the externalDNS names the selectors match, a CNAME followed to its
 * target's addresses (the proxy learns every address of the answer for the name asked).
 */
export function fqdnAddresses(externalDNS: ClusterConfig["externalDNS"], sels: FqdnSelector[]): string[] {
  const byName = new Map<string, { type: string; value: string }[]>();
  for (const r of externalDNS ?? []) {
    const k = norm(r.name);
    const l = byName.get(k);
    if (l) l.push(r);
    else byName.set(k, [r]);
  }
  const out = new Set<string>();
  // Breadth first, each name once: the names within 8 CNAMEs (resolvers give up on longer
  // chains and loops), without walking every path of names with several CNAMEs each.
  const seen = new Set<string>();
  let level = [...byName.keys()].filter((name) => sels.some((s) => fqdnMatches(s, name)));
  for (let depth = 0; depth <= 8 && level.length > 0; depth++) {
    const next: string[] = [];
    for (const name of level) {
      if (seen.has(name)) continue;
      seen.add(name);
      for (const r of byName.get(name) ?? []) {
        if (r.type === "A") out.add(r.value);
        else if (r.type === "CNAME") next.push(norm(r.value));
      }
    }
    level = next;
  }
  return [...out].sort();
}
