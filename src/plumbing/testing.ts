// Hand-built ClusterState fixtures for the plumbing and IR tests (independent of the
// control plane's buildState). Addresses follow what the real allocators do:
// nodes from nodeSubnet .2 up (.1 is the LAN gateway); flannel pods from host-local on
// the node's /24 starting at .2 (.1 is cni0's gateway); Calico pods from the node's /26
// block in ordinal order, ordinal 0 going to the tunnel device when IPIP/VXLAN is on.

import type { ClusterState, NodeState, PodState } from "../control/state.js";
import type { Backend, ClusterConfig, CniName, ProxyModeName } from "../manifest/config.js";
import { intToIp, parseCidr } from "../net/ipv4.js";

export interface FixtureOptions {
  cni?: CniName;
  backend?: Backend;
  proxyMode?: ProxyModeName;
  nodes?: number;
  /** Regular pods per node (each with one container listening on 8080/TCP "http"). */
  podsPerNode?: number;
  /** A hostNetwork pod (kube-proxy-like) on every node. */
  hostNetworkPods?: boolean;
  mtu?: number;
}

export function fixtureConfig(o: FixtureOptions = {}): ClusterConfig {
  const n = o.nodes ?? 3;
  return {
    apiVersion: "podnet.dev/v1alpha1",
    kind: "Cluster",
    name: "demo",
    nodes: Array.from({ length: n }, (_, i) => ({
      name: i === 0 ? "control-plane" : `worker-${i}`,
      role: i === 0 ? "control-plane" : "worker",
      labels: {},
      taints: [],
      maxPods: 110,
    })),
    networking: {
      podSubnet: n > 250 ? "10.128.0.0/9" : "10.244.0.0/16",
      serviceSubnet: "10.96.0.0/12",
      nodeSubnet: n > 250 ? "192.168.0.0/16" : "192.168.1.0/24",
      nodeCIDRMaskSize: 24,
      dnsDomain: "cluster.local",
      cni: o.cni ?? "flannel",
      backend: o.backend ?? "vxlan",
      kubeProxyMode: o.proxyMode ?? "iptables",
      nodePortRange: [30000, 32767],
      loadBalancerSubnet: "192.168.1.240/28",
      ipBlockMatchesPods: false,
      mtu: o.mtu ?? 1500,
      calicoBlockSize: 26,
      masqueradeAll: false,
    },
    externalDNS: [],
    hostDNS: { nameservers: ["192.168.1.1"], searches: [], options: [] },
    dns: { pods: "insecure", ttl: 30, replicas: 2 },
    faults: [],
  };
}

function pod(ns: string, name: string, node: NodeState, ip: string, hostNetwork = false): PodState {
  return {
    namespace: ns,
    name,
    uid: `uid-${ns}-${name}`,
    labels: { app: name.split("-")[0] },
    annotations: {},
    owner: null,
    workload: { kind: "Pod", namespace: ns, name },
    spec: {
      containers: [
        {
          name: "app",
          image: "nginx",
          ports: hostNetwork
            ? [{ containerPort: 10256, name: "healthz" }]
            : [{ containerPort: 8080, name: "http", protocol: "TCP" }],
        },
      ],
      ...(hostNetwork ? { hostNetwork: true } : {}),
    } as PodState["spec"],
    nodeName: node.name,
    phase: "Running",
    podIP: ip,
    hostIP: node.address,
    ready: true,
    terminating: false,
    created: 0,
    resolvConf:
      "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n",
    env: [],
    containerID: `cid-${ns}-${name}`,
  };
}

export function fixtureState(o: FixtureOptions = {}): ClusterState {
  const config = fixtureConfig(o);
  const net = config.networking;
  const calico = net.cni === "calico";
  const tunnel = calico && (net.backend === "ipip" || net.backend === "vxlan");
  const nodeBase = parseCidr(net.nodeSubnet).base;
  const podBase = parseCidr(net.podSubnet).base;
  const nodes: NodeState[] = config.nodes.map((c, i) => {
    const n: NodeState = {
      name: c.name,
      role: c.role,
      labels: { "kubernetes.io/hostname": c.name },
      taints: [],
      address: intToIp(nodeBase + 2 + i),
      podCIDR: `${intToIp(podBase + i * 256)}/24`,
      blocks: calico ? [`${intToIp(podBase + i * 64)}/26`] : [],
      maxPods: 110,
      index: i,
    };
    if (tunnel) n.tunnelAddress = intToIp(podBase + i * 64);
    return n;
  });
  const pods: PodState[] = [];
  const per = o.podsPerNode ?? 2;
  for (const n of nodes) {
    const first = calico ? parseCidr(n.blocks[0]).base + (tunnel ? 1 : 0) : parseCidr(n.podCIDR).base + 2;
    for (let k = 0; k < per; k++) pods.push(pod("default", `app-${n.name}-${k}`, n, intToIp(first + k)));
    if (o.hostNetworkPods ?? true) pods.push(pod("kube-system", `kube-proxy-${n.name}`, n, n.address, true));
  }
  return {
    config,
    seed: "test",
    clock: 0,
    namespaces: [
      { name: "default", labels: {} },
      { name: "kube-system", labels: {} },
    ],
    nodes,
    pods,
    services: [],
    endpointSlices: [],
    networkPolicies: [],
    ingresses: [],
    workloads: [],
    dns: { zone: "cluster.local", records: [] },
    events: [],
    ipam: { nodes: {}, serviceIPs: {}, nodePorts: {}, loadBalancerIPs: {} },
    warnings: [],
  };
}
