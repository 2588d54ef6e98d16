// Text rendering of a TraceResult, in the manner of the seeds' walkthroughs:
// numbered hops (one per namespace), one line per step with the object that decided it.

import type { HubbleEndpoint, PacketView, Step, TracePath, TraceResult } from "./trace.js";

// Reserved identities by name, as Hubble's compact printer shows them (pkg/identity/numericidentity.go).
const RESERVED_NAMES: Record<number, string> = {
  1: "host",
  2: "world",
  3: "unmanaged",
  4: "health",
  5: "init",
  6: "remote-node",
  7: "kube-apiserver",
};
// Drop texts of the reasons Cilium's programs give here (pkg/monitor/api/drop.go errors map).
const DROP_TEXT: Record<string, string> = {
  POLICY_DENIED: "Policy denied",
  POLICY_DENY: "Policy denied by denylist",
  SERVICE_BACKEND_NOT_FOUND: "Service backend not found",
  UNSUPPORTED: "Unknown endpoint",
};

function hEnd(e: HubbleEndpoint, ip: string, port: number | undefined): string {
  const who = e.pod_name ? `${e.namespace}/${e.pod_name}` : ip;
  const id = RESERVED_NAMES[e.identity] ?? `ID:${e.identity}`;
  return `${who}${port !== undefined ? ":" + port : ""} (${id})`;
}

/**
 * A Cilium step's event as `hubble observe` prints it in its compact form
 * (cilium/hubble pkg/printer/printer.go): "SRC (ID:n) -> DST (ID:n) to-endpoint FORWARDED";
 * policy verdicts "policy-verdict:L3-L4 EGRESS ALLOWED"; drops "Policy denied DROPPED".
 * Undefined for a step without one.
 */
export function hubbleCompact(st: Step): string | undefined {
  const h = st.hubble;
  if (!h) return undefined;
  const p = st.packet;
  const ends = `${hEnd(h.source, p.src, p.sport)} -> ${hEnd(h.destination, p.dst, p.dport)}`;
  if (h.drop_reason_desc) return `${ends} ${DROP_TEXT[h.drop_reason_desc] ?? h.drop_reason_desc} DROPPED`;
  if (h.trace_observation_point)
    return `${ends} ${h.trace_observation_point.toLowerCase().replace("_", "-")} ${h.verdict}`;
  return `${ends} policy-verdict:L3-L4 ${h.traffic_direction} ${h.verdict === "FORWARDED" ? "ALLOWED" : "DENIED"}`;
}

function pk(p: PacketView): string {
  const ports = p.sport !== undefined ? `${p.src}:${p.sport} → ${p.dst}:${p.dport}` : `${p.src} → ${p.dst}`;
  let s = `${p.protocol} ${ports}`;
  if (p.outer)
    s = `[outer ${p.outer.protocol} ${p.outer.src}${p.outer.sport !== undefined ? ":" + p.outer.sport : ""} → ${p.outer.dst}${p.outer.dport !== undefined ? ":" + p.outer.dport : ""}${p.outer.vni !== undefined ? " vni " + p.outer.vni : ""}] ${s}`;
  return s;
}

function pathText(path: TracePath, indent: string, out: string[], opts: { packets?: boolean }): void {
  let n = 0;
  let last = "";
  for (const hop of path.hops) {
    n++;
    out.push(`${indent}${n}. ${hop.ns}`);
    for (const st of hop.steps) {
      const p = pk(st.packet);
      // The step that decided a path's fate: ✗ in the margin.
      out.push(`${indent}${st.decided ? " ✗ " : "   "}${st.action.padEnd(12)} ${st.detail}`);
      if (st.object)
        out.push(
          `${indent}   ${"".padEnd(12)}   ${st.object.kind === "rule" || st.object.kind === "nft-rule" ? `[${st.object.table} ${st.object.chain}${st.object.index !== undefined ? ` #${st.object.index}` : ""}${st.object.line !== undefined ? ` line ${st.object.line}` : ""}] ` : `[${st.object.kind}] `}${st.object.text.split("\n").join(" | ")}`,
        );
      if (st.hubble) out.push(`${indent}   ${"".padEnd(12)}   [hubble] ${hubbleCompact(st)}`);
      if (opts.packets || p !== last) {
        if (p !== last)
          out.push(
            `${indent}   ${"".padEnd(12)}   packet: ${p} ttl ${st.packet.ttl} size ${st.packet.size}${st.packet.mark ? " mark " + st.packet.mark : ""}`,
          );
        last = p;
      }
    }
  }
  const d = path.disposition;
  out.push(`${indent}=> ${d.verdict}${d.reason ? " (" + d.reason + ")" : ""}: ${d.detail}`);
}

export function renderTrace(r: TraceResult, opts: { packets?: boolean } = {}): string {
  const out: string[] = [];
  const f = r.flow;
  out.push(
    `trace ${f.from} → ${f.to}: ${f.protocol} ${f.src}${f.sport !== undefined ? ":" + f.sport : ""} → ${f.dst}${f.port !== undefined ? ":" + f.port : ""}${f.service ? ` (Service ${f.service})` : ""}, ${f.size} bytes`,
  );
  if (r.dns?.hosts) {
    out.push(
      `DNS: ${f.host} → ${r.dns.answer} from /etc/hosts line ${r.dns.hosts.line} (files before dns; no query sent):`,
    );
    out.push(`  ${r.dns.hosts.text.replace(/\t/g, " ")}`);
  } else if (r.dns) {
    out.push(`DNS (nameserver ${r.dns.nameserver}):`);
    for (const q of r.dns.walk)
      out.push(`  ${q.name} A → ${q.rcode}${q.answers.length ? " " + q.answers.join(", ") : ""}`);
    if (r.dns.path?.length) {
      const d = r.dns.path[0].disposition;
      out.push(
        `  the query itself (udp 53): ${d.verdict}${d.reason ? " (" + d.reason + ")" : ""}${r.dns.path.length > 1 ? ` (one of ${r.dns.path.length} paths)` : ""}: ${d.detail}`,
      );
    }
    const l = r.dns.lookup;
    if (l?.status === "failed") out.push(`  ${l.reason}: the connection is never attempted`);
    else if (l) out.push(`  on ${fmtP(l.failed)} of the query's paths the lookup fails: ${l.reasons.join("; ")}`);
    if (!r.dns.answer) out.push(`  no address for ${f.host}: the connection is never attempted`);
  }
  const many = r.paths.length > 1;
  r.paths.forEach((p, i) => {
    out.push("");
    if (many)
      out.push(
        `path ${i + 1} of ${r.paths.length} (probability ${fmtP(p.probability)})${p.choices.length ? ": " + p.choices.join("; ") : ""}`,
      );
    pathText(p, many ? "  " : "", out, opts);
    if (p.reply) {
      out.push(`${many ? "  " : ""}reply:`);
      pathText(p.reply, many ? "    " : "  ", out, opts);
    }
  });
  if (r.truncated) out.push(`\n(more paths not shown: --max-paths)`);
  if (many) {
    const sum = new Map<string, number>();
    for (const p of r.paths) {
      const k = `${p.disposition.verdict}${p.disposition.container ? " " + p.disposition.ns + " " + p.disposition.container : ""}`;
      sum.set(k, (sum.get(k) ?? 0) + p.probability);
    }
    out.push("", "summary:");
    for (const [k, v] of sum) out.push(`  ${fmtP(v)}  ${k}`);
  }
  return out.join("\n") + "\n";
}

function fmtP(p: number): string {
  return (Math.round(p * 10000) / 100).toFixed(2) + "%";
}
