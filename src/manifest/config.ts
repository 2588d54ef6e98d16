// The cluster config (modelled on kind's `kind: Cluster` file) and its defaults.

import type { SourceRef } from "./types.js";
import { Diags, type Mapping, NO_VALUE, childPath, indexPath, isInt, isObj, keyPath, objectLabel } from "./diag.js";
import { SpecError } from "./errors.js";
import { type Fault, formatFault, parseFault } from "./faults.js";
import { dns1123Label, dns1123Subdomain, labelValue, qualifiedName } from "./names.js";
import { type Cidr, cidrContains, cidrOverlaps, intToIp, parseCidr4, parseIPv4 } from "../net/ipv4.js";
import { isIP, parseCidrAny, parseIPv6 } from "./net.js";
import { parseQuantity } from "./quantity.js";

export type CniName = "flannel" | "calico" | "cilium";
export type Backend = "vxlan" | "host-gw" | "bgp" | "ipip" | "native" | "geneve";
export type ProxyModeName = "iptables" | "nftables" | "ipvs" | "none";

export interface NodeConfig {
  name: string;
  role: "control-plane" | "worker";
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute" }[];
  /** Underlay address; assigned from networking.nodeSubnet when not given. */
  address?: string;
  maxPods: number;
  /** CPU and memory quantities ("8", "16Gi"); allocatable defaults to capacity, as on kind
   *  (kubelet reserves nothing there; allocatable = the host's CPUs and memory). */
  capacity?: { cpu: string; memory: string };
  allocatable?: { cpu: string; memory: string };
}

/** A kind node's resources on a typical workstation (kind reports the host's). */
export const DEFAULT_NODE_CAPACITY = { cpu: "8", memory: "16Gi" };

export interface ClusterConfig {
  apiVersion: "podnet.dev/v1alpha1";
  kind: "Cluster";
  name: string;
  nodes: NodeConfig[];
  networking: {
    podSubnet: string; // 10.244.0.0/16
    serviceSubnet: string; // 10.96.0.0/12
    nodeSubnet: string; // 192.168.1.0/24
    nodeCIDRMaskSize: number; // 24
    dnsDomain: string; // cluster.local
    cni: CniName;
    backend: Backend;
    kubeProxyMode: ProxyModeName;
    nodePortRange: [number, number]; // 30000-32767
    /** Like MetalLB's address pool; LoadBalancer Services stay <pending> without it. */
    loadBalancerSubnet?: string;
    /** Whether NetworkPolicy ipBlocks also match pod IPs (Calico: yes). */
    ipBlockMatchesPods: boolean;
    /** Underlay MTU (eth0 of every node). */
    mtu: number;
    /** Calico IPAM block size (/26). */
    calicoBlockSize: number;
    /** kube-proxy's --masquerade-all. */
    masqueradeAll: boolean;
  };
  /** Records for names outside the cluster (used when no --upstream is given). */
  externalDNS: { name: string; type: "A" | "AAAA" | "CNAME" | "TXT"; value: string }[];
  /** The node's own resolv.conf (what dnsPolicy Default copies; host search domains). */
  hostDNS: { nameservers: string[]; searches: string[]; options: string[] };
  /** CoreDNS settings (kubeadm's Corefile). */
  dns: { pods: "insecure" | "verified" | "disabled"; ttl: number; replicas: number };
  /** Named faults this cluster has (faults.ts): a broken cluster described in a file. */
  faults: Fault[];
  /** The ingress controller podnet adds when the input has Ingresses and no controller
   *  (ingressSettings() gives the defaults when a hand-made config leaves it out). */
  ingress?: IngressSettings;
  source?: SourceRef;
  /** The nodes are kind's defaults (the config lists none): a live cluster's dump brings its own. */
  defaultNodes?: boolean;
}

/** `ingress:` whether podnet adds ingress-nginx, and the type of its Service. */
export interface IngressSettings {
  controller: boolean;
  /** Unset: LoadBalancer when networking.loadBalancerSubnet is set, else NodePort (as the
   *  ingress-nginx "cloud" and "baremetal" manifests choose). */
  serviceType?: "LoadBalancer" | "NodePort";
}

