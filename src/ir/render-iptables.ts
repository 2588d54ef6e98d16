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

/** Options as renderIptRule prints them (each with its leading space). */
export function optsText(opts: IptOpt[] | undefined): string {
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
  /** Names of the compact chains (none of them is in `eager`, no two equal); may be built on first access. */
  names: string[];
  /** Optional: the number of compact chains and chain i's name, read instead of `names`. */
  count?: number;
  name?(i: number): string;
  /** The rules of compact chain i (fresh objects, equal to the materialised ones). */
  rules(i: number): IptRule[];
  /** Optional: pushes compact chain i's `-A` lines to `out`, exactly as renderIptRule prints rules(i). */
  write?(i: number, out: TextOut): void;
  /**
   * Optional: a writer of the compact chains' text to `out`, called in name order: decl(i)
   * appends chain i's declaration line (":NAME - [0:0]\n"), rules(i) its `-A` lines
   * ("\n"-terminated, as renderIptRule prints rules(i)). Making the writer may first
   * append scratch text (pieces to copy later; the renderer's output starts after it).
   */
  writer?(out: ByteText): { decl(i: number): void; rules(i: number): void };
  /** Optional: the compact chains' indices in the code-unit order of their names. */
  order?(): Int32Array;
  /** Optional: the index of the compact chain named `name`, -1 if none (else looked up in `names`). */
  indexOf?(name: string): number;
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

const compactIndexes = new WeakMap<CompactChains, Map<string, number>>();

/** The index of compact chain `name`, -1 if none. */
function compactIndex(cc: CompactChains, name: string): number {
  if (cc.indexOf) return cc.indexOf(name);
  let m = compactIndexes.get(cc);
  if (!m) {
    m = new Map();
    cc.names.forEach((n, i) => m!.set(n, i));
    compactIndexes.set(cc, m);
  }
  return m.get(name) ?? -1;
}

/** Is `layer.tables[table]` compact (see defineCompactTable)? */
export function isCompactTable(layer: IptLayer, table: IptTableName): boolean {
  return compactTables.get(layer)?.[table] !== undefined;
}

/** Is `name` one of the layer's compact (built on demand) chains in `table`, not an eager one? */
export function isCompactChain(layer: IptLayer, table: IptTableName, name: string): boolean {
  const cc = compactTables.get(layer)?.[table];
  return cc !== undefined && !Object.hasOwn(cc.eager, name) && compactIndex(cc, name) >= 0;
}

/** Does the layer declare chain `name` in `table`? (A compact table is not materialised.) */
export function layerHasChain(layer: IptLayer, table: IptTableName, name: string): boolean {
  const cc = compactTables.get(layer)?.[table];
  if (!cc) {
    const t = layer.tables[table];
    return t !== undefined && Object.hasOwn(t, name);
  }
  return Object.hasOwn(cc.eager, name) || compactIndex(cc, name) >= 0;
}

/** The layer's chain `name` in `table`; a compact table's compact chain is built afresh (equal to the materialised one). */
export function layerChain(layer: IptLayer, table: IptTableName, name: string): IptChain | undefined {
  const cc = compactTables.get(layer)?.[table];
  if (!cc) {
    const t = layer.tables[table];
    return t !== undefined && Object.hasOwn(t, name) ? t[name] : undefined;
  }
  if (Object.hasOwn(cc.eager, name)) return cc.eager[name];
  const i = compactIndex(cc, name);
  return i < 0 ? undefined : { name, rules: cc.rules(i) };
}

/** The iptables-save text of the merged layers (rendered without copying the layers). */
export function renderIptables(layers: IptLayer[]): string {
  const { out, from } = renderIptablesTo(layers);
  return out.text(from);
}

/** renderIptables' text as UTF-8 bytes (what a CLI writes out), without building the string. */
export function renderIptablesBytes(layers: IptLayer[]): Uint8Array {
  const { out, from } = renderIptablesTo(layers);
  return out.bytes(from);
}

const countOf = (cc: CompactChains) => cc.count ?? cc.names.length;
const compactName = (cc: CompactChains, i: number) => (cc.name ? cc.name(i) : cc.names[i]);

function renderIptablesTo(layers: IptLayer[]): { out: ByteText; from: number } {
  const out = new ByteText();
  // The compact chains' writers first (their scratch at the start of the buffer), then the output.
  const writers = new Map<CompactChains, { decl(i: number): void; rules(i: number): void }>();
  for (const l of layers) {
    const m = compactTables.get(l);
    if (m) for (const table of IPT_TABLE_ORDER) if (m[table]?.writer) writers.set(m[table]!, m[table]!.writer!(out));
  }
  const from = out.n;
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
    // Every user chain of every part in name order; equal names in part order, a part's
    // plain chains before its compact ones (iptables-save lists them in strcmp order).
    // The plain chains are sorted here; each compact part comes sorted (order()) and merges in.
    const plain: string[] = [];
    const plainPart: number[] = [];
    const plainSeq: number[] = []; // position in the (part, plain-then-compact) sequence
    const compactSeq: number[] = []; // per part: where its compact chains start in that sequence
    let seq = 0;
    parts.forEach((t, p) => {
      for (const n of Object.keys(t))
        if (!isBuiltin.has(n)) {
          plain.push(n);
          plainPart.push(p);
          plainSeq.push(seq++);
        }
      compactSeq.push(seq);
      seq += compact[p] ? countOf(compact[p]!) : 0;
    });
    // Merged entries: part, and chain index (compact) or -1 - index into `plain`.
    let mPart = bigInt32Array(plain.length);
    let mIdx = sortedOrder(plain);
    for (let k = 0; k < mIdx.length; k++) {
      mPart[k] = plainPart[mIdx[k]];
      mIdx[k] = -1 - mIdx[k];
    }
    const nameOf = (p: number, i: number) => (i < 0 ? plain[-1 - i] : compactName(compact[p]!, i));
    const seqOf = (p: number, i: number) => (i < 0 ? plainSeq[-1 - i] : compactSeq[p] + i);
    parts.forEach((_, p) => {
      const cc = compact[p];
      if (!cc || countOf(cc) === 0) return;
      const ord = cc.order ? cc.order() : sortedOrder(cc.names);
      const base = compactSeq[p];
      const n = mIdx.length + ord.length;
      const part = bigInt32Array(n);
      const idx = bigInt32Array(n);
      let k = 0;
      let a = 0;
      let b = 0;
      // A stable merge that gallops through runs of compact chains (the long list).
      while (a < mIdx.length) {
        const x = nameOf(mPart[a], mIdx[a]);
        const xs = seqOf(mPart[a], mIdx[a]);
        const before = (j: number) => {
          const y = compactName(cc, ord[j]);
          return y < x || (y === x && base + ord[j] < xs);
        };
        if (b < ord.length && before(b)) {
          let lo = b; // before(lo)
          let step = 1;
          while (lo + step < ord.length && before(lo + step)) {
            lo += step;
            step *= 2;
          }
          let hi = Math.min(lo + step, ord.length); // !before(hi), or the end
          while (hi - lo > 1) {
            const mid = (lo + hi) >> 1;
            if (before(mid)) lo = mid;
            else hi = mid;
          }
          for (; b < hi; b++, k++) {
            part[k] = p;
            idx[k] = ord[b];
          }
        }
        part[k] = mPart[a];
        idx[k++] = mIdx[a++];
      }
      for (; b < ord.length; b++, k++) {
        part[k] = p;
        idx[k] = ord[b];
      }
      mPart = part;
      mIdx = idx;
    });
    out.push("*" + table);
    for (const b of builtins) {
      let policy: string | undefined;
      for (const t of parts) if (policy === undefined && t[b]?.policy) policy = t[b].policy;
      out.push(`:${b} ${policy ?? "ACCEPT"} [0:0]`);
    }
    for (let k = 0; k < mIdx.length; k++) {
      const p = mPart[k];
      const i = mIdx[k];
      // Equal names (a chain several layers declare) are adjacent, and from different parts.
      if (k > 0 && mPart[k - 1] !== p && nameOf(mPart[k - 1], mIdx[k - 1]) === nameOf(p, i)) continue;
      const w = i >= 0 ? writers.get(compact[p]!) : undefined;
      if (w) w.decl(i);
      else {
        out.byte(58); // ":"
        out.str(nameOf(p, i));
        out.str(" - [0:0]\n");
      }
    }
    for (const b of builtins)
      for (const t of parts) {
        const c = t[b];
        if (c) for (const r of c.rules) out.push(renderIptRule(b, r));
      }
    for (let k = 0; k < mIdx.length; k++) {
      const p = mPart[k];
      const i = mIdx[k];
      if (i < 0) {
        const n = plain[-1 - i];
        for (const r of parts[p][n].rules) out.push(renderIptRule(n, r));
        continue;
      }
      const cc = compact[p]!;
      const w = writers.get(cc);
      if (w) w.rules(i);
      else if (cc.write) cc.write(i, out);
      else for (const r of cc.rules(i)) out.push(renderIptRule(compactName(cc, i), r));
    }
    out.push("COMMIT");
  }
  return { out, from };
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

const utf8Encoder = new TextEncoder();
// ignoreBOM: a leading U+FEFF stays in the text.
const utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * A large buffer's bytes. V8 counts an ArrayBuffer's memory as external and starts a full
 * garbage collection for about every 64 MB of it — with a large cluster's state in the
 * heap, ~0.6 s each, several per ruleset. A SharedArrayBuffer's memory is not counted that
 * way (it may be shared between isolates), so large texts use one where the platform has it.
 */
function newBytes(n: number): Uint8Array {
  return n > 1 << 20 && typeof SharedArrayBuffer === "function" ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n);
}

