// What every kube-proxy mode sees of the cluster: service ports (pkg/proxy/serviceport.go)
// with their endpoints (pkg/proxy/endpointslicecache.go), and the endpoint selection of
// pkg/proxy/topology.go CategorizeEndpoints (topology hints are not modelled).
// Everything here is node-independent except `localEndpoints`, computed per node.
import { isIPv4 } from "../net/ipv4.js";
/** "ip:port": kube-proxy's Endpoint.String(), also the sort key. Built on first use (most never are). */
export function epStr(e) {
    return (e.s ??= e.ip + ":" + e.port);
}
/** The order of epStr(a) and epStr(b) (string order), without building them. */
function compareEndpoints(a, b) {
    const x = a.ip;
    const y = b.ip;
    if (x === y) {
        if (a.port === b.port)
            return 0;
        const p = String(a.port);
        const q = String(b.port);
        return p < q ? -1 : 1;
    }
    // One address a prefix of the other: ":" follows the shorter (addresses hold no ":").
    if (x.length < y.length && y.startsWith(x))
        return 58 - y.charCodeAt(x.length);
    if (y.length < x.length && x.startsWith(y))
        return x.charCodeAt(y.length) - 58;
    return x < y ? -1 : 1;
}
function sliceKey(ns, name) {
    return ns + "/" + name;
}
/** Endpoint slices indexed by "ns/service". */
export function indexSlices(state) {
    const m = new Map();
    for (const s of state.endpointSlices) {
        if (s.addressType !== "IPv4")
            continue;
        const k = sliceKey(s.namespace, s.serviceName);
        const l = m.get(k);
        if (l)
            l.push(s);
        else
            m.set(k, [s]);
    }
    return m;
}
/** kube-proxy's ShouldSkipService: no cluster IP (headless, ExternalName) or not IPv4. */
export function skipService(svc) {
    return svc.type === "ExternalName" || !svc.clusterIP || svc.clusterIP === "None" || !isIPv4(svc.clusterIP);
}
function endpointsFor(slices, port) {
    if (!slices)
        return [];
    const want = port.name ?? "";
    const out = [];
    for (const sl of slices) {
        for (const sp of sl.ports) {
            if ((sp.name ?? "") !== want || sp.protocol !== port.protocol || !sp.port)
                continue;
            for (const e of sl.endpoints) {
                // kube-proxy uses only the first address of an endpoint.
                const ip = e.addresses[0];
                if (!ip || ip.indexOf(":") >= 0)
                    continue; // IPv6 (the slice said IPv4)
                const c = e.conditions;
                const ready = c?.ready === undefined || c.ready === null ? true : !!c.ready;
                const serving = c?.serving === undefined || c.serving === null ? ready : !!c.serving;
                const terminating = !!c?.terminating;
                // A literal (not a class): V8 then allocates these long-lived objects in the old generation.
                out.push({ ip, port: sp.port, nodeName: e.nodeName, ready, serving, terminating, s: undefined });
            }
        }
    }
    // Sorted by "ip:port"; of equal ones the first seen stays (the sort is stable). One
    // comparison per pair in the usual case (already sorted, no duplicates).
    let sorted = true;
    let dup = false;
    for (let i = 1; i < out.length; i++) {
        const c = compareEndpoints(out[i - 1], out[i]);
        if (c > 0) {
            sorted = false;
            break;
        }
        if (c === 0)
            dup = true;
    }
    if (!sorted)
        out.sort(compareEndpoints);
    if (!sorted || dup) {
        let n = 0;
        for (let i = 0; i < out.length; i++)
            if (i === 0 || compareEndpoints(out[i], out[n - 1]) !== 0)
                out[n++] = out[i];
        out.length = n;
    }
    return out;
}
/** Every IPv4 service port kube-proxy programs, in state order (kube-proxy's order is a Go map's). */
export function servicePorts(state) {
    const slices = indexSlices(state);
    const out = [];
    for (const svc of state.services) {
        if (skipService(svc))
            continue;
        const sl = slices.get(sliceKey(svc.namespace, svc.name));
        for (const port of svc.ports) {
            const base = svc.namespace + "/" + svc.name;
            const name = port.name ? base + ":" + port.name : base;
            const externalIPs = svc.externalIPs.filter(isIPv4);
            const lbIPs = svc.type === "LoadBalancer" ? svc.loadBalancerIPs.filter(isIPv4) : [];
            const nodePort = (svc.type === "NodePort" || svc.type === "LoadBalancer") && port.nodePort ? port.nodePort : 0;
            const externallyAccessible = nodePort !== 0 || lbIPs.length > 0 || externalIPs.length > 0;
            // apiservice.ExternalPolicyLocal: only NodePort/LoadBalancer Services have an eTP.
            const externalLocal = externallyAccessible &&
                svc.externalTrafficPolicy === "Local" &&
                (svc.type === "NodePort" || svc.type === "LoadBalancer");
            const internalLocal = svc.internalTrafficPolicy === "Local";
            // serviceport.go: !iLocal || (externallyAccessible && !eLocal). With eTP=Local the
            // EXT chain's short-circuit rules still jump to the Cluster chain, so podnet also
            // keeps it for iTP=Local + eTP=Local (else the ruleset would not load).
            const usesClusterEndpoints = !internalLocal || externallyAccessible;
            const usesLocalEndpoints = internalLocal || (externallyAccessible && externalLocal);
            const endpoints = endpointsFor(sl, port);
            let clusterEndpoints = [];
            let hasEndpoints = false;
            if (usesClusterEndpoints) {
                clusterEndpoints = endpoints.every((e) => e.ready) ? endpoints : endpoints.filter((e) => e.ready); // (read-only: may be one array)
                if (clusterEndpoints.length === 0)
                    clusterEndpoints = endpoints.filter((e) => e.serving && e.terminating);
                hasEndpoints = clusterEndpoints.length > 0;
            }
            if (usesLocalEndpoints && !hasEndpoints)
                hasEndpoints = endpoints.some((e) => e.ready || (e.serving && e.terminating));
            out.push({
                svc,
                port,
                name,
                protocol: port.protocol.toLowerCase(),
                clusterIP: svc.clusterIP,
                externalIPs,
                lbIPs,
                nodePort,
                healthCheckNodePort: externalLocal && svc.type === "LoadBalancer" ? (svc.healthCheckNodePort ?? 0) : 0,
                sourceRanges: svc.loadBalancerSourceRanges,
                affinity: svc.sessionAffinity === "ClientIP",
                affinityTimeout: svc.sessionAffinityTimeout || 10800,
                endpoints,
                internalLocal,
                externalLocal,
                externallyAccessible,
                usesClusterEndpoints,
                usesLocalEndpoints,
                clusterEndpoints,
                hasEndpoints,
            });
        }
    }
    return out;
}
/** The node's endpoints for Local traffic policy: local ready ones, else local serving+terminating ones. */
export function localEndpoints(sp, node) {
    let ready = null;
    let st = null;
    for (const e of sp.endpoints) {
        if (e.nodeName !== node)
            continue;
        if (e.ready)
            (ready ??= []).push(e);
        else if (e.serving && e.terminating)
            (st ??= []).push(e);
    }
    if (ready)
        return { eps: ready, servingTerminating: false };
    if (st)
        return { eps: st, servingTerminating: true };
    return { eps: [], servingTerminating: false };
}
/** Endpoints the node may reach (chains to create): CategorizeEndpoints' allReachableEndpoints. */
export function reachableEndpoints(sp, local) {
    if (!sp.usesLocalEndpoints)
        return sp.clusterEndpoints;
    if (!sp.usesClusterEndpoints)
        return local.eps;
    if (!local.servingTerminating)
        return sp.clusterEndpoints;
    // kube-proxy merges through a Go map (random order); sorted here for determinism.
    const m = new Map();
    for (const e of sp.clusterEndpoints)
        m.set(epStr(e), e);
    for (const e of local.eps)
        m.set(epStr(e), e);
    return [...m.values()].sort(compareEndpoints);
}
/** Total endpoints over all service ports: kube-proxy's large-cluster threshold input. */
export function totalEndpoints(sps) {
    let n = 0;
    for (const sp of sps)
        n += sp.endpoints.length;
    return n;
}
/** The pod network (the local-traffic detector's cluster CIDR). */
export function clusterCIDR(state) {
    return state.config.networking.podSubnet;
}
//# sourceMappingURL=model.js.map