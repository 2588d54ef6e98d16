// ClusterState → Dataplane IR. Shared code: the underlay, each node's base namespace
// (lo, eth0, default route, sysctls), the kube-proxy output and the pods' listeners.
// Everything CNI-specific comes from the flavor strategy (plumbing/), everything
// Service-specific from the proxy mode strategy (proxy/).
//
// Decisions (documented for the interpreter and the kernel backend):
// - Underlay: namespace "underlay" with bridge `podnet0` (the LAN switch), one veth port
//   `node<index>` per node whose peer is the node's eth0. The underlay holds the LAN's
//   gateway address (the first host of nodeSubnet, .1 — node addresses start at .2) which
//   also serves as the "outside" client; nodes get `default via <that address> dev eth0`,
//   so traffic leaving the cluster stays inside podnet's namespaces and exits there.
//   If .1 is taken (a node or the LoadBalancer pool), the highest free host address is used.
// - Sysctls on every node: ip_forward=1 and bridge-nf-call-iptables=1 (kubeadm's
//   prerequisites); rp_filter is left at the default except where a flavor sets it.
// - Netfilter layers in merge order: kube-proxy shared, kube-proxy per-node, the flavor's.
// - Scale: the IR for one node is built on its own (buildNodeIR); a BuildContext holds the
//   indexes and the proxy mode's shared output, cached per state and mode, so repeated
//   per-node builds cost only that node. buildIR's nodes and pods build their namespaces
//   lazily on first access (enumerable getters: JSON.stringify sees plain data).
// - IR objects are read-only: routes/neighbours identical across nodes are shared.

import { hostsFileOf, podUtsHostname } from "../control/hosts.js";
import { l2Announcements } from "../control/metallb.js";
import { applyNodeFaults, applyUnderlayFaults } from "./faults.js";
import { nodePolicyLayer } from "../policy/compile.js";
import { directionVerdict, indexPolicies, policiesSelecting, type PolicyIndex } from "../policy/engine.js";
import type { ClusterState, NodeState, PodState } from "../control/state.js";
import type { ProxyModeName } from "../manifest/config.js";
import { proxyLayers, type ProxyMode, type ProxyOutput } from "../proxy/mode.js";
import { proxyModes } from "../proxy/index.js";
import { flavorFor } from "../plumbing/index.js";
import { cniNetworkName, portMappingsOf, portmapLayers, type PortmapPod } from "../plumbing/portmap.js";
import type { CniFlavor, FlavorContext } from "../plumbing/flavor.js";
import {
  addAddress,
  addBridge,
  addBridgePortFdb,
  addLoopback,
  emptyNs,
  macFor,
  nodeNsId,
  podHasOwnNs,
  route,
} from "../plumbing/kernel.js";
import { cidrContains, intToIp, ipToInt, parseCidr } from "../net/ipv4.js";
import type { DataplaneIR, IptLayer, Link, Listener, NetNs, NftLayer, NodeNet, PodNet, Underlay } from "../ir/types.js";

export interface BuildOptions {
  proxyMode?: ProxyModeName;
  /** A proxy mode strategy to use instead of the registry's (tests). */
  proxy?: ProxyMode | null;
}

export const UNDERLAY_NS = "underlay";
export const UNDERLAY_BRIDGE = "podnet0";

export interface BuildContext extends FlavorContext {
  flavor: CniFlavor;
  proxy: ProxyMode | null;
  proxyModeName: ProxyModeName;
  netfilterMode: "iptables" | "nftables";
  /** Node index in state.nodes (underlay port position). */
  nodePos: Map<string, number>;
  externalClient: string;
  nodeSubnetPrefix: number;
  /** The proxy mode's shared output, computed on first use. */
  proxyShared(): ProxyOutput;
}

const ctxCache = new WeakMap<ClusterState, Map<string, BuildContext>>();

function lookupProxy(name: ProxyModeName): ProxyMode | null {
  const reg = proxyModes as unknown as Record<string, ProxyMode | undefined> | Map<string, ProxyMode>;
  const m = reg instanceof Map ? reg.get(name) : reg[name];
  return m ?? null;
}

export function underlayPortName(pos: number): string {
  return `node${pos}`;
}

