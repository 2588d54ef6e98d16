// kube-proxy ipvs mode (model only: this kernel has no IPVS). Modelled on
// pkg/proxy/ipvs/proxier.go, kept modest: the kube-ipvs0 dummy link holding every
// Service IP as /32, one virtual server (scheduler rr) per Service IP:port and per
// node-IP:NodePort, real servers = endpoints, and the iptables rules ipvs mode writes.
// Those rules match ipsets (`-m set --match-set KUBE-CLUSTER-IP dst,dst`); the IR has no
// ipset field, so the sets' members are exported as data by `ipvsIpsets()`.

import type { ClusterState, NodeState } from "../../control/state.js";
import type { IpvsVirtualServer, Link } from "../../ir/types.js";
import type { ProxyMode, ProxyOutput } from "../mode.js";
import { clusterCIDR, localEndpoints, servicePorts, type ProxyEndpoint, type ProxyServicePort } from "../model.js";
import { MASQ_MARK } from "../iptables/index.js";
import { forwardRules } from "../iptables/shared.js";
import { LayerBuilder, M_ADDRTYPE, M_MARK, DST_LOCAL, comment, not, o, rule } from "../iptables/rules.js";

const proto = (sp: ProxyServicePort) => sp.port.protocol;

function vs(sp: ProxyServicePort, address: string, port: number, eps: ProxyEndpoint[]): IpvsVirtualServer {
  const v: IpvsVirtualServer = {
    protocol: proto(sp),
    address,
    port,
    scheduler: "rr",
    reals: eps.map((e) => ({ address: e.ip, port: e.port, weight: 1 })),
    service: sp.name,
  };
  if (sp.affinity) v.persistenceTimeout = sp.affinityTimeout;
  return v;
}

export interface IpvsIpsets {
  /** hash:ip,port — every cluster IP,proto:port. */
  "KUBE-CLUSTER-IP": string[];
  /** hash:ip,port,ip — endpoint,proto:port,endpoint for hairpin masquerade (per node: local endpoints). */
  "KUBE-LOOP-BACK": string[];
  /** bitmap:port — NodePorts. */
  "KUBE-NODE-PORT-TCP": number[];
  "KUBE-NODE-PORT-UDP": number[];
  "KUBE-EXTERNAL-IP": string[];
  "KUBE-LOAD-BALANCER": string[];
}

/** The ipsets ipvs mode keeps on `node` (KUBE-LOOP-BACK holds the node's own endpoints). */
export function ipvsIpsets(state: ClusterState, node: NodeState): IpvsIpsets {
  const s: IpvsIpsets = {
    "KUBE-CLUSTER-IP": [],
    "KUBE-LOOP-BACK": [],
    "KUBE-NODE-PORT-TCP": [],
    "KUBE-NODE-PORT-UDP": [],
    "KUBE-EXTERNAL-IP": [],
    "KUBE-LOAD-BALANCER": [],
  };
  for (const sp of servicePorts(state)) {
    const pp = `${sp.protocol}:${sp.port.port}`;
    s["KUBE-CLUSTER-IP"].push(`${sp.clusterIP},${pp}`);
    for (const ip of sp.externalIPs) s["KUBE-EXTERNAL-IP"].push(`${ip},${pp}`);
    for (const ip of sp.lbIPs) s["KUBE-LOAD-BALANCER"].push(`${ip},${pp}`);
    if (sp.nodePort && sp.protocol === "tcp") s["KUBE-NODE-PORT-TCP"].push(sp.nodePort);
    if (sp.nodePort && sp.protocol === "udp") s["KUBE-NODE-PORT-UDP"].push(sp.nodePort);
    for (const e of sp.endpoints)
      if (e.nodeName === node.name) s["KUBE-LOOP-BACK"].push(`${e.ip},${sp.protocol}:${e.port},${e.ip}`);
  }
  return s;
}

function serviceIPs(sps: ProxyServicePort[]): string[] {
  const seen = new Set<string>();
  for (const sp of sps) {
    seen.add(sp.clusterIP);
    for (const ip of sp.externalIPs) seen.add(ip);
    for (const ip of sp.lbIPs) seen.add(ip);
  }
  return [...seen];
}

