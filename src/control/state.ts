// ClusterState: the objects with their status, as the control plane leaves them.
// Plain data (no classes, no Maps in the serialised parts) so that it prints as JSON,
// and so that apply/delete/scale can return a new value sharing the unchanged parts.

import type { ProbeFailure } from "./probes.js";
import type { ClusterConfig } from "../manifest/config.js";
import type {
  Container,
  Endpoint,
  EndpointPort,
  KubeObject,
  Labels,
  NetworkPolicySpec,
  CiliumRule,
  CalicoPolicySpec,
  AnpSpec,
  PodSpec,
  Protocol,
  ServiceType,
} from "../manifest/types.js";

export interface OwnerRef {
  /** ReplicaSet, StatefulSet, DaemonSet, Job; for a pod read from a live cluster, its
   *  controlling ownerReference verbatim (also ReplicationController, Node, custom kinds). */
  kind: string;
  name: string;
  /** apiVersion of an owner read from a live cluster (its ownerReference's). */
  apiVersion?: string;
}
/** The workload a pod belongs to, after collapsing ReplicaSet → Deployment (a CronJob: only
 *  the pods its template stands for in questions/reach.ts; its Jobs' pods name the Job). */
export interface WorkloadRef {
  kind: "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "ReplicationController" | "Job" | "CronJob" | "Pod";
  namespace: string;
  name: string;
}

export interface NodeState {
  name: string;
  role: "control-plane" | "worker";
  labels: Labels; // includes kubernetes.io/hostname, node-role.kubernetes.io/control-plane
  taints: { key: string; value?: string; effect: string }[];
  address: string; // underlay IPv4 (InternalIP)
  podCIDR: string; // the node's range from the range allocator ("10.244.1.0/24")
  /** Calico: the /26 blocks this node has claimed, in claim order. */
  blocks: string[];
  maxPods: number;
  /** What the scheduler may place: CPU in millicores, memory in bytes (node status.allocatable). */
  allocatable?: { cpu: number; memory: number };
  capacity?: { cpu: number; memory: number };
  index: number; // position in the config: used for deterministic naming/ordering
  /** Read from a Node object of a live cluster: what its status says (views show it). */
  observed?: {
    created?: string; // metadata.creationTimestamp
    nodeInfo?: Record<string, string>; // status.nodeInfo: kubeletVersion, kernelVersion, osImage …
    addresses?: { type: string; address: string }[];
    conditions?: Record<string, unknown>[];
  };
  /** Not declared by any Node object or the config: implied by pods that name it. */
  implied?: boolean;
  /** Calico IPIP/VXLAN: the tunnel device's address (tunl0 / vxlan.calico), the first
   *  address of the node's first block, as calico-node allocates it at start. */
  tunnelAddress?: string;
  /** Calico: the node's subnet as calico-node detected it (projectcalico.org/IPv4Address,
   *  "10.0.0.10/24" → 10.0.0.0/24), which CrossSubnet encapsulation compares. */
  calicoSubnet?: string;
}

export interface PodState {
  namespace: string;
  name: string;
  uid: string;
  labels: Labels;
  annotations: Record<string, string>;
  owner: OwnerRef | null;
  workload: WorkloadRef;
  spec: PodSpec; // containers, dnsPolicy, hostNetwork, hostname, subdomain …
  nodeName: string | null;
  phase: "Pending" | "Running" | "Succeeded" | "Failed";
  /** Why a Pending pod is pending, as kubectl describe's event shows it. */
  reason?: string;
  message?: string;
  podIP: string | null; // hostNetwork pods: the node's address
  hostIP: string | null;
  ready: boolean;
  /** Probes that error from the spec alone (probes.ts), each keeping its container unready. */
  probeFailures?: ProbeFailure[];
  /** Terminating pods stay listed (with serving/terminating endpoint conditions). */
  terminating: boolean;
  /** Monotonic creation order (the state's clock), used for AGE and env var visibility. */
  created: number;
  /** Exactly what kubelet writes to /etc/resolv.conf. */
  resolvConf: string;
  /** The Service environment variables kubelet gave the pod's containers (env.ts). */
  env: { name: string; value: string }[];
  /** Each container's own variables (envFrom, env) as kubelet built them when it started
   *  it, by container name (init containers too); or the CreateContainerConfigError text
   *  that kept it from starting. Absent: no container sets variables of its own. */
  containerEnv?: Record<string, { env: { name: string; value: string }[] } | { error: string }>;
  /** The host-side interface name the CNI gave the pod ("veth1a2b3c4d", "cali0123456789a"). */
  hostIfName?: string;
  /** CNI container ID (sandbox ID) used by IPAM stores. */
  containerID: string;
  /** Read from a live cluster (the Pod had a status): name, node, IPs, phase, readiness and
   *  owner are as observed, nothing was scheduled or allocated for it. */
  observed?: boolean;
  /** Its observed status as given (containerStatuses, conditions, startTime …), for views. */
  status?: Record<string, unknown>;
  /** Made by a workload podnet added itself (CoreDNS, kube-proxy, the CNI agent when the
   *  input has none of them): a real cluster has it, the user's input did not say so. */
  system?: boolean;
}

