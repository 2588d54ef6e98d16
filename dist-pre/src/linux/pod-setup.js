// What `podnet up` and a live change (reconcile.ts) both do for a pod: its record entry,
// its container ID, the runtime's files (resolv.conf, nsswitch.conf) and the CNI ADD.
import { mkdirSync, writeFileSync } from "node:fs";
import { cniAdd, isCniError } from "./cni.js";
import { ETC_NETNS, nsName } from "./names.js";
export function podEntry(cluster, ir, p, containers) {
    return {
        namespace: p.namespace,
        name: p.name,
        node: p.node,
        ip: p.ip,
        // hostNetwork pods live in their node's namespace
        netns: p.ns
            ? nsName(cluster, p.ns.id)
            : p.node
                ? nsName(cluster, ir.nodes.find((n) => n.name === p.node)?.ns.id ?? `node/${p.node}`)
                : null,
        ownNetns: !!p.ns && !!p.node,
        containers: containers?.get(`${p.namespace}/${p.name}`) ?? [...new Set(p.listeners.map((l) => l.container))],
    };
}
/** A stable container ID for a pod (the CNI spec wants one; the runtime would make it). */
export function containerIdFor(namespace, name) {
    let h = 0x811c9dc5;
    for (const c of `${namespace}/${name}`)
        h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    return `podnet${h.toString(16).padStart(8, "0")}`;
}
export function writeResolvConf(ns, text) {
    const dir = `${ETC_NETNS}/${ns}`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/resolv.conf`, text);
    // The container's own name service switch, as images ship it: without it `ip netns exec`
    // keeps the host's, whose mdns/resolve modules would ask daemons in the root namespace
    // (and answer *.local, cluster.local included, from outside the cluster).
    writeFileSync(`${dir}/nsswitch.conf`, "hosts: files dns\n");
}
/** CNI ADD of a pod into its (just created) namespace `netns`; throws on a CNI error. */
export async function attachPod(conf, pod, netns, args, ctx) {
    const res = await cniAdd(conf, {
        containerID: containerIdFor(pod.namespace, pod.name),
        netns: `/run/netns/${netns}`,
        ifName: pod.ns.links.find((l) => l.peer)?.name ?? "eth0",
        args,
    }, ctx);
    if (isCniError(res))
        throw new Error(`CNI ADD for pod ${pod.namespace}/${pod.name} failed (code ${res.code}): ${res.msg}`);
}
//# sourceMappingURL=pod-setup.js.map