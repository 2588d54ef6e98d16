// The walk at layer 3: routing (FIB lookup), a packet originated or received by a
// namespace, PREROUTING → route → INPUT / FORWARD → POSTROUTING, and transmission on the
// route's device.

import type { Link, NetNs } from "../../ir/types.js";
import { intToIp, parsePrefix, inPrefix } from "../../net/ipv4.js";
import type { Pkt } from "../packet.js";
import { fibLookup, type CRoute } from "../fib.js";
import { isLocalAddr, type NsInfo, type Owner, type VethEnd } from "../topology.js";
import { MAX_HOPS, io } from "./core.js";
import { linkObj, routeSay, routeText } from "./say.js";
import { WalkConntrack } from "./conntrack.js";

export abstract class WalkL3 extends WalkConntrack {
  // --- routing --------------------------------------------------------------

  protected route(inf: NsInfo, dst: number): CRoute | undefined {
    const l = fibLookup(inf.local, dst);
    if (l && l.type !== "broadcast") return l;
    return fibLookup(inf.main, dst);
  }

  protected routed(inf: NsInfo, pkt: Pkt, what = "route"): CRoute | null {
    const r = this.route(inf, pkt.dst);
    if (!r) {
      this.drop("FIB_LOOKUP_FAILED", `no route to ${intToIp(pkt.dst)} (Network is unreachable)`, pkt);
      return null;
    }
    const rs = routeSay(this.c, r);
    const t = r.type;
    if (t === "blackhole" || t === "unreachable" || t === "prohibit") {
      this.step("ROUTED", `${what} ${intToIp(pkt.dst)}: ${t}`, pkt, rs.obj);
      this.drop("FIB_LOOKUP_FAILED", `${t} route for ${intToIp(pkt.dst)}`, pkt, rs.obj);
      return null;
    }
    this.step("ROUTED", what + " " + intToIp(pkt.dst) + rs.how, pkt, rs.obj);
    return r;
  }

  // --- the walk -------------------------------------------------------------

  /** A packet created by a socket in `ns`. */
  originate(ns: NetNs, pkt: Pkt, detail: string): void {
    this.hop(ns);
    this.step("ORIGINATED", detail, pkt);
    this.localOut(ns, pkt, false);
  }

  protected localOut(ns: NetNs, pkt: Pkt, encap: boolean, known?: NsInfo): void {
    const inf = known ?? this.topo.info(ns);
    const r = this.routed(inf, pkt, encap ? "outer route" : "route");
    if (!r) return;
    const outIf = r.outDev;
    const st = this.ctIn(ns, pkt);
    const dst0 = pkt.dst;
    const r0 = r;
    this.hookThen(ns, inf, "OUTPUT", pkt, st, io(undefined, outIf), () => {
      let r: CRoute | null = r0;
      if (pkt.dst !== dst0) {
        r = this.routed(inf, pkt, "reroute after DNAT:");
        if (!r) return;
      }
      const r2 = r;
      const outIf2 = r.outDev;
      this.hookThen(ns, inf, "POSTROUTING", pkt, st, io(undefined, outIf2), () => {
        this.ctOut(ns, pkt, st);
        this.transmit(ns, inf, r2, pkt);
      });
    });
  }

