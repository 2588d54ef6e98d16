// The walk at layer 2: neighbour resolution (ARP, proxy ARP), veth pairs, bridges (FDB,
// flooding, hairpin, br_netfilter's hooks).

import type { Link, NetNs } from "../../ir/types.js";
import { inPrefix, intToIp, parsePrefix } from "../../net/ipv4.js";
import type { Pkt } from "../packet.js";
import { EXTERNAL_PORT, lkey, type NsInfo, type Owner, type PortAnswer, type VethEnd } from "../topology.js";
import { io } from "./core.js";
import { NO_META, linkObj, routeText } from "./say.js";
import { WalkL3 } from "./l3.js";
import type { WalkConntrack } from "./conntrack.js";

export abstract class WalkL2 extends WalkL3 {
  // Up the chain (see core.ts): Cilium's programs (bpf.ts).
  protected abstract tcIngress(ns: NetNs, link: Link, pkt: Pkt, known?: NsInfo): boolean;
  protected abstract bpfArp(link: Link, ip: number, pkt: Pkt): { mac: string; owner?: Owner } | null;

  protected neighbour(ns: NetNs, inf: NsInfo, link: Link, ip: number, pkt: Pkt): { mac: string; owner?: Owner } | null {
    const ips = intToIp(ip);
    const n = inf.neigh(link.name, ips);
    if (n) {
      // The step's text and object depend on the entry alone (entries are shared, read-only).
      let say = this.c.neighSays.get(n);
      if (!say)
        this.c.neighSays.set(
          n,
          (say = {
            mac: n.lladdr,
            detail: `${ips} is at ${n.lladdr} (${n.state.toLowerCase()} neighbour on ${link.name})`,
            obj: { kind: "neigh", text: `${n.ip} dev ${n.dev} lladdr ${n.lladdr} ${n.state}` },
          }),
        );
      this.step("ARP", say.detail, pkt, say.obj);
      return say;
    }
    if (link.kind === "vxlan") {
      this.drop(
        "TUNNEL_ENDPOINT_MISSING",
        `no neighbour entry for ${ips} on ${link.name} (nolearning VXLAN: flannel installs them)`,
        pkt,
        linkObj(this.c, link),
      );
      return null;
    }
    const o = this.topo.arpOwner(ns, link.name, ip, inf);
    if (o) {
      // One owner object per (namespace, device, address): its answer is made once.
      let a = o.arp;
      if (!a) {
        const oi = this.topo.info(o.ns);
        const l = oi.links.get(o.dev)!;
        const speaker = oi.node?.announces?.includes(ips) ? `, MetalLB speaker on node ${oi.node.name}, layer2` : "";
        a = o.arp = {
          mac: l.mac,
          owner: o,
          detail: `who-has ${ips} on ${link.name}: ${l.mac} (${o.dev} in ${o.ns.id}${speaker})`,
          obj: { kind: "neigh", text: `${ips} dev ${link.name} lladdr ${l.mac} REACHABLE` },
        };
      }
      this.step("ARP", a.detail, pkt, a.obj);
      return a;
    }
    // proxy ARP: a link on the segment whose namespace routes to the target elsewhere.
    for (const cand of this.proxyArpCandidates(ns, link)) {
      const ci = this.topo.info(cand.ns);
      const pa =
        cand.ns.sysctls[`net.ipv4.conf.${cand.dev}.proxy_arp`] ?? cand.ns.sysctls["net.ipv4.conf.all.proxy_arp"];
      if (pa !== "1") continue;
      const rr = this.route(ci, ip);
      if (!rr || rr.route.type === "blackhole" || rr.route.type === "unreachable" || rr.route.dev === cand.dev)
        continue;
      const l = ci.links.get(cand.dev)!;
      this.step(
        "ARP",
        `who-has ${ips} on ${link.name}: ${l.mac} (proxy ARP by ${cand.dev} in ${cand.ns.id}, net.ipv4.conf.${cand.dev}.proxy_arp=1)`,
        pkt,
        { kind: "sysctl", text: `net.ipv4.conf.${cand.dev}.proxy_arp = 1` },
      );
      return { mac: l.mac, owner: cand };
    }
    // eBPF on the far end answering ARP (Cilium's bpf_lxc).
    if (link.peer) {
      const ba = this.bpfArp(link, ip, pkt);
      if (ba) return ba;
    }
    if (this.outsideHostOnNodeNetwork(link, ip)) {
      this.end(
        {
          verdict: "EXITS_CLUSTER",
          detail: `${ips} is on the node network (${this.topo.ir.underlay!.subnet}) but no node's or pod's: a host outside the cluster, which podnet does not model; the packet leaves ${link.name} for it`,
        },
        pkt,
        "TRANSMITTED",
      );
      return null;
    }
    this.drop(
      "NO_NEIGHBOUR",
      `ARP for ${ips} on ${link.name}: no answer (no host owns it on that segment)`,
      pkt,
      linkObj(this.c, link),
    );
    return null;
  }

