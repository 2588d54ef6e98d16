// The bytes of a Cilium node's BPF maps, from the IR (NodeNet.bpf), in the layouts of
// bpf/lib/common.h (podnet's C programs, after cilium/cilium bpf/lib/common.h): the keys and
// values `bpftool map update pinned … key hex … value hex …` writes. Pure: the kernel side
// (ifindexes, bpftool) is bpf.ts. Host-order fields are little-endian (x86-64, arm64);
// __be fields big-endian.

import type { BpfLbService, BpfPolicyEntry, NodeBpf } from "../ir/types.js";
import { ipcacheList, revNatList, serviceList } from "../ir/bpf.js";
import { ipToInt, parseCidr } from "../net/ipv4.js";

/** The maps podnet's programs read (pinned under these names). */
export const MAP_NAMES = [
  "cilium_lb4_services_v2",
  "cilium_lb4_backends_v3",
  "cilium_lb4_reverse_nat",
  "cilium_ct4_global",
  "cilium_ipcache_v2",
  "cilium_lxc",
  "cilium_policy_v2",
  "cilium_snat_v4_external",
  "podnet_node_cfg",
] as const;
export type MapName = (typeof MAP_NAMES)[number];

/** One entry: key and value as bytes. */
export interface MapEntry {
  key: Uint8Array;
  value: Uint8Array;
}

class Bytes {
  readonly b: Uint8Array;
  private readonly v: DataView;
  private o = 0;
  constructor(n: number) {
    this.b = new Uint8Array(n);
    this.v = new DataView(this.b.buffer);
  }
  u8(x: number) {
    this.v.setUint8(this.o, x);
    this.o += 1;
    return this;
  }
  u16(x: number) {
    this.v.setUint16(this.o, x, true);
    this.o += 2;
    return this;
  }
  be16(x: number) {
    this.v.setUint16(this.o, x, false);
    this.o += 2;
    return this;
  }
  u32(x: number) {
    this.v.setUint32(this.o, x >>> 0, true);
    this.o += 4;
    return this;
  }
  be32(x: number) {
    this.v.setUint32(this.o, x >>> 0, false);
    this.o += 4;
    return this;
  }
  ip(a: string) {
    return this.be32(ipToInt(a));
  }
  mac(m: string) {
    const p = m.split(":").map((h) => Number.parseInt(h, 16));
    if (p.length !== 6 || p.some((x) => !(x >= 0 && x <= 255))) throw new Error(`bad MAC address "${m.slice(0, 40)}"`);
    for (const x of p) this.u8(x);
    return this.u8(0).u8(0); // mac_t is 8 bytes
  }
  skip(n: number) {
    this.o += n;
    return this;
  }
  done(): Uint8Array {
    if (this.o !== this.b.length) throw new Error(`internal: encoded ${this.o} bytes of ${this.b.length}`);
    return this.b;
  }
}

export const PROTO: Record<string, number> = { TCP: 6, UDP: 17, SCTP: 132 };

// lb4_service.flags (SVC_FLAG_* in cilium/cilium bpf/lib/common.h).
const SVC_FLAGS: Record<string, number> = {
  ExternalIPs: 1 << 0,
  NodePort: 1 << 1,
  Local: 1 << 2,
  HostPort: 1 << 3,
  sessionAffinity: 1 << 4,
  LoadBalancer: 1 << 5,
};
/** SVC_FLAG_ROUTABLE: every frontend but a ClusterIP ("non-routable" in cilium-dbg's list). */
const SVC_FLAG_ROUTABLE = 1 << 6;

function svcFlags(s: BpfLbService): number {
  let f = s.flags.includes("non-routable") ? 0 : SVC_FLAG_ROUTABLE;
  for (const x of s.flags) f |= SVC_FLAGS[x] ?? 0;
  return f;
}

const lbKey = (s: BpfLbService, slot: number) =>
  new Bytes(12)
    .ip(s.address)
    .be16(s.port)
    .u16(slot)
    .u8(PROTO[s.protocol] ?? 0)
    .u8(0)
    .skip(2)
    .done();

/** cilium_lb4_services_v2: slot 0 {count, rev_nat_index, flags}, slot n {backend_id}. */
export function serviceEntries(b: NodeBpf): MapEntry[] {
  const out: MapEntry[] = [];
  for (const s of serviceList(b)) {
    const flags = svcFlags(s);
    const val = (backend: number, count: number) =>
      new Bytes(12).u32(backend).u16(count).u16(s.revNat).u8(flags).u8(0).u16(0).done();
    s.backends.forEach((id, i) => out.push({ key: lbKey(s, i + 1), value: val(id, 0) }));
    out.push({ key: lbKey(s, 0), value: val(0, s.backends.length) });
  }
  return out;
}

export function backendEntries(b: NodeBpf): MapEntry[] {
  return b.backends.map((be) => ({
    key: new Bytes(4).u32(be.id).done(),
    value: new Bytes(12)
      .ip(be.address)
      .be16(be.port)
      .u8(PROTO[be.protocol] ?? 0)
      .u8(be.state === "terminating" ? 1 : 0)
      .u16(0)
      .u8(0)
      .u8(0)
      .done(),
  }));
}

export function revNatEntries(b: NodeBpf): MapEntry[] {
  return revNatList(b).map((r) => ({
    key: new Bytes(2).u16(r.id).done(),
    value: new Bytes(8).ip(r.address).be16(r.port).u16(0).done(),
  }));
}

