// Hand-made IR fixtures for the interpreter's tests, shaped as the real components
// leave the kernel (flannel-io/flannel pkg/backend/vxlan, containernetworking/plugins
// plugins/main/bridge):
//   flannel vxlan: cni0 (.1, MTU 1450), veth + 8 hex ports with hairpin, flannel.1
//     (VNI 1, 8472, nolearning, <subnet>.0/32), per remote node a route
//     `10.244.X.0/24 via 10.244.X.0 dev flannel.1 onlink`, a permanent neighbour and FDB dst.
//   flannel host-gw: `10.244.X.0/24 via <node IP> dev eth0`.
//   calico bgp/ipip: cali… veths (ee:ee:ee:ee:ee:ee, proxy_arp=1), /32 host routes,
//     169.254.1.1 gateway in the pod, blackhole local /26, remote blocks via node (or tunl0 onlink).
//   kube-proxy's iptables and nftables layers: testing-kube-proxy.ts.
// The underlay: namespace "underlay", bridge podnet0 192.168.1.1/24 (also the outside client).

import type { DataplaneIR, IptLayer, Link, Listener, NetNs, NodeNet, PodNet, Route } from "../ir/types.js";
import { emptyNs } from "../plumbing/kernel.js";
import {
  type FxEndpoint,
  type FxService,
  kubeProxyIptables,
  kubeProxyIptablesNode,
  kubeProxyNft,
  no,
  o,
  rule,
} from "./testing-kube-proxy.js";

export type { FxEndpoint, FxService } from "./testing-kube-proxy.js";

export type Flavor = "flannel/vxlan" | "flannel/host-gw" | "calico/bgp" | "calico/ipip";

export interface FxPod {
  namespace: string;
  name: string;
  node: number;
  containers: { name: string; ports: { port: number; protocol?: "TCP" | "UDP"; address?: string }[] }[];
  hostNetwork?: boolean;
}

export interface FxOptions {
  flavor?: Flavor;
  proxy?: "iptables" | "nftables" | "ipvs" | "none";
  nodes?: number;
  pods?: FxPod[];
  services?: FxService[];
  mtu?: number;
  brNf?: boolean;
}

const hex = (n: number, w = 2) => n.toString(16).padStart(w, "0");
const mac = (a: number, b: number, c: number, d: number) => `0a:58:${hex(a)}:${hex(b)}:${hex(c)}:${hex(d)}`;

function lo(ns: NetNs) {
  ns.links.push({ name: "lo", kind: "loopback", mtu: 65536, mac: "00:00:00:00:00:00", up: true });
  ns.addresses.push({ dev: "lo", cidr: "127.0.0.1/8", scope: "host" });
}
const r = (x: Partial<Route> & { dst: string }): Route => ({ table: "main", type: "unicast", ...x });

export const DEFAULT_PODS: FxPod[] = [
  { namespace: "default", name: "web-0", node: 1, containers: [{ name: "web", ports: [{ port: 80 }] }] },
  { namespace: "default", name: "web-1", node: 1, containers: [{ name: "web", ports: [{ port: 80 }] }] },
  { namespace: "default", name: "web-2", node: 2, containers: [{ name: "web", ports: [{ port: 80 }] }] },
  { namespace: "default", name: "client", node: 1, containers: [{ name: "curl", ports: [] }] },
  { namespace: "default", name: "client-2", node: 2, containers: [{ name: "curl", ports: [] }] },
  {
    namespace: "default",
    name: "multi",
    node: 2,
    containers: [
      { name: "app", ports: [{ port: 8080 }] },
      { name: "sidecar", ports: [{ port: 9090, address: "127.0.0.1" }] },
    ],
  },
  {
    namespace: "kube-system",
    name: "kube-proxy-worker-1",
    node: 1,
    hostNetwork: true,
    containers: [{ name: "kube-proxy", ports: [{ port: 10256 }] }],
  },
];

