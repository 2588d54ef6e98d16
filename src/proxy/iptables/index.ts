// kube-proxy iptables mode, modelled on pkg/proxy/iptables/proxier.go as of Kubernetes
// v1.31 (syncProxyRules; KUBE-FIREWALL is written by kube-proxy itself since
// localhostNodePorts defaults to true for IPv4). Rules keep kube-proxy's own argument
// order. The jumps from built-in chains are what `iptables -I` (EnsureRule Prepend)
// leaves after kubelet (KUBE-FIREWALL first) and kube-proxy ran.
//
// Sharing: one layer holds everything that is the same on every node; the per-node
// layer adds the node-dependent rules (Local traffic policies, LoadBalancer firewall
// tail, and the final KUBE-NODEPORTS jump so it stays last in nat KUBE-SERVICES).
// The per-node layer must follow the shared layer (chains concatenate in layer order).

import { cidrTextContains, parseIPv4 } from "../../net/ipv4.js";
import type { ClusterState, NodeState } from "../../control/state.js";
import type { IptChain, IptOpt, IptRule } from "../../ir/types.js";
import { type ByteText, bigInt32Array, putCopy, putIp, putUint, putWords } from "../../ir/text.js";
import { defineCompactTable } from "../../ir/compact.js";
import { optsText, quoteArg, renderIptRule } from "../../ir/render-iptables.js";
import type { ProxyMode, ProxyOutput } from "../mode.js";
import { frozen } from "../frozen.js";
import {
  lastDigestBase32Words,
  lastDigestSortKey,
  portProtoHash,
  digestPrefixed,
  packPrefix,
  sepChainName,
} from "../hash.js";
import {
  clusterCIDR,
  localEndpoints,
  reachableEndpoints,
  servicePorts,
  totalEndpoints,
  epStr,
  type ProxyEndpoint,
  type ProxyServicePort,
} from "../model.js";
import {
  DST_LOCAL,
  LayerBuilder,
  M_ADDRTYPE,
  M_COMMENT,
  M_CONNTRACK,
  M_MARK,
  M_RECENT,
  M_STATISTIC,
  MODE_RANDOM,
  SRC_LOCAL,
  comment,
  dropRule,
  NO_ENDPOINTS,
  NO_LOCAL_ENDPOINTS,
  not,
  o,
  proto,
  rule,
} from "./rules.js";

/** kube-proxy's --iptables-masquerade-bit 14; kube-proxy's tests print it as 0x4000. */
export const MASQ_MARK = "0x4000";
/** largeClusterEndpointsThreshold: above it, per-endpoint comments are left out. */
export const LARGE_CLUSTER_ENDPOINTS = 1000;

export interface SvcChains {
  svc: string;
  svl: string;
  ext: string;
  fw: string;
}
export function serviceChains(sp: Pick<ProxyServicePort, "name" | "protocol">): SvcChains {
  return chainsOf(portProtoHash(sp.name, sp.protocol));
}
function chainsOf(h: string): SvcChains {
  return { svc: "KUBE-SVC-" + h, svl: "KUBE-SVL-" + h, ext: "KUBE-EXT-" + h, fw: "KUBE-FW-" + h };
}

/** probability(n): fmt.Sprintf("%0.10f", 1.0/float64(n)). */
export function probability(n: number): string {
  return (1 / n).toFixed(10);
}

interface PortCtx {
  sp: ProxyServicePort;
  chains: SvcChains;
  sepByStr: Map<string, string>;
  usesFWChain: boolean;
  /** `--comment <svcPortName>` shared by the port's KUBE-SEP rules. */
  sepComment: IptOpt;
  /** The DNAT rule's options, the same for every endpoint of the port (without affinity). */
  dnatOpts?: IptOpt[];
  /** Large clusters: the DNAT rule's text between the chain name and `--to-destination` (" -m tcp -p tcp -j DNAT"). */
  dnatText?: string;
  /** "ip:port" of the endpoint chains in the shared layer (built on first per-node use). */
  sharedEps?: Set<string>;
}

