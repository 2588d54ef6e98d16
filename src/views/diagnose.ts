// `podnet diagnose`'s text: a table (check, ✓/✗, evidence) in the checklist's order, then
// the first failing layer, why, and the fix (with the NetworkPolicy YAML that would allow
// the flow, when policy is what denies it).

import type { ClusterDiagnosis } from "../questions/diagnose-all.js";
import type { Diagnosis } from "../questions/diagnose.js";
import { tabwrite } from "./tabwriter.js";

const mark = (ok: boolean, severity: string) => (ok ? "✓" : severity === "warning" ? "!" : "✗");

export function renderDiagnosis(d: Diagnosis): string {
  const lines: string[] = [];
  lines.push(
    `diagnose ${d.from} → ${d.to} (${d.target.kind} ${d.target.name}${d.port !== undefined ? `, ${d.protocol} ${d.port}` : `, ${d.protocol}`})`,
    "",
  );
  const rows = ["LAYER\tCHECK\t\tEVIDENCE"];
  for (const c of d.checks) rows.push(`${c.layer}\t${c.code}\t${mark(c.ok, c.severity)}\t${c.evidence}`);
  lines.push(tabwrite(rows.join("\n") + "\n", 0, 2).trimEnd(), "");
  const f = d.first_failure;
  if (!f) lines.push("result: every check holds: the flow is delivered");
  else {
    const warn = d.checks.find((c) => c.code === f.code)?.severity === "warning";
    lines.push(`${warn ? "warning" : "first failure"}: ${f.layer} (${f.code})`, `  why: ${f.why}`, `  fix: ${f.fix}`);
  }
  if (d.allow_policy) {
    lines.push("", "a NetworkPolicy that would allow this flow (kubectl apply -f -):", "---");
    lines.push(d.allow_policy.trimEnd());
  }
  return lines.join("\n") + "\n";
}

/** `diagnose --all`: what was checked, then each finding, worst first. */
export function renderClusterDiagnosis(d: ClusterDiagnosis): string {
  const c = d.checked;
  const lines = [
    `checked: ${c.nodePairs} node pairs, ${c.servicePorts} Service ports, ${c.serviceNames} Service names, ${c.pods} pods' DNS`,
  ];
  if (!d.findings.length) return `${lines[0]}\nresult: nothing broken\n`;
  const rows = ["CHECK\tSUBJECT\tEVIDENCE", ...d.findings.map((f) => `${f.code}\t${f.subject}\t${f.evidence}`)];
  lines.push(`${d.findings.length} broken, worst first:`, "", tabwrite(rows.join("\n") + "\n", 0, 2).trimEnd());
  return lines.join("\n") + "\n";
}
