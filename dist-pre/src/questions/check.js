// `podnet check`: connectivity expectations checked with the full model (DNS, Service
// NAT, routing, policy), for CI. Each expectation expands its `from` (a pod, a workload,
// a selector) to pods, traces every pod to `to`, and holds when every path agrees:
// allow = every path DELIVERED; deny = every path DROPPED.
import { parseSelector, matchSelector } from "../manifest/selector.js";
import { traceSession } from "./trace.js";
export { parseExpectations } from "./check-file.js";
/** The pods an expectation's `from` stands for. Strings: `[ns/]pod`, `[ns/]workload`
 *  (Deployment, StatefulSet, DaemonSet, Job, ReplicaSet name), `Kind/[ns/]name`,
 *  `node/NAME` or `external[:IP]` (kept as is). */
export function expandFrom(state, from) {
    const running = state.pods.filter((p) => p.podIP && p.phase === "Running" && !p.terminating);
    const ref = (p) => `${p.namespace}/${p.name}`;
    if (typeof from !== "string") {
        const sel = parseSelector(from.selector);
        const pods = running.filter((p) => (!from.namespace || p.namespace === from.namespace) && matchSelector(sel, p.labels));
        return pods.length
            ? { refs: pods.map(ref) }
            : {
                refs: [],
                error: `no running pod matches selector "${from.selector}"${from.namespace ? ` in namespace ${from.namespace}` : ""}`,
            };
    }
    if (from.startsWith("node/") || from === "external" || from.startsWith("external:"))
        return { refs: [from] };
    let kind;
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
        if (pod)
            return { refs: [ref(pod)] };
        if (kind === "Pod")
            return { refs: [], error: `pod "${ns}/${name}" not found` };
    }
    const pods = running.filter((p) => p.namespace === ns &&
        ((p.workload.name === name && (!kind || p.workload.kind === kind)) ||
            (p.owner?.name === name && (!kind || p.owner.kind === kind))));
    return pods.length ? { refs: pods.map(ref) } : { refs: [], error: `no running pod of "${from}"` };
}
function pathSummary(p) {
    const d = p.disposition;
    const why = d.object ? ` [${d.object.chain ? `${d.object.chain}: ` : ""}${d.object.text}]` : "";
    return `${d.verdict}${d.reason ? ` ${d.reason}` : ""}: ${d.detail}${why}`;
}
export function runCheck(first, second, third) {
    if (isSession(first) && Array.isArray(second))
        return checkAll(first, second);
    if (!isSession(first) && !Array.isArray(second))
        return checkAll(traceSession(second, first), third ?? []);
    throw new TypeError("runCheck(session, expectations) or runCheck(ir, state, expectations)");
}
const isSession = (x) => "trace" in x;
function checkAll(session, exps) {
    const { state } = session;
    return exps.map((e) => {
        const { refs, error } = expandFrom(state, e.from);
        if (error)
            return { expectation: e, ok: false, details: [error] };
        const details = [];
        let ok = true;
        for (const from of refs) {
            let r;
            try {
                r = session.trace({ from, to: e.to, port: e.port, protocol: e.protocol }, { noDnsPath: true });
            }
            catch (err) {
                ok = false;
                details.push(`${from}: ${err.message}`);
                continue;
            }
            const want = e.expect === "allow" ? "DELIVERED" : "DROPPED";
            for (const p of r.paths) {
                const good = p.disposition.verdict === want;
                if (!good)
                    ok = false;
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
const label = (e) => e.name ??
    `${typeof e.from === "string" ? e.from : `${e.from.namespace ?? "*"}:${e.from.selector}`} -> ${e.to}${e.port ? `:${e.port}` : ""}/${e.protocol.toUpperCase()} expect ${e.expect}`;
export function renderCheck(out) {
    const lines = [];
    for (const o of out) {
        lines.push(`${o.ok ? "PASS" : "FAIL"} ${label(o.expectation)} (line ${o.expectation.line})`);
        if (!o.ok)
            for (const d of o.details)
                lines.push(`    ${d}`);
    }
    const failed = out.filter((o) => !o.ok).length;
    lines.push(`${out.length - failed} passed, ${failed} failed`);
    return lines.join("\n") + "\n";
}
const xml = (s) => s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]);
export function renderJUnit(out, suite = "podnet check") {
    const failed = out.filter((o) => !o.ok).length;
    const cases = out.map((o) => {
        const name = xml(label(o.expectation));
        if (o.ok)
            return `    <testcase classname="podnet.check" name="${name}"/>`;
        return `    <testcase classname="podnet.check" name="${name}">\n      <failure message="${xml(o.details.find((d) => d.startsWith("FAIL")) ?? o.details[0] ?? "failed")}">${xml(o.details.join("\n"))}</failure>\n    </testcase>`;
    });
    return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="${out.length}" failures="${failed}">\n  <testsuite name="${xml(suite)}" tests="${out.length}" failures="${failed}">\n${cases.join("\n")}\n  </testsuite>\n</testsuites>\n`;
}
//# sourceMappingURL=check.js.map