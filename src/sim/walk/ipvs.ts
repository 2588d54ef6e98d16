// The walk through IPVS (kube-proxy's ipvs mode): a virtual server's pick of a real server,
// masquerading forwarder.

import type { IpvsVirtualServer } from "../../ir/types.js";
import type { CompiledIR } from "../topology.js";
import type { NetNs } from "../../ir/types.js";
import { intToIp, ipToInt } from "../../net/ipv4.js";
import type { CtState } from "../nfenv.js";
import type { Pkt } from "../packet.js";
import type { NsInfo } from "../topology.js";
import { io } from "./core.js";
import type { CtEntry, Tuple } from "./ct-table.js";
import { WalkEncap } from "./encap.js";

export abstract class WalkIpvs extends WalkEncap {
  protected ipvs(
    ns: NetNs,
    inf: NsInfo,
    vs: NonNullable<NsInfo["node"]>["ipvs"] extends (infer T)[] | undefined ? T : never,
    pkt: Pkt,
  ): void {
    const text = `${vs.protocol}  ${vs.address}:${vs.port} ${vs.scheduler}${vs.reals.map((r) => `\n  -> ${r.address}:${r.port} Masq ${r.weight}`).join("")}`;
    if (!vs.reals.length)
      return this.drop(
        "SERVICE_BACKEND_NOT_FOUND",
        `IPVS ${vs.address}:${vs.port} (${vs.service}) has no real servers`,
        pkt,
        {
          kind: "ipvs",
          text,
        },
      );
    const total = vs.reals.reduce((a, r) => a + (r.weight || 0), 0) || vs.reals.length;
    const options = vs.reals.map((r) => ({
      p: (total === vs.reals.length && vs.reals.every((x) => !x.weight) ? 1 : r.weight) / total,
      label: `${r.address}:${r.port} (p=${((r.weight || 1) / total).toFixed(4)})`,
    }));
    let t: Tuple = { src: 0, sport: 0, dst: 0, dport: 0 };
    let e: CtEntry | null = null;
    // The pick is a fork point: each real server continues from here.
    this.forkAt(
      pkt,
      () => {
        const k = this.choose(options, `IPVS ${vs.scheduler} ${vs.address}:${vs.port}`);
        const real = vs.reals[k];
        const before = `${intToIp(pkt.dst)}:${pkt.dport}`;
        t = { src: pkt.src, sport: pkt.sport, dst: pkt.dst, dport: pkt.dport };
        pkt.dst = ipToInt(real.address);
        pkt.dport = real.port;
        e = {
          proto: pkt.proto,
          orig: t,
          reply: { src: pkt.dst, sport: pkt.dport, dst: t.src, dport: t.sport },
          dnat: true,
          snat: false,
          mark: 0,
          confirmed: false,
        };
        this.step(
          "IPVS",
          `IPVS ${vs.service}: ${before} → ${real.address}:${real.port} (masquerading forwarder)`,
          pkt,
          { kind: "ipvs", text },
        );
        return true;
      },
      () => {
        const r = this.routed(inf, pkt);
        if (!r) return;
        const st = { state: "NEW" as CtState, e, reply: false };
        // Replace the connection's entry: IPVS owns its NAT.
        const tbl = this.ctTable(ns, false);
        if (tbl) this.ctSet(tbl, pkt.proto, t, undefined);
        // ip_vs_nat_send_or_cont with a real server on this host (a local route, e.g. the
        // API server on the node's address): NF_ACCEPT, the packet goes on up LOCAL_IN to its
        // socket, with no OUTPUT and no POSTROUTING (net/netfilter/ipvs/ip_vs_xmit.c).
        if (r.type === "local") {
          this.ctOut(ns, pkt, st);
          return this.localDeliver(ns, inf, r.route.dev ?? "lo", pkt);
        }
        // ip_vs_nat_send_or_cont: the rewritten packet passes LOCAL_OUT (OUTPUT), then
        // POSTROUTING; the nat table's OUTPUT chains do not run (the connection's DNAT is set).
        const out = io(undefined, r.route.dev);
        this.forkAt(
          pkt,
          () => this.hook(ns, inf, "OUTPUT", pkt, st, out, false),
          () =>
            this.hookThen(ns, inf, "POSTROUTING", pkt, st, out, () => {
              this.ctOut(ns, pkt, st);
              this.transmit(ns, inf, r, pkt);
            }),
        );
      },
    );
  }
}

/** A node's virtual servers by "proto/address/port" (kept in the IR's CompiledIR). */
export function ipvsIndex(c: CompiledIR, list: IpvsVirtualServer[]): Map<string, IpvsVirtualServer> {
  const ipvsIdx = c.ipvs;
  let m = ipvsIdx.get(list);
  if (!m) {
    m = new Map();
    for (const v of list) {
      const k = `${v.protocol.toLowerCase()}/${ipToInt(v.address)}/${v.port}`;
      if (!m.has(k)) m.set(k, v);
    }
    ipvsIdx.set(list, m);
  }
  return m;
}
