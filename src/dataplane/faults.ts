// The named faults' effects on the Dataplane IR (manifest/faults.ts), applied after the
// flavor, the proxy mode and the policy compiler built a node: each is what the failure
// leaves in the kernel, so the interpreter needs no knowledge of faults.
//   kube-proxy-flushed N   N's kube-proxy chains empty (iptables -F / nft flush chain) and,
//                          in IPVS mode, no virtual servers (ipvsadm -C)
//   cni-bridge-down N      N's CNI bridge (cni0) down (ip link set cni0 down)
//   veth-down P            P's host-side veth down
//   pod-route-missing P    P's default route deleted
//   ip-forward-off N       net.ipv4.ip_forward=0 (which also sets conf.all.forwarding=0,
//                          kernel Documentation/networking/ip-sysctl.rst)
//   rp-filter-strict N     net.ipv4.conf.all.rp_filter=1 (RFC 3704 strict reverse path)
//   underlay-link-down N   N's eth0 down
//   node-partition A B     the LAN drops what A and B send each other (bridged frames
//                          between their ports, br_netfilter's FORWARD): VXLAN (UDP 8472 /
//                          4789), IPIP, BGP (TCP 179) and routed pod traffic alike
//   vxlan-fdb-missing N P  N's VXLAN FDB entry and neighbour for P's VTEP deleted
//   mtu-mismatch N         N's pods' interfaces (and cni0) at the underlay's MTU, not
//                          lowered by the encapsulation's overhead
//   bgp-down N             BIRD on N stopped: N's routes learned from its peers gone, and
//                          the peers' routes to N's blocks withdrawn (proto bird routes)
// kube-proxy-down N is the proxy mode's input (the state kube-proxy last synced,
// control/faults.ts), read where the node's rules are built.
// IR objects are shared between nodes: every change here replaces, never mutates.

import { faultPod } from "../control/faults.js";
import type { ClusterState, NodeState } from "../control/state.js";
import type { IptLayer, IptRule, Link, NetNs, NftLayer, NodeNet, PodNet } from "../ir/types.js";
import type { Fault } from "../manifest/faults.js";
import { iptRule } from "../plumbing/ipt.js";

const faultsOf = (state: ClusterState): readonly Fault[] => state.config.faults ?? [];

/** A copy of `links` with the named ones changed. */
function relink(ns: NetNs, pick: (l: Link) => boolean, change: Partial<Link>): void {
  ns.links = ns.links.map((l) => (pick(l) ? { ...l, ...change } : l));
}

/** The faults' effects on one node's namespace and its pods (after buildNodeIR made them). */
export function applyNodeFaults(state: ClusterState, node: NodeState, nn: NodeNet, pods: PodNet[]): void {
  const faults = faultsOf(state);
  if (!faults.length) return;
  const ns = nn.ns;
  const underlayMtu = state.config.networking.mtu || 1500;
  for (const f of faults) {
    if (f.node === node.name) {
      switch (f.kind) {
        case "kube-proxy-flushed":
          ns.netfilter = {
            ...ns.netfilter,
            iptables: ns.netfilter.iptables.map(flushIpt),
            nftables: ns.netfilter.nftables.map(flushNft),
          };
          delete nn.ipvs;
          break;
        case "cni-bridge-down":
          relink(ns, (l) => l.kind === "bridge", { up: false });
          break;
        case "ip-forward-off":
          ns.sysctls = { ...ns.sysctls, "net.ipv4.ip_forward": "0" };
          if (ns.sysctls["net.ipv4.conf.all.forwarding"] !== undefined)
            ns.sysctls["net.ipv4.conf.all.forwarding"] = "0";
          break;
        case "rp-filter-strict":
          ns.sysctls = { ...ns.sysctls, "net.ipv4.conf.all.rp_filter": "1" };
          break;
        case "underlay-link-down":
          relink(ns, (l) => l.name === "eth0", { up: false });
          break;
        case "vxlan-fdb-missing":
          dropVtep(ns, state.nodes.find((n) => n.name === f.peer)?.address);
          break;
        case "mtu-mismatch":
          mtuAtUnderlay(ns, pods, underlayMtu);
          break;
        case "bgp-down":
          // Its routes learned from the peers are withdrawn (the local blackholes stay).
          ns.routes = ns.routes.filter((r) => !(r.proto === "bird" && r.via));
          break;
      }
    }
    if (f.kind === "bgp-down" && f.node !== node.name) {
      const gone = state.nodes.find((n) => n.name === f.node)?.address;
      if (gone) ns.routes = ns.routes.filter((r) => !(r.proto === "bird" && r.via === gone));
    }
    if ((f.kind === "veth-down" || f.kind === "pod-route-missing") && f.pod) {
      const p = faultPod(state.pods, f.pod);
      if (typeof p === "string" || p.nodeName !== node.name) continue;
      const pn = pods.find((x) => x.namespace === p.namespace && x.name === p.name);
      if (!pn?.ns) continue;
      if (f.kind === "veth-down" && pn.hostIf) relink(ns, (l) => l.name === pn.hostIf, { up: false });
      if (f.kind === "pod-route-missing") pn.ns.routes = pn.ns.routes.filter((r) => r.dst !== "default");
    }
  }
  dropRoutesOfDownLinks(ns);
}

