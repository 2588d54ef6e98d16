// What every kube-proxy mode sees of the cluster: service ports (pkg/proxy/serviceport.go)
// with their endpoints (pkg/proxy/endpointslicecache.go), and the endpoint selection of
// pkg/proxy/topology.go CategorizeEndpoints: zone hints, as ServiceTrafficDistribution is on
// by default and the topology annotation is then not consulted (v1.31), and node hints
// (hints.forNodes, PreferSameTrafficDistribution, beta and on by default from v1.34:
// topologyModeFromHints). A cluster older than v1.33 writes no node hints, so reading them
// when given changes nothing there.
// Everything here is node-independent except `localEndpoints` and, for a port whose
// endpoints all carry hints, `clusterEndpointsOn`, computed per node.

import type { ClusterState, EndpointSliceState, NodeState, ServicePortState, ServiceState } from "../control/state.js";
import { isIPv4 } from "../net/ipv4.js";

export interface ProxyEndpoint {
  ip: string;
  port: number;
  nodeName: string | undefined;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** The zones its hints name (EndpointHints.forZones), null without any. */
  zones: readonly string[] | null;
  /** The nodes its hints name (EndpointHints.forNodes), null without any. */
  nodes: readonly string[] | null;
  /** epStr's cache. */
  s?: string;
}

/** "ip:port": kube-proxy's Endpoint.String(), also the sort key. Built on first use (most never are). */
export function epStr(e: ProxyEndpoint): string {
  return (e.s ??= e.ip + ":" + e.port);
}

/** The order of epStr(a) and epStr(b) (string order), without building them. */
function compareEndpoints(a: ProxyEndpoint, b: ProxyEndpoint): number {
  const x = a.ip;
  const y = b.ip;
  if (x === y) {
    if (a.port === b.port) return 0;
    const p = String(a.port);
    const q = String(b.port);
    return p < q ? -1 : 1;
  }
  // One address a prefix of the other: ":" follows the shorter (addresses hold no ":").
  if (x.length < y.length && y.startsWith(x)) return 58 - y.charCodeAt(x.length);
  if (y.length < x.length && x.startsWith(y)) return x.charCodeAt(y.length) - 58;
  return x < y ? -1 : 1;
}

export interface ProxyServicePort {
  svc: ServiceState;
  port: ServicePortState;
  /** ServicePortName.String(): "ns/name" or "ns/name:portName". */
  name: string;
  /** Lower-case protocol: tcp, udp, sctp. */
  protocol: string;
  clusterIP: string;
  externalIPs: string[];
  lbIPs: string[];
  nodePort: number;
  healthCheckNodePort: number;
  sourceRanges: string[];
  affinity: boolean;
  affinityTimeout: number;
  /** All endpoints of this port, sorted by "ip:port" (string order, as kube-proxy sorts). */
  endpoints: ProxyEndpoint[];
  internalLocal: boolean;
  externalLocal: boolean;
  externallyAccessible: boolean;
  usesClusterEndpoints: boolean;
  usesLocalEndpoints: boolean;
  /** Cluster-policy endpoints: ready ones, or serving+terminating ones when none is ready. */
  clusterEndpoints: ProxyEndpoint[];
  /** The service has usable endpoints somewhere in the cluster. */
  hasEndpoints: boolean;
  /** Every ready endpoint carries a zone hint (some is ready): each node then takes the ones
   *  hinted for its zone, when there are any (clusterEndpointsIn). */
  zoneHinted: boolean;
  /** Every ready endpoint carries a node hint (some is ready): a node with endpoints hinted
   *  for it takes those (clusterEndpointsOn), so the port's chains are the node's own. */
  nodeHinted: boolean;
  /** zoneHinted or nodeHinted: the port's cluster endpoints depend on the node. */
  hinted: boolean;
  /** clusterEndpointsIn's answers by zone (the nodes of a zone share them). */
  byZone?: Map<string, ProxyEndpoint[]>;
}

function sliceKey(ns: string, name: string): string {
  return ns + "/" + name;
}

/** Endpoint slices indexed by "ns/service". */
export function indexSlices(state: ClusterState): Map<string, EndpointSliceState[]> {
  const m = new Map<string, EndpointSliceState[]>();
  for (const s of state.endpointSlices) {
    if (s.addressType !== "IPv4") continue;
    const k = sliceKey(s.namespace, s.serviceName);
    const l = m.get(k);
    if (l) l.push(s);
    else m.set(k, [s]);
  }
  return m;
}

