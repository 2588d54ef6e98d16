// kube-proxy nftables mode, modelled on pkg/proxy/nftables/proxier.go (Kubernetes
// v1.32 layout: filter-prerouting-pre-dnat / filter-output-pre-dnat at dstnat-10,
// cluster-ips-check). nodePortAddresses unset: no nodeport-ips set, NodePorts match
// `fib daddr type local` (localhost excluded). Rules are libnftables JSON.
//
// Sharing as in iptables mode: one shared `ip kube-proxy` table; the per-node layer adds
// to the same table (Local traffic policies, the LoadBalancer source-range rule).

import { cidrTextContains, parseIPv4 } from "../../net/ipv4.js";
import type { ClusterState, NodeState } from "../../control/state.js";
import type { NftChain, NftExpr, NftLayer, NftRule, NftSet, NftStmt, NftTable } from "../../ir/types.js";
import type { ProxyMode, ProxyOutput } from "../mode.js";
import { digestPrefixed, hashAndTruncate, lastDigestBase32Into, packPrefix } from "../hash.js";
import { defineCompactNftTable, ruleText, stmtText, type CompactNftChains } from "../../ir/render-nft.js";
import { bigInt32Array, putCopy, putIp, putUint, putWords, type ByteText } from "../../ir/text.js";
import {
  clusterCIDR,
  localEndpoints,
  reachableEndpoints,
  servicePorts,
  epStr,
  type ProxyEndpoint,
  type ProxyServicePort,
} from "../model.js";
import {
  CT_STATE_NEW,
  DADDR_PROTO_DPORT,
  DROP,
  FIB_DADDR_LOCAL,
  FIB_SADDR_LOCAL,
  IP_DADDR,
  IP_SADDR,
  L4PROTO,
  MARK,
  PROTO_DPORT,
  REJECT,
  RETURN,
  goto_,
  jump,
  match,
  payload,
  prefix,
  vmap,
} from "./expr.js";

export const TABLE = "kube-proxy";
export const MASQ_MARK = 0x4000;

export interface NftSvcChains {
  service: string;
  local: string;
  external: string;
  firewall: string;
}
/** servicePortChainNameBase: hashAndTruncate("<ns>/<svc>/<proto>/<portName>"). */
export function nftServiceChains(sp: Pick<ProxyServicePort, "svc" | "port" | "protocol">): NftSvcChains {
  const base = hashAndTruncate(`${sp.svc.namespace}/${sp.svc.name}/${sp.protocol}/${sp.port.name ?? ""}`);
  return {
    service: "service-" + base,
    local: "local-" + base,
    external: "external-" + base,
    firewall: "firewall-" + base,
  };
}
/** servicePortEndpointChainNameBase: "<ns>/<svc>/<proto>/<portName>__<ip>/<port>". */
export function nftEndpointBase(
  sp: Pick<ProxyServicePort, "svc" | "port" | "protocol">,
  ep: { ip: string; port: number },
): string {
  return hashAndTruncate(`${endpointPrefix(sp)}${ep.ip}/${ep.port}`);
}

interface PortCtx {
  sp: ProxyServicePort;
  chains: NftSvcChains;
  epBase: Map<string, string>;
  usesFWChain: boolean;
  /** `meta l4proto tcp`, shared by the port's endpoint chains. */
  l4match: NftStmt;
}
interface NftCtx {
  cidr: string;
  masqAll: boolean;
  perNode: PortCtx[];
}
const ctxOf = new WeakMap<ProxyOutput, NftCtx>();

class TableBuilder {
  readonly table: NftTable;
  /** Chain names in creation order (and, in the shared table, compact chains' indexes). */
  readonly order: (string | number)[] = [];
  constructor(comment?: string) {
    this.table = { family: "ip", name: TABLE, chains: {}, sets: {} };
    if (comment) this.table.comment = comment;
  }
  chain(name: string, base?: Pick<NftChain, "type" | "hook" | "prio" | "policy">): NftChain {
    let c = this.table.chains[name];
    if (!c) {
      c = { name, ...(base ?? {}), rules: [] };
      this.table.chains[name] = c;
      this.order.push(name);
    }
    return c;
  }
  rule(chain: string, expr: NftStmt[], comment?: string): void {
    const r: NftRule = { expr };
    if (comment) r.comment = comment;
    this.chain(chain).rules.push(r);
  }
  set(s: Omit<NftSet, "elem">): NftSet {
    let v = this.table.sets[s.name];
    if (!v) {
      v = { ...s, elem: [] };
      this.table.sets[s.name] = v;
    }
    return v;
  }
  /** Add an element to a set declared in the shared table (re-declared here with its type). */
  elem(set: string, key: NftExpr, value?: NftExpr, comment?: string): void {
    const s = this.table.sets[set];
    if (!s) throw new Error(`nftables: set ${set} not declared in this layer`);
    const e: NftSet["elem"][number] = { key };
    if (value !== undefined) e.value = value;
    if (comment !== undefined) e.comment = comment;
    s.elem.push(e);
  }
}

