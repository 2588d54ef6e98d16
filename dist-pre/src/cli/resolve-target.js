// Finding the pod, node or Service a command line names. A reference is `[ns/]name`;
// for pods and nodes a unique prefix of the name also works (pod names end in
// generated hashes nobody wants to type). Ambiguity is an error listing the candidates.
import { UsageError } from "./errors.js";
function split(ref, namespace) {
    const i = ref.indexOf("/");
    if (i > 0)
        return { ns: ref.slice(0, i), name: ref.slice(i + 1) };
    return { ns: namespace, name: ref };
}
function pick(what, ref, label, exact, prefixed, whereText) {
    if (exact.length === 1)
        return exact[0];
    if (exact.length > 1)
        throw new UsageError(`${what} "${ref}" is ambiguous: ${exact.map(label).join(", ")} (give it as namespace/name)`);
    if (prefixed.length === 1)
        return prefixed[0];
    if (prefixed.length > 1)
        throw new UsageError(`${what} "${ref}" is ambiguous: it matches ${prefixed.map(label).join(", ")}`);
    throw new UsageError(`${what} "${ref}" not found${whereText}`);
}
/** Order of preference: exact name in the namespace (given, or default), exact name in
 *  any namespace when none was given, then prefix matches in the same order. */
export function findPod(state, ref, namespace) {
    const { ns, name } = split(ref, namespace);
    const label = (p) => `${p.namespace}/${p.name}`;
    const inNs = (n) => state.pods.filter((p) => p.namespace === n);
    const scope = ns !== undefined ? inNs(ns) : inNs("default");
    let exact = scope.filter((p) => p.name === name);
    if (exact.length === 0 && ns === undefined)
        exact = state.pods.filter((p) => p.name === name);
    let prefixed = scope.filter((p) => p.name.startsWith(name));
    if (prefixed.length === 0 && ns === undefined)
        prefixed = state.pods.filter((p) => p.name.startsWith(name));
    return pick("pod", ref, label, exact, prefixed, ns !== undefined ? ` in namespace "${ns}"` : "");
}
export function findNode(state, ref) {
    const exact = state.nodes.filter((n) => n.name === ref);
    const prefixed = state.nodes.filter((n) => n.name.startsWith(ref));
    return pick("node", ref, (n) => n.name, exact, prefixed, ` (nodes: ${state.nodes.map((n) => n.name).join(", ")})`);
}
/** Services by exact name (`name`, `ns/name`, or `name.ns` as a pod would write it). */
export function findService(state, ref, namespace) {
    let { ns, name } = split(ref, namespace);
    if (!ref.includes("/") && name.includes(".")) {
        const [n, s] = name.split(".", 2);
        if (state.namespaces.some((x) => x.name === s)) {
            name = n;
            ns = s;
        }
    }
    const scope = ns ?? "default";
    const exact = state.services.filter((s) => s.namespace === scope && s.name === name);
    if (exact.length === 1)
        return exact[0];
    const elsewhere = ns === undefined ? state.services.filter((s) => s.name === name) : [];
    if (elsewhere.length === 1)
        return elsewhere[0];
    if (elsewhere.length > 1)
        throw new UsageError(`service "${ref}" is ambiguous: ${elsewhere.map((s) => `${s.namespace}/${s.name}`).join(", ")}`);
    throw new UsageError(`service "${ref}" not found in namespace "${scope}"`);
}
//# sourceMappingURL=resolve-target.js.map