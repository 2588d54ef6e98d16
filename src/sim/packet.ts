// The packet as the interpreter carries it (addresses as unsigned 32-bit integers).

import { intToIp } from "./ip.js";
import type { PacketView, Protocol } from "./trace.js";

export interface Pkt {
  src: number;
  dst: number;
  proto: Protocol | "ipip";
  sport: number;
  dport: number;
  ttl: number;
  size: number;
  df: boolean;
  mark: number;
  /** Encapsulated packet (VXLAN: proto udp + vni; IPIP: proto ipip). */
  inner?: Pkt;
  vni?: number;
}

export function clonePkt(p: Pkt): Pkt {
  return { ...p, inner: p.inner ? clonePkt(p.inner) : undefined };
}

export function viewOf(p: Pkt): PacketView {
  if (p.inner) {
    const v = viewOf(p.inner);
    v.outer = {
      src: intToIp(p.src),
      dst: intToIp(p.dst),
      protocol: p.proto === "ipip" ? "ipip" : "udp",
      ttl: p.ttl,
      size: p.size,
    };
    if (p.proto !== "ipip") {
      v.outer.sport = p.sport;
      v.outer.dport = p.dport;
      if (p.vni !== undefined) v.outer.vni = p.vni;
    }
    if (p.mark) v.mark = "0x" + p.mark.toString(16);
    return v;
  }
  const v: PacketView = { src: intToIp(p.src), dst: intToIp(p.dst), protocol: p.proto, ttl: p.ttl, size: p.size };
  if (p.proto === "tcp" || p.proto === "udp" || p.proto === "sctp") {
    v.sport = p.sport;
    v.dport = p.dport;
  }
  if (p.mark) v.mark = "0x" + p.mark.toString(16);
  return v;
}

export const PROTO_NUM: Record<string, number> = { icmp: 1, ipip: 4, tcp: 6, udp: 17, sctp: 132 };
export const PROTO_NAME: Record<number, string> = { 1: "icmp", 4: "ipip", 6: "tcp", 17: "udp", 132: "sctp" };

/** Normalise "tcp", "TCP", "6" → "tcp". */
export function protoName(s: string | number): string {
  if (typeof s === "number") return PROTO_NAME[s] ?? String(s);
  const l = s.toLowerCase();
  if (/^\d+$/.test(l)) return PROTO_NAME[Number(l)] ?? l;
  return l;
}
