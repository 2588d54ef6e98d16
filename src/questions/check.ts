// `podnet check`: connectivity expectations checked with the full model (DNS, Service
// NAT, routing, policy), for CI. Each expectation expands its `from` (a pod, a workload,
// a selector) to pods, traces every pod to `to`, and holds when every path agrees:
// allow = every path DELIVERED; deny = every path DROPPED.

import type { ClusterState, PodState } from "../control/state.js";
import type { DataplaneIR } from "../ir/types.js";
import { SelectorError, matchSelector, parseSelector } from "../manifest/selector.js";
import type { LabelSelector } from "../manifest/types.js";
import type { TracePath, TraceResult } from "../sim/index.js";
import type { Expectation } from "./check-file.js";
import { pathVerdict, traceSession, type ModelSession, type PathVerdict } from "./trace.js";

export { parseExpectations } from "./check-file.js";
export type { Expectation, SelectorSource } from "./check-file.js";

export interface CheckOutcome {
  expectation: Expectation;
  ok: boolean;
  /** One line per source pod (and per path when they differ). */
  details: string[];
  /**
   * What the model says, over every source pod and path: "allow" (all DELIVERED), "deny"
   * (none DELIVERED), "mixed", or "error" (the expectation could not be traced).
   */
  verdict: "allow" | "deny" | "mixed" | "error";
  /** Why a flow is denied: each distinct reason of its paths that did not deliver
   *  ("name lookup failed: query to 10.96.0.10:53 dropped by policy NS/NAME", …). */
  reasons: string[];
  /** Every path traced, per source pod, with Hubble's verdict fields (`-o json`). */
  paths: CheckPath[];
}

/** One traced path of an expectation: its source, choices, verdict fields and detail. */
export type CheckPath = { from: string; probability: number; choices: string[]; detail: string } & PathVerdict;

/** The pods an expectation's `from` stands for. Strings: `[ns/]pod`, `[ns/]workload`
 *  (Deployment, StatefulSet, DaemonSet, Job, ReplicaSet name), `Kind/[ns/]name`,
 *  `node/NAME` or `external[:IP]` (kept as is). */
export function expandFrom(state: ClusterState, from: Expectation["from"]): { refs: string[]; error?: string } {
  const running = state.pods.filter((p) => p.podIP && p.phase === "Running" && !p.terminating);
  const ref = (p: PodState) => `${p.namespace}/${p.name}`;
  if (typeof from !== "string") {
    let sel: LabelSelector;
    try {
      sel = parseSelector(from.selector);
    } catch (e) {
      if (e instanceof SelectorError) return { refs: [], error: e.message };
      throw e;
    }
    const pods = running.filter(
      (p) => (!from.namespace || p.namespace === from.namespace) && matchSelector(sel, p.labels),
    );
    return pods.length
      ? { refs: pods.map(ref) }
      : {
          refs: [],
          error: `no running pod matches selector "${from.selector}"${from.namespace ? ` in namespace ${from.namespace}` : ""}`,
        };
  }
  if (from.startsWith("node/") || from === "external" || from.startsWith("external:")) return { refs: [from] };
  let kind: string | undefined;
  let rest = from;
  const m = from.match(/^(deployment|deploy|statefulset|sts|daemonset|ds|job|replicaset|rs|pod|po)\/(.+)$/i);
  if (m) {
    kind = {
      deploy: "Deployment",
      deployment: "Deployment",
      statefulset: "StatefulSet",
      sts: "StatefulSet",
      daemonset: "DaemonSet",
      ds: "DaemonSet",
      job: "Job",
      replicaset: "ReplicaSet",
      rs: "ReplicaSet",
      pod: "Pod",
      po: "Pod",
    }[m[1].toLowerCase()];
    rest = m[2];
  }
  const [ns, name] = rest.includes("/") ? rest.split("/", 2) : ["default", rest];
  if (!kind || kind === "Pod") {
    const pod = running.find((p) => p.namespace === ns && p.name === name);
    if (pod) return { refs: [ref(pod)] };
    if (kind === "Pod") return { refs: [], error: `pod "${ns}/${name}" not found` };
  }
  const pods = running.filter(
    (p) =>
      p.namespace === ns &&
      ((p.workload.name === name && (!kind || p.workload.kind === kind)) ||
        (p.owner?.name === name && (!kind || p.owner.kind === kind))),
  );
  return pods.length ? { refs: pods.map(ref) } : { refs: [], error: `no running pod of "${from}"` };
}

function pathSummary(p: TracePath): string {
  const d = p.disposition;
  const why = d.object ? ` [${d.object.chain ? `${d.object.chain}: ` : ""}${d.object.text}]` : "";
  return `${d.verdict}${d.reason ? ` ${d.reason}` : ""}: ${d.detail}${why}`;
}