  protected transmit(ns: NetNs, inf: NsInfo, r: CRoute, pkt: Pkt): void {
    if (this.nHops > MAX_HOPS) return this.drop("LOOP", "too many hops (a forwarding loop?)", pkt);
    let link = r.linkIn === inf ? r.link : undefined;
    if (!link) {
      const dev = r.outDev;
      link = dev ? inf.links.get(dev) : undefined;
      if (!link)
        return this.drop("FIB_LOOKUP_FAILED", `route names device ${dev ?? "(none)"} which does not exist`, pkt, {
          kind: "route",
          text: routeText(this.c, r.route),
        });
      r.linkIn = inf;
      r.link = link;
    }
    if (!link.up) return this.drop("LINK_DOWN", `${link.name} is down`, pkt, linkObj(this.c, link));
    if (link.kind === "loopback") return this.ipInput(ns, "lo", pkt, {});
    if (pkt.size > link.mtu && pkt.df) {
      return this.drop(
        "MTU_EXCEEDED",
        `packet of ${pkt.size} bytes exceeds the MTU ${link.mtu} of ${link.name} and DF is set (ICMP fragmentation needed, mtu ${link.mtu})`,
        pkt,
        linkObj(this.c, link),
      );
    }
    // eBPF at tc egress (Cilium's cil_from_host on cilium_host) may take the packet.
    if (link.tc !== undefined && link.tc.egress !== undefined && this.tcEgress(ns, inf, link, pkt)) return;
    const nh = r.via ?? pkt.dst;
    if (link.kind === "ipip") return this.encapIpip(ns, inf, link, nh, pkt);
    const nb = this.neighbour(ns, inf, link, nh, pkt);
    if (!nb) return;
    if (link.kind === "vxlan") return this.encapVxlan(ns, inf, link, nb.mac, pkt);
    this.l2Send(ns, link, nb.mac, pkt, nb.owner);
  }

  protected ipInput(ns: NetNs, dev: string, pkt: Pkt, meta: { physIn?: string }, known?: NsInfo): void {
    this.hop(ns);
    const inf = known ?? this.topo.info(ns);
    const st = this.ctIn(ns, pkt);
    this.hookThen(ns, inf, "PREROUTING", pkt, st, io(dev, undefined, meta.physIn), () =>
      this.ipRoute(ns, inf, dev, pkt, st),
    );
  }

  /**
   * A Service address that left its node untranslated (no kube-proxy rule matched its
   * protocol and port: iptables mode has no rule for a port the Service lacks, unlike
   * nftables' "Reject traffic to invalid ports of ClusterIPs" (KEP-3866,
   * kubernetes/enhancements keps/sig-network/3866-nftables-proxy); IPVS holds the address on
   * kube-ipvs0, so the node itself answers). The range exists only in the nodes' rules:
   * nothing routes it beyond the LAN's gateway, and the packet is lost.
   */
  private unroutedServiceAddress(pkt: Pkt, range: string): void {
    const what = pkt.proto === "icmp" || pkt.proto === "ipip" ? pkt.proto : `${pkt.proto} ${pkt.dport}`;
    this.drop(
      "FIB_LOOKUP_FAILED",
      `${intToIp(pkt.dst)} is a Service address (${range}) that no Service rule on the node translated for ${what}: it left the node as is, and no route leads to the Service range beyond the nodes (the LAN gateway ${this.topo.ir.underlay.externalClient} has none): the packet goes nowhere`,
      pkt,
    );
  }

