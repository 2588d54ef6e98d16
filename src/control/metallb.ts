// MetalLB in layer 2 mode: which node answers ARP for each LoadBalancer IP of the pool
// (networking.loadBalancerSubnet). Every speaker runs the same election and only the
// winner announces (metallb/metallb speaker/layer2_controller.go ShouldAnnounce):
//  - no ready (or serving) endpoint: nobody announces;
//  - candidates: nodes with a live speaker (the speaker DaemonSet tolerates the
//    control-plane taint) minus nodes labelled
//    node.kubernetes.io/exclude-from-external-load-balancers (speakerlist UsableSpeakers;
//    kubeadm labels control-plane nodes with it); with externalTrafficPolicy Local, only
//    the candidates with a ready endpoint of the Service (nodesWithActiveSpeakers);
//  - the candidates sorted by sha256(node + "#" + first IP), ascending: the first wins.
// Derived from the state (Services, EndpointSlices, nodes), so it is never stale: a scale
// or delete that moves endpoints gives a new election on the next state.

import { createHash } from "node:crypto";
import { cidrContains, parseCidr4, parseIPv4 } from "../net/ipv4.js";
import type { ClusterState, KEvent, ServiceState } from "./state.js";

/** The node label that keeps a node out of external load balancers (k8s.io/api core/v1 well_known_labels.go). */
export const EXCLUDE_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers";

/** One Service's announcement: its IP and the speaker node that answers for it. */
export interface L2Announcement {
  /** "namespace/name" of the Service. */
  service: string;
  ip: string;
  node: string;
}

const cache = new WeakMap<ClusterState, Map<string, L2Announcement>>();

/** IP → announcement, for every LoadBalancer IP of the pool that has a winner. */
export function l2Announcements(state: ClusterState): Map<string, L2Announcement> {
  let m = cache.get(state);
  if (m) return m;
  m = new Map();
  const subnet = state.config.networking.loadBalancerSubnet;
  const pool = subnet ? parseCidr4(subnet) : undefined;
  if (pool) {
    const candidates = state.nodes.filter((n) => !(EXCLUDE_LB_LABEL in n.labels)).map((n) => n.name);
    const slicesBySvc = new Map<string, ClusterState["endpointSlices"]>();
    for (const sl of state.endpointSlices) {
      const k = `${sl.namespace}/${sl.serviceName}`;
      const l = slicesBySvc.get(k);
      if (l) l.push(sl);
      else slicesBySvc.set(k, [sl]);
    }
    for (const s of state.services) {
      if (s.type !== "LoadBalancer") continue;
      const ip = s.loadBalancerIPs[0];
      const a = ip === undefined ? undefined : parseIPv4(ip);
      if (a === undefined || !cidrContains(pool, a)) continue;
      const key = `${s.namespace}/${s.name}`;
      const node = electNode(s, slicesBySvc.get(key) ?? [], candidates, ip!);
      if (node) for (const x of s.loadBalancerIPs) m.set(x, { service: key, ip: x, node });
    }
  }
  cache.set(state, m);
  return m;
}

/** The node announcing a Service's IPs, or null (no pool IP, no endpoint, no candidate). */
export function announcingNode(state: ClusterState, s: ServiceState): string | null {
  const ip = s.loadBalancerIPs[0];
  return (ip !== undefined && l2Announcements(state).get(ip)?.node) || null;
}

function electNode(
  s: ServiceState,
  slices: ClusterState["endpointSlices"],
  candidates: string[],
  firstIP: string,
): string | null {
  // epslices.EndpointCanServe: ready, or (terminating and) serving.
  const active = new Set<string>();
  let any = false;
  for (const sl of slices)
    for (const e of sl.endpoints)
      if (e.conditions.ready !== false || e.conditions.serving === true) {
        any = true;
        if (e.nodeName) active.add(e.nodeName);
      }
  if (!any) return null;
  const pool = s.externalTrafficPolicy === "Local" ? candidates.filter((n) => active.has(n)) : candidates;
  let best: string | null = null;
  let bestHash = "";
  for (const n of pool) {
    // Hex of equal-length digests orders as the bytes do (bytes.Compare).
    const h = createHash("sha256").update(`${n}#${firstIP}`).digest("hex");
    if (best === null || h < bestHash) [best, bestHash] = [n, h];
  }
  return best;
}