/** A zeroed Int32Array of n elements; a large one held as newBytes explains. */
export function bigInt32Array(n: number): Int32Array {
  return n > 1 << 18 && typeof SharedArrayBuffer === "function" ? new Int32Array(new SharedArrayBuffer(4 * n)) : new Int32Array(n);
}

/** A zeroed Uint8Array of n elements; a large one held as newBytes explains. */
export function bigUint8Array(n: number): Uint8Array {
  return newBytes(n);
}

/** Node's Buffer, when present: its latin1 decoding is faster than TextDecoder's for ASCII. */
const NodeBuffer = (globalThis as { Buffer?: { from(b: ArrayBufferLike, off: number, len: number): { toString(enc: string): string } } }).Buffer;

/**
 * Text as UTF-8 bytes in one growing buffer: a large ruleset is ~200 MB, and copying
 * bytes (copyWithin, for repeated pieces) is cheaper than building and joining millions of
 * strings (the string, when wanted, is decoded once at the end).
 */
export class ByteText implements TextOut {
  private pieceAt: Map<string, number> | undefined;
  /**
   * A constant piece written once into the buffer (ahead of the output that copies it) and
   * its offset: the compact chains' writers copy their repeated texts from there.
   */
  piece(s: string): number {
    const d = (this.pieceAt ??= new Map());
    let p = d.get(s);
    if (p === undefined) {
      d.set(s, (p = this.n));
      this.str(s);
    }
    return p;
  }

