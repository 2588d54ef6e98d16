// Cilium's BPF maps as the walk reads them (bpf.ts): a node's NodeBpf indexed once (IR
// objects are read-only), its cluster-wide parts once per cluster; the lookups of the
// ipcache (longest prefix), the lb4 maps and the policy map, and their entries' texts.

import type { BpfEndpoint, BpfIpcacheEntry, BpfLbService, BpfPolicyEntry, BpfRevNat, NodeBpf } from "../../ir/types.js";
import { ipToInt } from "../../net/ipv4.js";
import { portBlocks } from "../../ir/render-bpf.js";
import type { Pkt } from "../packet.js";
import type { HubbleEndpoint, StepObject } from "../trace.js";

export const ID_HOST = 1;
export const ID_WORLD = 2;
export const ID_REMOTE_NODE = 6;

/** An ipcache prefix length: the cluster-wide entries (shared by every node) and the node's own (null: omitted). */
interface IpcLen {
  len: number;
  mask: number;
  m: Map<number, BpfIpcacheEntry> | undefined;
  own: Map<number, BpfIpcacheEntry | null> | undefined;
}

/** A node's maps, indexed once per NodeBpf (IR objects are read-only); the cluster-wide parts once per cluster. */
export interface BpfIndex {
  b: NodeBpf;
  /**
   * Frontends by `proto/address/port`: the node's own first (made on first use for one of
   * `ownAddrs`: ~1,200 per node at 10,000 Services, and ClusterIP traffic never needs
   * them), then the cluster's.
   */
  svcOwn: Map<string, BpfLbService> | undefined;
  ownAddrs: Set<number>;
  svc: Map<string, BpfLbService>;
  backends: Map<number, NodeBpf["backends"][number]>;
  /** Made on first use (replies). */
  revNatOwn: Map<number, BpfRevNat> | undefined;
  revNat: Map<number, BpfRevNat>;
  /** ipcache by prefix length (longest first), each by masked address. */
  ipcache: IpcLen[];
  epByIp: Map<number, BpfEndpoint>;
  epById: Map<number, BpfEndpoint>;
  localAddrs: Set<number>;
  /** Identity → its labels (Hubble's source/destination labels). */
  labels: Map<number, readonly string[]>;
  /** Hubble's flow ends by address (see hEnd), shared with `labels`' cluster. */
  ends: Map<number, HubbleEndpoint>;
  /** The DECAPSULATED step's fixed parts (bpfDecap). */
  decap: { head: string; obj: StepObject } | undefined;
}
const indexes = new WeakMap<NodeBpf, BpfIndex>();
/** The cluster-wide parts' indexes, by the shared array (the same on every node: built once, not per node). */
const sharedIdx = new WeakMap<readonly object[], unknown>();

function sharedIndex<T extends object, R>(arr: readonly T[], make: (a: readonly T[]) => R): R {
  let r = sharedIdx.get(arr) as R | undefined;
  if (r === undefined) sharedIdx.set(arr, (r = make(arr)));
  return r;
}

const svcKey = (s: BpfLbService) => `${s.protocol.toLowerCase()}/${ipToInt(s.address)}/${s.port}`;
const maskOfLen = (len: number) => (len === 0 ? 0 : (~0 << (32 - len)) >>> 0);

function byPrefix<T>(es: Iterable<[string, T]>): Map<number, Map<number, T>> {
  const byLen = new Map<number, Map<number, T>>();
  for (const [prefix, e] of es) {
    const [a, l] = prefix.split("/");
    const len = Number(l ?? 32);
    let m = byLen.get(len);
    if (!m) byLen.set(len, (m = new Map()));
    m.set((ipToInt(a) & maskOfLen(len)) >>> 0, e);
  }
  return byLen;
}