/** The LAN gateway / outside client address (see the decisions above). */
export function chooseExternalClient(state: ClusterState): string {
  const net = state.config.networking;
  const c = parseCidr(net.nodeSubnet, true);
  const lb = net.loadBalancerSubnet ? parseCidr(net.loadBalancerSubnet, true) : null;
  const taken = new Set(state.nodes.map((n) => n.address));
  const free = (a: number) => !taken.has(intToIp(a)) && !(lb && cidrContains(lb, a));
  if (c.last - c.base >= 2 && free(c.base + 1)) return intToIp(c.base + 1);
  for (let a = c.last - 1; a > c.base; a--) if (free(a)) return intToIp(a);
  throw new Error(`networking.nodeSubnet: "${net.nodeSubnet}" has no free address for the underlay gateway`);
}

export function buildContext(state: ClusterState, opts: BuildOptions = {}): BuildContext {
  const modeName = opts.proxyMode ?? state.config.networking.kubeProxyMode;
  let perState = ctxCache.get(state);
  const key = opts.proxy !== undefined ? null : modeName; // injected strategies are not cached
  if (key && perState?.has(key)) return perState.get(key)!;
  const podsByNode = new Map<string, PodState[]>();
  for (const p of state.pods) {
    if (!p.nodeName) continue;
    let l = podsByNode.get(p.nodeName);
    if (!l) podsByNode.set(p.nodeName, (l = []));
    l.push(p);
  }
  const nodeByName = new Map<string, NodeState>();
  const nodePos = new Map<string, number>();
  state.nodes.forEach((n, i) => {
    nodeByName.set(n.name, n);
    nodePos.set(n.name, i);
  });
  const proxy =
    opts.proxy !== undefined ? opts.proxy : modeName === "none" ? lookupProxy("none") : lookupProxy(modeName);
  if (!proxy && opts.proxy === undefined && modeName !== "none")
    throw new Error(`kube-proxy mode "${modeName}" is not available`);
  let sharedOut: ProxyOutput | undefined;
  const ctx: BuildContext = {
    state,
    podsByNode,
    nodeByName,
    underlayMtu: state.config.networking.mtu || 1500,
    flavor: flavorFor(state.config),
    proxy,
    proxyModeName: modeName,
    netfilterMode: proxy?.netfilter ?? (modeName === "nftables" ? "nftables" : "iptables"),
    nodePos,
    externalClient: chooseExternalClient(state),
    nodeSubnetPrefix: parseCidr(state.config.networking.nodeSubnet, true).prefix,
    proxyShared() {
      if (!sharedOut) sharedOut = proxy ? proxy.shared(state) : {};
      return sharedOut;
    },
    policy: policyOracle(state),
  };
  if (key) {
    if (!perState) ctxCache.set(state, (perState = new Map()));
    perState.set(key, ctx);
  }
  return ctx;
}

/** NetworkPolicy's evaluation for flavors that enforce it in their own maps (Cilium). */
function policyOracle(state: ClusterState): FlavorContext["policy"] {
  let ix: PolicyIndex | undefined;
  return {
    allowed(dir, subject, peer) {
      ix ??= indexPolicies(state);
      const party =
        typeof peer === "string" ? { kind: "ip" as const, ip: ipToInt(peer) } : { kind: "pod" as const, pod: peer };
      const v = directionVerdict(ix, dir, { kind: "pod", pod: subject }, party);
      return v.isolated ? v.hits : null;
    },
    denied(dir, subject, peer) {
      ix ??= indexPolicies(state);
      const party =
        typeof peer === "string" ? { kind: "ip" as const, ip: ipToInt(peer) } : { kind: "pod" as const, pod: peer };
      return directionVerdict(ix, dir, { kind: "pod", pod: subject }, party).denyHits ?? [];
    },
    deniesAny(dir, subject) {
      ix ??= indexPolicies(state);
      return policiesSelecting(ix, subject, dir).some(
        (p) => (dir === "ingress" ? p.ingressDenyRules : p.egressDenyRules)?.length,
      );
    },
  };
}

