// The `networking` section of the cluster config: subnets, CNI and backend, kube-proxy mode,
// the scalars. Read by parseConfig (config.ts).

import { type Mapping, childPath, isInt, isObj } from "./diag.js";
import { dns1123Subdomain } from "./names.js";
import { type Cidr, cidrOverlaps, intToIp, parseCidr4 } from "../net/ipv4.js";
import { parseCidrAny } from "./net.js";
import {
  type Backend,
  DEFAULT_BACKEND,
  BACKENDS,
  parsePortRange,
  type ConfigParse,
  type SubnetKey,
  type Subnets,
} from "./config-defaults.js";

const NETWORKING_FIELDS = [
  "podSubnet",
  "serviceSubnet",
  "nodeSubnet",
  "nodeCIDRMaskSize",
  "dnsDomain",
  "cni",
  "backend",
  "kubeProxyMode",
  "nodePortRange",
  "loadBalancerSubnet",
  "ipBlockMatchesPods",
  "mtu",
  "calicoBlockSize",
  "ciliumIPAM",
  "calicoCrossSubnet",
  "masqueradeAll",
  "kubeProxyClusterCIDR",
];

/** The `networking` section; returns the subnets it holds (given or default) for the later sections. */
/**
 * Whether pods take addresses from the node network (the pod range overlaps the nodes'): the
 * Amazon VPC CNI's and Azure CNI's layout, which podnet does not model. Only a config read
 * from a dump can be so; a given one is refused below.
 */
export function podsOnNodeNetwork(net: { podSubnet: string; nodeSubnet: string }): boolean {
  const pods = parseCidr4(net.podSubnet);
  const nodes = parseCidr4(net.nodeSubnet);
  return !!pods && !!nodes && cidrOverlaps(pods, nodes);
}

export function parseNetworking(c: ConfigParse): Subnets {
  const n = c.raw.networking;
  if (n !== undefined && !isObj(n)) c.err("networking", n, "must be a mapping");
  const nn = isObj(n) ? n : {};
  for (const k of Object.keys(nn)) if (!NETWORKING_FIELDS.includes(k)) c.unknown(childPath("networking", k));
  const subnets = parseSubnets(c, nn);
  parseNodeCidrMask(c, nn, subnets);
  parseNetworkChoices(c, nn);
  parseNetworkScalars(c, nn, subnets);
  return subnets;
}

/** A CIDR field: IPv4, the network address itself. */
function strictCidr(c: ConfigParse, field: string, v: unknown): Cidr | undefined {
  if (typeof v !== "string") {
    c.err(field, v, "must be a CIDR string like 10.244.0.0/16");
    return undefined;
  }
  const r = parseCidrAny(v);
  if (!r.ok) {
    c.err(field, v, "is not a valid CIDR");
    return undefined;
  }
  if (r.family === 6) {
    c.err(field, v, "IPv6 is not supported (podnet models single-stack IPv4 clusters)");
    return undefined;
  }
  if (r.hostBitsSet) {
    c.err(field, v, `has host bits set (the network address is ${intToIp(r.cidr.first)}/${r.prefix})`);
    return undefined;
  }
  return r.cidr;
}

