// The environment kubelet gives a container (pkg/kubelet/kubelet_pods.go,
// makeEnvironmentVariables). Kubelet builds the result in two steps:
//   1. the container's own variables (envFrom, then env, with `$(VAR)` expanded against
//      the container's earlier variables and the service variables), then
//   2. the service variables (docker-link style) whose names the container did not set.
// Within each step kubelet iterates a Go map, so the real order inside a group is
// unspecified; podnet keeps the declaration order for the container's own variables
// and the control plane's order (per Service, as in the reference) for the service ones.
// Variables the image or runtime add (PATH, HOSTNAME, HOME) are not shown.
/** k8s.io/kubernetes/third_party/forked/golang/expansion: `$(VAR)` → value when known,
 *  `$$` → `$`, unknown references left as written. */
export function expandEnv(value, lookup) {
    let out = "";
    for (let i = 0; i < value.length; i++) {
        const c = value[i];
        if (c === "$" && i + 1 < value.length) {
            const n = value[i + 1];
            if (n === "$") {
                out += "$";
                i++;
                continue;
            }
            if (n === "(") {
                const end = value.indexOf(")", i + 2);
                if (end >= 0) {
                    const name = value.slice(i + 2, end);
                    const v = lookup(name);
                    out += v !== undefined ? v : value.slice(i, end + 1);
                    i = end;
                    continue;
                }
            }
        }
        out += c;
    }
    return out;
}
export function containerEnv(pod, containerName) {
    const c = containerName
        ? pod.spec.containers.find((x) => x.name === containerName)
        : pod.spec.containers[0];
    if (!c)
        throw new Error(`container "${containerName}" not found in pod "${pod.name}"`);
    // pod.env holds the service variables (and possibly the first container's own): the
    // names any container declares are the container's, the rest are service variables.
    const declared = new Set(pod.spec.containers.flatMap((x) => (x.env ?? []).map((e) => e.name)));
    const serviceVars = pod.env.filter((e) => !declared.has(e.name));
    const serviceMap = new Map(serviceVars.map((e) => [e.name, e.value]));
    const own = new Map();
    for (const e of c.env ?? []) {
        const v = e.value !== undefined ? expandEnv(e.value, (n) => own.get(n) ?? serviceMap.get(n)) : "";
        own.set(e.name, v);
    }
    const out = [...own].map(([name, value]) => ({ name, value, source: "container" }));
    for (const e of serviceVars)
        if (!own.has(e.name))
            out.push({ name: e.name, value: e.value, source: "service" });
    return out;
}
export function formatEnv(lines) {
    return lines.map((l) => `${l.name}=${l.value}\n`).join("");
}
//# sourceMappingURL=env.js.map