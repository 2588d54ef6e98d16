/** makeEnvVariableName: upper-case, `-` → `_`. */
export function envName(s) {
    return s.replaceAll("-", "_").toUpperCase();
}
const ipSet = (svc) => svc.type !== "ExternalName" && svc.clusterIP !== null && svc.clusterIP !== "" && svc.clusterIP !== "None";
const joinHostPort = (ip, port) => (ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`);
/** FromServices for one Service. */
export function serviceEnvVars(svc) {
    if (!ipSet(svc) || svc.ports.length === 0)
        return [];
    const ip = svc.clusterIP;
    const prefix = envName(svc.name);
    const out = [];
    out.push({ name: `${prefix}_SERVICE_HOST`, value: ip });
    const portVar = `${prefix}_SERVICE_PORT`;
    out.push({ name: portVar, value: String(svc.ports[0].port) });
    for (const p of svc.ports)
        if (p.name)
            out.push({ name: `${portVar}_${envName(p.name)}`, value: String(p.port) });
    svc.ports.forEach((p, i) => {
        const proto = (p.protocol || "TCP").toLowerCase();
        const hp = joinHostPort(ip, p.port);
        if (i === 0)
            out.push({ name: `${prefix}_PORT`, value: `${proto}://${hp}` });
        const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
        out.push({ name: pp, value: `${proto}://${hp}` });
        out.push({ name: `${pp}_PROTO`, value: proto });
        out.push({ name: `${pp}_PORT`, value: String(p.port) });
        out.push({ name: `${pp}_ADDR`, value: ip });
    });
    return out;
}
/** `services`: all Services of the cluster; only those visible to the pod (same namespace,
 *  created before the pod, plus default/kubernetes) are used. */
export function serviceEnvFor(services, namespace, podCreated, enableServiceLinks) {
    // getServiceEnvVarMap: the master service `kubernetes` of `default` always (even with
    // enableServiceLinks: false); the pod's namespace's Services with enableServiceLinks.
    // A Service exists "before the pod" when it was created no later than the pod (the
    // variables are fixed when the container starts).
    const byName = new Map();
    for (const svc of services) {
        if (!ipSet(svc))
            continue;
        if (svc.namespace === "default" && svc.name === "kubernetes") {
            if (!byName.has(svc.name))
                byName.set(svc.name, svc);
        }
        else if (svc.namespace === namespace && enableServiceLinks && svc.created <= podCreated) {
            byName.set(svc.name, svc);
        }
    }
    const names = [...byName.keys()].sort();
    // A later Service of the same variable name overwrites an earlier one (kubelet's map).
    const vars = new Map();
    for (const n of names)
        for (const v of serviceEnvVars(byName.get(n)))
            vars.set(v.name, v.value);
    return [...vars].map(([name, value]) => ({ name, value }));
}
//# sourceMappingURL=env.js.map