export interface CiliumPolicyState {
  kind: "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy";
  /** Absent for CiliumClusterwideNetworkPolicy. */
  namespace?: string;
  name: string;
  /** `spec`, then the entries of `specs` (cnp_types.go Parse: both may be given). */
  rules: CiliumRule[];
  source?: KubeObject["source"];
}

/** Calico's own policy resources (projectcalico.org/v3) as the cluster holds them. */
export interface CalicoPolicyState {
  kind: "NetworkPolicy" | "GlobalNetworkPolicy";
  /** Absent for GlobalNetworkPolicy. */
  namespace?: string;
  name: string;
  spec: CalicoPolicySpec;
  source?: KubeObject["source"];
}
export interface CalicoNetworkSetState {
  kind: "NetworkSet" | "GlobalNetworkSet";
  namespace?: string;
  name: string;
  labels: Labels;
  nets: string[];
  source?: KubeObject["source"];
}
export interface CalicoTierState {
  name: string;
  /** Unset: after every tier with an order. */
  order?: number;
  defaultAction: "Deny" | "Pass";
  source?: KubeObject["source"];
}
/** An AdminNetworkPolicy or BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1). */
export interface AdminPolicyState {
  kind: "AdminNetworkPolicy" | "BaselineAdminNetworkPolicy";
  name: string;
  spec: AnpSpec;
  source?: KubeObject["source"];
}

export interface CalicoState {
  policies: CalicoPolicyState[];
  networkSets: CalicoNetworkSetState[];
  tiers: CalicoTierState[];
}

export interface ServicePortState {
  name?: string;
  protocol: Protocol;
  port: number;
  targetPort: number | string;
  nodePort?: number;
  appProtocol?: string;
}

export interface ServiceState {
  namespace: string;
  name: string;
  uid: string;
  labels: Labels;
  type: ServiceType;
  selector: Labels | null; // null: no selector (endpoints given by the user or none)
  clusterIP: string | null; // "None" for headless; null for ExternalName
  ports: ServicePortState[];
  externalIPs: string[];
  loadBalancerIPs: string[]; // status.loadBalancer.ingress[].ip (assigned or given)
  externalName?: string;
  sessionAffinity: "None" | "ClientIP";
  sessionAffinityTimeout: number; // 10800 by default
  externalTrafficPolicy: "Cluster" | "Local";
  internalTrafficPolicy: "Cluster" | "Local";
  /** spec.allocateLoadBalancerNodePorts: false, a LoadBalancer gets no NodePort it did not ask for. */
  allocateLoadBalancerNodePorts?: boolean;
  /** spec.loadBalancerClass: the load balancer implementation that serves it (not MetalLB's). */
  loadBalancerClass?: string;
  /** spec.trafficDistribution (PreferClose, PreferSameZone, PreferSameNode), when set. */
  trafficDistribution?: string;
  /** The topology-mode annotation asks for hints (Auto): the EndpointSlice controller then
   *  allocates them by zone CPU and trafficDistribution is not applied. */
  topologyAuto?: boolean;
  publishNotReadyAddresses: boolean;
  healthCheckNodePort?: number;
  loadBalancerSourceRanges: string[];
  created: number;
}

