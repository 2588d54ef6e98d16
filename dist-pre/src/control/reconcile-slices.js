// The EndpointSlice phase of a reconcile step: the controller's slices for Services with a
// selector (recomputed only in namespaces that changed), the apiserver's own slice for
// default/kubernetes, given slices as given and Endpoints mirrored for selectorless
// Services; plus the per-Service warnings the controller raised.
import { Diags, where } from "../manifest/diag.js";
import { PodIndex, SliceNamer, givenSlice, mirrorEndpoints, slicesForService } from "./endpoints.js";
import { objKey } from "./objects.js";
import { ofKind, unchanged } from "./reconcile-context.js";
/** Namespaces whose given slices or Endpoints changed (added, edited or removed) are recomputed. */
export function markChangedEndpoints(ctx) {
    for (const o of [...ofKind(ctx, "EndpointSlice"), ...ofKind(ctx, "Endpoints")])
        if (!unchanged(ctx, o))
            ctx.changedNs.add(o.metadata.namespace ?? "default");
    for (const o of ctx.prev.objects ?? [])
        if ((o.kind === "EndpointSlice" || o.kind === "Endpoints") && !ctx.seen.has(objKey(o)))
            ctx.changedNs.add(o.metadata.namespace ?? "default");
}
/** The previous step's warnings by the Service they name ("(Service ns/name)"). */
function prevWarningsByService(prev) {
    const prevWarnings = new Map();
    for (const w of prev) {
        const m = /\(Service ([^)\s]+)\)/.exec(w);
        if (!m)
            continue;
        let l = prevWarnings.get(m[1]);
        if (!l)
            prevWarnings.set(m[1], (l = []));
        l.push(w);
    }
    return prevWarnings;
}
export function buildSlices(ctx, pods, services) {
    const prev = ctx.prev;
    const sliceObjs = ofKind(ctx, "EndpointSlice");
    const epObjs = ofKind(ctx, "Endpoints");
    const svcObjs = ofKind(ctx, "Service");
    const prevWarnings = prevWarningsByService(prev.warnings);
    const svcWarnings = new Map();
    const prevByService = new Map();
    for (const s of prev.endpointSlices) {
        const k = `${s.namespace}/${s.serviceName}`;
        let l = prevByService.get(k);
        if (!l)
            prevByService.set(k, (l = []));
        l.push(s);
    }
    const sliceCtx = { seed: ctx.seed, clock: ctx.clock, nodes: ctx.nodeByName, shared: new WeakMap() };
    const namer = new SliceNamer(sliceCtx, prev.endpointSlices);
    const index = new PodIndex(pods.filter((p) => ctx.changedNs.has(p.namespace)));
    const out = [];
    const svcByKey = new Map(services.map((s) => [`${s.namespace}/${s.name}`, s]));
    const svcObjByKey = new Map(svcObjs.map((x) => [`${x.metadata.namespace ?? "default"}/${x.metadata.name}`, x]));
    for (const s of services) {
        const k = `${s.namespace}/${s.name}`;
        const prevSlices = prevByService.get(k) ?? [];
        if (!s.selector) {
            if (wantsApiserverSlice(s, epObjs, sliceObjs))
                out.push(apiserverSlice(ctx.nodes));
            continue;
        }
        if (!ctx.changedNs.has(s.namespace)) {
            for (const p of prevSlices)
                if (p.managedBy === "endpointslice-controller.k8s.io")
                    out.push(p);
            const pw = prevWarnings.get(k);
            if (pw)
                svcWarnings.set(k, pw);
            continue;
        }
        const mine = prevSlices.filter((p) => p.managedBy === "endpointslice-controller.k8s.io").map((p) => p.name);
        const o = svcObjByKey.get(k);
        const list = [];
        const sl = slicesForService(sliceCtx, s, index.select(s.namespace, s.selector), mine, namer, (field, msg) => {
            const wh = o ? where(o) : { object: `Service ${k}` };
            const d = new Diags();
            d.warn(wh, field, undefined, msg);
            list.push(d.list[0].message);
        });
        if (list.length)
            svcWarnings.set(k, list);
        out.push(...sl);
    }
    // Given slices: as given. Endpoints: mirrored for Services without a selector.
    for (const o of sliceObjs) {
        // Slices the controller made (from a dump) for a Service with a selector: it replaces them.
        const svcName = o.metadata.labels?.["kubernetes.io/service-name"];
        const owner = svcName ? svcByKey.get(`${o.metadata.namespace ?? "default"}/${svcName}`) : undefined;
        if (owner?.selector &&
            o.metadata.labels?.["endpointslice.kubernetes.io/managed-by"] === "endpointslice-controller.k8s.io")
            continue;
        out.push(givenSlice(o));
    }
    for (const o of epObjs) {
        const ns = o.metadata.namespace ?? "default";
        const s = svcByKey.get(`${ns}/${o.metadata.name}`);
        if (!s || s.selector)
            continue;
        const prevNames = (prevByService.get(`${ns}/${o.metadata.name}`) ?? [])
            .filter((p) => p.managedBy === "user")
            .map((p) => p.name);
        out.push(...mirrorEndpoints(o, namer, prevNames));
    }
    return { endpointSlices: out, svcWarnings };
}
/** default/kubernetes gets the apiserver's slice unless its Endpoints or a slice for it is given. */
function wantsApiserverSlice(s, epObjs, sliceObjs) {
    return (s.namespace === "default" &&
        s.name === "kubernetes" &&
        !epObjs.some((o) => objKey(o) === "Endpoints/default/kubernetes") &&
        !sliceObjs.some((o) => o.metadata.labels?.["kubernetes.io/service-name"] === "kubernetes" &&
            (o.metadata.namespace ?? "default") === "default"));
}
/** The apiserver's own slice for default/kubernetes: every control-plane node's :6443. */
function apiserverSlice(nodes) {
    const cps = nodes.filter((n) => n.role === "control-plane");
    return {
        namespace: "default",
        name: "kubernetes",
        serviceName: "kubernetes",
        addressType: "IPv4",
        ports: [{ name: "https", port: 6443, protocol: "TCP" }],
        endpoints: cps.map((n) => ({
            addresses: [n.address],
            conditions: { ready: true, serving: true, terminating: false },
        })),
        managedBy: "kube-apiserver",
    };
}
//# sourceMappingURL=reconcile-slices.js.map