export const DEFAULT_SERVICES: FxService[] = [
  {
    namespace: "default",
    name: "web",
    clusterIP: "10.96.0.50",
    port: 80,
    nodePort: 30080,
    endpoints: [
      { pod: "default/web-0", port: 80 },
      { pod: "default/web-1", port: 80 },
      { pod: "default/web-2", port: 80 },
    ],
  },
  { namespace: "default", name: "empty", clusterIP: "10.96.0.60", port: 80, endpoints: [] },
  {
    namespace: "default",
    name: "sticky",
    clusterIP: "10.96.0.70",
    port: 80,
    affinity: 10800,
    endpoints: [
      { pod: "default/web-0", port: 80 },
      { pod: "default/web-2", port: 80 },
    ],
  },
  {
    namespace: "default",
    name: "local",
    clusterIP: "10.96.0.80",
    port: 80,
    nodePort: 30081,
    etpLocal: true,
    endpoints: [{ pod: "default/web-2", port: 80 }],
  },
];

export function fixtureIR(opts: FxOptions = {}): DataplaneIR {
  const flavor = opts.flavor ?? "flannel/vxlan";
  const calico = flavor.startsWith("calico");
  const nNodes = opts.nodes ?? 3;
  const mtu = opts.mtu ?? 1500;
  const podMtu = flavor === "flannel/vxlan" ? mtu - 50 : flavor === "calico/ipip" ? mtu - 20 : mtu;
  const pods = opts.pods ?? DEFAULT_PODS;
  const services = opts.services ?? DEFAULT_SERVICES;

  const underlay = emptyNs("underlay");
  underlay.links.push({ name: "podnet0", kind: "bridge", mtu, mac: "02:00:c0:a8:01:01", up: true });
  underlay.addresses.push({ dev: "podnet0", cidr: "192.168.1.1/24" });
  underlay.routes.push(
    r({ dst: "192.168.1.0/24", dev: "podnet0", proto: "kernel", scope: "link", src: "192.168.1.1" }),
  );

  const names = Array.from({ length: nNodes }, (_, i) => (i === 0 ? "control-plane" : `worker-${i}`));
  const nodeIp = (i: number) => `192.168.1.${i + 2}`;
  const vtepMac = (i: number) => `7a:00:00:00:00:${hex(i + 1)}`;
  const block = (i: number) => `10.244.${i}.0/26`; // calico: first /26 of the /24
  const nodes: NodeNet[] = names.map((name, i) => {
    const ns = emptyNs(`node/${name}`);
    lo(ns);
    ns.sysctls["net.ipv4.ip_forward"] = "1";
    if (opts.brNf !== false) ns.sysctls["net.bridge.bridge-nf-call-iptables"] = "1";
    const port = `node${i}`;
    ns.links.push({
      name: "eth0",
      kind: "veth",
      mtu,
      mac: `02:00:c0:a8:01:${hex(i + 2)}`,
      up: true,
      peer: { ns: "underlay", name: port },
    });
    underlay.links.push({
      name: port,
      kind: "veth",
      mtu,
      mac: `02:01:00:00:00:${hex(i + 2)}`,
      up: true,
      master: "podnet0",
      peer: { ns: ns.id, name: "eth0" },
    });
    ns.addresses.push({ dev: "eth0", cidr: `${nodeIp(i)}/24` });
    ns.routes.push(r({ dst: "default", via: "192.168.1.1", dev: "eth0" }));
    ns.routes.push(r({ dst: "192.168.1.0/24", dev: "eth0", proto: "kernel", scope: "link", src: nodeIp(i) }));
    if (!calico) {
      ns.links.push({ name: "cni0", kind: "bridge", mtu: podMtu, mac: mac(10, 244, i, 1), up: true });
      ns.addresses.push({ dev: "cni0", cidr: `10.244.${i}.1/24` });
      ns.routes.push(r({ dst: `10.244.${i}.0/24`, dev: "cni0", proto: "kernel", scope: "link", src: `10.244.${i}.1` }));
    }
    if (flavor === "flannel/vxlan") {
      ns.links.push({
        name: "flannel.1",
        kind: "vxlan",
        mtu: mtu - 50,
        mac: vtepMac(i),
        up: true,
        vxlan: { vni: 1, port: 8472, local: nodeIp(i), dev: "eth0", learning: false },
      });
      ns.addresses.push({ dev: "flannel.1", cidr: `10.244.${i}.0/32` });
    }
    if (flavor === "calico/ipip") {
      ns.links.push({ name: "tunl0", kind: "ipip", mtu: mtu - 20, mac: "00:00:00:00:00:00", up: true, ipip: {} });
      ns.addresses.push({ dev: "tunl0", cidr: `10.244.${i}.0/32` });
    }
    if (calico) ns.routes.push(r({ type: "blackhole", dst: block(i), proto: "bird" }));
    for (let j = 0; j < nNodes; j++) {
      if (j === i) continue;
      if (flavor === "flannel/vxlan") {
        ns.routes.push(r({ dst: `10.244.${j}.0/24`, via: `10.244.${j}.0`, dev: "flannel.1", onlink: true }));
        ns.neighbours.push({ dev: "flannel.1", ip: `10.244.${j}.0`, lladdr: vtepMac(j), state: "PERMANENT" });
        ns.fdb.push({ dev: "flannel.1", mac: vtepMac(j), dst: nodeIp(j), state: "permanent", self: true });
      } else if (flavor === "flannel/host-gw")
        ns.routes.push(r({ dst: `10.244.${j}.0/24`, via: nodeIp(j), dev: "eth0" }));
      else if (flavor === "calico/bgp")
        ns.routes.push(r({ dst: block(j), via: nodeIp(j), dev: "eth0", proto: "bird" }));
      else ns.routes.push(r({ dst: block(j), via: nodeIp(j), dev: "tunl0", onlink: true, proto: "bird" }));
    }
    return { name, address: nodeIp(i), podCIDR: calico ? block(i) : `10.244.${i}.0/24`, ns };
  });

  const podNets: PodNet[] = [];
  const podIp = new Map<string, string>();
  const perNode = new Map<number, number>();
  for (const p of pods) {
    const node = nodes[p.node];
    const listeners: Listener[] = p.containers.flatMap((c) =>
      c.ports.map((pt) => ({
        container: c.name,
        port: pt.port,
        protocol: pt.protocol ?? "TCP",
        address: pt.address ?? "0.0.0.0",
      })),
    );
    if (p.hostNetwork) {
      podIp.set(`${p.namespace}/${p.name}`, node.address);
      podNets.push({
        namespace: p.namespace,
        name: p.name,
        node: node.name,
        ip: node.address,
        hostNetwork: true,
        listeners,
        resolvConf: "nameserver 192.168.1.1\n",
      });
      continue;
    }
    const k = (perNode.get(p.node) ?? 0) + 1;
    perNode.set(p.node, k);
    const ip = calico ? `10.244.${p.node}.${k + (flavor === "calico/ipip" ? 0 : 0)}` : `10.244.${p.node}.${k + 1}`;
    podIp.set(`${p.namespace}/${p.name}`, ip);
    const ns = emptyNs(`pod/${p.namespace}/${p.name}`);
    ns.netfilter = { mode: "iptables", iptables: [], nftables: [] };
    lo(ns);
    const hostIf = calico ? `cali${hex(p.node, 4)}${hex(k, 7)}` : `veth${hex(p.node, 2)}${hex(k, 6)}`;
    const podMac = mac(10, 244, p.node, k + 1);
    ns.links.push({
      name: "eth0",
      kind: "veth",
      mtu: podMtu,
      mac: podMac,
      up: true,
      peer: { ns: node.ns.id, name: hostIf },
    });
    const hl: Link = {
      name: hostIf,
      kind: "veth",
      mtu: podMtu,
      mac: calico ? "ee:ee:ee:ee:ee:ee" : `f6:00:00:00:${hex(p.node)}:${hex(k)}`,
      up: true,
      peer: { ns: ns.id, name: "eth0" },
    };
    if (calico) {
      ns.addresses.push({ dev: "eth0", cidr: `${ip}/32` });
      ns.routes.push(r({ dst: "169.254.1.1", dev: "eth0", scope: "link" }));
      ns.routes.push(r({ dst: "default", via: "169.254.1.1", dev: "eth0" }));
      node.ns.sysctls[`net.ipv4.conf.${hostIf}.proxy_arp`] = "1";
      node.ns.routes.push(r({ dst: ip, dev: hostIf, scope: "link" }));
    } else {
      hl.master = "cni0";
      hl.hairpin = true;
      ns.addresses.push({ dev: "eth0", cidr: `${ip}/24` });
      ns.routes.push(r({ dst: "default", via: `10.244.${p.node}.1`, dev: "eth0" }));
      ns.routes.push(r({ dst: "10.244.0.0/16", via: `10.244.${p.node}.1`, dev: "eth0" }));
      ns.routes.push(r({ dst: `10.244.${p.node}.0/24`, dev: "eth0", proto: "kernel", scope: "link", src: ip }));
    }
    node.ns.links.push(hl);
    podNets.push({
      namespace: p.namespace,
      name: p.name,
      node: node.name,
      ip,
      hostNetwork: false,
      ns,
      hostIf,
      listeners,
      resolvConf:
        "nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n",
    });
  }

  const ir: DataplaneIR = {
    cluster: "fixture",
    cni: flavor.split("/")[0],
    backend: flavor.split("/")[1],
    proxyMode: opts.proxy ?? "iptables",
    podSubnet: "10.244.0.0/16",
    serviceSubnet: "10.96.0.0/12",
    underlay: { ns: underlay, subnet: "192.168.1.0/24", mtu, externalClient: "192.168.1.1" },
    nodes,
    pods: podNets,
  };
  const proxy = opts.proxy ?? "iptables";
  const epIp = (e: FxEndpoint) => podIp.get(e.pod)!;
  const epNode = (e: FxEndpoint) => pods.find((p) => `${p.namespace}/${p.name}` === e.pod)!.node;
  if (proxy === "iptables") {
    const shared = kubeProxyIptables(services, epIp);
    for (let i = 0; i < nodes.length; i++)
      nodes[i].ns.netfilter.iptables = [
        shared,
        kubeProxyIptablesNode(services, epIp, (e) => epNode(e) === i),
        flannelMasq(),
      ];
  } else if (proxy === "nftables") {
    const shared = kubeProxyNft(services, epIp);
    for (let i = 0; i < nodes.length; i++) {
      nodes[i].ns.netfilter = { mode: "nftables", iptables: [flannelMasq()], nftables: [shared] };
    }
  } else if (proxy === "ipvs") {
    for (const n of nodes) {
      n.ipvs = services.map((s) => ({
        protocol: (s.protocol ?? "tcp").toUpperCase() as "TCP",
        address: s.clusterIP,
        port: s.port,
        scheduler: "rr" as const,
        reals: s.endpoints.map((e) => ({ address: epIp(e), port: e.port, weight: 1 })),
        service: `${s.namespace}/${s.name}:${s.port}`,
      }));
      n.ns.links.push({ name: "kube-ipvs0", kind: "dummy", mtu: 1500, mac: "aa:00:00:00:00:01", up: false });
      for (const s of services) n.ns.addresses.push({ dev: "kube-ipvs0", cidr: `${s.clusterIP}/32` });
      n.ns.netfilter.iptables = [flannelMasq()];
    }
  }
  return ir;
}

function flannelMasq(): IptLayer {
  const c = "flanneld masq";
  return {
    owner: "flannel",
    role: "cni",
    tables: {
      nat: {
        POSTROUTING: {
          name: "POSTROUTING",
          policy: "ACCEPT",
          rules: [rule([o("-m", "comment"), o("--comment", c)], "FLANNEL-POSTRTG")],
        },
        "FLANNEL-POSTRTG": {
          name: "FLANNEL-POSTRTG",
          rules: [
            rule([o("-m", "mark"), o("--mark", "0x4000/0x4000"), o("-m", "comment"), o("--comment", c)], "RETURN"),
            rule([o("-s", "10.244.0.0/16"), o("-d", "10.244.0.0/16"), o("-m", "comment"), o("--comment", c)], "RETURN"),
            rule(
              [o("-s", "10.244.0.0/16"), no("-d", "224.0.0.0/4"), o("-m", "comment"), o("--comment", c)],
              "MASQUERADE",
              [o("--random-fully")],
            ),
          ],
        },
      },
    },
  };
}
