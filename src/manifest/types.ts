// Typed shapes of the Kubernetes objects podnet reads. Only the fields that matter
// for networking are typed; everything else stays in the raw object untouched.

export type Labels = Record<string, string>;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  labels?: Labels;
  annotations?: Record<string, string>;
  uid?: string;
  ownerReferences?: { apiVersion?: string; kind: string; name: string; uid?: string; controller?: boolean }[];
  /** Set by the API server: present in dumps of a live cluster. */
  creationTimestamp?: string;
  deletionTimestamp?: string;
  generation?: number;
}

/** Where a document came from: used by every error and warning. */
export interface SourceRef {
  file: string; // path as given, "<stdin>" or "<embedded>"
  docIndex: number; // 0-based index of the YAML document in the file (list items count separately)
  line: number; // 1-based line of the document's start
  /** Line of a field path inside the document ("spec.ports[0].port" → line), when known. */
  lineOf?: (path: string) => number | undefined;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}
export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: LabelSelectorRequirement[];
}

export type Protocol = "TCP" | "UDP" | "SCTP";

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: Protocol;
  hostPort?: number;
}
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}
/** Quantities by resource name ("cpu": "250m", "memory": "64Mi"). */
export type ResourceList = Record<string, string | number>;
export interface Container {
  name: string;
  image?: string;
  ports?: ContainerPort[];
  env?: EnvVar[];
  command?: string[];
  args?: string[];
  resources?: { requests?: ResourceList; limits?: ResourceList };
}
export interface PodAffinityTerm {
  labelSelector?: LabelSelector;
  namespaces?: string[];
  namespaceSelector?: LabelSelector;
  topologyKey: string;
}
export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: "DoNotSchedule" | "ScheduleAnyway";
  labelSelector?: LabelSelector;
  minDomains?: number;
  matchLabelKeys?: string[];
  nodeAffinityPolicy?: "Honor" | "Ignore";
  nodeTaintsPolicy?: "Honor" | "Ignore";
}
export interface WeightedPodAffinityTerm {
  weight: number;
  podAffinityTerm: PodAffinityTerm;
}
export interface PreferredSchedulingTerm {
  weight: number;
  preference: NodeSelectorTerm;
}
export interface Toleration {
  key?: string;
  operator?: "Exists" | "Equal";
  value?: string;
  effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute" | "";
}
export interface NodeSelectorTerm {
  matchExpressions?: {
    key: string;
    operator: "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt";
    values?: string[];
  }[];
  matchFields?: { key: string; operator: "In" | "NotIn"; values?: string[] }[];
}
export interface PodDNSConfig {
  nameservers?: string[];
  searches?: string[];
  options?: { name: string; value?: string }[];
}
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  nodeName?: string;
  nodeSelector?: Labels;
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] };
      preferredDuringSchedulingIgnoredDuringExecution?: PreferredSchedulingTerm[];
    };
    podAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
      preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
    };
    podAntiAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
      preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
    };
  };
  topologySpreadConstraints?: TopologySpreadConstraint[];
  overhead?: ResourceList;
  preemptionPolicy?: "PreemptLowerPriority" | "Never";
  tolerations?: Toleration[];
  hostNetwork?: boolean;
  hostname?: string;
  subdomain?: string;
  dnsPolicy?: "ClusterFirst" | "ClusterFirstWithHostNet" | "Default" | "None";
  dnsConfig?: PodDNSConfig;
  enableServiceLinks?: boolean;
  setHostnameAsFQDN?: boolean;
  /** Extra /etc/hosts lines kubelet writes (core/v1 HostAlias). */
  hostAliases?: { ip: string; hostnames?: string[] }[];
}
export interface PodTemplate {
  metadata?: Partial<ObjectMeta>;
  spec: PodSpec;
}

export interface ServicePort {
  name?: string;
  protocol?: Protocol;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
  appProtocol?: string;
}
export type ServiceType = "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName";

export interface ServiceSpec {
  type?: ServiceType;
  selector?: Labels;
  ports?: ServicePort[];
  clusterIP?: string;
  clusterIPs?: string[];
  externalIPs?: string[];
  externalName?: string;
  sessionAffinity?: "None" | "ClientIP";
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
  externalTrafficPolicy?: "Cluster" | "Local";
  internalTrafficPolicy?: "Cluster" | "Local";
  publishNotReadyAddresses?: boolean;
  loadBalancerIP?: string;
  loadBalancerSourceRanges?: string[];
  healthCheckNodePort?: number;
  ipFamilies?: string[];
}