/**
 * Ports a Service sends to, by pod IP ("TCP/5000" → "Service ns/name"), from the
 * EndpointSlices (their ports are the resolved target ports). A container need not declare
 * a port to listen on it (containerPort is informational: core/v1 types.go), so a pod with
 * a container that declares none is taken to listen there. A container that declares its
 * ports is taken at its word: a Service's targetPort elsewhere finds nothing listening
 * (connection refused), the case https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/#is-the-kube-proxy-working
 * has one check the targetPort against (podnet's pod servers, too, serve these listeners only).
 */
function targetedPorts(state: ClusterState): Map<string, string[]> {
  let m = targetedCache.get(state);
  if (m) return m;
  // Per pod IP a flat [key, Service, key, Service, …] list (a pod has a few: a Map per pod
  // IP was 140,000 Maps at 10,000 Services).
  m = new Map();
  for (const sl of state.endpointSlices) {
    if (sl.addressType !== "IPv4" || !sl.serviceName) continue;
    // The keys and the name once per slice, not per address (700,000 strings at 10,000 Services).
    const keys: string[] = [];
    for (const p of sl.ports) if (p.port) keys.push(`${p.protocol ?? "TCP"}/${p.port}`);
    if (!keys.length) continue;
    const svc = `Service ${sl.namespace}/${sl.serviceName}`;
    for (const e of sl.endpoints)
      for (const ip of e.addresses) {
        let ports = m.get(ip);
        if (!ports) m.set(ip, (ports = []));
        for (const k of keys) if (!hasKey(ports, k)) ports.push(k, svc);
      }
  }
  targetedCache.set(state, m);
  return m;
}
const targetedCache = new WeakMap<ClusterState, Map<string, string[]>>();

function hasKey(pairs: string[], k: string): boolean {
  for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === k) return true;
  return false;
}

function listenersOf(pod: PodState, down: Map<string, string>, state?: ClusterState): Listener[] {
  const out = declaredListeners(pod).filter((l) => !down.has(l.container));
  // The container that may listen on what it does not declare: the first that declares nothing.
  const silent = (pod.spec.containers ?? []).find((c) => !c.ports?.length && !down.has(c.name ?? "<unnamed>"));
  const wanted =
    silent && state && pod.podIP && !pod.spec.hostNetwork ? targetedPorts(state).get(pod.podIP) : undefined;
  if (!wanted) return out;
  const first = silent?.name ?? "<unnamed>";
  for (let i = 0; i < wanted.length; i += 2) {
    const k = wanted[i];
    const svc = wanted[i + 1];
    const [protocol, port] = [k.slice(0, k.indexOf("/")), Number(k.slice(k.indexOf("/") + 1))];
    if (out.some((l) => l.port === port && l.protocol === protocol)) continue;
    out.push({
      container: first,
      port,
      protocol: protocol as Listener["protocol"],
      address: "0.0.0.0",
      assumedFrom: svc,
    });
  }
  return out;
}

/**
 * The containers an observed pod's status shows not running (waiting in CrashLoopBackOff,
 * terminated): no process, so nothing listens for them — a connection to their ports is
 * refused by the pod's kernel (its network namespace stays with the sandbox). A container
 * without a status entry is taken as running.
 */
function notRunning(pod: PodState): Map<string, string> {
  const down = new Map<string, string>();
  const statuses = pod.observed ? pod.status?.containerStatuses : undefined;
  if (!Array.isArray(statuses)) return down;
  for (const cs of statuses as { name?: unknown; state?: Record<string, unknown> }[]) {
    const st = cs?.state;
    if (typeof cs?.name === "string" && st && typeof st === "object" && !st.running) down.set(cs.name, stateReason(st));
  }
  return down;
}

/** "CrashLoopBackOff", "Error", "waiting", "terminated": the state's reason, or its kind. */
function stateReason(st: Record<string, unknown>): string {
  for (const k of ["waiting", "terminated"]) {
    const r = (st[k] as { reason?: unknown } | undefined)?.reason;
    if (st[k]) return typeof r === "string" && r ? r : k;
  }
  return "not running";
}

/** The declared ports of the containers not running, with why. */
function stoppedListeners(pod: PodState, down: Map<string, string>): (Listener & { reason: string })[] {
  if (down.size === 0) return [];
  return declaredListeners(pod).flatMap((l) =>
    down.has(l.container) ? [{ ...l, reason: down.get(l.container)! }] : [],
  );
}