/** The ingress settings with their defaults filled in. */
export function ingressSettings(config: ClusterConfig): Required<IngressSettings> {
  const s = config.ingress ?? { controller: true };
  const serviceType = s.serviceType ?? (config.networking.loadBalancerSubnet ? "LoadBalancer" : "NodePort");
  return { controller: s.controller, serviceType };
}

// ---------------------------------------------------------------------------
// Defaults and parsing of the `kind: Cluster` document.
//
// Defaults (Kubernetes / kubeadm / kind):
//   name "kind" (kind's default cluster name); with no `nodes`, one control-plane and two
//   workers named as kind names them: kind-control-plane, kind-worker, kind-worker2.
//   Nodes given without a name get the same kind-style names from the cluster name.
//   podSubnet 10.244.0.0/16 (kind/flannel), serviceSubnet 10.96.0.0/12 (kubeadm),
//   nodeSubnet 192.168.1.0/24 (the seeds' LAN), nodeCIDRMaskSize 24, dnsDomain cluster.local,
//   cni flannel, backend per CNI (flannel vxlan, calico bgp, cilium vxlan), kubeProxyMode
//   iptables (cilium: none, its kube-proxy replacement), nodePortRange 30000-32767, ipBlockMatchesPods true, mtu 1500,
//   calicoBlockSize 26, masqueradeAll false, dns {pods insecure, ttl 30, replicas 2}
//   (kubeadm's Corefile and CoreDNS Deployment), hostDNS nameserver = first host address
//   of nodeSubnet (192.168.1.1, the LAN's router), externalDNS [], ingress {controller: true}
//   (ingress-nginx added when the input has Ingresses and no controller; its Service a
//   LoadBalancer with loadBalancerSubnet, else NodePort).
//   Every node: capacity = allocatable {cpu: "8", memory: "16Gi"} (kind reports the host's
//   and reserves nothing; here a typical workstation, settable per node), maxPods 110,
//   labels kubernetes.io/hostname=<name>, kubernetes.io/os=linux,
//   kubernetes.io/arch=amd64. Control-plane nodes also get node-role.kubernetes.io/control-plane=""
//   and node.kubernetes.io/exclude-from-external-load-balancers="" (kubeadm) and, unless
//   `taints` is given, the taint node-role.kubernetes.io/control-plane:NoSchedule.
// Unknown fields are errors (kind decodes its config strictly); a kind config
// (apiVersion kind.x-k8s.io/v1alpha4) is accepted too, its other fields ignored with a warning.

export const CONFIG_API_VERSION = "podnet.dev/v1alpha1";
export const KIND_CONFIG_API_VERSION = "kind.x-k8s.io/v1alpha4";

