// kube-proxy nftables mode: the per-node additions to the table (Local traffic policies,
// the LoadBalancer source-range rule).

import { cidrTextContains } from "../../net/ipv4.js";
import type { ClusterState, NodeState } from "../../control/state.js";
import type { NftExpr, NftLayer } from "../../ir/types.js";
import type { ProxyOutput } from "../mode.js";
import {
  clusterEndpointsOn,
  inZoneLayer,
  localEndpoints,
  nodeZone,
  perZone,
  reachableEndpoints,
  epStr,
} from "../model.js";
import { DROP, IP_SADDR, goto_, match, prefix } from "./expr.js";
import {
  FLOW_LOG_SETS,
  LOCAL_DROP_SETS,
  MAPS,
  type NftCtx,
  TableBuilder,
  epBase,
  internalMasq,
  key2,
  key3,
  serviceToEndpointRules,
  writeEndpoint,
} from "./port.js";

export function buildNode(_state: ClusterState, node: NodeState, ctx: NftCtx): ProxyOutput {
  const tb = new TableBuilder();
  for (const m of MAPS) if (m.kind === "map" || m.name === "nodeport-ips") tb.set(m);
  for (const m of FLOW_LOG_SETS) tb.set(m);
  // nodePortAddresses "primary": the node's own address (shared.ts NODEPORT_IPS).
  tb.elem("nodeport-ips", node.address);
  // kube-proxy's `drop` element, and its key in podnet's flow-log set (logged before the vmap).
  const drop = (svcs: boolean, key: NftExpr, name: string) => {
    tb.elem(svcs ? "no-endpoint-services" : "no-endpoint-nodeports", key, DROP, name);
    tb.elem(svcs ? LOCAL_DROP_SETS.services : LOCAL_DROP_SETS.nodeports, key);
  };
  const zone = nodeZone(node);
  for (const pc of ctx.perNode) {
    const { sp, chains } = pc;
    const port = sp.port.port;
    const local = localEndpoints(sp, node.name);
    const hasLocal = local.eps.length > 0;
    const sharedEps =
      sp.clusterEndpoints.length > 0 && sp.usesClusterEndpoints && !sp.hinted
        ? new Set(sp.clusterEndpoints.map((e) => epStr(e)))
        : null;
    // Zone hints: the endpoints of this node's zone are in the zone's layer (zoneLayer).
    const cluster = clusterEndpointsOn(sp, node.name, zone);
    const inZone = inZoneLayer(sp) ? new Set(cluster.map((e) => epStr(e))) : undefined;
    const ownEps = reachableEndpoints(sp, local, cluster).filter(
      (e) => !sharedEps?.has(epStr(e)) && !inZone?.has(epStr(e)),
    );
    const epChains = ownEps.map((ep) => tb.chain("endpoint-" + epBase(pc, ep)));
    if (sp.nodeHinted) {
      // Node hints: the service chain is this node's own, as zoneLayer writes a zone's.
      tb.chain(chains.service);
      const masq = sp.hasEndpoints && !sp.internalLocal ? internalMasq(ctx, sp) : undefined;
      if (masq) tb.rule(chains.service, masq);
      serviceToEndpointRules(tb.chain(chains.service).rules, pc, cluster, (i) => epBase(pc, cluster[i]));
    }
    if (hasLocal && sp.usesLocalEndpoints) tb.chain(chains.local);

    if (sp.hasEndpoints && sp.internalLocal) {
      if (hasLocal) {
        tb.elem("service-ips", key3(sp.clusterIP, sp, port), goto_(chains.local));
        const masq = internalMasq(ctx, sp);
        tb.chain(chains.local);
        if (masq) tb.rule(chains.local, masq);
      } else drop(true, key3(sp.clusterIP, sp, port), sp.name);
    }
    if (sp.hasEndpoints && sp.externalLocal) {
      if (!hasLocal) {
        for (const ip of sp.externalIPs) drop(true, key3(ip, sp, port), sp.name);
        for (const ip of sp.lbIPs) drop(true, key3(ip, sp, port), sp.name);
        if (sp.nodePort) drop(false, key2(sp, sp.nodePort), sp.name);
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
  // Drop the map and set re-declarations nobody added to, keeping the layer small.
  for (const [k, s] of Object.entries(tb.table.sets))
    if (
      s.elem.length === 0 &&
      (MAPS.some((m) => m.name === k && m.kind === "map") || FLOW_LOG_SETS.some((m) => m.name === k))
    )
      delete tb.table.sets[k];
  const layer: NftLayer = { owner: "kube-proxy/node", tables: [tb.table] };
  return { nftables: layer, zone: zoneLayer(ctx, zone) };
}

/**
 * What the nodes of `zone` share: for each port whose endpoints carry zone hints, its
 * service chain as the zone has it (masquerade, then the zone's endpoints) and their endpoint
 * chains. Built once per zone: a large cluster has thousands of nodes in a few zones.
 */
function zoneLayer(ctx: NftCtx, zone: string): ProxyOutput | undefined {
  return perZone((ctx.zones ??= new Map()), zone, ctx.perNode, (hinted) => {
    const tb = new TableBuilder();
    for (const { pc, cluster } of hinted) {
      const { sp, chains } = pc;
      // kube-proxy's creation order: the endpoint chains, then the service chain.
      const epChains = cluster.map((ep) => tb.chain("endpoint-" + epBase(pc, ep)));
      tb.chain(chains.service);
      const masq = sp.hasEndpoints && !sp.internalLocal ? internalMasq(ctx, sp) : undefined;
      if (masq) tb.rule(chains.service, masq);
      serviceToEndpointRules(tb.chain(chains.service).rules, pc, cluster, (i) => epBase(pc, cluster[i]));
      cluster.forEach((ep, i) => writeEndpoint(tb, pc, ep, epChains[i]));
    }
    return { nftables: { owner: "kube-proxy/zone", tables: [tb.table] } };
  });
}
