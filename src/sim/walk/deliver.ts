// The walk's end in a namespace: local delivery to a socket (a pod's listener, the node's
// own, the client's) or its refusal.

import type { Link, NetNs } from "../../ir/types.js";
import { intToIp } from "../../net/ipv4.js";
import type { Pkt } from "../packet.js";
import type { NsInfo } from "../topology.js";
import type { StepObject } from "../trace.js";
import { linkObj } from "./say.js";
import { WalkIpvs, ipvsIndex } from "./ipvs.js";

export abstract class WalkDeliver extends WalkIpvs {
  protected localDeliver(ns: NetNs, inf: NsInfo, _dev: string, pkt: Pkt): void {
    // Tunnel endpoints: VXLAN (UDP to the device's port) and IPIP (protocol 4).
    if (pkt.inner) {
      if (pkt.proto === "udp") {
        let at = inf.vxlanAt;
        if (!at || at.port !== pkt.dport || at.vni !== pkt.vni) {
          let vx: Link | undefined;
          for (const l of inf.tunnels)
            if (!vx && l.kind === "vxlan" && l.vxlan && (l.vxlan.port || 8472) === pkt.dport && l.vxlan.vni === pkt.vni)
              vx = l;
          at = vx
            ? (inf.vxlanAt = {
                port: pkt.dport,
                vni: pkt.vni,
                link: vx,
                detail: `VXLAN VNI ${pkt.vni} (udp ${pkt.dport}) → ${vx.name}`,
                obj: linkObj(this.c, vx),
              })
            : undefined;
        }
        if (at) {
          const vx = at.link;
          const inner = pkt.inner;
          const mac = inner.l2dst;
          this.step("DECAPSULATED", at.detail, inner, at.obj);
          return this.l2Receive(ns, vx, mac ?? vx.mac, inner, undefined, inf);
        }
      } else if (pkt.proto === "ipip") {
        const tl = inf.tunnels.find((l) => l.kind === "ipip");
        if (tl) {
          this.step("DECAPSULATED", `IPIP → ${tl.name}`, pkt.inner, linkObj(this.c, tl));
          return this.ipInput(ns, tl.name, pkt.inner, {});
        }
      }
      // Cilium's tunnel device takes any VNI (collect-metadata): its program decides (bpf.ts).
      if (this.bpfDecap(ns, inf, pkt)) return;
      return this.end(
        {
          verdict: "REFUSED",
          // The receiver is no tunnel endpoint for it: Hubble's NO_TUNNEL_OR_ENCAPSULATION_ENDPOINT.
          reason: "TUNNEL_ENDPOINT_MISSING",
          detail: `encapsulated packet to ${intToIp(pkt.dst)}: no tunnel device for it (ICMP port unreachable)`,
        },
        pkt,
        "REFUSED",
      );
    }
    // IPVS (model): a virtual server on this node takes the connection.
    const vs = inf.node?.ipvs
      ? ipvsIndex(this.c, inf.node.ipvs).get(`${pkt.proto}/${pkt.dst}/${pkt.dport}`)
      : undefined;
    if (vs) return this.ipvs(ns, inf, vs, pkt);
    if (
      this.client &&
      ns === this.client.ns &&
      pkt.dst === this.client.ip &&
      pkt.dport === this.client.port &&
      pkt.proto === this.client.proto
    ) {
      return this.end(
        {
          verdict: "DELIVERED",
          detail: `the reply reaches the client socket ${intToIp(pkt.dst)}:${pkt.dport}`,
          port: pkt.dport,
        },
        pkt,
        "DELIVERED",
      );
    }
    if (pkt.proto === "icmp")
      return this.end(
        { verdict: "DELIVERED", detail: `ICMP echo request answered by the kernel of ${ns.id}` },
        pkt,
        "DELIVERED",
      );
    const d = this.listener(inf, pkt);
    if (d)
      return this.end(
        { verdict: "DELIVERED", detail: d.detail, container: d.container, port: d.lport, object: d.obj },
        pkt,
        "DELIVERED",
      );
    const how =
      pkt.proto === "tcp" ? "TCP RST" : pkt.proto === "udp" ? "ICMP port unreachable" : "ICMP protocol unreachable";
    const proto = pkt.proto.toUpperCase();
    const stopped = inf.pod?.stopped?.find((l) => l.port === pkt.dport && l.protocol === proto);
    const why = stopped ? `: container ${stopped.container} declares it but is not running (${stopped.reason})` : "";
    this.end(
      {
        verdict: "REFUSED",
        reason: "NO_LISTENER",
        detail: `nothing listens on ${pkt.proto} ${intToIp(pkt.dst)}:${pkt.dport} in ${ns.id} (${how})${why}`,
        port: pkt.dport,
      },
      pkt,
      "REFUSED",
    );
  }

  /** The socket that takes the packet here, with its step texts; a pod's last answer is kept (its listeners are read-only; a host's are made per call). */
  protected listener(inf: NsInfo, pkt: Pkt): NsInfo["delivered"] {
    const last = inf.pod ? inf.delivered : undefined;
    if (last && last.port === pkt.dport && last.dst === pkt.dst && last.proto === pkt.proto) return last;
    const listeners = inf.pod
      ? inf.pod.listeners
      : inf.node
        ? (this.topo.hostPods.get(inf.node.name) ?? [])
            .flatMap((p) => p.listeners.map((l) => ({ ...l, container: `${p.namespace}/${p.name}/${l.container}` })))
            .concat(inf.node.listeners ?? [])
        : [];
    const proto = pkt.proto.toUpperCase();
    const dstS = intToIp(pkt.dst);
    const loop = pkt.dst >>> 24 === 127;
    const l = listeners.find(
      (x) =>
        x.protocol === proto &&
        x.port === pkt.dport &&
        (x.address === "0.0.0.0" || x.address === "::" || x.address === dstS || (loop && x.address.startsWith("127."))),
    );
    if (!l) return undefined;
    const obj: StepObject = {
      kind: "listener",
      text: `${proto} ${l.address}:${l.port} (container ${l.container}${l.portName ? `, port ${l.portName}` : ""}${l.assumedFrom ? `, not declared: ${l.assumedFrom} targets it` : ""})`,
    };
    const d = {
      proto: pkt.proto,
      port: pkt.dport,
      dst: pkt.dst,
      container: l.container,
      lport: l.port,
      detail: `container ${l.container} listens on ${pkt.proto} ${l.address}:${l.port}${l.assumedFrom ? ` (assumed: ${l.assumedFrom} targets this undeclared port)` : ""}`,
      obj,
    };
    if (inf.pod) inf.delivered = d;
    return d;
  }

  // Up the chain (see core.ts).
  protected abstract bpfDecap(ns: NetNs, inf: NsInfo, pkt: Pkt): boolean;

  /** Mark who the client is (for the reply's delivery). */
  setClient(ns: NetNs, pkt: Pkt): void {
    this.client = { ns, ip: pkt.src, port: pkt.sport, proto: pkt.proto };
  }
}
