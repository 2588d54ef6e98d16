// Renders a NetNs in the text formats of iproute2 6.1 on Linux 6.x, byte for byte where
// the model has the facts (trailing spaces included; veth, bridge and loopback lines are
// checked against the kernel, VXLAN/IPIP/dummy lines follow iproute2's source because
// this kernel has no such modules): `ip route show [table local|all]`,
// `ip -d link show`, `ip addr` (IPv4 only: the model has no IPv6), `ip neigh show`,
// `bridge fdb show` (without the multicast `self permanent` entries the kernel adds for
// 01:00:5e:… / 33:33:…). Counters and timers that only a live kernel has are printed
// as their values right after creation (0.00).
//
// Kernel orders checked in a scratch namespace: routes by destination address, then
// longer prefix first, then lower metric; `table all` prints main before local; FDB per
// device in ifindex order, bridge entries newest first, then the device's own entries.

import type { FdbEntry, Link, NetNs, Route } from "./types.js";
import { ipToInt } from "../net/ipv4.js";

export interface RenderOptions {
  /** ifindex of a link in another namespace (veth peers print `eth0@if5`). */
  peerIndex?: (ns: string, name: string) => number | undefined;
}

// ---------------------------------------------------------------------------- routes

export type TableSel = "main" | "local" | "all" | number;

function tableId(t: Route["table"]): number {
  return t === "main" ? 254 : t === "local" ? 255 : t;
}

function dstKey(dst: string): { addr: number; len: number } {
  if (dst === "default") return { addr: 0, len: 0 };
  const [a, l] = dst.split("/");
  return { addr: ipToInt(a), len: l === undefined ? 32 : Number(l) };
}

export function sortRoutes(routes: Route[]): Route[] {
  return routes
    .map((r) => ({ r, k: dstKey(r.dst), t: tableId(r.table) }))
    .sort((x, y) => x.t - y.t || x.k.addr - y.k.addr || y.k.len - x.k.len || (x.r.metric ?? 0) - (y.r.metric ?? 0))
    .map((x) => x.r);
}

function effectiveScope(r: Route): Route["scope"] {
  if (r.scope) return r.scope;
  if (r.type === "local") return "host";
  if (r.type === "broadcast") return "link";
  if (r.type === "unicast" && !r.via && r.dev) return "link"; // iproute2 picks scope link without a gateway
  return "global";
}

export function formatDst(dst: string): string {
  if (dst === "default" || dst === "0.0.0.0/0") return "default";
  return dst.endsWith("/32") ? dst.slice(0, -3) : dst;
}

/** One line of `ip route show` (with `table X` when `showTable` and X is not main). */
export function formatRoute(r: Route, showTable = false): string {
  let s = "";
  if (r.type !== "unicast") s += `${r.type} `;
  s += `${formatDst(r.dst)} `;
  if (r.via) s += `via ${r.via} `;
  if (r.dev) s += `dev ${r.dev} `;
  if (showTable && r.table !== "main") s += `table ${r.table} `;
  if (r.proto !== undefined && r.proto !== "boot") s += `proto ${r.proto} `;
  const scope = effectiveScope(r);
  if (scope && scope !== "global") s += `scope ${scope} `;
  if (r.src) s += `src ${r.src} `;
  if (r.metric !== undefined) s += `metric ${r.metric} `;
  if (r.mtu !== undefined) s += `mtu ${r.mtu} `;
  if (r.onlink) s += "onlink ";
  return s;
}

/** `ip route show` (main), `ip route show table local`, `ip route show table all`. */
export function renderRoutes(ns: NetNs, table: TableSel = "main"): string {
  const sel = sortRoutes(
    ns.routes.filter(
      (r) => table === "all" || r.table === table || (typeof table === "number" && tableId(r.table) === table),
    ),
  );
  return sel.map((r) => formatRoute(r, table === "all") + "\n").join("");
}

// ----------------------------------------------------------------------------- links

export function ifindexOf(ns: NetNs, name: string): number | undefined {
  const i = ns.links.findIndex((l) => l.name === name);
  return i < 0 ? undefined : i + 1;
}

function flags(l: Link): string {
  if (l.kind === "loopback") return l.up ? "<LOOPBACK,UP,LOWER_UP>" : "<LOOPBACK>";
  if (l.kind === "ipip") return l.up ? "<NOARP,UP,LOWER_UP>" : "<NOARP>";
  if (l.kind === "dummy") return l.up ? "<BROADCAST,NOARP,UP,LOWER_UP>" : "<BROADCAST,NOARP>";
  return l.up ? "<BROADCAST,MULTICAST,UP,LOWER_UP>" : "<BROADCAST,MULTICAST>";
}

function state(l: Link): string {
  if (!l.up) return "DOWN";
  return l.kind === "loopback" || l.kind === "vxlan" || l.kind === "geneve" || l.kind === "ipip" || l.kind === "dummy"
    ? "UNKNOWN"
    : "UP";
}

