import { describeNode, describePod, describeService } from "../views/describe.js";
import { addClusterOptions, emit, hostViewOptions, loadFromFlags } from "./cluster-opts.js";
import { UsageError } from "./errors.js";
const KINDS = {
    pod: "pod",
    pods: "pod",
    po: "pod",
    service: "service",
    services: "service",
    svc: "service",
    node: "node",
    nodes: "node",
    no: "node",
};
const PLURAL = { pod: "pods", service: "services", node: "nodes" };
export function runDescribe(state, kindArg, names, namespace, opts = {}) {
    let kind = KINDS[kindArg.toLowerCase()];
    if (kindArg.includes("/") && names.length === 0) {
        const [k, n] = [kindArg.slice(0, kindArg.indexOf("/")), kindArg.slice(kindArg.indexOf("/") + 1)];
        kind = KINDS[k.toLowerCase()];
        names = [n];
    }
    if (!kind)
        throw new UsageError(`describe supports pod, service and node: "${kindArg}"`);
    const all = kind === "pod"
        ? state.pods.filter((p) => p.namespace === namespace)
        : kind === "service"
            ? state.services.filter((s) => s.namespace === namespace)
            : state.nodes;
    const chosen = [];
    let stderr = "";
    if (names.length === 0)
        chosen.push(...all);
    for (const n of names) {
        const exact = all.filter((x) => x.name === n);
        const hits = exact.length ? exact : all.filter((x) => x.name.startsWith(n));
        if (hits.length === 0)
            stderr += `Error from server (NotFound): ${PLURAL[kind]} "${n}" not found\n`;
        chosen.push(...hits);
    }
    const texts = chosen.map((x) => kind === "pod"
        ? describePod(state, x, opts)
        : kind === "service"
            ? describeService(state, x, opts)
            : describeNode(state, x, opts));
    if (names.length === 0 && texts.length === 0) {
        return {
            stdout: "",
            stderr: kind === "node" ? "No resources found\n" : `No resources found in ${namespace} namespace.\n`,
            exitCode: 0,
        };
    }
    // kubectl separates described objects with a blank line.
    return { stdout: texts.join("\n\n"), stderr, exitCode: stderr ? 1 : 0 };
}
export function register(program) {
    addClusterOptions(program
        .command("describe")
        .description("show one object in detail like kubectl describe: pod|svc|node NAME")
        .argument("<kind>", "pod, svc or node (or KIND/NAME)")
        .argument("[names...]", "names or name prefixes")
        .option("-n, --namespace <ns>", "namespace", "default")).action(async (kind, names, o) => {
        const { state } = await loadFromFlags(o);
        emit(runDescribe(state, kind, names, o.namespace, hostViewOptions()));
    });
}
//# sourceMappingURL=cmd-describe.js.map