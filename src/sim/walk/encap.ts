// The walk's tunnels: VXLAN (FDB to the remote VTEP) and IPIP encapsulation.

import type { Link, NetNs } from "../../ir/types.js";
import { intToIp, ipToInt } from "../../net/ipv4.js";
import { clonePkt, makePkt, type Pkt } from "../packet.js";
import { fibLookup } from "../fib.js";
import type { NsInfo } from "../topology.js";
import { linkObj } from "./say.js";
import { WalkL2 } from "./l2.js";

/** include/linux/netdevice.h XMIT_RECURSION_LIMIT: nested transmits past it are dropped ("Dead loop on virtual device"). */
const XMIT_RECURSION_LIMIT = 8;

function tooDeep(pkt: Pkt): boolean {
  let d = 0;
  for (let q = pkt.inner; q !== undefined; q = q.inner) if (++d >= XMIT_RECURSION_LIMIT) return true;
  return false;
}

export abstract class WalkEncap extends WalkL2 {
  protected encapVxlan(ns: NetNs, inf: NsInfo, link: Link, mac: string, pkt: Pkt): void {
    const vx = link.vxlan!;
    // The route to the remote VTEP leads back into this VXLAN device (pod addresses inside the
    // nodes' own subnet): the kernel refuses it, "circular route to …" and -ELOOP
    // (net/ipv4/udp_tunnel_core.c udp_tunnel_dst_lookup), and the packet is dropped.
    if (pkt.inner !== undefined && pkt.vni === vx.vni && pkt.proto === "udp")
      return this.drop(
        "FIB_LOOKUP_FAILED",
        `circular route to ${intToIp(pkt.dst)}: the route to the VXLAN endpoint leaves through ${link.name} itself`,
        pkt,
        linkObj(this.c, link),
      );
    if (tooDeep(pkt)) return this.nestedTooDeep(link, pkt);
    const f = inf.fdbSelf(link.name, mac) ?? inf.fdbSelf(link.name, "00:00:00:00:00:00");
    if (!f || !f.dst)
      return this.drop(
        // No VTEP to send to: Hubble's NO_TUNNEL_OR_ENCAPSULATION_ENDPOINT (flow.proto), not a neighbour miss.
        "TUNNEL_ENDPOINT_MISSING",
        `no FDB entry for ${mac} on ${link.name}: the VXLAN device does not know the remote VTEP`,
        pkt,
        linkObj(this.c, link),
      );
    let fobj = this.c.fdbObjs.get(f);
    if (!fobj)
      this.c.fdbObjs.set(f, (fobj = { kind: "fdb", text: `${f.mac} dev ${f.dev} dst ${f.dst} self ${f.state}` }));
    const local = vx.local ? ipToInt(vx.local) : this.ifAddr(inf, vx.dev, ipToInt(f.dst));
    const inner = clonePkt(pkt);
    inner.l2dst = mac;
    const sport = 32768 + ((((pkt.src ^ pkt.dst ^ (pkt.sport << 3) ^ pkt.dport) % 28232) + 28232) % 28232);
    const outer = makePkt({
      src: local ?? 0,
      dst: ipToInt(f.dst),
      proto: "udp",
      sport,
      dport: vx.port || 8472,
      ttl: 64,
      size: pkt.size + 50,
      df: false,
      mark: 0,
      inner,
      vni: vx.vni,
    });
    this.step(
      "ENCAPSULATED",
      `VXLAN VNI ${vx.vni}: ${mac} is at VTEP ${f.dst} (FDB); outer udp ${intToIp(outer.src)}:${sport} → ${f.dst}:${outer.dport}, ${outer.size} bytes`,
      outer,
      fobj,
    );
    this.localOut(ns, outer, true, inf);
  }

  /** Tunnels inside tunnels past the kernel's transmit recursion limit: dropped. */
  private nestedTooDeep(link: Link, pkt: Pkt): void {
    this.drop(
      "FIB_LOOKUP_FAILED",
      `dead loop on virtual device ${link.name}: ${XMIT_RECURSION_LIMIT} tunnels deep, the routes to the tunnel endpoints lead back into tunnels`,
      pkt,
      linkObj(this.c, link),
    );
  }

  protected encapIpip(ns: NetNs, inf: NsInfo, link: Link, nh: number, pkt: Pkt): void {
    if (tooDeep(pkt)) return this.nestedTooDeep(link, pkt);
    const remote = link.ipip?.remote ? ipToInt(link.ipip.remote) : nh;
    let local = link.ipip?.local ? ipToInt(link.ipip.local) : undefined;
    if (local === undefined) {
      const rr = fibLookup(inf.main, remote, (r) => r.route.dev !== link.name);
      if (rr?.route.src) local = ipToInt(rr.route.src);
      else if (rr) local = this.ifAddr(inf, rr.route.dev, remote);
    }
    const outer = makePkt({
      src: local ?? 0,
      dst: remote,
      proto: "ipip",
      sport: 0,
      dport: 0,
      ttl: 64,
      size: pkt.size + 20,
      df: pkt.df,
      mark: 0,
      inner: clonePkt(pkt),
    });
    this.step(
      "ENCAPSULATED",
      `IPIP on ${link.name}: outer ${intToIp(outer.src)} → ${intToIp(remote)} (protocol 4), ${outer.size} bytes`,
      outer,
      linkObj(this.c, link),
    );
    this.localOut(ns, outer, true, inf);
  }
}