  /**
   * An address on the node network that no node or pod has, asked for on a node's link to
   * it: a host of the LAN outside the cluster (a database VM behind a selectorless Service's
   * Endpoints). The cluster's part ends there; a node's or pod's address unanswered stays a
   * drop (a link down, a partition).
   */
  protected outsideHostOnNodeNetwork(link: Link, ip: number): boolean {
    const u = this.topo.ir.underlay;
    if (!u || !link.peer || this.topo.nsOf(link.peer.ns) !== u.ns) return false;
    if (!inPrefix(ip, parsePrefix(u.subnet)) || this.topo.podByIp.has(ip)) return false;
    const dotted = intToIp(ip);
    if (u.ns.addresses.some((a) => a.cidr.split("/")[0] === dotted)) return false;
    for (const n of this.topo.nodesByName.values()) if (n.address === dotted) return false;
    return true;
  }

  protected proxyArpCandidates(ns: NetNs, link: Link): { ns: NetNs; dev: string }[] {
    const out: { ns: NetNs; dev: string }[] = [];
    if (link.peer) {
      const pns = this.topo.nsOf(link.peer.ns);
      if (pns) out.push({ ns: pns, dev: link.peer.name });
    }
    void ns;
    return out;
  }

  /** A veth's far end and its step (they depend on the link alone: IR links are read-only). */
  protected vethEnd(link: Link, peer: NonNullable<Link["peer"]>): VethEnd | null {
    let v = this.c.vethEnds.get(link);
    if (v === undefined) {
      const pns = this.topo.nsOf(peer.ns);
      const pl = pns ? this.topo.info(pns).links.get(peer.name) : undefined;
      this.c.vethEnds.set(
        link,
        (v =
          pns && pl
            ? {
                pns,
                pinf: this.topo.info(pns),
                pl,
                detail: `${link.name} → ${pl.name} in ${pns.id}`,
                obj: linkObj(this.c, link),
              }
            : null),
      );
    }
    return v;
  }

  /** `end`: the veth's far end when the caller has it (a bridge port's answer keeps it). */
  protected l2Send(ns: NetNs, link: Link, mac: string, pkt: Pkt, owner?: Owner, end?: VethEnd | null): void {
    if (link.peer) {
      const v = end !== undefined ? end : this.vethEnd(link, link.peer);
      if (!v)
        return this.drop(
          "LINK_DOWN",
          `${link.name} has no peer ${link.peer.name} in ${link.peer.ns}`,
          pkt,
          linkObj(this.c, link),
        );
      this.step("VETH", v.detail, pkt, v.obj);
      if (v.pns !== ns) pkt.mark = 0; // crossing namespaces scrubs the skb mark
      this.hop(v.pns);
      return this.l2Receive(v.pns, v.pl, mac, pkt, owner, v.pinf);
    }
    if (link.kind === "bridge") return this.bridgeForward(ns, link, null, mac, pkt, owner);
    if (ns === this.topo.externalNs && this.topo.ir.underlay?.ns) {
      const u = this.topo.ir.underlay.ns;
      const br = u.links.find((l) => l.kind === "bridge");
      if (br) {
        this.step("TRANSMITTED", `${link.name} → the underlay switch ${br.name}`, pkt, linkObj(this.c, link));
        this.hop(u);
        return this.bridgeForward(u, br, null, mac, pkt, owner, true);
      }
    }
    this.drop("UNSUPPORTED", `cannot transmit on ${link.kind} device ${link.name}`, pkt, linkObj(this.c, link));
  }