export const DEFAULT_BACKEND: Record<CniName, Backend> = { flannel: "vxlan", calico: "bgp", cilium: "vxlan" };
export const BACKENDS: Record<CniName, Backend[]> = {
  flannel: ["vxlan", "host-gw"],
  calico: ["bgp", "ipip", "vxlan"],
  cilium: ["vxlan", "geneve", "native"],
};
export const CONTROL_PLANE_TAINT = { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" as const };

/** kind's node names: <cluster>-control-plane, <cluster>-control-plane2, <cluster>-worker, <cluster>-worker2 … */
export function kindNodeName(cluster: string, role: "control-plane" | "worker", ordinal: number): string {
  return `${cluster}-${role}${ordinal > 1 ? ordinal : ""}`;
}

function nodeDefaults(name: string, role: "control-plane" | "worker"): NodeConfig {
  const labels: Record<string, string> = {
    "kubernetes.io/arch": "amd64",
    "kubernetes.io/hostname": name,
    "kubernetes.io/os": "linux",
  };
  if (role === "control-plane") {
    labels["node-role.kubernetes.io/control-plane"] = "";
    labels["node.kubernetes.io/exclude-from-external-load-balancers"] = "";
  }
  return {
    name,
    role,
    labels,
    taints: role === "control-plane" ? [{ ...CONTROL_PLANE_TAINT }] : [],
    maxPods: 110,
    capacity: { ...DEFAULT_NODE_CAPACITY },
    allocatable: { ...DEFAULT_NODE_CAPACITY },
  };
}

export function defaultConfig(): ClusterConfig {
  const name = "kind";
  return {
    apiVersion: CONFIG_API_VERSION,
    kind: "Cluster",
    name,
    nodes: [
      nodeDefaults(kindNodeName(name, "control-plane", 1), "control-plane"),
      nodeDefaults(kindNodeName(name, "worker", 1), "worker"),
      nodeDefaults(kindNodeName(name, "worker", 2), "worker"),
    ],
    networking: {
      podSubnet: "10.244.0.0/16",
      serviceSubnet: "10.96.0.0/12",
      nodeSubnet: "192.168.1.0/24",
      nodeCIDRMaskSize: 24,
      dnsDomain: "cluster.local",
      cni: "flannel",
      backend: "vxlan",
      kubeProxyMode: "iptables",
      nodePortRange: [30000, 32767],
      ipBlockMatchesPods: true,
      mtu: 1500,
      calicoBlockSize: 26,
      masqueradeAll: false,
    },
    externalDNS: [],
    hostDNS: { nameservers: ["192.168.1.1"], searches: [], options: [] },
    dns: { pods: "insecure", ttl: 30, replicas: 2 },
    faults: [],
    ingress: { controller: true },
  };
}

/** Parses "30000-32767", "30000+2767", "30000" or [30000, 32767] like kube-apiserver's PortRange. */
export function parsePortRange(v: unknown): [number, number] | undefined {
  if (Array.isArray(v) && v.length === 2 && isInt(v[0]) && isInt(v[1])) return [v[0], v[1]];
  if (isInt(v)) return [v, v];
  if (typeof v !== "string") return undefined;
  let m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(v);
  if (m) return [Number(m[1]), Number(m[2])];
  m = /^\s*(\d+)\s*\+\s*(\d+)\s*$/.exec(v);
  if (m) return [Number(m[1]), Number(m[1]) + Number(m[2])];
  m = /^\s*(\d+)\s*$/.exec(v);
  if (m) return [Number(m[1]), Number(m[1])];
  return undefined;
}

/** What the section parsers of one `kind: Cluster` document share. */
interface ConfigParse {
  cfg: ClusterConfig;
  raw: Mapping;
  err: (field: string, value: unknown, text: string) => void;
  /** An unknown field: an error, or a warning in a kind config. */
  unknown: (field: string) => void;
}

type SubnetKey = "podSubnet" | "serviceSubnet" | "nodeSubnet" | "loadBalancerSubnet";
type Subnets = Partial<Record<SubnetKey, Cidr>>;

/**
 * Reads a `kind: Cluster` document (already decoded to plain data). Diagnostics go to
 * `diags` when given; otherwise any error throws one SpecError.
 */
export function parseConfig(doc: unknown, source?: SourceRef, diags?: Diags): ClusterConfig {
  const own = diags ?? new Diags();
  const cfg = defaultConfig();
  if (source) cfg.source = source;
  const raw = isObj(doc) ? doc : {};
  const w = { source, object: objectLabel("Cluster", undefined, raw.name, source?.docIndex) };
  const err = (field: string, value: unknown, text: string) => own.error(w, field, value, text);
  const isKind = raw.apiVersion === KIND_CONFIG_API_VERSION;
  const unknown = (field: string) =>
    isKind ? own.warn(w, field, NO_VALUE, "is not used by podnet (ignored)") : err(field, NO_VALUE, "unknown field");
  const c: ConfigParse = { cfg, raw, err, unknown };

  if (!isObj(doc)) err("", doc, "the cluster config must be a mapping");
  parseHeader(c, isKind);
  // networking first: node addresses are checked against nodeSubnet.
  const subnets = parseNetworking(c);
  parseNodes(c, subnets.nodeSubnet);
  parseHostDns(c, subnets.nodeSubnet);
  parseDnsSection(c);
  parseExternalDns(c);
  parseFaults(c);
  parseIngress(c);

  if (!diags && own.errors.length > 0) throw new SpecError(own.errors);
  return cfg;
}

const TOP_FIELDS = [
  "apiVersion",
  "kind",
  "name",
  "nodes",
  "networking",
  "externalDNS",
  "hostDNS",
  "dns",
  "faults",
  "ingress",
];

/** `ingress: {controller: true|false, serviceType: LoadBalancer|NodePort}`. */
function parseIngress({ cfg, raw, err, unknown }: ConfigParse): void {
  const v = raw.ingress;
  if (v === undefined || v === null) return;
  if (!isObj(v)) return err("ingress", v, "must be a mapping like {controller: true, serviceType: NodePort}");
  for (const k of Object.keys(v)) if (k !== "controller" && k !== "serviceType") unknown(childPath("ingress", k));
  const s: IngressSettings = { controller: true };
  if (v.controller !== undefined) {
    if (typeof v.controller === "boolean") s.controller = v.controller;
    else err("ingress.controller", v.controller, "must be true or false");
  }
  if (v.serviceType !== undefined) {
    if (v.serviceType === "LoadBalancer" || v.serviceType === "NodePort") s.serviceType = v.serviceType;
    else err("ingress.serviceType", v.serviceType, "must be one of LoadBalancer, NodePort");
  }
  cfg.ingress = s;
}

/** `faults:` a list of faults as the CLI writes them ("kube-proxy-down worker-1"). */
function parseFaults({ cfg, raw, err }: ConfigParse): void {
  if (raw.faults === undefined || raw.faults === null) return;
  if (!Array.isArray(raw.faults)) return err("faults", raw.faults, "must be a list");
  raw.faults.forEach((v: unknown, i: number) => {
    const f = typeof v === "string" ? parseFault(v) : "must be a string (NAME ARG…)";
    if (typeof f === "string") err(indexPath("faults", i), v, f);
    else if (!cfg.faults.some((g) => formatFault(g) === formatFault(f))) cfg.faults.push(f);
  });
}

/** apiVersion, kind, the top-level fields and the cluster name. */
function parseHeader({ cfg, raw, err, unknown }: ConfigParse, isKind: boolean): void {
  if (raw.apiVersion !== undefined && raw.apiVersion !== CONFIG_API_VERSION && !isKind)
    err("apiVersion", raw.apiVersion, `must be "${CONFIG_API_VERSION}"`);
  if (raw.kind !== undefined && raw.kind !== "Cluster") err("kind", raw.kind, 'must be "Cluster"');
  for (const k of Object.keys(raw)) if (!TOP_FIELDS.includes(k)) unknown(k);

  if (raw.name !== undefined) {
    if (typeof raw.name !== "string") err("name", raw.name, "must be a string");
    else {
      const e = dns1123Label(raw.name);
      if (e) err("name", raw.name, e);
      else cfg.name = raw.name;
    }
  }
}

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
  "masqueradeAll",
];