const probOpts = new Map<number, IptOpt>();
function probOpt(n: number): IptOpt {
  let p = probOpts.get(n);
  if (!p) probOpts.set(n, (p = frozen(o("--probability", probability(n)))));
  return p;
}
// Frozen option lists shared by many rules (large clusters have no per-endpoint comments,
// so most rules' options repeat exactly). Never mutate a rule's opts.
const NO_OPTS = frozen<IptOpt[]>([]);
const probLists = new Map<number, IptOpt[]>();
function probList(n: number): IptOpt[] {
  let l = probLists.get(n);
  if (!l) probLists.set(n, (l = frozen<IptOpt[]>([M_STATISTIC, MODE_RANDOM, probOpt(n)])));
  return l;
}

interface IptCtx {
  large: boolean;
  cidr: string;
  masqAll: boolean;
  /** Service ports whose rules differ per node. */
  perNode: PortCtx[];
}

const ctxOf = new WeakMap<ProxyOutput, IptCtx>();

function sepName(pc: PortCtx, ep: ProxyEndpoint): string {
  let n = pc.sepByStr.get(epStr(ep));
  if (!n) {
    n = sepChainName(pc.sp.name, pc.sp.protocol, epStr(ep));
    pc.sepByStr.set(epStr(ep), n);
  }
  return n;
}

function svcMatch(sp: ProxyServicePort, dst: string, port: number): IptOpt[] {
  const [m, p] = proto(sp.protocol);
  return [m, p, o("-d", dst), o("--dport", String(port))];
}

const MASQ_TARGET = "KUBE-MARK-MASQ";
const SET = frozen(o("--set"));

/** writeServiceToEndpointRules: affinity checks, then the statistic ladder (appended to `c`). */
function serviceToEndpointRules(
  c: IptRule[],
  ctx: IptCtx,
  pc: PortCtx,
  eps: ProxyEndpoint[],
  seps?: string[],
): IptRule[] {
  const sp = pc.sp;
  const sepOf = (i: number) => (seps ? seps[i] : sepName(pc, eps[i]));
  if (sp.affinity) {
    const secs = String(sp.affinityTimeout);
    for (let i = 0; i < eps.length; i++) {
      const ep = eps[i];
      const sep = sepOf(i);
      const opts: IptOpt[] = ctx.large ? [] : comment(`${sp.name} -> ${epStr(ep)}`);
      opts.push(M_RECENT, o("--name", sep), o("--rcheck"), o("--seconds", secs), o("--reap"));
      c.push(rule(opts, sep));
    }
  }
  const n = eps.length;
  for (let i = 0; i < n; i++) {
    const ep = eps[i];
    const last = i === n - 1;
    let opts: IptOpt[];
    if (ctx.large) opts = last ? NO_OPTS : probList(n - i);
    else {
      const cm = o("--comment", `${sp.name} -> ${epStr(ep)}`);
      opts = last ? [M_COMMENT, cm] : [M_COMMENT, cm, M_STATISTIC, MODE_RANDOM, probOpt(n - i)];
    }
    c.push({ opts, target: sepOf(i) });
  }
  return c;
}

function writeEndpointChain(lb: LayerBuilder, ctx: IptCtx, pc: PortCtx, ep: ProxyEndpoint): void {
  const sep = sepName(pc, ep);
  lb.chain("nat", sep).rules.push(...endpointRules(ctx, pc, ep, sep));
}

/** The KUBE-SEP chain's rules: hairpin masquerade, then DNAT. */
function endpointRules(ctx: IptCtx, pc: PortCtx, ep: ProxyEndpoint, sep: string): IptRule[] {
  const sp = pc.sp;
  const [m, p] = proto(sp.protocol);
  const src = o("-s", ep.ip);
  const dnat = [o("--to-destination", epStr(ep))];
  let r1: IptOpt[];
  let r2: IptOpt[];
  if (ctx.large) {
    r1 = [src];
    r2 = sp.affinity ? [M_RECENT, o("--name", sep), SET, m, p] : (pc.dnatOpts ??= frozen<IptOpt[]>([m, p]));
  } else {
    r1 = [M_COMMENT, pc.sepComment, src];
    r2 = sp.affinity
      ? [M_COMMENT, pc.sepComment, M_RECENT, o("--name", sep), SET, m, p]
      : (pc.dnatOpts ??= frozen<IptOpt[]>([M_COMMENT, pc.sepComment, m, p]));
  }
  return [
    { opts: r1, target: MASQ_TARGET },
    { opts: r2, target: "DNAT", targetOpts: dnat },
  ];
}

