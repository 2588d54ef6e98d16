// Renders a node's Cilium BPF maps as cilium-dbg prints them (cilium/cilium cilium-dbg/cmd:
// bpf_lb_list.go, bpf_ipcache_list.go, bpf_policy_get.go, endpoint_list.go). Columns are laid
// out as Go's text/tabwriter does with cilium's settings (minwidth 5, padding 3, spaces).
// The kernel dumps hash maps in its own order; the model prints them sorted (by address,
// endpoint id), which is what `cilium-dbg … | sort` would show.

import { ipToInt } from "../net/ipv4.js";
import { ipcacheList, serviceList } from "./bpf.js";
import type { BpfIdentity, BpfPolicyEntry, NodeBpf } from "./types.js";

/** text/tabwriter.NewWriter(w, 5, 0, 3, ' ', 0): each column as wide as its widest cell + 3. */
export function tabwrite(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows)
    r.forEach((c, i) => {
      if (i < r.length - 1) widths[i] = Math.max(widths[i] ?? 0, c.length + 3, 5);
    });
  return rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]) : c)).join("") + "\n").join("");
}

const addrKey = (a: string) => ipToInt(a) >>> 0;

/** `cilium-dbg bpf lb list`: per frontend its backend slots, then slot 0 with the flags. */
export function renderLbList(b: NodeBpf): string {
  const backends = new Map(b.backends.map((x) => [x.id, x]));
  const rows: string[][] = [["SERVICE ADDRESS", "BACKEND ADDRESS (REVNAT_ID) (SLOT)"]];
  const svcs = serviceList(b).sort(
    (x, y) => addrKey(x.address) - addrKey(y.address) || x.port - y.port || x.protocol.localeCompare(y.protocol),
  );
  for (const s of svcs) {
    const fe = `${s.address}:${s.port}/${s.protocol}`;
    let first = true;
    s.backends.forEach((id, i) => {
      const be = backends.get(id);
      if (!be) return;
      rows.push([first ? fe : "", `${be.address}:${be.port}/${be.protocol} (${s.revNat}) (${i + 1})`]);
      first = false;
    });
    rows.push([first ? fe : "", `0.0.0.0:0 (${s.revNat}) (0) [${s.flags.join(", ")}]`]);
  }
  return tabwrite(rows);
}

/** `cilium-dbg bpf ipcache list`. */
export function renderIpcache(b: NodeBpf): string {
  const rows: string[][] = [["IP PREFIX/ADDRESS", "IDENTITY"]];
  const es = ipcacheList(b).sort((x, y) => {
    const [xa, xl] = x.prefix.split("/");
    const [ya, yl] = y.prefix.split("/");
    return addrKey(xa) - addrKey(ya) || Number(yl) - Number(xl);
  });
  for (const e of es)
    rows.push([
      e.prefix,
      `identity=${e.identity} encryptkey=0 tunnelendpoint=${e.tunnelEndpoint ?? "0.0.0.0"} flags=${e.tunnelEndpoint ? "hastunnel" : "<none>"}`,
    ]);
  return tabwrite(rows);
}

function labelsOf(b: NodeBpf, id: number): string[] {
  if (id === 0) return ["reserved:unknown"];
  const i: BpfIdentity | undefined = b.identities.find((x) => x.id === id);
  return i ? i.labels : [`identity:${id}`];
}

/** A port range as the LPM keys Cilium writes for it: prefix-aligned blocks (pkg/policy/types). */
export function portBlocks(from: number, to: number): { port: number; end: number; bits: number }[] {
  const out: { port: number; end: number; bits: number }[] = [];
  let a = from;
  while (a <= to) {
    let k = 0;
    while (k < 16 && a % (1 << (k + 1)) === 0 && a + (1 << (k + 1)) - 1 <= to) k++;
    out.push({ port: a, end: a + (1 << k) - 1, bits: 16 - k });
    a += 1 << k;
  }
  return out;
}

