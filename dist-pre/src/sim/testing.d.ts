import type { DataplaneIR, IptLayer, NftLayer } from "../ir/types.js";
export type Flavor = "flannel/vxlan" | "flannel/host-gw" | "calico/bgp" | "calico/ipip";
export interface FxEndpoint {
    pod: string;
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
    affinity?: number;
    etpLocal?: boolean;
}
export interface FxPod {
    namespace: string;
    name: string;
    node: number;
    containers: {
        name: string;
        ports: {
            port: number;
            protocol?: "TCP" | "UDP";
            address?: string;
        }[];
    }[];
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
export declare const DEFAULT_PODS: FxPod[];
export declare const DEFAULT_SERVICES: FxService[];
export declare function fixtureIR(opts?: FxOptions): DataplaneIR;
/** kube-proxy iptables mode, the shared part (argument order as kube-proxy writes it). */
export declare function kubeProxyIptables(services: FxService[], epIp: (e: FxEndpoint) => string): IptLayer;
/** kube-proxy's per-node part: eTP Local chains (KUBE-EXT → KUBE-SVL with local endpoints only). */
export declare function kubeProxyIptablesNode(services: FxService[], epIp: (e: FxEndpoint) => string, local: (e: FxEndpoint) => boolean): IptLayer;
/** kube-proxy nftables mode (table ip kube-proxy), the shapes of pkg/proxy/nftables. */
export declare function kubeProxyNft(services: FxService[], epIp: (e: FxEndpoint) => string): NftLayer;