function declaredListeners(pod: PodState): Listener[] {
  const out: Listener[] = [];
  for (const c of pod.spec.containers ?? []) {
    for (const p of c.ports ?? []) {
      const l: Listener = {
        // A container without a name (read tolerantly; the API would refuse it).
        container: c.name ?? "<unnamed>",
        port: p.containerPort,
        protocol: (p.protocol ?? "TCP") as Listener["protocol"],
        address: "0.0.0.0",
      };
      if (p.name) l.portName = p.name;
      out.push(l);
    }
  }
  return out;
}

function podNetBase(pod: PodState, state?: ClusterState): PodNet {
  const down = notRunning(pod);
  const o: PodNet = {
    namespace: pod.namespace,
    name: pod.name,
    node: pod.nodeName,
    ip: pod.podIP,
    hostNetwork: !!pod.spec.hostNetwork,
    listeners: listenersOf(pod, down, state),
    resolvConf: pod.resolvConf,
  };
  const stopped = stoppedListeners(pod, down);
  if (stopped.length) o.stopped = stopped;
  if (state && pod.podIP) {
    // Made when read (a 5,000-node cluster's pods would hold their files all at once).
    let hosts: string | undefined | null = null;
    Object.defineProperty(o, "hosts", {
      enumerable: true,
      get: () => (hosts === null ? (hosts = hostsFileOf(state, pod)) : hosts),
    });
    Object.defineProperty(o, "hostname", { enumerable: true, get: () => podUtsHostname(state.config, pod) });
  }
  return o;
}

export interface NodeBuild {
  node: NodeNet;
  /** Every pod scheduled to the node (hostNetwork pods without ns). */
  pods: PodNet[];
}

/** The IR of one node and its pods, independent of the other nodes' IR. */
export function buildNodeIR(state: ClusterState, nodeName: string, ctx: BuildContext = buildContext(state)): NodeBuild {
  const node = ctx.nodeByName.get(nodeName);
  if (!node) throw new Error(`node "${nodeName}" not found (nodes: ${state.nodes.map((n) => n.name).join(", ")})`);
  const ns = emptyNs(nodeNsId(node.name));
  addLoopback(ns);
  const pos = ctx.nodePos.get(node.name)!;
  ns.links.push({
    name: "eth0",
    kind: "veth",
    mtu: ctx.underlayMtu,
    mac: nodeEth0Mac(node.name),
    up: true,
    peer: { ns: UNDERLAY_NS, name: underlayPortName(pos) },
  });
  addAddress(ns, "eth0", `${node.address}/${ctx.nodeSubnetPrefix}`);
  const announces = l2AnnouncesOf(state, node.name);
  // MetalLB layer 2: the elected node answers ARP for the IP. The speaker does it from user
  // space with the IP on no interface; here the IP is a /32 on eth0, which makes the
  // kernel answer just as the speaker would (eth0's MAC, on that segment only, also under
  // IPVS's arp_ignore=1) and gives the model and the kernel one fact to agree on. The one
  // difference (the node takes the IP as local: a port no Service serves answers RST
  // instead of the packet being routed back to the LAN) is on paths kube-proxy does not own.
  // Before kube-ipvs0's copy of the IP: eth0 is the device that answers (arp_ignore=1).
  for (const ip of announces) addAddress(ns, "eth0", `${ip}/32`, { noBroadcastAttr: true });
  ns.routes.push(route({ dst: "default", via: ctx.externalClient, dev: "eth0" }));
  ns.sysctls["net.ipv4.ip_forward"] = "1";
  ns.sysctls["net.bridge.bridge-nf-call-iptables"] = "1";
  modelOnlySysctls(ns);

  // kube-proxy: shared output once per state, then this node's differences. A stopped
  // kube-proxy (fault kube-proxy-down) keeps the rules of the state it last synced.
  const stale = staleProxyState(state, node.name);
  const shared = stale ? staleShared(ctx, stale) : ctx.proxyShared();
  const own: ProxyOutput = ctx.proxy ? ctx.proxy.perNode(stale ?? state, node, shared) : {};
  for (const l of [...(shared.links ?? []), ...(own.links ?? [])]) ns.links.push({ ...l });
  for (const a of [...(shared.addresses ?? []), ...(own.addresses ?? [])])
    addAddress(ns, a.dev, a.cidr, { noBroadcastAttr: true });
  Object.assign(ns.sysctls, shared.sysctls, own.sysctls);

  ctx.flavor.buildNode(ctx, node, ns);

  const pods: PodNet[] = [];
  for (const p of ctx.podsByNode.get(node.name) ?? []) {
    const pn = podNetBase(p, state);
    if (podHasOwnNs(p)) {
      const { podNs, hostIf } = ctx.flavor.buildPod(ctx, node, p, ns);
      podNs.netfilter = { mode: ctx.netfilterMode, iptables: [], nftables: [] };
      modelOnlySysctls(podNs);
      pn.ns = podNs;
      pn.hostIf = hostIf;
    }
    pods.push(pn);
  }

  const fl = ctx.flavor.netfilter(ctx, node, ctx.netfilterMode);
  const pm = portmapOf(ctx, ns, pods);
  const ipt: IptLayer[] = [];
  const nft: NftLayer[] = [];
  if (pm) ipt.push(pm.head);
  const kp = proxyLayers(shared, own);
  ipt.push(...kp.iptables);
  nft.push(...kp.nftables);
  if (fl.iptables) ipt.push(fl.iptables);
  if (fl.nftables) nft.push(fl.nftables);
  if (pm) ipt.push(pm.tail);
  const ipvs = own.ipvs ?? shared.ipvs;
  // NetworkPolicy: one `inet podnet-policy` table, in every proxy mode (see policy/compile.ts);
  // with IPVS, the virtual servers whose traffic policy checks after IPVS's rewrite.
  const pol = nodePolicyLayer(state, node, ctx.podsByNode.get(node.name) ?? [], ipvs);
  if (pol) nft.push(pol);
  ns.netfilter = { mode: ctx.netfilterMode, iptables: ipt, nftables: nft };

  const nn: NodeNet = { name: node.name, address: node.address, podCIDR: node.podCIDR, ns };
  if (announces.length > 0) nn.announces = announces;
  const host = hostListeners(node);
  if (host) nn.listeners = host;
  if (ipvs) nn.ipvs = ipvs;
  const bgp = ctx.flavor.bgp?.(ctx, node);
  if (bgp) nn.bgp = bgp;
  const bpf = ctx.flavor.bpf?.(ctx, node);
  if (bpf) nn.bpf = bpf;
  applyNodeFaults(state, node, nn, pods);
  return { node: nn, pods };
}

