// Loading a cluster: the one place that reads manifests and the cluster config from
// files (the I/O edge); everything it returns is computed by the pure layers.

import { loadSpecFromArgs } from "./input.js";
import { buildState } from "../control/build.js";
import type { ClusterSpec } from "../manifest/cluster-spec.js";
import type { ClusterState } from "../control/state.js";
import { type Fault, formatFault } from "../manifest/faults.js";
import type { LoadMode } from "../manifest/parse.js";

export interface LoadOptions {
  /** Manifest files or directories; `-` for stdin. Empty: the embedded example. */
  files?: string[];
  /** Cluster config file (kind: Cluster). */
  config?: string;
  /** Seed for names and allocations (default fixed). */
  seed?: string;
  /** Called once per warning (ignored kinds, unknown named targetPorts, full nodes …). */
  warn?: (message: string) => void;
  /**
   * strict (default): any API-validation error throws, as for building a real network.
   * tolerant: those the network does not depend on are warnings (reading the cluster).
   */
  mode?: LoadMode;
  /** Named faults added to the config's `faults:` (the CLI's --fault). */
  faults?: Fault[];
}

export async function loadCluster(opts: LoadOptions = {}): Promise<{ spec: ClusterSpec; state: ClusterState }> {
  const spec = await loadSpecFromArgs({ files: opts.files ?? [], config: opts.config, mode: opts.mode });
  for (const f of opts.faults ?? [])
    if (!spec.config.faults.some((g) => formatFault(g) === formatFault(f))) spec.config.faults.push(f);
  const state = buildState(spec, { seed: opts.seed });
  if (opts.warn) {
    for (const w of spec.warnings) opts.warn(w.message);
    for (const w of state.warnings) opts.warn(w);
  }
  return { spec, state };
}
