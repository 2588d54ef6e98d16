// The walk through Cilium's eBPF datapath: the programs at tc hooks (IR Link.tc) and the
// node's maps (IR NodeNet.bpf). Modelled on cilium/cilium bpf/:
//   bpf_lxc.c    cil_from_container (lxc tc ingress = the pod's egress): conntrack, per-packet
//                service load balancing (lb4_lookup_service / lb4_local), ipcache lookup of the
//                destination, egress policy, then local delivery (tail call into the
//                destination's policy program), encapsulation, or the stack;
//                the per-endpoint policy program: conntrack, reverse NAT of replies, ingress
//                policy, bpf_redirect_peer into the pod;
//   bpf_host.c   cil_from_netdev (eth0 ingress: NodePort/LoadBalancer frontends, SNAT mode;
//                NodePort replies reverse-translated), cil_from_host (cilium_host egress:
//                the host's packets to endpoints), cil_to_netdev (eth0 egress);
//   bpf_overlay.c cil_from_overlay: the source identity from the VNI (a node's HOST_ID is
//                presented as REMOTE_NODE_ID), then local delivery.
// Conntrack is cilium_ct4_global: entries OUT (from a local endpoint), IN (to one), SERVICE
// (a load-balanced frontend); a packet that is the reply of an entry skips policy (CT_REPLY).
// Service load balancing is the per-packet path (socket LB off: what Cilium does at tc).
// Policy keys are {identity, direction, protocol, port}: identity 0 is ANY (no enforcement).

import type {
  BpfEndpoint,
  BpfIpcacheEntry,
  BpfLbService,
  BpfPolicyEntry,
  BpfRevNat,
  Link,
  NetNs,
  NodeBpf,
} from "../../ir/types.js";
import { formatCtEntry, type BpfCtEntry } from "../../ir/render-bpf.js";
import { intToIp, ipToInt } from "../../net/ipv4.js";
import { clonePkt, makePkt, viewOf, type Pkt } from "../packet.js";
import type { NsInfo, Owner } from "../topology.js";
import { dropReasonCode } from "../drop-reasons.js";
import type {
  DropReason,
  HubbleEndpoint,
  StepAction,
  StepHubble,
  StepObject,
  TraceObservationPoint,
} from "../trace.js";
import { WalkDeliver } from "./deliver.js";
import { NO_META } from "./say.js";

const ID_HOST = 1;
const ID_WORLD = 2;
const ID_REMOTE_NODE = 6;

/** An ipcache prefix length: the cluster-wide entries (shared by every node) and the node's own (null: omitted). */
interface IpcLen {
  len: number;
  mask: number;
  m: Map<number, BpfIpcacheEntry> | undefined;
  own: Map<number, BpfIpcacheEntry | null> | undefined;
}

/** A node's maps, indexed once per NodeBpf (IR objects are read-only); the cluster-wide parts once per cluster. */
interface BpfIndex {
  /** Frontends by `proto/address/port`: the node's own first, then the cluster's. */
  svcOwn: Map<string, BpfLbService>;
  svc: Map<string, BpfLbService>;
  backends: Map<number, NodeBpf["backends"][number]>;
  revNatOwn: Map<number, BpfRevNat>;
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

function indexOf(b: NodeBpf, nodeAddr: string): BpfIndex {
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
  x = {
    svcOwn: new Map(b.services.local.map((s) => [svcKey(s), s])),
    svc: sharedIndex(b.services.cluster, (a) => new Map(a.map((s) => [svcKey(s), s]))),
    backends: sharedIndex(b.backends, (a) => new Map(a.map((e) => [e.id, e]))),
    revNatOwn: new Map(b.revNat.local.map((e) => [e.id, e])),
    revNat: sharedIndex(b.revNat.cluster, (a) => new Map(a.map((e) => [e.id, e]))),
    ipcache: lens.map((len) => ({ len, mask: maskOfLen(len), m: cl.get(len), own: own.get(len) })),
    epByIp: new Map(b.endpoints.map((e) => [ipToInt(e.ip), e])),
    epById: new Map(b.endpoints.map((e) => [e.id, e])),
    localAddrs: new Set([ipToInt(nodeAddr), ipToInt(b.routerIP)]),
    labels: ids.labels,
    ends: ids.ends,
  };
  indexes.set(b, x);
  return x;
}

// Hubble's events (pkg/monitor/api/types.go): MessageType and the trace sub_type per
// observation point (TraceToLxc 0 … TraceToNetwork 11).
const MSG_DROP = 1;
const MSG_TRACE = 4;
const MSG_POLICY_VERDICT = 5;
const TRACE_SUB: Record<TraceObservationPoint, number> = {
  TO_ENDPOINT: 0,
  TO_HOST: 2,
  TO_STACK: 3,
  TO_OVERLAY: 4,
  FROM_ENDPOINT: 5,
  FROM_HOST: 7,
  FROM_STACK: 8,
  FROM_OVERLAY: 9,
  FROM_NETWORK: 10,
  TO_NETWORK: 11,
};

const ctKey = (dir: string, proto: string, src: number, sport: number, dst: number, dport: number) =>
  `${dir} ${proto} ${src}:${sport} ${dst}:${dport}`;

export abstract class WalkBpf extends WalkDeliver {
  /** cilium_ct4_global per node namespace id (made on first use: flavors without BPF never pay). */
  protected bpfCt: Map<string, Map<string, BpfCtEntry>> | null = null;