/** The `networking` section; returns the subnets it holds (given or default) for the later sections. */
function parseNetworking(c: ConfigParse): Subnets {
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
  for (const [a, b] of pairs) {
    const ca = cidrs[a];
    const cb = cidrs[b];
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
    // Cilium's Helm default is kubeProxyReplacement=true: no kube-proxy, Services in eBPF
    // (https://docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/).
    net.kubeProxyMode = "none";
  }
}

/** nodePortRange, the booleans, mtu, calicoBlockSize. */
function parseNetworkScalars(c: ConfigParse, nn: Mapping, cidrs: Subnets): void {
  const net = c.cfg.networking;
  if (nn.nodePortRange !== undefined) {
    const r = parsePortRange(nn.nodePortRange);
    if (!r) c.err("networking.nodePortRange", nn.nodePortRange, 'is not a port range like "30000-32767"');
    else if (r[0] < 1 || r[1] > 65535 || r[0] > r[1])
      c.err("networking.nodePortRange", nn.nodePortRange, "must lie within 1-65535 with the first port <= the last");
    else net.nodePortRange = r;
  }
  const bool = (key: "ipBlockMatchesPods" | "masqueradeAll") => {
    if (nn[key] === undefined) return;
    if (typeof nn[key] === "boolean") net[key] = nn[key] as boolean;
    else c.err(`networking.${key}`, nn[key], "must be true or false");
  };
  bool("ipBlockMatchesPods");
  bool("masqueradeAll");
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
}

/** Names and addresses seen so far among the nodes, and the kind-style name ordinals. */
interface NodesSeen {
  byName: Map<string, string>;
  byAddr: Map<string, string>;
  ordinals: Record<"control-plane" | "worker", number>;
}

