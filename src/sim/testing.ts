// Hand-made IR fixtures for the interpreter's tests, shaped as the real components
// leave the kernel (flannel-io/flannel pkg/backend/vxlan, containernetworking/plugins
// plugins/main/bridge, kubernetes pkg/proxy/iptables/proxier.go):
//   flannel vxlan: cni0 (.1, MTU 1450), veth + 8 hex ports with hairpin, flannel.1
//     (VNI 1, 8472, nolearning, <subnet>.0/32), per remote node a route
//     `10.244.X.0/24 via 10.244.X.0 dev flannel.1 onlink`, a permanent neighbour and FDB dst.
//   flannel host-gw: `10.244.X.0/24 via <node IP> dev eth0`.
//   calico bgp/ipip: cali… veths (ee:ee:ee:ee:ee:ee, proxy_arp=1), /32 host routes,
//     169.254.1.1 gateway in the pod, blackhole local /26, remote blocks via node (or tunl0 onlink).
//   kube-proxy iptables: KUBE-SERVICES → KUBE-SVC (statistic) → KUBE-SEP (DNAT), MARK-MASQ,
//     KUBE-POSTROUTING masquerade, REJECT for no endpoints, eTP Local DROP, NodePorts, affinity.
// The underlay: namespace "underlay", bridge podnet0 192.168.1.1/24 (also the outside client).

import type {
  DataplaneIR,
  IptChain,
  IptLayer,
  IptOpt,
  IptRule,
  Link,
  Listener,
  NetNs,
  NftLayer,
  NftRule,
  NftSet,
  NodeNet,
  PodNet,
  Route,
} from "../ir/types.js";
import { portProtoHash, sepChainName, hashAndTruncate } from "../proxy/hash.js";
import { emptyNs } from "../plumbing/kernel.js";

export type Flavor = "flannel/vxlan" | "flannel/host-gw" | "calico/bgp" | "calico/ipip";

export interface FxEndpoint {
  pod: string; // "default/web-0"
  port: number;
}
export interface FxService {
  namespace: string;
  name: string;
  portName?: string;
  clusterIP: string;
  port: number;
  protocol?: "tcp" | "udp";
  nodePort?: number;
  endpoints: FxEndpoint[];
  affinity?: number; // ClientIP timeout
  etpLocal?: boolean;
}
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
const o = (opt: string, ...args: string[]): IptOpt => ({ opt, args });
const no = (opt: string, ...args: string[]): IptOpt => ({ opt, args, neg: true });
const rule = (opts: IptOpt[], target?: string, targetOpts?: IptOpt[]): IptRule => ({
  opts,
  ...(target ? { target } : {}),
  ...(targetOpts ? { targetOpts } : {}),
});

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

