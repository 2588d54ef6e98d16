// `podnet demo`: the guided walk through the embedded example (sections in src/views/demo.ts).
import "../views/demo-traces.js"; // registers the trace sections
import { demoSections, renderDemo } from "../views/demo.js";
import { addClusterOptions, hostViewOptions, loadFromFlags } from "./cluster-opts.js";
import { UsageError } from "./errors.js";
export function register(program) {
    addClusterOptions(program
        .command("demo")
        .description("a guided tour of the example cluster: nodes, pods and IPs, Services, DNS, and what a pod deletion changes")
        .option("--section <id...>", `only these sections (${demoSections.map((s) => s.id).join(", ")})`)).action(async (o) => {
        const only = o.section;
        for (const id of only ?? [])
            if (!demoSections.some((s) => s.id === id))
                throw new UsageError(`unknown demo section "${id}": ${demoSections.map((s) => s.id).join(", ")}`);
        const { state } = await loadFromFlags(o);
        process.stdout.write(renderDemo(state, hostViewOptions(), only));
    });
}
//# sourceMappingURL=cmd-demo.js.map