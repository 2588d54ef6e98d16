// kube-proxy iptables mode: the shared layer's compact nat chains (KUBE-SVC and cluster
// KUBE-SEP chains as int32 records, built or printed on demand).

import type { IptChain, IptRule } from "../../ir/types.js";
import { type ByteText, bigInt32Array, putCopy, putIp, putUint, putWords } from "../../ir/text.js";
import { defineCompactTable } from "../../ir/compact.js";
import { optsText, quoteArg, renderIptRule } from "../../ir/render-iptables.js";
import { epStr, type ProxyEndpoint } from "../model.js";
import type { LayerBuilder } from "./rules.js";
import { type IptCtx, type PortCtx, endpointRules, probList, serviceToEndpointRules } from "./port.js";

/** A service port's KUBE-SVC chain: its record (self), its masquerade rule, its endpoints' chains first..first+n-1. */
export interface SvcRec {
  pc: PortCtx;
  self: number;
  masq?: IptRule;
  first: number;
  n: number;
}

/** What buildShared leaves for the compact nat chains: records, service ports, creation order. */
interface CompactNatParts {
  /** Each compact chain's record (see REC). */
  recs: Int32Array;
  svcs: SvcRec[];
  /** The number of compact chains. */
  count: number;
  /** The plain nat chains in creation order; before natOrder[k] come the compact chains below natAt[k]. */
  natOrder: string[];
  natAt: number[];
}

/**
 * Declares the shared layer's nat table compact (defineCompactTable): the KUBE-SVC and
 * KUBE-SEP chains are read from their records, their rules built or their text written on
 * demand.
 */
export function compactNat(lb: LayerBuilder, ctx: IptCtx, parts: CompactNatParts): void {
  const { recs, svcs, count: C, natOrder, natAt } = parts;
  const eager = lb.layer.tables.nat!;
  // Compact chains' names, built when asked for (the text is printed from the records).
  let cNames: string[] | undefined;
  const nameOf = (c: number): string => {
    if (cNames) return cNames[c];
    const i = REC * c + 1;
    const ch: number[] = [];
    for (let k = 0; k < 16; k++) ch.push((recs[i + (k >> 2)] >>> (24 - 8 * (k & 3))) & 255);
    return (recs[REC * c + 6] & R_SVC ? "KUBE-SVC-" : "KUBE-SEP-") + String.fromCharCode.apply(null, ch);
  };
  const names = () => {
    if (!cNames) {
      const all: string[] = [];
      for (let c = 0; c < C; c++) all.push(nameOf(c));
      cNames = all;
    }
    return cNames;
  };
  /** A KUBE-SEP chain's endpoint (undefined for a KUBE-SVC chain). */
  const epOf = (c: number): ProxyEndpoint | undefined => {
    const rec = svcs[recs[REC * c + 8]];
    return c === rec.self ? undefined : rec.pc.sp.clusterEndpoints[c - rec.first];
  };
  const cRules = (c: number): IptRule[] => {
    const ep = epOf(c);
    const rec = svcs[recs[REC * c + 8]];
    if (ep) return endpointRules(ctx, rec.pc, ep, nameOf(c));
    const r: IptRule[] = rec.masq ? [rec.masq] : [];
    return rec.n
      ? serviceToEndpointRules(
          r,
          ctx,
          rec.pc,
          rec.pc.sp.clusterEndpoints,
          Array.from({ length: rec.n }, (_, j) => nameOf(rec.first + j)),
        )
      : r;
  };
  // The compact chains' text, printed in name order (the renderer's calls): from the
  // records sorted by name, read in sequence (random access over ~1M chains costs more
  // than the printing); see compactWriter.
  let sortedRecs: Int32Array | undefined;
  const sorted = () => (sortedRecs ??= sortRecords(recs, C));
  const cOrder = () => {
    const r = sorted();
    const ord = bigInt32Array(C);
    for (let k = 0; k < C; k++) ord[k] = r[REC * k + 7];
    return ord;
  };
  const cWriter = (out: ByteText) => compactWriter(out, ctx, parts, sorted(), nameOf, cRules);
  const cc = {
    eager,
    get names() {
      return names();
    },
    count: C,
    name: nameOf,
    rules: cRules,
    writer: cWriter,
    order: cOrder,
    indexOf: (n: string) => recordIndex(sorted(), C, n),
  };
  defineCompactTable(lb.layer, "nat", cc, () => {
    const all: Record<string, IptChain> = {};
    let c = 0;
    const upTo = (n: number) => {
      for (; c < n; c++) all[nameOf(c)] = { name: nameOf(c), rules: cRules(c) };
    };
    natOrder.forEach((x, k) => {
      upTo(natAt[k]);
      all[x] = eager[x];
    });
    upTo(C);
    return all;
  });
}