  private ctMap(ns: NetNs): Map<string, BpfCtEntry> {
    if (!this.bpfCt) this.bpfCt = new Map();
    let m = this.bpfCt.get(ns.id);
    if (!m) this.bpfCt.set(ns.id, (m = new Map()));
    return m;
  }

  /** `src`/`dst`: the entry's addresses as numbers (the packet's: no parse of e's strings). */
  private ctPut(ns: NetNs, e: BpfCtEntry, src: number, dst: number): void {
    const m = this.ctMap(ns);
    const k = ctKey(e.dir, e.proto, src, e.sport, dst, e.dport);
    if (m.has(k)) return;
    m.set(k, e);
    this.log(() => m.delete(k));
  }

  /** The entry this packet is the reply of (its tuple reversed), OUT entries first. */
  private ctReply(ns: NetNs, pkt: Pkt): BpfCtEntry | undefined {
    const m = this.bpfCt?.get(ns.id);
    if (!m) return undefined;
    for (const dir of ["OUT", "IN"]) {
      const e = m.get(ctKey(dir, pkt.proto, pkt.dst, pkt.dport, pkt.src, pkt.sport));
      if (e) return e;
    }
    return undefined;
  }

  private bpfStep(prog: string, detail: string, pkt: Pkt, text?: string): void {
    this.step("BPF", `${prog}: ${detail}`, pkt, text ? { kind: "bpf", text } : undefined);
  }

  /** A drop by a program; `h` (a drop event, see dropEv) goes on the step, as Hubble's drop notification. */
  private bpfDrop(reason: DropReason, prog: string, detail: string, pkt: Pkt, text?: string, h?: StepHubble): void {
    const o: StepObject | undefined = text ? { kind: "bpf", text } : undefined;
    const before = this.cur ? this.cur.steps.length : 0;
    this.drop(reason, `${prog}: ${detail}`, pkt, o);
    if (h) this.hubbleDrop(before, h, reason);
  }

  // --- Hubble's view of the steps ------------------------------------------------------

  /** A flow end as Hubble names it: the identity, its labels, the pod when the address is one. */
  private hEnd(x: BpfIndex, ip: number, identity: number): HubbleEndpoint {
    // One object per address and identity (read-only in the output), cluster-wide.
    const ends = x.ends;
    const hit = ends.get(ip);
    if (hit !== undefined && hit.identity === identity) return hit;
    const p = identity >= 256 ? this.topo.podByIp.get(ip) : undefined;
    const labels = x.labels.get(identity);
    let e: HubbleEndpoint;
    if (p) e = labels ? { identity, namespace: p.namespace, pod_name: p.name, labels } : { identity };
    else e = labels ? { identity, labels } : { identity };
    ends.set(ip, e);
    return e;
  }

  /** The identity the ipcache gives an address (world when none: the 0.0.0.0/0 entry). */
  private idOf(x: BpfIndex, ip: number): number {
    const e = this.lookupIpcache(x, ip);
    return e ? e.identity : ID_WORLD;
  }

  private hubble(
    inf: NsInfo,
    x: BpfIndex,
    pkt: Pkt,
    srcId: number,
    dstId: number,
    type: number,
    sub: number,
    verdict: "FORWARDED" | "DROPPED",
    point?: TraceObservationPoint,
    dir?: "INGRESS" | "EGRESS",
  ): StepHubble {
    // One literal per shape (spreads of optional fields cost a copy and a slow object per event).
    const source = this.hEnd(x, pkt.src, srcId);
    const destination = this.hEnd(x, pkt.dst, dstId);
    const node_name = inf.node!.name;
    const event_type = { type, sub_type: sub };
    if (point)
      return dir
        ? {
            verdict,
            Type: "L3_L4",
            event_type,
            trace_observation_point: point,
            traffic_direction: dir,
            source,
            destination,
            node_name,
          }
        : { verdict, Type: "L3_L4", event_type, trace_observation_point: point, source, destination, node_name };
    return dir
      ? { verdict, Type: "L3_L4", event_type, traffic_direction: dir, source, destination, node_name }
      : { verdict, Type: "L3_L4", event_type, source, destination, node_name };
  }

