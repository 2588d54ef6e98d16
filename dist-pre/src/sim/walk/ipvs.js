// The walk through IPVS (kube-proxy's ipvs mode): a virtual server's pick of a real server,
// masquerading forwarder.
import { intToIp, ipToInt } from "../../net/ipv4.js";
import { io } from "./core.js";
import { WalkEncap } from "./encap.js";
export class WalkIpvs extends WalkEncap {
    ipvs(ns, inf, vs, pkt) {
        const text = `${vs.protocol}  ${vs.address}:${vs.port} ${vs.scheduler}${vs.reals.map((r) => `\n  -> ${r.address}:${r.port} Masq ${r.weight}`).join("")}`;
        if (!vs.reals.length)
            return this.drop("NO_ENDPOINTS", `IPVS ${vs.address}:${vs.port} (${vs.service}) has no real servers`, pkt, {
                kind: "ipvs",
                text,
            });
        const total = vs.reals.reduce((a, r) => a + (r.weight || 0), 0) || vs.reals.length;
        const options = vs.reals.map((r) => ({
            p: (total === vs.reals.length && vs.reals.every((x) => !x.weight) ? 1 : r.weight) / total,
            label: `${r.address}:${r.port} (p=${((r.weight || 1) / total).toFixed(4)})`,
        }));
        let t = { src: 0, sport: 0, dst: 0, dport: 0 };
        let e = null;
        // The pick is a fork point: each real server continues from here.
        this.forkAt(pkt, () => {
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
            this.step("IPVS", `IPVS ${vs.service}: ${before} → ${real.address}:${real.port} (masquerading forwarder)`, pkt, { kind: "ipvs", text });
            return true;
        }, () => {
            const r = this.routed(inf, pkt);
            if (!r)
                return;
            const st = { state: "NEW", e, reply: false };
            // Replace the connection's entry: IPVS owns its NAT.
            const tbl = this.ctTable(ns, false);
            if (tbl)
                this.ctSet(tbl, pkt.proto, t, undefined);
            this.hookThen(ns, inf, "POSTROUTING", pkt, st, io(undefined, r.route.dev), () => {
                this.ctOut(ns, pkt, st);
                this.transmit(ns, inf, r, pkt);
            });
        });
    }
}
/** A node's virtual servers by "proto/address/port" (kept in the IR's CompiledIR). */
export function ipvsIndex(c, list) {
    const ipvsIdx = c.ipvs;
    let m = ipvsIdx.get(list);
    if (!m) {
        m = new Map();
        for (const v of list) {
            const k = `${v.protocol.toLowerCase()}/${ipToInt(v.address)}/${v.port}`;
            if (!m.has(k))
                m.set(k, v);
        }
        ipvsIdx.set(list, m);
    }
    return m;
}
//# sourceMappingURL=ipvs.js.map