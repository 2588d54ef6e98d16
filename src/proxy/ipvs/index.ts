// kube-proxy ipvs mode (model only: this kernel has no IPVS). Modelled on
// pkg/proxy/ipvs/proxier.go, kept modest: the kube-ipvs0 dummy link holding every
// Service IP as /32, one virtual server (scheduler rr) per Service IP:port and per
// node-IP:NodePort, real servers = endpoints, and the iptables rules ipvs mode writes.
// Those rules match ipsets (`-m set --match-set KUBE-CLUSTER-IP dst,dst`); the IR has no
// ipset field, so the sets' members are exported as data by `ipvsIpsets()`.

import type { ClusterState, NodeState } from "../../control/state.js";
import type { IpvsVirtualServer, Link } from "../../ir/types.js";
import type { ProxyMode, ProxyOutput } from "../mode.js";
import {
  clusterCIDR,
  clusterEndpointsIn,
  clusterEndpointsOn,
  inZoneLayer,
  localEndpoints,
  nodeZone,
  servicePorts,
  type ProxyEndpoint,
  type ProxyServicePort,
} from "../model.js";
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
  /** bitmap:port — NodePorts; the -LOCAL sets: those of externalTrafficPolicy Local Services. */
  "KUBE-NODE-PORT-TCP": number[];
  "KUBE-NODE-PORT-UDP": number[];
  "KUBE-NODE-PORT-LOCAL-TCP": number[];
  "KUBE-NODE-PORT-LOCAL-UDP": number[];
  /** hash:ip,port — external IPs of Cluster Services; -LOCAL: of Local ones. */
  "KUBE-EXTERNAL-IP": string[];
  "KUBE-EXTERNAL-IP-LOCAL": string[];
  /** hash:ip,port — every LoadBalancer IP; -LOCAL: those of Local Services too. */
  "KUBE-LOAD-BALANCER": string[];
  "KUBE-LOAD-BALANCER-LOCAL": string[];
}

/** The ipsets ipvs mode keeps on `node` (KUBE-LOOP-BACK holds the node's own endpoints). */
export function ipvsIpsets(state: ClusterState, node: NodeState): IpvsIpsets {
  const s = serviceIpsets(servicePorts(state));
  for (const sp of servicePorts(state))
    for (const e of sp.endpoints)
      if (e.nodeName === node.name) s["KUBE-LOOP-BACK"].push(`${e.ip},${sp.protocol}:${e.port},${e.ip}`);
  return s;
}

/**
 * The sets every node holds alike (all but KUBE-LOOP-BACK), filled as syncProxyRules does
 * (pkg/proxy/ipvs/proxier.go): a Local Service's external IPs go to KUBE-EXTERNAL-IP-LOCAL
 * instead of KUBE-EXTERNAL-IP; its LoadBalancer IPs and NodePorts to the -LOCAL sets as well.
 */
