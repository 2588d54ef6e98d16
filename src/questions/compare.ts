// `podnet compare POD URL URL`: two ways to the same backend side by side, counted from
// their traces (issue 18 §6; the seeds' comparison: the external domain leaves the cluster
// and comes back through the Ingress controller — more hops, more load on the Ingress —
// while the Service domain goes pod → ClusterIP → pod).
// Each way is counted on its main path (the most probable delivered path of each connection,
// first on ties; ingress-path.ts mainPath), connection 1 then, through an Ingress controller,
// connection 2:
//   hops        network-namespace visits (a trace's numbered hops), summed over connections
//   nodes       distinct nodes whose namespace the packets cross (node/NAME hops)
//   NAT steps   address rewrites: NAT steps (DNAT, SNAT, MASQUERADE) and IPVS forwarding
//   proxies     L7 proxies that terminate the connection and open another (routing legs)
//   DNS queries the queries the client's resolver sends (its search-list walk)

import type { ClusterState } from "../control/state.js";
import type { TracePath, TraceResult } from "../sim/index.js";
import { mainPath, type LegTrace } from "./ingress-path.js";

export interface WayFigures {
  to: string;
  /** "pod/default/client-… → LB 192.168.1.241 → pod/ingress-nginx/… → [Ingress default/shop] → pod/default/api-…". */
  summary: string;
  verdict: string;
  /** Where it ended (a pod namespace id) when delivered. */
  endsAt: string | null;
  /** The Service whose pod it reaches (the Ingress backend, or the URL's Service). */
  service: string | null;
  hops: number;
  nodes: string[];
  natSteps: number;
  proxies: number;
  dnsQueries: number;
  connections: number;
}

export interface Comparison {
  from: string;
  ways: [WayFigures, WayFigures];
  /** True when both ways deliver to pods of the same Service. */
  sameBackend: boolean;
}

const pathOf = (r: TraceResult): TracePath | undefined => mainPath(r) ?? r.paths[0];

function ends(p: TracePath | undefined): string {
  if (!p) return "no path";
  return p.disposition.verdict === "DELIVERED" ? (p.disposition.ns ?? "?") : p.disposition.verdict;
}

/** The Service an address belongs to (ClusterIP, LoadBalancer IP or external IP), and which. */
function serviceAt(state: ClusterState | undefined, ip: string): { name: string; what: string } | undefined {
  for (const s of state?.services ?? []) {
    const name = `${s.namespace}/${s.name}`;
    if (s.clusterIP === ip) return { name, what: "ClusterIP" };
    if (s.loadBalancerIPs.includes(ip)) return { name, what: "LoadBalancer IP" };
    if (s.externalIPs.includes(ip)) return { name, what: "external IP" };
  }
  return undefined;
}

/** The figures of one way (a traceLegs result). */
export function wayFigures(t: LegTrace, state?: ClusterState): WayFigures {
  const conns = t.legs ? t.legs.flatMap((l) => (l.kind === "connection" ? [l.trace] : [])) : [t.first];
  const proxies = t.legs ? t.legs.filter((l) => l.kind === "routing").length : 0;
  let hops = 0;
  let nat = 0;
  const nodes: string[] = [];
  let verdict = "DELIVERED";
  let endsAt: string | null = null;
  let service: string | null = t.first.flow.service ?? serviceAt(state, t.first.flow.dst)?.name ?? null;
  const parts: string[] = [t.first.flow.from];
  const seq = t.legs ?? [{ kind: "connection" as const, name: "", trace: t.first }];
  for (const l of seq) {
    if (l.kind === "routing") {
      const d = l.decision;
      service = d.backend?.service ?? null;
      parts.push(`[${d.via ? `${d.via.kind} ${d.via.name}` : "no rule"} → ${d.status}]`);
      if (!l.endpoint) {
        verdict = d.redirect ? `REDIRECT ${d.redirect.status}` : `HTTP ${d.status}`;
        endsAt = null;
      }
      continue;
    }
    const dns = l.trace.dns;
    if (dns && !dns.answer) {
      // The name does not resolve: no connection is attempted.
      const last = dns.walk.at(-1);
      verdict = dns.timeout ? "DNS_TIMEOUT" : `DNS ${last?.rcode ?? "no answer"}`;
      parts.push(`DNS ${l.trace.flow.host ?? ""}: ${verdict.replace(/^DNS /, "")}`);
      endsAt = null;
      continue;
    }
    const p = pathOf(l.trace);
    if (!p) {
      verdict = "NO_PATH";
      continue;
    }
    hops += p.hops.length;
    for (const h of p.hops) {
      if (h.ns.startsWith("node/") && !nodes.includes(h.ns.slice(5))) nodes.push(h.ns.slice(5));
      for (const s of h.steps) if (s.action === "NAT" || s.action === "IPVS") nat++;
    }
    const f = l.trace.flow;
    const at = serviceAt(state, f.dst);
    const via = at ? `${f.dst}:${f.port} (${at.what} of ${at.name})` : `${f.dst}:${f.port}`;
    parts.push(`${via} → ${ends(p)}`);
    verdict = p.disposition.verdict;
    endsAt = p.disposition.verdict === "DELIVERED" ? (p.disposition.ns ?? null) : null;
  }
  return {
    to: t.first.flow.to,
    summary: parts.join(" → "),
    verdict,
    endsAt,
    service,
    hops,
    nodes,
    natSteps: nat,
    proxies,
    dnsQueries: t.first.dns?.walk.length ?? 0,
    connections: conns.length,
  };
}

export function compareWays(a: LegTrace, b: LegTrace, state?: ClusterState): Comparison {
  const ways: [WayFigures, WayFigures] = [wayFigures(a, state), wayFigures(b, state)];
  return {
    from: a.first.flow.from,
    ways,
    sameBackend:
      ways[0].endsAt !== null &&
      ways[1].endsAt !== null &&
      ways[0].service !== null &&
      ways[0].service === ways[1].service,
  };
}

/** The seed's table: the two paths, then one row per figure and one column per way. */
export function renderComparison(c: Comparison): string {
  const [a, b] = c.ways;
  const lines = [`compare from ${c.from}:`];
  c.ways.forEach((w, i) => lines.push(`  ${i + 1}. ${w.to}`, `     ${w.summary}`));
  const rows: [string, string, string][] = [
    ["", "1", "2"],
    ["verdict", a.verdict, b.verdict],
    ["connections", String(a.connections), String(b.connections)],
    ["hops", String(a.hops), String(b.hops)],
    ["nodes crossed", String(a.nodes.length), String(b.nodes.length)],
    ["NAT steps", String(a.natSteps), String(b.natSteps)],
    ["proxy traversals", String(a.proxies), String(b.proxies)],
    ["DNS queries", String(a.dnsQueries), String(b.dnsQueries)],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  lines.push("");
  for (const [k, x, y] of rows) lines.push(`  ${k.padEnd(w0)}  ${x.padEnd(w1)}  ${y}`.trimEnd());
  lines.push(`  nodes: 1 ${a.nodes.join(", ") || "-"}; 2 ${b.nodes.join(", ") || "-"}`);
  lines.push(
    "",
    c.sameBackend
      ? `both reach Service ${a.service}'s pods (1: ${a.endsAt}, 2: ${b.endsAt})`
      : `the two ways do not reach the same Service (1: ${a.service ?? "-"} ${a.endsAt ?? a.verdict}, 2: ${b.service ?? "-"} ${b.endsAt ?? b.verdict})`,
  );
  return `${lines.join("\n")}\n`;
}