  /** `known`: the namespace's info when the caller has it (one lookup fewer on a cold namespace; so for localOut, bridgeForward, ipInput). */
  protected l2Receive(ns: NetNs, link: Link, mac: string, pkt: Pkt, owner?: Owner, known?: NsInfo): void {
    if (!link.up) return this.drop("LINK_DOWN", `${link.name} is down`, pkt, linkObj(this.c, link));
    // eBPF at tc ingress (Cilium) may take the packet before the stack.
    if (link.tc !== undefined && link.tc.ingress !== undefined && this.tcIngress(ns, link, pkt, known)) return;
    if (link.master) {
      const br = (known ?? this.topo.info(ns)).links.get(link.master);
      if (!br)
        return this.drop(
          "UNSUPPORTED",
          `${link.name}'s master ${link.master} does not exist`,
          pkt,
          linkObj(this.c, link),
        );
      // A bridge that is down disables its ports (br_stp_disable_bridge): nothing crosses it.
      if (!br.up)
        return this.drop("LINK_DOWN", `${br.name} (the bridge of ${link.name}) is down`, pkt, linkObj(this.c, br));
      if (br.mac === mac) return this.bridgeUp(ns, br, link, pkt);
      return this.bridgeForward(ns, br, link, mac, pkt, owner, false, known);
    }
    if (link.mac === mac || link.kind === "loopback" || mac === "ff:ff:ff:ff:ff:ff")
      return this.ipInput(ns, link.name, pkt, NO_META, known);
    this.drop(
      "NO_NEIGHBOUR",
      `frame for ${mac} arrives on ${link.name} (${link.mac}): not for this host`,
      pkt,
      linkObj(this.c, link),
    );
  }

  protected fdbPort(ns: NetNs, br: Link, mac: string, owner?: Owner): PortAnswer | null {
    // An owner (arpOwner's: one object per question, its MAC fixed) remembers its port: a
    // bridge is crossed through two lookups (FORWARD's physdev and the output), the same on every path.
    if (owner) {
      const c = owner.fdb;
      if (c && c.ns === ns && c.br === br && c.mac === mac) return c.v;
      const v = this.fdbPortFind(ns, br, mac, owner);
      owner.fdb = { ns, br, mac, v };
      return v;
    }
    return this.fdbPortFind(ns, br, mac, owner);
  }

  protected fdbPortFind(ns: NetNs, br: Link, mac: string, owner?: Owner): PortAnswer | null {
    const inf = this.topo.info(ns);
    const f = inf.fdbBridge(br.name, mac);
    if (f)
      return {
        port: f.dev,
        obj: { kind: "fdb", text: `${f.mac} dev ${f.dev} master ${br.name} ${f.state}` },
        learned: false,
        link: undefined,
        veth: undefined,
      };
    const ports = inf.ports.get(br.name);
    let port: string | undefined;
    if (owner) {
      if (owner.ns === ns && inf.links.get(owner.dev)?.master === br.name) port = owner.dev;
      else port = ports?.get(lkey(owner.ns.id, owner.dev));
      if (!port && ports)
        for (const [peer, p] of ports) {
          // The owner sits further behind a port (another bridge, a tunnel…).
          const z = peer.indexOf("\0");
          const pns = this.topo.nsOf(peer.slice(0, z));
          if (pns && this.topo.connected({ ns: pns, dev: peer.slice(z + 1) }, owner)) {
            port = p;
            break;
          }
        }
    } else if (ports) {
      // Learned from a frame the MAC's owner sent: find the port whose far side has it.
      for (const [peer, p] of ports) {
        const z = peer.indexOf("\0");
        const pns = this.topo.nsOf(peer.slice(0, z));
        if (pns && this.topo.info(pns).links.get(peer.slice(z + 1))?.mac === mac) {
          port = p;
          break;
        }
      }
    }
    if (!port) return null;
    return {
      port,
      obj: { kind: "fdb", text: `${mac} dev ${port} master ${br.name}` },
      learned: true,
      link: undefined,
      veth: undefined,
    };
  }