function qlen(l: Link): string {
  return l.kind === "vxlan" || l.kind === "geneve" || l.kind === "dummy" ? "" : " qlen 1000";
}

function nameWithPeer(ns: NetNs, l: Link, o: RenderOptions): string {
  if (l.kind === "ipip") return `${l.name}@NONE`;
  if (!l.peer) return l.name;
  if (l.peer.ns === ns.id) return `${l.name}@${l.peer.name}`;
  const idx = o.peerIndex?.(l.peer.ns, l.peer.name);
  return `${l.name}@if${idx ?? l.peer.name}`;
}

function headLine(ns: NetNs, l: Link, idx: number, o: RenderOptions, mode: boolean): string {
  const qdisc = l.up ? "noqueue" : "noop";
  const master = l.master ? ` master ${l.master}` : "";
  return `${idx}: ${nameWithPeer(ns, l, o)}: ${flags(l)} mtu ${l.mtu} qdisc ${qdisc}${master} state ${state(l)}${mode ? " mode DEFAULT" : ""} group default${qlen(l)}`;
}

/** The id a namespace gives the peer namespaces it refers to: allocated on first use, in
 *  link order (the underlay of a node is 0, its pods 1, 2, …). */
function netnsId(ns: NetNs, peerNs: string): number {
  const seen: string[] = [];
  for (const x of ns.links) if (x.peer && x.peer.ns !== ns.id && !seen.includes(x.peer.ns)) seen.push(x.peer.ns);
  return seen.indexOf(peerNs);
}

function linkLine(ns: NetNs, l: Link): string {
  const netns = l.peer && l.peer.ns !== ns.id ? ` link-netnsid ${netnsId(ns, l.peer.ns)}` : "";
  if (l.kind === "loopback") return `    link/loopback ${l.mac} brd 00:00:00:00:00:00`;
  if (l.kind === "ipip") return `    link/ipip ${l.ipip?.local ?? "0.0.0.0"} brd ${l.ipip?.remote ?? "0.0.0.0"}`;
  return `    link/ether ${l.mac} brd ff:ff:ff:ff:ff:ff${netns}`;
}

const TAIL = (txq: number, tso: number) =>
  `addrgenmode eui64 numtxqueues ${txq} numrxqueues ${txq} gso_max_size 65536 gso_max_segs 65535 tso_max_size ${tso} tso_max_segs 65535 gro_max_size 65536 `;

function bridgeId(mac: string): string {
  return (
    "8000." +
    mac
      .split(":")
      .map((h) => parseInt(h, 16).toString(16))
      .join(":")
  );
}

function details(ns: NetNs, l: Link): string[] {
  const port = l.master ? ns.links.find((x) => x.name === l.master) : undefined;
  const promisc = port ? 1 : 0;
  // ip_tunnel: max_mtu = IP_MAX_MTU − 20 for IPIP (not checked here: no ipip module).
  const minmax =
    l.kind === "loopback"
      ? "minmtu 0 maxmtu 0"
      : l.kind === "ipip"
        ? "minmtu 68 maxmtu 65515"
        : "minmtu 68 maxmtu 65535";
  const first = `${linkLine(ns, l)} promiscuity ${promisc}  allmulti ${promisc} ${minmax} `;
  switch (l.kind) {
    case "loopback":
      return [first + TAIL(1, 524280)];
    case "bridge": {
      const id = bridgeId(l.mac);
      return [
        first,
        `    bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 stp_state 0 priority 32768 vlan_filtering 0 bridge_id ${id} designated_root ${id} root_port 0 root_path_cost 0 topology_change 0 topology_change_detected 0 hello_timer    0.00 tcn_timer    0.00 topology_change_timer    0.00 gc_timer    0.00 group_fwd_mask 0 group_address 01:80:c2:00:00:00 mcast_snooping 1 no_linklocal_learn 0 mcast_vlan_snooping 0 mcast_router 1 mcast_query_use_ifaddr 0 mcast_querier 0 mcast_hash_elasticity 16 mcast_hash_max 4096 mcast_last_member_count 2 mcast_startup_query_count 2 mcast_last_member_interval 100 mcast_membership_interval 26000 mcast_querier_interval 25500 mcast_query_interval 12500 mcast_query_response_interval 1000 mcast_startup_query_interval 3124 mcast_stats_enabled 0 mcast_igmp_version 2 mcast_mld_version 1 nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0 ${TAIL(1, 524280)}`,
      ];
    }
    case "vxlan": {
      const v = l.vxlan!;
      // Collect-metadata mode: iproute2 prints `external` and no local/dev (ip/iplink_vxlan.c).
      if (v.external)
        return [
          first,
          `    vxlan external id ${v.vni} srcport 0 0 dstport ${v.port} ${v.learning ? "" : "nolearning "}ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx ${TAIL(1, 65536)}`,
        ];
      return [
        first,
        `    vxlan id ${v.vni} local ${v.local} dev ${v.dev} srcport 0 0 dstport ${v.port} ${v.learning ? "" : "nolearning "}ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx ${TAIL(1, 65536)}`,
      ];
    }
    case "geneve":
      // ip/iplink_geneve.c's order: external, id, ttl, dstport, checksums.
      return [
        first,
        `    geneve ${l.geneve?.external ? "external " : ""}id 0 ttl auto dstport ${l.geneve?.port ?? 6081} noudpcsum udp6zerocsumtx udp6zerocsumrx ${TAIL(1, 65536)}`,
      ];
    case "ipip":
      return [first, `    ipip any remote any local any ttl inherit nopmtudisc ${TAIL(1, 65536)}`];
    case "dummy":
      return [first, `    dummy ${TAIL(1, 65536)}`];
    case "veth":
    case "ethernet":
      if (port) {
        const pos = ns.links.filter((x) => x.master === port.name).indexOf(l) + 1;
        const id = bridgeId(port.mac);
        return [
          first,
          `    veth `,
          `    bridge_slave state forwarding priority 32 cost 2 hairpin ${l.hairpin ? "on" : "off"} guard off root_block off fastleave off learning on flood on port_id 0x${(0x8000 + pos).toString(16)} port_no 0x${pos.toString(16)} designated_port ${0x8000 + pos} designated_cost 0 designated_bridge ${id} designated_root ${id} hold_timer    0.00 message_age_timer    0.00 forward_delay_timer    0.00 topology_change_ack 0 config_pending 0 proxy_arp off proxy_arp_wifi off mcast_router 1 mcast_fast_leave off mcast_flood on bcast_flood on mcast_to_unicast off neigh_suppress off group_fwd_mask 0 group_fwd_mask_str 0x0 vlan_tunnel off isolated off locked off ${TAIL(2, 524280)}`,
        ];
      }
      return [first, `    veth ${TAIL(2, 524280)}`];
  }
}