/** kube-proxy's ShouldSkipService: no cluster IP (headless, ExternalName) or not IPv4. */
export function skipService(svc: ServiceState): boolean {
  return svc.type === "ExternalName" || !svc.clusterIP || svc.clusterIP === "None" || !isIPv4(svc.clusterIP);
}

function endpointsFor(slices: EndpointSliceState[] | undefined, port: ServicePortState): ProxyEndpoint[] {
  if (!slices) return [];
  const want = port.name ?? "";
  const out: ProxyEndpoint[] = [];
  for (const sl of slices) {
    for (const sp of sl.ports) {
      if ((sp.name ?? "") !== want || sp.protocol !== port.protocol || !sp.port) continue;
      for (const e of sl.endpoints) {
        // kube-proxy uses only the first address of an endpoint.
        const ip = e.addresses[0];
        if (!ip || ip.indexOf(":") >= 0) continue; // IPv6 (the slice said IPv4)
        const c = e.conditions;
        const ready = c?.ready === undefined || c.ready === null ? true : !!c.ready;
        const serving = c?.serving === undefined || c.serving === null ? ready : !!c.serving;
        const terminating = !!c?.terminating;
        const zones = hintNames(e.hints, "forZones");
        const nodes = hintNames(e.hints, "forNodes");
        // A literal (not a class): V8 then allocates these long-lived objects in the old generation.
        out.push({ ip, port: sp.port, nodeName: e.nodeName, ready, serving, terminating, zones, nodes, s: undefined });
      }
    }
  }
  // Sorted by "ip:port"; of equal ones the first seen stays (the sort is stable). One
  // comparison per pair in the usual case (already sorted, no duplicates).
  let sorted = true;
  let dup = false;
  for (let i = 1; i < out.length; i++) {
    const c = compareEndpoints(out[i - 1], out[i]);
    if (c > 0) {
      sorted = false;
      break;
    }
    if (c === 0) dup = true;
  }
  if (!sorted) out.sort(compareEndpoints);
  if (!sorted || dup) {
    let n = 0;
    for (let i = 0; i < out.length; i++) if (i === 0 || compareEndpoints(out[i], out[n - 1]) !== 0) out[n++] = out[i];
    out.length = n;
  }
  return out;
}

/** The names of an endpoint's zone or node hints (ZoneHints(), NodeHints()), null without any. */
function hintNames(hints: unknown, key: "forZones" | "forNodes"): string[] | null {
  const z = (hints as Record<string, unknown> | null | undefined)?.[key];
  if (!Array.isArray(z) || z.length === 0) return null;
  const out: string[] = [];
  for (const f of z) {
    const name = (f as { name?: unknown } | null)?.name;
    out.push(typeof name === "string" ? name : "");
  }
  return out;
}

/** Every IPv4 service port kube-proxy programs, in state order (kube-proxy's order is a Go map's). */
export function servicePorts(state: ClusterState): ProxyServicePort[] {
  const slices = indexSlices(state);
  const out: ProxyServicePort[] = [];
  for (const svc of state.services) {
    if (skipService(svc)) continue;
    addPorts(out, svc, slices.get(sliceKey(svc.namespace, svc.name)));
  }
  return out;
}

/** One Service's ports as kube-proxy programs them (none when it skips the Service). */
export function servicePortsOf(state: ClusterState, svc: ServiceState): ProxyServicePort[] {
  const out: ProxyServicePort[] = [];
  if (skipService(svc)) return out;
  const sl = state.endpointSlices.filter(
    (s) => s.addressType === "IPv4" && s.namespace === svc.namespace && s.serviceName === svc.name,
  );
  addPorts(out, svc, sl);
  return out;
}

