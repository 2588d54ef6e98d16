// `podnet demo`: a guided walk through the embedded example for a newcomer. The demo is
// a list of sections; each one explains a point in a few sentences and shows the
// command (with its output) that makes the point. Other capabilities add their sections
// with addDemoSection (e.g. the traces: two pods on one node, across nodes with VXLAN,
// host-gw, order-app → user-service, NodePort from outside).
import { formatWalk, resolveFromPod } from "../dns/resolver.js";
import { formatChangeEvents, formatDiff } from "./diff.js";
import { runChange } from "../control/changes.js";
import { serviceEndpointAddrs } from "../control/diff.js";
import { containerEnv, formatEnv } from "./env.js";
import { findResource, getView } from "./get.js";
import { kubectlTable } from "./tabwriter.js";
/** `$ podnet get …` and its output, as the demo shows a command. */
export function shell(command, output) {
    const body = output.endsWith("\n") || output === "" ? output : output + "\n";
    return `$ ${command}\n${body}`;
}
function get(ctx, command, resource, o) {
    const out = getView(ctx.state, findResource(resource), { ...ctx.opts, ...o });
    return shell(command, out.stdout + out.stderr);
}
function appPods(state, ns, app) {
    return state.pods
        .filter((p) => p.namespace === ns && p.labels.app === app && !p.terminating)
        .sort((a, b) => (a.name < b.name ? -1 : 1));
}
const nodes = {
    id: "nodes",
    title: "The nodes",
    run(ctx) {
        const n = ctx.state.config.networking;
        const rows = [
            ["NODE", "ROLE", "ADDRESS", "POD CIDR"],
            ...ctx.state.nodes.map((x) => [x.name, x.role, x.address, x.podCIDR]),
        ];
        return (`The cluster "${ctx.state.config.name}" has ${ctx.state.nodes.length} nodes on the underlay ${n.nodeSubnet}. The pod network ${n.podSubnet}\n` +
            `is cut into one /${n.nodeCIDRMaskSize} per node (kube-controller-manager's range allocator); the CNI (${n.cni}, ${n.backend})\n` +
            `gives each pod an address from its node's range.\n\n` +
            kubectlTable(rows));
    },
};
const pods = {
    id: "pods",
    title: "The pods, their IPs and nodes",
    run(ctx) {
        return (`Every pod has its own IP, taken from the range of the node it was scheduled on. Pods with\n` +
            `hostNetwork (kube-proxy, the flannel agent) share their node's address instead.\n\n` +
            get(ctx, "podnet get pods -A -o wide", "pods", { allNamespaces: true, output: "wide" }));
    },
};
const services = {
    id: "services",
    title: "The Services",
    run(ctx) {
        const net = ctx.state.config.networking;
        return (`A Service gets a stable virtual IP from the service range ${net.serviceSubnet}; kube-proxy turns traffic to it into\n` +
            `traffic to one of its pods. kube-dns (CoreDNS) sits at the 10th address, kubernetes at the first. A headless\n` +
            `Service (CLUSTER-IP None) has no virtual IP: DNS answers with the pods' IPs. NodePort and LoadBalancer\n` +
            `Services also open a port on every node (PORT(S) 80:30080/TCP).\n\n` +
            get(ctx, "podnet get svc -A", "services", { allNamespaces: true }));
    },
};
const podView = {
    id: "pod-dns-env",
    title: "What a pod sees: resolv.conf and env (order-app)",
    run(ctx) {
        const p = appPods(ctx.state, "default", "order-app")[0];
        if (!p)
            return "(the example has no order-app pod)\n";
        ctx.notes.orderPod = p.name;
        return (`kubelet writes each pod's /etc/resolv.conf: the cluster DNS as nameserver, a search list that starts with\n` +
            `the pod's own namespace, and ndots:5, so that short names like "user-service" are tried inside the cluster first.\n\n` +
            shell(`podnet resolvconf ${p.name}`, p.resolvConf) +
            `\nkubelet also sets the container's environment: its own variables, then docker-link style variables for\n` +
            `each Service of the namespace that existed when the pod started (USER_SERVICE_SERVICE_HOST …).\n\n` +
            envExcerpt(p));
    },
};
/** The container's own variables and user-service's, with a count of the rest (the full
 *  list has seven variables per Service of the namespace). */