export interface EndpointSliceState {
  namespace: string;
  name: string; // "<service>-<5 chars>" for controller-made slices
  serviceName: string;
  addressType: "IPv4" | "IPv6" | "FQDN";
  ports: EndpointPort[];
  endpoints: Endpoint[];
  /** "endpointslice-controller.k8s.io", MIRRORING's for given Endpoints, the given label (or
   *  "user" without one) for given slices. */
  managedBy: string;
}

export interface DnsRecord {
  /** Lower-case FQDN without the trailing dot. */
  name: string;
  type: "A" | "AAAA" | "CNAME" | "SRV" | "PTR" | "TXT" | "NS" | "SOA";
  ttl?: number;
  /** A/AAAA: the address; CNAME/PTR/NS: the target name; TXT: the text;
   *  SRV: {priority, weight, port, target}; SOA: mname etc. */
  data: string | { priority: number; weight: number; port: number; target: string } | Record<string, string | number>;
}

export interface KEvent {
  type: "Normal" | "Warning";
  reason: string; // Scheduled, AddedInterface, Killing, FailedScheduling, DNSConfigForming …
  object: string; // "pod/default/user-app-7d4b8c6f5-abc12"
  message: string;
  time: number; // the state's clock
  source?: string; // default-scheduler, kubelet, multus …
}

export interface IpamState {
  /** Per node: allocated pod IPs → containerID; lastReserved per node (host-local). */
  nodes: Record<string, { allocated: Record<string, string>; lastReserved: string | null }>;
  /** Service cluster IPs taken → "ns/name". */
  serviceIPs: Record<string, string>;
  nodePorts: Record<string, string>; // "30080/TCP" → "ns/name"
  loadBalancerIPs: Record<string, string>;
  /** Calico IPAM blocks: block CIDR → affine node and the unallocated ordinals in
   *  Calico's order (allocation takes from the front, release appends at the end). */
  calicoBlocks?: Record<string, { node: string; unallocated: number[] }>;
}

/** A ReplicaSet the Deployment controller made (`<deployment>-<pod-template-hash>`). */
export interface ReplicaSetState {
  namespace: string;
  name: string;
  deployment: string | null; // null for a ReplicaSet given directly
  podTemplateHash: string;
  replicas: number;
}

export interface ClusterState {
  config: ClusterConfig;
  seed: string;
  clock: number;
  namespaces: { name: string; labels: Labels }[];
  nodes: NodeState[];
  pods: PodState[];
  services: ServiceState[];
  endpointSlices: EndpointSliceState[];
  networkPolicies: { namespace: string; name: string; spec: NetworkPolicySpec; source?: KubeObject["source"] }[];
  /** CiliumNetworkPolicies and CiliumClusterwideNetworkPolicies as given (enforced when the
   *  CNI is Cilium: policy/cilium.ts). Absent: none. */
  ciliumPolicies?: CiliumPolicyState[];
  /** Calico's policies, network sets and tiers (only when some were given). */
  calico?: CalicoState;
  /** AdminNetworkPolicies and the BaselineAdminNetworkPolicy (only when some were given). */
  adminPolicies?: AdminPolicyState[];
  ingresses: KubeObject[];
  /** The controllers (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job) as given. */
  workloads: KubeObject[];
  dns: { zone: string; records: DnsRecord[] };
  events: KEvent[];
  ipam: IpamState;
  warnings: string[];
  /** The desired objects (system objects first, then the user's, in apply order):
   *  what apply/delete/scale reconcile against. */
  objects?: KubeObject[];
  /** ReplicaSets made by Deployments (and given ones), for views. */
  replicaSets?: ReplicaSetState[];
  /** Nodes whose kube-proxy is stopped (fault kube-proxy-down): the Services and
   *  EndpointSlices it last synced, which its rules still follow (control/faults.ts). */
  kubeProxySynced?: Record<string, { services: ServiceState[]; endpointSlices: EndpointSliceState[] }>;
}

export type { Container };
