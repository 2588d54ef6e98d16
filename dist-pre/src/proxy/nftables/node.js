// kube-proxy nftables mode: the per-node additions to the table (Local traffic policies,
// the LoadBalancer source-range rule).
import { cidrTextContains } from "../../net/ipv4.js";
import { localEndpoints, reachableEndpoints, epStr } from "../model.js";
import { DROP, IP_SADDR, goto_, match, prefix } from "./expr.js";
import { MAPS, TableBuilder, epBase, internalMasq, key2, key3, serviceToEndpointRules, writeEndpoint, } from "./port.js";
export function buildNode(_state, node, ctx) {
    const tb = new TableBuilder();
    for (const m of MAPS)
        if (m.kind === "map")
            tb.set(m);
    for (const pc of ctx.perNode) {
        const { sp, chains } = pc;
        const port = sp.port.port;
        const local = localEndpoints(sp, node.name);
        const hasLocal = local.eps.length > 0;
        const sharedEps = sp.clusterEndpoints.length > 0 && sp.usesClusterEndpoints
            ? new Set(sp.clusterEndpoints.map((e) => epStr(e)))
            : null;
        const ownEps = reachableEndpoints(sp, local).filter((e) => !sharedEps?.has(epStr(e)));
        const epChains = ownEps.map((ep) => tb.chain("endpoint-" + epBase(pc, ep)));
        if (hasLocal && sp.usesLocalEndpoints)
            tb.chain(chains.local);
        if (sp.hasEndpoints && sp.internalLocal) {
            if (hasLocal) {
                tb.elem("service-ips", key3(sp.clusterIP, sp, port), goto_(chains.local));
                tb.rule(chains.local, internalMasq(ctx, sp));
            }
            else
                tb.elem("no-endpoint-services", key3(sp.clusterIP, sp, port), DROP, sp.name);
        }
        if (sp.hasEndpoints && sp.externalLocal) {
            if (!hasLocal) {
                for (const ip of sp.externalIPs)
                    tb.elem("no-endpoint-services", key3(ip, sp, port), DROP, sp.name);
                for (const ip of sp.lbIPs)
                    tb.elem("no-endpoint-services", key3(ip, sp, port), DROP, sp.name);
                if (sp.nodePort)
                    tb.elem("no-endpoint-nodeports", key2(sp, sp.nodePort), DROP, sp.name);
            }
            else
                tb.rule(chains.external, [goto_(chains.local)]);
        }
        if (pc.usesFWChain) {
            const allowFromNode = sp.sourceRanges.some((c) => cidrTextContains(c, node.address));
            const sources = sp.sourceRanges.map(prefix);
            if (allowFromNode)
                sources.push(...sp.lbIPs);
            tb.rule(chains.firewall, [match(IP_SADDR, { set: sources }, "!="), DROP]);
        }
        if (hasLocal && sp.usesLocalEndpoints)
            serviceToEndpointRules(tb.chain(chains.local).rules, pc, local.eps, (i) => epBase(pc, local.eps[i]));
        ownEps.forEach((ep, i) => writeEndpoint(tb, pc, ep, epChains[i]));
    }
    // Drop the map re-declarations nobody added to, keeping the layer small.
    for (const [k, s] of Object.entries(tb.table.sets))
        if (s.kind === "map" && s.elem.length === 0 && MAPS.some((m) => m.name === k))
            delete tb.table.sets[k];
    const layer = { owner: "kube-proxy/node", tables: [tb.table] };
    return { nftables: layer };
}
//# sourceMappingURL=node.js.map