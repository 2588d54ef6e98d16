// kube-proxy nftables mode, modelled on pkg/proxy/nftables/proxier.go (Kubernetes
// v1.32 layout: filter-prerouting-pre-dnat / filter-output-pre-dnat at dstnat-10,
// cluster-ips-check). nodePortAddresses unset: no nodeport-ips set, NodePorts match
// `fib daddr type local` (localhost excluded). Rules are libnftables JSON.
//
// Sharing as in iptables mode: one shared `ip kube-proxy` table; the per-node layer adds
// to the same table (Local traffic policies, the LoadBalancer source-range rule).

import type { ClusterState, NodeState } from "../../control/state.js";
import type { NftChain, NftLayer, NftRule, NftSet, NftTable } from "../../ir/types.js";
import type { ProxyMode, ProxyOutput } from "../mode.js";
import { hashAndTruncate } from "../hash.js";
import { defineCompactNftTable, exprText, ruleText, stmtText } from "../../ir/render-nft.js";
import type { TextOut } from "../../ir/render-iptables.js";
import {
  cidrContains,
  clusterCIDR,
  localEndpoints,
  reachableEndpoints,
  servicePorts,
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
  return { service: "service-" + base, local: "local-" + base, external: "external-" + base, firewall: "firewall-" + base };
}
/** servicePortEndpointChainNameBase: "<ns>/<svc>/<proto>/<portName>__<ip>/<port>". */
export function nftEndpointBase(sp: Pick<ProxyServicePort, "svc" | "port" | "protocol">, ep: { ip: string; port: number }): string {
  return hashAndTruncate(`${sp.svc.namespace}/${sp.svc.name}/${sp.protocol}/${sp.port.name ?? ""}__${ep.ip}/${ep.port}`);
}