function serviceIpsets(sps: ProxyServicePort[]): IpvsIpsets {
  const s: IpvsIpsets = {
    "KUBE-CLUSTER-IP": [],
    "KUBE-LOOP-BACK": [],
    "KUBE-NODE-PORT-TCP": [],
    "KUBE-NODE-PORT-UDP": [],
    "KUBE-NODE-PORT-LOCAL-TCP": [],
    "KUBE-NODE-PORT-LOCAL-UDP": [],
    "KUBE-EXTERNAL-IP": [],
    "KUBE-EXTERNAL-IP-LOCAL": [],
    "KUBE-LOAD-BALANCER": [],
    "KUBE-LOAD-BALANCER-LOCAL": [],
  };
  for (const sp of sps) {
    const pp = `${sp.protocol}:${sp.port.port}`;
    const local = sp.externalLocal;
    s["KUBE-CLUSTER-IP"].push(`${sp.clusterIP},${pp}`);
    for (const ip of sp.externalIPs) s[local ? "KUBE-EXTERNAL-IP-LOCAL" : "KUBE-EXTERNAL-IP"].push(`${ip},${pp}`);
    for (const ip of sp.lbIPs) {
      s["KUBE-LOAD-BALANCER"].push(`${ip},${pp}`);
      if (local) s["KUBE-LOAD-BALANCER-LOCAL"].push(`${ip},${pp}`);
    }
    if (sp.nodePort && (sp.protocol === "tcp" || sp.protocol === "udp")) {
      const p = sp.protocol === "tcp" ? "TCP" : "UDP";
      s[`KUBE-NODE-PORT-${p}`].push(sp.nodePort);
      if (local) s[`KUBE-NODE-PORT-LOCAL-${p}`].push(sp.nodePort);
    }
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

/** The sets' comments, as the rules that match them carry them (pkg/proxy/ipvs/ipset.go). */
const IPSET_COMMENTS: Record<keyof IpvsIpsets, string> = {
  "KUBE-CLUSTER-IP": "Kubernetes service cluster ip + port for masquerade purpose",
  "KUBE-LOOP-BACK": "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose",
  "KUBE-NODE-PORT-TCP": "Kubernetes nodeport TCP port for masquerade purpose",
  "KUBE-NODE-PORT-UDP": "Kubernetes nodeport UDP port for masquerade purpose",
  "KUBE-NODE-PORT-LOCAL-TCP": "Kubernetes nodeport TCP port with externalTrafficPolicy=local",
  "KUBE-NODE-PORT-LOCAL-UDP": "Kubernetes nodeport UDP port with externalTrafficPolicy=local",
  "KUBE-EXTERNAL-IP": "Kubernetes service external ip + port for masquerade and filter purpose",
  "KUBE-EXTERNAL-IP-LOCAL": "Kubernetes service external ip + port with externalTrafficPolicy=local",
  "KUBE-LOAD-BALANCER": "Kubernetes service lb portal",
  "KUBE-LOAD-BALANCER-LOCAL": "Kubernetes service load balancer ip + port with externalTrafficPolicy=local",
};

function sharedIptables(state: ClusterState, sps: ProxyServicePort[]): LayerBuilder {
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
  // writeIptablesRules: first the rules of ipsetWithIptablesChain, in its order, for the
  // sets that have members (the LoadBalancer IPs masqueraded in KUBE-LOAD-BALANCER unless
  // Local; a Local NodePort RETURNs before the NodePorts' masquerade).
  const sets = serviceIpsets(sps);
  const has = (name: keyof IpvsIpsets) => sets[name].length > 0;
  const setRule = (chain: string, name: keyof IpvsIpsets, dirs: string, target: string, protocol?: string) => {
    if (has(name))
      lb.add(
        "nat",
        chain,
        rule([...(protocol ? [o("-p", protocol)] : []), ...comment(IPSET_COMMENTS[name]), ...set(name, dirs)], target),
      );
  };
  setRule("KUBE-SERVICES", "KUBE-LOAD-BALANCER", "dst,dst", "KUBE-LOAD-BALANCER");
  setRule("KUBE-LOAD-BALANCER", "KUBE-LOAD-BALANCER-LOCAL", "dst,dst", "RETURN");
  for (const p of ["tcp", "udp"] as const) {
    const P = p.toUpperCase() as "TCP" | "UDP";
    setRule("KUBE-NODE-PORT", `KUBE-NODE-PORT-LOCAL-${P}`, "dst", "RETURN", p);
    setRule("KUBE-NODE-PORT", `KUBE-NODE-PORT-${P}`, "dst", "KUBE-MARK-MASQ", p);
  }
  // masqueradeAll: every source; else off-cluster ones (the ClusterCIDR local detector);
  // without a detector, traffic from a Service address itself (writeIptablesRules).
  const cidr = clusterCIDR(state);
  const all = state.config.networking.masqueradeAll;
  lb.add(
    "nat",
    "KUBE-SERVICES",
    rule(
      [
        ...comment("Kubernetes service cluster ip + port for masquerade purpose"),
        ...set("KUBE-CLUSTER-IP", !all && cidr === undefined ? "src,dst" : "dst,dst"),
        ...(all || cidr === undefined ? [] : [not("-s", cidr)]),
      ],
      "KUBE-MARK-MASQ",
    ),
  );
  // External IPs: a Cluster Service's are masqueraded; both kinds accepted from off the
  // machine (not bridged, not local) and when the address is local.
  for (const name of ["KUBE-EXTERNAL-IP", "KUBE-EXTERNAL-IP-LOCAL"] as const) {
    if (!has(name)) continue;
    const m = [...comment(IPSET_COMMENTS[name]), ...set(name, "dst,dst")];
    if (name === "KUBE-EXTERNAL-IP") lb.add("nat", "KUBE-SERVICES", rule(m, "KUBE-MARK-MASQ"));
    lb.add(
      "nat",
      "KUBE-SERVICES",
      rule([...m, o("-m", "physdev"), not("--physdev-is-in"), M_ADDRTYPE, not("--src-type", "LOCAL")], "ACCEPT"),
    );
    lb.add("nat", "KUBE-SERVICES", rule([...m, M_ADDRTYPE, DST_LOCAL], "ACCEPT"));
  }
  lb.add("nat", "KUBE-SERVICES", rule([M_ADDRTYPE, DST_LOCAL], "KUBE-NODE-PORT"));
  lb.add("nat", "KUBE-LOAD-BALANCER", rule([], "KUBE-MARK-MASQ"));
  // acceptIPVSTraffic: the Service addresses IPVS takes, at the end of KUBE-SERVICES.
  lb.add("nat", "KUBE-SERVICES", rule(set("KUBE-CLUSTER-IP", "dst,dst"), "ACCEPT"));
  if (has("KUBE-LOAD-BALANCER")) lb.add("nat", "KUBE-SERVICES", rule(set("KUBE-LOAD-BALANCER", "dst,dst"), "ACCEPT"));
  lb.add("filter", "INPUT", rule(comment("kubernetes ipvs access filter"), "KUBE-IPVS-FILTER"));
  lb.add("filter", "FORWARD", rule(comment("kubernetes forwarding rules"), "KUBE-FORWARD"));
  forwardRules(lb);
  return lb;
}

const sharedCache = new WeakMap<ProxyOutput, ProxyServicePort[]>();
const zoneCache = new WeakMap<ProxyOutput, Map<string, IpvsVirtualServer[]>>();

/** The virtual servers of the ports whose endpoints carry zone hints, as `zone`'s nodes have
 *  them (once per zone: a large cluster has thousands of nodes in a few zones). */
function zoneServers(shared: ProxyOutput, sps: ProxyServicePort[], zone: string): IpvsVirtualServer[] {
  let memo = zoneCache.get(shared);
  if (!memo) zoneCache.set(shared, (memo = new Map()));
  let out = memo.get(zone);
  if (out) return out;
  out = [];
  for (const sp of sps) {
    if (!inZoneLayer(sp)) continue;
    const cluster = clusterEndpointsIn(sp, zone);
    if (!sp.internalLocal) out.push(vs(sp, sp.clusterIP, sp.port.port, cluster));
    if (!sp.externalLocal) {
      for (const ip of sp.externalIPs) out.push(vs(sp, ip, sp.port.port, cluster));
      for (const ip of sp.lbIPs) out.push(vs(sp, ip, sp.port.port, cluster));
    }
  }
  memo.set(zone, out);
  return out;
}

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
      // Zone or node hints: the real servers depend on the node's zone or the node (perNode).
      if (sp.hinted) continue;
      if (!sp.internalLocal) ipvs.push(vs(sp, sp.clusterIP, sp.port.port, sp.clusterEndpoints));
      if (!sp.externalLocal) {
        for (const ip of sp.externalIPs) ipvs.push(vs(sp, ip, sp.port.port, sp.clusterEndpoints));
        for (const ip of sp.lbIPs) ipvs.push(vs(sp, ip, sp.port.port, sp.clusterEndpoints));
      }
    }
    const out: ProxyOutput = {
      iptables: sharedIptables(state, sps).layer,
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
    const zone = nodeZone(node);
    ipvs.push(...zoneServers(shared, sps, zone));
    for (const sp of sps) {
      const local = localEndpoints(sp, node.name).eps;
      const cluster = clusterEndpointsOn(sp, node.name, zone);
      if (sp.nodeHinted) {
        // Node hints: the node's own real servers, as zoneServers gives a zone's.
        if (!sp.internalLocal) ipvs.push(vs(sp, sp.clusterIP, sp.port.port, cluster));
        if (!sp.externalLocal) {
          for (const ip of sp.externalIPs) ipvs.push(vs(sp, ip, sp.port.port, cluster));
          for (const ip of sp.lbIPs) ipvs.push(vs(sp, ip, sp.port.port, cluster));
        }
      }
      if (sp.hasEndpoints && sp.internalLocal) ipvs.push(vs(sp, sp.clusterIP, sp.port.port, local));
      const ext = sp.externalLocal ? local : cluster;
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
