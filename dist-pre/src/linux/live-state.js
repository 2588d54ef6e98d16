// The state of a running cluster: the inputs `podnet up` recorded, then the change log
// (`podnet apply|delete|scale --name`) replayed in order. status, exec, verify and the
// DNS servers all compute it this way, so they agree with the kernel's last reconcile.
// Kept free of the kernel code (the DNS server process imports it).
import { loadCluster } from "../load/cluster.js";
import { runChange } from "../control/changes.js";
import { readChanges, readRecord } from "./state.js";
export async function recordedState(rec, changes = readChanges(rec.cluster)) {
    if (rec.inputs.fixture)
        throw new Error(`cluster "${rec.cluster}" was built from the backend's test IR: it has no cluster state`);
    let { state } = await loadCluster({ files: rec.inputs.files, config: rec.inputs.config, seed: rec.inputs.seed });
    for (const e of changes)
        state = runChange(state, e.change).state;
    return state;
}
/** The current state of running cluster NAME (throws when it is not up). */
export async function liveState(cluster) {
    const rec = readRecord(cluster);
    if (!rec)
        throw new Error(`cluster "${cluster}" is not up (no state in /run/podnet/${cluster})`);
    return recordedState(rec);
}
//# sourceMappingURL=live-state.js.map