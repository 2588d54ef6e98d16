// kube-proxy nftables mode: a service port's chain names, the table builder and the
// rules both layers write (service-to-endpoint vmap, endpoint chains, internal masquerade).

import { parseIPv4 } from "../../net/ipv4.js";
import type { DropTag, NftChain, NftExpr, NftRule, NftSet, NftStmt, NftTable } from "../../ir/types.js";
import { hashAndTruncate } from "../hash.js";
import { stmtText } from "../../ir/render-nft.js";
import { epStr, type ProxyEndpoint, type ProxyServicePort } from "../model.js";
import type { ProxyOutput } from "../mode.js";
import { IP_DADDR, IP_SADDR, goto_, jump, match, payload, prefix, vmap } from "./expr.js";

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

export interface PortCtx {
  sp: ProxyServicePort;
  chains: NftSvcChains;
  epBase: Map<string, string>;
  usesFWChain: boolean;
  /** `meta l4proto tcp`, shared by the port's endpoint chains. */
  l4match: NftStmt;
}
export interface NftCtx {
  /** The local detector's range (model.ts clusterCIDR); undefined: none. */
  cidr: string | undefined;
  masqAll: boolean;
  perNode: PortCtx[];
  /** The layer of each zone's nodes (zone hints), built on first use. */
  zones?: Map<string, ProxyOutput | undefined>;
}

export class TableBuilder {
  readonly table: NftTable;
  /** Chain names in creation order (and, in the shared table, compact chains' indexes). */
  readonly order: (string | number)[] = [];
  constructor(comment?: string) {
    this.table = { family: "ip", name: TABLE, chains: {}, sets: {}, role: "kube-proxy" };
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
  rule(chain: string, expr: NftStmt[], comment?: string, drop?: DropTag): void {
    const r: NftRule = { expr };
    if (comment) r.comment = comment;
    if (drop) r.drop = drop;
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
export const MAPS: Omit<NftSet, "elem">[] = [
  { name: "cluster-ips", kind: "set", type: "ipv4_addr", comment: "Active ClusterIPs" },
  // nodePortAddresses "primary", nftables mode's default: each node's own element (node.ts).
  { name: "nodeport-ips", kind: "set", type: "ipv4_addr", comment: "IPs that accept NodePort traffic" },
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

/**
 * podnet's, for the flow log (not kube-proxy's): the keys of the `drop` elements of
 * no-endpoint-services / no-endpoint-nodeports (Local traffic policies without a local
 * endpoint). A verdict map's `drop` cannot log, so a rule before each vmap logs what these
 * sets hold, as iptables mode's NFLOG rule before its "has no local endpoints" DROP.
 */
export const LOCAL_DROP_SETS = { services: "no-local-endpoint-services", nodeports: "no-local-endpoint-nodeports" };
export const FLOW_LOG_SETS: Omit<NftSet, "elem">[] = [
  {
    name: LOCAL_DROP_SETS.services,
    kind: "set",
    type: SVC_MAP_TYPE,
    comment: "podnet flow log: the drop elements of no-endpoint-services",
  },
  {
    name: LOCAL_DROP_SETS.nodeports,
    kind: "set",
    type: NP_MAP_TYPE,
    comment: "podnet flow log: the drop elements of no-endpoint-nodeports",
  },
];

export const key3 = (ip: string, sp: ProxyServicePort, port: number) => ({ concat: [ip, sp.protocol, port] });
export const key2 = (sp: ProxyServicePort, port: number) => ({ concat: [sp.protocol, port] });

export function epBase(pc: PortCtx, ep: ProxyEndpoint): string {
  let b = pc.epBase.get(epStr(ep));
  if (!b) {
    b = nftEndpointBase(pc.sp, ep);
    pc.epBase.set(epStr(ep), b);
  }
  return b;
}

/** writeServiceToEndpointRules: affinity checks, then the numgen vmap (appended to `r`). */
export function serviceToEndpointRules(
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
export const JUMP_MASQ_TEXT = " " + stmtText(JUMP_MASQ);

/** The endpoint chain's rules (and affinity set); `chain` was created in kube-proxy's order. */
export function writeEndpoint(tb: TableBuilder, pc: PortCtx, ep: ProxyEndpoint, chain: NftChain): void {
  const b = epBase(pc, ep);
  declareAffinity(tb, pc, b);
  chain.rules.push(...endpointRules(pc, ep, b));
}

export function declareAffinity(tb: TableBuilder, pc: PortCtx, b: string): void {
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
export function endpointRules(pc: PortCtx, ep: ProxyEndpoint, b: string): NftRule[] {
  const r: NftRule[] = [{ expr: [match(IP_SADDR, ep.ip), JUMP_MASQ] }];
  if (pc.sp.affinity) r.push({ expr: [{ set: { op: "update", elem: IP_SADDR, set: "@affinity-" + b } }] });
  r.push({ expr: [pc.l4match, { dnat: { addr: ep.ip, port: ep.port } }] });
  return r;
}

/**
 * The cluster IP's masquerade rule: every source with masqueradeAll, else off-cluster ones;
 * none without a local detector (proxier.go).
 */
export function internalMasq(ctx: NftCtx, sp: ProxyServicePort): NftStmt[] | undefined {
  const e: NftStmt[] = [match(IP_DADDR, sp.clusterIP), match(payload(sp.protocol, "dport"), sp.port.port)];
  if (!ctx.masqAll) {
    if (ctx.cidr === undefined) return undefined;
    e.push(match(IP_SADDR, prefix(ctx.cidr), "!="));
  }
  e.push(jump("mark-for-masquerade"));
  return e;
}

/** nftEndpointBase's text before the endpoint: "<ns>/<svc>/<proto>/<portName>__". */
export function endpointPrefix(sp: Pick<ProxyServicePort, "svc" | "port" | "protocol">): string {
  return `${sp.svc.namespace}/${sp.svc.name}/${sp.protocol}/${sp.port.name ?? ""}__`;
}

/** An IPv4 address in its canonical dotted-quad text as a number; -1 for any other text. */
export function dottedQuad(s: string): number {
  return parseIPv4(s) ?? -1;
}
