// `podnet check`: connectivity expectations checked with the full model (DNS, Service
// NAT, routing, policy), for CI. Each expectation expands its `from` (a pod, a workload,
// a selector) to pods, traces every pod to `to`, and holds when every path agrees:
// allow = every path DELIVERED; deny = every path DROPPED.

import { LineCounter, parseDocument, isMap, isSeq, type Node as YNode } from "yaml";
import type { ClusterState, PodState } from "../control/state.js";
import type { DataplaneIR } from "../ir/types.js";
import { traceFlow } from "../sim/index.js";
import type { Protocol, TracePath, TraceResult } from "../sim/trace.js";
import { parseSelector, matchSelector } from "../manifest/selector.js";
import { SpecError } from "../manifest/errors.js";

export interface Expectation {
  name?: string;
  from: string | { namespace?: string; selector: string };
  to: string;
  port?: number;
  protocol: Protocol;
  expect: "allow" | "deny";
  line: number;
}

export interface CheckOutcome {
  expectation: Expectation;
  ok: boolean;
  /** One line per source pod (and per path when they differ). */
  details: string[];
}

const PROTOS = ["tcp", "udp", "sctp", "icmp"];

/** Parses an expectations file: `expectations: [...]` (kind ConnectivityCheck) or a bare list. */
export function parseExpectations(file: string, text: string): Expectation[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const fail = (line: number, field: string, msg: string): never => {
    throw new SpecError([{ severity: "error", message: `${file}:${line} ${field}: ${msg}`, file, line, field }]);
  };
  if (doc.errors.length) {
    const e = doc.errors[0];
    fail(e.linePos?.[0].line ?? 1, "(yaml)", e.message.split("\n")[0]);
  }
  const lineOf = (n: YNode | null | undefined) => (n?.range ? lc.linePos(n.range[0]).line : 1);
  let list: YNode | null | undefined = doc.contents as YNode;
  if (isMap(list)) list = list.get("expectations", true) as YNode | undefined;
  if (!isSeq(list))
    fail(
      lineOf(doc.contents as YNode),
      "expectations",
      "expected a list of expectations (or a map with an `expectations:` list)",
    );
  const out: Expectation[] = [];
  (list as any).items.forEach((item: YNode, i: number) => {
    const at = `expectations[${i}]`;
    const line = lineOf(item);
    if (!isMap(item)) fail(line, at, "expected a map with from, to, expect");
    const o = (item as any).toJSON() as Record<string, unknown>;
    const fieldLine = (k: string) => lineOf((item as any).get(k, true)) ?? line;
    if (o.from === undefined) fail(line, `${at}.from`, "missing");
    if (typeof o.to !== "string")
      fail(
        fieldLine("to"),
        `${at}.to`,
        o.to === undefined ? "missing" : `expected a string, got ${JSON.stringify(o.to)}`,
      );
    if (o.expect !== "allow" && o.expect !== "deny")
      fail(fieldLine("expect"), `${at}.expect`, `${JSON.stringify(o.expect ?? null)} is not allow|deny`);
    const proto = String(o.protocol ?? "TCP").toLowerCase();
    if (!PROTOS.includes(proto))
      fail(fieldLine("protocol"), `${at}.protocol`, `"${o.protocol}" is not TCP|UDP|SCTP|ICMP`);
    if (o.port !== undefined && (!Number.isInteger(o.port) || (o.port as number) < 1 || (o.port as number) > 65535)) {
      fail(fieldLine("port"), `${at}.port`, `${JSON.stringify(o.port)} is not a valid port (1-65535)`);
    }
    const from = o.from as Expectation["from"];
    if (
      typeof from !== "string" &&
      (typeof from !== "object" || from === null || typeof (from as any).selector !== "string")
    ) {
      fail(fieldLine("from"), `${at}.from`, "expected a pod/workload name or {namespace, selector}");
    }
    out.push({
      name: o.name as string | undefined,
      from,
      to: o.to as string,
      port: o.port as number | undefined,
      protocol: proto as Protocol,
      expect: o.expect as "allow" | "deny",
      line,
    });
  });
  return out;
}

/** The pods an expectation's `from` stands for. Strings: `[ns/]pod`, `[ns/]workload`
 *  (Deployment, StatefulSet, DaemonSet, Job, ReplicaSet name), `Kind/[ns/]name`,
 *  `node/NAME` or `external[:IP]` (kept as is). */
export function expandFrom(state: ClusterState, from: Expectation["from"]): { refs: string[]; error?: string } {
  const running = state.pods.filter((p) => p.podIP && p.phase === "Running" && !p.terminating);
  const ref = (p: PodState) => `${p.namespace}/${p.name}`;
  if (typeof from !== "string") {
    const sel = parseSelector(from.selector);
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

export function runCheck(ir: DataplaneIR, state: ClusterState, exps: Expectation[]): CheckOutcome[] {
  return exps.map((e) => {
    const { refs, error } = expandFrom(state, e.from);
    if (error) return { expectation: e, ok: false, details: [error] };
    const details: string[] = [];
    let ok = true;
    for (const from of refs) {
      let r: TraceResult;
      try {
        r = traceFlow(ir, { from, to: e.to, port: e.port, protocol: e.protocol }, { state, noDnsPath: true });
      } catch (err) {
        ok = false;
        details.push(`${from}: ${(err as Error).message}`);
        continue;
      }
      const want = e.expect === "allow" ? "DELIVERED" : "DROPPED";
      for (const p of r.paths) {
        const good = p.disposition.verdict === want;
        if (!good) ok = false;
        const via = p.choices.length ? ` (${p.choices.join(", ")})` : "";
        details.push(`${good ? "ok  " : "FAIL"} ${from} -> ${e.to}${via}: ${pathSummary(p)}`);
      }
      if (r.dns && r.dns.answer === undefined) {
        ok = ok && e.expect === "deny";
        details.push(`${from}: the name did not resolve (${r.dns.walk.map((q) => `${q.name} ${q.rcode}`).join(", ")})`);
      }
    }
    return { expectation: e, ok, details };
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
