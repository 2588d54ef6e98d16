// The library API: `import { loadCluster } from "podnet"`.
// loadCluster is the one place that reads files (I/O edge); everything it returns is
// computed by the pure layers.

import { readSources, embeddedExampleDir } from "./cli/input.js";
import { parseSpec } from "./spec/parse.js";
import { buildState } from "./control/build.js";
import type { ClusterSpec } from "./spec/types.js";
import type { ClusterState } from "./control/state.js";

export interface LoadOptions {
  /** Manifest files or directories; `-` for stdin. Empty: the embedded example. */
  files?: string[];
  /** Cluster config file (kind: Cluster). */
  config?: string;
  /** Seed for names and allocations (default fixed). */
  seed?: string;
}

export async function loadCluster(opts: LoadOptions = {}): Promise<{ spec: ClusterSpec; state: ClusterState }> {
  const files = opts.files && opts.files.length > 0 ? opts.files : [embeddedExampleDir()];
  const sources = await readSources(files);
  const config = opts.config ? (await readSources([opts.config]))[0] : undefined;
  const spec = parseSpec(sources, config);
  const state = buildState(spec, { seed: opts.seed });
  return { spec, state };
}

export type { ClusterSpec, KubeObject, Diagnostic } from "./spec/types.js";
export type { ClusterConfig } from "./spec/config.js";
export type { ClusterState, PodState, ServiceState, NodeState, EndpointSliceState, KEvent } from "./control/state.js";
export type * from "./ir/types.js";
export { SpecError } from "./spec/errors.js";
export { parseSpec, buildState };
