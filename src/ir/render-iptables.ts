// IptLayer[] → the text `iptables-save` prints (and `iptables-restore` loads): per table
// `*nat` … `COMMIT`, built-in chains with their policy, user chains sorted by name (as
// iptables-save lists them), then the rules chain by chain in that order. Layers merge
// as ir/types.ts says. Rules keep their own argument order (kube-proxy's restore input).

import type { IptChain, IptLayer, IptOpt, IptRule, IptTableName } from "./types.js";

/** iptables-nft-save's table order. */
export const IPT_TABLE_ORDER: IptTableName[] = ["mangle", "security", "raw", "filter", "nat"];

export const BUILTIN_CHAINS: Record<IptTableName, string[]> = {
  raw: ["PREROUTING", "OUTPUT"],
  mangle: ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
  nat: ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
  filter: ["INPUT", "FORWARD", "OUTPUT"],
  security: ["INPUT", "FORWARD", "OUTPUT"],
};

// Characters of an argument that needs no quotes: [A-Za-z0-9_.:/,=+@%!-].
const SAFE_CHAR = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:/,=+@%!-") SAFE_CHAR[c.charCodeAt(0)] = 1;

function isSafe(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || SAFE_CHAR[c] === 0) return false;
  }
  return true;
}

/** An argument as iptables-restore's tokenizer reads it back. */
export function quoteArg(s: string): string {
  if (isSafe(s)) return s;
  return '"' + s.replace(/(["\\])/g, "\\$1") + '"';
}

// Frozen options are shared by many rules (`-m comment`, `-m tcp`): render them once.
const frozenText = new WeakMap<IptOpt, string>();

function optText(o: IptOpt): string {
  let s = o.neg ? " ! " + o.opt : " " + o.opt;
  for (const a of o.args) s += " " + quoteArg(a);
  return s;
}

const frozenListText = new WeakMap<IptOpt[], string>();

function optsText(opts: IptOpt[] | undefined): string {
  if (!opts) return "";
  if (Object.isFrozen(opts)) {
    let t = frozenListText.get(opts);
    if (t === undefined) frozenListText.set(opts, (t = optsText0(opts)));
    return t;
  }
  return optsText0(opts);
}

function optsText0(opts: IptOpt[]): string {
  let s = "";
  for (const o of opts) {
    if (Object.isFrozen(o)) {
      let t = frozenText.get(o);
      if (t === undefined) frozenText.set(o, (t = optText(o)));
      s += t;
    } else s += optText(o);
  }
  return s;
}

/** One rule as `-A CHAIN …`. */
export function renderIptRule(chain: string, r: IptRule): string {
  let s = "-A " + chain + optsText(r.opts);
  if (r.target !== undefined) s += (r.goto ? " -g " : " -j ") + r.target + optsText(r.targetOpts);
  return s;
}

export interface MergedTable {
  /** Chains in output order: built-ins, then user chains sorted. */
  chains: { name: string; builtin: boolean; policy?: string; rules: IptRule[] }[];
}

/** Merge layers: a chain exists when any layer declares it; rules concatenate in layer order. */
export function mergeIptables(layers: IptLayer[]): Map<IptTableName, MergedTable> {
  const out = new Map<IptTableName, MergedTable>();
  for (const table of IPT_TABLE_ORDER) {
    const parts: Record<string, IptChain>[] = [];
    for (const l of layers) {
      const t = l.tables[table];
      if (t) parts.push(t);
    }
    if (parts.length === 0) continue;
    const builtins = BUILTIN_CHAINS[table];
    const user = new Set<string>();
    for (const t of parts) for (const n of Object.keys(t)) if (!builtins.includes(n)) user.add(n);
    const chains: MergedTable["chains"] = [];
    const collect = (name: string, builtin: boolean) => {
      let policy: string | undefined;
      const rules: IptRule[] = [];
      for (const t of parts) {
        const c = t[name];
        if (!c) continue;
        if (policy === undefined && c.policy) policy = c.policy;
        for (const r of c.rules) rules.push(r);
      }
      chains.push({ name, builtin, policy: builtin ? policy ?? "ACCEPT" : undefined, rules });
    };
    for (const b of builtins) collect(b, true);
    for (const n of [...user].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) collect(n, false);
    out.set(table, { chains });
  }
  return out;
}

/**
 * A table of a layer whose chains are partly held in a compact form (kube-proxy's ~700k
 * KUBE-SEP chains at the scalability thresholds): `layer.tables[table]` materialises
 * every chain on first access; renderIptables reads the compact form instead, building
 * each compact chain's rules only while it prints them. The layer stays read-only.
 */
export interface CompactChains {
  /** The chains kept as plain IptChain objects. */
  eager: Record<string, IptChain>;
  /** Names of the compact chains (none of them is in `eager`). */
  names: string[];
  /** The rules of compact chain i (fresh objects, equal to the materialised ones). */
  rules(i: number): IptRule[];
  /** Optional: pushes compact chain i's `-A` lines to `out`, exactly as renderIptRule prints rules(i). */
  write?(i: number, out: TextOut): void;
}

const compactTables = new WeakMap<IptLayer, Partial<Record<IptTableName, CompactChains>>>();

/** Declares `layer.tables[table]` as compact (see CompactChains); `materialise` builds the plain record. */
export function defineCompactTable(layer: IptLayer, table: IptTableName, cc: CompactChains, materialise: () => Record<string, IptChain>): void {
  let m = compactTables.get(layer);
  if (!m) compactTables.set(layer, (m = {}));
  m[table] = cc;
  let plain: Record<string, IptChain> | undefined;
  Object.defineProperty(layer.tables, table, { enumerable: true, configurable: true, get: () => (plain ??= materialise()) });
}

/** The iptables-save text of the merged layers (rendered without copying the layers). */
export function renderIptables(layers: IptLayer[]): string {
  const out = new ChunkedText();
  for (const table of IPT_TABLE_ORDER) {
    // Per part: its plain chains and, for a compact table, the compact ones.
    const parts: Record<string, IptChain>[] = [];
    const compact: (CompactChains | undefined)[] = [];
    for (const l of layers) {
      const cc = compactTables.get(l)?.[table];
      const t = cc ? cc.eager : l.tables[table];
      if (!t) continue;
      parts.push(t);
      compact.push(cc);
    }
    if (parts.length === 0) continue;
    const builtins = BUILTIN_CHAINS[table];
    const isBuiltin = new Set(builtins);
    // Every user chain of every part, then sorted (stable: a chain's parts stay in layer order).
    const all: string[] = [];
    const partOf: number[] = [];
    const indexIn: number[] = []; // -1: plain chain; else the compact chain's index
    parts.forEach((t, p) => {
      for (const n of Object.keys(t))
        if (!isBuiltin.has(n)) {
          all.push(n);
          partOf.push(p);
          indexIn.push(-1);
        }
      const cc = compact[p];
      if (cc)
        cc.names.forEach((n, i) => {
          all.push(n);
          partOf.push(p);
          indexIn.push(i);
        });
    });
    const order = sortedOrder(all); // code-unit order, as iptables-save (strcmp) lists them
    out.push("*" + table);
    for (const b of builtins) {
      let policy: string | undefined;
      for (const t of parts) if (policy === undefined && t[b]?.policy) policy = t[b].policy;
      out.push(`:${b} ${policy ?? "ACCEPT"} [0:0]`);
    }
    let prev: string | undefined;
    for (let k = 0; k < order.length; k++) {
      const n = all[order[k]];
      if (n !== prev) out.push(":" + n + " - [0:0]");
      prev = n;
    }
    for (const b of builtins)
      for (const t of parts) {
        const c = t[b];
        if (c) for (const r of c.rules) out.push(renderIptRule(b, r));
      }
    for (let k = 0; k < order.length; k++) {
      const j = order[k];
      const n = all[j];
      if (indexIn[j] >= 0) {
        const cc = compact[partOf[j]]!;
        if (cc.write) cc.write(indexIn[j], out);
        else for (const r of cc.rules(indexIn[j])) out.push(renderIptRule(n, r));
      } else for (const r of parts[partOf[j]][n].rules) out.push(renderIptRule(n, r));
    }
    out.push("COMMIT");
  }
  return out.text();
}

/** Sorts strings in place by UTF-16 code units (as Array.prototype.sort without a comparator). */
export function sortCodeUnits(a: string[]): string[] {
  const order = sortedOrder(a);
  const copy = a.slice();
  for (let i = 0; i < a.length; i++) a[i] = copy[order[i]];
  return a;
}

/**
 * The indices of `a` in the strings' code-unit order, equal strings in index order: an
 * MSD radix sort, several times faster than a comparison sort on the ~700k KUBE-SEP-…
 * names of a large cluster (they share their first 9 characters).
 */
export function sortedOrder(a: string[]): Int32Array {
  const n = a.length;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  if (n < 2) return idx;
  const w: Work = { s: a.slice(), idx, ts: new Array<string>(n), ti: new Int32Array(n), code: new Uint8Array(n) };
  if (!msd(w, 0, n, 0)) {
    // A character ≥ 128: the comparison sort (stable).
    const s = Array.from({ length: n }, (_, i) => i).sort((x, y) => (a[x] < a[y] ? -1 : a[x] > a[y] ? 1 : x - y));
    idx.set(s);
  }
  return idx;
}

/** The strings and their indices move together; ts/ti/code are scratch space. */
interface Work {
  s: string[];
  idx: Int32Array;
  ts: string[];
  ti: Int32Array;
  code: Uint8Array;
}

function msd(w: Work, lo: number, hi: number, d: number): boolean {
  const { s, idx, ts, ti, code } = w;
  for (;;) {
    if (hi - lo < 24) {
      // Insertion sort (stable, exact for any code unit); the strings share their first d characters.
      for (let i = lo + 1; i < hi; i++) {
        const v = s[i];
        const vi = idx[i];
        let j = i - 1;
        while (j >= lo && s[j] > v) {
          s[j + 1] = s[j];
          idx[j + 1] = idx[j];
          j--;
        }
        s[j + 1] = v;
        idx[j + 1] = vi;
      }
      return true;
    }
    // Buckets: 0 = the string ends at d, 1 + code unit otherwise.
    const count = new Int32Array(131);
    for (let i = lo; i < hi; i++) {
      const x = s[i];
      const c = d < x.length ? x.charCodeAt(d) + 1 : 0;
      if (c > 128) return false;
      code[i] = c;
      count[c + 1]++;
    }
    // All in one bucket (a common prefix): the next character, nothing moves.
    let single = -1;
    for (let b = 0; b < 129; b++)
      if (count[b + 1] === hi - lo) {
        single = b;
        break;
      } else if (count[b + 1] !== 0) break;
    if (single === 0) return true; // all equal
    if (single > 0) {
      d++;
      continue;
    }
    for (let b = 1; b < 131; b++) count[b] += count[b - 1];
    const start = count.slice(0, 130);
    for (let i = lo; i < hi; i++) {
      const k = lo + count[code[i]]++;
      ts[k] = s[i];
      ti[k] = idx[i];
    }
    for (let i = lo; i < hi; i++) {
      s[i] = ts[i];
      idx[i] = ti[i];
    }
    for (let b = 1; b < 129; b++) {
      const bl = lo + start[b];
      const bh = lo + start[b + 1];
      if (bh - bl > 1 && !msd(w, bl, bh, d + 1)) return false;
    }
    return true;
  }
}

/** Where rendered lines go. */
export interface TextOut {
  /** One line, or several joined by "\n" (no trailing "\n"). */
  push(line: string): void;
}

/** Lines joined in chunks: the per-line strings die young instead of being promoted
 *  (at 600k lines that halves the time spent in the garbage collector). */
export class ChunkedText implements TextOut {
  private chunks: string[] = [];
  private lines: string[] = [];
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length >= 2048) this.flush();
  }
  private flush(): void {
    if (this.lines.length) this.chunks.push(this.lines.join("\n") + "\n");
    this.lines = [];
  }
  text(): string {
    this.flush();
    return this.chunks.join("");
  }
}
