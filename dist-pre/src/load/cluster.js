// Loading a cluster: the one place that reads manifests and the cluster config from
// files (the I/O edge); everything it returns is computed by the pure layers.
import { loadSpecFromArgs } from "./input.js";
import { buildState } from "../control/build.js";
export async function loadCluster(opts = {}) {
    const spec = await loadSpecFromArgs({ files: opts.files ?? [], config: opts.config });
    const state = buildState(spec, { seed: opts.seed });
    if (opts.warn) {
        for (const w of spec.warnings)
            opts.warn(w.message);
        for (const w of state.warnings)
            opts.warn(w);
    }
    return { spec, state };
}
//# sourceMappingURL=cluster.js.map