const SVC_MAP_TYPE = ["ipv4_addr", "inet_proto", "inet_service"];
const NP_MAP_TYPE = ["inet_proto", "inet_service"];
const MAPS: Omit<NftSet, "elem">[] = [
  { name: "cluster-ips", kind: "set", type: "ipv4_addr", comment: "Active ClusterIPs" },
  {
    name: "no-endpoint-services",
    kind: "map",
    type: SVC_MAP_TYPE,
    map: "verdict",
    comment: "vmap to drop or reject packets to services with no endpoints",
  },
  {
    name: "no-endpoint-nodeports",
    kind: "map",
    type: NP_MAP_TYPE,
    map: "verdict",
    comment: "vmap to drop or reject packets to service nodeports with no endpoints",
  },
  {
    name: "firewall-ips",
    kind: "map",
    type: SVC_MAP_TYPE,
    map: "verdict",
    comment: "destinations that are subject to LoadBalancerSourceRanges",
  },
  {
    name: "service-ips",
    kind: "map",
    type: SVC_MAP_TYPE,
    map: "verdict",
    comment: "ClusterIP, ExternalIP and LoadBalancer IP traffic",
  },
  { name: "service-nodeports", kind: "map", type: NP_MAP_TYPE, map: "verdict", comment: "NodePort traffic" },
];

const BASE_CHAINS: [string, NftChain["type"], NftChain["hook"], number][] = [
  ["filter-prerouting-pre-dnat", "filter", "prerouting", -110],
  ["filter-output-pre-dnat", "filter", "output", -110],
  ["filter-input", "filter", "input", 0],
  ["filter-forward", "filter", "forward", 0],
  ["filter-output", "filter", "output", 0],
  ["nat-prerouting", "nat", "prerouting", -100],
  ["nat-output", "nat", "output", -100],
  ["nat-postrouting", "nat", "postrouting", 100],
];
const JUMP_CHAINS: [dst: string, src: string, ctNew: boolean][] = [
  ["nodeport-endpoints-check", "filter-input", true],
  ["service-endpoints-check", "filter-input", true],
  ["service-endpoints-check", "filter-forward", true],
  ["service-endpoints-check", "filter-output", true],
  ["firewall-check", "filter-prerouting-pre-dnat", true],
  ["firewall-check", "filter-output-pre-dnat", true],
  ["services", "nat-output", false],
  ["services", "nat-prerouting", false],
  ["masquerading", "nat-postrouting", false],
  ["cluster-ips-check", "filter-forward", true],
  ["cluster-ips-check", "filter-output", true],
];

const key3 = (ip: string, sp: ProxyServicePort, port: number) => ({ concat: [ip, sp.protocol, port] });
const key2 = (sp: ProxyServicePort, port: number) => ({ concat: [sp.protocol, port] });
const NO_LOCALHOST = match(IP_DADDR, prefix("127.0.0.0/8"), "!=");

function epBase(pc: PortCtx, ep: ProxyEndpoint): string {
  let b = pc.epBase.get(epStr(ep));
  if (!b) {
    b = nftEndpointBase(pc.sp, ep);
    pc.epBase.set(epStr(ep), b);
  }
  return b;
}

/** writeServiceToEndpointRules: affinity checks, then the numgen vmap (appended to `r`). */
function serviceToEndpointRules(
  r: NftRule[],
  pc: PortCtx,
  eps: ProxyEndpoint[],
  baseOf: (i: number) => string,
): NftRule[] {
  if (pc.sp.affinity)
    eps.forEach((_, i) => {
      const b = baseOf(i);
      r.push({ expr: [match(IP_SADDR, "@affinity-" + b), goto_("endpoint-" + b)] });
    });
  const elems = eps.map((_, i) => [i, goto_("endpoint-" + baseOf(i))]);
  r.push({ expr: [vmap({ numgen: { mode: "random", mod: eps.length, offset: 0 } }, { set: elems })] });
  return r;
}

const JUMP_MASQ = Object.freeze(jump("mark-for-masquerade"));
const JUMP_MASQ_TEXT = " " + stmtText(JUMP_MASQ);