/** kube-proxy iptables mode, the shared part (argument order as kube-proxy writes it). */
export function kubeProxyIptables(services: FxService[], epIp: (e: FxEndpoint) => string): IptLayer {
  const nat: Record<string, IptChain> = {};
  const filter: Record<string, IptChain> = {};
  const ch = (t: Record<string, IptChain>, name: string, policy?: "ACCEPT") =>
    (t[name] ??= { name, ...(policy ? { policy } : {}), rules: [] }).rules;
  const cm = (s: string) => [o("-m", "comment"), o("--comment", s)];
  ch(nat, "PREROUTING", "ACCEPT").push(rule(cm("kubernetes service portals"), "KUBE-SERVICES"));
  ch(nat, "OUTPUT", "ACCEPT").push(rule(cm("kubernetes service portals"), "KUBE-SERVICES"));
  ch(nat, "POSTROUTING", "ACCEPT").push(rule(cm("kubernetes postrouting rules"), "KUBE-POSTROUTING"));
  ch(nat, "KUBE-MARK-MASQ").push(rule([], "MARK", [o("--or-mark", "0x4000")]));
  ch(nat, "KUBE-POSTROUTING").push(
    rule([o("-m", "mark"), no("--mark", "0x4000/0x4000")], "RETURN"),
    rule([], "MARK", [o("--xor-mark", "0x4000")]),
    rule(cm("kubernetes service traffic requiring SNAT"), "MASQUERADE", [o("--random-fully")]),
  );
  ch(nat, "KUBE-NODEPORTS");
  ch(filter, "INPUT", "ACCEPT").push(
    rule(
      [o("-m", "conntrack"), o("--ctstate", "NEW"), ...cm("kubernetes load balancer firewall")],
      "KUBE-PROXY-FIREWALL",
    ),
    rule(cm("kubernetes health check service ports"), "KUBE-NODEPORTS"),
    rule(
      [o("-m", "conntrack"), o("--ctstate", "NEW"), ...cm("kubernetes externally-visible service portals")],
      "KUBE-EXTERNAL-SERVICES",
    ),
  );
  ch(filter, "FORWARD", "ACCEPT").push(
    rule(
      [o("-m", "conntrack"), o("--ctstate", "NEW"), ...cm("kubernetes load balancer firewall")],
      "KUBE-PROXY-FIREWALL",
    ),
    rule(cm("kubernetes forwarding rules"), "KUBE-FORWARD"),
    rule([o("-m", "conntrack"), o("--ctstate", "NEW"), ...cm("kubernetes service portals")], "KUBE-SERVICES"),
    rule(
      [o("-m", "conntrack"), o("--ctstate", "NEW"), ...cm("kubernetes externally-visible service portals")],
      "KUBE-EXTERNAL-SERVICES",
    ),
  );
  ch(filter, "OUTPUT", "ACCEPT").push(
    rule(
      [o("-m", "conntrack"), o("--ctstate", "NEW"), ...cm("kubernetes load balancer firewall")],
      "KUBE-PROXY-FIREWALL",
    ),
    rule([o("-m", "conntrack"), o("--ctstate", "NEW"), ...cm("kubernetes service portals")], "KUBE-SERVICES"),
  );
  ch(filter, "KUBE-PROXY-FIREWALL");
  ch(filter, "KUBE-NODEPORTS");
  ch(filter, "KUBE-EXTERNAL-SERVICES");
  ch(filter, "KUBE-SERVICES");
  ch(filter, "KUBE-FORWARD").push(
    rule([o("-m", "conntrack"), o("--ctstate", "INVALID")], "DROP"),
    rule([...cm("kubernetes forwarding rules"), o("-m", "mark"), o("--mark", "0x4000/0x4000")], "ACCEPT"),
    rule(
      [...cm("kubernetes forwarding conntrack rule"), o("-m", "conntrack"), o("--ctstate", "RELATED,ESTABLISHED")],
      "ACCEPT",
    ),
  );
  for (const s of services) {
    const spn = `${s.namespace}/${s.name}${s.portName ? ":" + s.portName : ""}`;
    const proto = s.protocol ?? "tcp";
    const h = portProtoHash(spn, proto);
    const svc = `KUBE-SVC-${h}`;
    const m = [o("-m", proto), o("-p", proto)];
    if (!s.endpoints.length) {
      ch(filter, "KUBE-SERVICES").push({
        ...rule(
          [...cm(`${spn} has no endpoints`), ...m, o("-d", `${s.clusterIP}/32`), o("--dport", String(s.port))],
          "REJECT",
          [o("--reject-with", "icmp-port-unreachable")],
        ),
        drop: { reason: "SERVICE_BACKEND_NOT_FOUND" },
      });
      continue;
    }
    ch(nat, "KUBE-SERVICES").push(
      rule([...cm(`${spn} cluster IP`), ...m, o("-d", `${s.clusterIP}/32`), o("--dport", String(s.port))], svc),
    );
    const sv = ch(nat, svc);
    sv.push(
      rule(
        [
          ...cm(`${spn} cluster IP`),
          ...m,
          o("-d", `${s.clusterIP}/32`),
          o("--dport", String(s.port)),
          no("-s", "10.244.0.0/16"),
        ],
        "KUBE-MARK-MASQ",
      ),
    );
    const eps = [...s.endpoints].sort((a, b) => `${epIp(a)}:${a.port}`.localeCompare(`${epIp(b)}:${b.port}`));
    const seps = eps.map((e) => sepChainName(spn, proto, `${epIp(e)}:${e.port}`));
    if (s.affinity)
      for (const sep of seps)
        sv.push(
          rule(
            [
              ...cm(spn),
              o("-m", "recent"),
              o("--name", sep),
              o("--rcheck"),
              o("--seconds", String(s.affinity)),
              o("--reap"),
            ],
            sep,
          ),
        );
    eps.forEach((e, i) => {
      const n = eps.length;
      const stat =
        i < n - 1 ? [o("-m", "statistic"), o("--mode", "random"), o("--probability", (1 / (n - i)).toFixed(10))] : [];
      sv.push(rule([...cm(`${spn} -> ${epIp(e)}:${e.port}`), ...stat], seps[i]));
      ch(nat, seps[i]).push(
        rule([...cm(spn), o("-s", `${epIp(e)}/32`)], "KUBE-MARK-MASQ"),
        rule([...cm(spn), ...(s.affinity ? [o("-m", "recent"), o("--name", seps[i]), o("--set")] : []), ...m], "DNAT", [
          o("--to-destination", `${epIp(e)}:${e.port}`),
        ]),
      );
    });
    if (s.nodePort) {
      const ext = `KUBE-EXT-${h}`;
      ch(nat, "KUBE-NODEPORTS").push(rule([...cm(spn), ...m, o("--dport", String(s.nodePort))], ext));
      if (!s.etpLocal) {
        ch(nat, ext).push(
          rule(cm(`masquerade traffic for ${spn} external destinations`), "KUBE-MARK-MASQ"),
          rule([], svc),
        );
      }
    }
  }
  ch(nat, "KUBE-SERVICES").push(
    rule(
      [
        ...cm("kubernetes service nodeports; NOTE: this must be the last rule in this chain"),
        o("-m", "addrtype"),
        o("--dst-type", "LOCAL"),
      ],
      "KUBE-NODEPORTS",
    ),
  );
  return { owner: "kube-proxy", role: "kube-proxy", tables: { nat, filter } };
}

