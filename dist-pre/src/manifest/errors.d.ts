import type { Diagnostic } from "./types.js";
export declare class SpecError extends Error {
    readonly diagnostics: Diagnostic[];
    constructor(diagnostics: Diagnostic[]);
}
