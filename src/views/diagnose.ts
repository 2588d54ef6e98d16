// `podnet diagnose`'s text: a table (check, ✓/✗, evidence) in the checklist's order, then
// the first failing layer, why, and the fix (with the NetworkPolicy YAML that would allow
// the flow, when policy is what denies it).

import type { ClusterDiagnosis } from "../questions/diagnose-all.js";
import type { Diagnosis } from "../questions/diagnose.js";
import type { KernelDiagnosis } from "../questions/diagnose-kernel.js";
import type { ClusterKernelDiagnosis } from "../questions/diagnose-all-kernel.js";
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
    ...(d.not_checked ?? []).map((n) => `not checked: ${n}`),
  ];
  if (!d.findings.length) return `${lines.join("\n")}\nresult: nothing broken\n`;
  const rows = ["CHECK\tSUBJECT\tEVIDENCE", ...d.findings.map((f) => `${f.code}\t${f.subject}\t${f.evidence}`)];
  lines.push(`${d.findings.length} broken, worst first:`, "", tabwrite(rows.join("\n") + "\n", 0, 2).trimEnd());
  return lines.join("\n") + "\n";
}

/** `diagnose --name N`: what the kernel shows for each thing the model relied on, then where they differ. */
export function renderKernelDiagnosis(k: KernelDiagnosis): string {
  const lines = [`kernel of cluster ${k.cluster} (asked from inside its namespaces, ${k.ms} ms):`, ""];
  if (!k.findings.length) return `${lines[0]}\n  nothing to ask (no connection was traced)\n`;
  // One line per finding: long evidence (a search-list walk) is cut; -o json has it whole.
  const cell = (s: string) => {
    const t = s.replace(/\s+/g, " ");
    return t.length > 90 ? `${t.slice(0, 89)}…` : t;
  };
  const rows = ["CHECK\t\tASKED\tMODEL\tKERNEL"];
  for (const f of k.findings)
    rows.push(
      `${f.code}\t${f.agree === null ? "?" : f.agree ? "=" : "≠"}\t${cell(f.what)}\t${cell(f.model)}\t${cell(f.kernel)}`,
    );
  lines.push(tabwrite(rows.join("\n") + "\n", 0, 2).trimEnd(), "");
  lines.push(
    k.differ === 0
      ? "model and kernel agree"
      : `model and kernel differ in ${k.differ} finding${k.differ === 1 ? "" : "s"}: ${k.findings
          .filter((f) => f.agree === false)
          .map((f) => f.code)
          .join(", ")}`,
  );
  return lines.join("\n") + "\n";
}

/** `diagnose --all --name N`: what failed in the kernel, with what the model expected. */
export function renderClusterKernelDiagnosis(k: ClusterKernelDiagnosis): string {
  const c = k.checked;
  const head = `kernel of cluster ${k.cluster} (${k.ms} ms): ${c.nodePairs} node pairs pinged, ${c.servicePorts} Service ports connected, ${c.serviceNames} names looked up, ${c.pods} pods' DNS queried`;
  if (!k.findings.length) return `${head}\nresult: everything answered as the model expects\n`;
  const rows = ["CHECK\t\tSUBJECT\tMODEL\tKERNEL"];
  for (const f of k.findings) rows.push(`${f.code}\t${f.agree ? "=" : "≠"}\t${f.subject}\t${f.model}\t${f.kernel}`);
  const tail =
    k.differ === 0
      ? "every failure above is one the model expects"
      : `${k.differ} of them the model does not expect (≠): the cluster is not what the model holds`;
  return `${head}\n\n${tabwrite(rows.join("\n") + "\n", 0, 2).trimEnd()}\n\n${tail}\n`;
}
