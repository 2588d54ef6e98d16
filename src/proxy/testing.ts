// Hand-built ClusterState fixtures for proxy tests (independent of the control plane).
import type { ClusterState, EndpointSliceState, NodeState, ServicePortState, ServiceState } from "../control/state.js";
import type { ClusterConfig } from "../manifest/config.js";
import type { Endpoint } from "../manifest/types.js";
import * as fx from "../testing/fixtures.js";
import { intToIp } from "../net/ipv4.js";

/** kind's defaults with ipBlock not matching pods (src/testing/fixtures.ts). */
export function testConfig(over: Partial<ClusterConfig["networking"]> = {}): ClusterConfig {
  return fx.testConfig({ networking: over });
}

/** Node `index` at 192.168.1.<10+index> with 10.244.<index>.0/24; the first is the control plane. */
export function node(name: string, index: number): NodeState {
  return fx.nodeState(name, index, index === 0 ? { role: "control-plane" } : {});
}

export type SvcOpts = Partial<Omit<ServiceState, "ports">> & { ports?: Partial<ServicePortState>[] };

export function service(namespace: string, name: string, clusterIP: string, o: SvcOpts = {}): ServiceState {
  const ports: ServicePortState[] = (o.ports ?? [{}]).map((p) => ({ protocol: "TCP", port: 80, targetPort: 80, ...p }));
  return {
    namespace,
    name,
    uid: `uid-${namespace}-${name}`,
    labels: {},
    type: "ClusterIP",
    selector: { app: name },
    clusterIP,
    externalIPs: [],
    loadBalancerIPs: [],
    sessionAffinity: "None",
    sessionAffinityTimeout: 10800,
    externalTrafficPolicy: "Cluster",
    internalTrafficPolicy: "Cluster",
    publishNotReadyAddresses: false,
    loadBalancerSourceRanges: [],
    created: 0,
    ...o,
    ports,
  };
}

export interface EpSpec {
  ip: string;
  node?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
  /** The zones of its hints (EndpointHints.forZones). */
  zones?: string[];
  /** The nodes of its hints (EndpointHints.forNodes). */
  nodes?: string[];
}

export function slice(
  namespace: string,
  serviceName: string,
  eps: EpSpec[],
  ports: { name?: string; port: number; protocol?: "TCP" | "UDP" | "SCTP" }[] = [{ port: 80 }],
  name = serviceName + "-abcde",
): EndpointSliceState {
  return {
    namespace,
    name,
    serviceName,
    addressType: "IPv4",
    ports: ports.map((p) => ({
      ...(p.name !== undefined ? { name: p.name } : {}),
      port: p.port,
      protocol: p.protocol ?? "TCP",
    })),
    endpoints: eps.map(
      (e): Endpoint => ({
        addresses: [e.ip],
        conditions: {
          ready: e.ready ?? true,
          serving: e.serving ?? e.ready ?? true,
          terminating: e.terminating ?? false,
        },
        ...(e.node ? { nodeName: e.node } : {}),
        ...(e.zones || e.nodes
          ? {
              hints: {
                ...(e.zones ? { forZones: e.zones.map((name) => ({ name })) } : {}),
                ...(e.nodes ? { forNodes: e.nodes.map((name) => ({ name })) } : {}),
              },
            }
          : {}),
      }),
    ),
    managedBy: "endpointslice-controller.k8s.io",
  };
}

export function clusterState(
  services: ServiceState[],
  slices: EndpointSliceState[],
  nodeNames = ["control-plane", "worker-1", "worker-2"],
  over: Partial<ClusterConfig["networking"]> = {},
): ClusterState {
  const nodes = nodeNames.map((n, i) => node(n, i));
  const config = testConfig(over);
  config.nodes = nodes.map((n) => ({
    name: n.name,
    role: n.role,
    labels: {},
    taints: [],
    address: n.address,
    maxPods: 110,
  }));
  return {
    config,
    seed: "test",
    clock: 0,
    namespaces: [{ name: "default", labels: {} }],
    nodes,
    pods: [],
    services,
    endpointSlices: slices,
    networkPolicies: [],
    ingresses: [],
    workloads: [],
    dns: { zone: "cluster.local", records: [] },
    events: [],
    ipam: { nodes: {}, serviceIPs: {}, nodePorts: {}, loadBalancerIPs: {} },
    warnings: [],
  };
}

/** A synthetic cluster of `nServices` services with `epsPerService` endpoints spread over `nNodes` nodes. */
export function syntheticState(nServices: number, epsPerService: number, nNodes: number): ClusterState {
  const services: ServiceState[] = [];
  const slices: EndpointSliceState[] = [];
  const nodeNames = Array.from({ length: nNodes }, (_, i) => (i === 0 ? "control-plane" : `worker-${i}`));
  let podN = 0;
  for (let s = 0; s < nServices; s++) {
    const ip = `10.${96 + (s >> 16)}.${(s >> 8) & 255}.${s & 255}`;
    const np = s % 10 === 0;
    services.push(
      service(`ns${s % 50}`, `svc-${s}`, ip, {
        type: np ? "NodePort" : "ClusterIP",
        ports: [{ name: "http", port: 80, targetPort: 8080, ...(np ? { nodePort: 30000 + (s % 2700) } : {}) }],
      }),
    );
    const eps: EpSpec[] = [];
    for (let e = 0; e < epsPerService; e++, podN++) {
      const n = 0x0a800000 + podN; // 10.128.0.0 + podN: unique pod IPs
      eps.push({ ip: intToIp(n), node: nodeNames[podN % nNodes] });
    }
    slices.push(slice(`ns${s % 50}`, `svc-${s}`, eps, [{ name: "http", port: 8080 }]));
  }
  return clusterState(services, slices, nodeNames, { podSubnet: "10.0.0.0/8" });
}

