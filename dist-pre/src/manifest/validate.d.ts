import type { KubeObject } from "./types.js";
import type { ClusterConfig } from "./config.js";
import { type Diags } from "./diag.js";
export { checkLabels, checkSelector, selectorMatches } from "./validate/common.js";
/** Validates every object, then the cross-object rules. */
export declare function validateObjects(objects: KubeObject[], config: ClusterConfig, diags: Diags): void;