function portProto(e: BpfPolicyEntry): { text: string; prefix: number }[] {
  if (!e.protocol) return [{ text: "ANY", prefix: 0 }];
  if (e.port === undefined) return [{ text: `ANY/${e.protocol}`, prefix: 8 }];
  return portBlocks(e.port, e.endPort ?? e.port).map((p) => ({
    text: `${p.port === p.end ? p.port : `${p.port}-${p.end}`}/${e.protocol}`,
    prefix: 8 + p.bits,
  }));
}

/** `cilium-dbg bpf policy get EP`: the POLICY column says Allow, or Deny for a deny entry
 *  (cilium-dbg/cmd/bpf_policy_get.go, from policymap's deny flag). */
export function renderPolicyGet(b: NodeBpf, ep: number, numeric = false): string {
  const rows: string[][] = [
    [
      "POLICY",
      "DIRECTION",
      numeric ? "IDENTITY" : "LABELS (source:key[=value])",
      "PORT/PROTO",
      "PROXY PORT",
      "AUTH TYPE",
      "BYTES",
      "PACKETS",
      "PREFIX",
    ],
  ];
  for (const e of b.policy[ep] ?? []) {
    const labels = numeric ? [String(e.identity)] : labelsOf(b, e.identity);
    for (const pp of portProto(e)) {
      rows.push([
        e.deny ? "Deny" : "Allow",
        e.direction === "ingress" ? "Ingress" : "Egress",
        labels[0],
        pp.text,
        "NONE",
        "disabled",
        "0",
        "0",
        String(pp.prefix),
      ]);
      for (const l of labels.slice(1)) rows.push(["", "", l, "", "", "", "", "", ""]);
    }
  }
  return tabwrite(rows);
}

/** `cilium-dbg endpoint list`. */
export function renderEndpointList(b: NodeBpf): string {
  const rows: string[][] = [
    [
      "ENDPOINT",
      "POLICY (ingress)",
      "POLICY (egress)",
      "IDENTITY",
      "LABELS (source:key[=value])",
      "IPv6",
      "IPv4",
      "STATUS",
    ],
    ["", "ENFORCEMENT", "ENFORCEMENT", "", "", "", "", ""],
  ];
  for (const e of b.endpoints) {
    const labels = labelsOf(b, e.identity);
    rows.push([
      String(e.id),
      e.ingressEnforced ? "Enabled" : "Disabled",
      e.egressEnforced ? "Enabled" : "Disabled",
      String(e.identity),
      labels[0],
      "",
      e.ip,
      "ready",
    ]);
    for (const l of labels.slice(1)) rows.push(["", "", "", "", l, "", "", ""]);
  }
  return tabwrite(rows);
}

/** A cilium_ct4_global entry as the model keeps it (the walk creates them as packets pass). */
export interface BpfCtEntry {
  proto: string;
  dir: "OUT" | "IN" | "SERVICE";
  src: string;
  sport: number;
  dst: string;
  dport: number;
  revNat: number;
  srcIdentity: number;
  /** SERVICE entries: the backend chosen. */
  backend?: number;
}

/** One line of `cilium-dbg bpf ct list global` (counters and timers as right after creation). */
export function formatCtEntry(e: BpfCtEntry): string {
  const l4 = e.proto === "icmp" ? "ICMP" : e.proto.toUpperCase();
  const be = e.backend !== undefined ? ` BackendID=${e.backend}` : "";
  return `${l4} ${e.dir} ${e.src}:${e.sport} -> ${e.dst}:${e.dport} expires=21600 Packets=0 Bytes=0 RxFlagsSeen=0x02 LastRxReport=0 TxFlagsSeen=0x02 LastTxReport=0 Flags=0x0000 [ ] RevNAT=${e.revNat} SourceSecurityID=${e.srcIdentity} IfIndex=0${be}`;
}