function addPorts(out: ProxyServicePort[], svc: ServiceState, sl: EndpointSliceState[] | undefined): void {
  for (const port of svc.ports) {
    const base = svc.namespace + "/" + svc.name;
    const name = port.name ? base + ":" + port.name : base;
    const externalIPs = svc.externalIPs.filter(isIPv4);
    const lbIPs = svc.type === "LoadBalancer" ? svc.loadBalancerIPs.filter(isIPv4) : [];
    const nodePort = (svc.type === "NodePort" || svc.type === "LoadBalancer") && port.nodePort ? port.nodePort : 0;
    const externallyAccessible = nodePort !== 0 || lbIPs.length > 0 || externalIPs.length > 0;
    // apiservice.ExternalPolicyLocal: only NodePort/LoadBalancer Services have an eTP.
    const externalLocal =
      externallyAccessible &&
      svc.externalTrafficPolicy === "Local" &&
      (svc.type === "NodePort" || svc.type === "LoadBalancer");
    const internalLocal = svc.internalTrafficPolicy === "Local";
    // serviceport.go: !iLocal || (externallyAccessible && !eLocal). With eTP=Local the
    // EXT chain's short-circuit rules still jump to the Cluster chain, so podnet also
    // keeps it for iTP=Local + eTP=Local (else the ruleset would not load).
    const usesClusterEndpoints = !internalLocal || externallyAccessible;
    const usesLocalEndpoints = internalLocal || (externallyAccessible && externalLocal);
    const endpoints = endpointsFor(sl, port);
    let clusterEndpoints: ProxyEndpoint[] = [];
    let hasEndpoints = false;
    let zoneHinted = false;
    let nodeHinted = false;
    if (usesClusterEndpoints) {
      // topologyModeFromHints' node-independent half: no ready endpoint without a zone
      // (a node) hint.
      let zones = true;
      let nodes = true;
      let ready = false;
      for (const e of endpoints) {
        if (!e.ready) continue;
        ready = true;
        if (e.zones === null) zones = false;
        if (e.nodes === null) nodes = false;
        if (!zones && !nodes) break;
      }
      zoneHinted = ready && zones;
      nodeHinted = ready && nodes;
      clusterEndpoints = endpoints.every((e) => e.ready) ? endpoints : endpoints.filter((e) => e.ready); // (read-only: may be one array)
      if (clusterEndpoints.length === 0) clusterEndpoints = endpoints.filter((e) => e.serving && e.terminating);
      hasEndpoints = clusterEndpoints.length > 0;
    }
    if (usesLocalEndpoints && !hasEndpoints)
      hasEndpoints = endpoints.some((e) => e.ready || (e.serving && e.terminating));
    out.push({
      svc,
      port,
      name,
      protocol: port.protocol.toLowerCase(),
      clusterIP: svc.clusterIP!,
      externalIPs,
      lbIPs,
      nodePort,
      healthCheckNodePort: externalLocal && svc.type === "LoadBalancer" ? (svc.healthCheckNodePort ?? 0) : 0,
      sourceRanges: svc.loadBalancerSourceRanges,
      affinity: svc.sessionAffinity === "ClientIP",
      affinityTimeout: svc.sessionAffinityTimeout || 10800,
      endpoints,
      internalLocal,
      externalLocal,
      externallyAccessible,
      usesClusterEndpoints,
      usesLocalEndpoints,
      clusterEndpoints,
      hasEndpoints,
      zoneHinted,
      nodeHinted,
      hinted: zoneHinted || nodeHinted,
    });
  }
}

/** The node's endpoints for Local traffic policy: local ready ones, else local serving+terminating ones. */
export function localEndpoints(
  sp: ProxyServicePort,
  node: string,
): { eps: ProxyEndpoint[]; servingTerminating: boolean } {
  let ready: ProxyEndpoint[] | null = null;
  let st: ProxyEndpoint[] | null = null;
  for (const e of sp.endpoints) {
    if (e.nodeName !== node) continue;
    if (e.ready) (ready ??= []).push(e);
    else if (e.serving && e.terminating) (st ??= []).push(e);
  }
  if (ready) return { eps: ready, servingTerminating: false };
  if (st) return { eps: st, servingTerminating: true };
  return { eps: [], servingTerminating: false };
}

/**
 * What `build` makes for the ports whose endpoints carry zone hints, as `zone`'s nodes have
 * them, once per zone in `memo` (a large cluster has thousands of nodes in a few zones); it
 * gets those ports and each one's endpoints for the zone (clusterEndpointsIn).
 */