/** The endpoint chain's rules (and affinity set); `chain` was created in kube-proxy's order. */
function writeEndpoint(tb: TableBuilder, pc: PortCtx, ep: ProxyEndpoint, chain: NftChain): void {
  const b = epBase(pc, ep);
  declareAffinity(tb, pc, b);
  chain.rules.push(...endpointRules(pc, ep, b));
}

function declareAffinity(tb: TableBuilder, pc: PortCtx, b: string): void {
  if (pc.sp.affinity)
    tb.set({
      name: "affinity-" + b,
      kind: "set",
      type: "ipv4_addr",
      flags: ["dynamic", "timeout"],
      timeout: pc.sp.affinityTimeout,
    });
}

/** The endpoint chain's rules: hairpin masquerade, affinity update, DNAT. */
function endpointRules(pc: PortCtx, ep: ProxyEndpoint, b: string): NftRule[] {
  const r: NftRule[] = [{ expr: [match(IP_SADDR, ep.ip), JUMP_MASQ] }];
  if (pc.sp.affinity) r.push({ expr: [{ set: { op: "update", elem: IP_SADDR, set: "@affinity-" + b } }] });
  r.push({ expr: [pc.l4match, { dnat: { addr: ep.ip, port: ep.port } }] });
  return r;
}

function internalMasq(ctx: NftCtx, sp: ProxyServicePort): NftStmt[] {
  const e: NftStmt[] = [match(IP_DADDR, sp.clusterIP), match(payload(sp.protocol, "dport"), sp.port.port)];
  if (!ctx.masqAll) e.push(match(IP_SADDR, prefix(ctx.cidr), "!="));
  e.push(jump("mark-for-masquerade"));
  return e;
}

function buildShared(state: ClusterState): { out: ProxyOutput; ctx: NftCtx } {
  const sps = servicePorts(state);
  const ctx: NftCtx = { cidr: clusterCIDR(state), masqAll: !!state.config.networking.masqueradeAll, perNode: [] };
  const tb = new TableBuilder("rules for kube-proxy");
  sharedStaticRules(tb, state);

  // The shared endpoint chains and the service chains (most of a large cluster's rules)
  // stay compact until someone reads the table's chains (see defineCompactNftTable).
  let cap = 0;
  for (const sp of sps) cap += 1 + sp.clusterEndpoints.length;
  const cn: CompactNft = { recs: bigInt32Array(NREC * cap), svcs: [], count: 0 };
  const seenCIP = new Set<string>();
  for (const sp of sps) {
    const chains = nftServiceChains(sp);
    const usesFWChain = sp.lbIPs.length > 0 && sp.sourceRanges.length > 0;
    const pc: PortCtx = { sp, chains, epBase: new Map(), usesFWChain, l4match: match(L4PROTO, sp.protocol) };
    if (sp.usesLocalEndpoints || usesFWChain) ctx.perNode.push(pc);
    const usesClusterPolicyChain = sp.clusterEndpoints.length > 0 && sp.usesClusterEndpoints;
    const usesExternalTrafficChain = sp.hasEndpoints && sp.externallyAccessible;
    // Chains in kube-proxy's creation order: endpoints, service, external, firewall.
    const rec = usesClusterPolicyChain ? recordPort(tb, ctx, cn, pc) : undefined;
    if (usesExternalTrafficChain) tb.chain(chains.external);
    if (usesFWChain) tb.chain(chains.firewall);
    portElems(tb, pc, seenCIP);
    // (With endpoints and iTP Cluster the port always has the service chain, masquerade rule in rec.masq.)
    if (sp.hasEndpoints && !sp.internalLocal && !usesClusterPolicyChain) tb.rule(chains.service, internalMasq(ctx, sp));
    if (usesExternalTrafficChain) externalRules(tb, ctx, pc);
    if (rec && sp.affinity) {
      rec.bases = sp.clusterEndpoints.map((_, j) => baseOf(cn, rec.first + j));
      for (const b of rec.bases) declareAffinity(tb, pc, b);
    }
  }

  defineCompactNftTable(tb.table, compactChains(tb, cn));
  const out: ProxyOutput = { nftables: { owner: "kube-proxy", tables: [tb.table] } };
  ctxOf.set(out, ctx);
  return { out, ctx };
}

