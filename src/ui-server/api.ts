// The web view's JSON API: thin adapters over the library functions the CLI uses
// (ClusterState, the questions' trace session and computeReach, the ip/iptables/nft
// renderers).
// No network logic lives here: only shapes convenient for drawing. No I/O either:
// the HTTP edge is server.ts.

import type { ClusterState } from "../control/state.js";
import type { DataplaneIR, NetNs, Route } from "../ir/types.js";
import { renderAddrs, renderFdb, renderLinks, renderNeigh, renderRoutes } from "../ir/render-ip.js";
import { renderIptables } from "../ir/render-iptables.js";
import { renderNft } from "../ir/render-nft.js";
import { TraceInputError, type Protocol, type TraceSession } from "../questions/trace.js";
import { traceLegs } from "../questions/ingress-path.js";
import type { WalkResult } from "../questions/ingress-path-types.js";
import { computeReach, workloadNamer } from "../questions/reach.js";
import { cidrTextContains } from "../net/ipv4.js";
import type {
  ExecRequest,
  ExecResult,
  LiveInfo,
  MapModel,
  MapNode,
  MapPod,
  MapService,
  NodeInspect,
  ReachCell,
  ReachModel,
} from "./types.js";

export type {
  ExecRequest,
  ExecResult,
  LiveInfo,
  MapModel,
  MapNode,
  MapPod,
  MapService,
  NodeInspect,
  ReachCell,
  ReachModel,
};

const isDnsLabels = (l: Record<string, string> | null | undefined) => !!l && l["k8s-app"] === "kube-dns";

function addrOf(ns: NetNs, dev: string): string | undefined {
  return ns.addresses.find((a) => a.dev === dev)?.cidr;
}

function routeText(r: Route): string {
  const parts = [
    r.type !== "unicast" ? r.type : "",
    r.dst,
    r.via ? `via ${r.via}` : "",
    r.dev ? `dev ${r.dev}` : "",
    r.onlink ? "onlink" : "",
    r.proto !== undefined ? `proto ${r.proto}` : "",
  ];
  return parts.filter(Boolean).join(" ");
}