export function perZone<P extends { sp: ProxyServicePort }, T>(
  memo: Map<string, T | undefined>,
  zone: string,
  ports: readonly P[],
  build: (hinted: { pc: P; cluster: ProxyEndpoint[] }[]) => T | undefined,
): T | undefined {
  if (memo.has(zone)) return memo.get(zone);
  const hinted = ports
    .filter((pc) => inZoneLayer(pc.sp))
    .map((pc) => ({ pc, cluster: clusterEndpointsIn(pc.sp, zone) }));
  const out = hinted.length ? build(hinted) : undefined;
  memo.set(zone, out);
  return out;
}

/**
 * The port's chains are its zone's (perZone): its endpoints carry zone hints and not node
 * hints (with node hints the answer is the node's own, clusterEndpointsOn).
 */
export function inZoneLayer(sp: ProxyServicePort): boolean {
  return sp.zoneHinted && !sp.nodeHinted;
}

/** The node's topology zone (kube-proxy reads its Node's topology.kubernetes.io/zone label). */
export function nodeZone(node: NodeState): string {
  return node.labels["topology.kubernetes.io/zone"] ?? "";
}

/**
 * CategorizeEndpoints' clusterEndpoints on a node in `zone` (pkg/proxy/topology.go,
 * canUseTopology and availableForTopology): when every ready endpoint has a zone hint and
 * some ready one is hinted for the node's zone, the ready endpoints hinted for it; otherwise
 * (a node without a zone label, no endpoint hinted for its zone) the port's clusterEndpoints.
 */
export function clusterEndpointsIn(sp: ProxyServicePort, zone: string): ProxyEndpoint[] {
  if (!sp.zoneHinted || zone === "") return sp.clusterEndpoints;
  const memo = (sp.byZone ??= new Map());
  let out = memo.get(zone);
  if (out) return out;
  for (const e of sp.endpoints) if (e.ready && e.zones!.includes(zone)) (out ??= []).push(e);
  memo.set(zone, (out ??= sp.clusterEndpoints));
  return out;
}

/**
 * CategorizeEndpoints' clusterEndpoints on node `node` in `zone` (pkg/proxy/topology.go
 * topologyModeFromHints and availableForTopology, v1.34): when every ready endpoint has a
 * node hint and some ready one is hinted for this node, the ready endpoints hinted for it
 * (PreferSameNode); otherwise the zone's (clusterEndpointsIn).
 */
export function clusterEndpointsOn(sp: ProxyServicePort, node: string, zone: string): ProxyEndpoint[] {
  if (sp.nodeHinted) {
    let out: ProxyEndpoint[] | undefined;
    for (const e of sp.endpoints) if (e.ready && e.nodes!.includes(node)) (out ??= []).push(e);
    if (out) return out;
  }
  return clusterEndpointsIn(sp, zone);
}

/** Endpoints the node may reach (chains to create): CategorizeEndpoints' allReachableEndpoints. */
export function reachableEndpoints(
  sp: ProxyServicePort,
  local: { eps: ProxyEndpoint[]; servingTerminating: boolean },
  cluster: ProxyEndpoint[] = sp.clusterEndpoints,
): ProxyEndpoint[] {
  if (!sp.usesLocalEndpoints) return cluster;
  if (!sp.usesClusterEndpoints) return local.eps;
  // Without topology the ready local endpoints are among the cluster ones; a zone's are not.
  if (!local.servingTerminating && cluster === sp.clusterEndpoints) return cluster;
  // kube-proxy merges through a Go map (random order); sorted here for determinism.
  const m = new Map<string, ProxyEndpoint>();
  for (const e of cluster) m.set(epStr(e), e);
  for (const e of local.eps) m.set(epStr(e), e);
  return [...m.values()].sort(compareEndpoints);
}

/** Total endpoints over all service ports: kube-proxy's large-cluster threshold input. */
export function totalEndpoints(sps: ProxyServicePort[]): number {
  let n = 0;
  for (const sp of sps) n += sp.endpoints.length;
  return n;
}

/**
 * The ClusterCIDR local detector's range (kube-proxy's clusterCIDR, by default the pod
 * network), or undefined when kube-proxy has none: an empty clusterCIDR gives it no
 * detector (kubernetes cmd/kube-proxy/app/server.go getLocalDetectors), and the rules that
 * tell pod traffic apart are then left out (the proxiers' localDetector.IsImplemented()).
 */
export function clusterCIDR(state: ClusterState): string | undefined {
  const net = state.config.networking;
  const v = net.kubeProxyClusterCIDR;
  return v === undefined ? net.podSubnet : v === "" ? undefined : v;
}