/**
 * The compact chains' text writer (CompactChains.writer): `r` is the records sorted by
 * name. The common shape (large cluster, no affinity, dotted-quad endpoints) is written
 * without building the rules, as renderIptRule prints them; constant pieces are copied
 * from a dictionary written before the output.
 */
function compactWriter(
  out: ByteText,
  ctx: IptCtx,
  parts: CompactNatParts,
  r: Int32Array,
  nameOf: (c: number) => string,
  cRules: (c: number) => IptRule[],
): { decl(c: number): void; rules(c: number): void } {
  const { recs, svcs, count: C } = parts;
  out.room(340 * C); // more than the text's size: one buffer, not a series of doublings
  let rank: Int32Array | undefined;
  let next = 0;
  /** The record of chain c: where the last one ended, else looked up. */
  const recOf = (c: number) => {
    let k = next;
    if (k >= C || r[REC * k + 7] !== c) {
      if (!rank) {
        rank = bigInt32Array(C);
        for (let j = 0; j < C; j++) rank[r[REC * j + 7]] = j;
      }
      k = rank[c];
    }
    next = k + 1;
    return REC * k;
  };
  const at = (s: string) => out.piece(s);
  const SEP_A = at("-A KUBE-SEP-");
  const SVC_A = at("-A KUBE-SVC-");
  const MASQ_L = at(" -j KUBE-MARK-MASQ\n-A KUBE-SEP-");
  const DECL = at(" - [0:0]\n");
  const J_SEP = at(" -j KUBE-SEP-");
  // Per port: its DNAT options' text (up to the address); the probabilities' texts, up to the target's hash.
  const dnatAt = new Int32Array(svcs.length).fill(-1);
  const dnatLen = new Int32Array(svcs.length);
  const probAt: number[] = [];
  const probLen: number[] = [];
  svcs.forEach((rec, k) => {
    if (!ctx.large || rec.pc.sp.affinity || rec.n === 0) return;
    const ep = rec.pc.sp.clusterEndpoints[0];
    const t = (rec.pc.dnatText ??= renderIptRule("", endpointRules(ctx, rec.pc, ep, nameOf(rec.first))[1]).slice(
      "-A ".length,
      -(" --to-destination ".length + quoteArg(epStr(ep)).length),
    ));
    dnatAt[k] = at(t + " --to-destination ");
    dnatLen[k] = t.length + 18;
    for (let left = rec.n; left > 1 && probAt[left] === undefined; left--) {
      const p = optsText(probList(left)) + " -j KUBE-SEP-";
      probAt[left] = at(p);
      probLen[left] = p.length;
    }
  });
  const put = (p: number, len: number) => out.copy(p, p + len);
  return {
    decl(c: number): void {
      const i = recOf(c);
      if (r[i + 6] & R_SLOW) {
        out.byte(58); // ":"
        out.str(nameOf(c));
        put(DECL, 9);
        return;
      }
      const b = out.room(40);
      let n = out.n;
      b[n++] = 58;
      n = putCopy(b, n, r[i + 6] & R_SVC ? SVC_A + 3 : SEP_A + 3, 9);
      n = putWords(b, n, r, i + 1, 4);
      out.n = putCopy(b, n, DECL, 9);
    },
    rules(c: number): void {
      const i = recOf(c);
      const flags = r[i + 6];
      if (flags & R_SLOW) {
        for (const x of cRules(c)) out.push(renderIptRule(nameOf(c), x));
        return;
      }
      const k = r[i + 8];
      if (!(flags & R_SVC)) {
        const b = out.room(160 + dnatLen[k]);
        let n = putCopy(b, out.n, SEP_A, 12);
        n = putWords(b, n, r, i + 1, 4);
        b[n++] = 32; // " -s "
        b[n++] = 45;
        b[n++] = 115;
        b[n++] = 32;
        n = putIp(b, n, r[i + 5]);
        b[n++] = 47; // "/32": iptables-save prints the mask (render-iptables.ts withMask)
        b[n++] = 51;
        b[n++] = 50;
        n = putCopy(b, n, MASQ_L, 31);
        n = putWords(b, n, r, i + 1, 4);
        n = putCopy(b, n, dnatAt[k], dnatLen[k]);
        n = putIp(b, n, r[i + 5]);
        b[n++] = 58; // ":"
        n = putUint(b, n, flags & 0xffff);
        b[n++] = 10;
        out.n = n;
        return;
      }
      const rec = svcs[k];
      const head = out.n;
      let b = out.room(40);
      let n = putCopy(b, head, SVC_A, 12);
      n = putWords(b, n, r, i + 1, 4);
      const headEnd = (out.n = n);
      if (rec.masq) out.push(renderIptRule(nameOf(c), rec.masq).slice(headEnd - head));
      for (let j = 0; j < rec.n; j++) {
        const left = rec.n - j;
        b = out.room(headEnd - head + 32 + (left > 1 ? probLen[left] : 13));
        n = out.n;
        if (j > 0 || rec.masq) n = putCopy(b, n, head, headEnd - head);
        n = left > 1 ? putCopy(b, n, probAt[left], probLen[left]) : putCopy(b, n, J_SEP, 13);
        n = putWords(b, n, recs, REC * (rec.first + j) + 1, 4);
        b[n++] = 10;
        out.n = n;
      }
    },
  };
}

