import type { DataplaneIR } from "../ir/types.js";
/** `nodes` × `podsPerNode` (defaults 2 × 2; at most 250 pods per node). */
export declare function fixtureIR(cluster?: string, size?: {
    nodes?: number;
    podsPerNode?: number;
}): DataplaneIR;
