import { reconcile, objKey } from "./reconcile.js";
import { systemObjects } from "./system.js";
/** The seed used when none is given (`--seed`). */
export const DEFAULT_SEED = "podnet";
/** An empty cluster: nodes not yet computed, nothing allocated. */
export function emptyState(config, seed) {
    return {
        config,
        seed,
        clock: 0,
        namespaces: [],
        nodes: [],
        pods: [],
        services: [],
        endpointSlices: [],
        networkPolicies: [],
        ingresses: [],
        workloads: [],
        dns: { zone: config.networking.dnsDomain, records: [] },
        events: [],
        ipam: { nodes: {}, serviceIPs: {}, nodePorts: {}, loadBalancerIPs: {} },
        warnings: [],
        objects: [],
        replicaSets: [],
    };
}
/** System objects first; a user object with the same kind/namespace/name replaces the system one in place. */
export function mergeObjects(base, overrides) {
    const out = [...base];
    const pos = new Map(out.map((o, i) => [objKey(o), i]));
    for (const o of overrides) {
        const k = objKey(o);
        const i = pos.get(k);
        if (i !== undefined)
            out[i] = o;
        else {
            pos.set(k, out.length);
            out.push(o);
        }
    }
    return out;
}
export function buildState(spec, opts = {}) {
    const seed = opts.seed ?? DEFAULT_SEED;
    const objects = mergeObjects(systemObjects(spec.config), spec.objects);
    return reconcile(emptyState(spec.config, seed), objects).state;
}
//# sourceMappingURL=build.js.map