// A compact chain's record (REC int32 words): sort key, 16 hash characters (4 words, big
// endian), endpoint IPv4 address, flags | endpoint port, chain index, service port (svcs).
export const REC = 9;
export const R_SLOW = 1 << 30; // printed from its rules (affinity, small cluster, other address text)
export const R_SVC = 1 << 29; // a KUBE-SVC chain
export const R_SVC_GROUP = 1 << 30; // in the sort key: KUBE-SVC-… after KUBE-SEP-…

/** Record c's fields but its hash characters (words 1-4, written by the caller). */
export function record(recs: Int32Array, c: number, key: number, ip: number, flags: number, svc: number): void {
  const i = REC * c;
  recs[i] = key;
  recs[i + 5] = ip;
  recs[i + 6] = flags;
  recs[i + 7] = c;
  recs[i + 8] = svc;
}

/**
 * The first n records in name order: sorted by the keys (which agree with the names' order:
 * group, then the first 6 hash characters) moving whole records — one pass into 2048
 * buckets by the top 11 bits, then each bucket (small: it stays in the cache) by the low 20
 * bits in two passes — then equal keys by the remaining hash characters (ASCII codes
 * compare like the names).
 */
function sortRecords(recs: Int32Array, n: number): Int32Array {
  const a = bigInt32Array(REC * n);
  const start = new Int32Array(2049);
  for (let i = 0; i < n; i++) start[(recs[REC * i] >>> 20) + 1]++;
  for (let k = 1; k < 2049; k++) start[k] += start[k - 1];
  const at = start.slice(0, 2048);
  for (let i = 0; i < n; i++) {
    const j = REC * at[recs[REC * i] >>> 20]++;
    const s = REC * i;
    for (let w = 0; w < REC; w++) a[j + w] = recs[s + w];
  }
  let most = 0;
  for (let k = 0; k < 2048; k++) most = Math.max(most, start[k + 1] - start[k]);
  const tmp = new Int32Array(REC * most);
  const count = new Int32Array(1025);
  for (let k = 0; k < 2048; k++) {
    const lo = start[k];
    const m = start[k + 1] - lo;
    if (m < 2) continue;
    // Low 10 bits a → tmp, then bits 10..19 tmp → a (stable).
    for (const [src, srcAt, dst, dstAt, shift] of [
      [a, lo, tmp, 0, 0],
      [tmp, 0, a, lo, 10],
    ] satisfies [Int32Array, number, Int32Array, number, number][]) {
      count.fill(0);
      for (let i = 0; i < m; i++) count[((src[REC * (srcAt + i)] >>> shift) & 1023) + 1]++;
      for (let b = 1; b < 1025; b++) count[b] += count[b - 1];
      for (let i = 0; i < m; i++) {
        const s = REC * (srcAt + i);
        const j = REC * (dstAt + count[(src[s] >>> shift) & 1023]++);
        for (let w = 0; w < REC; w++) dst[j + w] = src[s + w];
      }
    }
  }
  const less = (x: number, y: number) => {
    for (let w = 1; w < 5; w++) if (a[x + w] !== a[y + w]) return a[x + w] < a[y + w];
    return a[x + 7] < a[y + 7];
  };
  const one = new Int32Array(REC);
  for (let lo = 0; lo < n; ) {
    let hi = lo + 1;
    while (hi < n && a[REC * hi] === a[REC * lo]) hi++;
    for (let i = lo + 1; i < hi; i++) {
      let j = i;
      while (j > lo && less(REC * j, REC * (j - 1))) {
        one.set(a.subarray(REC * j, REC * j + REC));
        a.copyWithin(REC * j, REC * (j - 1), REC * j);
        a.set(one, REC * (j - 1));
        j--;
      }
    }
    lo = hi;
  }
  return a;
}

