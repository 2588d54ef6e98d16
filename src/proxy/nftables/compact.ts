// kube-proxy nftables mode: the shared table's compact chains (service chains and cluster
// endpoint chains as int32 records, built or printed on demand).

import type { NftRule, NftStmt } from "../../ir/types.js";
import { digestPrefixed, lastDigestBase32Into, packPrefix } from "../hash.js";
import { ruleText, stmtText, type CompactNftChains } from "../../ir/render-nft.js";
import { putCopy, putIp, putUint, putWords, type ByteText } from "../../ir/text.js";
import type { ProxyEndpoint } from "../model.js";
import {
  JUMP_MASQ_TEXT,
  type NftCtx,
  type PortCtx,
  type TableBuilder,
  dottedQuad,
  endpointPrefix,
  endpointRules,
  internalMasq,
  serviceToEndpointRules,
} from "./port.js";

/** A service port's compact chains: its endpoints' (first..first+n-1), then its service chain (self). */
interface SvcRec {
  pc: PortCtx;
  self: number;
  first: number;
  n: number;
  masq?: NftStmt[];
  prefix: string;
  bases?: string[];
}
/**
 * The compact chains. Compact chain c: its record in recs (see NREC); svcs[recs[NREC * c + 1]],
 * its service port (a service chain's own, or its endpoint chain's, whose endpoint is epOf(c)).
 */
export interface CompactNft {
  recs: Int32Array;
  svcs: SvcRec[];
  /** Compact chains so far. */
  count: number;
}

const h8 = new Uint8Array(8);

/** Records a port's endpoint chains and its service chain (in kube-proxy's creation order). */
export function recordPort(tb: TableBuilder, ctx: NftCtx, cn: CompactNft, pc: PortCtx): SvcRec {
  const { sp } = pc;
  const { recs, svcs } = cn;
  const svc = svcs.length;
  const prefix = endpointPrefix(sp);
  const rec: SvcRec = { pc, self: 0, first: cn.count, n: sp.clusterEndpoints.length, prefix };
  svcs.push(rec);
  const packed = packPrefix(prefix);
  for (const ep of sp.clusterEndpoints) {
    const c = cn.count++;
    tb.order.push(c);
    // nftEndpointBase's digest, from the parts.
    digestPrefixed(packed, ep.ip, "/", String(ep.port));
    lastDigestBase32Into(h8, 0, 8);
    const ip = dottedQuad(ep.ip);
    const nameLen = 8 + 1 + prefix.length + ep.ip.length + 1 + String(ep.port).length;
    const i = NREC * c;
    recs[i] = sp.affinity || ip < 0 || nameLen > 240 || ep.port !== (ep.port & 0xffff) ? N_SLOW : 0;
    recs[i + 1] = svc;
    recs[i + 2] = ip | 0;
    recs[i + 3] = ep.port;
    recs[i + 4] = (h8[0] << 24) | (h8[1] << 16) | (h8[2] << 8) | h8[3];
    recs[i + 5] = (h8[4] << 24) | (h8[5] << 16) | (h8[6] << 8) | h8[7];
  }
  rec.self = cn.count;
  tb.order.push(cn.count);
  const i = NREC * cn.count++;
  recs[i] = N_SVC | (sp.affinity ? N_SLOW : 0);
  recs[i + 1] = svc;
  if (sp.hasEndpoints && !sp.internalLocal) rec.masq = internalMasq(ctx, sp);
  return rec;
}

/** Endpoint chain c's endpoint. */
function epOf(cn: CompactNft, c: number): ProxyEndpoint {
  const rec = cn.svcs[cn.recs[NREC * c + 1]];
  return rec.pc.sp.clusterEndpoints[c - rec.first];
}
/** nftEndpointBase of endpoint chain c, from its record. */
export function baseOf(cn: CompactNft, c: number): string {
  const { recs } = cn;
  const i = NREC * c;
  const ep = epOf(cn, c);
  let h = "";
  for (const w of [recs[i + 4], recs[i + 5]])
    h += String.fromCharCode(w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255);
  const n = h + "-" + cn.svcs[recs[i + 1]].prefix + ep.ip + "/" + ep.port;
  return n.length > 240 ? n.slice(0, 237) + "..." : n;
}
/** Compact chain c's name. */
function nameOf(cn: CompactNft, c: number): string {
  const i = NREC * c;
  return cn.recs[i] & N_SVC ? cn.svcs[cn.recs[i + 1]].pc.chains.service : "endpoint-" + baseOf(cn, c);
}
/** Compact chain c's rules, built. */
function compactRules(cn: CompactNft, c: number): NftRule[] {
  const i = NREC * c;
  const rec = cn.svcs[cn.recs[i + 1]];
  if (!(cn.recs[i] & N_SVC)) return endpointRules(rec.pc, epOf(cn, c), baseOf(cn, c));
  const r: NftRule[] = rec.masq ? [{ expr: rec.masq }] : [];
  return serviceToEndpointRules(r, rec.pc, rec.pc.sp.clusterEndpoints, (j) =>
    rec.bases ? rec.bases[j] : baseOf(cn, rec.first + j),
  );
}