export function mapModel(state: ClusterState, ir: DataplaneIR): MapModel {
  const podSubnet = ir.podSubnet;
  const nodes: MapNode[] = ir.nodes.map((n) => {
    const sn = state.nodes.find((x) => x.name === n.name);
    const bridgeLink = n.ns.links.find((l) => l.kind === "bridge");
    const tun = n.ns.links.find((l) => l.kind === "vxlan" || l.kind === "ipip");
    const own = new Set([n.podCIDR, ...(sn?.blocks ?? [])]);
    const podRoutes = n.ns.routes
      .filter(
        (r) =>
          r.table === "main" &&
          r.type === "unicast" &&
          r.dst !== "default" &&
          r.dst.includes("/") &&
          !r.dst.endsWith("/32") &&
          !own.has(r.dst),
      )
      .filter((r) => cidrTextContains(r.dst.split("/")[0], podSubnet))
      .map((r) => ({ dst: r.dst, text: routeText(r), dev: r.dev, via: r.via }));
    const out: MapNode = {
      name: n.name,
      role: sn?.role ?? "worker",
      address: n.address,
      podCIDR: n.podCIDR,
      blocks: sn?.blocks ?? [],
      podRoutes,
    };
    if (bridgeLink) out.bridge = { name: bridgeLink.name, address: addrOf(n.ns, bridgeLink.name) };
    if (tun)
      out.tunnel = {
        name: tun.name,
        kind: tun.kind,
        address: addrOf(n.ns, tun.name),
        vni: tun.vxlan?.vni,
        port: tun.vxlan?.port,
      };
    return out;
  });
  const irPods = new Map(ir.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  const nodeNs = new Map(ir.nodes.map((n) => [n.name, n.ns]));
  const pods: MapPod[] = state.pods.map((p) => {
    const ip = irPods.get(`${p.namespace}/${p.name}`);
    const hostIf = ip?.hostIf ?? p.hostIfName;
    const master =
      hostIf && p.nodeName ? nodeNs.get(p.nodeName)?.links.find((l) => l.name === hostIf)?.master : undefined;
    return {
      namespace: p.namespace,
      name: p.name,
      ip: p.podIP,
      node: p.nodeName,
      phase: p.terminating ? "Terminating" : p.phase,
      hostNetwork: !!p.spec.hostNetwork,
      hostIf,
      master,
      workload: `${p.workload.kind}/${p.workload.name}`,
      labels: p.labels,
      listeners: (ip?.listeners ?? []).map((l) => ({ port: l.port, protocol: l.protocol, container: l.container })),
      dns: isDnsLabels(p.labels) && p.namespace === "kube-system",
    };
  });
  const byIp = new Map(
    state.pods.filter((p) => p.podIP && !p.spec.hostNetwork).map((p) => [p.podIP!, `${p.namespace}/${p.name}`]),
  );
  const services: MapService[] = state.services.map((s) => {
    const eps = state.endpointSlices
      .filter((e) => e.namespace === s.namespace && e.serviceName === s.name)
      .flatMap((e) =>
        e.endpoints.flatMap((ep) =>
          ep.addresses.map((ip) => ({
            ip,
            pod:
              ep.targetRef?.kind === "Pod"
                ? `${ep.targetRef.namespace ?? s.namespace}/${ep.targetRef.name}`
                : byIp.get(ip),
            ready: ep.conditions?.ready !== false,
          })),
        ),
      );
    return {
      namespace: s.namespace,
      name: s.name,
      type: s.type,
      clusterIP: s.clusterIP,
      externalIPs: [...s.externalIPs, ...s.loadBalancerIPs],
      ports: s.ports.map((p) => ({
        name: p.name,
        port: p.port,
        protocol: p.protocol,
        targetPort: p.targetPort,
        nodePort: p.nodePort,
      })),
      endpoints: eps,
      dns: s.namespace === "kube-system" && (s.name === "kube-dns" || isDnsLabels(s.labels)),
    };
  });
  const dnsSvc = services.find((s) => s.dns);
  return {
    cluster: ir.cluster,
    cni: ir.cni,
    backend: ir.backend,
    proxyMode: ir.proxyMode,
    podSubnet: ir.podSubnet,
    serviceSubnet: ir.serviceSubnet,
    underlay: { subnet: ir.underlay.subnet, externalClient: ir.underlay.externalClient, mtu: ir.underlay.mtu },
    dnsServiceIP: dnsSvc?.clusterIP ?? undefined,
    namespaces: state.namespaces.map((n) => n.name),
    nodes,
    pods,
    services,
    policies: [
      ...state.networkPolicies.map((p) => ({ kind: "NetworkPolicy", namespace: p.namespace, name: p.name })),
      ...(state.ciliumPolicies ?? []).map((p) => ({ kind: p.kind, namespace: p.namespace ?? "", name: p.name })),
      ...(state.calico?.policies ?? []).map((p) => ({
        kind: p.kind === "NetworkPolicy" ? "NetworkPolicy.projectcalico.org" : p.kind,
        namespace: p.namespace ?? "",
        name: p.name,
      })),
      ...(state.adminPolicies ?? []).map((p) => ({ kind: p.kind, namespace: "", name: p.name })),
    ],
  };
}

/** A node's kernel state as `ip`, `bridge`, `iptables-save` and `nft` print it. */
export function inspectNode(ir: DataplaneIR, name: string): NodeInspect | undefined {
  const n = ir.nodes.find((x) => x.name === name);
  if (!n) return undefined;
  const nf = n.ns.netfilter;
  const ipt = nf.iptables.length ? renderIptables(nf.iptables) : "";
  const nft = nf.nftables.length ? renderNft(nf.nftables) : "";
  const fmt = ipt && nft ? "iptables-save + nft" : nft ? "nft" : "iptables-save";
  return {
    name,
    links: renderLinks(n.ns),
    addrs: renderAddrs(n.ns),
    routes: renderRoutes(n.ns, "all"),
    neigh: renderNeigh(n.ns),
    fdb: renderFdb(n.ns),
    rulesFormat: fmt,
    rules: [ipt, nft].filter(Boolean).join("\n"),
  };
}

export class ApiInputError extends Error {}

/**
 * A request field as text: a JSON body may hold anything, and String() of an object whose
 * toString is not a function throws. Strings, numbers and booleans pass; undefined and null
 * are "" (absent); anything else is a 400.
 */
export function fieldText(v: unknown, field: string): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new ApiInputError(`${field} must be a string`);
}