/** The `nodes` list; kind's three default nodes when absent or empty. */
function parseNodes(c: ConfigParse, nodeSubnet: Cidr | undefined): void {
  const { cfg, raw, err } = c;
  if (raw.nodes !== undefined && raw.nodes !== null) {
    if (!Array.isArray(raw.nodes)) err("nodes", raw.nodes, "must be a list");
    else if (raw.nodes.length > 0) {
      const nodes: NodeConfig[] = [];
      const seen: NodesSeen = { byName: new Map(), byAddr: new Map(), ordinals: { "control-plane": 0, worker: 0 } };
      raw.nodes.forEach((rn: unknown, i: number) => {
        const node = parseNode(c, rn, indexPath("nodes", i), seen, nodeSubnet);
        if (node) nodes.push(node);
      });
      cfg.nodes = nodes;
    }
  }
  if (raw.nodes === undefined || (Array.isArray(raw.nodes) && raw.nodes.length === 0)) {
    // Default nodes are named after the (possibly configured) cluster name.
    cfg.nodes = [
      nodeDefaults(kindNodeName(cfg.name, "control-plane", 1), "control-plane"),
      nodeDefaults(kindNodeName(cfg.name, "worker", 1), "worker"),
      nodeDefaults(kindNodeName(cfg.name, "worker", 2), "worker"),
    ];
    cfg.defaultNodes = true;
  }
}

/** One entry of `nodes` (undefined when it is not a mapping). */
function parseNode(
  c: ConfigParse,
  rn: unknown,
  base: string,
  seen: NodesSeen,
  nodeSubnet: Cidr | undefined,
): NodeConfig | undefined {
  const { err, unknown } = c;
  if (!isObj(rn)) {
    err(base, rn, "must be a mapping");
    return undefined;
  }
  for (const k of Object.keys(rn))
    if (!["name", "role", "labels", "taints", "address", "maxPods", "capacity", "allocatable"].includes(k))
      unknown(childPath(base, k));
  let role: "control-plane" | "worker" = "worker";
  if (rn.role !== undefined) {
    if (rn.role === "control-plane" || rn.role === "worker") role = rn.role;
    else err(`${base}.role`, rn.role, "must be control-plane or worker");
  }
  seen.ordinals[role]++;
  let name = kindNodeName(c.cfg.name, role, seen.ordinals[role]);
  if (rn.name !== undefined) {
    const e = typeof rn.name === "string" ? dns1123Subdomain(rn.name) : "must be a string";
    if (e) err(`${base}.name`, rn.name, e);
    else name = rn.name as string;
  }
  if (seen.byName.has(name)) err(`${base}.name`, name, `is a duplicate node name (first at ${seen.byName.get(name)})`);
  seen.byName.set(name, base);
  const node = nodeDefaults(name, role);
  if (rn.labels !== undefined) parseNodeLabels(c, rn.labels, `${base}.labels`, node);
  if (rn.taints !== undefined) parseNodeTaints(c, rn.taints, `${base}.taints`, node);
  if (rn.address !== undefined) parseNodeAddress(c, rn.address, `${base}.address`, node, seen, nodeSubnet);
  if (rn.maxPods !== undefined) {
    if (!isInt(rn.maxPods) || rn.maxPods < 1) err(`${base}.maxPods`, rn.maxPods, "must be a positive integer");
    else node.maxPods = rn.maxPods;
  }
  const capacity = { ...DEFAULT_NODE_CAPACITY };
  if (rn.capacity !== undefined) parseResources(c, rn.capacity, `${base}.capacity`, capacity);
  const allocatable = { ...capacity };
  if (rn.allocatable !== undefined) parseResources(c, rn.allocatable, `${base}.allocatable`, allocatable);
  node.capacity = capacity;
  node.allocatable = allocatable;
  return node;
}

/** `{cpu, memory}` quantities (other resources are not modelled: an unknown field). */
function parseResources(
  { err, unknown }: ConfigParse,
  raw: unknown,
  field: string,
  into: { cpu: string; memory: string },
): void {
  if (!isObj(raw)) return err(field, raw, 'must be a mapping like {cpu: "8", memory: 16Gi}');
  for (const k of Object.keys(raw)) if (k !== "cpu" && k !== "memory") unknown(childPath(field, k));
  for (const k of ["cpu", "memory"] as const) {
    const v = raw[k];
    if (v === undefined) continue;
    const q = parseQuantity(v);
    if (q === undefined || q < 0) err(`${field}.${k}`, v, "must be a quantity like 8, 500m, 16Gi");
    else into[k] = String(v);
  }
}

