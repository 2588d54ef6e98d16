// The CNI-shaped interface (CNI spec 1.1.0, containernetworking/cni SPEC.md):
// ADD / DEL / CHECK taking the network config and the runtime's parameters
// (containerID, netns, ifName, args) and returning the spec's result or error
// objects. In-process: the pod's wiring comes from the Dataplane IR (nothing is
// computed here); ADD applies the pod's host side in the node and its namespace.
// A standalone plugin executable can wrap these functions later (stdin/env/stdout).
import { isPodnetNs, nsName } from "./names.js";
import { renderPodAttach, stepCommand } from "./render.js";
import { KernelError } from "./exec.js";
export const CNI_VERSION = "1.0.0";
/** Versions whose result format this implementation emits (1.0.0's). */
export const SUPPORTED_VERSIONS = ["0.4.0", "1.0.0", "1.1.0"];
/** Spec error codes (1–99 reserved) and the reference plugins' generic internal error. */
export const CNI_ERR = {
    INCOMPATIBLE_VERSION: 1,
    UNSUPPORTED_FIELD: 2,
    UNKNOWN_CONTAINER: 3,
    INVALID_ENV: 4,
    IO_FAILURE: 5,
    DECODE: 6,
    INVALID_CONFIG: 7,
    TRY_AGAIN: 11,
    /** containernetworking/cni types.ErrInternal: what the reference plugins return for plain errors. */
    INTERNAL: 999,
};
export function isCniError(x) {
    return (typeof x === "object" &&
        x !== null &&
        typeof x.code === "number" &&
        typeof x.msg === "string");
}
/** The flavor's conflist equivalent (a single plugin config as the plugin sees it). */
export function netConfFor(ir) {
    if (ir.cni === "flannel") {
        // flannel's kube-flannel.yml conflist "cbr0": flannel delegating to bridge.
        return {
            cniVersion: CNI_VERSION,
            name: "cbr0",
            type: "flannel",
            delegate: { hairpinMode: true, isDefaultGateway: true },
        };
    }
    if (ir.cni === "calico") {
        return { cniVersion: CNI_VERSION, name: "k8s-pod-network", type: "calico", ipam: { type: "calico-ipam" } };
    }
    return { cniVersion: CNI_VERSION, name: `podnet-${ir.cni}`, type: ir.cni };
}
export function parseCniArgs(a) {
    if (!a)
        return {};
    if (typeof a !== "string")
        return a;
    const out = {};
    for (const kv of a.split(";")) {
        if (!kv)
            continue;
        const i = kv.indexOf("=");
        if (i > 0)
            out[kv.slice(0, i)] = kv.slice(i + 1);
    }
    return out;
}
function err(code, msg, details) {
    return { cniVersion: CNI_VERSION, code, msg, ...(details ? { details } : {}) };
}
function checkConf(conf) {
    if (!conf || typeof conf !== "object")
        return err(CNI_ERR.DECODE, "network config is not an object");
    if (!conf.cniVersion)
        return err(CNI_ERR.INVALID_CONFIG, "network config: cniVersion is missing");
    if (!SUPPORTED_VERSIONS.includes(conf.cniVersion))
        return err(CNI_ERR.INCOMPATIBLE_VERSION, `incompatible CNI versions; config is "${conf.cniVersion}", plugin supports ${JSON.stringify(SUPPORTED_VERSIONS)}`);
    if (!conf.name)
        return err(CNI_ERR.INVALID_CONFIG, "network config: name is missing");
    if (!conf.type)
        return err(CNI_ERR.INVALID_CONFIG, "network config: type is missing");
    return null;
}
function checkEnv(a, needNetns) {
    if (!a.containerID)
        return err(CNI_ERR.INVALID_ENV, "required env variables [CNI_CONTAINERID] missing");
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(a.containerID))
        return err(CNI_ERR.INVALID_ENV, `invalid CNI_CONTAINERID "${a.containerID}"`);
    if (!a.ifName)
        return err(CNI_ERR.INVALID_ENV, "required env variables [CNI_IFNAME] missing");
    if (needNetns && !a.netns)
        return err(CNI_ERR.INVALID_ENV, "required env variables [CNI_NETNS] missing");
    return null;
}
/** The pod the call is about: K8S_POD_NAMESPACE/K8S_POD_NAME (what kubelet passes), else the netns. */
function findPod(ctx, a) {
    const kv = parseCniArgs(a.args);
    const ns = kv.K8S_POD_NAMESPACE;
    const name = kv.K8S_POD_NAME;
    if (ns && name)
        return ctx.ir.pods.find((p) => p.namespace === ns && p.name === name && p.ns) ?? null;
    if (a.netns)
        return ctx.ir.pods.find((p) => p.ns && `/run/netns/${nsName(ctx.cluster, p.ns.id)}` === a.netns) ?? null;
    return null;
}
function netnsName(path) {
    const m = /^\/(?:var\/)?run\/netns\/([^/]+)$/.exec(path);
    return m && isPodnetNs(m[1]) ? m[1] : null;
}
async function linkExists(ctx, ns, dev) {
    if (ctx.runner.dryRun)
        return false;
    const r = await ctx.runner.run(["ip", "-n", ns, "link", "show", "dev", dev], "", { allowFail: true });
    return r.code === 0;
}
function nodeNsOf(ctx, pod) {
    return ctx.ir.nodes.find((n) => n.name === pod.node)?.ns ?? null;
}
/** The result ADD returns, from the IR (interfaces: bridge, host veth, container if). */
export function cniResultFor(ctx, pod, ifName, cniVersion = CNI_VERSION) {
    const podNs = pod.ns;
    const node = ctx.ir.nodes.find((n) => n.name === pod.node)?.ns;
    const interfaces = [];
    const host = node?.links.find((l) => l.peer?.ns === podNs.id && l.peer.name === ifName);
    const bridge = host?.master ? node.links.find((l) => l.name === host.master) : undefined;
    if (bridge)
        interfaces.push({ name: bridge.name, mac: bridge.mac });
    if (host)
        interfaces.push({ name: host.name, mac: host.mac });
    const cont = podNs.links.find((l) => l.name === ifName);
    interfaces.push({ name: ifName, mac: cont?.mac, sandbox: `/run/netns/${nsName(ctx.cluster, podNs.id)}` });
    const ifIndex = interfaces.length - 1;
    const routes = podNs.routes.filter((r) => r.table === "main" && r.proto !== "kernel" && r.type === "unicast" && (r.dev === ifName || !r.dev));
    const def = routes.find((r) => r.dst === "default" || r.dst === "0.0.0.0/0");
    const ips = podNs.addresses
        .filter((a) => a.dev === ifName)
        .map((a) => ({ address: a.cidr, ...(def?.via ? { gateway: def.via } : {}), interface: ifIndex }));
    const dns = {};
    for (const line of pod.resolvConf.split("\n")) {
        const [k, ...v] = line.trim().split(/\s+/);
        if (k === "nameserver")
            (dns.nameservers ??= []).push(...v);
        else if (k === "search")
            dns.search = v;
        else if (k === "options")
            dns.options = v;
        else if (k === "domain")
            dns.domain = v[0];
    }
    return {
        cniVersion,
        interfaces,
        ips,
        routes: routes
            .filter((r) => !r.scope || r.scope === "global" || r.via)
            .map((r) => ({
            dst: r.dst === "default" ? "0.0.0.0/0" : r.dst.includes("/") ? r.dst : `${r.dst}/32`,
            ...(r.via ? { gw: r.via } : {}),
        })),
        dns,
    };
}
/** CNI ADD: wire the pod's interface; fails if it exists already. */
export async function cniAdd(conf, a, ctx) {
    const bad = checkConf(conf) ?? checkEnv(a, true);
    if (bad)
        return bad;
    const ns = netnsName(a.netns);
    if (!ns)
        return err(CNI_ERR.INVALID_ENV, `CNI_NETNS "${a.netns}" is not a podnet network namespace (/run/netns/podnet-…)`);
    const pod = findPod(ctx, a);
    if (!pod || !pod.ns)
        return err(CNI_ERR.UNKNOWN_CONTAINER, `no pod for container ${a.containerID} (args ${JSON.stringify(parseCniArgs(a.args))}) in the cluster's IR`);
    if (nsName(ctx.cluster, pod.ns.id) !== ns)
        return err(CNI_ERR.INVALID_ENV, `CNI_NETNS "${a.netns}" is not the namespace of pod ${pod.namespace}/${pod.name}`);
    if (!pod.ns.links.some((l) => l.name === a.ifName))
        return err(CNI_ERR.INVALID_CONFIG, `interface "${a.ifName}" is not in pod ${pod.namespace}/${pod.name}'s IR (it has ${pod.ns.links.map((l) => l.name).join(", ")})`);
    const node = nodeNsOf(ctx, pod);
    if (!node)
        return err(CNI_ERR.UNKNOWN_CONTAINER, `pod ${pod.namespace}/${pod.name} has no node namespace`);
    if (!ctx.fresh && (await linkExists(ctx, ns, a.ifName)))
        return err(CNI_ERR.INTERNAL, `container veth name provided (${a.ifName}) already exists`);
    try {
        for (const s of renderPodAttach(ctx.cluster, node, pod.ns, ctx.render)) {
            const { argv, input } = stepCommand(s);
            await ctx.runner.run(argv, input);
        }
    }
    catch (e) {
        if (e instanceof KernelError)
            return err(CNI_ERR.INTERNAL, e.message, e.stderr);
        return err(CNI_ERR.INTERNAL, e.message);
    }
    return cniResultFor(ctx, pod, a.ifName, conf.cniVersion === "1.1.0" ? "1.1.0" : CNI_VERSION);
}
/** CNI DEL: best effort, idempotent; removing the container end removes the veth pair. */
export async function cniDel(conf, a, ctx) {
    const bad = checkConf(conf) ?? checkEnv(a, false);
    if (bad)
        return bad;
    if (!a.netns)
        return null; // nothing to find the interface in: already gone
    const ns = netnsName(a.netns);
    if (!ns)
        return err(CNI_ERR.INVALID_ENV, `CNI_NETNS "${a.netns}" is not a podnet network namespace`);
    if (ctx.runner.dryRun) {
        await ctx.runner.run(["ip", "-n", ns, "link", "del", "dev", a.ifName]);
        return null;
    }
    const r = await ctx.runner.run(["ip", "-n", ns, "link", "del", "dev", a.ifName], "", { allowFail: true });
    if (r.code !== 0 && !/Cannot find device|does not exist|No such file/i.test(r.stderr))
        return err(CNI_ERR.INTERNAL, `deleting ${a.ifName}: ${r.stderr.trim()}`);
    return null;
}
/** CNI CHECK: the interface exists with the IR's addresses and routes. */
export async function cniCheck(conf, a, ctx) {
    const bad = checkConf(conf) ?? checkEnv(a, true);
    if (bad)
        return bad;
    const ns = netnsName(a.netns);
    const pod = findPod(ctx, a);
    if (!ns || !pod || !pod.ns)
        return err(CNI_ERR.UNKNOWN_CONTAINER, `no pod for container ${a.containerID}`);
    const r = await ctx.runner.run(["ip", "-n", ns, "-j", "addr", "show", "dev", a.ifName], "", { allowFail: true });
    if (r.code !== 0)
        return err(CNI_ERR.INTERNAL, `interface ${a.ifName} not found in ${ns}: ${r.stderr.trim()}`);
    const have = new Set();
    for (const l of JSON.parse(r.stdout || "[]"))
        for (const ai of l.addr_info ?? [])
            have.add(`${ai.local}/${ai.prefixlen}`);
    for (const want of pod.ns.addresses.filter((x) => x.dev === a.ifName)) {
        if (!have.has(want.cidr))
            return err(CNI_ERR.INTERNAL, `${a.ifName} in ${ns} lacks address ${want.cidr} (has ${[...have].join(", ") || "none"})`);
    }
    const rr = await ctx.runner.run(["ip", "-n", ns, "route", "show", "table", "main"], "", { allowFail: true });
    for (const want of pod.ns.routes.filter((x) => x.table === "main" && x.proto !== "kernel" && x.dev === a.ifName)) {
        const dst = want.dst;
        const ok = rr.stdout
            .split("\n")
            .some((l) => l.startsWith(dst + " ") && (!want.via || l.includes(`via ${want.via} `)));
        if (!ok)
            return err(CNI_ERR.INTERNAL, `route "${dst}${want.via ? " via " + want.via : ""}" missing in ${ns}`);
    }
    return null;
}
//# sourceMappingURL=cni.js.map