function internalMasqRule(ctx: IptCtx, sp: ProxyServicePort): IptRule {
  const opts = [...comment(`${sp.name} cluster IP`), ...svcMatch(sp, sp.clusterIP, sp.port.port)];
  if (!ctx.masqAll) opts.push(not("-s", ctx.cidr));
  return rule(opts, MASQ_TARGET);
}

/** Jumps from built-in chains, in the order repeated `iptables -I` leaves them. */
function builtinJumps(lb: LayerBuilder): void {
  const NEW = [M_CONNTRACK, o("--ctstate", "NEW")];
  type J = [table: "filter" | "nat", dst: string, src: string, cmt: string, extra: IptOpt[]];
  // kubelet (kubelet_network_linux.go) runs first: INPUT/OUTPUT -j KUBE-FIREWALL.
  const kubelet: J[] = [
    ["filter", "KUBE-FIREWALL", "OUTPUT", "", []],
    ["filter", "KUBE-FIREWALL", "INPUT", "", []],
  ];
  // iptablesJumpChains, each EnsureRule(Prepend, …).
  const proxy: J[] = [
    ["filter", "KUBE-EXTERNAL-SERVICES", "INPUT", "kubernetes externally-visible service portals", NEW],
    ["filter", "KUBE-EXTERNAL-SERVICES", "FORWARD", "kubernetes externally-visible service portals", NEW],
    ["filter", "KUBE-NODEPORTS", "INPUT", "kubernetes health check service ports", []],
    ["filter", "KUBE-SERVICES", "FORWARD", "kubernetes service portals", NEW],
    ["filter", "KUBE-SERVICES", "OUTPUT", "kubernetes service portals", NEW],
    ["filter", "KUBE-FORWARD", "FORWARD", "kubernetes forwarding rules", []],
    ["filter", "KUBE-PROXY-FIREWALL", "INPUT", "kubernetes load balancer firewall", NEW],
    ["filter", "KUBE-PROXY-FIREWALL", "OUTPUT", "kubernetes load balancer firewall", NEW],
    ["filter", "KUBE-PROXY-FIREWALL", "FORWARD", "kubernetes load balancer firewall", NEW],
    ["nat", "KUBE-SERVICES", "OUTPUT", "kubernetes service portals", []],
    ["nat", "KUBE-SERVICES", "PREROUTING", "kubernetes service portals", []],
    ["nat", "KUBE-POSTROUTING", "POSTROUTING", "kubernetes postrouting rules", []],
  ];
  for (const [table, dst, src, cmt, extra] of [...kubelet, ...proxy]) {
    const opts = [...extra];
    if (cmt) opts.push(...comment(cmt));
    lb.chain(table, src).rules.unshift(rule(opts, dst));
  }
}

/** The shared chains in kube-proxy's declaration order, the jumps to them and their fixed rules. */
function sharedStaticRules(lb: LayerBuilder): void {
  // iptables-save sorts the chains anyway; the order is kube-proxy's.
  lb.chain("mangle", "KUBE-PROXY-CANARY");
  for (const c of [
    "KUBE-SERVICES",
    "KUBE-EXTERNAL-SERVICES",
    "KUBE-FORWARD",
    "KUBE-NODEPORTS",
    "KUBE-PROXY-FIREWALL",
    "KUBE-FIREWALL",
    "KUBE-PROXY-CANARY",
  ])
    lb.chain("filter", c);
  for (const c of ["KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ", "KUBE-PROXY-CANARY"])
    lb.chain("nat", c);
  builtinJumps(lb);

  lb.add("nat", "KUBE-POSTROUTING", rule([M_MARK, not("--mark", `${MASQ_MARK}/${MASQ_MARK}`)], "RETURN"));
  lb.add("nat", "KUBE-POSTROUTING", rule([], "MARK", [o("--xor-mark", MASQ_MARK)]));
  lb.add(
    "nat",
    "KUBE-POSTROUTING",
    rule(comment("kubernetes service traffic requiring SNAT"), "MASQUERADE", [o("--random-fully")]),
  );
  lb.add("nat", "KUBE-MARK-MASQ", rule([], "MARK", [o("--or-mark", MASQ_MARK)]));
  lb.add(
    "filter",
    "KUBE-FIREWALL",
    rule(
      [
        ...comment("block incoming localnet connections"),
        o("-d", "127.0.0.0/8"),
        not("-s", "127.0.0.0/8"),
        M_CONNTRACK,
        not("--ctstate", "RELATED,ESTABLISHED,DNAT"),
      ],
      "DROP",
    ),
  );
}