function parseNodeLabels({ err }: ConfigParse, labels: unknown, field: string, node: NodeConfig): void {
  if (!isObj(labels)) return err(field, labels, "must be a mapping");
  for (const [k, v] of Object.entries(labels)) {
    const lf = keyPath(field, k);
    const ek = qualifiedName(k);
    if (ek) err(lf, k, `is not a valid label key: ${ek}`);
    const sv = typeof v === "number" || typeof v === "boolean" ? String(v) : v;
    if (typeof sv !== "string") err(lf, v, "label values must be strings");
    else {
      const ev = labelValue(sv);
      if (ev) err(lf, sv, ev);
      else node.labels[k] = sv;
    }
  }
}

/** Given taints replace the defaults (the control-plane taint too). */
function parseNodeTaints({ err }: ConfigParse, taints: unknown, field: string, node: NodeConfig): void {
  if (!Array.isArray(taints)) return err(field, taints, "must be a list");
  node.taints = [];
  taints.forEach((t: unknown, j: number) => {
    const tf = indexPath(field, j);
    if (!isObj(t)) return err(tf, t, "must be a mapping like {key, value, effect}");
    const ek = typeof t.key === "string" ? qualifiedName(t.key) : "is required";
    if (ek) return err(`${tf}.key`, t.key ?? NO_VALUE, ek);
    if (t.effect !== "NoSchedule" && t.effect !== "PreferNoSchedule" && t.effect !== "NoExecute")
      return err(`${tf}.effect`, t.effect ?? NO_VALUE, "must be one of NoSchedule, PreferNoSchedule, NoExecute");
    const taint: NodeConfig["taints"][number] = { key: t.key as string, effect: t.effect };
    if (t.value !== undefined) {
      const ev = typeof t.value === "string" ? labelValue(t.value) : "must be a string";
      if (ev) return err(`${tf}.value`, t.value, ev);
      taint.value = t.value as string;
    }
    node.taints.push(taint);
  });
}

/** A host address of nodeSubnet, not taken by an earlier node. */
function parseNodeAddress(
  { cfg, err }: ConfigParse,
  address: unknown,
  field: string,
  node: NodeConfig,
  seen: NodesSeen,
  nodeSubnet: Cidr | undefined,
): void {
  const subnet = cfg.networking.nodeSubnet;
  const a = typeof address === "string" ? parseIPv4(address) : undefined;
  if (a === undefined) err(field, address, "is not a valid IPv4 address");
  else if (nodeSubnet && !cidrContains(nodeSubnet, a))
    err(field, address, `is outside networking.nodeSubnet ${subnet}`);
  else if (nodeSubnet && nodeSubnet.prefix < 31 && (a === nodeSubnet.first || a === nodeSubnet.last))
    err(field, address, `is the network or broadcast address of ${subnet}`);
  else if (seen.byAddr.has(address as string))
    err(field, address, `is already the address of node ${seen.byAddr.get(address as string)}`);
  else {
    seen.byAddr.set(address as string, node.name);
    node.address = address as string;
  }
}

/** hostDNS: the nodes' own resolv.conf (what dnsPolicy: Default copies). */
function parseHostDns(c: ConfigParse, nodeSubnet: Cidr | undefined): void {
  const { cfg, err, unknown } = c;
  if (nodeSubnet) cfg.hostDNS.nameservers = [intToIp(nodeSubnet.first + 1)];
  const h = c.raw.hostDNS;
  if (h === undefined) return;
  if (!isObj(h)) return err("hostDNS", h, "must be a mapping");
  for (const k of Object.keys(h))
    if (!["nameservers", "searches", "options"].includes(k)) unknown(childPath("hostDNS", k));
  const list = (key: "nameservers" | "searches" | "options", check: (s: string) => string | undefined) => {
    const v = h[key];
    if (v === undefined) return;
    if (!Array.isArray(v)) return err(`hostDNS.${key}`, v, "must be a list");
    const out: string[] = [];
    v.forEach((s: unknown, i: number) => {
      const e = typeof s === "string" ? check(s) : "must be a string";
      if (e) err(indexPath(`hostDNS.${key}`, i), s, e);
      else out.push(s as string);
    });
    cfg.hostDNS[key] = out;
  };
  list("nameservers", (s) => (isIP(s) ? undefined : "is not a valid IP address"));
  list("searches", (s) => dns1123Subdomain(s.replace(/\.$/, "")));
  list("options", (s) => (/^[A-Za-z0-9_-]+(:\S*)?$/.test(s) ? undefined : "is not a resolv.conf option like ndots:5"));
}