  /** A drop notification (its reason filled in by bpfDrop). */
  private dropEv(inf: NsInfo, x: BpfIndex, pkt: Pkt, srcId: number, dstId: number, dir?: "INGRESS" | "EGRESS") {
    return this.hubble(inf, x, pkt, srcId, dstId, MSG_DROP, 0, "DROPPED", undefined, dir);
  }

  /** A trace event at an observation point (send_trace_notify in bpf/lib/trace.h). */
  private traceEv(
    inf: NsInfo,
    x: BpfIndex,
    pkt: Pkt,
    point: TraceObservationPoint,
    srcId: number,
    dstId: number,
  ): StepHubble {
    return this.hubble(inf, x, pkt, srcId, dstId, MSG_TRACE, TRACE_SUB[point], "FORWARDED", point);
  }

  /** A step carrying its Hubble event (Cilium's steps only: other flavors' steps keep their shape). */
  private hstep(
    action: StepAction,
    detail: string,
    pkt: Pkt,
    object: StepObject | undefined,
    hubble: StepHubble,
  ): void {
    this.cur!.steps.push({ action, detail, packet: viewOf(pkt), object, hubble });
  }

  /** The step `drop` just added gets the drop notification (bpf/lib/drop.h send_drop_notify). */
  private hubbleDrop(before: number, h: StepHubble, reason: DropReason): void {
    const steps = this.cur?.steps;
    if (!steps || steps.length <= before) return;
    const code = dropReasonCode(reason);
    h.event_type.sub_type = code;
    h.drop_reason = code;
    h.drop_reason_desc = reason;
    steps[steps.length - 1].hubble = h;
  }

