import { containerEnv, formatEnv } from "../views/env.js";
import { eventsView } from "../views/events.js";
import { addClusterOptions, emit, loadFromFlags } from "./cluster-opts.js";
import { UsageError } from "./errors.js";
import { findPod } from "./resolve-target.js";
/** Exactly the file kubelet writes to the pod's /etc/resolv.conf. */
export function resolvConfText(state, ref, namespace) {
    return findPod(state, ref, namespace).resolvConf;
}
export function envText(state, ref, namespace, container) {
    const pod = findPod(state, ref, namespace);
    try {
        return formatEnv(containerEnv(pod, container));
    }
    catch (e) {
        throw new UsageError(e.message);
    }
}
export function register(program) {
    addClusterOptions(program
        .command("resolvconf")
        .description("print a pod's /etc/resolv.conf as kubelet writes it")
        .argument("<pod>", "[namespace/]name or a unique prefix of the name")
        .option("-n, --namespace <ns>", "namespace")).action(async (pod, o) => {
        const { state } = await loadFromFlags(o);
        process.stdout.write(resolvConfText(state, pod, o.namespace));
    });
    addClusterOptions(program
        .command("env")
        .description("print a container's environment as kubelet sets it (its own variables, then the Service variables)")
        .argument("<pod>", "[namespace/]name or a unique prefix of the name")
        .option("-n, --namespace <ns>", "namespace")
        .option("-c, --container <name>", "container (default: the first)")).action(async (pod, o) => {
        const { state } = await loadFromFlags(o);
        process.stdout.write(envText(state, pod, o.namespace, o.container));
    });
    addClusterOptions(program
        .command("events")
        .description("list events like kubectl get events")
        .option("-n, --namespace <ns>", "namespace", "default")
        .option("-A, --all-namespaces", "all namespaces")).action(async (o) => {
        const { state } = await loadFromFlags(o);
        emit(eventsView(state, { namespace: o.namespace, allNamespaces: !!o.allNamespaces }));
    });
}
//# sourceMappingURL=cmd-pod-info.js.map