/** Checks each expectation by tracing through the session (the model of the cluster). */
export function runCheck(session: ModelSession, exps: Expectation[]): CheckOutcome[];
/** The earlier form: an IR and its state (a session is made over them). */
export function runCheck(ir: DataplaneIR, state: ClusterState, exps: Expectation[]): CheckOutcome[];
export function runCheck(
  first: ModelSession | DataplaneIR,
  second: ClusterState | Expectation[],
  third?: Expectation[],
): CheckOutcome[] {
  if (isSession(first) && Array.isArray(second)) return checkAll(first, second);
  if (!isSession(first) && !Array.isArray(second)) return checkAll(traceSession(second, first), third ?? []);
  throw new TypeError("runCheck(session, expectations) or runCheck(ir, state, expectations)");
}

const isSession = (x: ModelSession | DataplaneIR): x is ModelSession => "trace" in x;

function checkAll(session: ModelSession, exps: Expectation[]): CheckOutcome[] {
  const { state } = session;
  return exps.map((e) => {
    const { refs, error } = expandFrom(state, e.from);
    if (error) return { expectation: e, ok: false, details: [error], verdict: "error", reasons: [], paths: [] };
    const details: string[] = [];
    const reasons: string[] = [];
    const paths: CheckPath[] = [];
    const why = (s: string) => reasons.includes(s) || reasons.push(s);
    let ok = true;
    let delivered = 0;
    let denied = 0;
    let failed = false;
    for (const from of refs) {
      let r: TraceResult;
      try {
        // The DNS query is traced too: a name whose lookup fails denies the flow (dns-verdict.ts).
        r = session.trace({ from, to: e.to, port: e.port, protocol: e.protocol });
      } catch (err) {
        ok = false;
        failed = true;
        details.push(`${from}: ${(err as Error).message}`);
        continue;
      }
      const want = e.expect === "allow" ? "DELIVERED" : "DROPPED";
      for (const p of r.paths) {
        const good = p.disposition.verdict === want;
        if (!good) ok = false;
        if (p.disposition.verdict === "DELIVERED") delivered++;
        else {
          denied++;
          why(p.disposition.detail);
        }
        paths.push({
          from,
          probability: p.probability,
          choices: p.choices,
          ...pathVerdict(p),
          detail: p.disposition.detail,
        });
        const via = p.choices.length ? ` (${p.choices.join(", ")})` : "";
        details.push(`${good ? "ok  " : "FAIL"} ${from} -> ${e.to}${via}: ${pathSummary(p)}`);
      }
      // A name that did not resolve ends its own paths (DNS_NXDOMAIN …) when its query was
      // traced; without a query trace there is no path to say so.
      if (r.dns && r.dns.answer === undefined && !r.paths.length) {
        ok = ok && e.expect === "deny";
        denied++;
        const text = `the name did not resolve (${r.dns.walk.map((q) => `${q.name} ${q.rcode}`).join(", ")})`;
        why(text);
        details.push(`${from}: ${text}`);
      }
    }
    const verdict = failed ? "error" : denied && delivered ? "mixed" : delivered ? "allow" : "deny";
    return { expectation: e, ok, details, verdict, reasons, paths };
  });
}

const label = (e: Expectation) =>
  e.name ??
  `${typeof e.from === "string" ? e.from : `${e.from.namespace ?? "*"}:${e.from.selector}`} -> ${e.to}${e.port ? `:${e.port}` : ""}/${e.protocol.toUpperCase()} expect ${e.expect}`;

export function renderCheck(out: CheckOutcome[]): string {
  const lines: string[] = [];
  for (const o of out) {
    lines.push(`${o.ok ? "PASS" : "FAIL"} ${label(o.expectation)} (line ${o.expectation.line})`);
    if (!o.ok) for (const d of o.details) lines.push(`    ${d}`);
    // A deny that holds says why: one held for another reason than meant (a blocked DNS
    // lookup rather than the policy on the port) is worth seeing.
    else if (o.verdict === "deny") for (const r of o.reasons) lines.push(`    denied: ${r}`);
  }
  const failed = out.filter((o) => !o.ok).length;
  lines.push(`${out.length - failed} passed, ${failed} failed`);
  return lines.join("\n") + "\n";
}

const xml = (s: string) =>
  s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);

export function renderJUnit(out: CheckOutcome[], suite = "podnet check"): string {
  const failed = out.filter((o) => !o.ok).length;
  const cases = out.map((o) => {
    const name = xml(label(o.expectation));
    if (o.ok) return `    <testcase classname="podnet.check" name="${name}"/>`;
    return `    <testcase classname="podnet.check" name="${name}">\n      <failure message="${xml(o.details.find((d) => d.startsWith("FAIL")) ?? o.details[0] ?? "failed")}">${xml(o.details.join("\n"))}</failure>\n    </testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="${out.length}" failures="${failed}">\n  <testsuite name="${xml(suite)}" tests="${out.length}" failures="${failed}">\n${cases.join("\n")}\n  </testsuite>\n</testsuites>\n`;
}
