// A hand-made Dataplane IR: two nodes on flannel VXLAN, two pods per node, wired as
// flannel does (cni0 bridge with the gateway, flannel.1 VTEP /32, per remote node one
// route `via 10.244.X.0 dev flannel.1 onlink`, one permanent neighbour, one FDB entry;
// https://github.com/flannel-io/flannel/blob/master/Documentation/backends.md).
// `podnet up --fixture` builds it; the kernel backend's tests use it.

import type { DataplaneIR, Link, NetNs, NodeNet, PodNet } from "../ir/types.js";
import { emptyNs } from "../plumbing/kernel.js";

const lo = (): Link => ({ name: "lo", kind: "loopback", mtu: 65536, mac: "00:00:00:00:00:00", up: true });

const hx = (n: number) => n.toString(16).padStart(2, "0");

/** `nodes` × `podsPerNode` (defaults 2 × 2; at most 250 pods per node). */
export function fixtureIR(cluster = "t", size: { nodes?: number; podsPerNode?: number } = {}): DataplaneIR {
  const nNodes = size.nodes ?? 2;
  const perNode = size.podsPerNode ?? 2;
  const underlay = emptyNs("underlay");
  underlay.links.push(lo(), { name: "br0", kind: "bridge", mtu: 1500, mac: "02:00:c0:a8:01:01", up: true });
  const nodes: NodeNet[] = [];
  const pods: PodNet[] = [];
  const defs = Array.from({ length: nNodes }, (_, i) => ({
    name: `worker-${i + 1}`,
    addr: `192.168.1.${11 + i}`,
    n: i + 1,
    vtep: `02:fe:00:00:00:${hx(i + 1)}`,
  }));
  for (const d of defs) {
    const ns = fixtureNode(d, defs, underlay);
    for (let k = 0; k < perNode; k++) pods.push(fixturePod(d, k, ns));
    nodes.push({ name: d.name, address: d.addr, podCIDR: `10.244.${d.n}.0/24`, ns });
  }
  return {
    cluster,
    cni: "flannel",
    backend: "vxlan",
    proxyMode: "iptables",
    podSubnet: "10.244.0.0/16",
    serviceSubnet: "10.96.0.0/12",
    underlay: { ns: underlay, subnet: "192.168.1.0/24", mtu: 1500, externalClient: "192.168.1.100" },
    nodes,
    pods,
  };
}

interface NodeDef {
  name: string;
  addr: string;
  n: number;
  vtep: string;
}

/** A node's namespace (its underlay port added to `underlay`): links, addresses, routes to the other nodes. */
function fixtureNode(d: NodeDef, defs: NodeDef[], underlay: NetNs): NetNs {
  const id = `node/${d.name}`;
  const ns = emptyNs(id);
  const uPort = `n-${d.name}`.slice(0, 15);
  underlay.links.push({
    name: uPort,
    kind: "veth",
    mtu: 1500,
    mac: `02:00:c0:a8:00:${hx(d.n)}`,
    up: true,
    master: "br0",
    peer: { ns: id, name: "eth0" },
  });
  ns.links.push(
    lo(),
    {
      name: "eth0",
      kind: "veth",
      mtu: 1500,
      mac: `02:00:c0:a8:01:${hx(10 + d.n)}`,
      up: true,
      peer: { ns: "underlay", name: uPort },
    },
    { name: "cni0", kind: "bridge", mtu: 1450, mac: `02:0a:f4:${hx(d.n)}:01:00`, up: true },
    {
      name: "flannel.1",
      kind: "vxlan",
      mtu: 1450,
      mac: d.vtep,
      up: true,
      vxlan: { vni: 1, port: 8472, local: d.addr, dev: "eth0", learning: false },
    },
  );
  ns.addresses.push(
    { dev: "eth0", cidr: `${d.addr}/24` },
    { dev: "cni0", cidr: `10.244.${d.n}.1/24` },
    { dev: "flannel.1", cidr: `10.244.${d.n}.0/32` },
  );
  // Kernel-made routes as `ip route show table all` lists them: the renderer must skip them.
  ns.routes.push(
    {
      table: "main",
      type: "unicast",
      dst: "192.168.1.0/24",
      dev: "eth0",
      proto: "kernel",
      scope: "link",
      src: d.addr,
    },
    {
      table: "main",
      type: "unicast",
      dst: `10.244.${d.n}.0/24`,
      dev: "cni0",
      proto: "kernel",
      scope: "link",
      src: `10.244.${d.n}.1`,
    },
    { table: "local", type: "local", dst: d.addr, dev: "eth0", proto: "kernel", scope: "host", src: d.addr },
  );
  for (const o of defs) {
    if (o === d) continue;
    ns.routes.push({
      table: "main",
      type: "unicast",
      dst: `10.244.${o.n}.0/24`,
      via: `10.244.${o.n}.0`,
      dev: "flannel.1",
      onlink: true,
    });
    ns.neighbours.push({ dev: "flannel.1", ip: `10.244.${o.n}.0`, lladdr: o.vtep, state: "PERMANENT" });
    ns.fdb.push({ dev: "flannel.1", mac: o.vtep, dst: o.addr, state: "permanent", self: true });
  }
  ns.sysctls["net.ipv4.ip_forward"] = "1";
  ns.sysctls["net.bridge.bridge-nf-call-iptables"] = "1";
  return ns;
}

/** Pod `k` of a node: its namespace, and its host veth added to the node's namespace. */
function fixturePod(d: NodeDef, k: number, node: NetNs): PodNet {
  const id = node.id;
  const podName = `web-${d.n}${k}`;
  const podId = `pod/default/${podName}`;
  const ip = `10.244.${d.n}.${2 + k}`;
  const hostIf = `veth${hx(d.n)}${hx(k)}beef`; // "veth" + 8 hex, as the bridge plugin names them
  node.links.push({
    name: hostIf,
    kind: "veth",
    mtu: 1450,
    mac: `02:aa:00:${hx(d.n)}:00:${hx(k)}`,
    up: true,
    master: "cni0",
    peer: { ns: podId, name: "eth0" },
  });
  const p = emptyNs(podId);
  p.links.push(lo(), {
    name: "eth0",
    kind: "veth",
    mtu: 1450,
    mac: `02:bb:00:${hx(d.n)}:00:${hx(k)}`,
    up: true,
    peer: { ns: id, name: hostIf },
  });
  p.addresses.push({ dev: "eth0", cidr: `${ip}/24` });
  p.routes.push(
    { table: "main", type: "unicast", dst: "default", via: `10.244.${d.n}.1`, dev: "eth0" },
    { table: "main", type: "unicast", dst: "10.244.0.0/16", via: `10.244.${d.n}.1`, dev: "eth0" },
    {
      table: "main",
      type: "unicast",
      dst: `10.244.${d.n}.0/24`,
      dev: "eth0",
      proto: "kernel",
      scope: "link",
      src: ip,
    },
  );
  return {
    namespace: "default",
    name: podName,
    node: d.name,
    ip,
    hostNetwork: false,
    ns: p,
    hostIf,
    listeners: [
      { container: "app", port: 8080, protocol: "TCP", address: "0.0.0.0", portName: "http" },
      { container: "app", port: 9000, protocol: "UDP", address: "0.0.0.0", portName: "echo" },
      { container: "sidecar", port: 9090, protocol: "TCP", address: "0.0.0.0" },
    ],
    resolvConf:
      "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n",
  };
}