/**
 * The speakers' events when an announcement appears or moves between two states: MetalLB's
 * `nodeAssigned` on the Service (speaker/main.go, "announcing from node %q with protocol %q").
 */
export function announcementEvents(prev: ClusterState, next: ClusterState, time: number): KEvent[] {
  const before = l2Announcements(prev);
  const out: KEvent[] = [];
  const seen = new Set<string>();
  for (const a of l2Announcements(next).values()) {
    if (seen.has(a.service)) continue;
    seen.add(a.service);
    const was = before.get(a.ip);
    if (was && was.node === a.node && was.service === a.service) continue;
    const [ns, name] = [a.service.slice(0, a.service.indexOf("/")), a.service.slice(a.service.indexOf("/") + 1)];
    out.push({
      type: "Normal",
      reason: "nodeAssigned",
      object: `service/${ns}/${name}`,
      message: `announcing from node "${a.node}" with protocol "layer2"`,
      time,
      source: "metallb-speaker",
    });
  }
  return out;
}

/** Where a client outside the cluster reaches a Service port. */
export interface ExternalEntry {
  ip: string;
  port: number;
  via: "LoadBalancer" | "NodePort";
}

/**
 * The address and port a client on the LAN uses for a Service port: its LoadBalancer IP
 * (the announced one) when it has one, else its NodePort on a node (with
 * externalTrafficPolicy Local, a node with a ready endpoint: the others drop it). Never the
 * ClusterIP, which only the cluster's nodes and pods route. A string: why there is none.
 */
export function externalEntry(state: ClusterState, s: ServiceState, port?: number): ExternalEntry | string {
  const sp = port === undefined ? s.ports[0] : s.ports.find((p) => p.port === port);
  const name = `Service ${s.namespace}/${s.name}`;
  if (!sp) return `${name} has no port ${port ?? ""}`.trimEnd();
  const lbIP = s.type === "LoadBalancer" ? s.loadBalancerIPs[0] : undefined;
  if (lbIP) return { ip: lbIP, port: sp.port, via: "LoadBalancer" };
  if (sp.nodePort && (s.type === "NodePort" || s.type === "LoadBalancer")) {
    let nodes = state.nodes;
    if (s.externalTrafficPolicy === "Local") {
      const local = new Set<string>();
      for (const sl of state.endpointSlices)
        if (sl.namespace === s.namespace && sl.serviceName === s.name)
          for (const e of sl.endpoints) if (e.conditions.ready !== false && e.nodeName) local.add(e.nodeName);
      nodes = nodes.filter((n) => local.has(n.name));
    }
    const n = nodes.find((x) => !(EXCLUDE_LB_LABEL in x.labels)) ?? nodes[0];
    if (n) return { ip: n.address, port: sp.nodePort, via: "NodePort" };
    return `${name} (externalTrafficPolicy Local) has no node with a ready endpoint for its NodePort`;
  }
  const why = `${name} is of type ${s.type}: outside the cluster it has no LoadBalancer IP or NodePort (its ClusterIP routes only inside)`;
  // kubernetes.io/docs/concepts/services-networking/service/#external-ips: Kubernetes does
  // not manage them; the cluster administrator routes them to a node, whose kube-proxy takes
  // them on.
  if (s.externalIPs.length === 0) return why;
  return `${why}; its externalIPs (${s.externalIPs.join(", ")}) reach it where the network routes them to a node: trace to ${s.externalIPs[0]}:${sp.port} from a node or pod`;
}
