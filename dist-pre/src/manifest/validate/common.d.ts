import type { KubeObject } from "../types.js";
export type Err = (field: string, value: unknown, text: string) => void;
export declare function checkPort(err: Err, field: string, v: unknown, opts?: {
    allowZero?: boolean;
}): boolean;
export declare function checkProtocol(err: Err, field: string, v: unknown): void;
/** IntOrString port (targetPort, NetworkPolicy port, Ingress backends). */
export declare function checkIntOrNamedPort(err: Err, field: string, v: unknown): void;
export declare function checkLabels(err: Err, field: string, labels: unknown): void;
/** The values rule of In/NotIn (some) and Exists/DoesNotExist (none); false for any other operator. */
export declare function checkSetOperatorValues(err: Err, f: string, operator: unknown, vals: unknown): boolean;
/** metav1.LabelSelector. */
export declare function checkSelector(err: Err, field: string, sel: unknown): void;
/** Whether a selector selects a label set (used for the template-labels check). */
export declare function selectorMatches(sel: any, labels: Record<string, string>): boolean;
export declare function checkMeta(err: Err, o: KubeObject, base?: string): void;