function envExcerpt(p) {
    const all = containerEnv(p);
    const shown = all.filter((l) => l.name.startsWith("USER_SERVICE"));
    // Each visible Service contributes NAME_SERVICE_HOST: that names them.
    const others = all
        .filter((l) => l.name.endsWith("_SERVICE_HOST") && l.name !== "USER_SERVICE_SERVICE_HOST")
        .map((l) => l.name.slice(0, -"_SERVICE_HOST".length));
    return (shell(`podnet env ${p.name} | grep ^USER_SERVICE`, formatEnv(shown)) +
        `(${all.length - shown.length} more lines for ${others.map((o) => o.toLowerCase().replace(/_/g, "-")).join(", ")}: run it without grep)\n`);
}
const dnsWalk = {
    id: "dns",
    title: 'How "user-service" resolves',
    run(ctx) {
        const name = ctx.notes.orderPod ?? appPods(ctx.state, "default", "order-app")[0]?.name;
        if (!name)
            return "(the example has no order-app pod)\n";
        const r = resolveFromPod(ctx.state, `default/${name}`, "user-service", { libc: "glibc" });
        return (`order-app calls http://user-service. "user-service" has fewer dots than ndots (5), so the resolver tries the\n` +
            `search list in order; the first domain (the pod's namespace) answers with the Service's cluster IP.\n` +
            `The production namespace's user-service is a different Service, reached as user-service.production.\n\n` +
            shell(`podnet resolve ${name} user-service`, formatWalk(r, "user-service", "glibc")));
    },
};
const deletePod = {
    id: "delete-pod",
    title: "Pods come and go, Services stay: deleting a user-app pod",
    run(ctx) {
        const before = ctx.state;
        const victim = appPods(before, "default", "user-app")[0];
        const svc = before.services.find((s) => s.namespace === "default" && s.name === "user-service");
        if (!victim || !svc)
            return "(the example has no user-app pod or user-service)\n";
        let text = `Pod IPs are not stable: when a pod dies its Deployment makes a new one, with a new name and usually a\n` +
            `new IP. Clients therefore talk to the Service, whose cluster IP does not change; its endpoints follow the pods.\n\n`;
        text += get(ctx, "podnet get pods -l app=user-app -o wide", "pods", { selector: "app=user-app", output: "wide" });
        text += "\n" + get(ctx, "podnet get endpoints user-service", "endpoints", { names: ["user-service"] });
        const out = runChange(before, { op: "delete", kind: "Pod", namespace: victim.namespace, name: victim.name });
        ctx.state = out.state;
        text += "\n" + shell(`podnet delete pod ${victim.name}`, `pod "${victim.name}" deleted\n`);
        const ev = formatChangeEvents(out.state, out.events);
        if (ev)
            text += `\nEvents:\n${ev}`;
        text += `\nChanges:\n${formatDiff(out.diff)}\n`;
        text += get(ctx, "podnet get pods -l app=user-app -o wide", "pods", { selector: "app=user-app", output: "wide" });
        text += "\n" + get(ctx, "podnet get svc user-service", "services", { names: ["user-service"] });
        text += "\n" + get(ctx, "podnet get endpoints user-service", "endpoints", { names: ["user-service"] });
        const svcAfter = out.state.services.find((s) => s.namespace === "default" && s.name === "user-service");
        const added = out.diff.podsAdded.find((p) => p.namespace === "default" && p.name.startsWith("user-app-"));
        text += `\nIn short: ${victim.name} (${victim.podIP}) was replaced by ${added ? `${added.name} (${added.ip})` : "no new pod"};\n`;
        text += `user-service kept its cluster IP ${svcAfter?.clusterIP ?? "?"}${svcAfter?.clusterIP === svc.clusterIP ? "" : " (changed!)"}, and its endpoints went from\n`;
        text += `${serviceEndpointAddrs(before, svc).join(",") || "<none>"} to ${serviceEndpointAddrs(out.state, svc).join(",") || "<none>"}.\n`;
        return text;
    },
};
const next = {
    id: "next",
    title: "Try next",
    run() {
        return [
            "podnet get endpointslices                   # any kubectl view: pods, svc, ep, nodes, netpol, ing, deploy …",
            "podnet describe svc user-service            # kubectl describe's layout",
            "podnet resolve order-app api.example.com    # the ndots:5 search-list walk for an outside name",
            "podnet scale deploy user-app --replicas 4   # what changes: pods, IPs, endpoints",
            "podnet trace order-app http://user-service --reply   # every hop, and the reply undoing the NAT",
            "podnet rules worker-1                       # kube-proxy's and flannel's rules, as iptables-save prints them",
            "podnet reach -f examples/demo -f examples/policies --explain   # who may talk to whom, and why",
            "podnet ui                                   # the map and the packet walk in a browser (http://127.0.0.1:7080/)",
            "sudo podnet up && sudo podnet exec order-app-… -- curl -s http://user-service   # the same cluster, for real",
            "podnet get pods -A -f my-manifests/ --config my-cluster.yaml   # your own cluster",
            "",
        ].join("\n");
    },
};
/** The demo, in order. Add sections with addDemoSection rather than editing callers. */
export const demoSections = [nodes, pods, services, podView, dnsWalk, deletePod, next];
/** Insert a section after the one with id `after` (at the end, before "next", otherwise). */
export function addDemoSection(section, after) {
    const i = after ? demoSections.findIndex((s) => s.id === after) : -1;
    const at = i >= 0 ? i + 1 : demoSections.findIndex((s) => s.id === "next");
    demoSections.splice(at >= 0 ? at : demoSections.length, 0, section);
}
/** The whole demo as text (pure: the state comes in, text goes out). */
export function renderDemo(state, opts = {}, only) {
    const ctx = { state, opts, notes: {} };
    const parts = [];
    let n = 0;
    for (const s of demoSections) {
        if (only?.length && !only.includes(s.id))
            continue;
        n++;
        const title = `${n}. ${s.title}`;
        parts.push(`${title}\n${"=".repeat(title.length)}\n\n${s.run(ctx)}`);
    }
    return parts.join("\n");
}
//# sourceMappingURL=demo.js.map