import type { ClusterConfig } from "../manifest/config.js";
import type { CniFlavor } from "./flavor.js";
export declare const flavors: Record<string, CniFlavor>;
export declare function flavorFor(config: Pick<ClusterConfig, "networking"> & {
    name?: string;
    source?: ClusterConfig["source"];
}): CniFlavor;
export type { CniFlavor, FlavorContext } from "./flavor.js";
