// Renders Dataplane IR namespaces into the kernel calls that build them (pure: no I/O).
// Every call targets a podnet namespace: `ip -n NS -batch -`, `bridge -n NS -batch -`,
// `ip netns exec NS sh -c …` (sysctls), `ip netns exec NS iptables-restore|nft -f -`.
//
// Order (the kernel needs it): all namespaces exist → per namespace, in the order the
// caller gives (underlay, nodes, pods): links created here (a veth pair is created by
// the namespace that comes first, the peer end moved straight into the other one),
// masters, addresses, up, routes, neighbours → sysctls → FDB → netfilter.

import type { Address, DataplaneIR, FdbEntry, IptLayer, Link, NetNs, Neighbour, NftLayer, Route } from "../ir/types.js";
import { nsName, validIfName } from "./names.js";

/** Netfilter text renderers (src/ir/render-iptables.ts, render-nft.ts), injected. */
export interface NetfilterRenderers {
  iptables(layers: IptLayer[]): string;
  nft(layers: NftLayer[]): string;
}

export type Step =
  | { kind: "ip-batch"; ns: string; lines: string[] }
  | { kind: "bridge-batch"; ns: string; lines: string[] }
  | { kind: "sysctl"; ns: string; script: string; keys: string[] }
  | { kind: "netfilter"; ns: string; tool: "iptables-restore" | "nft"; text: string };

export interface Plan {
  /** Kernel namespace names, in creation order, with the IR id each one holds. */
  namespaces: { id: string; name: string }[];
  steps: Step[];
}

export interface RenderOptions {
  /** Netfilter renderers; without them netfilter is not rendered (and `skipped` says so). */
  netfilter?: NetfilterRenderers;
  /** Calico: routes with proto bird are BIRD's to install; render them only when true. */
  includeBirdRoutes?: boolean;
}

export class RenderError extends Error {}