/** The base chains, their jumps, masquerading, the maps and the rules that consult them. */
function sharedStaticRules(tb: TableBuilder, state: ClusterState): void {
  for (const [name, type, hook, prio] of BASE_CHAINS) tb.chain(name, { type, hook, prio, policy: "accept" });
  for (const [dst, src, ctNew] of JUMP_CHAINS) {
    tb.chain(dst);
    tb.rule(src, ctNew ? [CT_STATE_NEW, jump(dst)] : [jump(dst)]);
  }
  for (const c of ["services", "cluster-ips-check", "masquerading", "mark-for-masquerade"]) tb.chain(c);
  tb.rule("mark-for-masquerade", [{ mangle: { key: MARK, value: { "|": [MARK, MASQ_MARK] } } }]);
  tb.rule("masquerading", [match({ "&": [MARK, MASQ_MARK] }, 0), RETURN]);
  tb.rule("masquerading", [{ mangle: { key: MARK, value: { "^": [MARK, MASQ_MARK] } } }]);
  tb.rule("masquerading", [{ masquerade: { flags: "fully-random" } }]);
  for (const m of MAPS) tb.set(m);
  tb.rule(
    "cluster-ips-check",
    [match(IP_DADDR, "@cluster-ips"), REJECT],
    "Reject traffic to invalid ports of ClusterIPs",
  );
  tb.rule(
    "cluster-ips-check",
    [match(IP_DADDR, prefix(state.config.networking.serviceSubnet)), DROP],
    "Drop traffic to unallocated ClusterIPs",
  );
  // reject-chain's comment ("helper for @no-endpoint-services / @no-endpoint-nodeports")
  // has no place in NftChain.
  tb.chain("reject-chain");
  tb.rule("reject-chain", [REJECT]);
  tb.rule("service-endpoints-check", [vmap(DADDR_PROTO_DPORT, "@no-endpoint-services")]);
  tb.rule("nodeport-endpoints-check", [FIB_DADDR_LOCAL, NO_LOCALHOST, vmap(PROTO_DPORT, "@no-endpoint-nodeports")]);
  tb.rule("firewall-check", [vmap(DADDR_PROTO_DPORT, "@firewall-ips")]);
  tb.rule("services", [vmap(DADDR_PROTO_DPORT, "@service-ips")]);
  tb.rule("services", [FIB_DADDR_LOCAL, NO_LOCALHOST, vmap(PROTO_DPORT, "@service-nodeports")]);
}

const REJECT_V = goto_("reject-chain");

/** A service port's elements in the shared sets and maps (ClusterIP, external and LB IPs, NodePort). */
function portElems(tb: TableBuilder, pc: PortCtx, seenCIP: Set<string>): void {
  const { sp, chains, usesFWChain } = pc;
  const port = sp.port.port;
  if (!seenCIP.has(sp.clusterIP)) {
    seenCIP.add(sp.clusterIP);
    tb.elem("cluster-ips", sp.clusterIP);
  }
  if (!sp.hasEndpoints) tb.elem("no-endpoint-services", key3(sp.clusterIP, sp, port), REJECT_V, sp.name);
  else if (!sp.internalLocal) tb.elem("service-ips", key3(sp.clusterIP, sp, port), goto_(chains.service));
  for (const ip of sp.externalIPs) {
    if (sp.hasEndpoints) tb.elem("service-ips", key3(ip, sp, port), goto_(chains.external));
    else tb.elem("no-endpoint-services", key3(ip, sp, port), REJECT_V, sp.name);
  }
  for (const ip of sp.lbIPs) {
    if (sp.hasEndpoints) tb.elem("service-ips", key3(ip, sp, port), goto_(chains.external));
    if (usesFWChain) tb.elem("firewall-ips", key3(ip, sp, port), goto_(chains.firewall), sp.name);
  }
  if (!sp.hasEndpoints)
    for (const ip of sp.lbIPs) tb.elem("no-endpoint-services", key3(ip, sp, port), REJECT_V, sp.name);
  if (sp.nodePort) {
    if (sp.hasEndpoints) tb.elem("service-nodeports", key2(sp, sp.nodePort), goto_(chains.external));
    else tb.elem("no-endpoint-nodeports", key2(sp, sp.nodePort), REJECT_V, sp.name);
  }
}

/** The external chain's rules (eTP Cluster: masquerade; Local: short-circuits, the rest per node). */
function externalRules(tb: TableBuilder, ctx: NftCtx, pc: PortCtx): void {
  const { sp, chains } = pc;
  if (!sp.externalLocal) {
    tb.rule(chains.external, [jump("mark-for-masquerade")]);
    tb.rule(chains.external, [goto_(chains.service)]);
  } else {
    tb.rule(chains.external, [match(IP_SADDR, prefix(ctx.cidr)), goto_(chains.service)], "short-circuit pod traffic");
    tb.rule(chains.external, [FIB_SADDR_LOCAL, jump("mark-for-masquerade")], "masquerade local traffic");
    tb.rule(chains.external, [FIB_SADDR_LOCAL, goto_(chains.service)], "short-circuit local traffic");
  }
}

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
interface CompactNft {
  recs: Int32Array;
  svcs: SvcRec[];
  /** Compact chains so far. */
  count: number;
}

