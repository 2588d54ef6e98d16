// kube-proxy iptables mode: the per-node layer (Local traffic policies, LoadBalancer
// firewall tail, the final KUBE-NODEPORTS jump).

import { cidrTextContains } from "../../net/ipv4.js";
import type { ClusterState, NodeState } from "../../control/state.js";
import type { IptOpt } from "../../ir/types.js";
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
import {
  DST_LOCAL,
  LayerBuilder,
  M_ADDRTYPE,
  NO_LOCAL_ENDPOINTS,
  comment,
  loggedDropRules,
  o,
  proto,
  rule,
} from "./rules.js";
import { type IptCtx, internalMasqRule, serviceToEndpointRules, svcMatch, writeEndpointChain } from "./port.js";

export function buildNode(_state: ClusterState, node: NodeState, ctx: IptCtx): ProxyOutput {
  const lb = new LayerBuilder("kube-proxy/node");
  // Declare the chains this layer appends to, so the layer is self-describing.
  lb.chain("nat", "KUBE-SERVICES");
  const zone = nodeZone(node);
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
        const masq = internalMasqRule(ctx, sp);
        lb.chain("nat", chains.svl);
        if (masq) lb.add("nat", chains.svl, masq);
      } else {
        for (const r of loggedDropRules(
          [...comment(`${name} has no local endpoints`), ...svcMatch(sp, sp.clusterIP, port)],
          "DROP",
          NO_LOCAL_ENDPOINTS,
        ))
          lb.add("filter", "KUBE-SERVICES", r);
      }
    }
    if (sp.hasEndpoints && sp.externalLocal && !hasLocal) {
      const drop = (m: IptOpt[]) => {
        for (const r of loggedDropRules(
          [...comment(`${name} has no local endpoints`), ...m],
          "DROP",
          NO_LOCAL_ENDPOINTS,
        ))
          lb.add("filter", "KUBE-EXTERNAL-SERVICES", r);
      };
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
    // Endpoint chains not already in the shared layer, nor in the zone's (zoneLayer).
    const cluster = clusterEndpointsOn(sp, node.name, zone);
    const zoned = inZoneLayer(sp);
    if (zoned && !sp.usesLocalEndpoints) continue; // all in the zone's layer
    if (sp.nodeHinted) {
      // Node hints: the KUBE-SVC chain is this node's own, as zoneLayer writes a zone's.
      const svc = lb.chain("nat", chains.svc).rules;
      const masq = sp.hasEndpoints && !sp.internalLocal ? internalMasqRule(ctx, sp) : undefined;
      if (masq) svc.push(masq);
      serviceToEndpointRules(svc, ctx, pc, cluster);
    }
    const shared = (pc.sharedEps ??= new Set(
      sp.usesClusterEndpoints && !sp.hinted ? sp.clusterEndpoints.map((e) => epStr(e)) : [],
    ));
    const inZone = zoned ? new Set(cluster.map((e) => epStr(e))) : undefined;
    for (const ep of reachableEndpoints(sp, local, cluster))
      if (!shared.has(epStr(ep)) && !inZone?.has(epStr(ep))) writeEndpointChain(lb, ctx, pc, ep);
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
  return { iptables: lb.layer, zone: zoneLayer(ctx, zone) };
}

/**
 * What the nodes of `zone` share: for each port whose endpoints carry zone hints, its
 * KUBE-SVC chain as the zone has it (masquerade, then the zone's endpoints) and their
 * KUBE-SEP chains. Built once per zone: a large cluster has thousands of nodes in a few zones.
 */
function zoneLayer(ctx: IptCtx, zone: string): ProxyOutput | undefined {
  return perZone((ctx.zones ??= new Map()), zone, ctx.perNode, (hinted) => {
    const lb = new LayerBuilder("kube-proxy/zone");
    for (const { pc, cluster } of hinted) {
      const svc = lb.chain("nat", pc.chains.svc).rules;
      const masq = pc.sp.hasEndpoints && !pc.sp.internalLocal ? internalMasqRule(ctx, pc.sp) : undefined;
      if (masq) svc.push(masq);
      serviceToEndpointRules(svc, ctx, pc, cluster);
      for (const ep of cluster) writeEndpointChain(lb, ctx, pc, ep);
    }
    return { iptables: lb.layer };
  });
}
