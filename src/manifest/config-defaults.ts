// The cluster config's types (modelled on kind's `kind: Cluster` file) and its defaults;
// config.ts reads the document.

import type { SourceRef } from "./types.js";
import { type Mapping, isInt } from "./diag.js";
import type { Fault } from "./faults.js";
import type { Cidr } from "../net/ipv4.js";

export type CniName = "flannel" | "calico" | "cilium";
export type Backend = "vxlan" | "host-gw" | "bgp" | "ipip" | "native" | "geneve";
export type ProxyModeName = "iptables" | "nftables" | "ipvs" | "none";
export type CiliumIPAM = "kubernetes" | "cluster-pool";

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
    /** Cilium's IPAM mode (cilium-config `ipam`): "kubernetes" (podnet's model when absent)
     *  takes each node's range from its Node's podCIDR; "cluster-pool" from Cilium's own pool
     *  (`podSubnet`), the Node's podCIDR unused. */
    ciliumIPAM?: CiliumIPAM;
    /** Calico IPIP / VXLAN in CrossSubnet mode: encapsulate only between nodes in different
     *  subnets (each node's projectcalico.org/IPv4Address); unset: between every pair. */
    calicoCrossSubnet?: boolean;
    /** kube-proxy's --masquerade-all. */
    masqueradeAll: boolean;
    /** kube-proxy's clusterCIDR (its ClusterCIDR local detector: `! -s <it>` in the
     *  masquerade rules, `-s <it>` for pod traffic to external addresses); unset: podSubnet;
     *  "": none, as a kube-proxy with an empty clusterCIDR has (no such rules). */
    kubeProxyClusterCIDR?: string;
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
//   calicoBlockSize 26, masqueradeAll false, kubeProxyClusterCIDR = podSubnet, dns {pods insecure, ttl 30, replicas 2}
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

export function nodeDefaults(name: string, role: "control-plane" | "worker"): NodeConfig {
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
export interface ConfigParse {
  cfg: ClusterConfig;
  raw: Mapping;
  err: (field: string, value: unknown, text: string) => void;
  /** An unknown field: an error, or a warning in a kind config. */
  unknown: (field: string) => void;
}

export type SubnetKey = "podSubnet" | "serviceSubnet" | "nodeSubnet" | "loadBalancerSubnet";
export type Subnets = Partial<Record<SubnetKey, Cidr>>;
