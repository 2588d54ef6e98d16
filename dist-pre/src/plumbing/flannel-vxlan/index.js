// flannel with the vxlan backend (backend/vxlan): flannel.1 (VNI 1, dstport 8472 = the
// kernel default, nolearning, MTU = underlay − 50) holding `<subnet>.0/32`; per remote
// node one route `<subnet> via <subnet>.0 dev flannel.1 onlink`, one permanent neighbour
// (the remote VTEP's MAC) and one FDB entry pointing the MAC at the remote node's IP.
// flanneld starts before any pod, so flannel.1 precedes cni0 in link order.
import { intToIp, parseCidr } from "../../net/ipv4.js";
import { addAddress, macFor, nodeNsId, route, shared } from "../kernel.js";
import { addCniBridge, wireBridgePod } from "../cni-bridge.js";
import { flannelIptables, flannelNftables } from "../flannel-common.js";
export const VXLAN_DEV = "flannel.1";
const OVERHEAD = 50;
/** The VTEP MAC flanneld publishes in its node annotation (flannel.alpha.coreos.com/backend-data). */
export function vtepMac(nodeName) {
    return macFor(`${nodeNsId(nodeName)}/${VXLAN_DEV}`);
}
function vtepAddr(node) {
    return intToIp(parseCidr(node.podCIDR).base);
}
export const flannelVxlan = {
    id: "flannel/vxlan",
    podMtu: (underlay) => underlay - OVERHEAD,
    buildNode(ctx, node, ns) {
        const mtu = ctx.underlayMtu - OVERHEAD;
        ns.links.push({
            name: VXLAN_DEV,
            kind: "vxlan",
            mtu,
            mac: vtepMac(node.name),
            up: true,
            vxlan: { vni: 1, port: 8472, local: node.address, dev: "eth0", learning: false },
        });
        addAddress(ns, VXLAN_DEV, `${vtepAddr(node)}/32`);
        addCniBridge(ctx, node, ns, mtu);
        for (const other of ctx.state.nodes) {
            if (other.name === node.name || !other.podCIDR)
                continue;
            const o = shared(ctx.state, `flannel.1/${other.name}`, () => {
                const gw = vtepAddr(other);
                const mac = vtepMac(other.name);
                return {
                    route: route({ dst: other.podCIDR, via: gw, dev: VXLAN_DEV, onlink: true }),
                    neigh: { dev: VXLAN_DEV, ip: gw, lladdr: mac, state: "PERMANENT" },
                    fdb: { dev: VXLAN_DEV, mac, dst: other.address, self: true, state: "permanent" },
                };
            });
            ns.routes.push(o.route);
            ns.neighbours.push(o.neigh);
            ns.fdb.push(o.fdb);
        }
    },
    buildPod(ctx, node, pod, nodeNs) {
        return wireBridgePod(ctx, node, pod, nodeNs, ctx.underlayMtu - OVERHEAD);
    },
    netfilter(ctx, node, mode) {
        const cluster = ctx.state.config.networking.podSubnet;
        return mode === "iptables"
            ? { iptables: flannelIptables(cluster, node) }
            : { nftables: flannelNftables(cluster, node) };
    },
};
//# sourceMappingURL=index.js.map