/** KUBE-FORWARD (conntrackTCPLiberal is false by default). */
function forwardRules(lb: LayerBuilder): void {
  const fwd = lb.chain("filter", "KUBE-FORWARD").rules;
  fwd.push(rule([M_CONNTRACK, o("--ctstate", "INVALID")], "DROP"));
  fwd.push(
    rule([...comment("kubernetes forwarding rules"), M_MARK, o("--mark", `${MASQ_MARK}/${MASQ_MARK}`)], "ACCEPT"),
  );
  fwd.push(
    rule(
      [...comment("kubernetes forwarding conntrack rule"), M_CONNTRACK, o("--ctstate", "RELATED,ESTABLISHED")],
      "ACCEPT",
    ),
  );
}

/** The shared chains every service port adds its entry rules to. */
interface EntryChains {
  natSvc: IptRule[];
  natNP: IptRule[];
  fSvc: IptRule[];
  fExt: IptRule[];
  fNP: IptRule[];
  fFw: IptRule[];
}

/** A service port's rules in the shared entry chains: cluster IP, external and LoadBalancer IPs, NodePort, health check port. */
function portEntryRules(e: EntryChains, pc: PortCtx): void {
  const { sp, chains, usesFWChain } = pc;
  const { natSvc, natNP, fSvc, fExt, fNP, fFw } = e;
  const name = sp.name;
  const port = sp.port.port;
  const [pm, pp] = proto(sp.protocol);
  // Capture the clusterIP.
  if (!sp.hasEndpoints) {
    fSvc.push(
      dropRule([...comment(`${name} has no endpoints`), ...svcMatch(sp, sp.clusterIP, port)], "REJECT", NO_ENDPOINTS),
    );
  } else if (!sp.internalLocal) {
    natSvc.push(rule([...comment(`${name} cluster IP`), ...svcMatch(sp, sp.clusterIP, port)], chains.svc));
  } // internalTrafficPolicy Local: per node.

  // externalIPs
  for (const ip of sp.externalIPs) {
    if (sp.hasEndpoints) natSvc.push(rule([...comment(`${name} external IP`), ...svcMatch(sp, ip, port)], chains.ext));
    else
      fExt.push(dropRule([...comment(`${name} has no endpoints`), ...svcMatch(sp, ip, port)], "REJECT", NO_ENDPOINTS));
  }
  // LoadBalancer ingress IPs
  for (const ip of sp.lbIPs) {
    if (sp.hasEndpoints)
      natSvc.push(
        rule([...comment(`${name} loadbalancer IP`), ...svcMatch(sp, ip, port)], usesFWChain ? chains.fw : chains.ext),
      );
    if (usesFWChain)
      fFw.push(rule([...comment(`${name} traffic not accepted by ${chains.fw}`), ...svcMatch(sp, ip, port)], "DROP"));
  }
  if (!sp.hasEndpoints)
    for (const ip of sp.lbIPs)
      fExt.push(dropRule([...comment(`${name} has no endpoints`), ...svcMatch(sp, ip, port)], "REJECT", NO_ENDPOINTS));
  // NodePorts
  if (sp.nodePort) {
    if (sp.hasEndpoints)
      natNP.push(rule([M_COMMENT, o("--comment", name), pm, pp, o("--dport", String(sp.nodePort))], chains.ext));
    else
      fExt.push(
        dropRule(
          [...comment(`${name} has no endpoints`), M_ADDRTYPE, DST_LOCAL, pm, pp, o("--dport", String(sp.nodePort))],
          "REJECT",
          NO_ENDPOINTS,
        ),
      );
  }
  if (sp.healthCheckNodePort) {
    const [tm, tp] = proto("tcp");
    fNP.push(
      rule(
        [...comment(`${name} health check node port`), tm, tp, o("--dport", String(sp.healthCheckNodePort))],
        "ACCEPT",
      ),
    );
  }
}