/** The `dns` section: CoreDNS settings. */
function parseDnsSection({ cfg, raw, err, unknown }: ConfigParse): void {
  const d = raw.dns;
  if (d === undefined) return;
  if (!isObj(d)) return err("dns", d, "must be a mapping");
  for (const k of Object.keys(d)) if (!["pods", "ttl", "replicas"].includes(k)) unknown(childPath("dns", k));
  if (d.pods !== undefined) {
    if (d.pods === "insecure" || d.pods === "verified" || d.pods === "disabled") cfg.dns.pods = d.pods;
    else err("dns.pods", d.pods, "must be one of insecure, verified, disabled");
  }
  if (d.ttl !== undefined) {
    // CoreDNS kubernetes plugin: ttl 0-3600.
    if (!isInt(d.ttl) || d.ttl < 0 || d.ttl > 3600) err("dns.ttl", d.ttl, "must be an integer between 0 and 3600");
    else cfg.dns.ttl = d.ttl;
  }
  if (d.replicas !== undefined) {
    // CoreDNS is a Deployment: replicas an int32 (its pods past the nodes' capacity are
    // counted, not materialised: PENDING_CAP in src/control/controllers.ts).
    if (!isInt(d.replicas) || d.replicas < 0 || d.replicas > 2147483647)
      err("dns.replicas", d.replicas, "must be an integer between 0 and 2147483647");
    else cfg.dns.replicas = d.replicas;
  }
}

/**
 * A TXT value goes on the wire as character-strings of at most 255 bytes, each with a
 * length byte (RFC 1035 3.3.14), in one RDATA of at most 65535 bytes (RDLENGTH is 16 bits),
 * inside one DNS message (TCP: at most 65535 bytes with its header and question). 512
 * bytes are left for those (a question name is at most 255).
 */
const TXT_MAX_RDATA = 65535 - 512;
function txtTooLong(v: string): string | undefined {
  const n = new TextEncoder().encode(v).length;
  const rdata = n + Math.max(1, Math.ceil(n / 255));
  return rdata > TXT_MAX_RDATA
    ? `is too long: ${n} bytes; a TXT record's data must fit one DNS message (at most ${TXT_MAX_RDATA} bytes of RDATA, RFC 1035 3.3.14)`
    : undefined;
}

/** externalDNS: records for names outside the cluster. */
function parseExternalDns(c: ConfigParse): void {
  const x = c.raw.externalDNS;
  if (x === undefined) return;
  if (!Array.isArray(x)) return c.err("externalDNS", x, "must be a list");
  x.forEach((r: unknown, i: number) => parseExternalRecord(c, r, indexPath("externalDNS", i)));
}

function parseExternalRecord({ cfg, err, unknown }: ConfigParse, r: unknown, f: string): void {
  if (!isObj(r)) return err(f, r, "must be a mapping like {name, type, value}");
  for (const k of Object.keys(r)) if (!["name", "type", "value"].includes(k)) unknown(childPath(f, k));
  const ne = typeof r.name === "string" ? dns1123Subdomain(r.name.replace(/\.$/, "").toLowerCase()) : "is required";
  if (ne) return err(`${f}.name`, r.name ?? NO_VALUE, ne);
  if (r.type !== "A" && r.type !== "AAAA" && r.type !== "CNAME" && r.type !== "TXT")
    return err(`${f}.type`, r.type ?? NO_VALUE, "must be one of A, AAAA, CNAME, TXT");
  if (typeof r.value !== "string") return err(`${f}.value`, r.value ?? NO_VALUE, "must be a string");
  const v = r.value;
  const ve =
    r.type === "A"
      ? parseIPv4(v) === undefined
        ? "is not a valid IPv4 address"
        : undefined
      : r.type === "AAAA"
        ? parseIPv6(v) === undefined
          ? "is not a valid IPv6 address"
          : undefined
        : r.type === "CNAME"
          ? dns1123Subdomain(v.replace(/\.$/, "").toLowerCase())
          : txtTooLong(v);
  if (ve) return err(`${f}.value`, v, ve);
  cfg.externalDNS.push({ name: r.name as string, type: r.type, value: v });
}