/** cilium_ipcache_v2 (LPM): prefixlen counts cluster_id, pad and family (32 bits) before the address. */
export function ipcacheEntries(b: NodeBpf): MapEntry[] {
  return ipcacheList(b).map((e) => {
    const c = parseCidr(e.prefix.includes("/") ? e.prefix : `${e.prefix}/32`, true);
    return {
      key: new Bytes(12)
        .u32(32 + c.prefix)
        .u16(0)
        .u8(0)
        .u8(1)
        .be32(c.base)
        .done(),
      value: new Bytes(12)
        .u32(e.identity)
        .ip(e.tunnelEndpoint ?? "0.0.0.0")
        .u16(0)
        .u8(0)
        .u8(e.tunnelEndpoint ? 2 : 0)
        .done(),
    };
  });
}

export const EP_F_INGRESS_ENFORCED = 1;
export const EP_F_EGRESS_ENFORCED = 2;

/** cilium_lxc; `ifindex` gives each endpoint's lxc device index in the node's namespace. */
export function endpointEntries(b: NodeBpf, ifindex: (ifName: string) => number): MapEntry[] {
  return b.endpoints.map((ep) => ({
    key: new Bytes(8).ip(ep.ip).u8(1).u8(0).u16(0).done(),
    value: new Bytes(44)
      .u32(ifindex(ep.ifName))
      .u16(0)
      .u16(ep.id)
      .u32((ep.ingressEnforced ? EP_F_INGRESS_ENFORCED : 0) | (ep.egressEnforced ? EP_F_EGRESS_ENFORCED : 0))
      .mac(ep.mac)
      .mac(ep.nodeMac)
      .u32(ep.identity)
      .skip(12)
      .done(),
  }));
}

/**
 * A port range as the fewest prefix blocks of the 16-bit port (Cilium's policy map keys a
 * range the same way, pkg/policy/types/types.go PortProtoToPrefixes): [base, bits fixed].
 */
export function portPrefixes(lo: number, hi: number): [number, number][] {
  const out: [number, number][] = [];
  let a = lo;
  while (a <= hi) {
    let size = 1;
    let bits = 16;
    while (bits > 0 && a % (size * 2) === 0 && a + size * 2 - 1 <= hi) {
      size *= 2;
      bits--;
    }
    out.push([a, bits]);
    a += size;
  }
  return out;
}

/** Fixed part of a policy key: lxc_id (16) + egress (8) + pad (8) + identity (32). */
const POLICY_BASE = 64;

function policyKey(ep: number, e: BpfPolicyEntry, proto: number, port: number, plen: number): Uint8Array {
  return new Bytes(16)
    .u32(plen)
    .be16(ep)
    .u8(e.direction === "egress" ? 1 : 0)
    .u8(0)
    .be32(e.identity)
    .u8(proto)
    .u8(0)
    .be16(port)
    .done();
}

/** policy_entry.flags: a deny entry (pkg/maps/policymap policyFlagDeny = 1 << 0). */
export const POLICY_F_DENY = 1;

/** cilium_policy_v2 (one LPM map per node, the endpoint id in the key): allow and deny
 *  entries (struct policy_entry: flags, pad, packets, bytes). A deny entry's range expands
 *  into prefix blocks as an allow's does. */
export function policyEntries(b: NodeBpf): MapEntry[] {
  const out: MapEntry[] = [];
  const allow = new Bytes(24).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).done();
  const deny = new Bytes(24).u32(POLICY_F_DENY).u32(0).u32(0).u32(0).u32(0).u32(0).done();
  for (const [id, entries] of Object.entries(b.policy)) {
    for (const e of entries) {
      const value = e.deny ? deny : allow;
      if (!e.protocol) {
        out.push({ key: policyKey(Number(id), e, 0, 0, POLICY_BASE), value });
        continue;
      }
      const proto = PROTO[e.protocol] ?? 0;
      if (e.port === undefined) {
        out.push({ key: policyKey(Number(id), e, proto, 0, POLICY_BASE + 16), value });
        continue;
      }
      for (const [base, bits] of portPrefixes(e.port, e.endPort ?? e.port))
        out.push({ key: policyKey(Number(id), e, proto, base, POLICY_BASE + 16 + bits), value });
    }
  }
  return out;
}

export const CFG_KPR = 1;

/** podnet_node_cfg[0]: what Cilium compiles into node_config.h. */
export function configEntry(
  b: NodeBpf,
  node: { address: string },
  ifindex: { tunnel: number; host: number },
): MapEntry {
  return {
    key: new Bytes(4).u32(0).done(),
    value: new Bytes(24)
      .u32(ifindex.tunnel)
      .u32(ifindex.host)
      .ip(b.routerIP)
      .ip(node.address)
      .u32(b.kubeProxyReplacement ? CFG_KPR : 0)
      .u32(0)
      .done(),
  };
}

/** Every map's desired contents for one node (cilium_ct4_global is the datapath's own). */
export function nodeMapEntries(
  b: NodeBpf,
  node: { address: string },
  ifindex: (ifName: string) => number,
  devs: { tunnel: number; host: number },
): Map<MapName, MapEntry[]> {
  return new Map<MapName, MapEntry[]>([
    ["cilium_lb4_backends_v3", backendEntries(b)],
    ["cilium_lb4_reverse_nat", revNatEntries(b)],
    ["cilium_ipcache_v2", ipcacheEntries(b)],
    ["cilium_lxc", endpointEntries(b, ifindex)],
    ["cilium_policy_v2", policyEntries(b)],
    ["podnet_node_cfg", [configEntry(b, node, devs)]],
    // Last: a frontend's slot 0 (its backend count) is the switch to new slots written before it.
    ["cilium_lb4_services_v2", serviceEntries(b)],
  ]);
}

export const hex = (u: Uint8Array) => [...u].map((x) => x.toString(16).padStart(2, "0")).join(" ");
