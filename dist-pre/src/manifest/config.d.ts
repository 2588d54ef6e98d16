import type { SourceRef } from "./types.js";
import { Diags } from "./diag.js";
export type CniName = "flannel" | "calico" | "cilium";
export type Backend = "vxlan" | "host-gw" | "bgp" | "ipip" | "native";
export type ProxyModeName = "iptables" | "nftables" | "ipvs" | "none";
export interface NodeConfig {
    name: string;
    role: "control-plane" | "worker";
    labels: Record<string, string>;
    taints: {
        key: string;
        value?: string;
        effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
    }[];
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
        podSubnet: string;
        serviceSubnet: string;
        nodeSubnet: string;
        nodeCIDRMaskSize: number;
        dnsDomain: string;
        cni: CniName;
        backend: Backend;
        kubeProxyMode: ProxyModeName;
        nodePortRange: [number, number];
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
    externalDNS: {
        name: string;
        type: "A" | "AAAA" | "CNAME" | "TXT";
        value: string;
    }[];
    /** The node's own resolv.conf (what dnsPolicy Default copies; host search domains). */
    hostDNS: {
        nameservers: string[];
        searches: string[];
        options: string[];
    };
    /** CoreDNS settings (kubeadm's Corefile). */
    dns: {
        pods: "insecure" | "verified" | "disabled";
        ttl: number;
        replicas: number;
    };
    source?: SourceRef;
}
export declare const CONFIG_API_VERSION = "podnet.dev/v1alpha1";
export declare const KIND_CONFIG_API_VERSION = "kind.x-k8s.io/v1alpha4";
export declare const DEFAULT_BACKEND: Record<CniName, Backend>;
export declare const BACKENDS: Record<CniName, Backend[]>;
export declare const CONTROL_PLANE_TAINT: {
    key: string;
    effect: "NoSchedule";
};
/** kind's node names: <cluster>-control-plane, <cluster>-control-plane2, <cluster>-worker, <cluster>-worker2 … */
export declare function kindNodeName(cluster: string, role: "control-plane" | "worker", ordinal: number): string;
export declare function defaultConfig(): ClusterConfig;
/** Parses "30000-32767", "30000+2767", "30000" or [30000, 32767] like kube-apiserver's PortRange. */
export declare function parsePortRange(v: unknown): [number, number] | undefined;
/**
 * Reads a `kind: Cluster` document (already decoded to plain data). Diagnostics go to
 * `diags` when given; otherwise any error throws one SpecError.
 */
export declare function parseConfig(doc: unknown, source?: SourceRef, diags?: Diags): ClusterConfig;
