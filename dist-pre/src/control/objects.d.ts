import type { KubeObject } from "../manifest/types.js";
export declare const WORKLOAD_KINDS: Set<string>;
export declare const CLUSTER_SCOPED: Set<string>;
export declare function objKey(o: {
    kind: string;
    metadata: {
        namespace?: string;
        name: string;
    };
}): string;
export declare function sameObject(a: KubeObject | undefined, b: KubeObject): boolean;