/** A service port's external-traffic and firewall chains (their per-node rules come per node). */
function portExternalChains(lb: LayerBuilder, ctx: IptCtx, pc: PortCtx): void {
  const { sp, chains, usesFWChain } = pc;
  const name = sp.name;
  const usesExternalTrafficChain = sp.hasEndpoints && sp.externallyAccessible;
  // External traffic chain.
  if (usesExternalTrafficChain) {
    const ext = lb.chain("nat", chains.ext).rules;
    if (!sp.externalLocal) {
      ext.push(rule(comment(`masquerade traffic for ${name} external destinations`), MASQ_TARGET));
      ext.push(rule([], chains.svc));
    } else {
      ext.push(rule([...comment(`pod traffic for ${name} external destinations`), o("-s", ctx.cidr)], chains.svc));
      ext.push(
        rule(
          [...comment(`masquerade LOCAL traffic for ${name} external destinations`), M_ADDRTYPE, SRC_LOCAL],
          MASQ_TARGET,
        ),
      );
      ext.push(
        rule([...comment(`route LOCAL traffic for ${name} external destinations`), M_ADDRTYPE, SRC_LOCAL], chains.svc),
      );
      // "-j KUBE-SVL-…" when the node has local endpoints: per node.
    }
  }

  // Firewall chain (loadBalancerSourceRanges): the source ranges here, the rest per node.
  if (usesFWChain) {
    const fw = lb.chain("nat", chains.fw).rules;
    for (const cidr of sp.sourceRanges)
      fw.push(rule([...comment(`${name} loadbalancer IP`), o("-s", cidr)], chains.ext));
  }
}

/** A service port's KUBE-SVC chain: its record (self), its masquerade rule, its endpoints' chains first..first+n-1. */
interface SvcRec {
  pc: PortCtx;
  self: number;
  masq?: IptRule;
  first: number;
  n: number;
}

