// kube-proxy nftables mode: the shared table (everything that is the same on every node).

import type { ClusterState } from "../../control/state.js";
import type { DropTag, NftChain } from "../../ir/types.js";
import type { ProxyOutput } from "../mode.js";
import { defineCompactNftTable } from "../../ir/render-nft.js";
import { bigInt32Array } from "../../ir/text.js";
import { FLOW_LOG_GROUP, flowLogPrefix } from "../../ir/flowlog.js";
import { clusterCIDR, servicePorts } from "../model.js";
import {
  CT_STATE_NEW,
  DADDR_PROTO_DPORT,
  DROP,
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
  prefix,
  vmap,
} from "./expr.js";
import { type CompactNft, NREC, baseOf, compactChains, recordPort } from "./compact.js";
import {
  FLOW_LOG_SETS,
  LOCAL_DROP_SETS,
  MAPS,
  MASQ_MARK,
  type NftCtx,
  type PortCtx,
  TableBuilder,
  declareAffinity,
  internalMasq,
  key2,
  key3,
  nftServiceChains,
} from "./port.js";

export const ctxOf = new WeakMap<ProxyOutput, NftCtx>();

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

// NodePorts are accepted on the node's primary IPs only: nftables mode's default
// --nodeport-addresses is "primary" (https://kubernetes.io/docs/reference/networking/virtual-ips/,
// "Migrating from iptables mode to nftables": NodePort interfaces), so the rules match the
// set of them (pkg/proxy/nftables/proxier.go nodePortIPsSet), not `fib daddr type local`.
const NODEPORT_IPS = match(IP_DADDR, "@nodeport-ips");
/**
 * What kube-proxy's drops stand for (read by the interpreter), as iptables mode's "has no
 * endpoints" REJECT and "has no local endpoints" DROP: reject-chain is only reached from
 * the no-endpoint maps' elements of Services without endpoints; a `drop` straight from
 * those maps is a Local traffic policy without an endpoint on this node.
 */
const NO_ENDPOINTS: DropTag = Object.freeze({ reason: "SERVICE_BACKEND_NOT_FOUND" });
const NO_LOCAL_ENDPOINTS: DropTag = Object.freeze({ reason: "SERVICE_BACKEND_NOT_FOUND", local: true });
const LOG_NO_ENDPOINTS = Object.freeze({
  log: { prefix: flowLogPrefix({ reason: "SERVICE_BACKEND_NOT_FOUND" }), group: FLOW_LOG_GROUP },
});

export function buildShared(state: ClusterState): { out: ProxyOutput; ctx: NftCtx } {
  const sps = servicePorts(state);
  const ctx: NftCtx = { cidr: clusterCIDR(state), masqAll: !!state.config.networking.masqueradeAll, perNode: [] };
  const tb = new TableBuilder("rules for kube-proxy");
  // podnet's flow-log sets and rules only where some node may drop for want of a local endpoint.
  sharedStaticRules(
    tb,
    state,
    sps.some((sp) => sp.hasEndpoints && (sp.internalLocal || sp.externalLocal)),
  );

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
    // Zone or node hints: the service chain's endpoint rules (and which endpoint chains
    // exist) depend on the node's zone or the node: the per-node layer appends them (buildNode).
    if (sp.usesLocalEndpoints || usesFWChain || sp.hinted) ctx.perNode.push(pc);
    const usesClusterPolicyChain = sp.clusterEndpoints.length > 0 && sp.usesClusterEndpoints && !sp.hinted;
    const usesExternalTrafficChain = sp.hasEndpoints && sp.externallyAccessible;
    // Chains in kube-proxy's creation order: endpoints, service, external, firewall.
    const rec = usesClusterPolicyChain ? recordPort(tb, ctx, cn, pc) : undefined;
    if (usesExternalTrafficChain) tb.chain(chains.external);
    if (usesFWChain) tb.chain(chains.firewall);
    portElems(tb, pc, seenCIP);
    // (With endpoints and iTP Cluster the port always has the service chain, masquerade rule in rec.masq.)
    // (A hinted port's service chain is its zone's or its node's: node.ts.)
    if (sp.hasEndpoints && !sp.internalLocal && !usesClusterPolicyChain && !sp.hinted) {
      const masq = internalMasq(ctx, sp);
      tb.chain(chains.service);
      if (masq) tb.rule(chains.service, masq);
    }
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
function sharedStaticRules(tb: TableBuilder, state: ClusterState, localDrops: boolean): void {
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
  if (localDrops) for (const m of FLOW_LOG_SETS) tb.set(m);
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
  // Logged to NFLOG first (non-terminal), so `podnet observe` shows the reject's reason.
  tb.rule("reject-chain", [LOG_NO_ENDPOINTS, REJECT], undefined, NO_ENDPOINTS);
  // The `drop` elements' keys are also in podnet's flow-log sets, logged just before the
  // vmaps (see FLOW_LOG_SETS); the rejects log in reject-chain.
  if (localDrops)
    tb.rule("service-endpoints-check", [match(DADDR_PROTO_DPORT, "@" + LOCAL_DROP_SETS.services), LOG_NO_ENDPOINTS]);
  tb.rule("service-endpoints-check", [vmap(DADDR_PROTO_DPORT, "@no-endpoint-services")], undefined, NO_LOCAL_ENDPOINTS);
  if (localDrops)
    tb.rule("nodeport-endpoints-check", [
      NODEPORT_IPS,
      match(PROTO_DPORT, "@" + LOCAL_DROP_SETS.nodeports),
      LOG_NO_ENDPOINTS,
    ]);
  tb.rule(
    "nodeport-endpoints-check",
    [NODEPORT_IPS, vmap(PROTO_DPORT, "@no-endpoint-nodeports")],
    undefined,
    NO_LOCAL_ENDPOINTS,
  );
  tb.rule("firewall-check", [vmap(DADDR_PROTO_DPORT, "@firewall-ips")]);
  tb.rule("services", [vmap(DADDR_PROTO_DPORT, "@service-ips")]);
  tb.rule("services", [NODEPORT_IPS, vmap(PROTO_DPORT, "@service-nodeports")]);
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
    // Only with a local detector (kube-proxy's clusterCIDR).
    if (ctx.cidr !== undefined)
      tb.rule(chains.external, [match(IP_SADDR, prefix(ctx.cidr)), goto_(chains.service)], "short-circuit pod traffic");
    tb.rule(chains.external, [FIB_SADDR_LOCAL, jump("mark-for-masquerade")], "masquerade local traffic");
    tb.rule(chains.external, [FIB_SADDR_LOCAL, goto_(chains.service)], "short-circuit local traffic");
  }
}
