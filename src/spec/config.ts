// The cluster config (modelled on kind's `kind: Cluster` file) and its defaults.

export type CniName = "flannel" | "calico" | "cilium";
export type Backend = "vxlan" | "host-gw" | "bgp" | "ipip" | "native";
export type ProxyModeName = "iptables" | "nftables" | "ipvs" | "none";

export interface NodeConfig {
  name: string;
  role: "control-plane" | "worker";
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute" }[];
  /** Underlay address; assigned from networking.nodeSubnet when not given. */
  address?: string;
  maxPods: number;
}

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
  source?: import("./types.js").SourceRef;
}