interface PortCtx {
  sp: ProxyServicePort;
  chains: NftSvcChains;
  epBase: Map<string, string>;
  usesFWChain: boolean;
  /** `meta l4proto tcp`, shared by the port's endpoint chains. */
  l4match: any;
  /** Its text. */
  l4text?: string;
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
  rule(chain: string, expr: any[], comment?: string): void {
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
  elem(set: string, key: any, value?: any, comment?: string): void {
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
  { name: "no-endpoint-services", kind: "map", type: SVC_MAP_TYPE, map: "verdict", comment: "vmap to drop or reject packets to services with no endpoints" },
  { name: "no-endpoint-nodeports", kind: "map", type: NP_MAP_TYPE, map: "verdict", comment: "vmap to drop or reject packets to service nodeports with no endpoints" },
  { name: "firewall-ips", kind: "map", type: SVC_MAP_TYPE, map: "verdict", comment: "destinations that are subject to LoadBalancerSourceRanges" },
  { name: "service-ips", kind: "map", type: SVC_MAP_TYPE, map: "verdict", comment: "ClusterIP, ExternalIP and LoadBalancer IP traffic" },
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
  let b = pc.epBase.get(ep.str);
  if (!b) {
    b = nftEndpointBase(pc.sp, ep);
    pc.epBase.set(ep.str, b);
  }
  return b;
}

function writeServiceToEndpointRules(tb: TableBuilder, pc: PortCtx, chain: string, eps: ProxyEndpoint[], bases?: string[]): void {
  const baseOf = (i: number) => (bases ? bases[i] : epBase(pc, eps[i]));
  if (pc.sp.affinity)
    eps.forEach((_, i) => {
      const b = baseOf(i);
      tb.rule(chain, [match(IP_SADDR, "@affinity-" + b), goto_("endpoint-" + b)]);
    });
  const elems = eps.map((_, i) => [i, goto_("endpoint-" + baseOf(i))]);
  tb.rule(chain, [vmap({ numgen: { mode: "random", mod: eps.length, offset: 0 } }, { set: elems })]);
}

const JUMP_MASQ = Object.freeze(jump("mark-for-masquerade"));
const JUMP_MASQ_TEXT = " " + stmtText(JUMP_MASQ);
const SADDR_LINE = "\t\t" + exprText(IP_SADDR) + " ";

/** The endpoint chain's rules (and affinity set); `chain` was created in kube-proxy's order. */
function writeEndpoint(tb: TableBuilder, pc: PortCtx, ep: ProxyEndpoint, chain: NftChain): void {
  const b = epBase(pc, ep);
  declareAffinity(tb, pc, b);
  chain.rules.push(...endpointRules(pc, ep, b));
}

function declareAffinity(tb: TableBuilder, pc: PortCtx, b: string): void {
  if (pc.sp.affinity) tb.set({ name: "affinity-" + b, kind: "set", type: "ipv4_addr", flags: ["dynamic", "timeout"], timeout: pc.sp.affinityTimeout });
}

/** The endpoint chain's rules: hairpin masquerade, affinity update, DNAT. */
function endpointRules(pc: PortCtx, ep: ProxyEndpoint, b: string): NftRule[] {
  const r: NftRule[] = [{ expr: [match(IP_SADDR, ep.ip), JUMP_MASQ] }];
  if (pc.sp.affinity) r.push({ expr: [{ set: { op: "update", elem: IP_SADDR, set: "@affinity-" + b } }] });
  r.push({ expr: [pc.l4match, { dnat: { addr: ep.ip, port: ep.port } }] });
  return r;
}

function internalMasq(ctx: NftCtx, sp: ProxyServicePort): any[] {
  const e: any[] = [match(IP_DADDR, sp.clusterIP), match(payload(sp.protocol, "dport"), sp.port.port)];
  if (!ctx.masqAll) e.push(match(IP_SADDR, prefix(ctx.cidr), "!="));
  e.push(jump("mark-for-masquerade"));
  return e;
}

function buildShared(state: ClusterState): { out: ProxyOutput; ctx: NftCtx } {
  const sps = servicePorts(state);
  const ctx: NftCtx = { cidr: clusterCIDR(state), masqAll: !!state.config.networking.masqueradeAll, perNode: [] };
  const tb = new TableBuilder("rules for kube-proxy");
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
  tb.rule("cluster-ips-check", [match(IP_DADDR, "@cluster-ips"), REJECT], "Reject traffic to invalid ports of ClusterIPs");
  tb.rule("cluster-ips-check", [match(IP_DADDR, prefix(state.config.networking.serviceSubnet)), DROP], "Drop traffic to unallocated ClusterIPs");
  // reject-chain's comment ("helper for @no-endpoint-services / @no-endpoint-nodeports")
  // has no place in NftChain.
  tb.chain("reject-chain");
  tb.rule("reject-chain", [REJECT]);
  tb.rule("service-endpoints-check", [vmap(DADDR_PROTO_DPORT, "@no-endpoint-services")]);
  tb.rule("nodeport-endpoints-check", [FIB_DADDR_LOCAL, NO_LOCALHOST, vmap(PROTO_DPORT, "@no-endpoint-nodeports")]);
  tb.rule("firewall-check", [vmap(DADDR_PROTO_DPORT, "@firewall-ips")]);
  tb.rule("services", [vmap(DADDR_PROTO_DPORT, "@service-ips")]);
  tb.rule("services", [FIB_DADDR_LOCAL, NO_LOCALHOST, vmap(PROTO_DPORT, "@service-nodeports")]);

  // The shared endpoint chains (most of a large cluster's chains) stay compact until
  // someone reads the table's chains (see defineCompactNftTable).
  const eps: { base: string; pc: PortCtx; ep: ProxyEndpoint }[] = [];
  const seenCIP = new Set<string>();
  const REJECT_V = goto_("reject-chain");
  for (const sp of sps) {
    const chains = nftServiceChains(sp);
    const usesFWChain = sp.lbIPs.length > 0 && sp.sourceRanges.length > 0;
    const pc: PortCtx = { sp, chains, epBase: new Map(), usesFWChain, l4match: match(L4PROTO, sp.protocol) };
    if (sp.usesLocalEndpoints || usesFWChain) ctx.perNode.push(pc);
    const port = sp.port.port;
    const usesClusterPolicyChain = sp.clusterEndpoints.length > 0 && sp.usesClusterEndpoints;
    const usesExternalTrafficChain = sp.hasEndpoints && sp.externallyAccessible;
    const sharedEps = usesClusterPolicyChain ? sp.clusterEndpoints : [];
    // Chains in kube-proxy's creation order: endpoints, service, external, firewall.
    const bases = sharedEps.map((ep) => nftEndpointBase(sp, ep));
    bases.forEach((base, i) => {
      tb.order.push(eps.length);
      eps.push({ base, pc, ep: sharedEps[i] });
    });
    if (usesClusterPolicyChain) tb.chain(chains.service);
    if (usesExternalTrafficChain) tb.chain(chains.external);
    if (usesFWChain) tb.chain(chains.firewall);

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
    if (!sp.hasEndpoints) for (const ip of sp.lbIPs) tb.elem("no-endpoint-services", key3(ip, sp, port), REJECT_V, sp.name);
    if (sp.nodePort) {
      if (sp.hasEndpoints) tb.elem("service-nodeports", key2(sp, sp.nodePort), goto_(chains.external));
      else tb.elem("no-endpoint-nodeports", key2(sp, sp.nodePort), REJECT_V, sp.name);
    }

    if (sp.hasEndpoints && !sp.internalLocal) tb.rule(chains.service, internalMasq(ctx, sp));
    if (usesExternalTrafficChain) {
      if (!sp.externalLocal) {
        tb.rule(chains.external, [jump("mark-for-masquerade")]);
        tb.rule(chains.external, [goto_(chains.service)]);
      } else {
        tb.rule(chains.external, [match(IP_SADDR, prefix(ctx.cidr)), goto_(chains.service)], "short-circuit pod traffic");
        tb.rule(chains.external, [FIB_SADDR_LOCAL, jump("mark-for-masquerade")], "masquerade local traffic");
        tb.rule(chains.external, [FIB_SADDR_LOCAL, goto_(chains.service)], "short-circuit local traffic");
      }
    }
    if (usesClusterPolicyChain) writeServiceToEndpointRules(tb, pc, chains.service, sp.clusterEndpoints, bases);
    for (const b of bases) declareAffinity(tb, pc, b);
  }
  const rules = (i: number) => endpointRules(eps[i].pc, eps[i].ep, eps[i].base);
  // ruleText of the two rules without building them (no affinity); the l4 match once per port.
  const write = (i: number, out: TextOut): void => {
    const { pc, ep } = eps[i];
    if (pc.sp.affinity) {
      for (const r of rules(i)) out.push("\t\t" + ruleText(r));
      return;
    }
    pc.l4text ??= "\n\t\t" + stmtText(pc.l4match) + " dnat to ";
    out.push(SADDR_LINE + exprText(ep.ip) + JUMP_MASQ_TEXT + pc.l4text + ep.ip + ":" + ep.port);
  };
  const eager = tb.table.chains;
  defineCompactNftTable(tb.table, { eager, order: tb.order, names: eps.map((e) => "endpoint-" + e.base), rules, write });
  const out: ProxyOutput = { nftables: { owner: "kube-proxy", tables: [tb.table] } };
  ctxOf.set(out, ctx);
  return { out, ctx };
}

function buildNode(state: ClusterState, node: NodeState, ctx: NftCtx): ProxyOutput {
  const tb = new TableBuilder();
  for (const m of MAPS) if (m.kind === "map") tb.set(m);
  for (const pc of ctx.perNode) {
    const { sp, chains } = pc;
    const port = sp.port.port;
    const local = localEndpoints(sp, node.name);
    const hasLocal = local.eps.length > 0;
    const sharedEps = sp.clusterEndpoints.length > 0 && sp.usesClusterEndpoints ? new Set(sp.clusterEndpoints.map((e) => e.str)) : null;
    const ownEps = reachableEndpoints(sp, local).filter((e) => !sharedEps?.has(e.str));
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
      const allowFromNode = sp.sourceRanges.some((c) => cidrContains(c, node.address));
      const sources: any[] = sp.sourceRanges.map(prefix);
      if (allowFromNode) sources.push(...sp.lbIPs);
      tb.rule(chains.firewall, [match(IP_SADDR, { set: sources }, "!="), DROP]);
    }
    if (hasLocal && sp.usesLocalEndpoints) writeServiceToEndpointRules(tb, pc, chains.local, local.eps);
    ownEps.forEach((ep, i) => writeEndpoint(tb, pc, ep, epChains[i]));
  }
  // Drop the map re-declarations nobody added to, keeping the layer small.
  for (const [k, s] of Object.entries(tb.table.sets)) if (s.kind === "map" && s.elem.length === 0 && MAPS.some((m) => m.name === k)) delete tb.table.sets[k];
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