const PROTOS = ["tcp", "udp", "sctp", "icmp"];

export interface TraceQuery {
  from?: string;
  to?: string;
  port?: string | number;
  protocol?: string;
  size?: string | number;
  /** Also trace the reply back to the client (NAT undone by conntrack). */
  reply?: string | boolean;
}

/** Asks the session; bad input (unknown pod, bad port) is an ApiInputError with the interpreter's message. */
export function runTrace(session: TraceSession, q: TraceQuery): WalkResult {
  const from = fieldText(q.from, "from").trim();
  const to = fieldText(q.to, "to").trim();
  q = {
    ...q,
    port: fieldText(q.port, "port"),
    protocol: fieldText(q.protocol, "protocol"),
    size: fieldText(q.size, "size"),
  };
  if (!from) throw new ApiInputError("from is required: [ns/]pod | node/NAME | external[:IP]");
  if (!to) throw new ApiInputError("to is required: [ns/]pod | svc/[ns/]NAME | IP | IP:PORT | URL");
  let port: number | undefined;
  if (q.port !== undefined && q.port !== "") {
    port = Number(q.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new ApiInputError(`port must be an integer 1-65535: "${q.port}"`);
  }
  let protocol: Protocol | undefined;
  if (q.protocol !== undefined && q.protocol !== "") {
    if (!PROTOS.includes(String(q.protocol)))
      throw new ApiInputError(`protocol must be one of ${PROTOS.join("|")}: "${q.protocol}"`);
    protocol = q.protocol as Protocol;
  }
  let size: number | undefined;
  if (q.size !== undefined && q.size !== "") {
    size = Number(q.size);
    if (!Number.isInteger(size) || size < 28 || size > 65535)
      throw new ApiInputError(`size must be an integer 28-65535: "${q.size}"`);
  }
  try {
    const reply = q.reply === true || q.reply === "true" || q.reply === "1"; // anything else: false
    const flow = { from, to, port, protocol, size, reply };
    if (!session.state) return session.trace(flow, { maxPaths: 256 });
    const legSession = { state: session.state, trace: session.trace.bind(session) };
    const t = traceLegs(legSession, flow, { maxPaths: 256 });
    const out: WalkResult = { ...t.first };
    if (t.resolved) out.resolved = t.resolved;
    if (t.legs) out.legs = t.legs;
    return out;
  } catch (e) {
    if (e instanceof TraceInputError) throw new ApiInputError(e.message);
    throw e;
  }
}

/** Beyond this many workloads a matrix is unreadable (and quadratic): filter by namespace. */
export const MATRIX_LIMIT = 150;

/** The policy matrix: every workload pair (denied pairs included) with its explanation. */
export function reachModel(state: ClusterState, namespace?: string): ReachModel {
  // Counted as reach names them (a dump's pods by owner; podnet's own additions left out).
  const wl = new Set<string>();
  const name = workloadNamer(state);
  for (const p of state.pods)
    if (p.podIP && !p.spec.hostNetwork && !p.system && (!namespace || p.namespace === namespace)) wl.add(name(p));
  if (wl.size > MATRIX_LIMIT) return { workloads: [], cells: [], classes: 0, tooMany: wl.size };
  const r = computeReach(state, { explain: true, includeDenied: true, namespace: namespace || undefined });
  const names = new Set<string>();
  for (const l of r.lines) {
    names.add(l.src);
    names.add(l.dst);
  }
  const nsOf = (w: string) => /^([^/[\]]+)\/[^[]+\[/.exec(w)?.[1] ?? null;
  const workloads = [...names]
    .sort((a, b) => Number(nsOf(a) === null) - Number(nsOf(b) === null) || a.localeCompare(b))
    .map((name) => ({ name, namespace: nsOf(name) }));
  return {
    workloads,
    cells: r.lines.map((l) => ({ src: l.src, dst: l.dst, text: l.text, conns: l.conns, explain: l.explain ?? [] })),
    classes: r.classes,
  };
}