/** kube-proxy's per-node part: eTP Local chains (KUBE-EXT → KUBE-SVL with local endpoints only). */
export function kubeProxyIptablesNode(
  services: FxService[],
  epIp: (e: FxEndpoint) => string,
  local: (e: FxEndpoint) => boolean,
): IptLayer {
  const nat: Record<string, IptChain> = {};
  const filter: Record<string, IptChain> = {};
  for (const s of services) {
    if (!s.etpLocal || !s.nodePort) continue;
    const spn = `${s.namespace}/${s.name}${s.portName ? ":" + s.portName : ""}`;
    const proto = s.protocol ?? "tcp";
    const h = portProtoHash(spn, proto);
    const svc = `KUBE-SVC-${h}`;
    const ext = `KUBE-EXT-${h}`;
    const svl = `KUBE-SVL-${h}`;
    const eps = s.endpoints.filter(local);
    nat[ext] = {
      name: ext,
      rules: [
        rule(
          [
            o("-s", "10.244.0.0/16"),
            o("-m", "comment"),
            o("--comment", "pod traffic for " + spn + " external destinations"),
          ],
          svc,
        ),
        rule(
          [
            o("-m", "comment"),
            o("--comment", `masquerade LOCAL traffic for ${spn} external destinations`),
            o("-m", "addrtype"),
            o("--src-type", "LOCAL"),
          ],
          "KUBE-MARK-MASQ",
        ),
        rule(
          [
            o("-m", "comment"),
            o("--comment", `route LOCAL traffic for ${spn} external destinations`),
            o("-m", "addrtype"),
            o("--src-type", "LOCAL"),
          ],
          svc,
        ),
        rule([], svl),
      ],
    };
    nat[svl] = {
      name: svl,
      rules: eps.map((e, i) =>
        rule(
          [
            o("-m", "comment"),
            o("--comment", `${spn} -> ${epIp(e)}:${e.port}`),
            ...(i < eps.length - 1
              ? [o("-m", "statistic"), o("--mode", "random"), o("--probability", (1 / (eps.length - i)).toFixed(10))]
              : []),
          ],
          sepChainName(spn, proto, `${epIp(e)}:${e.port}`),
        ),
      ),
    };
    if (!eps.length) {
      filter["KUBE-EXTERNAL-SERVICES"] = {
        name: "KUBE-EXTERNAL-SERVICES",
        rules: [
          {
            ...rule(
              [
                o("-m", "comment"),
                o("--comment", `${spn} has no local endpoints`),
                o("-m", "addrtype"),
                o("--dst-type", "LOCAL"),
                o("-m", proto),
                o("-p", proto),
                o("--dport", String(s.nodePort)),
              ],
              "DROP",
            ),
            drop: { reason: "SERVICE_BACKEND_NOT_FOUND", local: true },
          },
        ],
      };
    }
  }
  return { owner: "kube-proxy/node", role: "kube-proxy", tables: { nat, filter } };
}

