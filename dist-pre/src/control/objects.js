import { stableJson } from "./hash.js";
export const WORKLOAD_KINDS = new Set(["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"]);
export const CLUSTER_SCOPED = new Set(["Namespace", "Node"]);
export function objKey(o) {
    return CLUSTER_SCOPED.has(o.kind)
        ? `${o.kind}//${o.metadata.name}`
        : `${o.kind}/${o.metadata.namespace ?? "default"}/${o.metadata.name}`;
}
export function sameObject(a, b) {
    if (!a)
        return false;
    if (a === b)
        return true;
    const strip = (o) => {
        const { source: _s, ...rest } = o;
        void _s;
        return stableJson(rest);
    };
    return strip(a) === strip(b);
}
//# sourceMappingURL=objects.js.map