export interface NetworkPolicyPort {
  protocol?: Protocol;
  port?: number | string;
  endPort?: number;
}
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}
export interface NetworkPolicySpec {
  podSelector: LabelSelector;
  policyTypes?: ("Ingress" | "Egress")[];
  ingress?: { from?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
  egress?: { to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
}

// CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (cilium.io/v2; cilium/cilium
// pkg/policy/api rule.go, ingress.go, egress.go, l4.go, cidr.go, entity.go): the L3/L4 part
// podnet models. Selector keys may carry Cilium's label source (`k8s:app`, `any:app`,
// `reserved:host`).
export interface CiliumPortProtocol {
  port?: string | number;
  endPort?: number;
  /** TCP, UDP, SCTP or ANY (the default). */
  protocol?: string;
}
export interface CiliumPortRule {
  ports?: CiliumPortProtocol[];
  /** L7 rules (http, kafka, dns): enforced by Cilium's proxy, not modelled. */
  rules?: Record<string, unknown>;
}
export interface CiliumCIDRRule {
  cidr?: string;
  except?: string[];
  cidrGroupRef?: string;
}
export interface CiliumPeerRule {
  fromEndpoints?: LabelSelector[];
  fromCIDR?: string[];
  fromCIDRSet?: CiliumCIDRRule[];
  fromEntities?: string[];
  toEndpoints?: LabelSelector[];
  toCIDR?: string[];
  toCIDRSet?: CiliumCIDRRule[];
  toEntities?: string[];
  toPorts?: CiliumPortRule[];
  [other: string]: unknown;
}
export interface CiliumRule {
  endpointSelector?: LabelSelector;
  nodeSelector?: LabelSelector;
  ingress?: CiliumPeerRule[];
  ingressDeny?: CiliumPeerRule[];
  egress?: CiliumPeerRule[];
  egressDeny?: CiliumPeerRule[];
  enableDefaultDeny?: { ingress?: boolean; egress?: boolean };
  description?: string;
}

// AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1;
// https://network-policy-api.sigs.k8s.io/reference/spec/, kubernetes-sigs/network-policy-api
// apis/v1alpha1): cluster-scoped, ordered by priority, Allow/Deny/Pass (Baseline: Allow/Deny).
export interface AnpPodsSelector {
  namespaceSelector?: LabelSelector;
  podSelector?: LabelSelector;
}
export interface AnpSubject {
  namespaces?: LabelSelector;
  pods?: AnpPodsSelector;
}
export interface AnpPeer {
  namespaces?: LabelSelector;
  pods?: AnpPodsSelector;
  /** Egress only. */
  nodes?: LabelSelector;
  networks?: string[];
}
export interface AnpPort {
  portNumber?: { protocol?: string; port?: number };
  namedPort?: string;
  portRange?: { protocol?: string; start?: number; end?: number };
}
export interface AnpRule {
  name?: string;
  action?: string;
  from?: AnpPeer[];
  to?: AnpPeer[];
  ports?: AnpPort[];
}
export interface AnpSpec {
  priority?: number;
  subject?: AnpSubject;
  ingress?: AnpRule[];
  egress?: AnpRule[];
}

// Calico's own policy resources (projectcalico.org/v3, also served as crd.projectcalico.org/v1:
// https://docs.tigera.io/calico/latest/reference/resources/networkpolicy, globalnetworkpolicy,
// networkset, globalnetworkset, tier; projectcalico/api pkg/apis/projectcalico/v3). Selectors
// are Calico's selector language (calico-selector.ts), not Kubernetes label selectors.
export interface CalicoEntityRule {
  nets?: string[];
  notNets?: string[];
  selector?: string;
  notSelector?: string;
  namespaceSelector?: string;
  /** Numbers, "min:max" ranges, or named ports. */
  ports?: (number | string)[];
  notPorts?: (number | string)[];
  serviceAccounts?: { names?: string[]; selector?: string };
  services?: { name?: string; namespace?: string };
}
export interface CalicoRule {
  /** Allow, Deny, Log or Pass. */
  action?: string;
  protocol?: string | number;
  notProtocol?: string | number;
  icmp?: { type?: number; code?: number };
  notICMP?: { type?: number; code?: number };
  ipVersion?: number;
  source?: CalicoEntityRule;
  destination?: CalicoEntityRule;
  http?: unknown;
  metadata?: { annotations?: Record<string, string> };
}
export interface CalicoPolicySpec {
  tier?: string;
  order?: number;
  selector?: string;
  /** GlobalNetworkPolicy only: the namespaces whose endpoints it selects. */
  namespaceSelector?: string;
  serviceAccountSelector?: string;
  types?: string[];
  ingress?: CalicoRule[];
  egress?: CalicoRule[];
  doNotTrack?: boolean;
  preDNAT?: boolean;
  applyOnForward?: boolean;
}

export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}
export interface Endpoint {
  addresses: string[];
  conditions: EndpointConditions;
  hostname?: string;
  nodeName?: string;
  zone?: string;
  /** Where kube-proxy may use the endpoint (EndpointHints): the zones (nodes, v1.33+) it serves. */
  hints?: { forZones?: { name: string }[]; forNodes?: { name: string }[] };
  targetRef?: { kind: string; namespace?: string; name: string; uid?: string };
}
export interface EndpointPort {
  name?: string;
  port: number;
  protocol: Protocol;
  appProtocol?: string;
}

/** Any object as read from a manifest, with its kind and where it came from. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  // A boundary: YAML/JSON input of any kind, its shape checked field by field by
  // manifest/validate.ts before the control plane reads it.
  // biome-ignore lint/suspicious/noExplicitAny: manifest input (see above)
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: manifest input (see above)
  status?: any;
  // other top-level fields (data, subsets, endpoints, ports, addressType …)
  // biome-ignore lint/suspicious/noExplicitAny: manifest input (see above)
  [k: string]: any;
  /** Not serialised: where the object was read. */
  source?: SourceRef;
}

export interface Diagnostic {
  severity: "error" | "warning";
  /** `file:line (Kind ns/name) field.path: message` — see spec/errors.ts */
  message: string;
  file?: string;
  line?: number;
  /** 1-based column, for YAML syntax errors. */
  column?: number;
  docIndex?: number;
  object?: string; // "Service default/auth-service"
  field?: string;
  value?: unknown;
  /**
   * API-validation findings only: true when the network model depends on the rule (a port
   * number, an IP, a CIDR …), false for a rule of the API alone (a name's format, a missing
   * container name …), which tolerant loading reports as a warning. Unset for everything
   * else (syntax, document structure, the cluster config): always an error.
   */
  network?: boolean;
}