export function indexOf(b: NodeBpf, nodeAddr: string): BpfIndex {
  let x = indexes.get(b);
  if (x) return x;
  const cl = sharedIndex(b.ipcache.cluster, (a) => byPrefix(a.map((e) => [e.prefix, e] as [string, BpfIpcacheEntry])));
  const own = byPrefix<BpfIpcacheEntry | null>([
    ...b.ipcache.local.map((e) => [e.prefix, e] as [string, BpfIpcacheEntry]),
    ...(b.ipcache.omit ?? []).map((p) => [p, null] as [string, null]),
  ]);
  const lens = [...new Set([...cl.keys(), ...own.keys()])].sort((p, q) => q - p);
  const ids = sharedIndex(b.identities, (a) => ({
    labels: new Map(a.map((i) => [i.id, i.labels])),
    ends: new Map<number, HubbleEndpoint>(),
  }));
  const ownAddrs = new Set<number>();
  let last = "";
  for (const s of b.services.local)
    if (s.address !== last) {
      last = s.address;
      ownAddrs.add(ipToInt(last));
    }
  x = {
    b,
    svcOwn: undefined,
    ownAddrs,
    svc: sharedIndex(b.services.cluster, (a) => new Map(a.map((s) => [svcKey(s), s]))),
    backends: sharedIndex(b.backends, (a) => new Map(a.map((e) => [e.id, e]))),
    revNatOwn: undefined,
    revNat: sharedIndex(b.revNat.cluster, (a) => new Map(a.map((e) => [e.id, e]))),
    ipcache: lens.map((len) => ({ len, mask: maskOfLen(len), m: cl.get(len), own: own.get(len) })),
    epByIp: new Map(b.endpoints.map((e) => [ipToInt(e.ip), e])),
    epById: new Map(b.endpoints.map((e) => [e.id, e])),
    localAddrs: new Set([ipToInt(nodeAddr), ipToInt(b.routerIP)]),
    labels: ids.labels,
    ends: ids.ends,
    decap: undefined,
  };
  indexes.set(b, x);
  return x;
}

export function lookupIpcache(x: BpfIndex, ip: number): BpfIpcacheEntry | undefined {
  for (const l of x.ipcache) {
    const k = (ip & l.mask) >>> 0;
    if (l.own !== undefined) {
      const o = l.own.get(k);
      if (o !== undefined) {
        if (o !== null) return o;
        continue; // omitted on this node: a shorter prefix answers
      }
    }
    if (l.m !== undefined) {
      const e = l.m.get(k);
      if (e) return e;
    }
  }
  return undefined;
}

/** The frontend `key` (`proto/dst/port`, see svcKey) names; `dst`: its address. */
export function svcOf(x: BpfIndex, dst: number, key: string): BpfLbService | undefined {
  if (x.ownAddrs.has(dst)) {
    const own = (x.svcOwn ??= new Map(x.b.services.local.map((s) => [svcKey(s), s]))).get(key);
    if (own) return own;
  }
  return x.svc.get(key);
}

export function revNatOf(x: BpfIndex, id: number): BpfRevNat | undefined {
  return (x.revNatOwn ??= new Map(x.b.revNat.local.map((e) => [e.id, e]))).get(id) ?? x.revNat.get(id);
}

export function ipcacheText(e: BpfIpcacheEntry): string {
  return `cilium_ipcache_v2 ${e.prefix} identity=${e.identity} tunnelendpoint=${e.tunnelEndpoint ?? "0.0.0.0"}`;
}

const PROTO_UPPER: Record<string, string> = { tcp: "TCP", udp: "UDP", sctp: "SCTP", icmp: "ICMP" };

/**
 * The policy map's lookup as bpf/lib/common.h policy_verdict does it: the entries of the
 * peer's identity, then (none matching) those of ANY (0); among them the longest LPM prefix
 * (an any-protocol entry, then a protocol's any-port entry, then the port's prefix block:
 * render-bpf.ts portBlocks). The entry decides: `deny` drops, else it allows.
 */
export function policyMatch(
  b: NodeBpf,
  ep: BpfEndpoint,
  dir: "ingress" | "egress",
  id: number,
  pkt: Pkt,
): BpfPolicyEntry | undefined {
  const proto = PROTO_UPPER[pkt.proto] ?? pkt.proto.toUpperCase();
  const list = b.policy[ep.id] ?? [];
  const longest = (identity: number): BpfPolicyEntry | undefined => {
    let best: BpfPolicyEntry | undefined;
    let bestLen = -1;
    for (const e of list) {
      if (e.direction !== dir || e.identity !== identity) continue;
      let len = 0;
      if (e.protocol) {
        if (e.protocol !== proto) continue;
        len = 8;
        if (e.port !== undefined) {
          const end = e.endPort ?? e.port;
          if (pkt.dport < e.port || pkt.dport > end) continue;
          len += e.port === end ? 16 : portBlocks(e.port, end).find((k) => pkt.dport <= k.end)!.bits;
        }
      }
      // Equal prefixes are one key: the first entry stands for it.
      if (len > bestLen) {
        best = e;
        bestLen = len;
      }
    }
    return best;
  };
  return longest(id) ?? (id !== 0 ? longest(0) : undefined);
}

export function policyText(ep: BpfEndpoint, e: BpfPolicyEntry): string {
  const port = e.protocol
    ? `${e.port === undefined ? "ANY" : e.endPort ? `${e.port}-${e.endPort}` : e.port}/${e.protocol}`
    : "ANY";
  return `cilium_policy_v2_${String(ep.id).padStart(5, "0")} ${e.deny ? "Deny" : "Allow"} ${e.direction === "ingress" ? "Ingress" : "Egress"} identity ${e.identity} ${port} (${e.by})`;
}