/**
 * `ip link set X down` removes the routes through X (fib_sync_down_dev, torvalds/linux
 * net/ipv4/fib_semantics.c: their only nexthop is dead, so fib_flush drops them): the
 * connected subnet, the routes via a gateway on X, the broadcast entries. The local
 * addresses' host routes stay. What matched them then matches a wider route (the default).
 */
function dropRoutesOfDownLinks(ns: NetNs): void {
  const down = new Set(ns.links.filter((l) => !l.up).map((l) => l.name));
  if (!down.size) return;
  const kept = ns.routes.filter((r) => !(r.dev && down.has(r.dev) && r.type !== "local"));
  if (kept.length !== ns.routes.length) ns.routes = kept;
}

const isProxyLayer = (owner: string, role?: string) => role === "kube-proxy" || owner.startsWith("kube-proxy");

/** kube-proxy's chains with no rules (the chains and built-in policies stay). */
function flushIpt(l: IptLayer): IptLayer {
  if (!isProxyLayer(l.owner, l.role)) return l;
  const tables: IptLayer["tables"] = {};
  for (const [t, chains] of Object.entries(l.tables) as [
    keyof IptLayer["tables"],
    Record<string, { name: string; policy?: "ACCEPT" | "DROP" }>,
  ][]) {
    const out: NonNullable<IptLayer["tables"][typeof t]> = {};
    for (const [name, c] of Object.entries(chains ?? {}))
      out[name] = { name: c.name, ...(c.policy ? { policy: c.policy } : {}), rules: [] };
    tables[t] = out;
  }
  return { ...l, tables };
}

function flushNft(l: NftLayer): NftLayer {
  if (!isProxyLayer(l.owner)) return l;
  return {
    ...l,
    tables: l.tables.map((t) => ({
      ...t,
      chains: Object.fromEntries(Object.entries(t.chains).map(([k, c]) => [k, { ...c, rules: [] }])),
      sets: Object.fromEntries(Object.entries(t.sets).map(([k, s]) => [k, { ...s, elem: [] }])),
    })),
  };
}

/** The VXLAN FDB entries pointing at `vtep` and the neighbours with their MACs, deleted. */
function dropVtep(ns: NetNs, vtep: string | undefined): void {
  if (!vtep) return;
  const vx = new Set(ns.links.filter((l) => l.kind === "vxlan").map((l) => l.name));
  const macs = new Set(ns.fdb.filter((e) => vx.has(e.dev) && e.dst === vtep).map((e) => e.mac));
  ns.fdb = ns.fdb.filter((e) => !(vx.has(e.dev) && e.dst === vtep));
  ns.neighbours = ns.neighbours.filter((n) => !(vx.has(n.dev) && macs.has(n.lladdr)));
}

/** The pods' interfaces (both veth ends) and the CNI bridge at the underlay's MTU. */
function mtuAtUnderlay(ns: NetNs, pods: PodNet[], mtu: number): void {
  const hostIfs = new Set(pods.flatMap((p) => (p.hostIf ? [p.hostIf] : [])));
  relink(ns, (l) => l.kind === "bridge" || hostIfs.has(l.name), { mtu });
  for (const p of pods) if (p.ns) relink(p.ns, (l) => l.kind === "veth", { mtu });
}

/** node-partition: the LAN's bridge drops frames between the two nodes' ports (both ways). */
export function applyUnderlayFaults(
  state: ClusterState,
  ns: NetNs,
  portOf: (node: string) => string | undefined,
): void {
  const rules: IptRule[] = [];
  for (const f of faultsOf(state)) {
    if (f.kind !== "node-partition" || !f.node || !f.peer) continue;
    const a = portOf(f.node);
    const b = portOf(f.peer);
    if (!a || !b) continue;
    for (const [x, y] of [
      [a, b],
      [b, a],
    ])
      rules.push(
        iptRule(
          "-m",
          "physdev",
          "--physdev-in",
          x,
          "--physdev-out",
          y,
          "-m",
          "comment",
          "--comment",
          `podnet fault: node-partition ${f.node} ${f.peer}`,
          "-j",
          "DROP",
        ),
      );
  }
  if (!rules.length) return;
  // br_netfilter: bridged frames traverse iptables' FORWARD chain (net.bridge.bridge-nf-call-iptables).
  ns.sysctls = { ...ns.sysctls, "net.bridge.bridge-nf-call-iptables": "1" };
  ns.netfilter = {
    mode: "iptables",
    iptables: [
      ...ns.netfilter.iptables,
      { owner: "fault", tables: { filter: { FORWARD: { name: "FORWARD", policy: "ACCEPT", rules } } } },
    ],
    nftables: ns.netfilter.nftables,
  };
}