/** The four subnets, disjoint, and a serviceSubnet of a size kube-apiserver accepts. */
function parseSubnets(c: ConfigParse, nn: Mapping): Subnets {
  const net = c.cfg.networking;
  const cidrs: Subnets = {};
  for (const key of ["podSubnet", "serviceSubnet", "nodeSubnet", "loadBalancerSubnet"] as const) {
    const field = `networking.${key}`;
    if (nn[key] !== undefined) {
      const r = strictCidr(c, field, nn[key]);
      if (r) {
        cidrs[key] = r;
        net[key] = nn[key] as string;
      }
    } else if (key !== "loadBalancerSubnet") {
      cidrs[key] = parseCidr4(net[key] as string);
    }
  }
  // The three ranges must be disjoint, or a packet's destination is ambiguous.
  const pairs: [SubnetKey, SubnetKey][] = [
    ["podSubnet", "serviceSubnet"],
    ["podSubnet", "nodeSubnet"],
    ["serviceSubnet", "nodeSubnet"],
    ["podSubnet", "loadBalancerSubnet"],
    ["serviceSubnet", "loadBalancerSubnet"],
  ];
  // Cilium's cluster-pool hands out node ranges from the bottom of its pool: its default,
  // 10.0.0.0/8, holds kubeadm's Service range 10.96.0.0/12, and clusters run so
  // (https://docs.cilium.io/en/stable/network/concepts/ipam/cluster-pool/).
  const pool = nn.cni === "cilium" && nn.ciliumIPAM === "cluster-pool";
  for (const [a, b] of pairs) {
    const ca = cidrs[a];
    const cb = cidrs[b];
    if (pool && a === "podSubnet" && b === "serviceSubnet") continue;
    if (ca && cb && cidrOverlaps(ca, cb)) {
      // Report on the field the user wrote last in the pair (or the one given).
      const field = nn[b] !== undefined ? b : a;
      const other = field === b ? a : b;
      c.err(`networking.${field}`, net[field], `overlaps networking.${other} ${net[other]}`);
    }
  }
  if (cidrs.serviceSubnet) {
    const p = cidrs.serviceSubnet.prefix;
    // kube-apiserver: "specified --service-cluster-ip-range is too large; for 32-bit addresses, the mask must be >= 12"
    if (p < 12)
      c.err(
        "networking.serviceSubnet",
        net.serviceSubnet,
        "is too large; for 32-bit addresses, the mask must be >= 12",
      );
    // kube-dns takes the 10th address of the range.
    else if (p > 28)
      c.err(
        "networking.serviceSubnet",
        net.serviceSubnet,
        "is too small: it must hold the kube-dns address (the 10th), so the mask must be <= 28",
      );
  }
  return cidrs;
}

function parseNodeCidrMask(c: ConfigParse, nn: Mapping, cidrs: Subnets): void {
  const net = c.cfg.networking;
  if (nn.nodeCIDRMaskSize !== undefined) {
    const v = nn.nodeCIDRMaskSize;
    if (!isInt(v) || v < 0 || v > 32) c.err("networking.nodeCIDRMaskSize", v, "must be an integer between 0 and 32");
    else net.nodeCIDRMaskSize = v;
  }
  if (cidrs.podSubnet && isInt(net.nodeCIDRMaskSize)) {
    const m = net.nodeCIDRMaskSize;
    const p = cidrs.podSubnet.prefix;
    const f = "networking.nodeCIDRMaskSize";
    // kube-controller-manager's cidrset: the node mask must lie inside the cluster CIDR and
    // may be at most 16 bits longer; host-local needs the gateway plus pod addresses.
    if (m < p) c.err(f, m, `does not fit the pod subnet ${net.podSubnet} (must be >= ${p})`);
    else if (m - p > 16)
      c.err(f, m, `is more than 16 bits longer than the pod subnet ${net.podSubnet} prefix (must be <= ${p + 16})`);
    else if (m > 30) c.err(f, m, "leaves no room for pods (must be <= 30)");
  }
}

