import type { Protocol } from "../sim/index.js";
/** A `from` given as a label selector, optionally within one namespace. */
export interface SelectorSource {
    namespace?: string;
    selector: string;
}
export interface Expectation {
    name?: string;
    from: string | SelectorSource;
    to: string;
    port?: number;
    protocol: Protocol;
    expect: "allow" | "deny";
    /** The line of the expectation in its file. */
    line: number;
}
/** Parses an expectations file: `expectations: [...]` (kind ConnectivityCheck) or a bare list. */
export declare function parseExpectations(file: string, text: string): Expectation[];
