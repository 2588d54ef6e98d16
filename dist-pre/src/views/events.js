// `kubectl get events`: LAST SEEN TYPE REASON OBJECT MESSAGE (NAMESPACE first with -A).
import { parseEventObject } from "./common.js";
import { humanDuration } from "./duration.js";
import { kubectlTable } from "./tabwriter.js";
export function eventsView(state, o = {}) {
    const ns = o.namespace ?? "default";
    const evs = state.events
        .map((e, i) => ({ e, i, obj: parseEventObject(e.object) }))
        .filter((x) => o.allNamespaces || x.obj.namespace === ns)
        .sort((a, b) => a.e.time - b.e.time || a.i - b.i);
    if (evs.length === 0) {
        return {
            stdout: "",
            stderr: o.allNamespaces ? "No resources found\n" : `No resources found in ${ns} namespace.\n`,
            exitCode: 0,
        };
    }
    const header = [...(o.allNamespaces ? ["NAMESPACE"] : []), "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"];
    const rows = evs.map(({ e, obj }) => [
        ...(o.allNamespaces ? [obj.namespace] : []),
        humanDuration(state.clock - e.time),
        e.type,
        e.reason,
        `${obj.kind.toLowerCase()}/${obj.name}`,
        e.message.trim(),
    ]);
    return { stdout: kubectlTable([header, ...rows]), stderr: "", exitCode: 0 };
}
//# sourceMappingURL=events.js.map