// kube-proxy iptables mode: a service port's chain names and the rules both layers write
// (service-to-endpoint ladder, KUBE-SEP chains, internal masquerade).

import { parseIPv4 } from "../../net/ipv4.js";
import type { IptOpt, IptRule } from "../../ir/types.js";
import { frozen } from "../frozen.js";
import { portProtoHash, sepChainName } from "../hash.js";
import { epStr, type ProxyEndpoint, type ProxyServicePort } from "../model.js";
import type { ProxyOutput } from "../mode.js";
import {
  type LayerBuilder,
  M_COMMENT,
  M_RECENT,
  M_STATISTIC,
  MODE_RANDOM,
  comment,
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
export function chainsOf(h: string): SvcChains {
  return { svc: "KUBE-SVC-" + h, svl: "KUBE-SVL-" + h, ext: "KUBE-EXT-" + h, fw: "KUBE-FW-" + h };
}

/** probability(n): fmt.Sprintf("%0.10f", 1.0/float64(n)). */
export function probability(n: number): string {
  return (1 / n).toFixed(10);
}

export interface PortCtx {
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
export function probList(n: number): IptOpt[] {
  let l = probLists.get(n);
  if (!l) probLists.set(n, (l = frozen<IptOpt[]>([M_STATISTIC, MODE_RANDOM, probOpt(n)])));
  return l;
}

export interface IptCtx {
  large: boolean;
  /** The local detector's range (model.ts clusterCIDR); undefined: none. */
  cidr: string | undefined;
  masqAll: boolean;
  /** Service ports whose rules differ per node. */
  perNode: PortCtx[];
  /** The layer of each zone's nodes (zone hints), built on first use. */
  zones?: Map<string, ProxyOutput | undefined>;
}

function sepName(pc: PortCtx, ep: ProxyEndpoint): string {
  let n = pc.sepByStr.get(epStr(ep));
  if (!n) {
    n = sepChainName(pc.sp.name, pc.sp.protocol, epStr(ep));
    pc.sepByStr.set(epStr(ep), n);
  }
  return n;
}

export function svcMatch(sp: ProxyServicePort, dst: string, port: number): IptOpt[] {
  const [m, p] = proto(sp.protocol);
  return [m, p, o("-d", dst), o("--dport", String(port))];
}

export const MASQ_TARGET = "KUBE-MARK-MASQ";
const SET = frozen(o("--set"));

/** writeServiceToEndpointRules: affinity checks, then the statistic ladder (appended to `c`). */
export function serviceToEndpointRules(
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

export function writeEndpointChain(lb: LayerBuilder, ctx: IptCtx, pc: PortCtx, ep: ProxyEndpoint): void {
  const sep = sepName(pc, ep);
  lb.chain("nat", sep).rules.push(...endpointRules(ctx, pc, ep, sep));
}

/** The KUBE-SEP chain's rules: hairpin masquerade, then DNAT. */
export function endpointRules(ctx: IptCtx, pc: PortCtx, ep: ProxyEndpoint, sep: string): IptRule[] {
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

/**
 * The cluster IP's masquerade rule: every source with masqueradeAll, else off-cluster ones
 * (`! -s <clusterCIDR>`); none without a local detector (proxier.go).
 */
export function internalMasqRule(ctx: IptCtx, sp: ProxyServicePort): IptRule | undefined {
  const opts = [...comment(`${sp.name} cluster IP`), ...svcMatch(sp, sp.clusterIP, sp.port.port)];
  if (!ctx.masqAll) {
    if (ctx.cidr === undefined) return undefined;
    opts.push(not("-s", ctx.cidr));
  }
  return rule(opts, MASQ_TARGET);
}

/** An IPv4 address in its canonical dotted-quad text as a number; -1 for any other text. */
export function dottedQuad(s: string): number {
  return parseIPv4(s) ?? -1;
}