  /** After PREROUTING: the input route decision. */
  protected ipRoute(ns: NetNs, inf: NsInfo, dev: string, pkt: Pkt, st: ReturnType<WalkConntrack["ctIn"]>): void {
    if (dev === "lo") {
      // Locally generated, looped back: already routed.
      return this.hookThen(ns, inf, "INPUT", pkt, st, io("lo"), () => {
        this.ctOut(ns, pkt, st);
        this.localDeliver(ns, inf, dev, pkt);
      });
    }
    const u = this.topo.ir.underlay;
    if (u?.ns === ns && !isLocalAddr(inf, pkt.dst) && !inPrefix(pkt.dst, parsePrefix(u.subnet))) {
      const svcRange = this.topo.ir.serviceSubnet;
      if (svcRange && inPrefix(pkt.dst, parsePrefix(svcRange))) return this.unroutedServiceAddress(pkt, svcRange);
      // The underlay namespace is the LAN's gateway: beyond it is outside the cluster.
      return this.end(
        {
          verdict: "EXITS_CLUSTER",
          detail: `${intToIp(pkt.dst)} is outside the cluster: the packet leaves through the LAN gateway (${u.externalClient}) with source ${intToIp(pkt.src)}`,
        },
        pkt,
        "TRANSMITTED",
      );
    }
    if (inf.rpFilter !== undefined && !this.sourceValid(inf, dev, pkt)) return;
    const r = this.routed(inf, pkt);
    if (!r) return;
    if (r.type === "local") {
      return this.hookThen(ns, inf, "INPUT", pkt, st, io(dev), () => {
        this.ctOut(ns, pkt, st);
        this.localDeliver(ns, inf, dev, pkt);
      });
    }
    const fwd = inf.forwarding;
    if (fwd !== "1")
      return this.drop(
        "IP_FORWARDING_DISABLED",
        `net.ipv4.ip_forward is not 1 in ${ns.id}: the packet is not forwarded`,
        pkt,
        { kind: "sysctl", text: `net.ipv4.ip_forward = ${fwd ?? "0"}` },
      );
    if (pkt.ttl <= 1) return this.drop("TTL_EXCEEDED", `TTL expired in transit (ICMP time exceeded)`, pkt);
    const outIf = r.outDev;
    const fio = io(dev, outIf);
    this.hookThen(ns, inf, "FORWARD", pkt, st, fio, () => {
      pkt.ttl--;
      this.hookThen(ns, inf, "POSTROUTING", pkt, st, fio, () => {
        this.ctOut(ns, pkt, st);
        this.transmit(ns, inf, r, pkt);
      });
    });
  }

  /**
   * Reverse-path filter (fib_validate_source, RFC 3704): with rp_filter 1 (strict) the route
   * back to the source must leave by the device the packet arrived on; with 2 (loose) any
   * route back will do. Kernel Documentation/networking/ip-sysctl.rst, rp_filter.
   */
  protected sourceValid(inf: NsInfo, dev: string, pkt: Pkt): boolean {
    const rpf = inf.rpFilter!;
    const mode = rpf.dev.get(dev) ?? rpf.all;
    if (!mode) return true;
    const back = this.route(inf, pkt.src);
    const usable = back !== undefined && (back.type === "unicast" || back.type === "local");
    const out = usable ? back.outDev : undefined;
    if (usable && back.type === "unicast" && (mode !== 1 || out === dev)) return true;
    const key = rpf.dev.has(dev) ? `net.ipv4.conf.${dev}.rp_filter` : "net.ipv4.conf.all.rp_filter";
    this.drop(
      "RP_FILTER",
      `reverse-path filter (${mode === 1 ? "strict" : "loose"}) on ${dev}: ${
        !back || !usable
          ? `no route back to ${intToIp(pkt.src)}`
          : back.type === "local"
            ? `the source ${intToIp(pkt.src)} is a local address`
            : `the route back to ${intToIp(pkt.src)} leaves by ${out ?? "(none)"}, not ${dev}`
      }: the packet is dropped`,
      pkt,
      { kind: "sysctl", text: `${key} = ${mode}` },
    );
    return false;
  }

  // Up the chain (see core.ts).
  protected abstract tcEgress(ns: NetNs, inf: NsInfo, link: Link, pkt: Pkt): boolean;
  protected abstract encapIpip(ns: NetNs, inf: NsInfo, link: Link, nh: number, pkt: Pkt): void;
  protected abstract encapVxlan(ns: NetNs, inf: NsInfo, link: Link, mac: string, pkt: Pkt): void;
  protected abstract l2Send(ns: NetNs, link: Link, mac: string, pkt: Pkt, owner?: Owner, end?: VethEnd | null): void;
  protected abstract localDeliver(ns: NetNs, inf: NsInfo, _dev: string, pkt: Pkt): void;
  protected abstract neighbour(
    ns: NetNs,
    inf: NsInfo,
    link: Link,
    ip: number,
    pkt: Pkt,
  ): { mac: string; owner?: Owner } | null;
}
