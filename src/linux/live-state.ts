// The state of a running cluster: the inputs `podnet up` recorded, then the change log
// (`podnet apply|delete|scale --name`) replayed in order. status, exec, verify and the
// DNS servers all compute it this way, so they agree with the kernel's last reconcile.
// Kept free of the kernel code (the DNS server process imports it).
import { loadSpecFromArgs } from "../load/input.js";
import { buildState } from "../control/build.js";
import { formatFault, parseFault } from "../manifest/faults.js";
import { readFaults } from "./fault-store.js";
import type { ClusterState } from "../control/state.js";
import { runChange, type Change } from "../control/changes.js";
import { readChanges, readRecord, type ChangeEntry, type ClusterRecord } from "./state.js";

export async function recordedState(
  rec: ClusterRecord,
  changes: ChangeEntry[] = readChanges(rec.cluster),
): Promise<ClusterState> {
  if (rec.inputs.fixture)
    throw new Error(`cluster "${rec.cluster}" was built from the backend's test IR: it has no cluster state`);
  const spec = await loadSpecFromArgs({ files: rec.inputs.files, config: rec.inputs.config });
  // The faults added to the running cluster (`podnet fault add`) join its config's, as if
  // there from the start; but kube-proxy stopped by one (kube-proxy-down) keeps the rules it
  // wrote last: the Services and EndpointSlices after the changes made before the fault.
  const stoppedAt = new Map<string, number>();
  for (const f of readFaults(rec.cluster)) {
    if (f.clearing) continue;
    const parsed = parseFault(f.fault);
    if (typeof parsed !== "string" && !spec.config.faults.some((g) => formatFault(g) === f.fault)) {
      spec.config.faults.push(parsed);
      if (parsed.kind === "kube-proxy-down" && parsed.node && f.afterChanges)
        stoppedAt.set(parsed.node, f.afterChanges);
    }
  }
  let state = buildState(spec, { seed: rec.inputs.seed });
  for (const [i, e] of changes.entries()) {
    state = runChange(state, e.change as Change).state;
    for (const [node, n] of stoppedAt)
      if (n === i + 1)
        // Later changes keep the view they find (control/faults.ts kubeProxySyncedOf).
        state = {
          ...state,
          kubeProxySynced: {
            ...state.kubeProxySynced,
            [node]: { services: state.services, endpointSlices: state.endpointSlices },
          },
        };
  }
  return state;
}

/** The current state of running cluster NAME (throws when it is not up). */
export async function liveState(cluster: string): Promise<ClusterState> {
  const rec = readRecord(cluster);
  if (!rec) throw new Error(`cluster "${cluster}" is not up (no state in /run/podnet/${cluster})`);
  return recordedState(rec);
}
