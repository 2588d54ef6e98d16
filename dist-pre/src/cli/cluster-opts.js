// The options every model command shares (-f manifests, --config, --seed) and the
// view options that come from the host (the kernel a real node would report).
import { release } from "node:os";
import { loadCluster } from "../load/cluster.js";
export const collect = (v, prev) => [...prev, v];
export function addClusterOptions(cmd) {
    return cmd
        .option("-f, --filename <path>", "manifests: file, directory or - for stdin; repeatable (default: the embedded example)", collect, [])
        .option("--config <file>", "cluster config (kind: Cluster)")
        .option("--seed <seed>", "seed for generated names and allocations");
}
/** Warnings (ignored kinds, unknown named targetPorts, full nodes) go to stderr, once each. */
export const cliWarn = (message) => process.stderr.write(`warning: ${message}\n`);
export async function loadFromFlags(o) {
    return loadCluster({ files: o.filename ?? [], config: o.config, seed: o.seed, warn: cliWarn });
}
export function hostViewOptions() {
    return { nodeInfo: { kernelVersion: release() } };
}
export function emit(out) {
    if (out.stdout)
        process.stdout.write(out.stdout);
    if (out.stderr)
        process.stderr.write(out.stderr);
    if (out.exitCode)
        process.exitCode = out.exitCode;
}
//# sourceMappingURL=cluster-opts.js.map