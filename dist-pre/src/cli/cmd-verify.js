import { UsageError } from "./errors.js";
import { knownClusters } from "../linux/cluster.js";
import { validateClusterName } from "../linux/names.js";
import { FLOW_SETS, formatVerify, verify } from "../questions/verify.js";
export function parseFlowSets(v) {
    if (v === "all")
        return FLOW_SETS;
    const out = [];
    for (const w of v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)) {
        if (!FLOW_SETS.includes(w))
            throw new UsageError(`--flows: "${w}" is not one of all, ${FLOW_SETS.join(", ")}`);
        out.push(w);
    }
    if (!out.length)
        throw new UsageError(`--flows: empty`);
    return out;
}
export function register(program) {
    program
        .command("verify")
        .description("run flows on the running cluster (podnet up) and compare each outcome with the model's trace (root)")
        .option("--name <name>", "cluster name")
        .option("--flows <set>", "all | pods | services | dns (comma-separated; services include NodePorts and LoadBalancer IPs from outside)", "all")
        .option("-o, --output <format>", "text|json", "text")
        .action(async (o) => {
        if (process.platform !== "linux")
            throw new UsageError("podnet verify runs flows in Linux network namespaces: Linux only");
        if (typeof process.getuid === "function" && process.getuid() !== 0)
            throw new UsageError("podnet verify needs root (it enters the cluster's network namespaces): run it with sudo");
        if (o.output !== "text" && o.output !== "json")
            throw new UsageError(`-o: "${o.output}" is not text or json`);
        const flows = parseFlowSets(o.flows);
        let name;
        if (o.name) {
            try {
                name = validateClusterName(o.name);
            }
            catch (e) {
                throw new UsageError(`--name: ${e.message}`);
            }
        }
        else {
            const all = knownClusters();
            if (all.length === 0)
                throw new UsageError("no podnet cluster is up (podnet up)");
            if (all.length > 1)
                throw new UsageError(`several clusters are up (${all.join(", ")}): say which with --name`);
            name = all[0];
        }
        let rep;
        try {
            rep = await verify({
                cluster: name,
                flows,
                log: o.output === "text" ? (s) => process.stderr.write(`podnet verify: ${s}\n`) : undefined,
            });
        }
        catch (e) {
            throw new UsageError(e.message);
        }
        process.stdout.write(o.output === "json" ? JSON.stringify(rep, null, 2) + "\n" : formatVerify(rep));
        if (rep.disagree > 0)
            process.exitCode = 1;
    });
}
//# sourceMappingURL=cmd-verify.js.map