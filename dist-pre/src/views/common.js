// Small helpers shared by the views: ages, label rendering, the clock → timestamps.
import { humanDuration } from "./duration.js";
// What a kind v0.24 node (kindest/node:v1.31.0) reports.
export const DEFAULT_NODE_INFO = {
    kubeletVersion: "v1.31.0",
    osImage: "Debian GNU/Linux 12 (bookworm)",
    kernelVersion: "6.1.0-podnet",
    containerRuntimeVersion: "containerd://1.7.18",
    architecture: "amd64",
    operatingSystem: "linux",
};
/** A fixed start so that the same state prints the same timestamps. */
export const DEFAULT_START_TIME = Date.UTC(2026, 0, 1, 0, 0, 0);
export function nodeInfo(opts = {}) {
    return { ...DEFAULT_NODE_INFO, ...(opts.nodeInfo ?? {}) };
}
/** The state's clock counts seconds since the cluster started. Objects without a
 *  creation time (nodes, namespaces, policies) are as old as the cluster. */
export function age(state, created) {
    return humanDuration(state.clock - (created ?? 0));
}
/** RFC 3339 creationTimestamp for an object created at clock tick `created`. */
export function timestamp(opts, created) {
    const ms = (opts.startTime ?? DEFAULT_START_TIME) + (created ?? 0) * 1000;
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
/** kubectl describe's time format (RFC 1123Z): "Mon, 02 Jan 2006 15:04:05 +0000". */
export function rfc1123z(opts, created) {
    const d = new Date((opts.startTime ?? DEFAULT_START_TIME) + (created ?? 0) * 1000);
    const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    const p = (n) => String(n).padStart(2, "0");
    return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
/** labels.FormatLabels: keys sorted, "k=v,k2=v2", `<none>` when empty. */
export function formatLabels(labels) {
    const keys = Object.keys(labels ?? {}).sort();
    if (keys.length === 0)
        return "<none>";
    return keys.map((k) => `${k}=${labels[k]}`).join(",");
}
export function byNsName(a, b) {
    if (a.namespace !== b.namespace)
        return a.namespace < b.namespace ? -1 : 1;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
/** Split a KEvent's object reference "kind/ns/name" (or "kind/name" for cluster-scoped). */
export function parseEventObject(ref) {
    const parts = ref.split("/");
    if (parts.length >= 3)
        return { kind: parts[0], namespace: parts[1], name: parts.slice(2).join("/") };
    if (parts.length === 2)
        return { kind: parts[0], namespace: "default", name: parts[1] };
    return { kind: "", namespace: "default", name: ref };
}
//# sourceMappingURL=common.js.map