const h8 = new Uint8Array(8);

/** Records a port's endpoint chains and its service chain (in kube-proxy's creation order). */
function recordPort(tb: TableBuilder, ctx: NftCtx, cn: CompactNft, pc: PortCtx): SvcRec {
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
function baseOf(cn: CompactNft, c: number): string {
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
function compactChains(tb: TableBuilder, cn: CompactNft): CompactNftChains {
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
const NREC = 6;
const N_SLOW = 1; // printed from its rules (affinity, other address text, a truncated name)
const N_SVC = 2; // a service chain

/** nftEndpointBase's text before the endpoint: "<ns>/<svc>/<proto>/<portName>__". */
function endpointPrefix(sp: Pick<ProxyServicePort, "svc" | "port" | "protocol">): string {
  return `${sp.svc.namespace}/${sp.svc.name}/${sp.protocol}/${sp.port.name ?? ""}__`;
}

/** An IPv4 address in its canonical dotted-quad text as a number; -1 for any other text. */
function dottedQuad(s: string): number {
  return parseIPv4(s) ?? -1;
}

function buildNode(_state: ClusterState, node: NodeState, ctx: NftCtx): ProxyOutput {
  const tb = new TableBuilder();
  for (const m of MAPS) if (m.kind === "map") tb.set(m);
  for (const pc of ctx.perNode) {
    const { sp, chains } = pc;
    const port = sp.port.port;
    const local = localEndpoints(sp, node.name);
    const hasLocal = local.eps.length > 0;
    const sharedEps =
      sp.clusterEndpoints.length > 0 && sp.usesClusterEndpoints
        ? new Set(sp.clusterEndpoints.map((e) => epStr(e)))
        : null;
    const ownEps = reachableEndpoints(sp, local).filter((e) => !sharedEps?.has(epStr(e)));
    const epChains = ownEps.map((ep) => tb.chain("endpoint-" + epBase(pc, ep)));
    if (hasLocal && sp.usesLocalEndpoints) tb.chain(chains.local);

    if (sp.hasEndpoints && sp.internalLocal) {
      if (hasLocal) {
        tb.elem("service-ips", key3(sp.clusterIP, sp, port), goto_(chains.local));
        tb.rule(chains.local, internalMasq(ctx, sp));
      } else tb.elem("no-endpoint-services", key3(sp.clusterIP, sp, port), DROP, sp.name);
    }
    if (sp.hasEndpoints && sp.externalLocal) {
      if (!hasLocal) {
        for (const ip of sp.externalIPs) tb.elem("no-endpoint-services", key3(ip, sp, port), DROP, sp.name);
        for (const ip of sp.lbIPs) tb.elem("no-endpoint-services", key3(ip, sp, port), DROP, sp.name);
        if (sp.nodePort) tb.elem("no-endpoint-nodeports", key2(sp, sp.nodePort), DROP, sp.name);
      } else tb.rule(chains.external, [goto_(chains.local)]);
    }
    if (pc.usesFWChain) {
      const allowFromNode = sp.sourceRanges.some((c) => cidrTextContains(c, node.address));
      const sources: NftExpr[] = sp.sourceRanges.map(prefix);
      if (allowFromNode) sources.push(...sp.lbIPs);
      tb.rule(chains.firewall, [match(IP_SADDR, { set: sources }, "!="), DROP]);
    }
    if (hasLocal && sp.usesLocalEndpoints)
      serviceToEndpointRules(tb.chain(chains.local).rules, pc, local.eps, (i) => epBase(pc, local.eps[i]));
    ownEps.forEach((ep, i) => writeEndpoint(tb, pc, ep, epChains[i]));
  }
  // Drop the map re-declarations nobody added to, keeping the layer small.
  for (const [k, s] of Object.entries(tb.table.sets))
    if (s.kind === "map" && s.elem.length === 0 && MAPS.some((m) => m.name === k)) delete tb.table.sets[k];
  const layer: NftLayer = { owner: "kube-proxy/node", tables: [tb.table] };
  return { nftables: layer };
}

export const nftablesMode: ProxyMode = {
  name: "nftables",
  netfilter: "nftables",
  shared(state) {
    return buildShared(state).out;
  },
  perNode(state, node, shared) {
    let ctx = ctxOf.get(shared);
    if (!ctx) ctx = buildShared(state).ctx;
    return buildNode(state, node, ctx);
  },
};