  /** A frame for the bridge's own MAC: up to the IP layer (br_netfilter: PREROUTING here, bridged DNAT). */
  protected bridgeUp(ns: NetNs, br: Link, inPort: Link, pkt: Pkt): void {
    this.step(
      "BRIDGED",
      `${inPort.name} → ${br.name}: frame for the bridge's own address, up to the IP layer`,
      pkt,
      linkObj(this.c, br),
    );
    const inf = this.topo.info(ns);
    if (!inf.brNf) return this.ipInput(ns, br.name, pkt, { physIn: inPort.name }, inf);
    const st = this.ctIn(ns, pkt);
    const dst0 = pkt.dst;
    this.hookThen(ns, inf, "PREROUTING", pkt, st, io(br.name, undefined, inPort.name), () => {
      if (pkt.dst !== dst0) {
        // br_netfilter's bridged DNAT: the new destination is on this bridge → the frame is bridged, not routed.
        const r = this.route(inf, pkt.dst);
        if (r && r.route.type === "unicast" && r.route.dev === br.name && !r.via) {
          this.step(
            "ROUTED",
            `after DNAT ${intToIp(pkt.dst)} is on ${br.name}: bridged DNAT (br_netfilter), the frame stays on the bridge`,
            pkt,
            { kind: "route", text: routeText(this.c, r.route) },
          );
          const nb = this.neighbour(ns, inf, br, pkt.dst, pkt);
          if (!nb) return;
          return this.bridgeForwardHooks(ns, inf, br, inPort, nb.mac, pkt, st, nb.owner);
        }
      }
      this.ipRoute(ns, inf, br.name, pkt, st);
    });
  }

  protected bridgeForward(
    ns: NetNs,
    br: Link,
    inPort: Link | null,
    mac: string,
    pkt: Pkt,
    owner?: Owner,
    fromOutside = false,
    known?: NsInfo,
  ): void {
    const inf = known ?? this.topo.info(ns);
    if (fromOutside && br.mac === mac) return this.ipInput(ns, br.name, pkt, {});
    if (inPort && inf.brNf) {
      const st = this.ctIn(ns, pkt);
      return this.hookThen(ns, inf, "PREROUTING", pkt, st, io(br.name, undefined, inPort.name, undefined, true), () =>
        this.bridgeForwardHooks(ns, inf, br, inPort, mac, pkt, st, owner),
      );
    }
    this.bridgeOut(ns, br, inPort, mac, pkt, owner);
  }

  protected bridgeForwardHooks(
    ns: NetNs,
    inf: NsInfo,
    br: Link,
    inPort: Link,
    mac: string,
    pkt: Pkt,
    st: ReturnType<WalkConntrack["ctIn"]>,
    owner?: Owner,
  ): void {
    const port = this.fdbPort(ns, br, mac, owner);
    const bio = io(br.name, br.name, inPort.name, port?.port, true);
    this.hookThen(ns, inf, "FORWARD", pkt, st, bio, () =>
      this.hookThen(ns, inf, "POSTROUTING", pkt, st, bio, () => {
        this.ctOut(ns, pkt, st);
        this.bridgeOut(ns, br, inPort, mac, pkt, owner);
      }),
    );
  }

  protected bridgeOut(ns: NetNs, br: Link, inPort: Link | null, mac: string, pkt: Pkt, owner?: Owner): void {
    const port = this.fdbPort(ns, br, mac, owner);
    if (!port)
      return this.drop(
        "NO_NEIGHBOUR",
        `${br.name}: no port leads to ${mac} (flooded, nobody answered)`,
        pkt,
        linkObj(this.c, br),
      );
    if (port.port === EXTERNAL_PORT) {
      const ext = this.topo.externalNs;
      this.step("BRIDGED", `${br.name}: ${mac} → the outside client's port`, pkt, port.obj);
      this.hop(ext);
      return this.l2Receive(ext, this.topo.info(ext).links.get("eth0")!, mac, pkt);
    }
    // The port's link, remembered on the (owner-cached) answer.
    const pl = (port.link ??= this.topo.info(ns).links.get(port.port)!);
    // A port that is down is disabled: the bridge forwards nothing to it (br_forward.c should_deliver).
    if (!pl.up) return this.drop("LINK_DOWN", `${br.name}: port ${pl.name} is down`, pkt, linkObj(this.c, pl));
    if (inPort && inPort.name === pl.name && !pl.hairpin && !br.bridge?.hairpin) {
      return this.drop(
        "HAIRPIN",
        `${br.name}: the frame would leave by the port it came in (${pl.name}) and hairpin mode is off`,
        pkt,
        linkObj(this.c, pl),
      );
    }
    this.step(
      "BRIDGED",
      `${br.name}: ${mac} → port ${pl.name}${port.learned ? " (learned)" : ""}${inPort && inPort.name === pl.name ? " (hairpin)" : ""}`,
      pkt,
      port.obj,
    );
    this.l2Send(ns, pl, mac, pkt, owner, pl.peer ? (port.veth ??= this.vethEnd(pl, pl.peer)) : undefined);
  }
}
