// IptLayer[] → the text `iptables-save` prints (and `iptables-restore` loads): per table
// `*nat` … `COMMIT`, built-in chains with their policy, user chains sorted by name (as
// iptables-save lists them), then the rules chain by chain in that order. Layers merge
// as ir/types.ts says. Rules keep their own argument order (kube-proxy's restore input).

import type { IptChain, IptLayer, IptOpt, IptRule } from "./types.js";
import { BUILTIN_CHAINS, IPT_TABLE_ORDER, compactTablesOf, type CompactChains } from "./compact.js";
import { ByteText, bigInt32Array, sortedOrder } from "./text.js";

// Characters of an argument that needs no quotes: [A-Za-z0-9_.:/,=+@%!-].
const SAFE_CHAR = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:/,=+@%!-")
  SAFE_CHAR[c.charCodeAt(0)] = 1;

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
  if (isAddrOpt(o.opt) && o.args.length === 1) return s + " " + quoteArg(withMask(o.args[0]));
  for (const a of o.args) s += " " + quoteArg(a);
  return s;
}

const isAddrOpt = (opt: string) => opt === "-s" || opt === "-d" || opt === "--source" || opt === "--destination";

/**
 * An address match as iptables-save prints it: always with its mask, so one address is
 * "/32" (iptables/iptables.c print_ip: xtables_ipaddr_to_numeric then
 * xtables_ipmask_to_numeric, which gives "/32" for a full mask; libxtables/xtables.c).
 */
export function withMask(a: string): string {
  return a.includes("/") || !/^\d+\.\d+\.\d+\.\d+$/.test(a) ? a : a + "/32";
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
    const m = compactTablesOf(l);
    if (m) for (const table of IPT_TABLE_ORDER) if (m[table]?.writer) writers.set(m[table]!, m[table]!.writer!(out));
  }
  const from = out.n;
  for (const table of IPT_TABLE_ORDER) {
    // Per part: its plain chains and, for a compact table, the compact ones.
    const parts: Record<string, IptChain>[] = [];
    const compact: (CompactChains | undefined)[] = [];
    for (const l of layers) {
      const cc = compactTablesOf(l)?.[table];
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