/** The state kube-proxy on `node` last synced, when it is stopped (control/faults.ts). */
function staleProxyState(state: ClusterState, node: string): ClusterState | undefined {
  const synced = state.kubeProxySynced?.[node];
  if (!synced) return undefined;
  let s = staleStates.get(synced);
  if (!s) staleStates.set(synced, (s = { ...state, services: synced.services, endpointSlices: synced.endpointSlices }));
  return s;
}
const staleStates = new WeakMap<object, ClusterState>();
const staleOutputs = new WeakMap<ClusterState, Map<string, ProxyOutput>>();

/** The proxy mode's shared output for a stale state, once per state and mode. */
function staleShared(ctx: BuildContext, stale: ClusterState): ProxyOutput {
  let m = staleOutputs.get(stale);
  if (!m) staleOutputs.set(stale, (m = new Map()));
  let out = m.get(ctx.proxyModeName);
  if (!out) m.set(ctx.proxyModeName, (out = ctx.proxy ? ctx.proxy.shared(stale) : {}));
  return out;
}

/**
 * hostPort: the portmap plugin's nat chains for the node's pods (plumbing/portmap.ts), in
 * iptables in every proxy mode (the plugin has no nftables backend in v1.1.1), and its
 * route_localnet=1 on the host interface that routes to each such pod; none where the
 * flavor serves hostPorts itself (Cilium without kube-proxy).
 */
