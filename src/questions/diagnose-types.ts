// The shapes of `podnet diagnose`'s answer (stable JSON: field names are documented in the
// command's help and the README; a check's `code` never changes meaning).

export type DiagnoseLayer = "dns" | "service" | "pod" | "path" | "policy" | "listener";

export interface DiagnoseCheck {
  /** Stable id: "dns.resolve", "service.selector", "policy.egress", "listener" … */
  code: string;
  layer: DiagnoseLayer;
  /** What was checked, one line ("CoreDNS pods ready"). */
  title: string;
  ok: boolean;
  /** "warning": the flow works but pays a cost (an outside name's search-list walk). */
  severity: "error" | "warning";
  /** What the model shows, one line. */
  evidence: string;
  /** Set when the check fails: why the flow fails there, and what would fix it. */
  why?: string;
  fix?: string;
  /** A NetworkPolicy (YAML) that would allow what this check found denied. */
  yaml?: string;
}

export interface DiagnoseFailure {
  code: string;
  layer: DiagnoseLayer;
  why: string;
  fix: string;
}

export interface Diagnosis {
  /** FROM as resolved: "ns/pod" or "external[:IP]". */
  from: string;
  /** TO as given, and what it named. */
  to: string;
  target: { kind: "pod" | "service" | "name" | "ip"; name: string };
  protocol: string;
  port?: number;
  checks: DiagnoseCheck[];
  /** The first failing check (errors before warnings); null when every check holds. */
  first_failure: DiagnoseFailure | null;
  /** Every NetworkPolicy the flow would need to be allowed (DNS egress, egress, ingress),
   *  as one YAML stream a user can apply; absent when policy allows it. */
  allow_policy?: string;
  /** The flow's traced paths (by name when TO is a name, its lookup included), each with
   *  Hubble's verdict fields: `verdict`, `drop_reason` (the number), `drop_reason_desc`. */
  paths?: DiagnosePath[];
}

export interface DiagnosePath {
  probability: number;
  choices: string[];
  verdict: string;
  drop_reason?: number;
  drop_reason_desc?: string;
  detail: string;
}
