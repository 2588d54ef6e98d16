// A change's outcome as text: the events it produced and what differs (see control/diff.ts).
import { diffIsEmpty } from "../control/diff.js";
import { parseEventObject } from "./common.js";
import { humanDuration } from "./duration.js";
import { kubectlTable } from "./tabwriter.js";
/** Events as `kubectl get events -A` lists them (only those the change produced). */
export function formatChangeEvents(state, events) {
    if (events.length === 0)
        return "";
    const rows = events.map((e) => {
        const o = parseEventObject(e.object);
        return [
            o.namespace,
            humanDuration(state.clock - e.time),
            e.type,
            e.reason,
            `${o.kind.toLowerCase()}/${o.name}`,
            e.message.trim(),
        ];
    });
    return kubectlTable([["NAMESPACE", "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], ...rows]);
}
export function formatDiff(d) {
    if (diffIsEmpty(d))
        return "No changes.\n";
    const lines = [];
    const pod = (p) => `pod ${p.namespace}/${p.name}  IP ${p.ip ?? "<none>"}  node ${p.node ?? "<none>"}`;
    for (const p of d.podsRemoved)
        lines.push(`- ${pod(p)}`);
    for (const p of d.podsAdded)
        lines.push(`+ ${pod(p)}`);
    for (const c of d.podsChanged)
        lines.push(`~ pod ${c.after.namespace}/${c.after.name}: ${c.what.join(", ")}`);
    for (const s of d.servicesRemoved)
        lines.push(`- service ${s.namespace}/${s.name}  cluster IP ${s.clusterIP ?? "<none>"}`);
    for (const s of d.servicesAdded)
        lines.push(`+ service ${s.namespace}/${s.name}  ${s.type}  cluster IP ${s.clusterIP ?? "<none>"}  ${s.ports || "<none>"}${s.external.length ? `  external ${s.external.join(",")}` : ""}`);
    for (const s of d.servicesChanged)
        lines.push(`~ service ${s.namespace}/${s.name}: ${s.what.join(", ")}`);
    for (const e of d.endpointsChanged) {
        const fmt = (xs) => (xs.length ? xs.join(",") : "<none>");
        lines.push(`~ endpoints ${e.namespace}/${e.name} (Service IP ${e.clusterIP ?? "<none>"}): ${fmt(e.before)} → ${fmt(e.after)}`);
    }
    return lines.join("\n") + "\n";
}
//# sourceMappingURL=diff.js.map