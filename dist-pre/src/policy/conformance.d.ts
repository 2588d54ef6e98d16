import type { NetworkPolicySpec } from "../manifest/types.js";
import type { Proto } from "./portset.js";
export declare const NAMESPACES: string[];
export declare const PODS: string[];
export declare const ALL_PODS: string[];
export interface ConformanceCase {
    name: string;
    policies: {
        namespace: string;
        name: string;
        spec: NetworkPolicySpec;
    }[];
    checks: {
        protocol: Proto;
        port: number;
        allowed: (from: string, to: string) => boolean;
    }[];
}
/** Manifests of the model as YAML text. */
export declare function conformanceManifests(): string;
export declare const CASES: ConformanceCase[];
/** Replaces `@ns/pod` placeholders in ipBlock excepts with the pod's /32. */
export declare function resolvePlaceholders(c: ConformanceCase, ipOf: (ref: string) => string): ConformanceCase["policies"];