/** The table's compact chains, for defineCompactNftTable. */
export function compactChains(tb: TableBuilder, cn: CompactNft): CompactNftChains {
  const C = cn.count;
  let allNames: string[] | undefined;
  return {
    eager: tb.table.chains,
    order: tb.order,
    get names() {
      return (allNames ??= Array.from({ length: C }, (_, c) => nameOf(cn, c)));
    },
    count: C,
    name: (c: number) => (allNames ? allNames[c] : nameOf(cn, c)),
    rules: (c: number) => compactRules(cn, c),
    writer: (out: ByteText) => compactWriter(cn, out),
  };
}

// The text, written in index order (the renderer's calls) from the records; constant
// pieces are copied from a dictionary written before the output. The common shape (no
// affinity, dotted-quad endpoints) is written without building the rules, as ruleText
// prints them.
function compactWriter(cn: CompactNft, out: ByteText) {
  const { recs, svcs } = cn;
  out.room(300 * cn.count); // more than the text's size: one buffer, not a series of doublings
  const at = (s: string) => out.piece(s);
  const CH_EP = at("\tchain endpoint-");
  const SADDR = at(" {\n\t\tip saddr ");
  const END = at("\n\t}\n");
  const GOTO_EP = at(" : goto endpoint-");
  // Per port: "-" + the base's prefix; the masquerade jump and the DNAT up to the address.
  const preAt = new Int32Array(svcs.length);
  const preLen = new Int32Array(svcs.length);
  const dnatAt = new Int32Array(svcs.length);
  const dnatLen = new Int32Array(svcs.length);
  svcs.forEach((rec, k) => {
    const p = "-" + rec.prefix;
    preAt[k] = at(p);
    preLen[k] = p.length;
    const d = JUMP_MASQ_TEXT + "\n\t\t" + stmtText(rec.pc.l4match) + " dnat to ";
    dnatAt[k] = at(d);
    dnatLen[k] = d.length;
  });
  /** An endpoint chain's base (after "endpoint-"), from its record. */
  const base = (c: number) => {
    const i = NREC * c;
    if (recs[i] & N_SLOW) {
      out.str(baseOf(cn, c));
      return;
    }
    const k = recs[i + 1];
    const b = out.room(preLen[k] + 40);
    let n = putWords(b, out.n, recs, i + 4, 2);
    n = putCopy(b, n, preAt[k], preLen[k]);
    n = putIp(b, n, recs[i + 2]);
    b[n++] = 47; // "/"
    out.n = putUint(b, n, recs[i + 3]);
  };
  const rules = (c: number) => {
    const i = NREC * c;
    if (recs[i] & N_SLOW) {
      for (const r of compactRules(cn, c)) out.push("\t\t" + ruleText(r));
      return;
    }
    const k = recs[i + 1];
    const rec = svcs[k];
    if (!(recs[i] & N_SVC)) {
      out.str("\t\tip saddr ");
      const b = out.room(dnatLen[k] + 40);
      let n = putIp(b, out.n, recs[i + 2]);
      n = putCopy(b, n, dnatAt[k], dnatLen[k]);
      n = putIp(b, n, recs[i + 2]);
      b[n++] = 58; // ":"
      n = putUint(b, n, recs[i + 3]);
      b[n++] = 10;
      out.n = n;
      return;
    }
    if (rec.masq) out.push("\t\t" + ruleText({ expr: rec.masq }));
    out.str("\t\tnumgen random mod " + rec.n + " vmap { ");
    for (let j = 0; j < rec.n; j++) {
      const b = out.room(32);
      let n = out.n;
      if (j > 0) {
        b[n++] = 44; // ", "
        b[n++] = 32;
      }
      n = putUint(b, n, j);
      out.n = putCopy(b, n, GOTO_EP, 17);
      base(rec.first + j);
    }
    out.str(" }\n");
  };
  return {
    chain(c: number): void {
      const i = NREC * c;
      if (recs[i] & (N_SLOW | N_SVC)) {
        out.str("\tchain ");
        out.str(nameOf(cn, c));
        out.str(" {\n");
        rules(c);
        out.str("\t}\n");
        return;
      }
      const k = recs[i + 1];
      let b = out.room(preLen[k] + 60);
      out.n = putCopy(b, out.n, CH_EP, 16);
      base(c);
      b = out.room(dnatLen[k] + 60);
      let n = putCopy(b, out.n, SADDR, 14);
      n = putIp(b, n, recs[i + 2]);
      n = putCopy(b, n, dnatAt[k], dnatLen[k]);
      n = putIp(b, n, recs[i + 2]);
      b[n++] = 58; // ":"
      n = putUint(b, n, recs[i + 3]);
      out.n = putCopy(b, n, END, 4);
    },
    rules,
  };
}

// A compact chain's record (NREC int32 words): flags, service port (index into svcs),
// endpoint IPv4 address, endpoint port, the base's 8 hash characters (2 words, big endian).
export const NREC = 6;
const N_SLOW = 1; // printed from its rules (affinity, other address text, a truncated name)
const N_SVC = 2; // a service chain
