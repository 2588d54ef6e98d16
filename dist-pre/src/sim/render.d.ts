import type { TraceResult } from "./trace.js";
export declare function renderTrace(r: TraceResult, opts?: {
    packets?: boolean;
}): string;
