// What a change did to the cluster: pods added/removed (with IPs and nodes), Services
// added/removed or re-addressed, and the endpoints each Service now points at (pure).
const key = (o) => `${o.namespace}/${o.name}`;
const podRef = (p) => ({ namespace: p.namespace, name: p.name, ip: p.podIP, node: p.nodeName });
/** Ready endpoint addresses of a Service ("ip:port", sorted). */
export function serviceEndpointAddrs(state, svc) {
    const out = [];
    for (const sl of state.endpointSlices) {
        if (sl.namespace !== svc.namespace || sl.serviceName !== svc.name)
            continue;
        for (const ep of sl.endpoints) {
            if (ep.conditions.ready === false)
                continue;
            for (const a of ep.addresses) {
                if (sl.ports.length === 0)
                    out.push(a);
                for (const p of sl.ports)
                    out.push(`${a}:${p.port}`);
            }
        }
    }
    return [...new Set(out)].sort();
}
function svcFields(s) {
    return {
        type: s.type,
        clusterIP: String(s.clusterIP),
        ports: s.ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol}`).join(","),
        loadBalancer: s.loadBalancerIPs.join(","),
    };
}
export function diffStates(before, after) {
    const d = {
        podsAdded: [],
        podsRemoved: [],
        podsChanged: [],
        servicesAdded: [],
        servicesRemoved: [],
        servicesChanged: [],
        endpointsChanged: [],
    };
    const bp = new Map(before.pods.map((p) => [key(p), p]));
    const ap = new Map(after.pods.map((p) => [key(p), p]));
    for (const [k, p] of ap) {
        const o = bp.get(k);
        if (!o) {
            d.podsAdded.push(podRef(p));
            continue;
        }
        const what = [];
        if (o.podIP !== p.podIP)
            what.push(`IP ${o.podIP ?? "<none>"} → ${p.podIP ?? "<none>"}`);
        if (o.nodeName !== p.nodeName)
            what.push(`node ${o.nodeName ?? "<none>"} → ${p.nodeName ?? "<none>"}`);
        if (o.ready !== p.ready)
            what.push(p.ready ? "became ready" : "became not ready");
        if (!o.terminating && p.terminating)
            what.push("terminating");
        if (what.length)
            d.podsChanged.push({ before: podRef(o), after: podRef(p), what });
    }
    for (const [k, p] of bp)
        if (!ap.has(k))
            d.podsRemoved.push(podRef(p));
    const bs = new Map(before.services.map((s) => [key(s), s]));
    const as = new Map(after.services.map((s) => [key(s), s]));
    for (const [k, s] of as) {
        const o = bs.get(k);
        if (!o) {
            d.servicesAdded.push({
                namespace: s.namespace,
                name: s.name,
                clusterIP: s.clusterIP,
                type: s.type,
                ports: svcFields(s).ports,
                external: [...s.loadBalancerIPs, ...s.externalIPs],
            });
            continue;
        }
        const f0 = svcFields(o);
        const f1 = svcFields(s);
        const what = Object.keys(f1)
            .filter((x) => f0[x] !== f1[x])
            .map((x) => `${x} ${f0[x] || "<none>"} → ${f1[x] || "<none>"}`);
        if (what.length)
            d.servicesChanged.push({ namespace: s.namespace, name: s.name, what });
    }
    for (const [k, s] of bs)
        if (!as.has(k))
            d.servicesRemoved.push({ namespace: s.namespace, name: s.name, clusterIP: s.clusterIP });
    for (const s of after.services) {
        const b = bs.has(key(s)) ? serviceEndpointAddrs(before, s) : [];
        const a = serviceEndpointAddrs(after, s);
        if (b.join() !== a.join())
            d.endpointsChanged.push({ namespace: s.namespace, name: s.name, clusterIP: s.clusterIP, before: b, after: a });
    }
    const byName = (x, y) => key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0;
    d.podsAdded.sort(byName);
    d.podsRemoved.sort(byName);
    d.endpointsChanged.sort(byName);
    return d;
}
export function diffIsEmpty(d) {
    return Object.values(d).every((v) => v.length === 0);
}
//# sourceMappingURL=diff.js.map