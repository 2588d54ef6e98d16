// The observer's readers' lines (py/observe_reader.py) into ObservedEvents. Pure: tested
// on recorded lines.
import type { FlowEnd, ObservedEvent } from "../ir/flowlog.js";
import { decodeNotify, ipv4Payload, MSG_TRACE } from "./bpf-events-parse.js";

/** One reader line: an event, a loss report, the ready mark, or nothing of interest. */
export type ReaderLine =
  | { kind: "event"; event: ObservedEvent }
  | { kind: "lost"; source: string; count: number; why: string }
  | { kind: "ready" }
  | null;

/** "sec.usec" (as conntrack and the reader print it) as RFC 3339 with microseconds, UTC. */
export function isoMicros(unix: string): string {
  const [sec, frac = ""] = unix.split(".");
  const base = new Date(Number(sec) * 1000).toISOString(); // …:SS.000Z
  return `${base.slice(0, 19)}.${frac.padEnd(6, "0").slice(0, 6)}Z`;
}

/**
 * conntrack -E -o timestamp (conntrack-tools src/conntrack.c, the "extended" off text
 * format of libnetfilter_conntrack's snprintf_default):
 *   [1796397464.199548]	    [NEW] tcp      6 120 SYN_SENT src=… dst=… sport=… dport=… [UNREPLIED] src=… dst=… sport=… dport=… id=…
 * UDP and ICMP have no state word; ICMP has type/code/id instead of ports.
 */
export function parseConntrackLine(line: string, node: string): ObservedEvent | null {
  const m = /^\[(\d+\.\d+)\]\s+\[(NEW|UPDATE)\]\s+(\S+)\s+\d+\s+(.*)$/.exec(line.trim());
  if (!m) return null;
  const [, ts, kind, proto, rest] = m;
  const words = rest.split(/\s+/);
  let state: string | undefined;
  if (words.length && /^[A-Z_]+$/.test(words[0])) state = words.shift();
  else if (words.length && /^\d+$/.test(words[0])) {
    words.shift(); // the timeout
    if (words.length && /^[A-Z_]+$/.test(words[0])) state = words.shift();
  }
  const tuples: { src: FlowEnd; dst: FlowEnd }[] = [];
  let cur: { src?: FlowEnd; dst?: FlowEnd } = {};
  for (const w of words) {
    const eq = w.indexOf("=");
    if (eq < 0) continue;
    const k = w.slice(0, eq);
    const v = w.slice(eq + 1);
    if (k === "src") {
      if (cur.src) {
        if (cur.dst) tuples.push(cur as { src: FlowEnd; dst: FlowEnd });
        cur = {};
      }
      cur.src = { ip: v };
    } else if (k === "dst") cur.dst = { ip: v };
    else if (k === "sport" && cur.src) cur.src.port = Number(v);
    else if (k === "dport" && cur.dst) cur.dst.port = Number(v);
  }
  if (cur.src && cur.dst) tuples.push(cur as { src: FlowEnd; dst: FlowEnd });
  if (tuples.length < 2) return null;
  const ev: ObservedEvent = {
    time: isoMicros(ts),
    node,
    proto,
    kind: kind as "NEW" | "UPDATE",
    orig: tuples[0],
    reply: tuples[1],
  };
  if (state) ev.state = state;
  return ev;
}

const TCP_FLAG_BITS: [number, string][] = [
  [0x01, "FIN"],
  [0x02, "SYN"],
  [0x04, "RST"],
  [0x08, "PSH"],
  [0x10, "ACK"],
  [0x20, "URG"],
];
const PROTO: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 132: "sctp" };

/** An IPv4 packet's addresses, ports and TCP flags (RFC 791 / 793 header layouts). */
export function parseIpv4(hex: string): Pick<ObservedEvent, "proto" | "orig" | "tcpFlags"> | null {
  const b = Buffer.from(hex, "hex");
  if (b.length < 20 || b[0] >> 4 !== 4) return null;
  const ihl = (b[0] & 15) * 4;
  const p = b[9];
  const ip = (o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
  const src: FlowEnd = { ip: ip(12) };
  const dst: FlowEnd = { ip: ip(16) };
  const out: Pick<ObservedEvent, "proto" | "orig" | "tcpFlags"> = { proto: PROTO[p] ?? String(p), orig: { src, dst } };
  if ((p === 6 || p === 17 || p === 132) && b.length >= ihl + 4) {
    src.port = b.readUInt16BE(ihl);
    dst.port = b.readUInt16BE(ihl + 2);
  }
  if (p === 6 && b.length >= ihl + 14) {
    const f = b[ihl + 13];
    out.tcpFlags = TCP_FLAG_BITS.filter(([bit]) => f & bit).map(([, n]) => n);
  }
  return out;
}

/** One line of a node's reader. */
export function parseReaderLine(line: string, node: string): ReaderLine {
  const tab = line.indexOf("\t");
  const tag = tab < 0 ? line : line.slice(0, tab);
  const rest = tab < 0 ? "" : line.slice(tab + 1);
  if (tag === "R") return { kind: "ready" };
  if (tag === "C") {
    const event = parseConntrackLine(rest, node);
    return event ? { kind: "event", event } : null;
  }
  if (tag === "L") {
    const [source, count, ...why] = rest.split("\t");
    return { kind: "lost", source, count: Number(count) || 0, why: why.join("\t") };
  }
  if (tag === "B") {
    // A Cilium node's trace or drop notification (bpf_events_reader.c): "<unix time>\t<hex>".
    const [t, hex = ""] = rest.split("\t");
    const d = decodeNotify(Buffer.from(hex, "hex"));
    const ip = d && ipv4Payload(d.frame);
    const pkt = ip && parseIpv4(Buffer.from(ip).toString("hex"));
    if (!d || !pkt) return null;
    const kind = d.type === MSG_TRACE ? "TRACE" : "DROP";
    return { kind: "event", event: { time: isoMicros(t), node, kind, ...pkt, cilium: d.cilium } };
  }
  if (tag === "N") {
    const [t, , prefixJson, hex] = rest.split("\t");
    const pkt = parseIpv4(hex ?? "");
    if (!pkt) return null;
    let prefix = "";
    try {
      prefix = JSON.parse(prefixJson) as string;
    } catch {
      /* not ours */
    }
    const event: ObservedEvent = { time: isoMicros(t), node, kind: "NFLOG", ...pkt, prefix };
    return { kind: "event", event };
  }
  return null;
}
