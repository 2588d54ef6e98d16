// Text of `podnet compare-cni`: the seeds' CNI comparison table (rows: how packets are
// processed, how nodes are crossed, hops, NAT, policy, what was consulted, verdict; one
// column per flavor), then each flavor's details (the objects behind the rows).

import type { CompareResult } from "../questions/compare-cni.js";
import { tabwrite } from "./tabwriter.js";

const cut = (s: string, n = 48) => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

export function renderCompareCni(r: CompareResult): string {
  const cols = r.columns;
  const out: string[] = [];
  out.push(`compare-cni ${r.from} → ${r.to}: the same flow, the same manifests and seed, one column per CNI`);
  out.push(
    r.placementDiffers.length
      ? `pods on different nodes between flavors: ${r.placementDiffers.join(", ")}`
      : "pod placement: the same nodes in every flavor",
  );
  if (r.ipsDiffer.length)
    out.push(
      `pod IPs differ (each CNI's IPAM): ${r.ipsDiffer.length} pod(s), e.g. ${r.ipsDiffer
        .slice(0, 3)
        .map((d) => `${d.pod} ${d.ips.join(" / ")}`)
        .join("; ")}`,
    );
  out.push("");
  const row = (name: string, f: (c: (typeof cols)[number]) => string) =>
    [name, ...cols.map((c) => cut(f(c)).replace(/\t/g, " "))].join("\t");
  const lines = [
    row("", (c) => c.label),
    row("flow", (c) => `${c.src} → ${c.dst}`),
    row("packet processing", (c) => c.processing),
    row("node crossing", (c) => c.crossing),
    row("hops (namespaces)", (c) => `${c.hops.length} (${c.steps} steps)`),
    row("NAT steps", (c) => (c.nat.length ? `${c.nat.length}: ${c.nat[0]}` : "0")),
    row("policy step", (c) => (c.policy.length ? `${c.policy.length}: ${c.policy.at(-1)}` : "none")),
    row("netfilter rules matched", (c) => String(c.rulesMatched)),
    row("BPF map lookups", (c) => String(c.mapLookups)),
    row("verdict", (c) => c.verdict.split(":")[0]),
    row("all paths", (c) => `${c.paths}: ${c.summary}`),
  ];
  out.push(tabwrite(lines.join("\n") + "\n", 0, 3).trimEnd());
  for (const c of cols) {
    out.push("", `${c.label}:`);
    out.push(`  hops: ${c.hops.join(" → ")}`);
    out.push(`  node crossing: ${c.crossing}${c.crossingObject ? `\n    ${c.crossingObject}` : ""}`);
    for (const n of c.nat) out.push(`  nat: ${n}`);
    for (const p of c.policy) out.push(`  policy: ${p}`);
    out.push(`  verdict: ${c.verdict}`);
  }
  out.push(
    "",
    "rules matched: netfilter rules the packet matched (jumps and RETURNs included, as trace --verbose shows them);",
    "map lookups: the BPF map entries the programs read (services, backends, ipcache, policy, conntrack, endpoints).",
  );
  return out.join("\n") + "\n";
}