/** `ip -d link show` (or `ip link show` with details=false). */
export function renderLinks(ns: NetNs, o: RenderOptions = {}, detailsOn = true): string {
  const out: string[] = [];
  ns.links.forEach((l, i) => {
    out.push(headLine(ns, l, i + 1, o, true));
    if (detailsOn) out.push(...details(ns, l));
    else out.push(linkLine(ns, l));
  });
  return out.map((s) => s + "\n").join("");
}

/** `ip addr` (IPv4 addresses only). */
export function renderAddrs(ns: NetNs, o: RenderOptions = {}): string {
  const out: string[] = [];
  ns.links.forEach((l, i) => {
    out.push(headLine(ns, l, i + 1, o, false));
    out.push(linkLine(ns, l));
    for (const a of ns.addresses.filter((x) => x.dev === l.name)) {
      const brd = a.broadcast ? ` brd ${a.broadcast}` : "";
      out.push(`    inet ${a.cidr}${brd} scope ${a.scope ?? "global"} ${l.name}`);
      out.push("       valid_lft forever preferred_lft forever");
    }
  });
  return out.map((s) => s + "\n").join("");
}

/** `ip neigh show` (NOARP entries are hidden, as iproute2 does without `nud all`). The
 *  kernel dumps its neighbour hash table in an order that changes per boot; the model
 *  prints entries in the order they were added. */
export function renderNeigh(ns: NetNs): string {
  return ns.neighbours
    .filter((n) => n.state !== "NOARP")
    .map((n) => `${n.ip} dev ${n.dev} lladdr ${n.lladdr} ${n.state} \n`)
    .join("");
}

export function formatFdb(e: FdbEntry): string {
  let s = `${e.mac} dev ${e.dev} `;
  if (e.dst) s += `dst ${e.dst} `;
  if (e.vlan !== undefined) s += `vlan ${e.vlan} `;
  if (e.self) s += "self ";
  if (e.master) s += `master ${e.master} `;
  return s + (e.state === "dynamic" ? "" : e.state);
}

/** `bridge fdb show` (unicast entries). */
export function renderFdb(ns: NetNs): string {
  const byDev = new Map<string, FdbEntry[]>();
  for (const e of ns.fdb) {
    let l = byDev.get(e.dev);
    if (!l) byDev.set(e.dev, (l = []));
    l.push(e);
  }
  const out: string[] = [];
  for (const l of ns.links) {
    const es = byDev.get(l.name);
    if (!es) continue;
    const master = es.filter((e) => e.master && !e.self).reverse();
    const self = es.filter((e) => !(e.master && !e.self));
    for (const e of [...master, ...self]) out.push(formatFdb(e));
  }
  return out.map((s) => s + "\n").join("");
}