function buildShared(state: ClusterState): { out: ProxyOutput; ctx: IptCtx } {
  const sps = servicePorts(state);
  const ctx: IptCtx = {
    large: totalEndpoints(sps) > LARGE_CLUSTER_ENDPOINTS,
    cidr: clusterCIDR(state),
    masqAll: !!state.config.networking.masqueradeAll,
    perNode: [],
  };
  const lb = new LayerBuilder("kube-proxy");
  // The KUBE-SVC chains and the cluster endpoints' KUBE-SEP chains (most of a large
  // cluster's rules) stay compact until someone reads layer.tables.nat (see
  // defineCompactTable; renderIptables prints them from the records, layerChain builds one
  // on demand). Compact chain c (creation order): nameOf(c); its record in recs (see REC)
  // with its service port (svcs: a KUBE-SVC chain's own, or its KUBE-SEP chain's, whose
  // endpoint is epOf(c)). natOrder keeps the creation order of the plain nat chains.
  const natOrder: string[] = [];
  let C = 0; // compact chains so far
  // natOrder's compact chains are implicit: before eager chain natOrder[k], those below natAt[k].
  const natAt: number[] = [];
  const natTrack = {
    push: (n: string) => {
      natOrder.push(n);
      natAt.push(C);
    },
  };
  const svcs: SvcRec[] = [];
  const SVC_GROUP = R_SVC_GROUP;
  // Each compact chain's record (its 16 hash characters in words 1-4).
  let cap = 0;
  for (const sp of sps) cap += 1 + sp.clusterEndpoints.length;
  const recs = bigInt32Array(REC * cap); // see REC
  lb.track("nat", natTrack);
  sharedStaticRules(lb);

  const entry: EntryChains = {
    natSvc: lb.chain("nat", "KUBE-SERVICES").rules,
    natNP: lb.chain("nat", "KUBE-NODEPORTS").rules,
    fSvc: lb.chain("filter", "KUBE-SERVICES").rules,
    fExt: lb.chain("filter", "KUBE-EXTERNAL-SERVICES").rules,
    fNP: lb.chain("filter", "KUBE-NODEPORTS").rules,
    fFw: lb.chain("filter", "KUBE-PROXY-FIREWALL").rules,
  };

  for (const sp of sps) {
    const chains = chainsOf(portProtoHash(sp.name, sp.protocol));
    const svcKey = SVC_GROUP | lastDigestSortKey();
    const usesFWChain = sp.hasEndpoints && sp.lbIPs.length > 0 && sp.sourceRanges.length > 0;
    const pc: PortCtx = {
      sp,
      chains,
      sepByStr: new Map(),
      usesFWChain,
      sepComment: frozen(o("--comment", sp.name)),
    };
    let svc = -1;
    /** The port's KUBE-SVC chain, created (compact) on first use. */
    const svcChain = () => {
      if (svc < 0) {
        svc = svcs.length;
        svcs.push({ pc, self: C, first: 0, n: 0 });
        record(recs, C, svcKey, 0, R_SVC | (ctx.large && !sp.affinity ? 0 : R_SLOW), svc);
        for (let k = 0; k < 4; k++) {
          const j = 9 + 4 * k;
          const h = chains.svc;
          recs[REC * C + 1 + k] =
            (h.charCodeAt(j) << 24) | (h.charCodeAt(j + 1) << 16) | (h.charCodeAt(j + 2) << 8) | h.charCodeAt(j + 3);
        }
        C++;
      }
      return svcs[svc];
    };
    const usesClusterPolicyChain = sp.clusterEndpoints.length > 0 && sp.usesClusterEndpoints;
    if (sp.usesLocalEndpoints || usesFWChain) ctx.perNode.push(pc);

    portEntryRules(entry, pc);

    // Internal traffic (Cluster policy): masquerade off-cluster sources.
    if (sp.hasEndpoints && !sp.internalLocal) svcChain().masq = internalMasqRule(ctx, sp);

    portExternalChains(lb, ctx, pc);

    if (usesClusterPolicyChain) {
      const rec = svcChain();
      rec.first = C;
      rec.n = sp.clusterEndpoints.length;
      const np = packPrefix(sp.name + sp.protocol);
      let lastPort = -1;
      let portText = "";
      for (const ep of sp.clusterEndpoints) {
        const c = C++;
        if (ep.port !== lastPort) portText = String((lastPort = ep.port)); // (one port, usually)
        digestPrefixed(np, ep.ip, ":", portText); // sepChainName's digest (name + protocol + epStr(ep))
        const key = lastDigestSortKey();
        const ip = dottedQuad(ep.ip);
        lastDigestBase32Words(recs, REC * c + 1);
        record(
          recs,
          c,
          key,
          ip | 0,
          (ep.port & 0xffff) | (ctx.large && !sp.affinity && ip >= 0 && ep.port === (ep.port & 0xffff) ? 0 : R_SLOW),
          svc,
        );
      }
    }
  }

  forwardRules(lb);

  compactNat(lb, ctx, { recs, svcs, count: C, natOrder, natAt });
  const out: ProxyOutput = { iptables: lb.layer };
  ctxOf.set(out, ctx);
  return { out, ctx };
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
function compactNat(lb: LayerBuilder, ctx: IptCtx, parts: CompactNatParts): void {
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

function buildNode(_state: ClusterState, node: NodeState, ctx: IptCtx): ProxyOutput {
  const lb = new LayerBuilder("kube-proxy/node");
  // Declare the chains this layer appends to, so the layer is self-describing.
  lb.chain("nat", "KUBE-SERVICES");
  for (const pc of ctx.perNode) {
    const { sp, chains } = pc;
    const name = sp.name;
    const port = sp.port.port;
    const local = localEndpoints(sp, node.name);
    const hasLocal = local.eps.length > 0;
    const usesLocalPolicyChain = hasLocal && sp.usesLocalEndpoints;

    if (sp.hasEndpoints && sp.internalLocal) {
      if (hasLocal) {
        lb.add(
          "nat",
          "KUBE-SERVICES",
          rule([...comment(`${name} cluster IP`), ...svcMatch(sp, sp.clusterIP, port)], chains.svl),
        );
        lb.add("nat", chains.svl, internalMasqRule(ctx, sp));
      } else {
        lb.add(
          "filter",
          "KUBE-SERVICES",
          dropRule(
            [...comment(`${name} has no local endpoints`), ...svcMatch(sp, sp.clusterIP, port)],
            "DROP",
            NO_LOCAL_ENDPOINTS,
          ),
        );
      }
    }
    if (sp.hasEndpoints && sp.externalLocal && !hasLocal) {
      const drop = (m: IptOpt[]) =>
        lb.add(
          "filter",
          "KUBE-EXTERNAL-SERVICES",
          dropRule([...comment(`${name} has no local endpoints`), ...m], "DROP", NO_LOCAL_ENDPOINTS),
        );
      for (const ip of sp.externalIPs) drop(svcMatch(sp, ip, port));
      for (const ip of sp.lbIPs) drop(svcMatch(sp, ip, port));
      if (sp.nodePort) {
        const [pm, pp] = proto(sp.protocol);
        drop([M_ADDRTYPE, DST_LOCAL, pm, pp, o("--dport", String(sp.nodePort))]);
      }
    }
    if (sp.hasEndpoints && sp.externallyAccessible && sp.externalLocal && hasLocal)
      lb.add("nat", chains.ext, rule([], chains.svl));

    if (pc.usesFWChain) {
      const allowFromNode = sp.sourceRanges.some((c) => cidrTextContains(c, node.address));
      if (allowFromNode)
        for (const ip of sp.lbIPs)
          lb.add("nat", chains.fw, rule([...comment(`${name} loadbalancer IP`), o("-s", ip)], chains.ext));
      lb.add("nat", chains.fw, rule(comment(`other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL`)));
    }

    if (usesLocalPolicyChain) serviceToEndpointRules(lb.chain("nat", chains.svl).rules, ctx, pc, local.eps);
    // Endpoint chains not already in the shared layer.
    const shared = (pc.sharedEps ??= new Set(sp.usesClusterEndpoints ? sp.clusterEndpoints.map((e) => epStr(e)) : []));
    for (const ep of reachableEndpoints(sp, local)) if (!shared.has(epStr(ep))) writeEndpointChain(lb, ctx, pc, ep);
  }
  // nodePortAddresses unset (MatchAll) and localhostNodePorts=true: the last KUBE-SERVICES rule.
  lb.add(
    "nat",
    "KUBE-SERVICES",
    rule(
      [
        ...comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain"),
        M_ADDRTYPE,
        DST_LOCAL,
      ],
      "KUBE-NODEPORTS",
    ),
  );
  return { iptables: lb.layer };
}

export const iptablesMode: ProxyMode = {
  name: "iptables",
  netfilter: "iptables",
  shared(state) {
    return buildShared(state).out;
  },
  perNode(state, node, shared) {
    let ctx = ctxOf.get(shared);
    if (!ctx) ctx = buildShared(state).ctx;
    return buildNode(state, node, ctx);
  },
};

/** An IPv4 address in its canonical dotted-quad text as a number; -1 for any other text. */
function dottedQuad(s: string): number {
  return parseIPv4(s) ?? -1;
}

// A compact chain's record (REC int32 words): sort key, 16 hash characters (4 words, big
// endian), endpoint IPv4 address, flags | endpoint port, chain index, service port (svcs).
const REC = 9;
const R_SLOW = 1 << 30; // printed from its rules (affinity, small cluster, other address text)
const R_SVC = 1 << 29; // a KUBE-SVC chain
const R_SVC_GROUP = 1 << 30; // in the sort key: KUBE-SVC-… after KUBE-SEP-…

/** Record c's fields but its hash characters (words 1-4, written by the caller). */
function record(recs: Int32Array, c: number, key: number, ip: number, flags: number, svc: number): void {
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