  private lookupIpcache(x: BpfIndex, ip: number): BpfIpcacheEntry | undefined {
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

  private svcOf(x: BpfIndex, key: string): BpfLbService | undefined {
    return x.svcOwn.get(key) ?? x.svc.get(key);
  }

  private revNatOf(x: BpfIndex, id: number): BpfRevNat | undefined {
    return x.revNatOwn.get(id) ?? x.revNat.get(id);
  }

  private ipcacheText(e: BpfIpcacheEntry): string {
    return `cilium_ipcache_v2 ${e.prefix} identity=${e.identity} tunnelendpoint=${e.tunnelEndpoint ?? "0.0.0.0"}`;
  }

  /** The policy map's verdict: the first entry for identity (or ANY) whose protocol and port match. */
  private policyMatch(
    b: NodeBpf,
    ep: BpfEndpoint,
    dir: "ingress" | "egress",
    id: number,
    pkt: Pkt,
  ): BpfPolicyEntry | undefined {
    const proto = pkt.proto.toUpperCase();
    for (const e of b.policy[ep.id] ?? []) {
      if (e.direction !== dir || (e.identity !== 0 && e.identity !== id)) continue;
      if (e.protocol && e.protocol !== proto) continue;
      if (e.port !== undefined && (pkt.dport < e.port || pkt.dport > (e.endPort ?? e.port))) continue;
      return e;
    }
    return undefined;
  }

  private policyText(ep: BpfEndpoint, e: BpfPolicyEntry): string {
    const port = e.protocol
      ? `${e.port === undefined ? "ANY" : e.endPort ? `${e.port}-${e.endPort}` : e.port}/${e.protocol}`
      : "ANY";
    return `cilium_policy_v2_${String(ep.id).padStart(5, "0")} Allow ${e.direction === "ingress" ? "Ingress" : "Egress"} identity ${e.identity} ${port} (${e.by})`;
  }

  /** A policy decision: true when allowed (a POLICY step), else the drop. */
  private policy(
    inf: NsInfo,
    x: BpfIndex,
    prog: string,
    b: NodeBpf,
    ep: BpfEndpoint,
    dir: "ingress" | "egress",
    peerId: number,
    pkt: Pkt,
  ): boolean {
    const e = this.policyMatch(b, ep, dir, peerId, pkt);
    const who = `${dir} of ${ep.pod} (endpoint ${ep.id}, identity ${ep.identity})`;
    const l4 = pkt.proto === "icmp" ? "icmp" : `${pkt.proto}/${pkt.dport}`;
    const eg = dir === "egress";
    const [src, dst] = eg ? [ep.identity, peerId] : [peerId, ep.identity];
    const hdir = eg ? "EGRESS" : "INGRESS";
    if (e && !(eg ? ep.egressEnforced : ep.ingressEnforced)) {
      this.step("POLICY", `${prog}: ${who}: identity ${peerId} ${l4} allowed (${e.by})`, pkt, {
        kind: "bpf",
        text: this.policyText(ep, e),
      });
      return true;
    }
    if (e) {
      // A policy-verdict event, sent where the endpoint enforces policy for the direction
      // (bpf/lib/policy_log.h): Hubble's "policy-verdict:L3-L4 EGRESS ALLOWED".
      this.hstep(
        "POLICY",
        `${prog}: ${who}: identity ${peerId} ${l4} allowed (${e.by})`,
        pkt,
        { kind: "bpf", text: this.policyText(ep, e) },
        this.hubble(inf, x, pkt, src, dst, MSG_POLICY_VERDICT, 0, "FORWARDED", undefined, hdir),
      );
      return true;
    }
    this.bpfDrop(
      "POLICY_DENIED",
      prog,
      `Policy denied: ${who} has no entry for identity ${peerId} ${l4} (enforced by NetworkPolicy)`,
      pkt,
      `cilium_policy_v2_${String(ep.id).padStart(5, "0")}: no entry for identity ${peerId} ${l4}`,
      this.dropEv(inf, x, pkt, src, dst, hdir),
    );
    return false;
  }

  // --- hooks (called from l2Receive, transmit, neighbour, localDeliver) -------------------

  /** tc ingress on `link`: true when the program took the packet (else the stack goes on). */
  protected tcIngress(ns: NetNs, link: Link, pkt: Pkt, known?: NsInfo): boolean {
    const prog = link.tc!.ingress!;
    const inf = known ?? this.topo.info(ns);
    const b = inf.node?.bpf;
    if (!b) return false;
    const x = indexOf(b, inf.node!.address);
    if (prog.name === "cil_from_container") {
      this.fromContainer(ns, inf, b, x, link, pkt);
      return true;
    }
    if (prog.name === "cil_from_netdev") return this.fromNetdev(ns, inf, b, x, pkt);
    return false;
  }

  /** tc egress on `link`: true when the program took the packet. */
  protected tcEgress(ns: NetNs, inf: NsInfo, link: Link, pkt: Pkt): boolean {
    const prog = link.tc!.egress!;
    const b = inf.node?.bpf;
    if (!b || prog.name !== "cil_from_host") return false;
    const x = indexOf(b, inf.node!.address);
    const P = "cil_from_host (bpf_host, tc egress cilium_host)";
    const ep = x.epByIp.get(pkt.dst);
    const src = this.lookupIpcache(x, pkt.src);
    const srcId = src ? src.identity : ID_WORLD;
    if (ep) {
      this.hstep(
        "BPF",
        `${P}: ${intToIp(pkt.dst)} is local endpoint ${ep.id} (${ep.pod}); source identity ${srcId}`,
        pkt,
        undefined,
        this.traceEv(inf, x, pkt, "FROM_HOST", srcId, ep.identity),
      );
      this.toEndpoint(ns, inf, b, x, ep, pkt, srcId);
      return true;
    }
    const dst = this.lookupIpcache(x, pkt.dst);
    if (dst?.tunnelEndpoint && b.tunnel) {
      this.hstep(
        "BPF",
        `${P}: ${intToIp(pkt.dst)}: identity ${dst.identity} behind ${dst.tunnelEndpoint}; source identity ${srcId}`,
        pkt,
        { kind: "bpf", text: this.ipcacheText(dst) },
        this.traceEv(inf, x, pkt, "FROM_HOST", srcId, dst.identity),
      );
      this.encap(ns, inf, b, x, pkt, dst.tunnelEndpoint, ID_HOST, P);
      return true;
    }
    return false;
  }

  /** bpf_lxc answers the pod's ARP requests with the lxc MAC (any address: the pod's only neighbour is its gateway). */
  protected bpfArp(link: Link, ip: number, pkt: Pkt): { mac: string; owner?: Owner } | null {
    const v = this.vethEnd(link, link.peer!);
    const prog = v?.pl.tc?.ingress;
    if (!v || !prog?.arpResponder) return null;
    this.step(
      "ARP",
      `who-has ${intToIp(ip)} on ${link.name}: ${v.pl.mac} (answered by ${prog.name} on ${v.pl.name}, bpf_lxc's ARP responder)`,
      pkt,
      { kind: "bpf", text: `${v.pl.name} tc ingress ${prog.name} (${prog.object})` },
    );
    return { mac: v.pl.mac };
  }

  /** An encapsulated packet for Cilium's tunnel device (any VNI: collect-metadata mode); false: not Cilium's. */
  protected bpfDecap(ns: NetNs, inf: NsInfo, pkt: Pkt): boolean {
    const b = inf.node?.bpf;
    if (!b?.tunnel || pkt.proto !== "udp" || pkt.dport !== b.tunnel.port) return false;
    const tdev = inf.links.get(b.tunnel.dev);
    if (!tdev) return false;
    const inner = pkt.inner!;
    const vni = pkt.vni ?? 0;
    this.step(
      "DECAPSULATED",
      `${b.tunnel.protocol.toUpperCase()} (udp ${b.tunnel.port}) → ${tdev.name} (external): VNI ${vni} = source identity`,
      inner,
      { kind: "link", text: `${tdev.name}: ${b.tunnel.protocol} external dstport ${b.tunnel.port}` },
    );
    this.fromOverlay(ns, inf, b, indexOf(b, inf.node!.address), tdev, inner, vni);
    return true;
  }

  // --- programs -------------------------------------------------------------------------

  private fromContainer(ns: NetNs, inf: NsInfo, b: NodeBpf, x: BpfIndex, link: Link, pkt: Pkt): void {
    const prog = link.tc!.ingress!;
    const ep = (prog.endpoint !== undefined ? x.epById.get(prog.endpoint) : undefined) ?? x.epByIp.get(pkt.src);
    const P = `cil_from_container (bpf_lxc, tc ingress ${link.name})`;
    if (!ep)
      return this.bpfDrop(
        "UNSUPPORTED",
        P,
        `no endpoint for ${link.name} in cilium_lxc`,
        pkt,
        undefined,
        this.dropEv(inf, x, pkt, this.idOf(x, pkt.src), this.idOf(x, pkt.dst)),
      );
    this.hstep(
      "BPF",
      `${P}: from endpoint ${ep.id} (${ep.pod}), source identity ${ep.identity}`,
      pkt,
      undefined,
      this.traceEv(inf, x, pkt, "FROM_ENDPOINT", ep.identity, this.idOf(x, pkt.dst)),
    );
    const reply = this.ctReply(ns, pkt);
    if (reply) {
      this.step(
        "CONNTRACK",
        `${P}: CT_REPLY of ${reply.dir} ${reply.src}:${reply.sport} → ${reply.dst}:${reply.dport} (no policy for replies)`,
        pkt,
        {
          kind: "bpf",
          text: `cilium_ct4_global ${formatCtEntry(reply)}`,
        },
      );
      return this.afterLb(ns, inf, b, x, link, ep, pkt, P, true, reply.dir === "IN" ? reply.revNat : 0);
    }
    const svc = b.kubeProxyReplacement ? this.svcOf(x, `${pkt.proto}/${pkt.dst}/${pkt.dport}`) : undefined;
    if (!svc) return this.afterLb(ns, inf, b, x, link, ep, pkt, P, false, 0);
    this.lbSelect(ns, inf, b, x, svc, pkt, P, ep.identity, () =>
      this.afterLb(ns, inf, b, x, link, ep, pkt, P, false, svc.revNat),
    );
  }

  /** lb4_lookup_service + lb4_select_backend_id (random: slot = rand % count + 1) + DNAT; `rest` goes on per backend. */
  private lbSelect(
    ns: NetNs,
    inf: NsInfo,
    b: NodeBpf,
    x: BpfIndex,
    svc: BpfLbService,
    pkt: Pkt,
    P: string,
    srcId: number,
    rest: () => void,
  ): void {
    const fe = `${svc.address}:${svc.port}/${svc.protocol}`;
    const svcText = `cilium_lb4_services_v2 ${fe} (${svc.revNat}) (0) [${svc.flags.join(", ")}] count=${svc.backends.length}`;
    if (svc.backends.length === 0)
      return this.bpfDrop(
        "SERVICE_BACKEND_NOT_FOUND",
        P,
        `service ${svc.service} (${fe}) has no backends${svc.flags.includes("Local") ? " on this node (externalTrafficPolicy Local)" : ""}`,
        pkt,
        svcText,
        this.dropEv(inf, x, pkt, srcId, this.idOf(x, pkt.dst)),
      );
    const n = svc.backends.length;
    const options = svc.backends.map((id, i) => {
      const be = x.backends.get(id)!;
      return { p: 1 / n, label: `slot ${i + 1} backend ${be.address}:${be.port} (p=${(1 / n).toFixed(4)})` };
    });
    this.forkAt(
      pkt,
      () => {
        const k = this.choose(options, `cilium_lb4_services_v2 ${fe}`);
        const be = x.backends.get(svc.backends[k])!;
        const before = `${intToIp(pkt.dst)}:${pkt.dport}`;
        this.bpfStep(P, `service ${svc.service}: ${fe} → backend ${be.id} in slot ${k + 1} of ${n}`, pkt, svcText);
        this.ctPut(
          ns,
          {
            proto: pkt.proto,
            dir: "SERVICE",
            src: intToIp(pkt.src),
            sport: pkt.sport,
            dst: intToIp(pkt.dst),
            dport: pkt.dport,
            revNat: svc.revNat,
            srcIdentity: srcId,
            backend: be.id,
          },
          pkt.src,
          pkt.dst,
        );
        pkt.dst = ipToInt(be.address);
        pkt.dport = be.port;
        this.step("NAT", `${P}: DNAT ${before} → ${be.address}:${be.port} (rev_nat_index ${svc.revNat})`, pkt, {
          kind: "bpf",
          text: `cilium_lb4_backends_v3 ${be.id} ${be.address}:${be.port}/${be.protocol} ${be.state}`,
        });
        return true;
      },
      rest,
    );
  }

  /** After load balancing: ipcache, egress policy, CT, then where the packet goes. */
  private afterLb(
    ns: NetNs,
    inf: NsInfo,
    b: NodeBpf,
    x: BpfIndex,
    link: Link,
    ep: BpfEndpoint,
    pkt: Pkt,
    P: string,
    isReply: boolean,
    revNat: number,
  ): void {
    const dst = this.lookupIpcache(x, pkt.dst);
    const dstId = dst ? dst.identity : ID_WORLD;
    if (dst)
      this.bpfStep(
        P,
        `ipcache: ${intToIp(pkt.dst)} is identity ${dstId}${dst.tunnelEndpoint ? ` on node ${dst.tunnelEndpoint}` : ""}`,
        pkt,
        this.ipcacheText(dst),
      );
    if (!isReply) {
      if (!this.policy(inf, x, P, b, ep, "egress", dstId, pkt)) return;
      const e: BpfCtEntry = {
        proto: pkt.proto,
        dir: "OUT",
        src: intToIp(pkt.src),
        sport: pkt.sport,
        dst: intToIp(pkt.dst),
        dport: pkt.dport,
        revNat,
        srcIdentity: ep.identity,
      };
      this.ctPut(ns, e, pkt.src, pkt.dst);
      this.step("CONNTRACK", `${P}: new connection`, pkt, {
        kind: "bpf",
        text: `cilium_ct4_global ${formatCtEntry(e)}`,
      });
    }
    const local = x.epByIp.get(pkt.dst);
    if (local) {
      this.bpfStep(
        P,
        `${intToIp(pkt.dst)} is local endpoint ${local.id} (${local.pod}): tail call cilium_call_policy[${local.id}]`,
        pkt,
      );
      return this.toEndpoint(ns, inf, b, x, local, pkt, ep.identity);
    }
    if (dst?.tunnelEndpoint && b.tunnel) return this.encap(ns, inf, b, x, pkt, dst.tunnelEndpoint, ep.identity, P);
    if (isReply) {
      // A reply the datapath itself translated: bpf_fib_lookup + bpf_redirect_neigh, past netfilter.
      const rn = revNat ? this.revNatOf(x, revNat) : undefined;
      if (rn && rn.address !== "0.0.0.0") {
        const before = `${intToIp(pkt.src)}:${pkt.sport}`;
        pkt.src = ipToInt(rn.address);
        pkt.sport = rn.port;
        this.step("NAT", `${P}: reverse NAT ${before} → ${rn.address}:${rn.port} (lb4_rev_nat)`, pkt, {
          kind: "bpf",
          text: `cilium_lb4_reverse_nat ${rn.id} ${rn.address}:${rn.port}`,
        });
      }
      const r = this.routed(inf, pkt, `${P}: bpf_fib_lookup`);
      if (!r) return;
      return this.transmit(ns, inf, r, pkt);
    }
    this.hstep(
      "BPF",
      `${P}: ${intToIp(pkt.dst)} is not a local endpoint: TC_ACT_OK, to the stack (legacy host routing)`,
      pkt,
      undefined,
      this.traceEv(inf, x, pkt, "TO_STACK", ep.identity, dstId),
    );
    this.ipInput(ns, link.name, pkt, NO_META, inf);
  }

  /** The destination endpoint's policy program (cil_lxc_policy), then bpf_redirect_peer into the pod. */
  private toEndpoint(
    ns: NetNs,
    inf: NsInfo,
    b: NodeBpf,
    x: BpfIndex,
    ep: BpfEndpoint,
    pkt: Pkt,
    srcId: number,
    /** N-S with a local backend: the frontend's rev_nat_index, kept for the reply. */
    revNat = 0,
  ): void {
    const P = `cil_lxc_policy (bpf_lxc, endpoint ${ep.id})`;
    const reply = this.ctReply(ns, pkt);
    if (reply) {
      this.step(
        "CONNTRACK",
        `${P}: CT_REPLY of ${reply.dir} ${reply.src}:${reply.sport} → ${reply.dst}:${reply.dport} (no policy for replies)`,
        pkt,
        {
          kind: "bpf",
          text: `cilium_ct4_global ${formatCtEntry(reply)}`,
        },
      );
      const rn = reply.revNat && reply.dir === "OUT" ? this.revNatOf(x, reply.revNat) : undefined;
      if (rn) {
        const before = `${intToIp(pkt.src)}:${pkt.sport}`;
        pkt.src = ipToInt(rn.address);
        pkt.sport = rn.port;
        this.step("NAT", `${P}: reverse NAT ${before} → ${rn.address}:${rn.port} (lb4_rev_nat)`, pkt, {
          kind: "bpf",
          text: `cilium_lb4_reverse_nat ${rn.id} ${rn.address}:${rn.port}`,
        });
      }
    } else {
      if (!this.policy(inf, x, P, b, ep, "ingress", srcId, pkt)) return;
      const e: BpfCtEntry = {
        proto: pkt.proto,
        dir: "IN",
        src: intToIp(pkt.src),
        sport: pkt.sport,
        dst: intToIp(pkt.dst),
        dport: pkt.dport,
        revNat,
        srcIdentity: srcId,
      };
      this.ctPut(ns, e, pkt.src, pkt.dst);
    }
    const lxc = inf.links.get(ep.ifName);
    const v = lxc?.peer ? this.vethEnd(lxc, lxc.peer) : null;
    if (!lxc || !v)
      return this.bpfDrop(
        "UNSUPPORTED",
        P,
        `endpoint ${ep.id}'s device ${ep.ifName} is missing`,
        pkt,
        undefined,
        this.dropEv(inf, x, pkt, srcId, ep.identity),
      );
    this.hstep(
      "VETH",
      `${P}: bpf_redirect_peer ${lxc.name} → ${v.pl.name} in ${v.pns.id} (no bridge)`,
      pkt,
      {
        kind: "bpf",
        text: `cilium_lxc ${ep.ip} id=${ep.id} ifindex=${lxc.name} mac=${ep.mac} identity=${ep.identity}`,
      },
      this.traceEv(inf, x, pkt, "TO_ENDPOINT", srcId, ep.identity),
    );
    pkt.mark = 0;
    this.hop(v.pns);
    this.ipInput(v.pns, v.pl.name, pkt, NO_META, v.pinf);
  }

  /** bpf_skb_set_tunnel_key {remote, VNI = source identity} and redirect to the tunnel device. */
  private encap(
    ns: NetNs,
    inf: NsInfo,
    b: NodeBpf,
    x: BpfIndex,
    pkt: Pkt,
    remote: string,
    srcId: number,
    P: string,
  ): void {
    const t = b.tunnel!;
    const sport = 32768 + ((((pkt.src ^ pkt.dst ^ (pkt.sport << 3) ^ pkt.dport) % 28232) + 28232) % 28232);
    const outer = makePkt({
      src: ipToInt(inf.node!.address),
      dst: ipToInt(remote),
      proto: "udp",
      sport,
      dport: t.port,
      ttl: 64,
      size: pkt.size + 50,
      df: false,
      mark: 0,
      inner: clonePkt(pkt),
      vni: srcId,
    });
    // The event names the inner packet (Hubble shows the pods, not the nodes).
    const ev = this.traceEv(inf, x, pkt, "TO_OVERLAY", srcId, this.idOf(x, pkt.dst));
    this.hstep(
      "ENCAPSULATED",
      `${P}: bpf_skb_set_tunnel_key {remote ${remote}, VNI ${srcId} = source identity} → ${t.dev} (cil_to_overlay); outer udp ${inf.node!.address}:${sport} → ${remote}:${t.port}, ${outer.size} bytes`,
      outer,
      { kind: "bpf", text: `${t.dev}: ${t.protocol} external dstport ${t.port}` },
      ev,
    );
    this.localOut(ns, outer, true, inf);
  }

  private fromOverlay(ns: NetNs, inf: NsInfo, b: NodeBpf, x: BpfIndex, tdev: Link, pkt: Pkt, vni: number): void {
    const P = `cil_from_overlay (bpf_overlay, tc ingress ${tdev.name})`;
    // bpf_overlay.c: "any node encapsulating will map any HOST_ID source to be presented as REMOTE_NODE_ID".
    const srcId = vni === ID_HOST ? ID_REMOTE_NODE : vni;
    const ep = x.epByIp.get(pkt.dst);
    if (ep) {
      this.hstep(
        "BPF",
        `${P}: source identity ${srcId} (VNI ${vni}); ${intToIp(pkt.dst)} is local endpoint ${ep.id} (${ep.pod})`,
        pkt,
        undefined,
        this.traceEv(inf, x, pkt, "FROM_OVERLAY", srcId, ep.identity),
      );
      return this.toEndpoint(ns, inf, b, x, ep, pkt, srcId);
    }
    if (this.nodePortReply(ns, inf, b, x, pkt, P)) return;
    this.hstep(
      "BPF",
      `${P}: source identity ${srcId} (VNI ${vni}); ${intToIp(pkt.dst)} is not a local endpoint: to the stack`,
      pkt,
      undefined,
      this.traceEv(inf, x, pkt, "TO_STACK", srcId, this.idOf(x, pkt.dst)),
    );
    this.ipInput(ns, tdev.name, pkt, NO_META, inf);
  }

  /** cil_from_netdev: NodePort / LoadBalancer / external IP frontends (N-S); else the stack. */
  private fromNetdev(ns: NetNs, inf: NsInfo, b: NodeBpf, x: BpfIndex, pkt: Pkt): boolean {
    if (!b.kubeProxyReplacement || pkt.inner !== undefined) return false;
    const P = "cil_from_netdev (bpf_host, tc ingress eth0)";
    if (this.nodePortReply(ns, inf, b, x, pkt, P)) return true;
    let svc = this.svcOf(x, `${pkt.proto}/${pkt.dst}/${pkt.dport}`);
    if (!svc && x.localAddrs.has(pkt.dst)) svc = this.svcOf(x, `${pkt.proto}/0/${pkt.dport}`);
    if (!svc || svc.flags.includes("ClusterIP")) return false;
    const src = this.lookupIpcache(x, pkt.src);
    const srcId = src ? src.identity : ID_WORLD;
    const client = { ip: pkt.src, port: pkt.sport };
    const fe = { ip: pkt.dst, port: pkt.dport };
    this.hstep(
      "BPF",
      `${P}: from the network, source identity ${srcId}: ${svc.service} frontend`,
      pkt,
      undefined,
      this.traceEv(inf, x, pkt, "FROM_NETWORK", srcId, this.idOf(x, pkt.dst)),
    );
    this.lbSelect(ns, inf, b, x, svc, pkt, P, srcId, () => {
      const ep = x.epByIp.get(pkt.dst);
      if (ep) {
        this.bpfStep(P, `backend is local endpoint ${ep.id} (${ep.pod}): the client's address is kept`, pkt);
        return this.toEndpoint(ns, inf, b, x, ep, pkt, srcId, svc!.revNat);
      }
      // SNAT mode: the reply must come back through this node to be translated back.
      const node = inf.node!.address;
      const before = `${intToIp(pkt.src)}:${pkt.sport}`;
      pkt.src = ipToInt(node);
      this.ctPut(
        ns,
        {
          proto: pkt.proto,
          dir: "OUT",
          src: node,
          sport: pkt.sport,
          dst: intToIp(pkt.dst),
          dport: pkt.dport,
          revNat: svc!.revNat,
          srcIdentity: srcId,
        },
        pkt.src,
        pkt.dst,
      );
      const snat = (this.nodePortSnat ??= new Map());
      const sk = `${pkt.proto} ${pkt.dst}:${pkt.dport} ${pkt.sport}`;
      snat.set(sk, { client, fe });
      this.log(() => snat.delete(sk));
      this.step(
        "NAT",
        `${P}: SNAT ${before} → ${node}:${pkt.sport} (NodePort SNAT mode, cilium_snat_v4_external)`,
        pkt,
        {
          kind: "bpf",
          text: `cilium_snat_v4_external ${node}:${pkt.sport} -> ${intToIp(pkt.dst)}:${pkt.dport} => ${intToIp(client.ip)}:${client.port}`,
        },
      );
      const dst = this.lookupIpcache(x, pkt.dst);
      if (dst?.tunnelEndpoint && b.tunnel) return this.encap(ns, inf, b, x, pkt, dst.tunnelEndpoint, ID_HOST, P);
      this.bpfStep(P, `to the backend's node by the FIB (bpf_fib_lookup)`, pkt);
      this.localOut(ns, pkt, false, inf);
    });
    return true;
  }

  /** NodePort SNAT translations made on this walk: "proto backend:port sport" → the client and frontend. */
  private nodePortSnat: Map<string, { client: { ip: number; port: number }; fe: { ip: number; port: number } }> | null =
    null;

  /** A reply to a NodePort SNAT: back to the client, from the frontend. */
  private nodePortReply(ns: NetNs, inf: NsInfo, b: NodeBpf, x: BpfIndex, pkt: Pkt, P: string): boolean {
    if (this.nodePortSnat === null || !x.localAddrs.has(pkt.dst)) return false;
    const s = this.nodePortSnat.get(`${pkt.proto} ${pkt.src}:${pkt.sport} ${pkt.dport}`);
    if (!s) return false;
    void b;
    const before = `${intToIp(pkt.src)}:${pkt.sport} → ${intToIp(pkt.dst)}:${pkt.dport}`;
    pkt.src = s.fe.ip;
    pkt.sport = s.fe.port;
    pkt.dst = s.client.ip;
    pkt.dport = s.client.port;
    this.step(
      "NAT",
      `${P}: reply of a NodePort connection: ${before} becomes ${intToIp(pkt.src)}:${pkt.sport} → ${intToIp(pkt.dst)}:${pkt.dport} (reverse SNAT and reverse NAT)`,
      pkt,
      { kind: "bpf", text: `cilium_snat_v4_external reverse` },
    );
    this.localOut(ns, pkt, false, inf);
    return true;
  }
}
