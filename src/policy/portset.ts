// Sets of connections: per protocol, a sorted list of disjoint inclusive port ranges
// within 1..65535. The text form is the one policy analysers print:
// `All Connections`, `TCP 8050`, `TCP 1-79,81-65535,UDP 53` (protocols SCTP, TCP, UDP).

export type Proto = "SCTP" | "TCP" | "UDP";
export const PROTOCOLS: Proto[] = ["SCTP", "TCP", "UDP"];
export const MIN_PORT = 1;
export const MAX_PORT = 65535;

export type Range = [number, number];
export type ConnSet = Record<Proto, Range[]>;

export function emptySet(): ConnSet {
  return { SCTP: [], TCP: [], UDP: [] };
}
export function allSet(): ConnSet {
  return { SCTP: [[MIN_PORT, MAX_PORT]], TCP: [[MIN_PORT, MAX_PORT]], UDP: [[MIN_PORT, MAX_PORT]] };
}
export function single(proto: Proto, from = MIN_PORT, to = MAX_PORT): ConnSet {
  const s = emptySet();
  s[proto] = [[from, to]];
  return s;
}

function normalise(r: Range[]): Range[] {
  const s = [...r].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  for (const [a, b] of s) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** The set of the given ranges (any order, overlapping or not), per protocol. */
export function fromRanges(r: Record<Proto, Range[]>): ConnSet {
  const out = emptySet();
  for (const p of PROTOCOLS) out[p] = r[p].length === 0 ? [] : normalise(r[p]);
  return out;
}

export function union(a: ConnSet, b: ConnSet): ConnSet {
  const out = emptySet();
  for (const p of PROTOCOLS)
    out[p] = b[p].length === 0 ? a[p] : a[p].length === 0 ? b[p] : normalise([...a[p], ...b[p]]);
  return out;
}

export function intersect(a: ConnSet, b: ConnSet): ConnSet {
  const out = emptySet();
  for (const p of PROTOCOLS) {
    const r: Range[] = [];
    let i = 0;
    let j = 0;
    const x = a[p];
    const y = b[p];
    while (i < x.length && j < y.length) {
      const lo = Math.max(x[i][0], y[j][0]);
      const hi = Math.min(x[i][1], y[j][1]);
      if (lo <= hi) r.push([lo, hi]);
      if (x[i][1] < y[j][1]) i++;
      else j++;
    }
    out[p] = r;
  }
  return out;
}

/** a without b (what allow rules leave after deny rules: Cilium's deny takes precedence). */
export function subtract(a: ConnSet, b: ConnSet): ConnSet {
  const out = emptySet();
  for (const p of PROTOCOLS) {
    if (b[p].length === 0) {
      out[p] = a[p];
      continue;
    }
    const r: Range[] = [];
    for (const [lo0, hi] of a[p]) {
      let lo = lo0;
      for (const [dlo, dhi] of b[p]) {
        if (dhi < lo || dlo > hi) continue;
        if (dlo > lo) r.push([lo, dlo - 1]);
        lo = Math.max(lo, dhi + 1);
        if (lo > hi) break;
      }
      if (lo <= hi) r.push([lo, hi]);
    }
    out[p] = r;
  }
  return out;
}

export function isEmpty(s: ConnSet): boolean {
  return PROTOCOLS.every((p) => s[p].length === 0);
}
export function isAll(s: ConnSet): boolean {
  return PROTOCOLS.every((p) => s[p].length === 1 && s[p][0][0] === MIN_PORT && s[p][0][1] === MAX_PORT);
}
export function equal(a: ConnSet, b: ConnSet): boolean {
  return PROTOCOLS.every(
    (p) => a[p].length === b[p].length && a[p].every((r, i) => r[0] === b[p][i][0] && r[1] === b[p][i][1]),
  );
}
export function has(s: ConnSet, proto: Proto, port: number): boolean {
  return s[proto].some(([a, b]) => port >= a && port <= b);
}

export function formatConns(s: ConnSet): string {
  if (isAll(s)) return "All Connections";
  if (isEmpty(s)) return "No Connections";
  const parts: string[] = [];
  for (const p of PROTOCOLS) {
    if (s[p].length === 0) continue;
    parts.push(`${p} ${s[p].map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(",")}`);
  }
  return parts.join(",");
}
