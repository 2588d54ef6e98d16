// The reference CNI `bridge` plugin as flannel delegates to it: bridge cni0 holding the
// gateway (isGateway), one veth per pod (host side `veth` + 8 hex, hairpin on), the pod's
// eth0 with its address, `default via <gw>` (isDefaultGateway) and the IPAM route to the
// flannel network (flannel's getDelegateIPAM adds `routes: [{dst: FLANNEL_NETWORK}]`).
//
// FDB: the kernel adds `permanent` entries for the bridge's and each port's own MAC. Pod
// MACs are included as learned (dynamic) entries: after configuring the address the plugin
// sends a gratuitous ARP from the container interface (bridge.go, arping) and sets
// arp_notify=1 on it, so the bridge learns the pod's MAC before any traffic flows. The interpreter therefore finds a pod's
// port in the FDB; an unknown MAC floods to every port like the kernel does.
// Host neighbour entries for pods are not pre-populated: ARP is resolved on the segment.
import { parseCidr } from "../net/ipv4.js";
import { addAddress, addBridge, addBridgePortFdb, addLoopback, addVethPair, emptyNs, firstHost, hexOf, macFor, podHasOwnNs, podNsId, route, } from "./kernel.js";
export const BRIDGE = "cni0";
export function nodeHasPods(ctx, node) {
    return (ctx.podsByNode.get(node.name) ?? []).some(podHasOwnNs);
}
/** cni0 is created by the first CNI ADD on the node (none on a node without pods). */
export function addCniBridge(ctx, node, ns, mtu) {
    if (!nodeHasPods(ctx, node))
        return;
    addBridge(ns, BRIDGE, macFor(`${ns.id}/${BRIDGE}`), mtu);
    addAddress(ns, BRIDGE, `${firstHost(node.podCIDR)}/${parseCidr(node.podCIDR).prefix}`);
}
/** The plugin's random veth name, made deterministic from the sandbox ID. */
export function bridgeVethName(pod) {
    return pod.hostIfName ?? `veth${hexOf("sha256", pod.containerID || podNsId(pod)).slice(0, 8)}`;
}
export function podMac(pod) {
    return macFor(`${podNsId(pod)}/eth0`);
}
export function wireBridgePod(ctx, node, pod, nodeNs, mtu) {
    if (!podHasOwnNs(pod))
        throw new Error(`pod ${pod.namespace}/${pod.name} has no network namespace of its own`);
    const podNs = emptyNs(podNsId(pod));
    addLoopback(podNs);
    const hostIf = bridgeVethName(pod);
    const [host] = addVethPair({ ns: nodeNs, name: hostIf, mac: macFor(`${nodeNs.id}/${hostIf}`), mtu, master: BRIDGE, hairpin: true }, { ns: podNs, name: "eth0", mac: podMac(pod), mtu });
    addBridgePortFdb(nodeNs, BRIDGE, host);
    nodeNs.fdb.push({ dev: hostIf, mac: podMac(pod), master: BRIDGE, state: "dynamic" });
    const prefix = parseCidr(node.podCIDR).prefix;
    addAddress(podNs, "eth0", `${pod.podIP}/${prefix}`);
    const gw = firstHost(node.podCIDR);
    podNs.routes.push(route({ dst: "default", via: gw, dev: "eth0" }));
    podNs.routes.push(route({ dst: ctx.state.config.networking.podSubnet, via: gw, dev: "eth0" }));
    podNs.sysctls["net.ipv4.conf.eth0.arp_notify"] = "1";
    return { podNs, hostIf };
}
//# sourceMappingURL=cni-bridge.js.map