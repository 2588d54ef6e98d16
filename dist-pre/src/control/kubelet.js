import { serviceEnvFor } from "./env.js";
import { emit } from "./reconcile-context.js";
import { resolvConfFor } from "./resolvconf.js";
export function kubeletSetup(ctx, created, services) {
    const svcByNs = new Map();
    for (const s of services) {
        let l = svcByNs.get(s.namespace);
        if (!l)
            svcByNs.set(s.namespace, (l = []));
        l.push(s);
    }
    const kubeSvc = services.find((s) => s.namespace === "default" && s.name === "kubernetes");
    const resolvMemo = new WeakMap();
    const envMemo = new Map();
    const envWithOwn = new WeakMap();
    for (const pod of created) {
        let m = resolvMemo.get(pod.spec);
        if (!m)
            resolvMemo.set(pod.spec, (m = new Map()));
        let r = m.get(pod.namespace);
        if (!r)
            m.set(pod.namespace, (r = resolvConfFor(ctx.config, pod.namespace, pod.spec)));
        pod.resolvConf = r.text;
        for (const e of r.events)
            emit(ctx, e.type, e.reason, `pod/${pod.namespace}/${pod.name}`, e.message, "kubelet");
        const links = pod.spec.enableServiceLinks !== false;
        const ek = `${pod.namespace}\u0000${pod.created}\u0000${links}`;
        let base = envMemo.get(ek);
        if (!base) {
            const visible = [...(svcByNs.get(pod.namespace) ?? [])];
            if (kubeSvc && pod.namespace !== "default")
                visible.push(kubeSvc);
            envMemo.set(ek, (base = serviceEnvFor(visible, pod.namespace, pod.created, links)));
        }
        const own = (pod.spec.containers?.[0]?.env ?? [])
            .filter((e) => typeof e.value === "string")
            .map((e) => ({ name: e.name, value: e.value }));
        if (own.length === 0)
            pod.env = base;
        else {
            let om = envWithOwn.get(pod.spec);
            if (!om)
                envWithOwn.set(pod.spec, (om = new Map()));
            let env = om.get(ek);
            if (!env)
                om.set(ek, (env = [...base, ...own]));
            pod.env = env;
        }
    }
}
//# sourceMappingURL=kubelet.js.map