  buf = newBytes(1 << 16);
  n = 0;
  /** Only ASCII written so far. */
  ascii = true;
  /** The buffer, with room for k more bytes at n. */
  room(k: number): Uint8Array {
    if (this.n + k > this.buf.length) {
      const b = newBytes(Math.max(this.buf.length * 2, this.n + k));
      b.set(this.buf.subarray(0, this.n));
      this.buf = b;
    }
    return this.buf;
  }
  push(line: string): void {
    this.str(line);
    this.buf[this.n++] = 10; // str left room for it
  }
  /** `s` (no newline added); leaves room for one more byte. */
  str(s: string): void {
    const len = s.length;
    const b = this.room(len + 1);
    let n = this.n;
    for (let i = 0; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128) {
        this.n = n;
        this.utf8(s.slice(i));
        return;
      }
      b[n++] = c;
    }
    this.n = n;
  }
  private utf8(s: string): void {
    this.ascii = false;
    const b = this.room(s.length * 3 + 1);
    this.n += utf8Encoder.encodeInto(s, b.subarray(this.n)).written;
  }
  byte(c: number): void {
    this.room(1)[this.n++] = c;
  }
  /** Appends bytes [from, to) of this text (written earlier). */
  copy(from: number, to: number): void {
    const len = to - from;
    const b = this.room(len + 1);
    if (len > 12) b.copyWithin(this.n, from, to);
    else for (let i = 0; i < len; i++) b[this.n + i] = b[from + i];
    this.n += len;
  }
  bytes(from = 0): Uint8Array {
    return this.buf.subarray(from, this.n);
  }
  text(from = 0): string {
    if (this.ascii && NodeBuffer) return NodeBuffer.from(this.buf.buffer, this.buf.byteOffset + from, this.n - from).toString("latin1");
    return utf8Decoder.decode(this.bytes(from));
  }
}

// Helpers for writers that print straight into a ByteText's buffer: each writes at b[n]
// (the caller made room) and returns the new end.

/** b[p, p + len) copied to n (the pieces repeat: names, constant texts). */
export function putCopy(b: Uint8Array, n: number, p: number, len: number): number {
  if (len > 12) b.copyWithin(n, p, p + len);
  else for (let k = 0; k < len; k++) b[n + k] = b[p + k];
  return n + len;
}

/** `count` int32 words of `a` from i, each as 4 bytes (big endian: characters packed by the caller). */
export function putWords(b: Uint8Array, n: number, a: Int32Array, i: number, count: number): number {
  for (let k = i; k < i + count; k++) {
    const w = a[k];
    b[n] = w >>> 24;
    b[n + 1] = (w >>> 16) & 255;
    b[n + 2] = (w >>> 8) & 255;
    b[n + 3] = w & 255;
    n += 4;
  }
  return n;
}

/** A non-negative integer's decimal digits. */
export function putUint(b: Uint8Array, n: number, x: number): number {
  if (x < 10) {
    b[n] = 48 + x;
    return n + 1;
  }
  let len = 0;
  for (let y = x; y > 0; y = Math.floor(y / 10)) len++;
  for (let k = n + len - 1; k >= n; k--) {
    b[k] = 48 + (x % 10);
    x = Math.floor(x / 10);
  }
  return n + len;
}

/** An IPv4 address (a uint32 in an int32) as a dotted quad. */
export function putIp(b: Uint8Array, n: number, v: number): number {
  n = putOctet(b, n, v >>> 24);
  b[n++] = 46;
  n = putOctet(b, n, (v >>> 16) & 255);
  b[n++] = 46;
  n = putOctet(b, n, (v >>> 8) & 255);
  b[n++] = 46;
  return putOctet(b, n, v & 255);
}

function putOctet(b: Uint8Array, n: number, x: number): number {
  if (x >= 100) {
    b[n++] = 48 + ((x / 100) | 0);
    b[n++] = 48 + (((x / 10) | 0) % 10);
  } else if (x >= 10) b[n++] = 48 + ((x / 10) | 0);
  b[n++] = 48 + (x % 10);
  return n;
}
