import type { Diagnostic, KubeObject, SourceRef } from "./types.js";
/** Field path segments as Kubernetes prints them: `spec.ports[0]`, `metadata.labels[app.kubernetes.io/name]`. */
export declare function childPath(base: string, key: string): string;
/** A map entry (labels, annotations, nodeSelector): always `base[key]`, as Kubernetes' field.Path.Key. */
export declare function keyPath(base: string, key: string): string;
/** The form lineOf looks up: map keys that are plain identifiers written as `.key`. */
export declare function canonicalPath(path: string): string;
export declare function indexPath(base: string, i: number): string;
export declare function formatValue(v: unknown): string;
export declare const NO_VALUE: unique symbol;
/** A decoded YAML mapping, not yet validated (fields read as given: JSON input). */
export type Mapping = Record<string, any>;
/** Shape checks on input not yet validated (a YAML mapping, a whole number). */
export declare const isObj: (v: unknown) => v is Mapping;
export declare const isInt: (v: unknown) => v is number;
/** "Service default/auth-service", "Namespace production", or "document 3, kind Service". */
export declare function objectLabel(kind: unknown, namespace: string | undefined, name: unknown, docIndex: number | undefined): string;
export declare function formatDiagnostic(d: {
    file?: string;
    line?: number;
    column?: number;
    object?: string;
    field?: string;
    value?: unknown;
    hasValue: boolean;
    text: string;
}): string;
/** Collects diagnostics about one source object. */
export declare class Diags {
    readonly list: Diagnostic[];
    add(severity: "error" | "warning", where: {
        source?: SourceRef;
        object?: string;
    }, field: string | undefined, value: unknown, text: string, extra?: {
        line?: number;
        column?: number;
    }): void;
    error(where: {
        source?: SourceRef;
        object?: string;
    }, field: string | undefined, value: unknown, text: string): void;
    warn(where: {
        source?: SourceRef;
        object?: string;
    }, field: string | undefined, value: unknown, text: string): void;
    get errors(): Diagnostic[];
    get warnings(): Diagnostic[];
}
export declare function isNamespaced(kind: string): boolean;
/** The "(Kind ns/name)" label of a parsed object. */
export declare function labelOf(o: KubeObject): string;
export declare function where(o: KubeObject): {
    source?: SourceRef;
    object: string;
};
