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
  // there from the start; kube-proxy-down's rules are those of the state when it was added.
  const frozenAt = new Map<number, string[]>();
  for (const f of readFaults(rec.cluster)) {
    if (f.clearing) continue;
    const parsed = parseFault(f.fault);
    if (typeof parsed === "string" || spec.config.faults.some((g) => formatFault(g) === f.fault)) continue;
    spec.config.faults.push(parsed);
    if (parsed.kind === "kube-proxy-down" && parsed.node && f.afterChanges)
      frozenAt.set(f.afterChanges, [...(frozenAt.get(f.afterChanges) ?? []), parsed.node]);
  }
  let state = buildState(spec, { seed: rec.inputs.seed });
  for (const [i, e] of changes.entries()) {
    state = kubeProxyStopsAt(state, frozenAt.get(i));
    state = runChange(state, e.change as Change).state;
  }
  return kubeProxyStopsAt(state, frozenAt.get(changes.length));
}

/** The state with `nodes`' kube-proxy synced to it (the view it keeps once stopped). */
function kubeProxyStopsAt(state: ClusterState, nodes: string[] | undefined): ClusterState {
  if (!nodes) return state;
  const view = { services: state.services, endpointSlices: state.endpointSlices };
  const synced = { ...state.kubeProxySynced };
  for (const n of nodes) synced[n] = view;
  return { ...state, kubeProxySynced: synced };
}

/** The current state of running cluster NAME (throws when it is not up). */
export async function liveState(cluster: string): Promise<ClusterState> {
  const rec = readRecord(cluster);
  if (!rec) throw new Error(`cluster "${cluster}" is not up (no state in /run/podnet/${cluster})`);
  return recordedState(rec);
}
