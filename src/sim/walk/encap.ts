// The walk's tunnels: VXLAN (FDB to the remote VTEP) and IPIP encapsulation.

import type { Link, NetNs } from "../../ir/types.js";
import { intToIp, ipToInt } from "../../net/ipv4.js";
import { clonePkt, makePkt, type Pkt } from "../packet.js";
import { fibLookup } from "../fib.js";
import type { NsInfo } from "../topology.js";
import { linkObj } from "./say.js";
import { WalkL2 } from "./l2.js";

export abstract class WalkEncap extends WalkL2 {
  protected encapVxlan(ns: NetNs, inf: NsInfo, link: Link, mac: string, pkt: Pkt): void {
    const vx = link.vxlan!;
    const f = inf.fdbSelf(link.name, mac) ?? inf.fdbSelf(link.name, "00:00:00:00:00:00");
    if (!f || !f.dst)
      return this.drop(
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

  protected encapIpip(ns: NetNs, inf: NsInfo, link: Link, nh: number, pkt: Pkt): void {
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
