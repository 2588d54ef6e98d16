// What the manifests and the cluster config parse into (apart from types.ts, which the
// config's parser imports: one file for both would be a circle).

import type { ClusterConfig } from "./config.js";
import type { InferredSetting } from "./infer.js";
import type { Diagnostic, KubeObject } from "./types.js";

/** Everything the user asked for: the desired objects, grouped by kind, plus the config. */
export interface ClusterSpec {
  config: ClusterConfig;
  objects: KubeObject[]; // every understood object, in input order
  warnings: Diagnostic[];
  /** No config was given and the input is a live cluster's dump: the settings read from it. */
  inferred?: InferredSetting[];
}