function portmapOf(ctx: BuildContext, ns: NetNs, pods: PodNet[]): ReturnType<typeof portmapLayers> {
  if (ctx.flavor.servesHostPorts?.(ctx)) return null;
  const states = ctx.podsByNode.get(pods[0]?.node ?? "") ?? [];
  const list: PortmapPod[] = [];
  for (const pn of pods) {
    const p = states.find((x) => x.namespace === pn.namespace && x.name === pn.name);
    const addr = pn.ns?.addresses.find((a) => a.dev === "eth0");
    if (!p || !addr) continue;
    const mappings = portMappingsOf(p);
    if (mappings.length === 0) continue;
    list.push({ containerID: p.containerID, containerNet: addr.cidr, mappings });
    const host = pn.hostIf ? ns.links.find((l) => l.name === pn.hostIf) : undefined;
    if (host) ns.sysctls[`net.ipv4.conf.${host.master ?? host.name}.route_localnet`] = "1";
  }
  return portmapLayers(cniNetworkName(ctx.state.config.networking.cni), list);
}

/**
 * What the model does not have, turned off in every namespace so that the kernel does
 * what the model says:
 * - IPv6 (the model is IPv4 only): no fe80:: addresses and routes, no IPv6 background
 *   traffic (router/neighbour solicitations, MLD). "all" also turns IPv6 off on links
 *   that exist when it is written; "default" on the ones made or moved in later.
 * - the per-destination ICMP error rate limit (icmp_ratelimit, 1000 ms by default; a
 *   destination not seen before may get none for a second): the model has no time, so
 *   a REJECT or a closed UDP port answers every packet with its ICMP error.
 */
function modelOnlySysctls(ns: NetNs): void {
  ns.sysctls["net.ipv6.conf.all.disable_ipv6"] = "1";
  ns.sysctls["net.ipv6.conf.default.disable_ipv6"] = "1";
  ns.sysctls["net.ipv4.icmp_ratelimit"] = "0";
}

export function nodeEth0Mac(nodeName: string): string {
  return macFor(`${nodeNsId(nodeName)}/eth0`);
}

/** The LAN: bridge podnet0 with one port per node and the gateway/outside address. */
export function buildUnderlay(state: ClusterState, ctx: BuildContext = buildContext(state)): Underlay {
  const ns = emptyNs(UNDERLAY_NS);
  addLoopback(ns);
  modelOnlySysctls(ns);
  const mtu = ctx.underlayMtu;
  addBridge(ns, UNDERLAY_BRIDGE, macFor(`${UNDERLAY_NS}/${UNDERLAY_BRIDGE}`), mtu);
  addAddress(ns, UNDERLAY_BRIDGE, `${ctx.externalClient}/${ctx.nodeSubnetPrefix}`);
  state.nodes.forEach((n, i) => {
    const port: Link = {
      name: underlayPortName(i),
      kind: "veth",
      mtu,
      mac: macFor(`${UNDERLAY_NS}/${underlayPortName(i)}`),
      up: true,
      master: UNDERLAY_BRIDGE,
      peer: { ns: nodeNsId(n.name), name: "eth0" },
    };
    ns.links.push(port);
    addBridgePortFdb(ns, UNDERLAY_BRIDGE, port);
  });
  // Nodes talk all the time (kubelet, BGP, VXLAN): their MACs are learned on their ports.
  state.nodes.forEach((n, i) =>
    ns.fdb.push({ dev: underlayPortName(i), mac: nodeEth0Mac(n.name), master: UNDERLAY_BRIDGE, state: "dynamic" }),
  );
  applyUnderlayFaults(state, ns, (name) => {
    const i = ctx.nodePos.get(name);
    return i === undefined ? undefined : underlayPortName(i);
  });
  return { ns, subnet: state.config.networking.nodeSubnet, mtu, externalClient: ctx.externalClient };
}

/**
 * The whole cluster. Node and pod namespaces are built on first access per node (a
 * node's pods come with it), so building the IR of a 5,000-node cluster is cheap and
 * only the nodes a consumer touches cost memory.
 */