const q = (s: string) => "'" + s.replace(/'/g, `'\\''`) + "'";

function linkCreateArgs(l: Link): string {
  const common = [l.mac && l.kind !== "loopback" ? `address ${l.mac}` : "", l.mtu ? `mtu ${l.mtu}` : ""]
    .filter(Boolean)
    .join(" ");
  return `link add ${l.name}${common ? " " + common : ""}`;
}

function isVeth(l: Link): boolean {
  return l.kind === "veth" || (l.kind === "ethernet" && !!l.peer);
}

/** Routes the kernel adds by itself when an address is added or a link goes up. */
export function isKernelRoute(r: Route): boolean {
  // The kernel's connected routes have no gateway and come from an address with a prefix;
  // a `proto kernel` route with a gateway or to one host is an agent's (Cilium's via cilium_host).
  if (r.table === "local" && (r.type === "local" || r.type === "broadcast")) return true;
  if (r.proto === "kernel") return !r.via && !(r.dst.endsWith("/32") || (r.dst !== "default" && !r.dst.includes("/")));
  return false;
}

function routeLine(r: Route): string {
  const w: string[] = ["route", "add"];
  if (r.type !== "unicast") w.push(r.type);
  w.push(r.dst);
  if (r.via) w.push("via", r.via);
  if (r.dev && r.type === "unicast") w.push("dev", r.dev);
  if (r.onlink) w.push("onlink");
  if (r.scope && r.scope !== "global") w.push("scope", r.scope);
  if (r.proto && r.proto !== "boot") w.push("proto", String(r.proto));
  if (r.src) w.push("src", r.src);
  if (r.metric !== undefined) w.push("metric", String(r.metric));
  if (r.mtu !== undefined) w.push("mtu", String(r.mtu));
  if (r.table !== "main") w.push("table", String(r.table));
  return w.join(" ");
}

function addrLine(a: Address): string {
  const w = ["addr", "add", a.cidr, "dev", a.dev];
  if (a.broadcast) w.push("broadcast", a.broadcast);
  if (a.scope && a.scope !== "global") w.push("scope", a.scope);
  return w.join(" ");
}

function neighLine(n: Neighbour): string | null {
  if (n.state !== "PERMANENT" && n.state !== "NOARP") return null; // learned entries: the kernel's job
  return `neigh replace ${n.ip} lladdr ${n.lladdr} dev ${n.dev} nud ${n.state === "PERMANENT" ? "permanent" : "noarp"}`;
}

function fdbLine(f: FdbEntry, ownMacs: Set<string>): string | null {
  if (f.state === "dynamic") return null; // learned
  const mac = f.mac.toLowerCase();
  const multicast = (parseInt(mac.slice(0, 2), 16) & 1) === 1;
  if (!f.dst) {
    // Entries the kernel makes itself: a port's own address, multicast addresses.
    if (multicast || ownMacs.has(mac)) return null;
  }
  // 00:00:00:00:00:00 with dst is the flood list: several entries may coexist → append.
  const verb = mac === "00:00:00:00:00:00" ? "append" : "replace";
  const w = ["fdb", verb, mac, "dev", f.dev];
  if (f.dst) w.push("dst", f.dst);
  if (f.vlan !== undefined) w.push("vlan", String(f.vlan));
  w.push(f.master && !f.self ? "master" : "self");
  w.push(f.state === "static" ? "static" : "permanent");
  return w.join(" ");
}

/** /proc/sys path of a sysctl key. Interface names may contain dots ("flannel.1"). */
export function sysctlPath(key: string): string {
  const m = /^net\.(ipv4|ipv6)\.(conf|neigh)\.(.+)\.([^.]+)$/.exec(key);
  if (m) return `/proc/sys/net/${m[1]}/${m[2]}/${m[3].replace(/\//g, ".")}/${m[4]}`;
  if (key.includes("/")) return "/proc/sys/" + key.replace(/^\/?(proc\/sys\/)?/, "");
  return "/proc/sys/" + key.replace(/\./g, "/");
}

/** Which side of a veth pair creates it: underlay before nodes before pods (then by id). */
function nsRank(id: string): [number, string] {
  return [id === "underlay" ? 0 : id.startsWith("node/") ? 1 : 2, id];
}
function createsPair(me: string, l: Link): boolean {
  const p = l.peer!;
  if (p.ns === me) return l.name < p.name; // both ends here: create once
  const [a, x] = nsRank(me);
  const [b, y] = nsRank(p.ns);
  return a !== b ? a < b : x < y;
}

/** The interface a sysctl key is about ("net.ipv4.conf.cali123.proxy_arp" → "cali123"), if any. */
export function sysctlDev(key: string): string | null {
  const m = /^net\.(ipv4|ipv6)\.(conf|neigh)\.(.+)\.([^.]+)$/.exec(key);
  if (!m || m[3] === "all" || m[3] === "default") return null;
  return m[3].replace(/\//g, ".");
}

/**
 * Restricts what of a namespace is rendered by interface: "only" renders the objects
 * on those links (a pod's host side in the node), "except" everything else.
 */
export interface Selection {
  devs: Set<string>;
  mode: "only" | "except";
}

/**
 * The steps that build one namespace (it must exist; veth peers whose namespace
 * ranks later must exist too). `peers` resolves peer links (for their MAC and MTU).
 */
export function renderNamespace(
  cluster: string,
  ns: NetNs,
  opts: RenderOptions = {},
  sel?: Selection,
  peers?: Map<string, NetNs>,
): Step[] {
  const steps: Step[] = [];
  const name = nsName(cluster, ns.id);
  const inSel = (dev: string | undefined) =>
    !sel
      ? true
      : sel.mode === "only"
        ? dev !== undefined && sel.devs.has(dev)
        : dev === undefined || !sel.devs.has(dev);
  const lines: string[] = [];
  const linkNames = new Set(ns.links.map((l) => l.name));
  const links = ns.links.filter((l) => inSel(l.name));
  for (const l of links) {
    if (!validIfName(l.name))
      throw new RenderError(`namespace ${ns.id}: invalid interface name "${l.name}" (at most 15 characters)`);
  }
  // 1. links this namespace creates
  const creates = (l: Link) => {
    if (l.kind === "loopback") return false;
    if (!isVeth(l)) return true;
    if (!l.peer) throw new RenderError(`namespace ${ns.id}: veth "${l.name}" has no peer`);
    return createsPair(ns.id, l);
  };
  const kindRank = (l: Link) => (l.kind === "bridge" ? 0 : isVeth(l) ? 1 : 2); // vxlan/ipip reference dev eth0
  for (const l of links.filter(creates).sort((a, b) => kindRank(a) - kindRank(b))) {
    switch (l.kind) {
      case "bridge":
        lines.push(`${linkCreateArgs(l)} type bridge`);
        break;
      case "veth":
      case "ethernet": {
        const p = l.peer!;
        const peerNs = p.ns === ns.id ? ns : peers?.get(p.ns);
        const peerLink = peerNs?.links.find((x) => x.name === p.name);
        const peerOpts = [peerLink?.mac ? `address ${peerLink.mac}` : "", peerLink?.mtu ? `mtu ${peerLink.mtu}` : ""]
          .filter(Boolean)
          .join(" ");
        const into = p.ns === ns.id ? "" : ` netns ${nsName(cluster, p.ns)}`;
        lines.push(`${linkCreateArgs(l)} type veth peer name ${p.name}${peerOpts ? " " + peerOpts : ""}${into}`);
        break;
      }
      case "vxlan": {
        const v = l.vxlan;
        if (!v) throw new RenderError(`namespace ${ns.id}: vxlan "${l.name}" has no vxlan parameters`);
        // Collect-metadata mode (Cilium's cilium_vxlan): no VNI, the BPF program sets it per packet.
        const w = [`${linkCreateArgs(l)} type vxlan ${v.external ? "external" : `id ${v.vni}`}`];
        if (v.local) w.push(`local ${v.local}`);
        w.push(`dstport ${v.port}`, v.learning ? "learning" : "nolearning");
        if (v.gbp) w.push("gbp");
        if (v.dev) w.push(`dev ${v.dev}`);
        lines.push(w.join(" "));
        break;
      }
      case "geneve": {
        if (!l.geneve?.external)
          throw new RenderError(`namespace ${ns.id}: geneve "${l.name}" is only built in collect-metadata mode`);
        lines.push(`${linkCreateArgs(l)} type geneve external dstport ${l.geneve.port}`);
        break;
      }
      case "ipip": {
        const w = [`${linkCreateArgs(l)} type ipip`];
        if (l.ipip?.local) w.push(`local ${l.ipip.local}`);
        if (l.ipip?.remote) w.push(`remote ${l.ipip.remote}`);
        lines.push(w.join(" "));
        break;
      }
      case "dummy":
        lines.push(`${linkCreateArgs(l)} type dummy`);
        break;
    }
  }
  // 2. masters, then addresses, then up (lo first), then routes, neighbours
  for (const l of links) {
    if (l.master) {
      if (!linkNames.has(l.master))
        throw new RenderError(`namespace ${ns.id}: "${l.name}" has unknown master "${l.master}"`);
      lines.push(`link set ${l.name} master ${l.master}`);
    }
    if (l.hairpin) lines.push(`link set ${l.name} type bridge_slave hairpin on`);
  }
  for (const a of ns.addresses) {
    if (!inSel(a.dev)) continue;
    if (a.dev === "lo" && (a.cidr === "127.0.0.1/8" || a.cidr === "::1/128")) continue; // the kernel's own
    if (!linkNames.has(a.dev))
      throw new RenderError(`namespace ${ns.id}: address ${a.cidr} on unknown link "${a.dev}"`);
    lines.push(addrLine(a));
  }
  for (const l of [...links].sort((a, b) => (a.kind === "loopback" ? 0 : 1) - (b.kind === "loopback" ? 0 : 1))) {
    if (l.up) lines.push(`link set ${l.name} up`);
  }
  const routes = ns.routes.filter(
    (r) => inSel(r.dev) && !isKernelRoute(r) && (opts.includeBirdRoutes || r.proto !== "bird"),
  );
  // Routes without a gateway first: a `via` needs its gateway reachable (calico's 169.254.1.1).
  for (const r of [...routes.filter((r) => !r.via), ...routes.filter((r) => r.via)]) lines.push(routeLine(r));
  for (const n of ns.neighbours) {
    const s = inSel(n.dev) ? neighLine(n) : null;
    if (s) lines.push(s);
  }
  if (lines.length) steps.push({ kind: "ip-batch", ns: name, lines });

  const keys = Object.keys(ns.sysctls)
    .filter((k) => {
      const dev = sysctlDev(k);
      return sel ? inSel(dev ?? undefined) : true;
    })
    .sort();
  for (const k of keys) {
    // Only per-namespace network sysctls: kernel.*, vm.* (and anything outside /proc/sys/net) are host-wide.
    const path = sysctlPath(k);
    if (!k.startsWith("net.") || !path.startsWith("/proc/sys/net/") || path.split("/").includes(".."))
      throw new RenderError(
        `namespace ${ns.id}: sysctl "${k}" is not a per-namespace network setting; refusing to write it`,
      );
  }
  if (keys.length) {
    const script = ["set -e", ...keys.map((k) => `printf '%s\\n' ${q(ns.sysctls[k])} > ${q(sysctlPath(k))}`)].join(
      "\n",
    );
    steps.push({ kind: "sysctl", ns: name, script, keys });
  }
  const ownMacs = new Set(ns.links.map((l) => l.mac.toLowerCase()));
  const fdb = ns.fdb
    .filter((f) => inSel(f.dev))
    .map((f) => fdbLine(f, ownMacs))
    .filter((s): s is string => s !== null);
  if (fdb.length) steps.push({ kind: "bridge-batch", ns: name, lines: fdb });

  // Netfilter belongs to the namespace as a whole: rendered with its main part only.
  // Both kinds when both are present: NetworkPolicy is an `inet` nft table in every proxy
  // mode (policy/compile.ts), next to kube-proxy's iptables rules in iptables mode.
  if (opts.netfilter && (!sel || sel.mode === "except")) {
    const nf = ns.netfilter;
    if (nf.iptables.some((l) => Object.keys(l.tables).length > 0))
      steps.push({ kind: "netfilter", ns: name, tool: "iptables-restore", text: opts.netfilter.iptables(nf.iptables) });
    if (nf.nftables.some((l) => l.tables.length > 0))
      steps.push({ kind: "netfilter", ns: name, tool: "nft", text: opts.netfilter.nft(nf.nftables) });
  }
  return steps;
}

/** Render whole namespaces, in the order given (underlay, nodes, pods). */
export function renderPlan(cluster: string, namespaces: NetNs[], opts: RenderOptions = {}): Plan {
  const peers = new Map(namespaces.map((ns) => [ns.id, ns]));
  return {
    namespaces: namespaces.map((ns) => ({ id: ns.id, name: nsName(cluster, ns.id) })),
    steps: namespaces.flatMap((ns) => renderNamespace(cluster, ns, opts, undefined, peers)),
  };
}

/** Host-side interfaces in a node namespace that face pods (created by the pods' CNI ADD). */
export function podFacingLinks(node: NetNs): Set<string> {
  return new Set(node.links.filter((l) => isVeth(l) && l.peer && l.peer.ns.startsWith("pod/")).map((l) => l.name));
}

/** The infrastructure: the underlay and the nodes without their pod-facing interfaces. */
export function renderInfra(ir: DataplaneIR, cluster: string, opts: RenderOptions = {}): Plan {
  const nss = [ir.underlay.ns, ...ir.nodes.map((n) => n.ns)];
  const peers = new Map(nss.map((ns) => [ns.id, ns]));
  return {
    namespaces: nss.map((ns) => ({ id: ns.id, name: nsName(cluster, ns.id) })),
    steps: nss.flatMap((ns) => renderNamespace(cluster, ns, opts, { devs: podFacingLinks(ns), mode: "except" }, peers)),
  };
}

/**
 * Attaching one pod (what its CNI ADD does): the host side in the node (veth created
 * there with the pod end moved into the pod's namespace, master, routes and sysctls
 * on it), then the pod's own namespace. The pod namespace must exist.
 */
export function renderPodAttach(cluster: string, node: NetNs, pod: NetNs, opts: RenderOptions = {}): Step[] {
  const hostIfs = new Set(node.links.filter((l) => l.peer?.ns === pod.id).map((l) => l.name));
  const peers = new Map([
    [node.id, node],
    [pod.id, pod],
  ]);
  return [
    ...renderNamespace(cluster, node, opts, { devs: hostIfs, mode: "only" }, peers),
    ...renderNamespace(cluster, pod, opts, undefined, peers),
  ];
}

/** The argv of each step (what exec.ts runs; stdin is the lines/text). */
export function stepCommand(s: Step): { argv: string[]; input: string } {
  switch (s.kind) {
    case "ip-batch":
      return { argv: ["ip", "-n", s.ns, "-batch", "-"], input: s.lines.join("\n") + "\n" };
    case "bridge-batch":
      return { argv: ["bridge", "-n", s.ns, "-batch", "-"], input: s.lines.join("\n") + "\n" };
    case "sysctl":
      return { argv: ["ip", "netns", "exec", s.ns, "sh", "-c", s.script], input: "" };
    case "netfilter":
      return s.tool === "iptables-restore"
        ? { argv: ["ip", "netns", "exec", s.ns, "iptables-restore"], input: s.text }
        : { argv: ["ip", "netns", "exec", s.ns, "nft", "-f", "-"], input: s.text };
  }
}
