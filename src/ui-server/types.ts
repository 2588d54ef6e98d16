// The web view's JSON shapes: types only, shared by the server (api.ts) and the
// browser app (ui/), which type-checks against this file alone.

// Straight from sim/trace.ts: questions/ would pull node-only modules into ui/.
import type { TraceResult } from "../sim/trace.js";

export type { TraceResult };

/** Allowed connections per protocol as inclusive port ranges (policy/portset's ConnSet). */
export type ConnSet = Record<"SCTP" | "TCP" | "UDP", [number, number][]>;

/** The real request for a trace, run inside the source pod (curl / dig). */
/** The real request for a trace, run inside the source pod (curl / dig). */
export interface ExecRequest {
  from: string;
  to: string;
  port?: number;
  protocol?: string;
}

export interface ExecResult {
  command: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface LiveInfo {
  /** The running cluster's name (`--name`), if attached. */
  name?: string;
  allowExec: boolean;
  /** Human-readable state ("running", "absent", "needs root" …). */
  status: string;
  pods?: { namespace: string; name: string; ip: string | null; node: string | null }[];
}

/** /api/flows: the running cluster's recent flows, as `podnet observe` prints them. */
export interface FlowsReply {
  /** Compact lines (hubble observe's shape) with their verdict, oldest first. */
  flows: { line: string; verdict: string }[];
  /** `EVENTS LOST: …` lines; empty when nothing was lost. */
  lost: string[];
  /** Since when and how many events the observer saw. */
  status: string;
}

export interface MapNode {
  name: string;
  role: string;
  address: string;
  podCIDR: string;
  /** Extra Calico blocks (the node's /26s). */
  blocks: string[];
  /** The pods' bridge ("cni0") when the flavor uses one; Calico routes each cali… instead. */
  bridge?: { name: string; address?: string };
  /** The overlay device ("flannel.1", "tunl0", "vxlan.calico") if any. */
  tunnel?: { name: string; kind: string; address?: string; vni?: number; port?: number };
  /** Routes towards other nodes' pod ranges, as `ip route` prints them. */
  podRoutes: { dst: string; text: string; dev?: string; via?: string }[];
}

export interface MapPod {
  namespace: string;
  name: string;
  ip: string | null;
  node: string | null;
  phase: string;
  hostNetwork: boolean;
  hostIf?: string;
  /** The bridge the host side is enslaved to (cni0), if any. */
  master?: string;
  workload: string;
  labels: Record<string, string>;
  listeners: { port: number; protocol: string; container: string }[];
  /** A CoreDNS (kube-dns) pod. */
  dns: boolean;
}

export interface MapService {
  namespace: string;
  name: string;
  type: string;
  clusterIP: string | null;
  externalIPs: string[];
  ports: { name?: string; port: number; protocol: string; targetPort: number | string; nodePort?: number }[];
  endpoints: { ip: string; pod?: string; ready: boolean }[];
  dns: boolean;
}

export interface MapModel {
  cluster: string;
  cni: string;
  backend: string;
  proxyMode: string;
  podSubnet: string;
  serviceSubnet: string;
  underlay: { subnet: string; externalClient: string; mtu: number };
  dnsServiceIP?: string;
  namespaces: string[];
  nodes: MapNode[];
  pods: MapPod[];
  services: MapService[];
  /** Every policy in effect (kind: NetworkPolicy, CiliumNetworkPolicy, GlobalNetworkPolicy …;
   *  namespace "" for a cluster-wide one). */
  policies: { kind: string; namespace: string; name: string }[];
}

export interface NodeInspect {
  name: string;
  links: string;
  addrs: string;
  routes: string;
  neigh: string;
  fdb: string;
  rulesFormat: "iptables-save" | "nft" | "iptables-save + nft";
  rules: string;
}

export interface ReachCell {
  src: string;
  dst: string;
  text: string;
  conns: ConnSet;
  explain: string[];
}

export interface ReachModel {
  workloads: { name: string; namespace: string | null }[];
  cells: ReachCell[];
  classes: number;
  /** Set instead of cells when the selection has more workloads than a matrix can show. */
  tooMany?: number;
}
