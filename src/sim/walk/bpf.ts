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
// Files: bpf-maps.ts indexes and reads the maps, bpf-events.ts (the class below this one)
// holds conntrack, the steps with their Hubble events and the policy decision; here the
// hooks and the programs.

import type { Link, NetNs, NodeBpf, BpfEndpoint, BpfLbService } from "../../ir/types.js";
import { formatCtEntry, type BpfCtEntry } from "../../ir/render-bpf.js";
import { intToIp, ipToInt } from "../../net/ipv4.js";
import { clonePkt, makePkt, type Pkt } from "../packet.js";
import type { NsInfo, Owner } from "../topology.js";
import { NO_META } from "./say.js";
import {
  ID_HOST,
  ID_REMOTE_NODE,
  ID_WORLD,
  indexOf,
  ipcacheText,
  lookupIpcache,
  revNatOf,
  svcOf,
  type BpfIndex,
} from "./bpf-maps.js";
import { WalkBpfEvents } from "./bpf-events.js";

export abstract class WalkBpf extends WalkBpfEvents {
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
    const src = lookupIpcache(x, pkt.src);
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
    const dst = lookupIpcache(x, pkt.dst);
    if (dst?.tunnelEndpoint && b.tunnel) {
      this.hstep(
        "BPF",
        `${P}: ${intToIp(pkt.dst)}: identity ${dst.identity} behind ${dst.tunnelEndpoint}; source identity ${srcId}`,
        pkt,
        { kind: "bpf", text: ipcacheText(dst) },
        this.traceEv(inf, x, pkt, "FROM_HOST", srcId, dst.identity),
      );
      // bpf_host.c resolve_srcid_ipv4 (from_host): a packet with a pod's source address (one
      // kube-proxy's DNAT sent back out through cilium_host) carries that pod's identity,
      // read from the ipcache; the node's own packets carry HOST_ID.
      this.encap(ns, inf, b, x, pkt, dst.tunnelEndpoint, x.epByIp.has(pkt.src) ? srcId : ID_HOST, P);
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
    const x = indexOf(b, inf.node!.address);
    // The step's fixed parts, once per node (the object is shared, read-only, as other steps' are).
    const d = (x.decap ??= {
      head: `${b.tunnel.protocol.toUpperCase()} (udp ${b.tunnel.port}) → ${tdev.name} (external): VNI `,
      obj: { kind: "link", text: `${tdev.name}: ${b.tunnel.protocol} external dstport ${b.tunnel.port}` },
    });
    this.step("DECAPSULATED", `${d.head}${vni} = source identity`, inner, d.obj);
    this.fromOverlay(ns, inf, b, x, tdev, inner, vni);
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
    // With or without the kube-proxy replacement: without it the maps hold only ClusterIPs.
    const svc = svcOf(x, pkt.dst, `${pkt.proto}/${pkt.dst}/${pkt.dport}`);
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
    const dst = lookupIpcache(x, pkt.dst);
    const dstId = dst ? dst.identity : ID_WORLD;
    if (dst)
      this.bpfStep(
        P,
        `ipcache: ${intToIp(pkt.dst)} is identity ${dstId}${dst.tunnelEndpoint ? ` on node ${dst.tunnelEndpoint}` : ""}`,
        pkt,
        ipcacheText(dst),
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
    // Without the kube-proxy replacement (legacy host routing) a reply goes to the stack like
    // the rest: its conntrack undoes kube-proxy's or portmap's DNAT.
    if (isReply && b.kubeProxyReplacement) {
      // A reply the datapath itself translated: bpf_fib_lookup + bpf_redirect_neigh, past netfilter.
      const rn = revNat ? revNatOf(x, revNat) : undefined;
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
      const rn = reply.revNat && reply.dir === "OUT" ? revNatOf(x, reply.revNat) : undefined;
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
    let svc = svcOf(x, pkt.dst, `${pkt.proto}/${pkt.dst}/${pkt.dport}`);
    if (!svc && x.localAddrs.has(pkt.dst)) svc = svcOf(x, 0, `${pkt.proto}/0/${pkt.dport}`);
    if (!svc || svc.flags.includes("ClusterIP")) return false;
    const src = lookupIpcache(x, pkt.src);
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
      const dst = lookupIpcache(x, pkt.dst);
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