/** The chain index of the record named `name` in records sorted by sortRecords, -1 if none. */
function recordIndex(r: Int32Array, n: number, name: string): number {
  if (name.length !== 25) return -1;
  let key: number;
  if (name.startsWith("KUBE-SEP-")) key = 0;
  else if (name.startsWith("KUBE-SVC-")) key = R_SVC_GROUP;
  else return -1;
  let k30 = 0;
  for (let j = 9; j < 15; j++) {
    const ch = name.charCodeAt(j);
    const v = ch >= 50 && ch <= 55 ? ch - 50 : ch >= 65 && ch <= 90 ? ch - 65 + 6 : -1;
    if (v < 0) return -1;
    k30 = k30 * 32 + v;
  }
  key |= k30;
  const w = [0, 0, 0, 0];
  for (let k = 0; k < 4; k++) {
    const j = 9 + 4 * k;
    w[k] =
      (name.charCodeAt(j) << 24) |
      (name.charCodeAt(j + 1) << 16) |
      (name.charCodeAt(j + 2) << 8) |
      name.charCodeAt(j + 3);
  }
  const cmp = (i: number) => {
    if (r[i] !== key) return r[i] < key ? -1 : 1;
    for (let k = 0; k < 4; k++) if (r[i + 1 + k] !== w[k]) return r[i + 1 + k] < w[k] ? -1 : 1;
    return 0;
  };
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const c = cmp(REC * mid);
    if (c === 0) return r[REC * mid + 7];
    if (c < 0) lo = mid + 1;
    else hi = mid - 1 + 1;
  }
  return -1;
}
