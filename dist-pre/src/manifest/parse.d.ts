import type { ClusterSpec } from "./cluster-spec.js";
import type { Diagnostic, KubeObject, SourceRef } from "./types.js";
import { Diags } from "./diag.js";
export interface SourceText {
    file: string;
    text: string;
}
/** apiVersion each understood kind is served at. */
export declare const KIND_API_VERSIONS: Record<string, string>;
/** One decoded document with where it came from. */
export interface RawDocument {
    value: unknown;
    source: SourceRef;
}
/** Splits a text into decoded documents, List items expanded. Syntax errors go to diags. */
export declare function readDocuments(src: SourceText, diags: Diags): RawDocument[];
export interface SpecCheck {
    /** The spec as far as it could be read (objects with errors are still included). */
    spec: ClusterSpec;
    /** Errors and warnings, in input order. */
    diagnostics: Diagnostic[];
}
/** Like parseSpec, but returns the diagnostics instead of throwing. */
export declare function checkSpec(sources: SourceText[], config?: SourceText): SpecCheck;
/**
 * Parses and validates manifests (and an optional cluster config file). Throws one
 * SpecError carrying every error; warnings are in the result.
 */
export declare function parseSpec(sources: SourceText[], config?: SourceText): ClusterSpec;
export declare function applyDefaults(o: KubeObject): void;
