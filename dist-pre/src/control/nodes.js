import { SpecError } from "../manifest/errors.js";
import { cidrContains, cidrSize, intToIp, parseCidr4, parseIPv4 } from "../net/ipv4.js";
function nodeError(config, field, message) {
    const src = config.source;
    const line = src?.lineOf?.(field) ?? src?.line;
    const loc = src ? `${src.file}${line ? ":" + line : ""} ` : "";
    return new SpecError([
        { severity: "error", message: `${loc}(Cluster ${config.name}) ${field}: ${message}`, file: src?.file, line, field },
    ]);
}
/**
 * Node objects in the manifests (e.g. from `kubectl get nodes -o yaml`) add labels and
 * taints to the config's node of the same name, or add a worker node; their
 * spec.podCIDR and InternalIP are honoured.
 */
export function computeNodes(config, nodeObjects, prev) {
    const net = config.networking;
    const byObj = new Map();
    for (const o of nodeObjects)
        byObj.set(o.metadata.name, o);
    const drafts = config.nodes.map((n) => ({
        name: n.name,
        role: n.role,
        labels: { ...n.labels },
        taints: n.taints.map((t) => ({ ...t })),
        address: n.address,
        maxPods: n.maxPods,
    }));
    const have = new Set(drafts.map((d) => d.name));
    for (const o of nodeObjects) {
        if (have.has(o.metadata.name))
            continue;
        const labels = o.metadata.labels ?? {};
        const role = "node-role.kubernetes.io/control-plane" in labels ? "control-plane" : "worker";
        drafts.push({
            name: o.metadata.name,
            role,
            labels: {},
            taints: [],
            maxPods: Number(o.status?.capacity?.pods ?? 110) || 110,
        });
        have.add(o.metadata.name);
    }
    for (const d of drafts) {
        const o = byObj.get(d.name);
        if (o) {
            Object.assign(d.labels, o.metadata.labels ?? {});
            if (Array.isArray(o.spec?.taints))
                d.taints = o.spec.taints.map((t) => ({
                    key: t.key,
                    ...(t.value !== undefined ? { value: t.value } : {}),
                    effect: t.effect,
                }));
            if (typeof o.spec?.podCIDR === "string")
                d.podCIDR = o.spec.podCIDR;
            const ip = (o.status?.addresses ?? []).find((a) => a.type === "InternalIP")?.address;
            if (typeof ip === "string" && !d.address)
                d.address = ip;
        }
        d.labels["kubernetes.io/hostname"] ??= d.name;
        d.labels["kubernetes.io/os"] ??= "linux";
        d.labels["kubernetes.io/arch"] ??= "amd64";
        if (d.role === "control-plane")
            d.labels["node-role.kubernetes.io/control-plane"] ??= "";
    }
    const prevByName = new Map(prev.map((n) => [n.name, n]));
    // Addresses.
    const nodeNet = parseCidr4(net.nodeSubnet);
    const used = new Set();
    for (const d of drafts) {
        const p = prevByName.get(d.name);
        if (!d.address && p)
            d.address = p.address;
        if (d.address)
            used.add(parseIPv4(d.address) ?? -1);
    }
    if (nodeNet) {
        const first = nodeNet.first;
        const size = cidrSize(nodeNet);
        let next = first + 2;
        for (const d of drafts) {
            if (d.address)
                continue;
            while (used.has(next) && next < first + size - 1)
                next++;
            if (next >= first + size - 1)
                throw nodeError(config, "networking.nodeSubnet", `${JSON.stringify(net.nodeSubnet)} has no address left for node ${d.name} (${drafts.length} nodes)`);
            d.address = intToIp(next);
            used.add(next++);
        }
    }
    // Pod CIDRs: keep what nodes had; new nodes take the first unused subnet in order.
    const pod = parseCidr4(net.podSubnet);
    const mask = net.nodeCIDRMaskSize;
    const podFirst = pod.first;
    const count = mask >= pod.prefix ? 2 ** (mask - pod.prefix) : 0;
    const step = 2 ** (32 - mask);
    const taken = new Set();
    for (const d of drafts) {
        d.podCIDR ??= prevByName.get(d.name)?.podCIDR;
        if (d.podCIDR) {
            const c = parseCidr4(d.podCIDR);
            if (c && cidrContains(pod, c.base))
                taken.add(Math.floor((c.first - podFirst) / step));
        }
    }
    let idx = 0;
    for (const d of drafts) {
        if (d.podCIDR)
            continue;
        while (taken.has(idx))
            idx++;
        if (idx >= count)
            throw nodeError(config, "networking.nodeCIDRMaskSize", `${mask}: the pod subnet ${net.podSubnet} holds ${count} /${mask} node ranges, not enough for ${drafts.length} nodes (node ${d.name} gets none)`);
        d.podCIDR = `${intToIp(podFirst + idx * step)}/${mask}`;
        taken.add(idx++);
    }
    return drafts.map((d, index) => {
        const p = prevByName.get(d.name);
        const n = {
            name: d.name,
            role: d.role,
            labels: d.labels,
            taints: d.taints,
            address: d.address ?? "",
            podCIDR: d.podCIDR,
            blocks: p?.blocks ?? [],
            maxPods: d.maxPods,
            index,
        };
        if (p?.tunnelAddress)
            n.tunnelAddress = p.tunnelAddress;
        // Share the previous value when nothing changed.
        if (p && JSON.stringify(p) === JSON.stringify(n))
            return p;
        return n;
    });
}
//# sourceMappingURL=nodes.js.map