/** kube-proxy nftables mode (table ip kube-proxy), the shapes of pkg/proxy/nftables. */
export function kubeProxyNft(services: FxService[], epIp: (e: FxEndpoint) => string): NftLayer {
  const chains: Record<
    string,
    {
      name: string;
      type?: "nat" | "filter";
      hook?: "prerouting" | "output" | "postrouting" | "input" | "forward";
      prio?: number;
      policy?: "accept";
      rules: NftRule[];
    }
  > = {};
  const base = (
    name: string,
    type: "nat" | "filter",
    hook: "prerouting" | "output" | "postrouting" | "input" | "forward",
    prio: number,
    rules: NftRule[],
  ) => (chains[name] = { name, type, hook, prio, policy: "accept", rules });
  const j = (target: string) => ({ jump: { target } });
  const daddr = { payload: { protocol: "ip", field: "daddr" } };
  const saddr = { payload: { protocol: "ip", field: "saddr" } };
  const mark = { meta: { key: "mark" } };
  base("nat-prerouting", "nat", "prerouting", -100, [{ expr: [j("services")] }]);
  base("nat-output", "nat", "output", -100, [{ expr: [j("services")] }]);
  base("nat-postrouting", "nat", "postrouting", 100, [{ expr: [j("masquerading")] }]);
  base("filter-forward", "filter", "forward", 0, [
    { expr: [{ match: { op: "in", left: { ct: { key: "state" } }, right: "new" } }, j("service-endpoints-check")] },
  ]);
  base("filter-output", "filter", "output", 0, [
    { expr: [{ match: { op: "in", left: { ct: { key: "state" } }, right: "new" } }, j("service-endpoints-check")] },
  ]);
  chains["mark-for-masquerade"] = {
    name: "mark-for-masquerade",
    rules: [{ expr: [{ mangle: { key: mark, value: { "|": [mark, 16384] } } }] }],
  };
  chains.masquerading = {
    name: "masquerading",
    rules: [
      { expr: [{ match: { op: "==", left: { "&": [mark, 16384] }, right: 0 } }, { return: null }] },
      { expr: [{ mangle: { key: mark, value: { "^": [mark, 16384] } } }] },
      { expr: [{ masquerade: { flags: ["fully-random"] } }] },
    ],
  };
  chains["reject-chain"] = {
    name: "reject-chain",
    rules: [{ expr: [{ reject: null }], comment: "helper for @no-endpoint-services / @no-endpoint-nodeports" }],
  };
  chains["service-endpoints-check"] = {
    name: "service-endpoints-check",
    rules: [
      {
        expr: [
          {
            vmap: {
              key: { concat: [daddr, { meta: { key: "l4proto" } }, { payload: { protocol: "th", field: "dport" } }] },
              data: "@no-endpoint-services",
            },
          },
        ],
        drop: { reason: "SERVICE_BACKEND_NOT_FOUND" },
      },
    ],
  };
  chains.services = {
    name: "services",
    rules: [
      {
        expr: [
          {
            vmap: {
              key: { concat: [daddr, { meta: { key: "l4proto" } }, { payload: { protocol: "th", field: "dport" } }] },
              data: "@service-ips",
            },
          },
        ],
      },
      {
        expr: [
          { match: { op: "==", left: { fib: { result: "type", flags: ["daddr"] } }, right: "local" } },
          {
            vmap: {
              key: { concat: [{ meta: { key: "l4proto" } }, { payload: { protocol: "th", field: "dport" } }] },
              data: "@service-nodeports",
            },
          },
        ],
      },
    ],
  };
  const serviceIps: any[] = [];
  const affinitySets: Record<string, NftSet> = {};
  const nodeports: any[] = [];
  const noEp: any[] = [];
  for (const s of services) {
    const proto = s.protocol ?? "tcp";
    const base0 = `${s.namespace}/${s.name}/${proto}/${s.portName ?? ""}`;
    const svc = "service-" + hashAndTruncate(base0).replace(/^([A-Z0-9]{8})-/, "$1-");
    if (!s.endpoints.length) {
      noEp.push({
        key: { concat: [s.clusterIP, proto, s.port] },
        value: { goto: { target: "reject-chain" } },
        comment: base0,
      });
      continue;
    }
    serviceIps.push({
      key: { concat: [s.clusterIP, proto, s.port] },
      value: { goto: { target: svc } },
      comment: base0,
    });
    if (s.nodePort)
      nodeports.push({ key: { concat: [proto, s.nodePort] }, value: { goto: { target: "external-" + svc.slice(8) } } });
    const eps = [...s.endpoints].sort((a, b) => `${epIp(a)}:${a.port}`.localeCompare(`${epIp(b)}:${b.port}`));
    const epc = eps.map((e) => "endpoint-" + hashAndTruncate(`${base0}__${epIp(e)}/${e.port}`));
    const aff = (i: number) => "affinity-" + epc[i].slice("endpoint-".length);
    chains[svc] = {
      name: svc,
      rules: [
        {
          expr: [
            { match: { op: "==", left: daddr, right: s.clusterIP } },
            { match: { op: "==", left: { payload: { protocol: proto, field: "dport" } }, right: s.port } },
            { match: { op: "!=", left: saddr, right: { prefix: { addr: "10.244.0.0", len: 16 } } } },
            j("mark-for-masquerade"),
          ],
        },
        ...(s.affinity
          ? eps.map(
              (_, i): NftRule => ({
                expr: [{ match: { op: "==", left: saddr, right: "@" + aff(i) } }, { goto: { target: epc[i] } }],
              }),
            )
          : []),
        {
          expr: [
            {
              vmap: {
                key: { numgen: { mode: "random", mod: eps.length, offset: 0 } },
                data: { set: eps.map((_, i) => [i, { goto: { target: epc[i] } }]) },
              },
            },
          ],
        },
      ],
    };
    if (s.affinity)
      eps.forEach(
        (_, i) =>
          (affinitySets[aff(i)] = {
            name: aff(i),
            kind: "set",
            type: "ipv4_addr",
            flags: ["dynamic", "timeout"],
            timeout: s.affinity,
            elem: [],
          }),
      );
    if (s.nodePort)
      chains["external-" + svc.slice(8)] = {
        name: "external-" + svc.slice(8),
        rules: [{ expr: [j("mark-for-masquerade")] }, { expr: [{ goto: { target: svc } }] }],
      };
    eps.forEach((e, i) => {
      chains[epc[i]] = {
        name: epc[i],
        rules: [
          { expr: [{ match: { op: "==", left: saddr, right: epIp(e) } }, j("mark-for-masquerade")] },
          ...(s.affinity
            ? [{ expr: [{ set: { op: "update", elem: saddr, set: "@" + aff(i) } }] } satisfies NftRule]
            : []),
          {
            expr: [
              { match: { op: "==", left: { meta: { key: "l4proto" } }, right: proto } },
              { dnat: { addr: epIp(e), port: e.port } },
            ],
          },
        ],
      };
    });
  }
  const kt = ["ipv4_addr", "inet_proto", "inet_service"];
  return {
    owner: "kube-proxy",
    tables: [
      {
        family: "ip",
        name: "kube-proxy",
        comment: "rules for kube-proxy",
        role: "kube-proxy",
        chains: chains as any,
        sets: {
          "service-ips": { name: "service-ips", kind: "map", type: kt, map: "verdict", elem: serviceIps },
          "service-nodeports": {
            name: "service-nodeports",
            kind: "map",
            type: ["inet_proto", "inet_service"],
            map: "verdict",
            elem: nodeports,
          },
          "no-endpoint-services": { name: "no-endpoint-services", kind: "map", type: kt, map: "verdict", elem: noEp },
          ...affinitySets,
        },
      },
    ],
  };
}