/** One Service of every kind kube-proxy handles, over three nodes (for load tests). */
export function richState(over: Partial<ClusterConfig["networking"]> = {}): ClusterState {
  const user = slice("default", "external-db", [{ ip: "192.168.1.50" }], [{ port: 5432 }], "external-db-1");
  user.managedBy = "user";
  const st = clusterState(
    [
      service("default", "kubernetes", "10.96.0.1", {
        selector: null,
        ports: [{ name: "https", port: 443, targetPort: 6443 }],
      }),
      service("default", "auth-service", "10.96.0.20", { ports: [{ name: "http", port: 80 }] }),
      service("default", "empty", "10.96.0.21", {
        type: "NodePort",
        externalIPs: ["192.168.1.201"],
        ports: [{ port: 80, nodePort: 30079 }],
      }),
      service("default", "np", "10.96.0.22", {
        type: "NodePort",
        externalIPs: ["192.168.1.200"],
        ports: [{ port: 8080, nodePort: 30080 }],
      }),
      service("default", "lb", "10.96.0.23", {
        type: "LoadBalancer",
        externalTrafficPolicy: "Local",
        healthCheckNodePort: 32000,
        loadBalancerIPs: ["192.168.1.240"],
        loadBalancerSourceRanges: ["192.168.1.0/25", "203.0.113.0/24"],
        ports: [{ port: 80, nodePort: 30081 }],
      }),
      service("default", "aff", "10.96.0.24", { sessionAffinity: "ClientIP", internalTrafficPolicy: "Local" }),
      service("default", "dns", "10.96.0.10", {
        ports: [
          { name: "dns", protocol: "UDP", port: 53 },
          { name: "dns-tcp", port: 53 },
        ],
      }),
      service("default", "external-db", "10.96.0.25", { selector: null, ports: [{ port: 5432, targetPort: 5432 }] }),
      // Zone hints (trafficDistribution PreferClose): each node's chains hold its zone's endpoints.
      service("default", "zoned", "10.96.0.26", {
        type: "NodePort",
        sessionAffinity: "ClientIP",
        trafficDistribution: "PreferClose",
        ports: [{ port: 80, nodePort: 30082 }],
      }),
    ],
    [
      slice("default", "kubernetes", [{ ip: "192.168.1.10", node: "control-plane" }], [{ name: "https", port: 6443 }]),
      slice(
        "default",
        "auth-service",
        [
          { ip: "10.244.1.5", node: "worker-1" },
          { ip: "10.244.2.7", node: "worker-2" },
          { ip: "10.244.1.10", node: "worker-1" },
        ],
        [{ name: "http", port: 80 }],
      ),
      slice("default", "np", [{ ip: "10.244.2.8", node: "worker-2" }], [{ port: 8080 }]),
      slice("default", "lb", [{ ip: "10.244.2.9", node: "worker-2" }]),
      slice("default", "aff", [
        { ip: "10.244.1.11", node: "worker-1" },
        { ip: "10.244.2.11", node: "worker-2", ready: false, serving: true, terminating: true },
      ]),
      slice(
        "default",
        "dns",
        [
          { ip: "10.244.0.2", node: "control-plane" },
          { ip: "10.244.1.2", node: "worker-1" },
        ],
        [
          { name: "dns", port: 53, protocol: "UDP" },
          { name: "dns-tcp", port: 53 },
        ],
      ),
      user,
      slice("default", "zoned", [
        { ip: "10.244.1.12", node: "worker-1", zones: ["zone-a"] },
        { ip: "10.244.1.13", node: "worker-1", zones: ["zone-a"] },
        { ip: "10.244.2.12", node: "worker-2", zones: ["zone-b"] },
      ]),
    ],
    ["control-plane", "worker-1", "worker-2"],
    over,
  );
  withZones(st, { "control-plane": "zone-a", "worker-1": "zone-a", "worker-2": "zone-b" });
  return st;
}

/** Sets the nodes' topology.kubernetes.io/zone labels (in the state and its config). */
export function withZones(st: ClusterState, zones: Record<string, string>): ClusterState {
  for (const n of st.nodes) if (zones[n.name]) n.labels = { ...n.labels, "topology.kubernetes.io/zone": zones[n.name] };
  for (const n of st.config.nodes ?? [])
    if (zones[n.name]) n.labels = { ...n.labels, "topology.kubernetes.io/zone": zones[n.name] };
  return st;
}