/** dnsDomain, cni, backend (defaulted per CNI), kubeProxyMode. */
function parseNetworkChoices(c: ConfigParse, nn: Mapping): void {
  const net = c.cfg.networking;
  if (nn.dnsDomain !== undefined) {
    const v = nn.dnsDomain;
    const e = typeof v === "string" ? dns1123Subdomain(v) : "must be a string";
    if (e) c.err("networking.dnsDomain", v, e);
    else net.dnsDomain = v as string;
  }
  if (nn.cni !== undefined) {
    if (nn.cni === "flannel" || nn.cni === "calico" || nn.cni === "cilium") net.cni = nn.cni;
    else c.err("networking.cni", nn.cni, "must be one of flannel, calico, cilium");
  }
  net.backend = DEFAULT_BACKEND[net.cni];
  if (nn.backend !== undefined) {
    const ok = BACKENDS[net.cni];
    if (typeof nn.backend === "string" && (ok as string[]).includes(nn.backend)) net.backend = nn.backend as Backend;
    else c.err("networking.backend", nn.backend, `is not a ${net.cni} backend (must be one of ${ok.join(", ")})`);
  }
  if (nn.kubeProxyMode !== undefined) {
    const v = nn.kubeProxyMode;
    if (v === "iptables" || v === "nftables" || v === "ipvs" || v === "none") net.kubeProxyMode = v;
    else c.err("networking.kubeProxyMode", v, "must be one of iptables, nftables, ipvs, none");
  } else if (net.cni === "cilium") {
    // Cilium as its kube-proxy-free guide installs it: no kube-proxy, Services in eBPF
    // (https://docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/; the chart's own
    // kubeProxyReplacement default is "false", which a dump's cilium-config shows).
    net.kubeProxyMode = "none";
  }
}

/** nodePortRange, the booleans, mtu, calicoBlockSize, ciliumIPAM. */
function parseNetworkScalars(c: ConfigParse, nn: Mapping, cidrs: Subnets): void {
  const net = c.cfg.networking;
  if (nn.nodePortRange !== undefined) {
    const r = parsePortRange(nn.nodePortRange);
    if (!r) c.err("networking.nodePortRange", nn.nodePortRange, 'is not a port range like "30000-32767"');
    else if (r[0] < 1 || r[1] > 65535 || r[0] > r[1])
      c.err("networking.nodePortRange", nn.nodePortRange, "must lie within 1-65535 with the first port <= the last");
    else net.nodePortRange = r;
  }
  const bool = (key: "ipBlockMatchesPods" | "masqueradeAll" | "calicoCrossSubnet") => {
    if (nn[key] === undefined) return;
    if (typeof nn[key] === "boolean") net[key] = nn[key] as boolean;
    else c.err(`networking.${key}`, nn[key], "must be true or false");
  };
  bool("ipBlockMatchesPods");
  bool("masqueradeAll");
  bool("calicoCrossSubnet");
  if (nn.kubeProxyClusterCIDR !== undefined) {
    const v = nn.kubeProxyClusterCIDR;
    if (v === "") net.kubeProxyClusterCIDR = "";
    else {
      const c4 = typeof v === "string" ? parseCidr4(v) : undefined;
      if (!c4) c.err("networking.kubeProxyClusterCIDR", v, 'must be an IPv4 CIDR, or "" for none');
      else net.kubeProxyClusterCIDR = `${intToIp(c4.base)}/${c4.prefix}`;
    }
  }
  if (nn.mtu !== undefined) {
    const v = nn.mtu;
    if (!isInt(v) || v < 68 || v > 65535) c.err("networking.mtu", v, "must be an integer between 68 and 65535");
    else net.mtu = v;
  }
  if (nn.calicoBlockSize !== undefined) {
    const v = nn.calicoBlockSize;
    // Calico's IPPool: IPv4 blockSize 20-32, and the block must fit the pool.
    if (!isInt(v) || v < 20 || v > 32) c.err("networking.calicoBlockSize", v, "must be an integer between 20 and 32");
    else if (cidrs.podSubnet && v < cidrs.podSubnet.prefix)
      c.err(
        "networking.calicoBlockSize",
        v,
        `does not fit the pod subnet ${net.podSubnet} (must be >= ${cidrs.podSubnet.prefix})`,
      );
    else net.calicoBlockSize = v;
  }
  if (nn.ciliumIPAM !== undefined) {
    const v = nn.ciliumIPAM;
    if (v === "kubernetes" || v === "cluster-pool") net.ciliumIPAM = v;
    else c.err("networking.ciliumIPAM", v, "must be one of kubernetes, cluster-pool");
  }
}