export function buildIR(state: ClusterState, opts: BuildOptions = {}): DataplaneIR {
  const ctx = buildContext(state, opts);
  const net = state.config.networking;
  const builds = new Map<string, NodeBuild>();
  const nodeBuild = (name: string) => {
    let b = builds.get(name);
    if (!b) builds.set(name, (b = buildNodeIR(state, name, ctx)));
    return b;
  };
  const nodes: NodeNet[] = state.nodes.map((n) => lazyNode(state, n, () => nodeBuild(n.name).node));
  const pods: PodNet[] = state.pods.map((p) => {
    if (!p.nodeName || !ctx.nodeByName.has(p.nodeName)) return podNetBase(p, state);
    return lazyPod(
      p,
      state,
      () => nodeBuild(p.nodeName!).pods.find((x) => x.namespace === p.namespace && x.name === p.name)!,
    );
  });
  let underlay: Underlay | undefined;
  const ir = {
    cluster: state.config.name,
    cni: net.cni,
    backend: net.backend,
    proxyMode: ctx.proxyModeName,
    podSubnet: net.podSubnet,
    serviceSubnet: net.serviceSubnet,
    nodes,
    pods,
  } as DataplaneIR;
  Object.defineProperty(ir, "underlay", { enumerable: true, get: () => (underlay ??= buildUnderlay(state, ctx)) });
  return ir;
}

/**
 * What listens on a node outside pods: kube-apiserver on a control-plane node, on its
 * secure port (kubeadm: --secure-port=6443, cmd/kubeadm/app/constants/constants.go
 * KubeAPIServerPort; --bind-address default 0.0.0.0), the port of the `kubernetes`
 * Service's endpoints. It runs as a hostNetwork static pod that declares no port.
 */
export const APISERVER_PORT = 6443;
function hostListeners(n: NodeState): Listener[] | undefined {
  if (n.role !== "control-plane") return undefined;
  return [
    { container: "kube-apiserver", port: APISERVER_PORT, protocol: "TCP", address: "0.0.0.0", portName: "https" },
  ];
}

/** The LoadBalancer IPs a node's MetalLB speaker announces (control/metallb.ts), in IP order. */
function l2AnnouncesOf(state: ClusterState, node: string): string[] {
  let by = announceCache.get(state);
  if (!by) {
    announceCache.set(state, (by = new Map()));
    for (const a of l2Announcements(state).values()) {
      const l = by.get(a.node);
      if (l) l.push(a.ip);
      else by.set(a.node, [a.ip]);
    }
    for (const l of by.values()) l.sort((x, y) => ipToInt(x) - ipToInt(y));
  }
  return by.get(node) ?? [];
}
const announceCache = new WeakMap<ClusterState, Map<string, string[]>>();

function lazyNode(state: ClusterState, n: NodeState, build: () => NodeNet): NodeNet {
  // The built node, kept (the walk reads `bpf` per packet: a lookup by name each time).
  let built: NodeNet | undefined;
  const get = () => (built ??= build());
  const o = { name: n.name, address: n.address, podCIDR: n.podCIDR } as NodeNet;
  const announces = l2AnnouncesOf(state, n.name);
  if (announces.length > 0) o.announces = announces;
  Object.defineProperty(o, "ns", { enumerable: true, get: () => get().ns });
  Object.defineProperty(o, "ipvs", { enumerable: true, get: () => get().ipvs });
  Object.defineProperty(o, "bgp", { enumerable: true, get: () => get().bgp });
  Object.defineProperty(o, "bpf", { enumerable: true, get: () => get().bpf });
  const host = hostListeners(n);
  if (host) o.listeners = host;
  return o;
}

function lazyPod(p: PodState, state: ClusterState, build: () => PodNet): PodNet {
  const o = podNetBase(p, state);
  if (!podHasOwnNs(p)) return o;
  // Kept once built (else a search of the node's pods per read).
  let built: PodNet | undefined;
  const get = () => (built ??= build());
  Object.defineProperty(o, "ns", { enumerable: true, get: () => get().ns });
  Object.defineProperty(o, "hostIf", { enumerable: true, get: () => get().hostIf });
  return o;
}

/** Finds a namespace by id ("node/NAME", "pod/NS/NAME", "underlay") in an IR. */
export function findNs(ir: DataplaneIR, id: string): NetNs | undefined {
  if (id === UNDERLAY_NS) return ir.underlay.ns;
  if (id.startsWith("node/")) return ir.nodes.find((n) => n.name === id.slice(5))?.ns;
  if (id.startsWith("pod/")) {
    const [, namespace, name] = id.split("/");
    return ir.pods.find((p) => p.namespace === namespace && p.name === name)?.ns;
  }
  return undefined;
}
