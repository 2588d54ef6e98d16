// The Cilium datapath's notifications (bpf/lib/events.h, as bpf_events_reader.c prints them
// in hex) decoded: the layouts of cilium/cilium pkg/monitor/datapath_trace.go (TraceNotify,
// version 1: 48 bytes) and pkg/monitor/datapath_drop.go (DropNotify, version 2: 40 bytes),
// little-endian, each followed by the first bytes of the Ethernet frame. Pure.
import type { CiliumNotify } from "../ir/flowlog.js";

/** pkg/monitor/api/types.go MessageTypeDrop / MessageTypeTrace. */
export const MSG_DROP = 1;
export const MSG_TRACE = 4;
export const TRACE_NOTIFY_LEN = 48;
export const DROP_NOTIFY_LEN = 40;

/**
 * flow.proto's DropReason names of the codes podnet's programs emit (Cilium's DROP_* in
 * bpf/lib/common.h; the texts of pkg/monitor/api/drop.go are in views/flows.ts).
 */
export const DROP_REASON_NAMES: Readonly<Record<number, string>> = {
  132: "INVALID_SOURCE_IP",
  133: "POLICY_DENIED",
  141: "ERROR_WRITING_TO_PACKET",
  147: "ERROR_RETRIEVING_TUNNEL_KEY",
  158: "SERVICE_BACKEND_NOT_FOUND",
  181: "POLICY_DENY",
};

export interface DecodedNotify {
  type: typeof MSG_DROP | typeof MSG_TRACE;
  cilium: CiliumNotify;
  /** The frame's captured bytes (len_cap of them). */
  frame: Uint8Array;
  /** The packet's length on the wire (len_orig). */
  origLen: number;
}

/** One record; null when it is not a trace or drop notification or is cut short. */
export function decodeNotify(b: Uint8Array): DecodedNotify | null {
  if (b.length < 16) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const type = b[0];
  const hdr = type === MSG_TRACE ? TRACE_NOTIFY_LEN : type === MSG_DROP ? DROP_NOTIFY_LEN : 0;
  if (!hdr || b.length < hdr) return null;
  const subType = b[1];
  const cap = v.getUint16(12, true);
  const frame = b.subarray(hdr, Math.min(b.length, hdr + cap));
  const cilium: CiliumNotify = {
    subType,
    source: v.getUint16(2, true),
    srcIdentity: v.getUint32(16, true),
    dstIdentity: v.getUint32(20, true),
    dstId: type === MSG_TRACE ? v.getUint16(24, true) : v.getUint32(24, true),
    ifindex: v.getUint32(type === MSG_TRACE ? 28 : 32, true),
  };
  if (type === MSG_TRACE) cilium.reason = b[26];
  else cilium.dropReason = DROP_REASON_NAMES[subType] ?? "DROP_REASON_UNKNOWN";
  return { type: type === MSG_TRACE ? MSG_TRACE : MSG_DROP, cilium, frame, origLen: v.getUint32(8, true) };
}

/** The IPv4 packet inside a captured Ethernet frame (EtherType 0x0800), or null. */
export function ipv4Payload(frame: Uint8Array): Uint8Array | null {
  if (frame.length < 34 || frame[12] !== 0x08 || frame[13] !== 0x00) return null;
  return frame.subarray(14);
}