function sharedIptables(state: ClusterState): LayerBuilder {
  const lb = new LayerBuilder("kube-proxy");
  for (const c of ["KUBE-SERVICES", "KUBE-POSTROUTING", "KUBE-NODE-PORT", "KUBE-LOAD-BALANCER", "KUBE-MARK-MASQ"])
    lb.chain("nat", c);
  for (const c of [
    "KUBE-FORWARD",
    "KUBE-NODE-PORT",
    "KUBE-PROXY-FIREWALL",
    "KUBE-SOURCE-RANGES-FIREWALL",
    "KUBE-IPVS-FILTER",
  ])
    lb.chain("filter", c);
  lb.add("nat", "PREROUTING", rule(comment("kubernetes service portals"), "KUBE-SERVICES"));
  lb.add("nat", "OUTPUT", rule(comment("kubernetes service portals"), "KUBE-SERVICES"));
  lb.add("nat", "POSTROUTING", rule(comment("kubernetes postrouting rules"), "KUBE-POSTROUTING"));
  lb.add("nat", "KUBE-MARK-MASQ", rule([], "MARK", [o("--or-mark", MASQ_MARK)]));
  const set = (name: string, dirs: string) => [o("-m", "set"), o("--match-set", name, dirs)];
  lb.add(
    "nat",
    "KUBE-POSTROUTING",
    rule(
      [
        ...comment("Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose"),
        ...set("KUBE-LOOP-BACK", "dst,dst,src"),
      ],
      "MASQUERADE",
    ),
  );
  lb.add("nat", "KUBE-POSTROUTING", rule([M_MARK, not("--mark", `${MASQ_MARK}/${MASQ_MARK}`)], "RETURN"));
  lb.add("nat", "KUBE-POSTROUTING", rule([], "MARK", [o("--xor-mark", MASQ_MARK)]));
  lb.add(
    "nat",
    "KUBE-POSTROUTING",
    rule(comment("kubernetes service traffic requiring SNAT"), "MASQUERADE", [o("--random-fully")]),
  );
  lb.add(
    "nat",
    "KUBE-SERVICES",
    rule(
      [
        ...comment("Kubernetes service cluster ip + port for masquerade purpose"),
        ...set("KUBE-CLUSTER-IP", "dst,dst"),
        not("-s", clusterCIDR(state)),
      ],
      "KUBE-MARK-MASQ",
    ),
  );
  lb.add("nat", "KUBE-SERVICES", rule([M_ADDRTYPE, DST_LOCAL], "KUBE-NODE-PORT"));
  lb.add("nat", "KUBE-SERVICES", rule(set("KUBE-CLUSTER-IP", "dst,dst"), "ACCEPT"));
  lb.add(
    "nat",
    "KUBE-NODE-PORT",
    rule(
      [
        o("-p", "tcp"),
        ...comment("Kubernetes nodeport TCP port for masquerade purpose"),
        ...set("KUBE-NODE-PORT-TCP", "dst"),
      ],
      "KUBE-MARK-MASQ",
    ),
  );
  lb.add("filter", "INPUT", rule(comment("kubernetes ipvs access filter"), "KUBE-IPVS-FILTER"));
  lb.add("filter", "FORWARD", rule(comment("kubernetes forwarding rules"), "KUBE-FORWARD"));
  forwardRules(lb);
  return lb;
}

const sharedCache = new WeakMap<ProxyOutput, ProxyServicePort[]>();

export const ipvsMode: ProxyMode = {
  name: "ipvs",
  netfilter: "iptables",
  // proxier.go syncs the NodePort/external virtual servers with syncEndpoint(…,
  // svcInfo.ExternalPolicyLocal(), …): local real servers only, whatever the source.
  externalLocalBypass: false,
  shared(state) {
    const sps = servicePorts(state);
    const link: Link = { name: "kube-ipvs0", kind: "dummy", mtu: 1500, mac: "de:ad:be:ef:00:01", up: false };
    const ipvs: IpvsVirtualServer[] = [];
    for (const sp of sps) {
      if (!sp.hasEndpoints && sp.clusterEndpoints.length === 0) {
        ipvs.push(vs(sp, sp.clusterIP, sp.port.port, []));
        continue;
      }
      if (!sp.internalLocal) ipvs.push(vs(sp, sp.clusterIP, sp.port.port, sp.clusterEndpoints));
      if (!sp.externalLocal) {
        for (const ip of sp.externalIPs) ipvs.push(vs(sp, ip, sp.port.port, sp.clusterEndpoints));
        for (const ip of sp.lbIPs) ipvs.push(vs(sp, ip, sp.port.port, sp.clusterEndpoints));
      }
    }
    const out: ProxyOutput = {
      iptables: sharedIptables(state).layer,
      ipvs,
      links: [link],
      addresses: serviceIPs(sps).map((ip) => ({ dev: "kube-ipvs0", cidr: ip + "/32" })),
      // strictARP (KubeProxyIPVSConfiguration, pkg/proxy/ipvs/proxier.go): without it every
      // node answers ARP for the Service IPs on kube-ipvs0; MetalLB's layer 2 mode requires it.
      sysctls: { "net.ipv4.conf.all.arp_ignore": "1", "net.ipv4.conf.all.arp_announce": "2" },
    };
    sharedCache.set(out, sps);
    return out;
  },
  perNode(state, node, shared) {
    const sps = sharedCache.get(shared) ?? servicePorts(state);
    const ipvs: IpvsVirtualServer[] = [];
    for (const sp of sps) {
      const local = localEndpoints(sp, node.name).eps;
      if (sp.hasEndpoints && sp.internalLocal) ipvs.push(vs(sp, sp.clusterIP, sp.port.port, local));
      const ext = sp.externalLocal ? local : sp.clusterEndpoints;
      if (sp.hasEndpoints && sp.externalLocal) {
        for (const ip of sp.externalIPs) ipvs.push(vs(sp, ip, sp.port.port, ext));
        for (const ip of sp.lbIPs) ipvs.push(vs(sp, ip, sp.port.port, ext));
      }
      if (sp.nodePort) ipvs.push(vs(sp, node.address, sp.nodePort, ext));
    }
    // NodeNet.ipvs takes the node's list when given: the shared servers (same objects) + the node's.
    return { ipvs: [...(shared.ipvs ?? []), ...ipvs] };
  },
};
